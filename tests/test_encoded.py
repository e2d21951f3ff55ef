"""Geometries kept with the WKB they were read from (gis_tool/inputs/encoded.py): the
reader gives what pyogrio's gives, and a table written later reuses the WKB of exactly
the geometries read, in its own order, and encodes the rest."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pytest
import shapely

from gis_tool.inputs import encoded

from .conftest import CRS, X0, Y0, write_gpkg


@pytest.fixture
def kept_always(monkeypatch):
    """Every layer kept, however small; nothing left from another test."""
    monkeypatch.setattr(encoded, "KEEP_OVER", 0)
    encoded.forget()
    yield
    encoded.forget()


def wkb_of(geoms: np.ndarray) -> pa.Array | None:
    """The WKB :func:`encoded.wkb_source` finds for each of ``geoms``, taken in their order."""
    found = encoded.wkb_source(geoms)
    return None if found is None else found[0].take(pa.array(found[1]))


def _layer(n: int, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    c = rng.uniform(0, 5000, (n, 2)) + (X0, Y0)
    geoms = shapely.buffer(shapely.points(c), rng.uniform(5, 50, n), quad_segs=2)
    geoms[::7] = shapely.difference(geoms[::7], shapely.buffer(shapely.points(c[::7]), 2.0))  # holes
    return gpd.GeoDataFrame({"pid": [f"P{i:04d}" if i % 11 else None for i in range(n)],
                             "n": np.arange(n, dtype=np.int64), "price": rng.uniform(0, 100, n),
                             "owned": rng.random(n) < 0.5}, geometry=geoms, crs=CRS)


def test_the_reader_gives_what_pyogrio_gives(tmp_path, kept_always):
    path = write_gpkg(tmp_path / "l.gpkg", {"parcels": _layer(300)})
    assert encoded.plain_layer(path, "parcels")
    for where in (None, "price > 50"):
        kw = {"where": where} if where else {}
        got = encoded.read_keeping_wkb(path, "parcels", **kw)
        want = pyogrio.read_dataframe(path, layer="parcels", use_arrow=True, **kw)
        assert list(got.columns) == list(want.columns) and got.crs == want.crs
        assert (got.dtypes == want.dtypes).all()
        pd.testing.assert_frame_equal(pd.DataFrame(got.drop(columns="geometry")),
                                      pd.DataFrame(want.drop(columns="geometry")))
        assert shapely.equals_exact(got.geometry.to_numpy(), want.geometry.to_numpy(), 0).all()
        assert len(got) == (300 if where is None else (want["price"] > 50).sum())


def test_layers_the_reader_leaves_to_pyogrio(tmp_path):
    dated = _layer(5).assign(when=pd.date_range("2026-01-01", periods=5, freq="D"))
    path = write_gpkg(tmp_path / "d.gpkg", {"dated": dated, "plain": _layer(5)})
    assert str(pyogrio.read_info(path, layer="dated")["dtypes"][-1]).startswith("datetime")
    pyogrio.write_dataframe(pd.DataFrame({"a": [1, 2]}), path, layer="table")   # no geometry
    _layer(5).to_file(tmp_path / "p.geojson")
    assert encoded.plain_layer(path, "plain")
    assert not encoded.plain_layer(path, "dated")
    assert not encoded.plain_layer(path, "table")
    assert not encoded.plain_layer(tmp_path / "p.geojson", None)


def test_written_tables_reuse_the_wkb_of_the_geometries_read(tmp_path, kept_always):
    path = write_gpkg(tmp_path / "l.gpkg", {"parcels": _layer(400)})
    read = encoded.read_keeping_wkb(path, "parcels").geometry.to_numpy()
    order = np.random.default_rng(2).permutation(400)[:250]
    subset = read[order]                                  # some of them, in another order
    got = wkb_of(subset)
    assert got is not None and got.to_pylist() == list(shapely.to_wkb(subset))
    # geometries made since (a repaired or moved site) are encoded; the rest reused
    moved = shapely.transform(read[:30], lambda xy: xy + 1.0)
    mixed = np.concatenate([read[300:330], moved, read[::-9]])
    got = wkb_of(mixed)
    assert got is not None and got.to_pylist() == list(shapely.to_wkb(mixed))
    assert wkb_of(moved) is None                  # none of them was read
    assert wkb_of(read[:0]) is None
    encoded.forget()
    assert wkb_of(subset) is None


def test_ids_are_read_from_the_array_as_python_gives_them():
    geoms = shapely.points(np.arange(20.0), np.zeros(20))
    for arr in (geoms, geoms[::3], geoms[::-1]):
        np.testing.assert_array_equal(encoded._ids(arr), [id(g) for g in arr])


def test_only_the_newest_layers_are_kept(tmp_path, kept_always, monkeypatch):
    monkeypatch.setattr(encoded, "KEPT", 2)
    path = write_gpkg(tmp_path / "l.gpkg", {f"l{i}": _layer(20, seed=i) for i in range(3)})
    layers = [encoded.read_keeping_wkb(path, f"l{i}").geometry.to_numpy() for i in range(3)]
    assert wkb_of(layers[0]) is None
    for g in layers[1:]:
        assert wkb_of(g).to_pylist() == list(shapely.to_wkb(g))


def test_a_run_writes_the_sites_it_read_exactly(tmp_path, kept_always):
    """The sites layer of sites.gpkg holds each site's own geometry, best first, when
    every site's WKB is reused from the input."""
    from gis_tool import run_analysis
    from gis_tool.engine.result import best_first
    from gis_tool.publish.outputs import write_outputs

    from .conftest import write_toml

    parcels = _layer(200)
    parcels["pid"] = [f"P{i:04d}" for i in range(200)]
    roads = gpd.GeoDataFrame({"k": [1]}, geometry=[shapely.LineString([(X0, Y0), (X0 + 5000, Y0 + 5000)])],
                             crs=CRS)
    write_gpkg(tmp_path / "w.gpkg", {"parcels": parcels, "roads": roads})
    toml = write_toml(tmp_path / "a.toml", """
        [layers.parcels]
        path = "w.gpkg"
        layer = "parcels"
        [layers.roads]
        path = "w.gpkg"
        layer = "roads"
        [sites]
        layer = "parcels"
        id = "pid"
        [criteria.road]
        kind = "distance"
        layer = "roads"
        value = { fn = "linear", best = 0, worst = 3000 }
        """)
    result = run_analysis(toml)
    assert wkb_of(result.sites.geometry.to_numpy()) is not None
    write_outputs(result, tmp_path / "out")
    got = pyogrio.read_dataframe(tmp_path / "out" / "sites.gpkg", layer="sites")
    assert list(got["site_id"]) == list(best_first(result.sites)["site_id"])
    want = parcels.set_index("pid").geometry.loc[got["site_id"]].to_numpy()
    assert shapely.equals_exact(got.geometry.to_numpy(), want, 0).all()


