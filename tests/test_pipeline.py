"""The whole analysis through the Python API, with scores computed by hand.

small_world: A touches the interchange (distance 0), B is 100 m away, C 300 m.
motorway value = 1 - d/400 -> A 1.0, B 0.75, C 0.25 (weight 3 of 4 = 0.75).
zoning: A all J (1.0); B half K (0.5 x 0.5 = 0.25); C none (weight 1 of 4 = 0.25).
C is 30 % in the flood zone -> excluded. A = 75 + 25 = 100; B = 56.25 + 6.25 = 62.5.
"""

from __future__ import annotations

import gc
import traceback
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box

import gis_tool
from gis_tool import run_analysis
from gis_tool.errors import InputError
from gis_tool.publish.outputs import write_outputs
from gis_tool.spec.analysis import load_analysis

from .conftest import X0, Y0, sq, write_gpkg, write_toml


def test_scores_by_hand(small_world):
    r = run_analysis(small_world)
    s = r.sites.set_index("site_id")
    assert s.loc["A", "score"] == pytest.approx(100.0)
    assert s.loc["B", "score"] == pytest.approx(62.5)
    assert pd.isna(s.loc["C", "score"]) and pd.isna(s.loc["C", "rank"])
    assert (s.loc["A", "rank"], s.loc["B", "rank"]) == (1, 2)
    assert s.loc["C", "excluded_by"] == "flood: 30 % covered by flood"
    assert s.loc["B", "motorway_raw"] == pytest.approx(100.0)
    assert s.loc["B", "zoning_value"] == pytest.approx(0.25)
    assert s.loc["B", "motorway_points"] == pytest.approx(56.25)
    assert list(s.index) == ["A", "B", "C"]  # best first, excluded last
    assert r.weights.values == {"motorway": 0.75, "zoning": 0.25}


def test_contract_columns(small_world):
    cols = list(run_analysis(small_world).sites.columns)
    assert cols[:5] == ["site_id", "score", "rank", "eligible", "excluded_by"]
    for c in ("motorway", "zoning"):
        assert {f"{c}_raw", f"{c}_value", f"{c}_points"} <= set(cols)


def test_profile_replaces_weights(small_world):
    r = run_analysis(small_world, profile="cheap")
    s = r.sites.set_index("site_id")
    assert r.weights.values == {"motorway": 0.0, "zoning": 1.0}
    assert s.loc["A", "score"] == pytest.approx(100.0)
    assert s.loc["B", "score"] == pytest.approx(25.0)
    assert s.loc["B", "motorway_points"] == 0.0


def test_unknown_profile_suggests(small_world):
    with pytest.raises(InputError, match=r"no profile 'chep' .*did you mean 'cheap'"):
        run_analysis(small_world, profile="chep")


def _with(small_world, extra: str):
    text = small_world.read_text() + extra
    return write_toml(small_world.parent / "b.toml", text)


@pytest.mark.parametrize("policy,expect", [("worst", "zero"), ("exclude", "excluded"),
                                           ("error", "error")])
def test_missing_policy(small_world, policy, expect):
    p = _with(small_world, f"""
[criteria.price]
kind = "attribute"
field = "price"
value = {{ fn = "linear", best = 0, worst = 400 }}
missing = "{policy}"
weight = 1
""")
    if expect == "error":
        with pytest.raises(InputError, match=r"criteria\.price: 1 site\(s\) have no value \(e\.g\. B\)"):
            run_analysis(p)
        return
    r = run_analysis(p)
    s = r.sites.set_index("site_id")
    assert r.missing["price"] == {"policy": policy, "count": 1}
    if expect == "zero":
        assert s.loc["B", "price_value"] == 0.0 and s.loc["B", "eligible"]
        assert any("1 site(s) had no value" in w for w in r.warnings)
    else:
        assert not s.loc["B", "eligible"]
        assert s.loc["B", "excluded_by"] == "price: no value (missing = exclude)"
    assert s.loc["A", "price_value"] == pytest.approx(0.75)


def test_attribute_constraint_and_profile_tightening(small_world):
    p = _with(small_world, """
[profiles.municipal]
min_area_m2 = 100
[profiles.municipal.constraints.owned]
field = "owner"
in = ["kommun"]
[profiles.municipal.constraints.flood]
max_share = 0.5
""")
    s = run_analysis(p, profile="municipal").sites.set_index("site_id")
    assert not s.loc["B", "eligible"]
    assert s.loc["B", "excluded_by"].startswith("owned: owner is 'privat'")
    assert s.loc["C", "eligible"]  # the profile relaxed flood to 50 %


