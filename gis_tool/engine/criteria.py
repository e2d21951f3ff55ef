"""Criteria: raw measures per site, in real units, indexed like the sites.

Each function takes the sites' geometries (a numpy array of shapely geometries in a
projected CRS) and returns one float per site. Everything is vectorised with shapely 2:
STRtree queries, array functions and ``np.bincount`` aggregation, with no per-site
Python loops. Lines and polygon boundaries are cut into short segments before nearest
searches, which first settle the sites that touch a segment; polygon layers are
dissolved, their parts tested against a tree of the sites (settling the sites wholly
inside) and cut into small pieces for the sites that cross their edges. Large inputs are
split into chunks on several threads (shapely lets go of the GIL), reporting progress.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import shapely

from ..inputs.layers import attribute_text
from ..progress import advance

SEGMENT_M = 250.0  # longest segment used in nearest searches
MAX_VERTICES = 64  # largest piece when cutting dissolved polygon layers
THREADS = min(8, os.cpu_count() or 1)  # shapely's array functions release the GIL
MIN_CHUNK = 5000  # sites per thread below which one thread does it all
CHUNK = 50_000  # sites per chunk in large runs: progress shows as chunks finish
CHOOSE_OVER = 20_000  # sites (not touching a layer) above which a sample picks the nearest method
SAMPLE = 1_000        # sites timed with each method


def in_chunks(fn: Callable[[int, int], Any], n: int, min_chunk: int = MIN_CHUNK) -> list[Any]:
    """Run ``fn(start, stop)`` over ``range(n)`` in chunks on several threads, in order.

    Large inputs go in chunks of about ``CHUNK`` (at most 64), each reported to
    :func:`gis_tool.progress.advance` as it finishes; the results do not depend on it.
    """
    threads = max(1, min(THREADS, n // min_chunk))
    if threads == 1:
        return [fn(0, n)]
    k = max(threads, min(64, n // CHUNK))
    edges = [int(e) for e in np.linspace(0, n, k + 1)]
    out = []
    with ThreadPoolExecutor(threads) as pool:
        for i, part in enumerate(pool.map(lambda i: fn(edges[i], edges[i + 1]), range(k))):
            out.append(part)
            advance(i + 1, k)
    return out


def gathered(fn: Callable[[int, int], tuple[np.ndarray, ...]], n: int, *, min_chunk: int = MIN_CHUNK,
             threads: bool = True) -> tuple[np.ndarray, ...]:
    """``fn(start, stop)``, which returns a tuple of arrays, over ``range(n)`` in chunks
    (:func:`in_chunks`; on this thread alone without ``threads``), each array joined up."""
    found = in_chunks(fn, n, min_chunk) if threads else [fn(0, n)]
    return tuple(np.concatenate(arrays) for arrays in zip(*found, strict=True))


def _segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cut lines and polygon boundaries into short segments.

    Returns
    -------
    tuple
        The segments (and points, unchanged) and, for each, the index of its feature.
    """
    tid = shapely.get_type_id(geoms)
    poly = np.isin(tid, (3, 6))
    geoms = geoms.copy()
    geoms[poly] = shapely.boundary(geoms[poly])
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    is_point = shapely.get_type_id(parts) == 0
    lines = shapely.segmentize(parts[~is_point], SEGMENT_M)
    coords, line_idx = shapely.get_coordinates(lines, return_index=True)
    same = line_idx[1:] == line_idx[:-1]
    starts = np.flatnonzero(same)
    seg = shapely.linestrings(np.stack([coords[starts], coords[starts + 1]], axis=1))
    seg_of = part_of[~is_point][line_idx[starts]]
    return (np.concatenate([parts[is_point], seg]),
            np.concatenate([part_of[is_point], seg_of]))


