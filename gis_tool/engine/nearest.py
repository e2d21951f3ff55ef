"""Nearest features and features within a radius, for a million sites at a time.

A layer's lines and polygon boundaries are cut into short segments (parts). A site's
distance to the layer is settled in up to three passes, each for the sites the one
before left open:

1. Sites that touch a part (one ``intersects`` query) or lie inside a polygon feature:
   distance 0.
2. The listed parts: from a point ``p`` (the centre of the site's box, its anchor) and
   the site's radius ``r`` about it (every point of the site lies within ``r`` of
   ``p``), the ``K_LISTED`` parts whose midpoints lie nearest to ``p`` (a k-d tree,
   scipy's ``cKDTree``). The site's exact distance ``u`` to the listed part nearest to
   ``p`` bounds its distance to the layer from above, so only parts nearer to ``p``
   than ``u + r`` can be nearest. When no part left off the list can be that near (its
   midpoint is farther than ``u + r`` plus the longest half-part), the listed parts
   within ``u + r`` are all the candidates and their exact distances settle the site;
   the sites this leaves (among many short parts) list four times as many, up to
   ``K_MOST``. A layer of points starts from ``K_POINTS`` (with no length to allow for,
   the second nearest point settles nearly every site). A k-d tree prunes by true
   distance, so this costs about the same whether the layer is near or far, dense or
   sparse; the arithmetic goes in blocks of ``BLOCK`` sites, whose temporaries stay in
   the processor's cache. Many sites (``CELLS_OVER``) ask the tree by cell of a grid a
   few sites wide instead (``CELL_RADII``): the cell's centre lists ``CELL_K`` times as
   many parts, and a part left off lies at least the last one's distance from the
   centre, less the anchor's own distance from it, from the anchor. A tenth as many
   questions: the sparse municipality's four distance layers at 1M, 7.2-7.6 s to
   6.0-6.1 s of processor time, the same results.
3. The rest (sites among many short parts, as in a town's street grid) by the quicker of
   two exact methods on this data, timed on a sample: the same bound with every part in
   reach found by an R-tree query (``"bound"``), or GEOS's nearest search (``"search"``).

Exact distances come from GEOS (``shapely.distance`` of the site and the part), or for
``COMPILED_OVER`` sites and more from a compiled loop over the same pairs of segments
(:func:`gis_tool.engine.compiled.pair_distances`: the same numbers, a sixth of the
time), which also takes the second pass's tests site by site
(:func:`~gis_tool.engine.compiled.settle`); the rest only chooses which parts to
measure, with a margin for rounding. Among features at the same distance the
lowest-numbered is taken, so results do not depend on the pass, the method, the chunks
or the threads.
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import shapely

from ..progress import gathered
from .preload import compiled_loops
from .sets import distinct
from .site_arrays import anchors, site_bounds, site_rings

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

SEGMENT_M = 250.0  # longest segment used in nearest searches
CHOOSE_OVER = 20_000  # sites left after the listed parts above which a sample picks the method
SAMPLE = 1_000        # sites timed with each method
K_LISTED = 8          # parts listed per site in the second pass, four times more for the
K_MOST = 128          # sites it leaves, up to this many
K_POINTS = 2          # the same for a layer of points (the two nearest settle nearly every site)
CELLS_OVER = 50_000   # sites to settle above which they list parts by grid cell (below: each its own)
CELL_RADII = 4.0      # the cells' side, in sites' radii (the median)
CELL_K = 2            # a cell lists this many times as many parts as a site would
BLOCK = 4096          # sites whose listed parts are measured at once (temporaries in cache)
COMPILED_OVER = 100_000   # sites; from this many the exact distances come from a compiled loop


def segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    seg, line_of = edges(shapely.segmentize(parts[~is_point], SEGMENT_M))
    return (np.concatenate([parts[is_point], seg]),
            np.concatenate([part_of[is_point], part_of[~is_point][line_of]]))


def edges(lines: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each edge of ``lines`` (lines or rings) as a two-point line, and its line's index."""
    xy, of = shapely.get_coordinates(lines, return_index=True)
    k = np.flatnonzero(of[1:] == of[:-1])            # edge k runs from point k to k + 1
    return shapely.linestrings(np.stack([xy[k], xy[k + 1]], axis=1)), of[k]


