"""Candidate sites: the polygons of a layer, or a square or hexagonal grid."""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from ..errors import InputError, closest, valid_list
from ..inputs.layers import attribute_texts, geometry_family
from ..spec.analysis import GridSpec
from .score import rising
from .sets import distinct

log = logging.getLogger(__name__)


def sites_from_layer(gdf: gpd.GeoDataFrame, id_field: str, *, where: str) -> gpd.GeoDataFrame:
    """Candidate sites from a polygon layer, identified by a unique column.

    Parameters
    ----------
    gdf
        The (loaded, repaired) layer.
    id_field
        The column whose values identify sites; must be unique and not null.
    where
        The layer's name for messages.

    Returns
    -------
    GeoDataFrame
        Indexed by ``site_id`` (text), with the layer's attribute columns.
    """
    if id_field not in gdf.columns:
        cols = [c for c in gdf.columns if c != gdf.geometry.name]
        raise InputError(f"{where}: sites.id names field '{id_field}', which the layer lacks"
                         f"{closest(id_field, cols)}; fields: {valid_list(cols)}")
    fam = geometry_family(gdf)
    if fam != "polygon":
        raise InputError(f"{where}: candidate sites must be polygons, but the layer holds "
                         f"{fam} geometries; name a polygon layer in sites.layer")
    ids = gdf[id_field]
    if ids.isna().any():
        n = int(ids.isna().sum())
        raise InputError(f"{where}: {n} feature(s) have no value in id field '{id_field}'; "
                         "give every site an id")
    sid = attribute_texts(ids)
    dup = sid[:0] if _all_distinct(sid) else sid[sid.duplicated(keep=False)]
    if len(dup):
        names = ", ".join(f"'{v}'" for v in dup.unique()[:5])
        more = dup.nunique() - 5
        raise InputError(f"{where}: id field '{id_field}' is not unique: {names}"
                         + (f" and {more} more" if more > 0 else "")
                         + " appear more than once; choose a unique column or fix the data")
    out = gdf.drop(columns=[c for c in ("site_id",) if c in gdf.columns and c != id_field])
    out = out.assign(site_id=sid.to_numpy()).set_index("site_id", drop=False)
    out.index.name = None
    return out


def _all_distinct(texts: pd.Series) -> bool:
    """No text appears twice. Texts in strictly rising order (as parcel numbers often
    are) are distinct, which one pass tells; else Arrow's hash of the texts, a third of
    the time of pandas' ``duplicated`` on a million ids (0.35 s; which is left for naming
    the ones that repeat). ``texts`` has no missing value."""
    arr = pa.array(texts, from_pandas=True)
    return rising(arr) or len(pc.unique(arr)) == len(arr)


def grid_sites(area: shapely.Geometry, spec: GridSpec, crs: object) -> gpd.GeoDataFrame:
    """A square or hexagonal grid over ``area``, cells clipped to it.

    ``cell_m`` is the side of a square cell, or the distance between the centres of
    neighbouring hexagons (their width across the flat sides). Cells are named
    ``r{row}c{col}`` with zero-padded numbers, so text order is row order.
    """
    x0, y0, x1, y1 = area.bounds
    c = spec.cell_m
    if spec.shape == "square":
        cols, rows = np.arange(x0, x1, c), np.arange(y0, y1, c)
        gx, gy = np.meshgrid(cols, rows)
        ri, ci = np.meshgrid(np.arange(len(rows)), np.arange(len(cols)), indexing="ij")
        cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + c, gy.ravel() + c)
    else:
        side = c / np.sqrt(3)
        dx, dy = 1.5 * side, c
        cols = np.arange(x0, x1 + dx, dx)
        rows = np.arange(y0 - dy / 2, y1 + dy, dy)
        ci, ri = np.meshgrid(np.arange(len(cols)), np.arange(len(rows)))
        cx = x0 + ci * dx
        cy = y0 + ri * dy + (ci % 2) * dy / 2
        ang = np.deg2rad(np.arange(0, 360, 60))
        ring = np.stack([cx.ravel()[:, None] + side * np.cos(ang),
                         cy.ravel()[:, None] + side * np.sin(ang)], axis=-1)
        cells = shapely.polygons(ring)
    n = len(cells)
    if n > 2_000_000:
        raise InputError(f"sites.grid: cell_m = {c:g} gives {n:,} cells over the study area; "
                         "use a larger cell size")
    rows_of, cols_of = ri.ravel(), ci.ravel()
    tree = shapely.STRtree(cells)
    hit = distinct(tree.query(area, predicate="intersects"), n)
    clipped = shapely.intersection(cells[hit], area)
    keep = shapely.area(clipped) > 0
    hit, clipped = hit[keep], clipped[keep]
    width = max(4, len(str(max(rows_of.max(), cols_of.max()))))
    sid = [f"r{r:0{width}d}c{k:0{width}d}" for r, k in zip(rows_of[hit], cols_of[hit])]
    out = gpd.GeoDataFrame({"site_id": sid}, geometry=clipped, crs=crs, index=pd.Index(sid))
    log.info("grid: %d %s cells of %g m", len(out), spec.shape, c)
    return out


def filter_sites(sites: gpd.GeoDataFrame, *, min_area_m2: float = 0.0,
                 study_area: shapely.Geometry | None = None) -> tuple[gpd.GeoDataFrame, dict]:
    """Drop sites smaller than ``min_area_m2`` or outside ``study_area``.

    Returns
    -------
    tuple
        The kept sites and a count of what was dropped and why.
    """
    dropped: dict[str, int] = {}
    geoms = sites.geometry.to_numpy()
    keep = np.ones(len(sites), bool)
    if study_area is not None:
        shapely.prepare(study_area)
        inside = shapely.intersects(study_area, geoms) & ~shapely.touches(study_area, geoms)
        dropped["outside study area"] = int((~inside).sum())
        keep &= inside
    if min_area_m2:
        small = shapely.area(geoms) < min_area_m2
        dropped[f"smaller than {min_area_m2:g} m2"] = int((small & keep).sum())
        keep &= ~small
    return sites.loc[keep], dropped
