"""What can be offered now comes first, and answers open well in Excel."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely import Point

from gis_tool import inquiry, run_analysis
from gis_tool.cli import main

from .conftest import X0, Y0, sq, write_gpkg, write_toml


@pytest.fixture
def row_world(tmp_path):
    """Four 100 m parcels in a row from an interchange at x = 0: P1 kommun, P2 privat,
    P3 and P4 kommun. Scores fall with distance: P1 > P2 > P3 > P4."""
    parcels = gpd.GeoDataFrame({"pid": ["P1", "P2", "P3", "P4"], "owner": ["kommun", "privat", "kommun", "kommun"]},
                               geometry=[sq(100 * i, 0, 100) for i in range(4)], crs="EPSG:3006")
    inter = gpd.GeoDataFrame({"name": ["TP"]}, geometry=[Point(X0 - 50, Y0 + 50)], crs="EPSG:3006")
    write_gpkg(tmp_path / "w.gpkg", {"parcels": parcels, "interchanges": inter})
    return write_toml(tmp_path / "w.toml", """
        [analysis]
        name = "Rad"
        [layers.parcels]
        path = "w.gpkg"
        layer = "parcels"
        [layers.interchanges]
        path = "w.gpkg"
        layer = "interchanges"
        [sites]
        layer = "parcels"
        id = "pid"
        [criteria.motorway]
        kind = "distance"
        layer = "interchanges"
        label = { sv = "Avstånd till trafikplats", en = "Distance to interchange" }
        value = { fn = "linear", best = 0, worst = 1000 }
        [offer]
        now = [{ field = "owner", in = ["kommun"] }]
        label = { sv = "Kommunal mark", en = "Municipal land" }
        otherwise = { sv = "Privat mark", en = "Private land" }
        """)


def _request(tmp_path, lo, hi):
    return write_toml(tmp_path / "r.toml", f'[inquiry]\nname = "Förfrågan"\nmin_area_m2 = {lo}\nmax_area_m2 = {hi}\n')


def test_every_site_says_whether_it_can_be_offered_now(row_world):
    s = run_analysis(row_world).sites.set_index("site_id")
    assert s["offer_now"].to_dict() == {"P1": True, "P2": False, "P3": True, "P4": True}


def test_without_offer_every_site_can_be_offered(small_world):
    assert run_analysis(small_world).sites["offer_now"].all()


def test_single_sites_offered_now_first(row_world, tmp_path):
    m = inquiry(_request(tmp_path, 5000, 15000), row_world).matches
    assert m["site_id"].tolist() == ["P1", "P3", "P4", "P2"]      # P2 scores second but is private
    assert m["rank"].tolist() == [1, 2, 3, 4] and m["offer_now"].tolist() == [True, True, True, False]


def test_combinations_offered_only_when_every_part_is(row_world, tmp_path):
    m = inquiry(_request(tmp_path, 15000, 30000), row_world).matches.set_index("site_id")
    assert list(m.index) == ["P3 + P4", "P1 + P2", "P2 + P3"]       # offer-now first, then score
    assert m["offer_now"].to_dict() == {"P3 + P4": True, "P1 + P2": False, "P2 + P3": False}
    assert m["owners"].to_dict() == {"P3 + P4": 1, "P1 + P2": 2, "P2 + P3": 2}


def test_xlsx_has_labels_numbers_and_a_frozen_header(row_world, tmp_path, capsys):
    out = tmp_path / "inq"
    assert main(["-q", "inquiry", str(_request(tmp_path, 5000, 15000)), "--analysis", str(row_world),
                 "--out", str(out), "--lang", "sv"]) == 0
    ws = load_workbook(out / "matches.xlsx").active
    head = [c.value for c in ws[1]]
    assert head[:3] == ["Plats-id", "Rang", "Poäng (0–100)"] and "Kan erbjudas nu" in head
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    csv = pd.read_csv(out / "matches.csv", encoding="utf-8-sig")
    assert [r[0] for r in rows] == csv["site_id"].tolist()
    score = head.index("Poäng (0–100)")
    assert all(isinstance(r[score], (int, float)) and not isinstance(r[score], bool) for r in rows)   # not text
    assert [r[score] for r in rows] == pytest.approx(csv["score"].tolist())
    assert [r[head.index("Kan erbjudas nu")] for r in rows] == [True, True, True, False]
    assert ws.freeze_panes == "A2" and ws.column_dimensions["A"].width >= 10
    assert main(["-q", "run", str(row_world), "--out", str(tmp_path / "run"), "--lang", "en"]) == 0
    capsys.readouterr()
    ws = load_workbook(tmp_path / "run" / "sites.xlsx").active
    head = [c.value for c in ws[1]]
    assert "Distance to interchange (m)" in head and "Can be offered now" in head and "motorway_raw" not in head
    assert ws.max_row == 5


def test_xlsx_cells_keep_their_kind_and_leave_missing_values_empty(tmp_path):
    from gis_tool.publish.xlsx import write_xlsx

    df = pd.DataFrame({
        "x": [1.5, np.nan, np.inf, -2.0],
        "n": pd.array([3, None, 5, 6], dtype="Int64"),
        "ok": pd.array([True, None, False, True], dtype="boolean"),
        "flag": np.array([True, False, True, False]),
        "mixed": ["=1+1", 7, None, True],
        "text": pd.array(["a", None, "c", "d"], dtype="string"),
    })
    assert write_xlsx(df, tmp_path / "t.xlsx", headers=list(df.columns), sheet="t")
    rows = [[c.value for c in r] for r in load_workbook(tmp_path / "t.xlsx").active.iter_rows(min_row=2)]
    assert rows == [[1.5, 3, True, True, "=1+1", "a"],
                    [None, None, None, False, 7, None],
                    [None, 5, False, True, None, "c"],
                    [-2, 6, True, False, True, "d"]]
    assert isinstance(rows[0][1], (int, float)) and not isinstance(rows[0][1], bool)


def test_map_popup_says_what_can_be_offered(row_world, small_world):
    from gis_tool.publish.maps import render_map, site_map

    page = render_map(site_map(run_analysis(row_world), lang="en"))
    assert '"offer": {"yes": "Municipal land", "no": "Private land"}' in page and '"offer_now"' in page
    assert '"offer": null' in render_map(site_map(run_analysis(small_world), lang="en"))


@pytest.fixture
def housing_world(row_world):
    """The row of parcels with housing to the east: a polygon from x = 450 m. Distances
    from the parcels: P1 350 m, P2 250 m, P3 150 m, P4 50 m."""
    housing = gpd.GeoDataFrame({"n": [1]}, geometry=[sq(450, -100, 200, 300)], crs="EPSG:3006")
    write_gpkg(row_world.parent / "w.gpkg", {"housing": housing})
    row_world.write_text(row_world.read_text() + '\n[layers.housing]\npath = "w.gpkg"\nlayer = "housing"\n')
    return row_world


def test_request_may_bound_the_distance_to_any_layer(housing_world, tmp_path):
    req = write_toml(tmp_path / "r.toml", """
        [inquiry]
        name = "Långt från bostäder"
        min_area_m2 = 5000
        max_area_m2 = 15000
        near_miss = 0.3
        [inquiry.require]
        housing = { layer = "housing", min_distance_m = 200 }
        """)
    res = inquiry(req, housing_world, lang="en")
    m = res.matches.set_index("site_id")
    assert list(m.index) == ["P1", "P2"] and m["housing"].to_dict() == {"P1": 350.0, "P2": 250.0}
    near = res.near_misses.set_index("site_id")
    assert list(near.index) == ["P3"]                      # 150 m >= 200 x 0.7; P4 (50 m) is too near
    assert near.loc["P3", "housing_short"] == pytest.approx(50.0)
    assert near.loc["P3", "misses"] == "housing: 150 m, 50 m short of 200 m"


def test_combination_parts_must_each_meet_a_layer_bound(housing_world, tmp_path):
    req = write_toml(tmp_path / "r.toml", """
        [inquiry]
        name = "Två tomter"
        min_area_m2 = 15000
        max_area_m2 = 30000
        [inquiry.require]
        housing = { layer = "housing", min_distance_m = 200 }
        """)
    assert inquiry(req, housing_world).matches["site_id"].tolist() == ["P1 + P2"]   # P2 + P3: P3 too near


def test_layer_bound_errors(housing_world, tmp_path, capsys):
    for body, words in (('x = { layer = "housng", min_distance_m = 1 }', "did you mean 'housing'"),
                        ('x = { layer = "housing" }', "needs one of"),
                        ('x = { layer = "housing", max_share = 2 }', "at most 1")):
        req = write_toml(tmp_path / "r.toml", f'[inquiry]\nname = "R"\n[inquiry.require]\n{body}\n')
        assert main(["inquiry", str(req), "--analysis", str(housing_world), "--out", str(tmp_path / "o")]) == 2
        assert words in capsys.readouterr().err


def test_fields_are_labelled_in_the_pack_the_map_and_the_workbook(row_world, tmp_path, capsys):
    """No raw column name reaches the investor where a label exists."""
    row_world.write_text(row_world.read_text() + """