def _to_parts(px: np.ndarray, py: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Distances from points (``px``, ``py``, one per row) to the segments ``ends``
    (``[..., 4]``: x and y of each end; a point where the ends are equal). Worked in
    place: at a million sites and eight parts each, every temporary is 64 MB."""
    ax, ay = ends[..., 0], ends[..., 1]
    dx, dy = ends[..., 2] - ax, ends[..., 3] - ay
    qx, qy = px - ax, py - ay
    length2 = dx * dx
    length2 += dy * dy
    t = qx * dx
    t += qy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t /= length2
    t[length2 == 0] = 0.0
    np.maximum(t, 0.0, out=t)
    np.minimum(t, 1.0, out=t)
    dx *= t
    dy *= t
    qx -= dx
    qy -= dy
    qx *= qx
    qy *= qy
    qx += qy
    return np.sqrt(qx, out=qx)


def _kd_query(kd: cKDTree, p: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest points of ``kd`` to each of ``p`` (distances and indices, one row
    per point). The points are asked in the order of a coarse grid, so that neighbouring
    questions walk the same branches of the tree while they are in the processor's cache
    (the sites come in the order they were built, all over the map); the answers come back
    in the points' own order."""
    if len(p) == 0:
        return np.zeros((0, k)), np.zeros((0, k), dtype=np.intp)
    lo = p.min(axis=0)
    span = np.maximum(p.max(axis=0) - lo, 1e-9)
    cell = np.floor((p - lo) / span * 255).astype(np.int64)
    order = np.argsort(cell[:, 0] * 256 + np.where(cell[:, 0] % 2 == 1, 255 - cell[:, 1], cell[:, 1]),
                       kind="stable")
    dk, j = kd.query(p[order], k=k)
    out_d, out_j = np.empty((len(p), k)), np.empty((len(p), k), dtype=np.intp)
    out_d[order], out_j[order] = dk.reshape(len(p), k), j.reshape(len(p), k)
    return out_d, out_j


def _cell_query(kd: cKDTree, p: np.ndarray, k: int, side: float) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` points of ``kd`` nearest to the centre of each point's cell in a grid of
    ``side`` (one row per point of ``p``), and for each point a distance that every other
    point of ``kd`` lies beyond: the ``k``-th distance from its cell's centre less the
    point's own distance from that centre. A cell's neighbouring sites ask the tree one
    question (a tenth as many as there are sites) instead of one each."""
    if len(p) == 0:
        return np.zeros(0), np.zeros((0, k), dtype=np.intp)
    lo = p.min(axis=0)
    side = max(side, float((p.max(axis=0) - lo).max()) / 2**30)   # cell numbers fit in 64 bits
    at = np.floor((p - lo) / side).astype(np.int64)
    cell, of = np.unique(at[:, 0] * (int(at[:, 1].max()) + 1) + at[:, 1], return_inverse=True)
    first = np.zeros(len(cell), dtype=np.intp)
    first[of] = np.arange(len(p))
    centre = lo + (at[first] + 0.5) * side
    dk, j = kd.query(centre, k=k)
    dk, j = dk.reshape(len(cell), k), j.reshape(len(cell), k)
    return dk[of, -1] - np.hypot(*(p - centre[of]).T), j[of]


class FeatureIndex:
    """A spatial index over one layer's features for nearest and radius queries."""

    def __init__(self, geoms: np.ndarray):
        self.geoms = np.asarray(geoms)
        self.parts, self.part_of = segments(self.geoms)
        self.tree = shapely.STRtree(self.parts)
        self.poly = np.isin(shapely.get_type_id(self.geoms), (3, 6))
        self.poly_tree = shapely.STRtree(self.geoms[self.poly]) if self.poly.any() else None
        for t in (self.tree, self.poly_tree):  # build now, before threads share the trees
            if t is not None:
                t.query(shapely.Point(0, 0))

    @cached_property
    def _ends(self) -> tuple[np.ndarray, float, cKDTree]:
        """Each part's two ends as x, y, x, y (a point's twice), the longest half-part and
        a k-d tree of the parts' midpoints."""
        from scipy.spatial import cKDTree  # here: loading scipy.spatial is 0.15 s of every start-up

        xy, of = shapely.get_coordinates(self.parts, return_index=True)
        first = np.searchsorted(of, np.arange(len(self.parts)))
        last = np.searchsorted(of, np.arange(len(self.parts)), side="right") - 1
        ends = np.hstack([xy[first], xy[last]])
        half = float(np.hypot(*(ends[:, 2:] - ends[:, :2]).T).max()) / 2 if len(ends) else 0.0
        return ends, half, cKDTree((ends[:, :2] + ends[:, 2:]) / 2)

    def nearest(self, sites: np.ndarray, method: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Distance from each site to the nearest feature, and that feature's index.

        A site that touches or overlaps a feature has distance 0. Among features at the
        same distance the one with the lowest index is taken, so results do not depend on
        the tree's order, on how the sites are chunked over threads, or on the method.

        The passes are those of :mod:`gis_tool.engine.nearest`; ``method`` (``"listed"``,
        ``"bound"`` or ``"search"``) settles every site the first pass leaves by that
        one method alone (for tests and benchmarks).
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
        if method in (None, "listed"):
            s, p, d, rest = self._listed(sites, rest, force=method == "listed")
            _best(dist, feat, s, self.part_of[p], d)
        if len(rest):
            how = method if method in ("bound", "search") else self._quicker(sites, rest)
            s, p, d = (self._bounded if how == "bound" else self._searched)(sites, rest)
            _best(dist, feat, s, self.part_of[p], d)
        return dist, feat

    def _touching(self, sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        def chunk(a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
            si, pi = self.tree.query(sites[a:b], predicate="intersects")
            return si + a, pi

        si, pi = gathered(chunk, len(sites))
        return si, pi

    def _listed(self, sites: np.ndarray, idx: np.ndarray, force: bool = False
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(site, part, exact distance) for the sites ``idx`` that their nearest parts
        settle (``K_LISTED``, then four times as many for those left, up to ``K_MOST``;
        with ``force`` until every site is settled), and the sites left (empty sites among
        them: they have no anchor)."""
        kd = self._ends[2]
        pxy, radius = anchors(sites)
        boxes = site_bounds(sites)
        found: list[tuple[np.ndarray, ...]] = []
        k = K_LISTED if self._ends[1] > 0 else K_POINTS
        missing = ~np.isfinite(pxy[idx]).all(axis=1)   # no anchor (an empty site): left as is
        idx, empty = idx[~missing], idx[missing]
        side = CELL_RADII * float(np.median(radius[idx])) if len(idx) else 0.0
        cells = side > 0 and len(idx) >= CELLS_OVER
        while True:
            kk = min(k, len(self.parts))

            def chunk(a: int, b: int, kk: int = kk, idx: np.ndarray = idx, cells: bool = cells
                      ) -> tuple[np.ndarray, ...]:
                ix = idx[a:b]
                if cells:
                    beyond, j = _cell_query(kd, pxy[ix], min(CELL_K * kk, len(self.parts)), side)
                else:
                    dk, j = _kd_query(kd, pxy[ix], kk)
                    beyond = dk[:, -1]
                every = j.shape[1] == len(self.parts)
                if len(sites) >= COMPILED_OVER:   # the same tests, site by site, compiled
                    found: tuple[np.ndarray, ...] = compiled_loops().settle(
                        *site_rings(sites), ix, np.ascontiguousarray(beyond), j, boxes, pxy, radius, every,
                        self._ends[0], self._ends[1])
                    return found
                # in blocks whose temporaries stay in the processor's cache (a whole
                # chunk's are tens of MB): sparse roads at 1M, 2.7 s to 2.3 s
                out = [self._settle(sites, ix[c:c + BLOCK], beyond[c:c + BLOCK], j[c:c + BLOCK], boxes, pxy,
                                    radius, every) for c in range(0, max(len(ix), 1), BLOCK)]
                return tuple(np.concatenate(x) for x in zip(*out, strict=True))

            s, p, d, left = gathered(chunk, len(idx))
            found.append((s, p, d))
            if not len(left) or kk == len(self.parts) or (kk >= K_MOST and not force):
                break
            idx, k, cells = left, 4 * k, False
        s, p, d = (np.concatenate(a) for a in zip(*found, strict=True))
        return s, p, d, np.concatenate([left, empty])

    def _settle(self, sites: np.ndarray, ix: np.ndarray, beyond: np.ndarray, j: np.ndarray, boxes: np.ndarray,
                pxy: np.ndarray, radius: np.ndarray, every: bool) -> tuple[np.ndarray, ...]:
        """(site, part, exact distance) for the sites ``ix`` that their listed parts ``j``
        settle (``every`` part when ``every``; else the midpoint of each part left off
        lies at least ``beyond`` from the site's anchor), and the sites they leave."""
        ends, half, _ = self._ends
        p, rows = pxy[ix], np.arange(len(ix))
        dp = _to_parts(p[:, :1], p[:, 1:], ends[j])
        first = j[rows, np.argmin(dp, axis=1)]
        # the site's exact distance to the part nearest its anchor bounds its
        # distance to the layer; a part farther from that point than the bound plus the
        # site's radius cannot come nearer
        upper = self._exact(sites, ix, first)
        reach = upper + radius[ix]
        reach = reach + 1e-9 * np.maximum(reach, 1.0)   # rounding in the bound's arithmetic
        done = every | (beyond - half > reach + 1e-9 * np.maximum(np.abs(beyond), 1.0))
        other = (dp <= reach[:, None]) & (j != first[:, None]) & done[:, None]
        s, c = np.nonzero(other)
        parts = j[s, c]
        # nor can a part whose box lies farther from the site's box than the bound
        box = boxes[ix[s]]
        e = ends[parts]
        gap_x = np.maximum(0.0, np.maximum(box[:, 0] - np.maximum(e[:, 0], e[:, 2]),
                                           np.minimum(e[:, 0], e[:, 2]) - box[:, 2]))
        gap_y = np.maximum(0.0, np.maximum(box[:, 1] - np.maximum(e[:, 1], e[:, 3]),
                                           np.minimum(e[:, 1], e[:, 3]) - box[:, 3]))
        near = np.hypot(gap_x, gap_y) <= reach[s] - radius[ix[s]]
        s, parts = s[near], parts[near]
        return (np.r_[ix[done], ix[s]], np.r_[first[done], parts],
                np.r_[upper[done], self._exact(sites, ix[s], parts)], ix[~done])

    def _exact(self, sites: np.ndarray, si: np.ndarray, parts: np.ndarray) -> np.ndarray:
        """The distance between site ``si[k]`` and part ``parts[k]`` of each pair, which
        do not touch (the touching sites are settled first)."""
        if len(sites) < COMPILED_OVER:
            return shapely.distance(sites[si], self.parts[parts])
        xy, start, edge = site_rings(sites)
        out = np.empty(len(si))
        compiled_loops().pair_distances(xy, start, edge, si, self._ends[0], parts, out)
        return out

    def _quicker(self, sites: np.ndarray, idx: np.ndarray) -> str:
        """The quicker method on this data, timed on an evenly spread sample of ``idx``."""
        if len(idx) < CHOOSE_OVER:
            return "bound"
        sample = idx[np.linspace(0, len(idx) - 1, SAMPLE).astype(int)]
        took = {}
        for how, fn in (("bound", self._bounded), ("search", self._searched)):
            t0 = time.perf_counter()
            fn(sites, sample, threads=False)
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
        ``idx``: the part nearest to the site's anchor at ``d_p`` bounds the
        site's distance, and an R-tree query finds every part within ``d_p`` plus the
        site's radius of that point."""
        pxy, radius = anchors(sites)

        def chunk(a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            ix = idx[a:b]
            anchor = shapely.points(pxy[ix])
            anchor[~np.isfinite(pxy[ix]).all(axis=1)] = None
            (pi, _), d_p = self.tree.query_nearest(anchor, return_distance=True, all_matches=False)
            reach = np.full(len(ix), np.inf)
            reach[pi] = d_p
            bound = reach + radius[ix]
            bound = bound + 1e-9 * np.maximum(bound, 1.0)   # the last bit of the bound's arithmetic
            si, parts = self.tree.query(anchor, predicate="dwithin", distance=bound)
            return ix[si], parts, self._exact(sites, ix[si], parts)

        s, p, d = gathered(chunk, len(idx), threads=threads)
        return s, p, d

    def count_within(self, sites: np.ndarray, radius: float) -> np.ndarray:
        """How many distinct features lie at most ``radius`` from each site."""
        def chunk(a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
            si, pi = self.tree.query(sites[a:b], predicate="dwithin", distance=radius)
            return si + a, pi

        si, pi = gathered(chunk, len(sites))
        n = np.int64(len(self.geoms))   # each (site, feature) pair once, as site * n + feature
        keys = si.astype(np.int64) * n + self.part_of[pi]
        if self.poly_tree is not None:
            s2, f2 = self.poly_tree.query(sites, predicate="intersects")
            keys = np.concatenate([keys, s2.astype(np.int64) * n + np.flatnonzero(self.poly)[f2]])
        return np.bincount(distinct(keys) // n, minlength=len(sites)).astype(float)


def _best(dist: np.ndarray, feat: np.ndarray, s: np.ndarray, f: np.ndarray, d: np.ndarray) -> None:
    """Keep, per site, the smallest distance ``d`` of its pairs (site ``s``, feature ``f``)
    where it beats what ``dist`` and ``feat`` hold; ties go to the lowest feature index."""
    if not len(s):
        return
    if len(dist) >= COMPILED_OVER:   # the same, pair by pair, compiled
        compiled_loops().best(dist, feat, s, f, d)
        return
    dmin = dist.copy()
    np.minimum.at(dmin, s, d)            # unbuffered ufuncs: no sort of millions of pairs
    at_min = d == dmin[s]
    fmin = np.where(dmin < dist, np.iinfo(np.int64).max, feat).astype(np.int64)
    np.minimum.at(fmin, s[at_min], f[at_min].astype(np.int64))
    dist[:], feat[:] = dmin, np.where(fmin == np.iinfo(np.int64).max, feat, fmin)
