"""Large runs: no map, a map that stays light, and the same answers on a Dask cluster."""

from __future__ import annotations

import json

import numpy as np
import pytest

from gis_tool import run_analysis
from gis_tool.cli import main
from gis_tool.publish import map_data, maps
from gis_tool.publish.maps import overview_cells, render_map, site_map


def test_no_map(small_world, tmp_path):
    out = tmp_path / "o"
    assert main(["-q", "run", str(small_world), "--out", str(out), "--no-map"]) == 0
    names = {p.name for p in out.iterdir()}
    assert "map.html" not in names and {"sites.gpkg", "sites.csv", "run.json"} <= names
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["map"]["drawn"] is None


def test_map_of_many_sites_draws_the_best_and_an_overview(small_world, monkeypatch):
    monkeypatch.setattr(map_data, "MAP_MAX_SITES", 2)
    monkeypatch.setattr(map_data, "MAP_BEST_SITES", 1)
    r = run_analysis(small_world)
    page = render_map(site_map(r, lang="en"))
    assert "Showing the best 1 of 3 sites" in page
    assert "Overview: all sites" in page
    assert maps.map_scale(3)["sites_drawn"] == 1
    m = re_json(page, "sitesLayer")
    assert [row[0] for row in m["rows"]] == [r.top(1)["site_id"].iloc[0]]
    ov = [d for d in all_json(page, "vectorLayer") if d["cfg"]["key"] == "overview"][0]
    cls = ov["cfg"]["columns"].index("class")   # the column the colours are keyed by
    best = ov["cfg"]["columns"].index("best_score")
    assert all(row[cls] == str(min(4, int(row[best] // 20))) for row in ov["rows"] if row[best] is not None)


def re_json(page: str, fn: str) -> dict:
    """The data element that feeds gisTool.<fn>."""
    import re

    ids = re.findall(r'gisTool\.' + fn + r'\(gisTool\.data\("([^"]+)"\)\)', page)
    body = re.search(r'<script type="application/json" id="' + ids[0] + r'">(.*?)</script>', page, re.S)
    return json.loads(body.group(1))


def all_json(page: str, fn: str) -> list[dict]:
    import re

    ids = re.findall(r'gisTool\.' + fn + r'\(gisTool\.data\("([^"]+)"\)\)', page)
    return [json.loads(re.search(r'<script type="application/json" id="' + i + r'">(.*?)</script>',
                                 page, re.S).group(1)) for i in ids]


def test_overview_cells_keep_the_best_score(small_world):
    r = run_analysis(small_world)
    hexes = overview_cells(r.sites, cells=4)
    assert int(hexes["sites"].sum()) == len(r.sites)       # every site counted once
    assert np.nanmax(hexes["best_score"]) == pytest.approx(r.sites["score"].max(), abs=0.05)
    assert int(hexes["eligible"].sum()) == int(r.sites["eligible"].sum())


@pytest.mark.slow
def test_dask_local_cluster_gives_the_single_machine_result(demo_result):
    pytest.importorskip("dask_geopandas")
    one = demo_result
    dist = run_analysis(one.analysis, scheduler="local")
    assert len(one.sites) > 3000
    for c in one.criteria:
        a, b = one.sites[f"{c}_raw"].to_numpy(), dist.sites[f"{c}_raw"].to_numpy()
        if a.dtype == object:
            assert (a == b).all(), c
        else:
            np.testing.assert_allclose(a.astype(float), b.astype(float), atol=1e-9, rtol=0, err_msg=c)
    assert one.sites["site_id"].tolist() == dist.sites["site_id"].tolist()
    np.testing.assert_array_equal(one.sites["score"].to_numpy(dtype=float), dist.sites["score"].to_numpy(dtype=float))
    assert any(k.startswith("criteria on Dask") for k in dist.timings)


def test_bad_scheduler_address_is_exit_2(small_world, tmp_path, capsys):
    pytest.importorskip("distributed")
    assert main(["run", str(small_world), "--out", str(tmp_path / "o"), "--scheduler", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "--scheduler" in err


def test_geoparquet_output_and_partitioned_input(small_world, tmp_path):
    import geopandas as gpd

    out = tmp_path / "o"
    assert main(["-q", "run", str(small_world), "--out", str(out), "--format", "parquet", "--no-map"]) == 0
    assert (out / "sites.parquet").exists() and not (out / "sites.gpkg").exists()
    back = gpd.read_parquet(out / "sites.parquet")
    assert back["site_id"].tolist()[0] == "A" and back.crs.to_epsg() == 3006
    # the parcels as a folder of GeoParquet parts, read without GDAL
    parcels = gpd.read_file(small_world.parent / "world.gpkg", layer="parcels")
    folder = tmp_path / "parcels_parts"
    folder.mkdir()
    parcels.iloc[:2].to_parquet(folder / "part-0.parquet")
    parcels.iloc[2:].to_parquet(folder / "part-1.parquet")
    text = small_world.read_text(encoding="utf-8").replace(
        '[layers.parcels]\npath = "world.gpkg"\nlayer = "parcels"', f'[layers.parcels]\npath = "{folder}"')
    assert str(folder) in text
    toml = tmp_path / "parts.toml"
    toml.write_text(text, encoding="utf-8")
    a, b = run_analysis(small_world).sites, run_analysis(toml).sites
    assert a["site_id"].tolist() == b["site_id"].tolist()
    np.testing.assert_array_equal(a["score"].to_numpy(dtype=float), b["score"].to_numpy(dtype=float))


def test_progress_bar_on_a_terminal_only():
    import logging

    from gis_tool.cli.logs import _Elapsed

    rec = logging.LogRecord("gis_tool", logging.INFO, "", 0, "criterion road ...", None, None)
    rec.progress = (4, 10)
    assert "████████░░░░░░░░░░░░ 5/10 criterion road" in _Elapsed(bars=True).format(rec)   # 4 of 10 done
    assert "█" not in _Elapsed(bars=False).format(rec)


FORKED_RUN = """
import sys
from gis_tool.publish import outputs
from gis_tool.cli import main

outputs.BESIDE_OVER = 0          # fork even for a small run
if sys.argv[3] == "broken":      # the disk fills while the second process writes sites.csv
    def broken(df, path):
        raise OSError(28, "No space left on device")
    outputs.write_csv = broken
if sys.argv[3].startswith("aside"):   # shares of polygon layers measured by a second process
    from gis_tool.engine import conditions, measures
    measures.ASIDE_OVER = 0
    share_here = conditions.overlap_share
    def counted(*args):
        print("a share measured by the first process", file=sys.stderr)
        return share_here(*args)
    conditions.overlap_share = counted
if sys.argv[3] == "aside-steal":   # the first process busy with its first criterion until
    import os, pathlib, time        # the second has taken the others, from the last
    first, flag = os.getpid(), pathlib.Path(sys.argv[2] + ".stolen")
    noted = measures.measure_noted
    def watched(spec, *args):
        if os.getpid() == first and spec.name == "motorway":
            for _ in range(600):
                if flag.exists():
                    break
                time.sleep(0.05)
        got = noted(spec, *args)
        print(f"{spec.name} measured by the {'first' if os.getpid() == first else 'second'} process",
              file=sys.stderr, flush=True)
        if spec.name == "size":
            flag.touch()
        return got
    measures.measure_noted = watched
    import threading
    from gis_tool.engine import pipeline, site_arrays
    pipeline.INSIDE_ASIDE_OVER = 0   # the points inside made beside the score even here
    inside = site_arrays.shapely.point_on_surface
    def told(geoms):
        who = "writer" if writing else "first" if os.getpid() == first else "second"
        how = "" if threading.current_thread() is threading.main_thread() else ", on a thread"
        print(f"points inside made by the {who} process{how}", file=sys.stderr, flush=True)
        return inside(geoms)
    site_arrays.shapely.point_on_surface = told
if sys.argv[3] == "aside-broken":
    from gis_tool.errors import InputError
    from gis_tool.engine.kinds import overlap
    def refused(*args):
        raise InputError("layers.plans: refused while measuring aside")
    overlap.overlap_share = refused
forks, writing = [], []
real = outputs.Beside.__init__
def spy(self, fork, where, fn, **kw):
    if "sites.csv" in where:   # the writer's (Beside measures aside too); before the fork,
        writing.append(where)   # so that the writer knows it is one
    real(self, fork, where, fn, **kw)
    forks.append(self.proc is not None)
    print(f"nice {kw.get('nice', 0)}")
outputs.Beside.__init__ = spy
code = main(["-q", "run", sys.argv[1], "--out", sys.argv[2], "--overwrite", *sys.argv[4:]])
print("forked" if forks == [True] else "inline")
sys.exit(code)
"""


def _forked_run(analysis, out, mode="ok", *more):
    """A run in a fresh interpreter (only its main thread: fork is allowed) with
    ``BESIDE_OVER = 0``, so that sites.csv and the map are written by a forked process."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", FORKED_RUN, str(analysis), str(out), mode, *more],
                          capture_output=True, text=True, timeout=120)


def test_outputs_written_beside_by_a_second_process_are_the_same(small_world, tmp_path):
    """Above BESIDE_OVER sites a forked process writes sites.csv and the map while this
    one writes sites.gpkg."""
    import sqlite3

    import pyogrio

    a, b = tmp_path / "inline", tmp_path / "forked"
    assert main(["-q", "run", str(small_world), "--out", str(a), "--lang", "en"]) == 0
    done = _forked_run(small_world, b, "ok", "--lang", "en")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("forked")
    assert "nice 0" in done.stdout   # with a map to draw the second process keeps its priority
    assert [list(x) for x in pyogrio.list_layers(a / "sites.gpkg")] == \
        [list(x) for x in pyogrio.list_layers(b / "sites.gpkg")]
    left = pyogrio.read_dataframe(a / "sites.gpkg", layer="sites")
    right = pyogrio.read_dataframe(b / "sites.gpkg", layer="sites")
    assert left.equals(right)
    with sqlite3.connect(b / "sites.gpkg") as con:   # the QGIS styles came along
        assert {r[0] for r in con.execute("select styleName from layer_styles")} >= {"gis-tool score"}
    assert (a / "sites.csv").read_bytes() == (b / "sites.csv").read_bytes()
    assert (b / "map.html").stat().st_size > 10_000      # drawn by the second process
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())


def test_shares_measured_by_a_second_process_equal_those_measured_here(small_world, tmp_path):
    """Above ASIDE_OVER sites the overlap criteria are measured by a forked process while
    this one measures the distances: the same results, the steps in the analysis's order."""
    import json

    a, b = tmp_path / "here", tmp_path / "aside"
    assert main(["-q", "run", str(small_world), "--out", str(a), "--no-map"]) == 0
    done = _forked_run(small_world, b, "aside", "--no-map")
    assert done.returncode == 0, done.stderr
    took = json.loads((b / "run.json").read_text(encoding="utf-8"))["timings_s"]
    assert "waiting for the second process" in took          # it was measured aside
    assert [k for k in took if k.startswith("criterion")] == ["criterion motorway", "criterion zoning"]
    here = json.loads((a / "run.json").read_text(encoding="utf-8"))["timings_s"]
    assert "waiting for the second process" not in here
    assert (a / "sites.csv").read_bytes() == (b / "sites.csv").read_bytes()
    assert (a / "sites.csv").read_text(encoding="utf-8-sig").count("\n") == 4
    assert "excluded_by" in (a / "sites.csv").read_text(encoding="utf-8-sig")
    assert "a share measured by the first process" not in done.stderr   # the flood share too
    from gis_tool.publish.outputs import BESIDE_NICE
    assert f"nice {BESIDE_NICE}" in done.stdout   # no map: sites.csv's process yields to the GeoPackage's


def test_a_second_process_done_early_takes_the_criteria_not_yet_begun(small_world, tmp_path):
    """Done with the overlap criteria and shares, the second process measures the
    criteria the first has not begun, from the last: each criterion once, the same
    results as a run measured here, the steps in the analysis's order."""
    import json

    text = small_world.read_text(encoding="utf-8").replace("[constraints.flood]", """
[criteria.size]
kind = "area"
value = { fn = "linear", best = 20000, worst = 0 }
[criteria.price]
kind = "attribute"
field = "price"
value = { fn = "linear", best = 0, worst = 500 }
missing = "worst"

[constraints.flood]""")
    small_world.write_text(text, encoding="utf-8")
    a, b = tmp_path / "here", tmp_path / "aside"
    assert main(["-q", "run", str(small_world), "--out", str(a), "--no-map"]) == 0
    done = _forked_run(small_world, b, "aside-steal", "--no-map")
    assert done.returncode == 0, done.stderr
    said = sorted(line for line in done.stderr.splitlines() if " measured by the " in line)
    assert said == ["motorway measured by the first process", "price measured by the second process",
                    "size measured by the second process", "zoning measured by the second process"]
    # the points inside the sites (the table's x/y) are made once, on a thread beside the
    # score, not again by the process that writes sites.csv
    made = [line for line in done.stderr.splitlines() if line.startswith("points inside made")]
    assert made == ["points inside made by the first process, on a thread"]
    took = json.loads((b / "run.json").read_text(encoding="utf-8"))["timings_s"]
    assert [k for k in took if k.startswith("criterion")] == \
        ["criterion motorway", "criterion zoning", "criterion size", "criterion price"]
    assert (a / "sites.csv").read_bytes() == (b / "sites.csv").read_bytes()


def test_claims_are_taken_once_from_either_end():
    from gis_tool.processes import Claims

    c = Claims(4)
    assert c.claim(0) and not c.claim(0)
    assert c.claim_last() == 3 and c.claim_last() == 2
    assert not c.claim(2) and c.claim(1)
    assert c.claim_last() is None
    assert Claims(0).claim_last() is None


def test_an_error_in_a_criterion_measured_aside_is_the_users_error(small_world, tmp_path):
    done = _forked_run(small_world, tmp_path / "o", "aside-broken", "--no-map")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: layers.plans: refused while measuring aside")
    assert "Traceback" not in done.stderr and not (tmp_path / "o" / "sites.csv").exists()


def test_a_failure_in_the_writing_process_is_an_error_and_keeps_old_outputs(small_world, tmp_path):
    out = tmp_path / "o"
    assert main(["-q", "run", str(small_world), "--out", str(out), "--no-map"]) == 0
    before = (out / "sites.csv").read_bytes()
    done = _forked_run(small_world, out, "broken", "--no-map")
    assert done.returncode == 2
    assert done.stderr.startswith("error:") and "No space left on device" in done.stderr
    assert "sites.csv" in done.stderr and "Traceback" not in done.stderr
    assert (out / "sites.csv").read_bytes() == before
    assert not list(out.glob(".tmp-*"))


def test_an_error_of_its_own_in_the_second_process_keeps_its_message(monkeypatch):
    """An InputError raised in the second process (drawing the map, measuring a
    criterion) reaches the user as it is (exit status 2), not as an internal failure."""
    import os

    import pytest

    from gis_tool import processes
    from gis_tool.errors import InputError, OutputError
    from gis_tool.processes import Beside

    def bad_map() -> None:
        raise InputError("map.toml: key 'basemap': no such basemap")

    def full() -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(processes, "can_fork", lambda: True)
    job = Beside(True, "map.html", bad_map)
    assert job.proc is not None
    with pytest.raises(InputError, match="no such basemap"):
        job.result()
    with pytest.raises(ZeroDivisionError):
        Beside(True, "x.csv", lambda: 1 / 0).result()

    class UnsentError(Exception):   # a local class cannot be pickled
        pass

    def unsent() -> None:
        raise UnsentError("lost")

    with pytest.raises(RuntimeError, match="x.csv: UnsentError: lost"):
        Beside(True, "x.csv", unsent).result()
    with pytest.raises(OutputError, match="disk: OSError: .*No space left"):
        Beside(True, "x.csv", full, failed=lambda why: OutputError(f"disk: {why}")).result()
    with pytest.raises(OutputError, match="disk: OSError: .*No space left"):   # the same here and now
        Beside(False, "x.csv", full, failed=lambda why: OutputError(f"disk: {why}"))
    assert Beside(True, "x.csv", lambda: 7).result() == 7
    assert Beside(False, "x.csv", lambda: 7).proc is None
    # the second process may yield the processor to this one (os.nice(0) reads the niceness)
    assert Beside(True, "x.csv", lambda: os.nice(0), nice=10).result() == min(19, os.nice(0) + 10)


def test_the_second_process_ends_when_its_caller_is_gone(monkeypatch):
    """A caller gone without reading the value (killed, say) leaves no process behind
    waiting for ever to send it: the value here is larger than a pipe holds."""
    from gis_tool import processes
    from gis_tool.processes import Beside

    monkeypatch.setattr(processes, "can_fork", lambda: True)
    job = Beside(True, "x.csv", lambda: b"x" * 4_000_000)
    job.receive.close()          # as if the caller had died
    job.proc.join(timeout=30)
    alive = job.proc.is_alive()
    job.cancel()
    assert not alive and job.proc.exitcode == 0


def test_chunked_work_reports_progress_in_order():
    from gis_tool import progress
    from gis_tool.progress import in_chunks

    seen = []
    with progress.listening(lambda done, total: seen.append((done, total))):
        parts = in_chunks(lambda a, b: np.arange(a, b), 200_000)
    assert np.array_equal(np.concatenate(parts), np.arange(200_000))   # chunks keep their order
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]                    # 50 000 sites a chunk
    in_chunks(lambda a, b: None, 200_000)                              # no listener: nothing
    assert len(seen) == 4


def test_terminal_line_is_redrawn_with_the_share_done():
    import io
    import logging

    from gis_tool.cli.logs import _Elapsed, _LiveLine

    h = _LiveLine()
    h.stream = io.StringIO()
    h.setFormatter(_Elapsed(bars=True))
    rec = logging.LogRecord("gis_tool", logging.INFO, "", 0, "criterion road ...", None, None)
    rec.progress = (1, 10)
    h.emit(rec)
    h.advance(1, 4)
    h.advance(4, 4)
    h.advance(1, 2)            # the step's second pass over the sites
    h.drawn = 0.0
    h.advance(2, 2)
    text = h.stream.getvalue()
    assert text.count("\n") == 4 and text.endswith("\n")    # the cursor rests on a new line
    lines = text.split("\n")
    assert "2/10 criterion road ..." in lines[0]
    assert lines[1].startswith("\x1b[1A\r") and lines[1].rstrip("\x1b[K").endswith(" 25%")
    assert "100%" in lines[2] and lines[3].endswith("100% (pass 2)\x1b[K")
    plain = logging.LogRecord("gis_tool", logging.INFO, "", 0, "100 candidate sites", None, None)
    h.emit(plain)
    h.advance(3, 4)            # no step on the last line: nothing is redrawn
    assert h.stream.getvalue().endswith("100 candidate sites\n")


def test_a_full_disk_in_the_same_process_is_also_exit_2(small_world, tmp_path, monkeypatch, capsys):
    from gis_tool.publish import outputs

    def broken(result, path, style=None):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "write_sites_gpkg", broken)    # always written by this process
    assert main(["-q", "run", str(small_world), "--out", str(tmp_path / "o"), "--no-map"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "No space left on device" in err