[fields.owner]
label = { sv = "Ägare", en = "Landowner" }
values = { kommun = { sv = "Kommunen", en = "The municipality" }, privat = { sv = "Privat", en = "Private" } }
""")
    out = tmp_path / "inq"
    assert main(["-q", "inquiry", str(_request(tmp_path, 5000, 15000)), "--analysis", str(row_world),
                 "--out", str(out), "--lang", "en"]) == 0
    capsys.readouterr()
    from pypdf import PdfReader

    pdf = " ".join(p.extract_text() for p in PdfReader(out / "meeting_pack.pdf").pages)
    assert "Landowner" in pdf and "The municipality" in pdf and "Private" in pdf
    assert "owner" not in pdf.replace("Landowner", "") and "privat" not in pdf
    page = (out / "map.html").read_text(encoding="utf-8")
    assert '"attributeLabels": {"owner": "Landowner"}' in page
    assert '"valueLabels": {"owner": {"kommun": "The municipality", "privat": "Private"}}' in page
    assert main(["-q", "run", str(row_world), "--out", str(tmp_path / "run"), "--lang", "sv"]) == 0
    ws = load_workbook(tmp_path / "run" / "sites.xlsx").active
    assert "Ägare" in [c.value for c in ws[1]] and "owner" not in [c.value for c in ws[1]]


def test_a_column_a_criterion_scores_is_listed_once_in_the_pack(row_world, tmp_path, capsys):
    """A site attribute that an attribute criterion reads (the asking price) appears once
    among a site's facts, with the criteria, not again among its attributes; the
    criterion's unit is its column's."""
    import pyogrio

    gpkg = row_world.parent / "w.gpkg"
    parcels = pyogrio.read_dataframe(gpkg, layer="parcels")
    parcels["price"] = [400.0, 900.0, 250.0, 700.0]
    pyogrio.write_dataframe(parcels, gpkg, layer="parcels")
    row_world.write_text(row_world.read_text() + """
