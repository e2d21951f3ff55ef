"""Writing GeoPackages: the run's ``sites`` layer quickly, and any table as GDAL takes it.

The sites layer of a large run is the slowest file to write. Geometries read from a
GeoPackage and unchanged since keep the WKB they were read from
(:mod:`gis_tool.inputs.encoded`); others are encoded to WKB in the order they lie in
memory (the order the sites were built), not in the table's best-first order, which
jumps all over memory and makes encoding a million sites twice as slow; the encoded
values are then put in the table's order by Arrow, a batch at a time as GDAL asks for
it. The table goes to GDAL as Arrow (:func:`pyogrio.write_arrow`), as pyogrio's own
``write_dataframe(use_arrow=True)`` would send it. Tables with columns the Arrow path
does not take as they are (dates, mixed types) go through ``write_dataframe``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from ..engine.pipeline import Result, best_first
from ..engine.sets import order_of
from ..inputs.encoded import wkb_source
from ..inputs.gdal_config import gdal_config
from .map_data import map_data

GEOMETRY_TYPES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
                  6: "MultiPolygon"}


def ready_to_write(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A table as GDAL and PostGIS take it: a plain index, mixed-type columns as text."""
    out = gdf.reset_index(drop=True)
    for c in out.columns:
        if c != out.geometry.name and out[c].dtype == object:
            out[c] = out[c].map(lambda v: None if v is None or (isinstance(v, float)
                                                                 and np.isnan(v)) else str(v))
    return out


SQLITE_CACHE_MB = 256   # SQLite's page cache while writing (its default is 2 MB)
LARGE_PAGES_OVER = 100_000   # sites; above this the file gets SQLite's largest pages
LARGE_PAGE = 65536           # bytes (SQLite's default is 4,096)


@contextmanager
def _unjournalled_sqlite(large: bool = False) -> Iterator[None]:
    """GDAL writes GeoPackages without SQLite's rollback journal and syncs inside the
    block, with a larger page cache. Safe here: the file is new, in the run's temporary
    folder, and is only moved into place once complete; a crash leaves a temporary file
    that the next run removes. Measured on the sites layer of a million sites: no journal
    about 12 % faster; the cache (filled only as the file grows) 4.6 s to 3.6 s, all of it
    in building the R-tree index (1.9 s to 1.0 s).

    With ``large``, the new file gets 64 KB pages: a million sites go to disk in 7,000
    writes instead of 108,000, 3.6 s to 3.3 s and 3 % smaller. Every SQLite reader
    (QGIS, GDAL, sqlite3) takes any page size; a small file keeps the default, as each
    table and index takes at least one page (about 60 of them here).

    GDAL's R-tree is built as the file is closed, not on a thread of its own while the
    features go in: at 1M sites that thread took a core from sites.csv, written beside
    (:data:`~gis_tool.publish.outputs.BESIDE_OVER`), and the layer alone took longer
    with it (6.6-7.6 s against 6.1-6.5 s, runs taking turns; GDAL 3.12)."""
    config = {"OGR_SQLITE_JOURNAL": "OFF", "OGR_SQLITE_SYNCHRONOUS": "OFF",
              "OGR_SQLITE_CACHE": str(SQLITE_CACHE_MB), "OGR_GPKG_THREADED_RTREE": "NO"}
    if large:
        config["OGR_SQLITE_PRAGMA"] = f"page_size={LARGE_PAGE}"
    with gdal_config(config):
        yield


def _prepared(result: Result) -> tuple[gpd.GeoDataFrame, pa.RecordBatchReader | None, np.ndarray | None]:
    """The ``sites`` layer as it is written: the table best first, that table as Arrow
    batches with its geometry as WKB (None when pyogrio's own writer is to write it), the
    order of its rows as the sites lie in memory (None when unknown)."""
    ranked = best_first(result.sites)
    table = ready_to_write(ranked)
    cache = result.score_cache
    visit = None
    if cache is not None and len(cache.positions) == len(table) and ranked is result.sites:
        visit = order_of(cache.positions)   # rows in the order the sites were built
    return table, _as_arrow(table, visit), visit