def _with_invalid(n: int) -> gpd.GeoDataFrame:
    """A layer where every fifth polygon is a bow-tie (invalid) and one has no geometry."""
    layer = _layer(n)
    geoms = layer.geometry.to_numpy().copy()
    for i in range(0, n, 5):
        x, y = shapely.get_coordinates(shapely.centroid(geoms[i]))[0]
        geoms[i] = shapely.Polygon([(x, y), (x + 9, y + 9), (x + 9, y), (x, y + 9)])
    geoms[3] = None
    return layer.set_geometry(geoms)


def test_validity_is_checked_chunk_by_chunk_as_read(tmp_path, kept_always, monkeypatch):
    """The reader checks each geometry's validity while it decodes the next chunk; what
    it knows is shapely's own answer, for the geometries read in any order, and nothing
    for geometries it did not read."""
    monkeypatch.setattr(encoded, "CHUNK", 7)      # many chunks, the last a short one
    path = write_gpkg(tmp_path / "v.gpkg", {"parcels": _with_invalid(103)})
    read = encoded.read_keeping_wkb(path, "parcels").geometry.to_numpy()
    known = encoded.known_valid(read)
    assert known is not None
    np.testing.assert_array_equal(known, shapely.is_valid(read))
    assert (~known).sum() == 21 + 1               # 21 bow-ties and the missing geometry
    order = np.random.default_rng(3).permutation(103)[:40]
    np.testing.assert_array_equal(encoded.known_valid(read[order]), shapely.is_valid(read[order]))
    made = shapely.buffer(read[5:8], 0)
    assert encoded.known_valid(made) is None
    assert encoded.known_valid(np.concatenate([read[:4], made])) is None


def test_a_damaged_geometry_in_a_later_chunk_is_refused(tmp_path, kept_always, monkeypatch):
    import sqlite3

    from gis_tool.errors import InputError
    from gis_tool.inputs.layers import read_layer

    monkeypatch.setattr(encoded, "CHUNK", 10)
    path = write_gpkg(tmp_path / "d.gpkg", {"parcels": _layer(60)})
    with sqlite3.connect(path) as db:           # cut the WKB of feature 45 short
        for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            db.execute(f'DROP TRIGGER "{trigger}"')   # the R-tree's, which need GDAL's functions
        (blob,) = db.execute("SELECT geom FROM parcels WHERE fid = 45").fetchone()
        db.execute("UPDATE parcels SET geom = ? WHERE fid = 45", (blob[:-12],))
    with pytest.raises(InputError, match=r"d\.gpkg, layer 'parcels': cannot be read"):
        read_layer(path, layer="parcels")


def test_repairs_on_load_count_the_same_with_validity_known(tmp_path, monkeypatch):
    """Loading uses the validity found while reading where it has it; the repairs are
    the same as when it checks the geometries itself."""
    from gis_tool.inputs import repair
    from gis_tool.inputs.layers import read_layer

    answers = []
    monkeypatch.setattr(repair, "known_valid", lambda g: answers.append(encoded.known_valid(g))
                        or answers[-1])
    path = write_gpkg(tmp_path / "r.gpkg", {"parcels": _with_invalid(90)})
    got = {}
    for over in (0, 10**9):                      # kept and checked while read; not kept
        monkeypatch.setattr(encoded, "KEEP_OVER", over)
        encoded.forget()
        lyr = read_layer(path, layer="parcels")
        got[over] = (dict(lyr.report.repairs), lyr.gdf.geometry.to_numpy())
        assert (answers[-1] is None) == bool(over)     # the repairs used what was known
    encoded.forget()
    assert got[0][0] == got[10**9][0]
    assert got[0][0]["repaired invalid geometry"] == 18
    assert got[0][0]["dropped null or empty geometry"] == 1
    assert shapely.equals_exact(got[0][1], got[10**9][1], 0).all()
    assert shapely.is_valid(got[0][1]).all()