[criteria.price]
kind = "attribute"
field = "price"
label = { sv = "Begärt pris", en = "Asking price" }
value = { fn = "linear", best = 100, worst = 1000 }
[fields.price]
label = { sv = "Begärt pris", en = "Asking price" }
unit = "kr/m²"
""")
    out = tmp_path / "inq"
    assert main(["-q", "inquiry", str(_request(tmp_path, 5000, 15000)), "--analysis", str(row_world),
                 "--out", str(out), "--lang", "en"]) == 0
    capsys.readouterr()
    from pypdf import PdfReader

    pages = [p.extract_text() for p in PdfReader(out / "meeting_pack.pdf").pages]
    site_pages = [t for t in pages if "Key facts" in t]
    assert len(site_pages) == 4
    for text in site_pages:
        assert text.count("Asking price") == 1, text
    # the criterion has no unit of its own: it takes its column's, never the column's name
    assert "Asking price 400 kr/m²" in site_pages[0] and "price" not in site_pages[0].replace("Asking price", "")


def test_a_criterion_without_a_unit_shows_none_not_its_column(small_world):
    """A criterion reading a column, with no unit of its own nor from [fields], has no
    unit: the column's name is never shown as one."""
    small_world.write_text(small_world.read_text().replace("[constraints.flood]", """[criteria.price]
kind = "attribute"
field = "price"
value = { fn = "linear", best = 100, worst = 1000 }

[constraints.flood]"""))
    from gis_tool.text import with_unit

    row = [c for c in run_analysis(small_world).explain("A").criteria if c["name"] == "price"][0]
    assert row["unit"] == "" and with_unit(row["raw"], row["unit"], "en") == "100"
