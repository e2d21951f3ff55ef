"""Investor inquiries: matches, near misses, combined sites, outputs and the meeting pack.

Fixture (metres from the origin of conftest): the interchange is a point at (0, 100).

    A 200x200 (4 ha) at x 0..200     touches B; motorway 0 m
    B 200x200 (4 ha) at x 200..400   motorway 200 m
    C 300x200 (6 ha) at x 1000..1300 motorway 1000 m
    D 200x200 (4 ha) at x 1301..1501 1 m from C;  D2 (4 ha) 1 m from D
    E 250x200 (5 ha) at x -2550..-2300, motorway exactly 2 300 m
    F, G, H 100x200 (2 ha each) in a row at y 1000..1200, x 0..300

Criteria: motorway linear 0 (best) .. 4000 m, size linear 0 .. 80 000 m2, equal weights,
so a score is 50 x (motorway value + size value): A 75, B 72.5, C 75.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import Point

from gis_tool import inquiry
from gis_tool.cli import main
from gis_tool.errors import InputError
from gis_tool.studies.inquiry import adjacent_pairs

from .conftest import CRS, X0, Y0, sq, write_gpkg, write_toml

ANALYSIS = """
[analysis]
name = "Inquiry world"

[layers.parcels]
path = "iq.gpkg"
layer = "parcels"
[layers.interchanges]
path = "iq.gpkg"
layer = "interchanges"

[sites]
layer = "parcels"
id = "pid"

[criteria.motorway]
kind = "distance"
layer = "interchanges"
value = { fn = "linear", best = 0, worst = 4000 }
label = { sv = "Avstånd till trafikplats", en = "Distance to interchange" }

[criteria.size]
kind = "area"
value = { fn = "linear", best = 80000, worst = 0 }

[readiness]
[[readiness.levels]]
label = { sv = "Privat mark", en = "Private land" }
lead_time_months = 24
[[readiness.levels]]
label = { sv = "Kommunal mark", en = "Municipal land" }
lead_time_months = 6
when = [{ field = "owner", in = ["kommun"] }]

