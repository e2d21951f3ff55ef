"""The road network end to end: analysis file, CLI, outputs, inquiry, rescore and Dask."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely import LineString, Point

from gis_tool import run_analysis
from gis_tool.cli import main
from tests.conftest import CRS, X0, Y0, sq, write_gpkg, write_toml


def xy(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


@pytest.fixture
def road_world(tmp_path):
    """A road along y=0 from x=0 to x=6000 (60 km/h, one-way eastwards from x=3000), a
    spur north at x=1000 (30 km/h), an island road far east, an interchange at x=6000.

    Parcels (100 m squares, lower-left corner): A at (0, 10) touches node (0,0)... see
    each test for the hand calculation.
    """
    roads = gpd.GeoDataFrame(
        {"kmh": [60.0, 60.0, None, 50.0], "klass": [3, 3, 8, 6], "ow": [0, 1, 0, 0]},
        geometry=[LineString([xy(0, 0), xy(1000, 0), xy(3000, 0)]), LineString([xy(3000, 0), xy(6000, 0)]),
                  LineString([xy(1000, 0), xy(1000, 2000)]), LineString([xy(9000, 0), xy(10000, 0)])], crs=CRS)
    parcels = gpd.GeoDataFrame(
        {"pid": ["A", "B", "C", "D", "E"]},
        geometry=[sq(-50, 10, 100), sq(950, 2000, 100), sq(5950, 100, 100), sq(3000, 3000, 100),
                  sq(9950, 10, 100)], crs=CRS)
    inter = gpd.GeoDataFrame({"name": ["TP Öst"]}, geometry=[Point(xy(6000, 0))], crs=CRS)
    pop = gpd.GeoDataFrame({"people": [100, 1000, 10000]},
                           geometry=[Point(xy(0, 0)), Point(xy(1000, 2000)), Point(xy(6000, 0))], crs=CRS)
    write_gpkg(tmp_path / "roads.gpkg", {"roads": roads, "parcels": parcels, "interchanges": inter,
                                          "population": pop})
    return write_toml(tmp_path / "analysis.toml", """
        [analysis]
        name = "Road world"
        [layers.roads]
        path = "roads.gpkg"
        layer = "roads"
        [layers.parcels]
        path = "roads.gpkg"
        layer = "parcels"
        [layers.interchanges]
        path = "roads.gpkg"
        layer = "interchanges"
        label = { sv = "Trafikplatser", en = "Interchanges" }
        [layers.population]
        path = "roads.gpkg"
        layer = "population"
        [sites]
        layer = "parcels"
        id = "pid"
        [network]
        layer = "roads"
        speed_kmh_field = "kmh"
        speed_by_class = { field = "klass", values = { 8 = 30 } }
        oneway_field = "ow"
        max_snap_m = 500
        rings = { layer = "interchanges", minutes = [2, 4] }
        [criteria.drive]
        kind = "travel_time"
        layer = "interchanges"
        value = { fn = "linear", best = 0, worst = 20 }
        weight = 1
        [criteria.labour]
        kind = "reachable_sum"
        layer = "population"
        field = "people"
        minutes = 6
        value = { fn = "linear", best = 11100, worst = 0 }
        weight = 1
        [constraints.near_by_road]
        layer = "interchanges"
        max_minutes = 7
        """)


def test_run_writes_times_notes_rings_and_counts(road_world, tmp_path):
    out = tmp_path / "out"
    assert main(["-q", "run", str(road_world), "--out", str(out), "--lang", "en"]) == 0
    s = pd.read_csv(out / "sites.csv").set_index("site_id")
    # A: 10 m from node (0,0) at 20 km/h (0.03 min), 6000 m at 60 km/h: 6.03 min
    assert s.loc["A", "drive_raw"] == pytest.approx(10 / (20000 / 60) + 6.0, abs=1e-6)
    # B: on node (1000,2000): 2000 m at 30 km/h (4 min) + 5000 m at 60 (5 min)
    assert s.loc["B", "drive_raw"] == pytest.approx(9.0, abs=1e-6)
    # C: 100 m from the interchange node, which it joins: 0.3 min
    assert s.loc["C", "drive_raw"] == pytest.approx(0.3, abs=1e-6)
    assert math.isnan(s.loc["D", "drive_raw"]) and s.loc["D", "drive_note"].startswith("too far from the road network")
    assert math.isnan(s.loc["E", "drive_raw"])
    assert s.loc["E", "drive_note"] == "Interchanges: none reachable from the site's part of the road network"
    # labour within 6 min: A gets its own 100 (0.03) + B's cell 1000 (4 + 1 + 0.03 = 5.03); the
    # interchange's 10 000 cannot drive west on the one-way road
    assert s.loc["A", "labour_raw"] == pytest.approx(1100)
    # C: 10 000 (0.3 min) + 100 from (0,0) (6 min + 0.3 > 6: out) = 10 000
    assert s.loc["C", "labour_raw"] == pytest.approx(10000)
    # constraint: B needs 9 min > 7: excluded, in words
    assert not s.loc["B", "eligible"] and "near_by_road" in s.loc["B", "excluded_by"]
    assert s.loc["A", "eligible"] and s.loc["C", "eligible"]
    run = json.loads((out / "run.json").read_text())
    assert run["missing_values"]["criteria"]["drive"]["too_far_from_network"] == 1
    assert run["missing_values"]["criteria"]["drive"]["no_feature_reachable"] == 1
    assert run["network"]["parts"] == 2 and run["network"]["one_way_lines"] == 1
    rings = pyogrio.read_dataframe(out / "sites.gpkg", layer="input_isochrones")
    assert rings["minutes"].tolist() == [2.0, 4.0] and rings.geometry.area.min() > 0
    html = (out / "map.html").read_text(encoding="utf-8")
    assert "Travel time to Interchanges" in html and "within 2 min" in html


def test_rescore_and_inquiry_use_the_times(road_world, tmp_path):
    res = run_analysis(road_world, lang="en")
    again = res.rescore({"drive": 1, "labour": 0})
    pd.testing.assert_series_equal(again.sites["drive_raw"].sort_index(), res.sites["drive_raw"].sort_index())
    req = write_toml(tmp_path / "req.toml", """
        [inquiry]
        name = "Near the motorway"
        [inquiry.require.by_road]
        layer = "interchanges"
        max_minutes = 1
        label = "Interchange within 1 min"
        """)
    out = tmp_path / "inq"
    assert main(["-q", "inquiry", str(req), "--analysis", str(road_world), "--out", str(out), "--lang", "en"]) == 0
    m = pd.read_csv(out / "matches.csv")
    assert m["site_id"].tolist() == ["C"]
    assert [ly[0] for ly in pyogrio.list_layers(out / "matches.kml")] == ["Sites", "Travel time"]
    kml_rings = pyogrio.read_dataframe(out / "matches.kml", layer="Travel time")
    assert len(kml_rings) == 2
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(out / "meeting_pack.pdf").pages)
    assert "_note" not in text and "drive_raw" not in text
    assert "near_by_road" not in text          # a reach by road is no constraint "nearby"


def test_network_spec_errors_name_the_key(road_world, tmp_path, capsys):
    text = road_world.read_text()
    bad = write_toml(tmp_path / "no_net.toml", text.split("[network]")[0] + """
        [criteria.drive]
        kind = "travel_time"
        layer = "interchanges"
        value = { fn = "linear", best = 0, worst = 20 }
        """)
    assert main(["run", str(bad), "--out", str(tmp_path / "x")]) == 2
    assert "criteria.drive: kind 'travel_time' measures along the road network; add a [network] table" \
        in capsys.readouterr().err
    renamed = write_toml(tmp_path / "renamed.toml", text.replace('speed_kmh_field = "kmh"',
                                                                 'speed_kmh_field = "hastighet"'))
    assert main(["run", str(renamed), "--out", str(tmp_path / "y")]) == 2
    err = capsys.readouterr().err
    assert "hastighet" in err and "Traceback" not in err


def test_dask_gives_the_same_times(road_world):
    one = run_analysis(road_world, lang="en")
    dist = run_analysis(road_world, lang="en", scheduler="local")
    cols = ["drive_raw", "drive_note", "labour_raw", "score"]
    pd.testing.assert_frame_equal(dist.sites[cols].sort_index(), one.sites[cols].sort_index())


OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="gis-tool tests">
  <node id="1" lat="57.930" lon="12.530" version="1"/>
  <node id="2" lat="57.930" lon="12.540" version="1"/>
  <node id="3" lat="57.930" lon="12.550" version="1"/>
  <node id="4" lat="57.940" lon="12.540" version="1"/>
  <node id="5" lat="57.935" lon="12.545" version="1"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><nd ref="3"/>
    <tag k="highway" v="primary"/><tag k="maxspeed" v="70"/><tag k="name" v="Väg 1"/></way>
  <way id="11" version="1"><nd ref="2"/><nd ref="4"/>
    <tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="12" version="1"><nd ref="4"/><nd ref="5"/><nd ref="3"/>
    <tag k="highway" v="residential"/></way>
</osm>
"""