class FeatureIndex:
    """A spatial index over one layer's features for nearest and radius queries."""

    def __init__(self, geoms: np.ndarray):
        self.geoms = np.asarray(geoms)
        self.parts, self.part_of = _segments(self.geoms)
        self.tree = shapely.STRtree(self.parts)
        self.poly = np.isin(shapely.get_type_id(self.geoms), (3, 6))
        self.poly_tree = shapely.STRtree(self.geoms[self.poly]) if self.poly.any() else None
        for t in (self.tree, self.poly_tree):  # build now, before threads share the trees
            if t is not None:
                t.query(shapely.Point(0, 0))

    def nearest(self, sites: np.ndarray, method: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Distance from each site to the nearest feature, and that feature's index.

        A site that touches or overlaps a feature has distance 0. Among features at the
        same distance the one with the lowest index is taken, so results do not depend on
        the tree's order, on how the sites are chunked over threads, or on the method.

        First the sites that touch a part (one prepared ``intersects`` query, distance
        0), then the rest by one of two exact methods, whichever a sample of the sites
        finds quicker on this data (``method`` forces one):

        - ``"bound"``: from a point ``p`` inside the site and its radius ``r`` about it,
          the part nearest to ``p`` at ``d_p`` bounds the site's distance from above, and no
          part farther than ``d_p + r`` from ``p`` can come nearer; exact distances only
          for the parts within that bound. Quick when sites lie near the layer.
        - ``"search"``: GEOS's nearest search from each site. Quick when sites lie far
          from a compact layer (water mains in one town), where the bound's disc is wide.
        """
        n = len(sites)
        dist, feat = np.full(n, np.inf), np.full(n, -1)
        if self.poly_tree is not None:  # inside a polygon feature: distance 0
            si, fi = self.poly_tree.query(sites, predicate="intersects")
            _best(dist, feat, si, np.flatnonzero(self.poly)[fi], np.zeros(len(si)))
        if not len(self.parts) or not n:
            return dist, feat
        s, p = self._touching(sites)    # also for sites inside polygons: a lower-numbered part
        _best(dist, feat, s, self.part_of[p], np.zeros(len(s)))
        rest = np.flatnonzero(dist > 0)
        how = method or self._quicker(sites[rest])
        s, p, d = (self._bounded if how == "bound" else self._searched)(sites, rest)
        _best(dist, feat, s, self.part_of[p], d)
        return dist, feat

    def _touching(self, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        def chunk(a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
            si, pi = self.tree.query(sites[a:b], predicate="intersects")
            return si + a, pi

        si, pi = gathered(chunk, len(sites))
        return si, pi

    def _quicker(self, sites: np.ndarray) -> str:
        """The quicker method on this data, timed on an evenly spread sample of the sites."""
        if len(sites) < CHOOSE_OVER:
            return "bound"
        sample = sites[np.linspace(0, len(sites) - 1, SAMPLE).astype(int)]
        every = np.arange(len(sample))
        took = {}
        for how, fn in (("bound", self._bounded), ("search", self._searched)):
            t0 = time.perf_counter()
            fn(sample, every, threads=False)
            took[how] = time.perf_counter() - t0
        return min(took, key=lambda k: took[k])

    def _searched(self, sites: np.ndarray, idx: np.ndarray, threads: bool = True
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(site, part, distance) of every part nearest to the sites ``idx`` (ties
        included), by GEOS's nearest search."""
        def chunk(a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            ix = idx[a:b]
            (s, p), d = self.tree.query_nearest(sites[ix], all_matches=True, return_distance=True)
            return ix[s], p, d

        s, p, d = gathered(chunk, len(idx), threads=threads)
        return s, p, d

    def _bounded(self, sites: np.ndarray, idx: np.ndarray, threads: bool = True
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(site, part, exact distance) for every part that may be nearest to the sites
        ``idx``, within the bound of :meth:`nearest`."""
        def chunk(a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            ix = idx[a:b]
            geoms = sites[ix]
            inner = shapely.point_on_surface(geoms)
            xy, of = shapely.get_coordinates(geoms, return_index=True)
            pxy = shapely.get_coordinates(inner)
            radius = np.zeros(len(ix))
            np.maximum.at(radius, of, np.hypot(*(xy - pxy[of]).T))
            (pi, _), d_p = self.tree.query_nearest(inner, return_distance=True, all_matches=False)
            reach = np.full(len(ix), np.inf)
            reach[pi] = d_p
            bound = reach + radius
            bound = bound + 1e-9 * np.maximum(bound, 1.0)   # the last bit of the bound's arithmetic
            si, parts = self.tree.query(inner, predicate="dwithin", distance=bound)
            return ix[si], parts, shapely.distance(geoms[si], self.parts[parts])

        s, p, d = gathered(chunk, len(idx), threads=threads)
        return s, p, d

    def count_within(self, sites: np.ndarray, radius: float) -> np.ndarray:
        """How many distinct features lie at most ``radius`` from each site."""
        si, pi = self.tree.query(sites, predicate="dwithin", distance=radius)
        pairs = np.unique(np.stack([si, self.part_of[pi]]), axis=1)
        if self.poly_tree is not None:
            s2, f2 = self.poly_tree.query(sites, predicate="intersects")
            extra = np.stack([s2, np.flatnonzero(self.poly)[f2]])
            pairs = np.unique(np.concatenate([pairs, extra], axis=1), axis=1)
        return np.bincount(pairs[0], minlength=len(sites)).astype(float)


def _best(dist: np.ndarray, feat: np.ndarray, s: np.ndarray, f: np.ndarray, d: np.ndarray) -> None:
    """Keep, per site, the smallest distance ``d`` of its pairs (site ``s``, feature ``f``)
    where it beats what ``dist`` and ``feat`` hold; ties go to the lowest feature index."""
    if not len(s):
        return
    dmin = dist.copy()
    np.minimum.at(dmin, s, d)            # unbuffered ufuncs: no sort of millions of pairs
    at_min = d == dmin[s]
    fmin = np.where(dmin < dist, np.iinfo(np.int64).max, feat).astype(np.int64)
    np.minimum.at(fmin, s[at_min], f[at_min].astype(np.int64))
    dist[:], feat[:] = dmin, np.where(fmin == np.iinfo(np.int64).max, feat, fmin)


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


def covered_area(sites: np.ndarray, features: np.ndarray, union: shapely.Geometry | None = None) -> np.ndarray:
    """Area of each site covered by the union of ``features`` (overlaps counted once;
    ``union``, when given, is that union already made).

    Sites wholly inside the union are decided by prepared containment tests; only sites
    that cross its edge are intersected, with small pieces of the union.
    """
    out = np.zeros(len(sites))
    if (union is None and len(features) == 0) or len(sites) == 0:
        return out
    union = shapely.union_all(features) if union is None else union
    if shapely.is_empty(union):
        return out
    # The union's disjoint parts, each prepared once and tested against the sites in a
    # tree: a site a part covers is wholly covered; only sites that cross a part's edge
    # are intersected, with small pieces of it.
    parts = shapely.get_parts(union)
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]
    tree = shapely.STRtree(sites)

    shapely.prepare(parts)

    def classify(a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        p_hit, s_hit = tree.query(parts[a:b], predicate="intersects")
        p_hit = p_hit + a      # then "covers" only where they meet (the parts are prepared)
        return s_hit[shapely.covers(parts[p_hit], sites[s_hit])], s_hit, p_hit

    covered, hit_site, hit_part = gathered(classify, len(parts), min_chunk=1)
    inside = np.zeros(len(sites), bool)
    inside[covered] = True
    out[inside] = shapely.area(sites[inside])
    crossing = ~inside[hit_site]
    rest = np.unique(hit_site[crossing])
    if len(rest) == 0:
        return out
    pieces = subdivide(parts[np.unique(hit_part[crossing])])
    si, pi = shapely.STRtree(pieces).query(sites[rest], predicate="intersects")
    area = np.concatenate(in_chunks(lambda a, b: shapely.area(shapely.intersection(
        sites[rest[si[a:b]]], pieces[pi[a:b]])), len(si)))
    np.add.at(out, rest[si], area)
    return out


def overlap_share(sites: np.ndarray, features: np.ndarray, classes: Mapping[str, float] | None = None,
                  labels: pd.Series | None = None) -> np.ndarray:
    """Share of each site's area covered by ``features``, from 0 to 1.

    With ``classes`` (class label to score 0..1) and ``labels`` (each feature's class),
    each part of a site counts once, at the best class score that covers it:
    ``sum over score levels of score x (share covered at that level or better minus share
    covered at a better level)``. Overlapping features are never double counted.
    """
    site_area = shapely.area(sites)
    with np.errstate(invalid="ignore", divide="ignore"):
        if classes is None:
            return np.clip(covered_area(sites, features) / site_area, 0.0, 1.0)
        score = pd.Series(labels).reset_index(drop=True).map(
            lambda v: classes.get(attribute_text(v) or "", 0.0)).to_numpy(dtype=float)
        levels = sorted({s for s in score if s > 0}, reverse=True)
        total = np.zeros(len(sites))
        prev = np.zeros(len(sites))
        union = shapely.Polygon()
        for level in levels:
            # a site wholly covered at a better level is wholly covered here too; the
            # union of this level and better is the better levels' union and this level's
            todo = np.flatnonzero(prev < 1.0)
            union = shapely.union(union, shapely.union_all(features[score == level]))
            cov = prev.copy()
            cov[todo] = np.clip(covered_area(sites[todo], features[score >= level], union)
                                / site_area[todo], 0.0, 1.0)
            total += level * np.clip(cov - prev, 0.0, 1.0)
            prev = np.maximum(prev, cov)
        return total


def site_area(sites: np.ndarray) -> np.ndarray:
    """Area of each site in square metres."""
    return shapely.area(sites)


def compactness(sites: np.ndarray) -> np.ndarray:
    """Polsby-Popper compactness, 4 pi A / P^2: 1 for a circle, about 0.785 for a square.

    Compact plots are easier to build large halls on than long thin ones.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return 4 * np.pi * shapely.area(sites) / shapely.length(sites) ** 2