[profiles.quick]
weights = { motorway = 3, size = 1 }
"""


@pytest.fixture
def world(tmp_path: Path) -> Path:
    ids = ["A", "B", "C", "D", "D2", "E", "F", "G", "H"]
    geoms = [sq(0, 0, 200), sq(200, 0, 200), sq(1000, 0, 300, 200), sq(1301, 0, 200), sq(1502, 0, 200),
             sq(-2550, 0, 250, 200), sq(0, 1000, 100, 200), sq(100, 1000, 100, 200), sq(200, 1000, 100, 200)]
    owners = ["kommun", "kommun", "privat", "kommun", "kommun", "kommun", "kommun", "kommun", "kommun"]
    parcels = gpd.GeoDataFrame({"pid": ids, "owner": owners}, geometry=geoms, crs=CRS)
    inter = gpd.GeoDataFrame({"name": ["TP"]}, geometry=[Point(X0, Y0 + 100)], crs=CRS)
    write_gpkg(tmp_path / "iq.gpkg", {"parcels": parcels, "interchanges": inter})
    return write_toml(tmp_path / "analysis.toml", ANALYSIS)


def request(tmp_path: Path, body: str, name: str = "request.toml") -> Path:
    return write_toml(tmp_path / name, "[inquiry]\nname = \"Åby Lager AB: förfrågan\"\n" + body)


BASIC = """
min_area_m2 = 50000
max_area_m2 = 80000
[inquiry.require]
motorway = { max = 2000 }
"""


def test_matches_combined_and_near_misses(world, tmp_path):
    res = inquiry(request(tmp_path, BASIC), world, lang="en")
    m = res.matches
    assert m["site_id"].tolist() == ["C", "A + B", "F + G + H"]
    assert m["rank"].tolist() == [1, 2, 3]
    assert m["score"].tolist()[:2] == pytest.approx([75.0, (75 * 4 + 72.5 * 4) / 8])
    assert m["area_m2"].tolist() == pytest.approx([60000, 80000, 60000])
    assert m["parts"].tolist() == ["", "A; B", "F; G; H"]
    assert res.combined["site_id"].tolist() == ["A + B", "F + G + H"]
    near = res.near_misses.set_index("site_id")
    assert set(near.index) == {"A", "B", "D", "D2", "E"}
    assert near.loc["E", "misses"] == "motorway: 2 300 m, 300 m more than the 2 000 m asked"
    assert near.loc["E", "motorway_short"] == pytest.approx(300)
    assert pd.isna(near.loc["E", "area_short"])
    assert near.loc["A", "misses"] == "area: 4 ha, 1 ha short of 5 ha"
    assert near.loc["A", "area_short"] == pytest.approx(1.0)
    assert pd.isna(near.loc["A", "motorway_short"])


def test_swedish_near_miss_sentences(world, tmp_path):
    near = inquiry(request(tmp_path, BASIC), world, lang="sv").near_misses.set_index("site_id")
    assert near.loc["E", "misses"] == "motorway: 2 300 m, 300 m längre än de 2 000 m som efterfrågas"
    assert near.loc["A", "misses"] == "areal: 4 ha, 1 ha mindre än de 5 ha som efterfrågas"


def test_sites_one_metre_apart_are_not_combined(world, tmp_path):
    res = inquiry(request(tmp_path, BASIC), world)
    assert not any("D" in s for s in res.combined["site_id"])   # D and D2 are 1 m apart, C and D too
    s = res.result.sites.set_index("site_id")
    pairs = adjacent_pairs(s.loc[["C", "D", "D2", "A", "B"]].geometry.to_numpy())
    assert pairs.tolist() == [[3, 4]]                            # only A-B share an edge


def test_corner_touch_is_not_shared_boundary():
    from shapely import box

    g = [box(0, 0, 1, 1), box(1, 1, 2, 2), box(1, 0, 2, 1)]
    assert adjacent_pairs(gpd.GeoSeries(g).to_numpy()).tolist() == [[0, 2], [1, 2]]


def test_ranks_ties_by_site_id_and_minimal_combinations(world, tmp_path):
    res = inquiry(request(tmp_path, """
        min_area_m2 = 30000
        max_area_m2 = 70000
        [inquiry.require]
        motorway = { max = 2000 }
        """), world, lang="en")
    ids = res.matches["site_id"].tolist()
    assert ids[:5] == ["A", "C", "B", "D", "D2"]   # A and C both 75: by id
    # F, G, H are 2 ha each: F+G and G+H reach 4 ha; the triple holds a good pair already.
    assert ids[5:] == ["F + G", "G + H"]
    assert res.matches["rank"].tolist() == list(range(1, 8))


def test_readiness_bounds(world, tmp_path):
    res = inquiry(request(tmp_path, BASIC + "", name="r1.toml"), world)
    assert "C" in res.matches["site_id"].tolist()
    strict = inquiry(request(tmp_path, "min_readiness = 1\n" + BASIC, name="r2.toml"), world, lang="en")
    assert "C" not in strict.matches["site_id"].tolist()          # C is private land: level 0
    assert "C" not in strict.near_misses["site_id"].tolist()      # a level is not a near miss
    lead = inquiry(request(tmp_path, "max_lead_time_months = 20\n" + BASIC, name="r3.toml"), world, lang="en")
    near = lead.near_misses.set_index("site_id")
    assert near.loc["C", "misses"] == "lead time: 24 months, 4 months more than the 20 months asked"
    assert near.loc["C", "lead_time_short"] == 4


def test_requirement_on_a_site_column(world, tmp_path):
    res = inquiry(request(tmp_path, BASIC + 'owner = { in = ["privat"] }\n'), world)
    assert res.matches["site_id"].tolist() == ["C"]
    assert res.matches["owner"].tolist() == ["privat"]


def test_no_match_says_which_requirement_rules_out_most(world, tmp_path):
    res = inquiry(request(tmp_path, """
        min_area_m2 = 50000
        max_area_m2 = 80000
        [inquiry.require]
        motorway = { max = 10 }
        """), world, lang="en")
    assert len(res.matches) == 0 and len(res.combined) == 0
    assert res.near_misses["site_id"].tolist() == ["A"]
    assert res.blockers[0] == {"requirement": "motorway", "asked": "max 10 m", "sites": 2}   # C and E
    text = res.summary()
    assert "no site matches" in text and "without the motorway requirement (max 10 m), 2 site(s) would match" in text


def test_profile_weights_apply(world, tmp_path):
    res = inquiry(request(tmp_path, 'profile = "quick"\n' + BASIC), world)
    # motorway 3, size 1: C = 100 x (0.75 x 0.75 + 0.25 x 0.75) = 75; A = 100 x (0.75 + 0.25 x 0.5)
    # = 87.5, B = 100 x (0.75 x 0.95 + 0.125) = 83.75, so A + B = 85.625 scores higher, but
    # single sites come before combinations (DESIGN 3.11).
    by = res.matches.set_index("site_id")["score"]
    assert by["C"] == pytest.approx(75.0) and by["A + B"] == pytest.approx(85.625)
    assert res.matches["site_id"].tolist()[:2] == ["C", "A + B"]
    assert res.result.profile == "quick"


def test_bad_request_lists_every_problem(world, tmp_path):
    bad = request(tmp_path, """
        min_aera_m2 = 5
        profile = "quik"
        [inquiry.require]
        motorwya = { max = 2000 }
        """)
    with pytest.raises(InputError) as exc:
        inquiry(bad, world)
    msg = str(exc.value)
    assert "3 problems" in msg
    assert "inquiry.min_aera_m2" in msg and "did you mean 'min_area_m2'" in msg
    assert "inquiry.require.motorwya" in msg and "did you mean 'motorway'" in msg
    assert "inquiry.profile" in msg and "did you mean 'quick'" in msg


def test_request_needs_readiness_for_readiness_bounds(world, tmp_path):
    text = world.read_text(encoding="utf-8")
    world.write_text(text[:text.index("[readiness]")] + text[text.index("[profiles.quick]"):], encoding="utf-8")
    with pytest.raises(InputError, match=r"inquiry\.min_readiness: needs a readiness ladder"):
        inquiry(request(tmp_path, "min_readiness = 1\n" + BASIC), world)


def test_cli_writes_everything(world, tmp_path, capsys):
    out = tmp_path / "out"
    req = request(tmp_path, "top = 2\n" + BASIC)
    assert main(["-q", "inquiry", str(req), "--analysis", str(world), "--out", str(out), "--lang", "sv"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"matches.csv", "matches.gpkg", "matches.kml", "near_misses.csv", "map.html",
            "meeting_pack.pdf", "inquiry.json"} <= names
    m = pd.read_csv(out / "matches.csv", encoding="utf-8-sig")
    assert list(m.columns[:6]) == ["site_id", "rank", "score", "area_m2", "readiness_level", "lead_time_months"]
    assert "motorway" in m.columns and "parts" in m.columns
    assert m["site_id"].tolist() == ["C", "A + B", "F + G + H"]
    n = pd.read_csv(out / "near_misses.csv", encoding="utf-8-sig")
    assert list(n.columns[:3]) == ["site_id", "score", "misses"] and "motorway_short" in n.columns
    g = gpd.read_file(out / "matches.gpkg", layer="matches")
    assert len(g) == 3 and g.crs.to_epsg() == 3006
    kml = gpd.read_file(out / "matches.kml")
    assert len(kml) == 3 and kml["Name"].tolist()[0] == "1. C"
    info = json.loads((out / "inquiry.json").read_text(encoding="utf-8"))
    assert info["counts"]["matches"] == 3 and info["counts"]["near_misses"] == 5
    assert len(info["request"]["sha256"]) == 64 and len(info["analysis"]["sha256"]) == 64
    assert "Åby Lager AB: förfrågan" in capsys.readouterr().out


def test_meeting_pack_pages_and_text(world, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "out"
    req = request(tmp_path, "top = 2\n" + BASIC)
    assert main(["-q", "inquiry", str(req), "--analysis", str(world), "--out", str(out)]) == 0
    pages = [p.extract_text() for p in PdfReader(out / "meeting_pack.pdf").pages]
    assert len(pages) == 1 + 2 + 1                              # cover + top 2 of 3 matches + near misses
    assert "Nästan-träffar" in pages[3] and "E" in pages[3]
    assert "Åby Lager AB: förfrågan" in pages[0] and "Förfrågan" in pages[0]
    assert "Inquiry world" in pages[0]
    assert "1. C" in pages[1] and "2. A + B" in pages[2]
    assert "Avstånd till trafikplats" in pages[1]


def test_meeting_pack_with_no_matches_is_a_cover_and_its_near_misses(world, tmp_path):
    from pypdf import PdfReader

    out = tmp_path / "out"
    req = request(tmp_path, BASIC.replace("max = 2000", "max = 10"))
    assert main(["-q", "inquiry", str(req), "--analysis", str(world), "--out", str(out), "--lang", "en"]) == 0
    pages = [p.extract_text() for p in PdfReader(out / "meeting_pack.pdf").pages]
    assert len(pages) == 2 and "No site meets the request" in pages[0] and "Near misses" in pages[1]
    assert "How the request could be met" in pages[0]


def test_cli_bad_request_exit_2(world, tmp_path, capsys):
    req = request(tmp_path, "[inquiry.require]\nnothing = { max = 1 }\n")
    assert main(["inquiry", str(req), "--analysis", str(world), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err and "inquiry.require.nothing" in err
    assert not (tmp_path / "o").exists()


@pytest.mark.browser
def test_browser_inquiry_map(world, tmp_path):
    from gis_tool.publish.maps import inquiry_map, save_map

    from . import browser

    res = inquiry(request(tmp_path, BASIC), world, lang="en")
    page = save_map(inquiry_map(res), tmp_path / "map.html")
    probe = browser.probe(page, """
        var els = document.querySelectorAll('.gt-rank-label');
        var labels = Array.prototype.map.call(els, function (e) { return e.innerText; });
        done({labels: labels, layers: Object.keys(gisTool.layers).sort(),
              title: document.querySelector('.gt-title').innerText,
              legend: (document.querySelector('.gt-overlay-legend') || {}).innerText || null,
              supply: document.querySelector('.gt-supply') !== null});
    """)
    assert probe.get("error") is None, probe
    assert sorted(probe["labels"]) == ["1", "2", "3"]
    assert probe["layers"] == ["Combined sites", "Matching sites", "Near misses", "interchanges"]
    # the request in words (the criterion's label, not its key), a legend of the outlines
    assert "Åby Lager AB: förfrågan" in probe["title"] and "Distance to interchange ≤ 2 000" in probe["title"]
    assert "motorway" not in probe["title"]
    assert all(w in probe["legend"] for w in ("Matching sites", "Near misses", "Combined sites"))
    assert probe["supply"] is False and '"supplyPanel": false' in page.read_text(encoding="utf-8")
    assert "Target" not in probe["title"]     # the municipality's shortfall is not the investor's business


@pytest.mark.browser
def test_browser_numbered_markers_stay_legible_zoomed_out(world, tmp_path):
    """Zoomed far out the three numbers would sit on one spot: only the best shows; zoomed
    in, all three."""
    from gis_tool.publish.maps import inquiry_map, save_map

    from . import browser

    page = save_map(inquiry_map(inquiry(request(tmp_path, BASIC), world, lang="en")), tmp_path / "map.html")
    probe = browser.probe(page, """
        function visible() { return Array.prototype.filter.call(document.querySelectorAll('.gt-rank-label'),
            function (e) { return e.style.opacity !== '0'; }).map(function (e) { return e.innerText; }); }
        gisTool.map.setZoom(6, {animate: false});
        setTimeout(function () {
            var far = visible();
            gisTool.map.setZoom(16, {animate: false});
            setTimeout(function () { done({far: far, near: visible()}); }, 300);
        }, 300);
    """)
    assert probe.get("error") is None, probe
    assert probe["far"] == ["1"] and sorted(probe["near"]) == ["1", "2", "3"]
