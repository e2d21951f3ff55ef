"""The command line through its entry point: exit codes, messages, safe writing."""

from __future__ import annotations

import json
import os

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from gis_tool import __version__
from gis_tool.cli import main


def run(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and __version__ in out


def test_help_reads_like_a_manual(capsys):
    code, out, _ = run(capsys, "run", "--help")
    assert code == 0 and "--overwrite" in out and "sites.gpkg" in out


def test_run_writes_the_four_outputs(capsys, small_world, tmp_path):
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "-v", "run", small_world, "--out", out)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["map.html", "run.json", "sites.csv", "sites.gpkg", "sites.xlsx"]
    g = pyogrio.read_dataframe(out / "sites.gpkg", layer="sites")
    assert g.crs.to_epsg() == 3006 and len(g) == 3
    assert list(g.columns[:5]) == ["site_id", "score", "rank", "eligible", "excluded_by"]
    info = pyogrio.read_info(out / "sites.gpkg", layer="sites")
    types = dict(zip(info["fields"], info["dtypes"]))
    assert types["rank"] == "int64" and types["eligible"] == "bool" and types["score"] == "float64"
    assert g.set_index("site_id").loc["C", "excluded_by"] == "flood: 30 % covered by flood"
    assert pd.isna(g.set_index("site_id").loc["C", "rank"])
    assert [n for n, _ in pyogrio.list_layers(out / "sites.gpkg")][:2] == ["sites", "input_interchanges"]
    assert g.set_index("site_id").loc["B", "score"] == pytest.approx(62.5)
    assert "1. A" in stdout
    assert "load layers" in err  # progress on stderr


def test_quiet_silences_progress(capsys, small_world, tmp_path):
    code, _, err = run(capsys, "-q", "run", small_world, "--out", tmp_path / "o")
    assert code == 0 and err == ""