def test_explain(small_world):
    r = run_analysis(small_world)
    e = r.explain("B")
    assert e.rank == 2 and e.points_to_next_rank == pytest.approx(37.5)
    assert e.points_to_top10 == 0.0
    pts = {c["name"]: c["points"] for c in e.criteria}
    assert pts == {"motorway": pytest.approx(56.25), "zoning": pytest.approx(6.25)}
    assert "excluded: flood" in str(r.explain("C"))
    with pytest.raises(KeyError):
        r.explain("Z")


def test_duplicate_ids_refused(tmp_path):
    parcels = gpd.GeoDataFrame({"pid": ["A", "A", "B"]},
                               geometry=[sq(0, 0, 10), sq(20, 0, 10), sq(40, 0, 10)], crs="EPSG:3006")
    write_gpkg(tmp_path / "w.gpkg", {"parcels": parcels})
    p = write_toml(tmp_path / "a.toml", """
        [layers.parcels]
        path = "w.gpkg"
        [sites]
        layer = "parcels"
        id = "pid"
        [criteria.size]
        kind = "area"
        value = { fn = "linear", best = 100, worst = 0 }
        """)
    with pytest.raises(InputError, match=r"id field 'pid' is not unique: 'A'"):
        run_analysis(p)


def _grid(tmp_path, shape):
    area = gpd.GeoDataFrame({"n": [1]}, geometry=[sq(0, 0, 250)], crs="EPSG:3006")
    write_gpkg(tmp_path / "g.gpkg", {"area": area})
    return write_toml(tmp_path / "g.toml", f"""
        [analysis]
        study_area = "area"
        [layers.area]
        path = "g.gpkg"
        [sites]
        grid = {{ cell_m = 100, shape = "{shape}" }}
        [criteria.size]
        kind = "area"
        value = {{ fn = "linear", best = 10000, worst = 0 }}
        """)


def test_square_grid_clipped_to_study_area(tmp_path):
    s = run_analysis(_grid(tmp_path, "square")).sites
    assert len(s) == 9
    assert sorted(s["area_m2"].round(1)) == [2500.0] + [5000.0] * 4 + [10000.0] * 4
    assert s["area_m2"].sum() == pytest.approx(62500.0)


def test_hex_grid_covers_study_area(tmp_path):
    s = run_analysis(_grid(tmp_path, "hex")).sites
    assert s.geometry.area.sum() == pytest.approx(62500.0)
    full = 3 * 3 ** 0.5 / 2 * (100 / 3 ** 0.5) ** 2  # hexagon 100 m across the flats
    assert s.geometry.area.max() == pytest.approx(full, rel=1e-9)
    assert s["site_id"].is_unique


def test_study_area_and_min_area_filter(tmp_path, small_world):
    area = gpd.GeoDataFrame({"n": [1]}, geometry=[box(X0 - 10, Y0 - 10, X0 + 320, Y0 + 110)],
                            crs="EPSG:3006")
    write_gpkg(small_world.parent / "area.gpkg", {"area": area})
    p = _with(small_world, '\n[layers.area]\npath = "area.gpkg"\n').read_text()
    p = p.replace('name = "Small world"', 'name = "Small world"\nstudy_area = "area"')
    r = run_analysis(write_toml(small_world.parent / "c.toml", p))
    assert sorted(r.sites["site_id"]) == ["A", "B"]
    assert r.dropped_sites["outside study area"] == 1


def test_analysis_object_accepted(small_world):
    a = load_analysis(small_world)
    assert run_analysis(a).sites["score"].max() == pytest.approx(100.0)


def test_raw_without_value_must_be_share(small_world):
    p = _with(small_world, '[criteria.dist]\nkind = "distance"\nlayer = "interchanges"\nweight = 1\n')
    with pytest.raises(InputError, match=r"criteria\.dist: has no 'value' function.*0\.\.1"):
        run_analysis(p)


def test_empty_layers_are_legitimate(small_world):
    world = small_world.parent / "world.gpkg"
    empty = gpd.GeoDataFrame({"rp": []}, geometry=[], crs="EPSG:3006")
    write_gpkg(small_world.parent / "empty.gpkg", {"none": empty})
    p = _with(small_world, """
[layers.mains]
path = "empty.gpkg"
[constraints.nothing]
layer = "mains"
max_share = 0.0
[constraints.serviced]
layer = "mains"
max_distance_m = 500
""")
    assert world.exists()
    s = run_analysis(p).sites.set_index("site_id")
    assert not s["eligible"].any()
    assert s.loc["A", "excluded_by"] == "serviced: no feature in mains (max 500 m)"