def write_sites_gpkg(result: Result, path: Path, style: Callable[[Path], None] | None = None) -> dict[str, str]:
    """Write the ``sites`` layer, the input layers the map needs, and the QGIS style.

    Returns
    -------
    dict
        Analysis layer name to the GeoPackage layer that holds it (``input_<name>``).
    """
    stored = {}
    table, arrow, visit = _prepared(result)
    with _unjournalled_sqlite(large=len(table) > LARGE_PAGES_OVER):
        write_layer(table, path, "sites", visit, arrow=arrow)
        for name, gdf in map_data(result).layers.items():
            stored[name] = f"input_{name}"
            write_layer(ready_to_write(gdf), path, stored[name])
    if style is not None:
        style(path)
    n = pyogrio.read_info(path, layer="sites")["features"]
    if n != len(result.sites):
        raise OSError(f"{path}: wrote {n} features, expected {len(result.sites)}")
    return stored


def write_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str, visit: np.ndarray | None = None, *,
                arrow: pa.RecordBatchReader | None = None) -> None:
    """Write ``gdf`` (a plain index, as :func:`ready_to_write` makes it) as ``layer`` of
    the GeoPackage ``path`` (created, or added to).

    ``visit`` is an order of the rows to encode the geometries in (the order they lie in
    memory); the rows are written in the table's order either way. ``arrow`` is the
    table already made into Arrow batches (as :func:`write_sites_gpkg` does).
    """
    geoms = gdf.geometry.to_numpy()
    kind = _one_type(geoms if visit is None else geoms[visit])   # in memory order: 4x quicker
    table = None if kind is None else _as_arrow(gdf, visit) if arrow is None else arrow
    if table is None or kind is None:
        gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio", use_arrow=True)
        return
    epsg = gdf.crs.to_epsg() if gdf.crs is not None else None
    crs = f"EPSG:{epsg}" if epsg else (gdf.crs.to_wkt("WKT1_GDAL") if gdf.crs is not None else None)
    pyogrio.write_arrow(table, path, layer=layer, driver="GPKG", geometry_name="geometry",
                        geometry_type=kind, crs=crs)


def _one_type(geoms: np.ndarray) -> str | None:
    """The geometries' one type as GDAL names it; None when they mix types, have Z
    coordinates or are all missing (pyogrio's writer knows what to declare then)."""
    types = np.unique(shapely.get_type_id(geoms))
    types = types[types >= 0]
    if len(types) != 1 or shapely.has_z(geoms).any():
        return None
    return GEOMETRY_TYPES.get(int(types[0]))


BATCH = 65_536   # rows handed to GDAL at a time


def _as_arrow(gdf: gpd.GeoDataFrame, visit: np.ndarray | None) -> pa.RecordBatchReader | None:
    """The table with its geometry as WKB, as a stream of record batches; None when a
    column needs pyogrio's own handling (dates, Python objects). Whether the geometries
    have one type GDAL can be told of is :func:`write_layer`'s question.

    Each batch's WKB is taken from the WKB read or encoded (:func:`_wkb`) as GDAL asks
    for the batch, into memory the batch before it gave back.
    """
    geom = gdf.geometry.name
    attrs = pd.DataFrame({c: gdf[c] for c in gdf.columns if c != geom}, copy=False)
    plain = all(pd.api.types.is_bool_dtype(t) or pd.api.types.is_numeric_dtype(t)
                or pd.api.types.is_string_dtype(t) for t in attrs.dtypes)
    if not plain:
        return None
    try:
        table = pa.Table.from_pandas(attrs, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    for i, f in enumerate(table.schema):     # GDAL takes no Arrow null type: text instead
        if pa.types.is_null(f.type):
            table = table.set_column(i, f.with_type(pa.string()), table[i].cast(pa.string()))
    values, index = _wkb(gdf.geometry.to_numpy(), visit)
    schema = table.schema.append(pa.field("geometry", pa.binary()))

    def batches() -> Iterator[pa.RecordBatch]:
        for a in range(0, len(table), BATCH):
            part = table.slice(a, BATCH)
            wkb = values.take(pa.array(index[a:a + BATCH]))
            yield pa.RecordBatch.from_arrays([c.combine_chunks() for c in part.columns] + [wkb], schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _wkb(geoms: np.ndarray, visit: np.ndarray | None) -> tuple[pa.Array, np.ndarray]:
    """WKB values and the index that puts them in the order of ``geoms``: the WKB the
    geometries were read from where they were (:func:`wkb_source`), else encoded in the
    order ``visit`` (as they lie in memory: twice as quick as the table's order)."""
    found = wkb_source(geoms, visit)
    if found is not None:
        return found
    if visit is None:
        return pa.array(shapely.to_wkb(geoms), pa.binary()), np.arange(len(geoms))
    return pa.array(shapely.to_wkb(geoms[visit]), pa.binary()), order_of(visit)
