"""Each product is one function; the CLI only parses options and calls it."""

from __future__ import annotations

import json

import gis_tool
from gis_tool.cli import main


def _files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix in (".csv", ".kml")}


def test_run_from_python_writes_what_the_cli_writes(small_world, tmp_path, capsys):
    done = gis_tool.publish_run(small_world, tmp_path / "py", lang="en")
    assert main(["-q", "run", str(small_world), "--out", str(tmp_path / "cli"), "--lang", "en"]) == 0
    capsys.readouterr()
    assert sorted(done.files) == sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert _files(tmp_path / "py") == _files(tmp_path / "cli")
    assert done.result.sites["eligible"].sum() == 2


def test_inquiry_sensitivity_compare_from_python(small_world, tmp_path, capsys):
    req = tmp_path / "r.toml"
    req.write_text('[inquiry]\nname = "R"\n[inquiry.require]\nmotorway = { max = 400 }\n')
    inq = gis_tool.answer_inquiry(req, small_world, tmp_path / "inq", lang="en")
    assert main(["-q", "inquiry", str(req), "--analysis", str(small_world), "--out", str(tmp_path / "inq2"),
                 "--lang", "en"]) == 0
    assert sorted(inq.files) == sorted(p.name for p in (tmp_path / "inq2").iterdir())
    assert _files(tmp_path / "inq") == _files(tmp_path / "inq2")
    sens = gis_tool.write_sensitivity(small_world, tmp_path / "s", runs=50, seed=3)
    assert json.loads((tmp_path / "s" / "sensitivity.json").read_text())["runs"] == 50
    assert sorted(sens.files) == ["sensitivity.json", "stability.csv", "stability.png", "sweeps.csv"]
    cmp = gis_tool.write_compare(small_world, tmp_path / "c")
    assert list(cmp.table.columns) == ["site_id", "rank_base", "rank_cheap", "top_in_all"]
    capsys.readouterr()