def test_distance_to_empty_layer_is_missing(small_world):
    write_gpkg(small_world.parent / "empty.gpkg",
               {"none": gpd.GeoDataFrame({"rp": []}, geometry=[], crs="EPSG:3006")})
    p = _with(small_world, """
[layers.nothing]
path = "empty.gpkg"
[criteria.far]
kind = "distance"
layer = "nothing"
value = { fn = "linear", best = 0, worst = 100 }
missing = "exclude"
""")
    s = run_analysis(p).sites.set_index("site_id")
    assert s.loc["A", "excluded_by"] == "far: no value (missing = exclude)"
    assert pd.isna(s.loc["A", "far_raw"])


def test_overlap_needs_polygons(small_world):
    p = _with(small_world, '[criteria.bad]\nkind = "overlap"\nlayer = "interchanges"\n')
    with pytest.raises(InputError, match=r"criteria\.bad: layer 'interchanges' holds point geometries"):
        run_analysis(p)


def test_nearest_attribute_categorical(small_world):
    # The interchanges layer's "name" is text: a categorical value function reads it.
    p = _with(small_world, """
[criteria.kind]
kind = "nearest_attribute"
layer = "interchanges"
field = "name"
value = { fn = "categorical", map = { TP = 0.8 }, default = 0.0 }
""")
    s = run_analysis(p).sites.set_index("site_id")
    assert s.loc["A", "kind_raw"] == "TP" and s.loc["A", "kind_value"] == pytest.approx(0.8)
    with pytest.raises(InputError, match=r"field 'name' used by criteria\.kind must be numeric"):
        run_analysis(_with(small_world, '[criteria.kind]\nkind = "nearest_attribute"\n'
                                        'layer = "interchanges"\nfield = "name"\n'))


@pytest.mark.parametrize("ids, repeated", [
    (["P1", "P10", "P2", "P3"], None),          # in order by code point: one pass tells
    (["P1", "P2", "P2", "P3"], "P2"),           # in order but for a repeat
    (["P3", "P1", "P2", "P4"], None),           # out of order: hashed
    (["P3", "P1", "P3", "P2"], "P3"),
])
def test_site_ids_must_be_distinct_in_or_out_of_order(ids, repeated):
    import geopandas as gpd
    from shapely import box

    from gis_tool.engine.sites import sites_from_layer

    gdf = gpd.GeoDataFrame({"pid": ids}, geometry=[box(i, 0, i + 1, 1) for i in range(len(ids))])
    if repeated is None:
        assert list(sites_from_layer(gdf, "pid", where="layers.p").index) == ids
    else:
        with pytest.raises(InputError, match=f"id field 'pid' is not unique: '{repeated}'"):
            sites_from_layer(gdf, "pid", where="layers.p")


def test_points_inside_the_sites_are_made_once_per_run(small_world, monkeypatch):
    """The nearest criteria and the table's x/y share one point inside each site, in
    the table's order, equal to shapely's point_on_surface of that row's site."""
    import shapely

    from gis_tool.engine import site_arrays
    from gis_tool.publish.outputs import sites_table

    made = []
    real = shapely.point_on_surface
    monkeypatch.setattr(site_arrays.shapely, "point_on_surface", lambda g: made.append(len(g)) or real(g))
    r = run_analysis(small_world)
    table = sites_table(r)
    assert made == [3]                      # three sites, once, for the motorway criterion and x/y
    inner = real(r.sites.geometry.to_numpy())
    assert list(table["x"]) == list(shapely.get_x(inner).round(2))
    assert list(table["y"]) == list(shapely.get_y(inner).round(2))
    assert list(table["site_id"]) == ["A", "B", "C"]


def test_one_tree_of_the_sites_serves_overlaps_and_constraints(small_world, monkeypatch):
    """The zoning overlap and the flood constraint both query a tree of the sites: it is
    built once per run (a million sites: 0.3 s each time), and the answers are right."""
    import shapely

    built = []
    real = shapely.STRtree

    class Counted(real):  # type: ignore[misc,valid-type]
        def __init__(self, geoms, *args, **kwargs):
            built.append(len(geoms))
            super().__init__(geoms, *args, **kwargs)

    monkeypatch.setattr(shapely, "STRtree", Counted)
    s = run_analysis(small_world).sites.set_index("site_id")
    assert built.count(3) == 1               # the three sites, once
    assert s.loc["A", "zoning_raw"] == pytest.approx(1.0)    # J covers A
    assert s.loc["B", "zoning_raw"] == pytest.approx(0.25)   # K (0.5) covers half of B
    assert not s.loc["C", "eligible"] and s.loc["C", "excluded_by"].startswith("flood")


