"""Maps: self-contained, escaped, bilingual; checked in the page itself by Chromium."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest

from gis_tool import run_analysis
from gis_tool.cli import main
from gis_tool.publish.maps import TEXT, render_map, safe_json, save_map, site_map

from . import browser
from .conftest import sq, write_gpkg, write_toml

PAYLOAD = "<img src=x onerror=window.__pwned=1>"
TEMPLATE = "${window.__pwned=2}"


@pytest.fixture
def hostile(tmp_path):
    """Site ids, a field name and a layer name that try to run script."""
    parcels = gpd.GeoDataFrame(
        {"pid": [PAYLOAD, TEMPLATE, "plain"], PAYLOAD + "owner": ["<b>x</b>", "y", "z"]},
        geometry=[sq(0, 0, 100), sq(200, 0, 100), sq(400, 0, 100)], crs="EPSG:3006")
    from shapely import Point

    roads = gpd.GeoDataFrame({"name": [PAYLOAD]}, geometry=[Point(350100, 6420050)], crs="EPSG:3006")
    write_gpkg(tmp_path / "h.gpkg", {"parcels": parcels, "roads": roads})
    return write_toml(tmp_path / "h.toml", f"""
        [analysis]
        name = "{PAYLOAD}"
        [layers.parcels]
        path = "h.gpkg"
        layer = "parcels"
        [layers."{PAYLOAD}"]
        path = "h.gpkg"
        layer = "roads"
        [sites]
        layer = "parcels"
        id = "pid"
        [criteria.near]
        kind = "distance"
        layer = "{PAYLOAD}"
        label = "{PAYLOAD}"
        value = {{ fn = "linear", best = 0, worst = 400 }}
        """)


def test_page_is_self_contained(small_world):
    page = render_map(site_map(run_analysis(small_world)))
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert True
    assert "Leaflet" in page and "gisTool.sitesLayer" in page
    data = re.findall(r'<script type="application/json" id="gt-data-\d+">(.*?)</script>', page, re.S)
    assert len(data) == 4  # three input layers and the sites
    for block in data:
        json.loads(block, parse_constant=lambda c: pytest.fail(f"non-JSON constant {c}"))


def test_no_raw_payload_reaches_the_page(hostile):
    page = render_map(site_map(run_analysis(hostile)))
    assert PAYLOAD not in page
    assert "<img src=x" not in page


def test_safe_json_escapes_script_breakers():
    s = safe_json({"a": "</script><b>&", "n": None})
    assert "<" not in s and ">" not in s and "&" not in s
    assert safe_json({"x": float("nan"), "y": float("inf")}) == '{"x": null, "y": null}'   # strict JSON
    assert safe_json({"t": "{{ 7*7 }} {% if %} {# c #}"}) == '{"t": "\\u007b{ 7*7 }} \\u007b% if %} \\u007b# c #}"}'


def test_both_languages_complete():
    assert set(TEXT["sv"]) == set(TEXT["en"])
    for lang in ("sv", "en"):
        assert all(v.strip() for v in TEXT[lang].values())


@pytest.mark.parametrize("lang,other", [("sv", "en"), ("en", "sv")])
def test_page_labels_in_one_language(small_world, lang, other):
    page = render_map(site_map(run_analysis(small_world), lang=lang))
    for key in ("legend", "search", "sites", "base_light", "excluded"):
        assert TEXT[lang][key] in page
        if TEXT[lang][key] != TEXT[other][key]:
            assert TEXT[other][key] not in page


def test_credits_follow_the_analysis(small_world):
    """No layer says its source: the analysis is credited; the plan layer is drawn in
    Boverket's colours, so Boverket is credited too. Sources and an explicit attribution
    replace the default; no credit is built in."""
    page = render_map(site_map(run_analysis(small_world), lang="en"))
    assert "Data: Small world" in page and "Plan codes and colours: Boverket" in page and "SCB" not in page
    plans = '[layers.plans]\npath = "world.gpkg"\nlayer = "plans"'
    text = small_world.read_text().replace(plans, plans + '\nsource = "Lerums kommun"')
    small_world.write_text(text)
    page = render_map(site_map(run_analysis(small_world), lang="sv"))
    assert "Lerums kommun" in page and "Data: Small world" not in page
    small_world.write_text(text.replace('name = "Small world"',
                                        'name = "Small world"\nattribution = { sv = "Källa: X", en = "Source: X" }'))
    page = render_map(site_map(run_analysis(small_world), lang="en"))
    assert "Source: X" in page and "Lerums kommun" not in page and "Källa" not in page


def test_map_command_republishes(small_world, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", str(small_world), "--out", str(out)]) == 0
    target = tmp_path / "en.html"
    assert main(["map", str(out), "--out", str(target), "--lang", "en", "--title", "Board <meeting>",
                 "--top", "1"]) == 0
    page = target.read_text(encoding="utf-8")
    assert "Board &lt;meeting&gt;" in page and "Candidate sites" in page
    assert "Board <meeting>" not in page
    assert main(["map", str(tmp_path / "nothing")]) == 2
    assert "error:" in capsys.readouterr().err


def test_qgis_default_style_stored(small_world, tmp_path):
    import sqlite3

    out = tmp_path / "o"
    assert main(["run", str(small_world), "--out", str(out)]) == 0
    con = sqlite3.connect(out / "sites.gpkg")
    rows = con.execute("SELECT f_table_name, useAsDefault, styleQML FROM layer_styles").fetchall()
    con.close()
    assert len(rows) == 1 and rows[0][0] == "sites" and rows[0][1] == 1
    qml = rows[0][2]
    import xml.etree.ElementTree as ET

    import pyogrio

    styles = pyogrio.read_dataframe(out / "sites.gpkg", layer="layer_styles")  # no GDAL warning
    import pandas as pd

    assert pd.api.types.is_datetime64_any_dtype(styles["update_time"])  # GDAL read it as a date
    root = ET.fromstring(qml)
    assert root.tag == "qgis" and root.find("renderer-v2").get("type") == "RuleRenderer"
    assert qml.count("<rule ") == 6 and "#" not in qml.split("<symbols>")[0]
    assert '"rank" &lt;= 10' in qml or "&quot;rank&quot; &lt;= 10" in qml


def test_large_map_uses_canvas_and_rounds(tmp_path):
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 5000, (3000, 2))
    parcels = gpd.GeoDataFrame({"pid": [f"p{i:05d}" for i in range(3000)]},
                               geometry=[sq(x, y, 20.123456) for x, y in xy], crs="EPSG:3006")
    write_gpkg(tmp_path / "big.gpkg", {"parcels": parcels})
    p = write_toml(tmp_path / "big.toml", """
        [layers.parcels]
        path = "big.gpkg"
        [sites]
        layer = "parcels"
        id = "pid"
        [criteria.size]
        kind = "area"
        value = { fn = "linear", best = 500, worst = 0 }
        """)
    page = render_map(site_map(run_analysis(p)))
    assert '"preferCanvas": true' in page
    block = re.search(r'<script type="application/json" id="gt-data-0">(.*?)</script>', page, re.S)
    geoms = json.loads(block.group(1))["geoms"]
    assert len(geoms) == 3000
    g = geoms[0]
    flat = np.array(g["coordinates"][0], dtype=object)
    assert all(isinstance(v, int) for xy in flat for v in xy)  # integer micro-degrees
    lon, lat = (np.array(g["o"]) + np.array(flat[2], dtype=float)) / 1e6
    assert 12.3 < lon < 12.7 and 57.8 < lat < 58.0
    assert max(abs(v) for xy in flat for v in xy) < 1000  # a 20 m square: small offsets


# ---- in a real browser, network blocked -------------------------------------------------

@pytest.mark.browser
def test_browser_draws_sites_and_popup_numbers(small_world, tmp_path):
    m = site_map(run_analysis(small_world), lang="sv")
    page = save_map(m, tmp_path / "map.html")
    res = browser.probe(page, """
        var el = gisTool.openSite('B');
        var a = gisTool.openSite('A').innerText;
        var b = el ? el.innerText : null;
        gisTool.openSite('B'); b = gisTool.map._popup.getElement().innerText;
        done({leaflet: L.version, sites: gisTool.sites.getLayers().length,
              layers: Object.keys(gisTool.layers).sort(), a: a, b: b,
              legend: document.querySelector('.gt-legend').innerText,
              title: document.querySelector('.gt-title').innerText});
    """)
    assert res.get("error") is None, res
    assert res["leaflet"] == "1.9.3"
    assert res["sites"] == 3
    assert res["layers"] == ["flood", "interchanges", "plans"]
    assert "62,5" in res["b"] and "2 / 2" in res["b"]   # Swedish decimal comma
    assert "56,3" in res["b"] or "56,25" in res["b"]     # motorway points
    assert "100 m" in res["b"]                            # raw distance with unit
    assert "100" in res["a"] and "1 / 2" in res["a"]
    assert "80–100" in res["legend"] and "Utesluten" in res["legend"]
    assert "Small world" in res["title"]


@pytest.mark.browser
def test_browser_english_numbers(small_world, tmp_path):
    page = save_map(site_map(run_analysis(small_world), lang="en"), tmp_path / "map.html")
    res = browser.probe(page, "gisTool.openSite('B'); done({b: gisTool.map._popup.getElement().innerText,"
                              " legend: document.querySelector('.gt-legend').innerText});")
    assert "62.5" in res["b"] and "Score" in res["b"]
    assert "Excluded" in res["legend"]


@pytest.mark.browser
def test_browser_excluded_popup_gives_reason(small_world, tmp_path):
    page = save_map(site_map(run_analysis(small_world), lang="en"), tmp_path / "map.html")
    res = browser.probe(page, "gisTool.openSite('C'); done({c: gisTool.map._popup.getElement().innerText});")
    assert "Excluded" in res["c"] and "flood: 30 % covered by flood" in res["c"]


@pytest.mark.browser
def test_browser_payload_never_runs(hostile, tmp_path):
    page = save_map(site_map(run_analysis(hostile)), tmp_path / "map.html")
    res = browser.probe(page, """
        var ids = Object.keys(gisTool.index), texts = [];
        ids.forEach(function (id) { gisTool.openSite(id); texts.push(gisTool.map._popup.getElement().innerText); });
        Object.keys(gisTool.layers).forEach(function (k) {
            gisTool.layers[k].eachLayer(function (l) {
                l.fire('click', {latlng: l.getLatLng ? l.getLatLng() : l.getBounds().getCenter()}, true);
                texts.push(gisTool.map._popup.getElement().innerText); });
        });
        document.querySelector('.leaflet-control-layers').classList.add('leaflet-control-layers-expanded');
        setTimeout(function () {
            done({pwned: window.__pwned || null, ids: ids.sort(), texts: texts,
                  control: document.querySelector('.leaflet-control-layers').innerText,
                  title: document.title, imgs: document.querySelectorAll('img[src="x"]').length});
        }, 500);
    """)
    assert res.get("error") is None, res
    assert res["pwned"] is None and res["imgs"] == 0
    assert sorted(res["ids"]) == sorted([PAYLOAD, TEMPLATE, "plain"])
    assert any(PAYLOAD in t for t in res["texts"])           # shown as text
    assert any(TEMPLATE in t for t in res["texts"])
    assert PAYLOAD in res["control"] and PAYLOAD in res["title"]


@pytest.mark.browser
def test_browser_demo_map_offline(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    res = browser.probe(out / "map.html", """
        var top = null;
        Object.keys(gisTool.index).forEach(function (id) { });
        var found = gisTool.findSite('Sävelund');
        done({leaflet: typeof L, sites: gisTool.siteCount, found: found,
              popup: gisTool.map._popup ? gisTool.map._popup.getElement().innerText : null,
              labels: document.querySelectorAll('.gt-rank-label').length});
    """, budget_ms=15000)
    assert res["leaflet"] == "object" and res["sites"] > 2000
    assert res["found"] and "Sävelund" in res["found"] and res["popup"]
    assert res["labels"] == 10
    # The popup of the best site shows the numbers the run wrote.
    import pandas as pd

    best = pd.read_csv(out / "sites.csv", encoding="utf-8-sig").iloc[0]
    call = f"done({{t: gisTool.openSite({json.dumps(best['site_id'])}).innerText}});"
    top = browser.probe(out / "map.html", call, budget_ms=15000)
    score = f"{best['score']:.1f}".replace(".", ",").replace(",0", "")
    assert best["site_id"] in top["t"] and score in top["t"]
    metres = f"{best['motorway_raw']:,.0f} m".replace(",", " ")  # Swedish digit groups
    assert "1 / " in top["t"] and metres in top["t"]


def test_criterion_labels_per_language(small_world):
    text = small_world.read_text().replace(
        'kind = "distance"\nlayer = "interchanges"',
        'kind = "distance"\nlayer = "interchanges"\n'
        'label = { sv = "Avstånd till trafikplats", en = "Distance to interchange" }')
    small_world.write_text(text)
    result = run_analysis(small_world)
    sv, en = (render_map(site_map(result, lang=lang)) for lang in ("sv", "en"))
    assert "Avstånd till trafikplats" in sv and "Distance to interchange" not in sv
    assert "Distance to interchange" in en and "Avstånd till trafikplats" not in en


@pytest.mark.browser
@pytest.mark.parametrize("lang,expect", [("sv", "12 345,7 m²"), ("en", "12,345.7 m²")])
def test_browser_number_format_per_language(tmp_path, lang, expect):
    parcels = gpd.GeoDataFrame({"pid": ["big"], "sqm": [12345.67]}, geometry=[sq(0, 0, 100)],
                               crs="EPSG:3006")
    write_gpkg(tmp_path / "n.gpkg", {"parcels": parcels})
    p = write_toml(tmp_path / "n.toml", """
        [layers.parcels]
        path = "n.gpkg"
        [sites]
        layer = "parcels"
        id = "pid"
        [criteria.floor]
        kind = "attribute"
        field = "sqm"
        unit = "m²"
        value = { fn = "linear", best = 20000, worst = 0 }
        """)
    page = save_map(site_map(run_analysis(p), lang=lang), tmp_path / "map.html")
    res = browser.probe(page, "gisTool.openSite('big'); done({t: gisTool.map._popup.getElement().innerText});")
    assert expect in res["t"].replace("\u00a0", " ")
    assert expect in res["t"]  # a plain space, as typed


def test_plan_layer_coloured_by_boverket_code(tmp_path):
    from gis_tool.publish.map_styles import layer_style
    from gis_tool.publish.maps import MapData

    plans = gpd.GeoDataFrame({"plan": ["P1", "P2", "P3"], "anv": ["J", "z", "K"]},
                             geometry=[sq(0, 0, 10), sq(20, 0, 10), sq(40, 0, 10)], crs="EPSG:3006")
    data = MapData(name="x", sites=plans, criteria=[])
    cfg = layer_style("detaljplaner", plans, data)
    assert cfg["kind"] == "plans" and cfg["styleBy"] == "anv"
    assert cfg["styles"]["J"]["fillColor"] == "#7f93a8"   # industry: blue-grey
    assert cfg["styles"]["z"]["fillColor"] == "#e8d5a9"   # business: beige
    assert cfg["styles"]["K"]["fillColor"] == "#b07a4f"   # offices: brown
