"""Criteria: raw measures per site, in real units, indexed like the sites.

Each function takes the sites' geometries (a numpy array of shapely geometries in a
projected CRS) and returns one float per site. Everything is vectorised with shapely 2:
STRtree queries, array functions and ``np.bincount`` aggregation, with no per-site
Python loops. Nearest features and counts within a radius come from
:mod:`gis_tool.engine.nearest`; for overlap shares, polygon layers are dissolved, their
parts tested against a tree of the sites (settling the sites wholly inside) and cut into
small pieces for the sites that cross their edges, whose share of each piece is measured
by clipping (:mod:`gis_tool.engine.clip`, convex sites) or by GEOS (other sites). Large
inputs are split into chunks on several threads (shapely and numpy let go of the GIL),
reporting progress.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..inputs.layers import attribute_text
from ..progress import THREADS, gathered, in_chunks
from .clip import clipped_area, convex_sites
from .nearest import FeatureIndex, edges
from .sets import among, distinct
from .site_arrays import site_bounds, sites_tree

CRUMB = 1e-12     # of a site's area: a share below this is rounding, not land
MAX_VERTICES = 64  # largest piece when cutting dissolved polygon layers
CLIP_VERTICES = 32  # the pieces the sites that cross an edge are measured against


def distance_to(sites: np.ndarray, features: np.ndarray) -> np.ndarray:
    """Metres from each site to the nearest feature (0 when touching or overlapping).

    NaN when the layer has no features (the missing-value policy then applies).
    """
    d = FeatureIndex(features).nearest(sites)[0]
    d[~np.isfinite(d)] = np.nan
    return d


def nearest_attribute(sites: np.ndarray, features: np.ndarray, values: Any
                      ) -> tuple[np.ndarray, np.ndarray]:
    """The value of ``values`` (one per feature) on each site's nearest feature, and the
    distance to it. Values stay as they are (numbers or categories); a site with no
    feature to look at gets NaN (numbers) or None (categories)."""
    dist, feat = FeatureIndex(features).nearest(sites)
    series = pd.Series(values).reset_index(drop=True)
    numbers = pd.to_numeric(series, errors="coerce")
    numeric = int(numbers.notna().sum()) == int(series.notna().sum())
    vals = numbers.to_numpy(dtype=float) if numeric else series.to_numpy(dtype=object)
    if len(vals) == 0:
        return np.full(len(sites), np.nan), dist
    out = vals[np.clip(feat, 0, None)]
    out[feat < 0] = None if out.dtype == object else np.nan
    return out, dist


def count_within(sites: np.ndarray, features: np.ndarray, radius: float) -> np.ndarray:
    """Number of features at a distance of at most ``radius`` metres from each site."""
    return FeatureIndex(features).count_within(sites, radius)


def subdivide(geom: shapely.Geometry | np.ndarray, max_vertices: int = MAX_VERTICES) -> np.ndarray:
    """Cut polygons into disjoint pieces of at most ``max_vertices`` vertices.

    Pieces are halved along their longer side until small (like PostGIS ST_Subdivide),
    so that intersecting a site with a piece is cheap. Given an array, every polygon is
    cut on its own (work grows with the vertices, not with the layer's extent).
    """
    done = []
    todo = np.atleast_1d(np.asarray(geom, dtype=object))
    while len(todo):
        small = shapely.get_num_coordinates(todo) <= max_vertices
        done.append(todo[small])
        big = todo[~small]
        if not len(big):
            break
        b = shapely.bounds(big)
        wide = (b[:, 2] - b[:, 0]) >= (b[:, 3] - b[:, 1])
        xm, ym = (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2
        first = shapely.box(b[:, 0], b[:, 1], np.where(wide, xm, b[:, 2]), np.where(wide, b[:, 3], ym))
        second = shapely.box(np.where(wide, xm, b[:, 0]), np.where(wide, b[:, 1], ym), b[:, 2], b[:, 3])
        todo = np.concatenate([shapely.intersection(big, first), shapely.intersection(big, second)])
        todo = shapely.get_parts(todo[~shapely.is_empty(todo)])
        todo = todo[np.isin(shapely.get_type_id(todo), (3, 6))]
    out = shapely.get_parts(np.concatenate(done))
    return out[shapely.area(out) > 0]


def dissolved(features: np.ndarray) -> shapely.Geometry:
    """The union of polygons, by GEOS's union of disjoint subsets where GEOS has it
    (3.12+): polygons are grouped into clusters that touch or overlap and each cluster is
    unioned on its own. Zoning layers fall apart into many such clusters; the synthetic
    1M municipality's 10,000 zones of one class are dissolved in 0.15 s instead of
    0.79 s. On one connected blob it is about 1.7 times slower than a plain union (a
    fraction of a second at 10,000 polygons). The result is the same union."""
    if shapely.geos_version >= (3, 12, 0):
        return shapely.disjoint_subset_union_all(features)
    return shapely.union_all(features)


def covered_area(sites: np.ndarray, features: np.ndarray, union: shapely.Geometry | None = None,
                 area: np.ndarray | None = None) -> np.ndarray:
    """Area of each site covered by the union of ``features`` (overlaps counted once;
    ``union``, when given, is that union already made; ``area``, when given, each site's
    area). The tree of the sites is made once per site array
    (:func:`~gis_tool.engine.site_arrays.sites_tree`).

    Sites wholly inside the union are found by one point in a polygon where their boxes
    are clear of its edges' boxes, else by prepared tests (:func:`_classify`); only sites
    that cross its edge are intersected, with small pieces of the union.
    """
    out = np.zeros(len(sites))
    if (union is None and len(features) == 0) or len(sites) == 0:
        return out
    union = dissolved(features) if union is None else union
    if shapely.is_empty(union):
        return out
    # The union's disjoint parts, each prepared once and tested against the sites in a
    # tree: a site a part covers is wholly covered; only sites that cross a part's edge
    # are intersected, with small pieces of it.
    parts = shapely.get_parts(union)
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    tree = sites_tree(sites)

    shapely.prepare(parts)
    covered, hit_site, hit_part = gathered(lambda a, b: _classify(sites, tree, parts, a, b), len(parts),
                                           min_chunk=1)
    inside = np.zeros(len(sites), bool)
    inside[covered] = True
    # a site wholly inside has its own area (asked of GEOS only without ``area``: a
    # gather of a quarter of a million sites and their areas, 0.1 s at 1M)
    out[inside] = shapely.area(sites[inside]) if area is None else area[inside]
    crossing = ~inside[hit_site]
    rest = distinct(hit_site[crossing], len(sites))
    if len(rest) == 0:
        return out
    # Pairs whose boxes meet are measured straight away: an "intersects" test first
    # would cost more than the few empty intersections it saves (so also sites near an
    # edge but outside the union: _classify does not ask). A convex site's share
    # of a piece comes from clipping the piece by the site's sides (engine.clip, about
    # four times quicker than GEOS's intersection); other sites are intersected by GEOS.
    pieces = subdivide(parts[distinct(hit_part[crossing], len(parts))], CLIP_VERTICES)
    crossers = sites[rest]
    pi, si = shapely.STRtree(crossers).query(pieces)
    convex = convex_sites(crossers)[si]
    pair_area = np.empty(len(si))
    pair_area[convex] = clipped_area(crossers, pieces, si[convex], pi[convex])
    bent_s, bent_p = si[~convex], pi[~convex]
    if len(bent_s):
        pair_area[~convex] = np.concatenate(in_chunks(lambda a, b: shapely.area(shapely.intersection(
            crossers[bent_s[a:b]], pieces[bent_p[a:b]])), len(bent_s)))
    np.add.at(out, rest[si], pair_area)
    # a site beside the union but not in it (or touching it) clips to a ring along a line,
    # whose area is zero but for the last bits
    # (only a site with less than a square metre in it can be one: CRUMB of a million km²)
    small = rest[out[rest] < 1.0]
    whole = shapely.area(sites[small]) if area is None else area[small]
    out[small[out[small] <= CRUMB * whole]] = 0.0
    return out


def _classify(sites: np.ndarray, tree: shapely.STRtree, parts: np.ndarray, a: int, b: int
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sites wholly inside a part of ``parts[a:b]`` (prepared, disjoint), and the
    (site, part) pairs that may meet other than those (``tree`` is the sites').

    A site whose box meets a part's box but no box of the part's edges lies wholly
    inside the part or wholly outside it, as its box does: the centre of its box tells
    which (one point in a polygon). Only the sites whose boxes meet an edge's box are
    asked ``covers`` (a prepared test of two polygons): at 1M sites, a third of the
    pairs. Those it does not cover are returned as pairs that may meet, without asking
    ``intersects``: their clipped area says (zero for a site beside the part), for less
    than the test would cost.
    """
    chunk, n = parts[a:b], np.int64(len(sites))
    rings, ring_of = shapely.get_rings(chunk, return_index=True)
    sides, side_of = edges(rings)
    e, s_edge = tree.query(sides)
    by_edge = distinct(ring_of[side_of[e]] * n + s_edge)   # (part, site) as part * n + site
    p_box, s_box = tree.query(chunk)
    near = among(p_box * n + s_box, by_edge)
    p_hit, s_hit = p_box[near], s_box[near]
    p_away, s_away = p_box[~near], s_box[~near]
    box = site_bounds(sites)[s_away]
    inside = shapely.contains_xy(chunk[p_away], (box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2)
    covers = shapely.covers(chunk[p_hit], sites[s_hit])
    return np.concatenate([s_away[inside], s_hit[covers]]), s_hit, p_hit + a


def overlap_share(sites: np.ndarray, features: np.ndarray, classes: Mapping[str, float] | None = None,
                  labels: pd.Series | None = None) -> np.ndarray:
    """Share of each site's area covered by ``features``, from 0 to 1.

    With ``classes`` (class label to score 0..1) and ``labels`` (each feature's class),
    each part of a site counts once, at the best class score that covers it:
    ``sum over score levels of score x share of the site in that level's region``, where
    a level's region is its features' union less the better levels' (the regions are
    disjoint). Overlapping features are never double counted.
    """
    site_area = shapely.area(sites)
    with np.errstate(invalid="ignore", divide="ignore"):
        if classes is None:
            return np.clip(covered_area(sites, features, area=site_area) / site_area, 0.0, 1.0)
        score = pd.Series(labels).reset_index(drop=True).map(
            lambda v: classes.get(attribute_text(v) or "", 0.0)).to_numpy(dtype=float)
        levels = sorted({s for s in score if s > 0}, reverse=True)
        if not levels:   # no feature of a class that scores
            return np.zeros(len(sites))
        # each level's own union, and the tree of the sites, on threads of their own
        # (GEOS makes each on one thread)
        with ThreadPoolExecutor(max(1, min(THREADS, len(levels) + 1))) as pool:
            made = [pool.submit(dissolved, features[score == level]) for level in levels]
            pool.submit(sites_tree, sites)   # kept for covered_area below
            unions = [m.result() for m in made]
        total = np.zeros(len(sites))
        better = unions[0]   # the union of the levels done so far
        for i, (level, own) in enumerate(zip(levels, unions, strict=True)):
            region = own if i == 0 else shapely.difference(own, better)
            if 0 < i < len(levels) - 1:
                better = shapely.union(better, own)
            total += level * np.clip(covered_area(sites, features, region, site_area) / site_area, 0.0, 1.0)
        return np.clip(total, 0.0, 1.0)


def site_area(sites: np.ndarray) -> np.ndarray:
    """Area of each site in square metres."""
    return shapely.area(sites)


def compactness(sites: np.ndarray) -> np.ndarray:
    """Polsby-Popper compactness, 4 pi A / P^2: 1 for a circle, about 0.785 for a square.

    Compact plots are easier to build large halls on than long thin ones.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return 4 * np.pi * shapely.area(sites) / shapely.length(sites) ** 2