def test_a_run_and_its_writing_set_off_no_garbage_collection(small_world, tmp_path):
    """Python's collector is paused over a run and its writing (each walk of it costs
    seconds among a million geometries) and is back on afterwards, after an error too."""
    package = str(Path(gis_tool.__file__).parent)
    gc.enable()
    inside: list[bool] = []   # for each collection: did it start within the package's work?

    def seen(phase: str, info: dict) -> None:
        if phase == "start":
            files = [f.filename for f in traceback.extract_stack()]
            inside.append(any(f.startswith(package) and not f.endswith("processes.py") for f in files))

    gc.callbacks.append(seen)
    try:
        write_outputs(run_analysis(small_world), tmp_path / "out")
        assert gc.isenabled()
        bad = tmp_path / "bad.toml"
        bad.write_text(small_world.read_text().replace('layer = "parcels"', 'layer = "no_such"', 1))
        with pytest.raises(InputError):
            run_analysis(bad)
        assert gc.isenabled()
    finally:
        gc.callbacks.remove(seen)
    assert not any(inside)


@pytest.mark.parametrize("excluded_share", [0.0, 0.3, 1.0])
def test_best_first_order_equals_a_sort_by_rank_then_id(excluded_share):
    """The sites table's order, placed by rank without a sort, is the order a sort by
    (rank, site id) gives; ranks with ties or gaps fall back to that sort."""
    import numpy as np

    from gis_tool.engine.score import best_first_order, id_order, rank_array

    rng = np.random.default_rng(7)
    n = 500
    ids = np.array([f"S{v:05d}" for v in rng.permutation(n)])
    key = id_order(ids)
    score = np.round(rng.uniform(0, 100, n), 0)         # many equal scores
    score[rng.random(n) < excluded_share] = np.nan
    rank = rank_array(score, key)

    def by_sort(r):
        return np.lexsort((ids, np.where(r > 0, r, np.inf)))

    got = best_first_order(rank, key)
    np.testing.assert_array_equal(got, by_sort(rank))
    assert list(rank[got][: (rank > 0).sum()]) == list(range(1, (rank > 0).sum() + 1))
    tied = rank.copy()
    tied[tied == 2] = 1                                # two sites ranked 1, none 2
    np.testing.assert_array_equal(best_first_order(tied, key), by_sort(tied))


def _importing_when_measured(monkeypatch) -> list[list[str]]:
    """The names of the threads still importing when the criteria begin, once per run
    (``pipeline.measure_all`` spied on)."""
    import threading

    from gis_tool.engine import pipeline

    alive: list[list[str]] = []
    measure = pipeline.measure_all

    def measured(*args, **kw):
        alive.append(sorted(t.name for t in threading.enumerate() if t.name.startswith("importing")))
        return measure(*args, **kw)

    monkeypatch.setattr(pipeline, "measure_all", measured)
    return alive


def test_the_k_d_tree_module_is_imported_beside_the_loading(small_world, monkeypatch):
    """scipy.spatial is imported on a thread of its own while the layers load, and that
    thread has ended before the criteria begin (a process with a second thread may not
    fork the criteria's second process)."""
    import importlib
    import threading
    import time
    import types

    from gis_tool.engine import preload

    imported = []

    def slow(name):   # an import that takes a while, as a cold one does
        time.sleep(0.3)
        imported.append((name, threading.current_thread().name))
        return importlib.import_module(name)

    monkeypatch.setattr(preload, "importlib", types.SimpleNamespace(import_module=slow))
    alive = _importing_when_measured(monkeypatch)
    run_analysis(small_world)
    assert imported == [("scipy.spatial", "importing scipy.spatial")]
    assert alive == [[]]


def test_a_large_run_loads_its_compiled_loops_while_the_layers_load(small_world, monkeypatch):
    """From ``COMPILED_OVER`` sites the compiled loops are loaded on a thread as soon as
    the sites' layer is read, and that thread has ended before the criteria begin; a
    smaller run does not load them at all."""
    import threading
    import time

    from gis_tool.engine import compiled, pipeline

    warmed = []
    real = compiled.warm

    def slow():
        time.sleep(0.3)
        warmed.append(threading.current_thread().name)
        real()

    monkeypatch.setattr(compiled, "warm", slow)
    alive = _importing_when_measured(monkeypatch)
    run_analysis(small_world)
    assert warmed == []
    monkeypatch.setattr(pipeline, "COMPILED_OVER", 3)    # the small world's three parcels
    run_analysis(small_world)
    assert warmed == ["importing the compiled loops"]
    assert alive == [[], []]
