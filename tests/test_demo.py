"""The demo municipality: reproducible, real boundary, believable results."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import pytest
import shapely

from gis_tool import run_analysis
from gis_tool.errors import InputError
from gis_tool.inputs import demo_data
from gis_tool.inputs.demo import get_path

GPKG = get_path("alingsas_gpkg")


def test_generator_reproduces_committed_file(tmp_path):
    fresh = demo_data.write_demo(tmp_path / "again.gpkg")
    committed = [n for n, _ in pyogrio.list_layers(GPKG)]
    assert [n for n, _ in pyogrio.list_layers(fresh)] == committed
    for name in committed:
        a = pyogrio.read_dataframe(GPKG, layer=name)
        b = pyogrio.read_dataframe(fresh, layer=name)
        assert list(a.columns) == list(b.columns), name
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry")), name
        same = shapely.equals_exact(shapely.normalize(a.geometry.to_numpy()),
                                    shapely.normalize(b.geometry.to_numpy()), tolerance=0.01)
        assert same.all(), f"{name}: {int((~same).sum())} geometries differ"


def test_real_boundary_and_urban_areas():
    b = pyogrio.read_dataframe(GPKG, layer="boundary")
    assert b.crs.to_epsg() == 3006
    assert b.area.iloc[0] / 1e6 == pytest.approx(549.37, abs=0.05)
    t = pyogrio.read_dataframe(GPKG, layer="urban_areas").set_index("name")
    assert len(t) == 11 and t.loc["Alingsås", "population_2020"] == 27433
    p = t.loc["Alingsås", "geometry"]
    assert (round(p.x), round(p.y)) == (353587, 6423563)


def test_demo_layers_are_plausible():
    parcels = pyogrio.read_dataframe(GPKG, layer="parcels")
    lakes = shapely.union_all(pyogrio.read_dataframe(GPKG, layer="lakes").geometry.to_numpy())
    assert 2000 <= len(parcels) <= 6000
    assert parcels["fastighet"].is_unique
    assert parcels["fastighet"].str.match(r"^Alingsås \S.* \d+:\d+$").all()
    assert set(parcels["owner"]) == {"kommun", "privat", "stat"}
    assert shapely.area(shapely.intersection(parcels.geometry.to_numpy(), lakes)).max() < 1.0
    plans = pyogrio.read_dataframe(GPKG, layer="detailed_plans")
    assert {"J", "Z", "K", "B", "C"} <= set(plans["use"])
    assert set(plans["status"]) <= {"i kraft", "antagen", "pågående"}
    subs = pyogrio.read_dataframe(GPKG, layer="substations")
    assert (subs["available_mw"] >= 0).all()


def test_top_sites_believable(demo_result):
    top = demo_result.top(10)
    assert len(top) == 10
    assert (top["motorway_raw"] < 3000).all()   # near an E20 interchange
    assert (top["zoning_raw"] >= 0.5).all()     # zoned for industry or business
    assert top["eligible"].all()
    flood = pyogrio.read_dataframe(GPKG, layer="flood_100y").geometry.union_all()
    assert not shapely.intersects(top.geometry.to_numpy(), flood).any()


def test_profiles_all_run(demo_result):
    for profile in ("logistics", "manufacturing", "offices", "data_centre"):
        r = run_analysis(demo_result.analysis, profile=profile)
        assert r.sites["score"].notna().sum() > 0, profile
    dc = run_analysis(demo_result.analysis, profile="data_centre").top(5)
    assert (dc["owner"] == "kommun").all() and (dc["area_m2"] >= 30000).all()


def test_unknown_dataset_listed():
    with pytest.raises(InputError, match="available: alingsas"):
        get_path("stockholm")


def test_layers_inspect_demo_shows_every_layer(capsys):
    from gis_tool.cli import main

    assert main(["layers", "inspect", str(GPKG)]) == 0
    out = capsys.readouterr().out
    for name, _ in pyogrio.list_layers(GPKG):
        assert f"layer {name}\n" in out
    assert out.count("problems  none") == len(pyogrio.list_layers(GPKG))


def test_grid_suitability_surface_over_demo(tmp_path):
    p = tmp_path / "grid.toml"
    p.write_text(f"""
[analysis]
study_area = "boundary"
[layers.boundary]
path = "{GPKG.as_posix()}"
layer = "boundary"
[layers.interchanges]
path = "{GPKG.as_posix()}"
layer = "interchanges"
[layers.flood]
path = "{GPKG.as_posix()}"
layer = "flood_100y"
[sites]
grid = {{ cell_m = 1000, shape = "hex" }}
[criteria.motorway]
kind = "distance"
layer = "interchanges"
value = {{ fn = "linear", best = 1000, worst = 10000 }}
[constraints.flood]
layer = "flood"
max_share = 0.2
""", encoding="utf-8")
    r = run_analysis(p)
    b = gpd.read_file(GPKG, layer="boundary").area.iloc[0]
    assert r.sites.geometry.area.sum() == pytest.approx(b, rel=1e-6)
    best = r.top(1).iloc[0]
    assert best["score"] == pytest.approx(100.0) and best["motorway_raw"] <= 1000
    assert (~r.sites["eligible"]).sum() > 0


def test_grid_example_analysis():
    r = run_analysis(get_path("alingsas_grid"))
    hexagon = 3 * 3 ** 0.5 / 2 * (500 / 3 ** 0.5) ** 2
    assert r.sites.geometry.area.max() == pytest.approx(hexagon, rel=1e-9)
    assert (r.sites.geometry.area >= 50000).all()
    top = r.top(5)
    assert (top["motorway_raw"] < 3000).all() and (top["power_raw"] >= 10).all()


def test_top_equals_the_table_sorted_by_rank(demo_result):
    """``top(n)`` partitions the ranks instead of sorting a copy of the table: the same
    rows in the same order as sorting the ranked sites, for a run and a re-scored run
    (whose table keeps the run's row order), for every n up to more than the sites."""
    other = demo_result.rescore({"zoning": 0.0})
    for r in (demo_result, other):
        ranked = r.sites.dropna(subset=["rank"]).sort_values("rank", kind="stable")
        for n in (0, 1, 7, 100, len(ranked), len(r.sites) + 5):
            got = r.top(n)
            assert got.index.tolist() == ranked.head(n).index.tolist()
            assert list(got.columns) == list(r.sites.columns)
    assert other.top(10).index.tolist() != demo_result.top(10).index.tolist()
