"""Text from analysis files, requests and data files is data, never template source.

folium and branca render their pages with Jinja. A text that reached template source
would be evaluated: ``{{ 7*7 }}`` would show as 49, and ``{{ cycler.__init__... }}``
could run Python on the planner's machine. Here every text a user or a data file
controls carries both payloads, every product is written, and nothing may be evaluated.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from shapely import Point

from gis_tool.cli import main

from .conftest import sq, write_gpkg, write_toml

SEVEN = "Q{{ 7*7 }}Q"          # evaluated, it would read Q49Q
EVAL = "Q49Q"


def side_effect(folder: Path) -> str:
    """A payload that creates ``folder`` if Jinja ever evaluates it."""
    return "{{ cycler.__init__.__globals__.os.makedirs('" + str(folder) + "') }}"


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, Path, Path]:
    """An analysis, a request and the folder the payload would create."""
    boom = tmp_path / "pwned"
    SIDE = side_effect(boom)
    ids = [SEVEN, SIDE, "plain " + SEVEN, "D", "E"]
    parcels = gpd.GeoDataFrame(
        {"pid": ids, SEVEN: [SIDE, SEVEN, SIDE, SEVEN, SIDE], "owner": [SEVEN, SIDE, "kommun", "kommun", SEVEN],
         "price": [100.0, 200.0, 300.0, 150.0, 120.0]},
        geometry=[sq(0, 0, 100), sq(100, 0, 100), sq(200, 0, 100), sq(300, 0, 100), sq(400, 0, 100)],
        crs="EPSG:3006")
    points = gpd.GeoDataFrame({"name": [SEVEN, SIDE], SIDE: [SEVEN, SIDE]},
                              geometry=[Point(350050, 6420150), Point(350350, 6420150)], crs="EPSG:3006")
    plans = gpd.GeoDataFrame({"use": [SEVEN], "status": [SIDE]}, geometry=[sq(-10, -10, 320)], crs="EPSG:3006")
    write_gpkg(tmp_path / "h.gpkg", {"parcels": parcels, "points": points, "plans": plans})
    toml_side = SIDE.replace("'", "''").replace('"', '\\"')
    analysis = write_toml(tmp_path / "h.toml", f"""
        [analysis]
        name = "{SEVEN} {toml_side}"
        [layers.parcels]
        path = "h.gpkg"
        layer = "parcels"
        [layers."{SEVEN}"]
        path = "h.gpkg"
        layer = "points"
        label = "{toml_side}"
        [layers.plans]
        path = "h.gpkg"
        layer = "plans"
        [sites]
        layer = "parcels"
        id = "pid"
        [criteria."{SEVEN}"]
        kind = "distance"
        layer = "{SEVEN}"
        label = {{ sv = "{SEVEN}", en = "{toml_side}" }}
        value = {{ fn = "linear", best = 0, worst = 400 }}
        weight = 2
        [criteria.price]
        kind = "attribute"
        field = "price"
        label = "{toml_side}"
        value = {{ fn = "linear", best = 100, worst = 300 }}
        weight = 1
        [constraints."{SEVEN}"]
        layer = "plans"
        max_share = 0.99
        label = "{toml_side}"
        [profiles."{SEVEN}"]
        label = "{toml_side}"
        weights = {{ price = 3 }}
        [readiness]
        [[readiness.levels]]
        label = {{ sv = "{SEVEN}", en = "{toml_side}" }}
        lead_time_months = 24
        [[readiness.levels]]
        label = {{ sv = "{toml_side}", en = "{SEVEN}" }}
        lead_time_months = 6
        when = [{{ layer = "plans", min_share = 0.5 }}]
        """)
    request = write_toml(tmp_path / "req.toml", f"""
        [inquiry]
        name = "{SEVEN} {toml_side}"
        company = "{toml_side}"
        contact = "{SEVEN}"
        description = "{SEVEN} {toml_side}"
        profile = "{SEVEN}"
        [inquiry.require]
        "{SEVEN}" = {{ max = 1000, label = "{toml_side}" }}
        """)
    return analysis, request, boom


def _texts(folder: Path) -> str:
    parts = []
    for p in sorted(folder.rglob("*")):
        if p.suffix in (".html", ".json", ".csv", ".kml"):
            parts.append(p.read_text(encoding="utf-8-sig"))
    return "\n".join(parts)


def test_planted_text_is_never_evaluated(planted, tmp_path):
    analysis, request, boom = planted
    out = tmp_path / "out"
    assert main(["-q", "run", str(analysis), "--out", str(out / "run"), "--live-weights"]) == 0
    assert main(["-q", "run", str(analysis), "--out", str(out / "run_en"), "--lang", "en",
                 "--profile", SEVEN]) == 0
    assert main(["-q", "map", str(out / "run"), "--out", str(out / "titled.html"),
                 "--title", SEVEN + " " + side_effect(boom)]) == 0
    assert main(["-q", "compare", str(analysis), "--out", str(out / "cmp")]) == 0
    assert main(["-q", "sensitivity", str(analysis), "--out", str(out / "sens"), "--runs", "20"]) == 0
    for lang in ("sv", "en"):
        assert main(["-q", "inquiry", str(request), "--analysis", str(analysis),
                     "--out", str(out / f"inq_{lang}"), "--lang", lang]) == 0
    assert not boom.exists(), "a payload was evaluated as template code"
    text = _texts(out)
    assert EVAL not in text
    pages = list(out.rglob("*.html"))
    assert len(pages) == 6
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert EVAL not in html, page
        # shown literally: as text, or inside JSON data with its first brace as \u007b
        assert SEVEN in html or SEVEN.replace("{", "\\u007b", 1) in html, page
    title = (out / "titled.html").read_text(encoding="utf-8")
    assert "<title>Q{{ 7*7 }}Q {{ cycler" in title


def test_explore_and_result_map_keep_text_literal(planted):
    from gis_tool import run_analysis
    from gis_tool.publish.explore import map_html
    from gis_tool.publish.maps import render_map

    analysis, _, boom = planted
    result = run_analysis(analysis)
    for page in (render_map(result.map()), render_map(result.map(lang="en")), map_html(result)):
        assert EVAL not in page and not boom.exists()


def test_pdf_keeps_text_literal(planted, tmp_path):
    from pypdf import PdfReader

    analysis, request, boom = planted
    out = tmp_path / "inq"
    assert main(["-q", "inquiry", str(request), "--analysis", str(analysis), "--out", str(out)]) == 0
    text = "".join(p.extract_text() for p in PdfReader(out / "meeting_pack.pdf").pages)
    assert SEVEN in text.replace("\n", " ") and EVAL not in text
    assert not boom.exists()


@pytest.mark.browser
def test_browser_shows_planted_text_literally(planted, tmp_path):
    from . import browser

    analysis, _, boom = planted
    out = tmp_path / "run"
    assert main(["-q", "run", str(analysis), "--out", str(out), "--lang", "en"]) == 0
    res = browser.probe(out / "map.html", """
        var texts = [];
        Object.keys(gisTool.index).forEach(function (id) {
            gisTool.openSite(id); texts.push(gisTool.map._popup.getElement().innerText); });
        document.querySelector('.leaflet-control-layers').classList.add('leaflet-control-layers-expanded');
        done({ids: Object.keys(gisTool.index).sort(), texts: texts, title: document.title,
              control: document.querySelector('.leaflet-control-layers').innerText,
              heading: document.querySelector('.gt-title').innerText});
    """)
    assert res.get("error") is None, res
    assert SEVEN in res["ids"] and side_effect(boom) in res["ids"]
    assert res["title"].startswith(SEVEN) and res["heading"].startswith(SEVEN)
    assert "{{ cycler.__init__" in res["control"]        # the label of the layer named {{ 7*7 }}, literally
    assert any(SEVEN in t for t in res["texts"]) and not any(EVAL in t for t in res["texts"])
    assert not boom.exists()
