"""The meeting pack an investor can be handed: pages without near-duplicates, near misses,
and what would make a request match when nothing does."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from pypdf import PdfReader

from gis_tool import inquiry
from gis_tool.cli import main

from .conftest import sq, write_gpkg, write_toml
from .test_offer import row_world  # noqa: F401  (fixture)


@pytest.fixture
def housing_row(row_world):  # noqa: F811
    """The row with housing to the east: distances P1 350, P2 250, P3 150, P4 50 m."""
    housing = gpd.GeoDataFrame({"n": [1]}, geometry=[sq(450, -100, 200, 300)], crs="EPSG:3006")
    write_gpkg(row_world.parent / "w.gpkg", {"housing": housing})
    row_world.write_text(row_world.read_text() + '\n[layers.housing]\npath = "w.gpkg"\nlayer = "housing"\n')
    return row_world


def test_a_parcel_is_in_at_most_one_combination_page(row_world, tmp_path, capsys):  # noqa: F811
    req = write_toml(tmp_path / "r.toml", '[inquiry]\nname = "R"\nmin_area_m2 = 15000\nmax_area_m2 = 30000\n')
    m = inquiry(req, row_world).matches.set_index("site_id")
    assert m["page"].to_dict() == {"P3 + P4": True, "P1 + P2": True, "P2 + P3": False}
    assert m.loc["P2 + P3", "shares"] == "P2; P3" and m.loc["P1 + P2", "shares"] == ""
    out = tmp_path / "o"
    assert main(["-q", "inquiry", str(req), "--analysis", str(row_world), "--out", str(out)]) == 0
    capsys.readouterr()
    pages = PdfReader(out / "meeting_pack.pdf").pages
    assert len(pages) == json.loads((out / "inquiry.json").read_text())["counts"]["pages"] == 3
    assert "P3 + P4" in pages[1].extract_text() and "P1 + P2" in pages[2].extract_text()


def test_near_misses_get_a_page(housing_row, tmp_path, capsys):
    req = write_toml(tmp_path / "r.toml", """
        [inquiry]
        name = "R"
        near_miss = 0.3
        [inquiry.require]
        housing = { layer = "housing", min_distance_m = 200 }
        """)
    out = tmp_path / "o"
    assert main(["-q", "inquiry", str(req), "--analysis", str(housing_row), "--out", str(out), "--lang", "en"]) == 0
    capsys.readouterr()
    pages = PdfReader(out / "meeting_pack.pdf").pages
    assert len(pages) == 1 + 2 + 1                          # cover, P1 and P2, the near misses
    last = pages[-1].extract_text()
    # in words on the page (the layer's name: it has no label), by key in near_misses.csv
    assert "Near misses" in last and "P3" in last and "Distance to housing: 150 m, 50 m short of 200 m" in last


def test_when_nothing_matches_the_smallest_relaxations_are_offered(housing_row, tmp_path, capsys):
    """Three requirements that exclude each other two by two: no single change helps,
    every pair of changes gives one match."""
    req = write_toml(tmp_path / "r.toml", """
        [inquiry]
        name = "Omöjlig"
        [inquiry.require]
        motorway = { max = 100 }                              # P1 only
        owner = { in = ["privat"] }                           # P2 only
        housing = { layer = "housing", max_distance_m = 100 }  # P4 only
        """)
    res = inquiry(req, housing_row, lang="en")
    assert not len(res.matches)
    relax = res.relaxations
    assert len(relax) == 3 and all(len(r["changes"]) >= 2 and r["matches"] == 1 for r in relax)
    by = {frozenset(c["requirement"] for c in r["changes"]): r for r in relax}
    mh = by[frozenset({"motorway", "housing"})]          # P2: motorway 150 m, housing 250 m
    assert {(c["requirement"], c["from"], c["to"]) for c in mh["changes"]} == {
        ("motorway", 100.0, 150.0), ("housing", 100.0, 250.0)}
    oh = by[frozenset({"owner", "housing"})]            # P1: owner test dropped, housing 350 m
    assert {(c["requirement"], c["to"]) for c in oh["changes"]} == {("owner", None), ("housing", 350.0)}
    assert "Distance to interchange from 100 m to 150 m" in mh["text"] and mh["text"].endswith("1 sites match")
    out = tmp_path / "o"
    assert main(["-q", "inquiry", str(req), "--analysis", str(housing_row), "--out", str(out), "--lang", "en"]) == 0
    capsys.readouterr()
    doc = json.loads((out / "inquiry.json").read_text())
    assert [len(r["changes"]) for r in doc["relaxations"]] == [2, 2, 2]
    cover = PdfReader(out / "meeting_pack.pdf").pages[0].extract_text().replace("\n", " ")
    assert "How the request could be met" in cover and "Distance to housing from 100 m to 250 m" in cover


def test_one_change_is_preferred_to_two(housing_row, tmp_path):
    req = write_toml(tmp_path / "r.toml", '[inquiry]\nname = "R"\n[inquiry.require]\n'
                                          'motorway = { max = 100 }\nowner = { in = ["privat"] }\n')
    relax = inquiry(req, housing_row, lang="en").relaxations
    assert [len(r["changes"]) for r in relax] == [1, 1]
    assert {r["changes"][0]["requirement"] for r in relax} == {"motorway", "owner"}


def test_static_maps_have_a_legend_place_names_and_the_way_to_the_interchange(row_world):  # noqa: F811
    from shapely import Point

    from gis_tool import run_analysis
    from gis_tool.publish.map_data import map_data
    from gis_tool.publish.static_maps import overview_figure, site_figure

    from .conftest import X0, Y0

    urban = gpd.GeoDataFrame({"name": ["Lillby"], "population_2020": [900]},
                             geometry=[Point(X0 + 250, Y0 + 180)], crs="EPSG:3006")
    write_gpkg(row_world.parent / "w.gpkg", {"urban_areas": urban})
    row_world.write_text(row_world.read_text() + '\n[layers.urban_areas]\npath = "w.gpkg"\nlayer = "urban_areas"\n'
                         'label = { sv = "Tätorter", en = "Towns" }\n')
    res = run_analysis(row_world, lang="en")
    data = map_data(res)
    site = res.sites.set_index("site_id").geometry["P3"]
    ax = site_figure(data, site, lang="en").axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert "  Lillby" in texts                                    # the place name
    assert "250 m to the interchange" in texts                    # P3's edge is 250 m from it
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "The site" and "Towns" in legend and "interchanges" in legend
    ax = overview_figure(data, [(1, site)], None, lang="sv").axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()][0] == "Matchande platser"