def test_openstreetmap_roads_through_gdal(tmp_path):
    """An .osm file read by GDAL's OSM driver: highway classes, maxspeed and oneway from
    other_tags; times checked against the reprojected node coordinates by hand."""
    from pyproj import Transformer

    (tmp_path / "roads.osm").write_text(OSM, encoding="utf-8")
    to = Transformer.from_crs(4326, 3006, always_xy=True)
    n = {k: to.transform(lon, lat) for k, (lon, lat) in
         {1: (12.53, 57.93), 2: (12.54, 57.93), 3: (12.55, 57.93), 4: (12.54, 57.94), 5: (12.545, 57.935)}.items()}
    parcels = gpd.GeoDataFrame({"pid": ["at1", "at4"]}, geometry=[Point(n[1]).buffer(20), Point(n[4]).buffer(20)],
                               crs=CRS)
    target = gpd.GeoDataFrame({"name": ["T"]}, geometry=[Point(n[3])], crs=CRS)
    write_gpkg(tmp_path / "w.gpkg", {"parcels": parcels, "target": target})
    path = write_toml(tmp_path / "osm.toml", """
        [layers.roads]
        path = "roads.osm"
        layer = "lines"
        where = "highway IS NOT NULL"
        [layers.parcels]
        path = "w.gpkg"
        layer = "parcels"
        [layers.target]
        path = "w.gpkg"
        layer = "target"
        [sites]
        layer = "parcels"
        id = "pid"
        [network]
        layer = "roads"
        speed_kmh_field = "maxspeed"
        speed_by_class = { field = "highway", values = { primary = 80, residential = 30 } }
        oneway_field = "oneway"
        [criteria.t]
        kind = "travel_time"
        layer = "target"
        value = { fn = "linear", best = 0, worst = 30 }
        """)
    res = run_analysis(path, lang="en")
    t = res.sites.set_index("site_id")["t_raw"]

    def mins(a, b, kmh):
        return math.dist(n[a], n[b]) / (kmh * 1000 / 60)

    assert t["at1"] == pytest.approx(mins(1, 2, 70) + mins(2, 3, 70), abs=1e-6)     # maxspeed 70, not the class's 80
    # from node 4: way 11 is one-way 2 -> 4, so via 5 at the residential class speed
    assert t["at4"] == pytest.approx(min(mins(4, 5, 30) + mins(5, 3, 30), mins(4, 2, 30) + mins(2, 3, 70)), abs=1e-6)
    assert t["at4"] == pytest.approx(mins(4, 5, 30) + mins(5, 3, 30), abs=1e-6)
    assert res.network is not None and res.network.report["one_way_lines"] == 1
