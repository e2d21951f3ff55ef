"""Geometry repairs on load: safe fixes, each counted in the layer's report.

Null and empty geometries and exact duplicates are dropped, Z/M values dropped, invalid
polygons repaired with ``make_valid`` keeping every polygonal part (a bow-tie keeps both
lobes), and a layer mixing single and multi parts is made multi throughout.
"""

from __future__ import annotations

from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..progress import gathered, in_chunks
from .encoded import known_valid


class LayerReport(Protocol):
    """Where repairs are counted (``layers.LayerReport`` is one)."""

    def count(self, what: str, n: int) -> None: ...


def repair_geometries(gdf: gpd.GeoDataFrame, report: LayerReport) -> gpd.GeoDataFrame:
    """Drop null, empty and duplicate features, drop Z/M, repair invalid geometries.

    Invalid polygons are repaired with :func:`shapely.make_valid` and keep all their
    polygonal parts (a bow-tie keeps both lobes); a layer mixing single and multi parts
    is made multi throughout. Every repair is counted in ``report``.
    """
    geoms = gdf.geometry.to_numpy()
    checked = known_valid(geoms)   # checked as they were decoded, for a large GeoPackage layer
    gone, has_z, tid = gathered(lambda a, b: _facts(geoms[a:b]), len(geoms))
    keep = ~gone
    report.count("dropped null or empty geometry", int(gone.sum()))
    gdf = gdf.loc[keep].copy()
    geoms = gdf.geometry.to_numpy()
    has_z, tid = has_z[keep], tid[keep]
    if has_z.any():
        geoms = shapely.force_2d(geoms)
        report.count("dropped Z coordinates", int(has_z.sum()))
        checked = None   # new geometries: checked below
    types = set(np.unique(tid).tolist())
    if checked is not None:
        invalid = ~checked[keep]
    else:
        invalid = ~np.concatenate(in_chunks(lambda a, b: shapely.is_valid(geoms[a:b]), len(geoms)))
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        kind = _family(types)
        if kind is not None:
            fixed = _keep_family(fixed, kind)
        geoms[invalid] = fixed
        tid[invalid] = shapely.get_type_id(fixed)   # the repaired ones' types, not every one's again
        report.count("repaired invalid geometry", int(invalid.sum()))
        gone = shapely.is_empty(geoms) | shapely.is_missing(geoms)
        if gone.any():
            report.count("dropped invalid geometry with nothing left", int(gone.sum()))
            geoms, gdf, tid = geoms[~gone], gdf.loc[~gone].copy(), tid[~gone]
    geoms = _normalise_multi(geoms, report, tid)
    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    dup = _duplicates(gdf)
    if dup.any():
        report.count("dropped exact duplicate feature", int(dup.sum()))
        gdf = gdf.loc[~dup]
    return gdf


def _family(type_ids: set[int]) -> str | None:
    if type_ids <= {3, 6}:
        return "polygon"
    if type_ids <= {1, 5}:
        return "line"
    return None


def _keep_family(geoms: np.ndarray, kind: str) -> np.ndarray:
    """Keep only the polygonal (or lineal) parts of repaired geometries, as multi-parts."""
    parts, idx = shapely.get_parts(geoms, return_index=True)
    want = (3,) if kind == "polygon" else (1,)
    sel = np.isin(shapely.get_type_id(parts), want)
    build = shapely.multipolygons if kind == "polygon" else shapely.multilinestrings
    out = np.array([shapely.from_wkt("GEOMETRYCOLLECTION EMPTY")] * len(geoms), dtype=object)
    if sel.any():
        grouped = build(parts[sel], indices=idx[sel])
        out[np.unique(idx[sel])] = grouped
    return out


def as_multi(geoms: np.ndarray, types: tuple[int, ...] = (3, 1)) -> np.ndarray:
    """Single polygons (type 3) and lines (type 1), of those in ``types``, as one-part
    multi-polygons and multi-lines; every other geometry as it is."""
    tid = shapely.get_type_id(geoms)
    out = geoms
    for single, build in ((3, shapely.multipolygons), (1, shapely.multilinestrings)):
        at = np.flatnonzero(tid == single) if single in types else np.zeros(0, int)
        if len(at):
            out = out.copy() if out is geoms else out
            out[at] = build(geoms[at], indices=np.arange(len(at)))
    return out


def _facts(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Null or empty, with Z, type id: each geometry asked all three while it is in the
    processor's cache (a million parcels: 0.2 s asked one question at a time)."""
    return shapely.is_missing(geoms) | shapely.is_empty(geoms), shapely.has_z(geoms), shapely.get_type_id(geoms)


def _normalise_multi(geoms: np.ndarray, report: LayerReport, tid: np.ndarray) -> np.ndarray:
    for single, multi in ((3, 6), (1, 5)):
        n_single = int((tid == single).sum())
        if n_single and (tid == multi).any():
            geoms = as_multi(geoms, (single,))
            report.count("made multi-part (layer mixed single and multi)", n_single)
    return geoms


def _duplicates(gdf: gpd.GeoDataFrame) -> np.ndarray:
    """Exact duplicates (same geometry, same attributes), later copies marked.

    A cheap 64-bit key first: each geometry's type, bounding box and vertex count, and
    for the rows whose geometry keys collide, their attributes too (rows with a geometry
    of their own cannot be duplicates, so most layers need no attribute hashing); the few
    rows whose keys still collide are compared in full, so a million features cost a
    fraction of a second.
    """
    geoms = gdf.geometry.to_numpy()
    cols = [c for c in gdf.columns if c != gdf.geometry.name]
    out = np.zeros(len(gdf), bool)
    h = _geometry_key(geoms)
    same = np.flatnonzero(pd.Series(h).duplicated(keep=False).to_numpy())
    if not len(same):
        return out
    h = h[same]
    if cols:
        try:
            h = h ^ pd.util.hash_pandas_object(gdf[cols].iloc[same], index=False).to_numpy()
        except TypeError:  # unhashable cells (lists): hash their text
            h = h ^ pd.util.hash_pandas_object(gdf[cols].iloc[same].astype(str), index=False).to_numpy()
    cand = np.zeros(len(gdf), bool)
    cand[same] = pd.Series(h).duplicated(keep=False).to_numpy()
    if cand.any():
        idx = np.flatnonzero(cand)
        sub = gdf.iloc[idx]
        key = pd.concat([sub[cols].astype(str).reset_index(drop=True),
                         pd.Series(shapely.to_wkb(geoms[idx]), name="__wkb")], axis=1)
        out[idx] = key.duplicated().to_numpy()
    return out


def _geometry_key(geoms: np.ndarray) -> np.ndarray:
    """A 64-bit key per geometry from its type, vertex count and bounding box; equal
    geometries get equal keys (different ones rarely do, and are then told apart in
    full by the caller). In chunks on threads: each chunk's geometries are asked all
    three while they are in the processor's cache."""
    def chunk(a: int, b: int) -> np.ndarray:
        part = geoms[a:b]
        box = np.nan_to_num(shapely.bounds(part), nan=0.0)
        h = pd.util.hash_array(shapely.get_type_id(part).astype(np.int64))
        h ^= pd.util.hash_array(shapely.get_num_coordinates(part).astype(np.int64)) * np.uint64(3)
        for k in range(4):
            h ^= pd.util.hash_array(np.ascontiguousarray(box[:, k]).view(np.uint64)) * np.uint64(2 * k + 5)
        return h

    return np.concatenate(in_chunks(chunk, len(geoms))) if len(geoms) else np.zeros(0, np.uint64)
