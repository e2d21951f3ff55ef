"""Writing GeoPackages (gis_tool/publish/gpkg.py): the Arrow path writes what pyogrio's
own writer writes, in the table's row order, whatever order the geometries are encoded
in; tables the Arrow path does not take go through pyogrio as before."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely import box

from gis_tool.publish.gpkg import ready_to_write, write_layer

CRS = "EPSG:3006"


def _table(n: int = 40) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    x = rng.uniform(300000, 310000, n)
    y = rng.uniform(6400000, 6410000, n)
    return gpd.GeoDataFrame({
        "site_id": [f"S{i}" for i in range(n)],
        "score": rng.uniform(0, 100, n).round(3),
        "rank": pd.array(list(range(1, n)) + [None], dtype="Int64"),
        "eligible": rng.uniform(size=n) > 0.3,
        "note": pd.array([None if i % 3 else f"n{i}" for i in range(n)], dtype="string"),
        "nothing": [None] * n,                                   # no value at all: text
        "road_raw": np.where(rng.uniform(size=n) > 0.8, np.nan, rng.uniform(0, 2000, n)),
    }, geometry=shapely.box(x, y, x + rng.uniform(10, 300, n), y + 50), crs=CRS)


def _same_as_pyogrio(tmp_path, gdf: gpd.GeoDataFrame, visit: np.ndarray | None) -> gpd.GeoDataFrame:
    ours, theirs = tmp_path / "ours.gpkg", tmp_path / "theirs.gpkg"
    write_layer(ready_to_write(gdf), ours, "sites", visit)
    ready_to_write(gdf).to_file(theirs, layer="sites", driver="GPKG", engine="pyogrio", use_arrow=True)
    a, b = pyogrio.read_info(ours, layer="sites"), pyogrio.read_info(theirs, layer="sites")
    for key in ("geometry_name", "geometry_type", "crs", "features"):
        assert a[key] == b[key], key
    assert list(a["fields"]) == list(b["fields"]) and list(a["dtypes"]) == list(b["dtypes"])
    got, want = pyogrio.read_dataframe(ours, layer="sites"), pyogrio.read_dataframe(theirs, layer="sites")
    pd.testing.assert_frame_equal(pd.DataFrame(got.drop(columns="geometry")),
                                  pd.DataFrame(want.drop(columns="geometry")))
    assert shapely.equals_exact(got.geometry.to_numpy(), want.geometry.to_numpy(), 0).all()
    with sqlite3.connect(ours) as db:       # the spatial index QGIS draws with
        assert db.execute("select count(*) from rtree_sites_geom").fetchone()[0] == len(gdf)
    return got


def test_geometries_encoded_in_another_order_land_on_their_own_rows(tmp_path):
    gdf = _table()
    visit = np.random.default_rng(5).permutation(len(gdf))
    got = _same_as_pyogrio(tmp_path, gdf, visit)
    assert list(got["site_id"]) == list(gdf["site_id"])
    assert shapely.equals_exact(got.geometry.to_numpy(), gdf.geometry.to_numpy(), 0).all()
    assert got["nothing"].isna().all() and got["rank"].isna().sum() == 1


def test_tables_the_arrow_path_does_not_take_are_written_by_pyogrio(tmp_path):
    gdf = _table(6)
    gdf["when"] = pd.date_range("2026-01-01", periods=6, freq="D")     # a date column
    geoms = gdf.geometry.to_numpy().copy()
    geoms[0] = shapely.multipolygons([box(0, 0, 1, 1), box(2, 2, 3, 3)])   # mixed single and multi
    mixed = gdf.set_geometry(gpd.GeoSeries(geoms, crs=CRS))
    raised = _table(6).set_geometry(gpd.GeoSeries(shapely.force_3d(_table(6).geometry.to_numpy(), 12.5),
                                                  crs=CRS))                     # with Z
    for table in (gdf, mixed, raised):
        got = _same_as_pyogrio(tmp_path, table, np.arange(len(table))[::-1].copy())
        assert list(got["site_id"]) == list(table["site_id"])


def test_the_sites_layer_follows_the_ranked_table_after_rescoring(tmp_path, monkeypatch):
    """Rows best first with their own geometries, for a run and for the same run scored
    with other weights (its table keeps the run's row order; the layer is best first)."""
    from shapely import Point

    import gis_tool.publish.gpkg as gpkg_mod
    from gis_tool import run_analysis
    from gis_tool.engine.result import best_first
    from gis_tool.publish.gpkg import write_sites_gpkg

    from .conftest import X0, Y0, sq, write_gpkg, write_toml

    rng = np.random.default_rng(11)
    x, y = rng.uniform(0, 900, 30), rng.uniform(0, 900, 30)
    parcels = gpd.GeoDataFrame({"pid": [f"P{i:02d}" for i in range(30)]},
                               geometry=[sq(a, b, 40) for a, b in zip(x, y, strict=True)], crs=CRS)
    west = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(X0 - 100, Y0 + 450)], crs=CRS)
    east = gpd.GeoDataFrame({"n": [1]}, geometry=[Point(X0 + 1000, Y0 + 450)], crs=CRS)
    write_gpkg(tmp_path / "w.gpkg", {"parcels": parcels, "west": west, "east": east})
    toml = write_toml(tmp_path / "a.toml", """
        [layers.parcels]
        path = "w.gpkg"
        layer = "parcels"
        [layers.west]
        path = "w.gpkg"
        layer = "west"
        [layers.east]
        path = "w.gpkg"
        layer = "east"
        [sites]
        layer = "parcels"
        id = "pid"
        [criteria.west]
        kind = "distance"
        layer = "west"
        value = { fn = "linear", best = 0, worst = 2000 }
        weight = 1
        [criteria.east]
        kind = "distance"
        layer = "east"
        value = { fn = "linear", best = 0, worst = 2000 }
        weight = 0
        """)
    first = run_analysis(toml)
    other = first.rescore({"west": 0.0, "east": 1.0})   # the order turns round
    assert list(best_first(other.sites)["site_id"]) != list(first.sites["site_id"])
    for i, result in enumerate((first, other)):
        path = tmp_path / f"sites{i}.gpkg"
        if i == 1:   # as a large run's: SQLite's largest pages, many batches (the last short)
            monkeypatch.setattr(gpkg_mod, "LARGE_PAGES_OVER", 10)
            monkeypatch.setattr(gpkg_mod, "BATCH", 7)
        write_sites_gpkg(result, path)
        got, want = pyogrio.read_dataframe(path, layer="sites"), best_first(result.sites)
        assert list(got["site_id"]) == list(want["site_id"])
        assert list(got["rank"].dropna()) == sorted(got["rank"].dropna())
        assert shapely.equals_exact(got.geometry.to_numpy(), want.geometry.to_numpy(), 0).all()
        np.testing.assert_array_equal(got["score"].to_numpy(dtype=float), want["score"].to_numpy(dtype=float))
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA page_size").fetchone()[0] == (65536 if i == 1 else 4096)
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert db.execute("SELECT count(*) FROM rtree_sites_geom").fetchone()[0] == 30
        assert {n for n, _ in pyogrio.list_layers(path)} >= {"sites", "input_west", "input_east"}


def test_sqlite_settings_hold_while_writing_and_are_restored():
    """The journal, sync and page-cache settings apply inside the writing block only
    (other GDAL work in the process keeps its own)."""
    from gis_tool.publish.gpkg import SQLITE_CACHE_MB, _unjournalled_sqlite

    keys = ("OGR_SQLITE_JOURNAL", "OGR_SQLITE_SYNCHRONOUS", "OGR_SQLITE_CACHE")
    before = {k: pyogrio.get_gdal_config_option(k) for k in keys}
    with _unjournalled_sqlite():
        now = {k: pyogrio.get_gdal_config_option(k) for k in keys}
    journal, sync, cache = (str(v).upper() for v in now.values())   # pyogrio reads OFF as False
    assert journal in ("OFF", "FALSE") and sync in ("OFF", "FALSE") and cache == str(SQLITE_CACHE_MB)
    assert {k: pyogrio.get_gdal_config_option(k) for k in keys} == before