def test_csv_bom_coordinates_and_formula_neutralised(capsys, tmp_path, small_world):
    world = small_world.parent / "world.gpkg"
    g = pyogrio.read_dataframe(world, layer="parcels")
    g["pid"] = ["=HYPERLINK(\"x\")", "+B", "@C"]
    g.to_file(world, layer="parcels", driver="GPKG")
    out = tmp_path / "o"
    assert run(capsys, "run", small_world, "--out", out)[0] == 0
    raw = (out / "sites.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    df = pd.read_csv(out / "sites.csv", encoding="utf-8-sig")
    assert set(df["site_id"]) == {"'=HYPERLINK(\"x\")", "'+B", "'@C"}
    g = pyogrio.read_dataframe(out / "sites.gpkg", layer="sites")
    assert list(df.columns) == [c for c in g.columns if c != "geometry"] + ["x", "y"]
    assert df["x"].between(350000, 350500).all()
    inside = g.geometry.contains(gpd.GeoSeries(gpd.points_from_xy(df["x"], df["y"]), crs=g.crs))
    assert inside.all()  # a point inside each site, not just its centroid


def test_csv_safe_leaves_the_table_it_is_given_as_it_was():
    from gis_tool.publish.outputs import csv_safe

    df = pd.DataFrame({"text": pd.array(["=1+1", "ok", None], dtype="string"),
                       "mixed": ["-2", 3, "@x"], "n": [1.0, 2.0, 3.0]})
    before = df.copy()
    safe = csv_safe(df)
    pd.testing.assert_frame_equal(df, before)
    assert safe["text"].tolist()[:2] == ["'=1+1", "ok"] and pd.isna(safe["text"][2])
    assert safe["mixed"].tolist() == ["'-2", 3, "'@x"]
    assert safe["n"].tolist() == [1.0, 2.0, 3.0]


def test_run_json_manifest(capsys, small_world, tmp_path):
    out = tmp_path / "o"
    run(capsys, "run", small_world, "--out", out, "--profile", "cheap")
    m = json.loads((out / "run.json").read_text())
    assert len(m["analysis"]["sha256"]) == 64
    assert m["profile"] == "cheap"
    assert m["weights"]["weights"] == {"motorway": 0.0, "zoning": 1.0}
    parcels = m["inputs"]["parcels"]
    assert len(parcels["sha256"]) == 64 and parcels["features_kept"] == 3
    assert parcels["source_crs"] == "EPSG:3006"
    assert m["sites"] == {"candidates": 3, "eligible": 2, "excluded": 1, "dropped": {}}
    assert "geos" in m["versions"] and "total" in m["timings_s"]
    assert m["missing_values"]["criteria"]["motorway"]["count"] == 0


def test_non_empty_out_refused_then_overwrite(capsys, small_world, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    code, _, err = run(capsys, "run", small_world, "--out", out)
    assert code == 2 and err.startswith("error:") and "--overwrite" in err
    assert run(capsys, "run", small_world, "--out", out, "--overwrite")[0] == 0
    assert (out / "notes.txt").read_text() == "mine"


def test_bad_analysis_exit_2_without_traceback(capsys, tmp_path):
    p = tmp_path / "bad.toml"
    p.write_text('[criteria.x]\nkind = "distanse"\n')
    code, _, err = run(capsys, "run", p, "--out", tmp_path / "o")
    assert code == 2
    assert err.startswith("error:") and "Traceback" not in err
    assert "did you mean 'distance'" in err
    assert not (tmp_path / "o").exists()


def test_usage_error_exit_2(capsys):
    code, _, err = run(capsys, "run")
    assert code == 2 and err.startswith("error:")


def test_failed_run_leaves_previous_outputs(capsys, small_world, tmp_path, monkeypatch):
    out = tmp_path / "o"
    assert run(capsys, "run", small_world, "--out", out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import gis_tool.publish.maps as maps  # the run loads it when it draws

    def boom(*a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(maps, "save_map", boom)
    code, _, err = run(capsys, "run", small_world, "--out", out, "--overwrite")
    assert code == 1 and "internal failure" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_bad_data_leaves_previous_outputs(capsys, small_world, tmp_path):
    out = tmp_path / "o"
    assert run(capsys, "run", small_world, "--out", out)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (small_world.parent / "world.gpkg").write_bytes(b"")
    code, _, err = run(capsys, "run", small_world, "--out", out, "--overwrite")
    assert code == 2 and "empty (0 bytes)" in err and "layers.parcels" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_never_overwrites_an_input(capsys, small_world, tmp_path):
    d = small_world.parent
    (d / "sites.gpkg").write_bytes((d / "world.gpkg").read_bytes())
    text = small_world.read_text().replace('path = "world.gpkg"\nlayer = "parcels"',
                                           'path = "sites.gpkg"\nlayer = "parcels"')
    small_world.write_text(text)
    before = (d / "sites.gpkg").read_bytes()
    code, _, err = run(capsys, "run", small_world, "--out", d, "--overwrite")
    assert code == 2 and "is an input" in err
    assert (d / "sites.gpkg").read_bytes() == before


def test_lock_refuses_concurrent_run(capsys, small_world, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / ".gis-tool.lock").write_text(str(os.getppid()))  # a live process holds it
    code, _, err = run(capsys, "run", small_world, "--out", out)
    assert code == 2 and "another gis-tool run" in err


def test_stale_lock_taken_over(capsys, small_world, tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / ".gis-tool.lock").write_text("999999999")
    assert run(capsys, "run", small_world, "--out", out)[0] == 0
    assert not (out / ".gis-tool.lock").exists()


def test_layers_inspect_text_and_json(capsys, small_world):
    gpkg = small_world.parent / "world.gpkg"
    code, out, _ = run(capsys, "layers", "inspect", gpkg)
    assert code == 0
    for name in ("parcels", "interchanges", "plans", "flood"):
        assert f"layer {name}" in out
    assert "EPSG:3006" in out and "pid (str)" in out
    code, out, _ = run(capsys, "layers", "inspect", gpkg, "--json")
    info = json.loads(out)
    assert [d["layer"] for d in info] == ["parcels", "interchanges", "plans", "flood"]
    assert info[0]["features"] == 3 and info[0]["geometry_type"] == "Polygon"


def test_layers_inspect_reports_invalid(capsys, tmp_path):
    import geopandas as gpd
    from shapely import Polygon

    from .conftest import X0, Y0

    bow = Polygon([(X0, Y0), (X0 + 2, Y0 + 2), (X0 + 2, Y0), (X0, Y0 + 2), (X0, Y0)])
    gpd.GeoDataFrame({"a": [1]}, geometry=[bow], crs="EPSG:3006").to_file(tmp_path / "b.gpkg")
    code, out, _ = run(capsys, "layers", "inspect", tmp_path / "b.gpkg")
    assert code == 0 and "1 invalid geometries" in out and "Self-intersection" in out


def test_layers_check_lists_every_problem(capsys, small_world):
    d = small_world.parent
    text = small_world.read_text().replace('path = "world.gpkg"\nlayer = "flood"',
                                           'path = "world.gpkg"\nlayer = "flod"')
    text = text.replace('[layers.plans]\npath = "world.gpkg"', '[layers.plans]\npath = "nope.gpkg"')
    small_world.write_text(text)
    code, out, err = run(capsys, "layers", "check", small_world)
    assert code == 2
    assert "layers.flood" in err and "did you mean 'flood'" in err
    assert "layers.plans" in err and "nope.gpkg: file not found" in err
    assert "ok    parcels" in out
    assert d.exists()


def test_layers_check_ok(capsys, small_world):
    code, out, _ = run(capsys, "layers", "check", small_world)
    assert code == 0 and "all 4 layers" in out


def test_progress_shown_for_long_work(capsys, small_world, tmp_path, monkeypatch):
    import gis_tool.cli.logs as cli_logs

    monkeypatch.setattr(cli_logs, "PROGRESS_DELAY_S", 0.0)  # every run counts as long
    code, _, err = run(capsys, "run", small_world, "--out", tmp_path / "o")
    assert code == 0 and "load layers" in err and "criterion motorway" in err


def test_quick_failure_starts_with_error(capsys, small_world, tmp_path):
    (small_world.parent / "world.gpkg").write_bytes(b"garbage" * 10)
    code, _, err = run(capsys, "run", small_world, "--out", tmp_path / "o")
    assert code == 2 and err.startswith("error:") and "world.gpkg" in err


def test_leftovers_of_a_killed_run_are_cleaned(capsys, small_world, tmp_path):
    out = tmp_path / "o"
    (out / ".tmp-dead").mkdir(parents=True)
    (out / ".tmp-dead" / "sites.gpkg").write_bytes(b"half")
    (out / ".gis-tool.lock").write_text("999999999")
    assert run(capsys, "run", small_world, "--out", out)[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["map.html", "run.json", "sites.csv", "sites.gpkg", "sites.xlsx"]


def test_explain_command(capsys, small_world):
    code, out, _ = run(capsys, "explain", small_world, "B")
    assert code == 0
    assert "site B: score 62.5, rank 2" in out and "37.5 points short of rank 1" in out
    code, out, _ = run(capsys, "explain", small_world, "C", "--json")
    e = json.loads(out)
    assert e["eligible"] is False and e["excluded_by"] == ["flood: 30 % covered by flood"]
    code, _, err = run(capsys, "explain", small_world, "Q")
    assert code == 2 and err.startswith("error:") and "no site 'Q'" in err


@pytest.mark.parametrize("atomic", [True, False])
def test_killed_while_publishing_leaves_one_whole_answer(capsys, small_world, tmp_path, monkeypatch, atomic):
    """A kill at any rename of the publishing step leaves the old answer or the new, and
    the user's own files in the folder survive."""
    import gis_tool.publish.folders as folders

    out = tmp_path / "o"
    assert run(capsys, "run", small_world, "--out", out)[0] == 0
    (out / "notes.txt").write_text("mine")
    (out / "mine").mkdir()
    (out / "mine" / "a.txt").write_text("a")
    old = (out / "sites.csv").read_bytes()
    real_exchange = folders._exchange if atomic else (lambda a, b: False)
    real_rename, steps, kills = os.rename, [], 0

    def step(fn, k):
        def wrapped(*args):
            if len(steps) == k:
                raise KeyboardInterrupt  # as if killed here
            steps.append(fn.__name__)
            return fn(*args)
        return wrapped

    for k in range(4):   # killed before the 1st, 2nd, ... step of publishing
        steps.clear()
        monkeypatch.setattr(folders, "_exchange", step(real_exchange, k))
        monkeypatch.setattr(folders.os, "rename", step(real_rename, k))
        code = run(capsys, "run", small_world, "--out", out, "--overwrite", "--profile", "cheap")[0]
        monkeypatch.setattr(folders.os, "rename", real_rename)
        kills += code == 130
        assert code in (0, 130)
        if not out.exists():   # killed between the two renames of the fallback
            assert not atomic
            folders._restore_aside(out.resolve())
        manifest = json.loads((out / "run.json").read_text())
        csv = (out / "sites.csv").read_bytes()
        assert (csv == old) == (manifest["profile"] is None)   # one run's files, never a mix
        assert (out / "notes.txt").read_text() == "mine" and (out / "mine" / "a.txt").read_text() == "a"
    assert kills == (1 if atomic else 4)   # every step of publishing was cut once
    monkeypatch.setattr(folders, "_exchange", real_exchange)
    assert run(capsys, "run", small_world, "--out", out, "--overwrite", "--profile", "cheap")[0] == 0
    assert json.loads((out / "run.json").read_text())["profile"] == "cheap"
    assert (out / "notes.txt").read_text() == "mine" and (out / "mine" / "a.txt").read_text() == "a"
    assert not list(out.glob(".tmp-*")) and not (out / ".gis-tool.lock").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".o.")]   # nothing left beside


def test_answer_replaced_whole_drops_files_of_the_old_answer(capsys, small_world, tmp_path):
    """Outputs the new run does not write (its map, with --no-map) are not left behind from
    the old answer; the folder keeps its permissions."""
    out = tmp_path / "o"
    assert run(capsys, "run", small_world, "--out", out)[0] == 0
    os.chmod(out, 0o750)
    assert run(capsys, "run", small_world, "--out", out, "--overwrite", "--no-map")[0] == 0
    assert sorted(p.name for p in out.iterdir()) == ["run.json", "sites.csv", "sites.gpkg", "sites.xlsx"]
    assert (out.stat().st_mode & 0o777) == 0o750


def test_unwritable_out_is_a_clean_error(capsys, small_world):
    code, _, err = run(capsys, "run", small_world, "--out", "/proc/gis-tool-test/out")
    assert code == 2 and err.startswith("error: /proc/gis-tool-test") and "cannot write here" in err
    assert "Traceback" not in err


def test_layers_check_finds_what_run_would_refuse(capsys, small_world):
    world = small_world.parent / "world.gpkg"
    g = pyogrio.read_dataframe(world, layer="parcels")
    g["pid"] = ["A", "A", "C"]
    g.to_file(world, layer="parcels", driver="GPKG")
    small_world.write_text(small_world.read_text() + '[criteria.pts]\nkind = "overlap"\nlayer = "interchanges"\n')
    code, _, err = run(capsys, "layers", "check", small_world)
    assert code == 2
    assert "id field 'pid' is not unique: 'A'" in err
    assert "criteria.pts: layer 'interchanges' holds point geometries" in err


def test_through_clicks_runner(small_world, tmp_path):
    from click.testing import CliRunner

    from gis_tool.cli import cli

    result = CliRunner().invoke(cli, ["-q", "run", str(small_world), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "3 sites scored, 2 eligible" in result.output
    result = CliRunner().invoke(cli, ["layers", "inspect", str(small_world.parent / "world.gpkg"), "--json"])
    assert result.exit_code == 0 and json.loads(result.output)[0]["features"] == 3


def test_sigkill_during_inquiry_leaves_one_whole_answer(small_world, tmp_path):
    """Real kills (SIGKILL) near the end of `gis-tool inquiry --overwrite`: the folder always
    holds one request's whole answer (inquiry.json and matches.csv agree)."""
    import signal
    import subprocess
    import sys
    import time

    reqs = []
    for k, bound in enumerate((400, 150)):
        reqs.append(tmp_path / f"r{k}.toml")
        reqs[-1].write_text(f'[inquiry]\nname = "R{k}"\n[inquiry.require]\nmotorway = {{ max = {bound} }}\n')
    out = tmp_path / "answer"
    cmd = [sys.executable, "-m", "gis_tool.cli", "-q", "inquiry", "--analysis", str(small_world),
           "--out", str(out), "--overwrite"]
    t0 = time.perf_counter()
    subprocess.run([*cmd, str(reqs[0])], check=True, capture_output=True)
    full = time.perf_counter() - t0

    def consistent() -> str:
        manifest = json.loads((out / "inquiry.json").read_text())
        rows = pd.read_csv(out / "matches.csv", encoding="utf-8-sig")
        assert manifest["counts"]["matches"] == len(rows)
        # a killed run may leave its lock (taken over by the next run), nothing else
        assert sorted(p.name for p in out.iterdir() if p.name != ".gis-tool.lock") == sorted(manifest["outputs"])
        return manifest["request"]["name"]

    assert consistent() == "R0"
    for k, share in enumerate((0.9, 0.97, 1.02)):
        proc = subprocess.Popen([*cmd, str(reqs[(k + 1) % 2])], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(full * share)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert consistent() in ("R0", "R1")
