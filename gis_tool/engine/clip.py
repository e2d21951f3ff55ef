"""Area of a convex site's intersection with a polygon, for many pairs at once.

The overlap shares (:func:`gis_tool.engine.criteria.covered_area`) intersect each site
that crosses a zone's edge with small pieces of the zone, and only need the area of each
intersection. GEOS builds the whole intersection as a geometry, with its topology, for
each pair. For a convex site the area alone comes from clipping the piece's rings by the
site's sides, one half-plane at a time (Sutherland and Hodgman's clipping), with every
pair's rings in the same flat arrays (numpy, no Python loop over pairs); from
``COMPILED_OVER`` pairs, by a compiled loop doing the same arithmetic one ring at a time
(:mod:`gis_tool.engine.compiled`: the same numbers, a fifth of the time).

Why the area is exact for any piece, convex or not: clipping a closed ring by a
half-plane gives a closed ring whose winding number is the old one inside the half-plane
and zero outside it (where the clipped ring may run back and forth along the line, which
adds no area). After all the sides of a convex site, the signed area of the clipped ring
is the integral of the ring's winding number over the site: the area of the ring's
inside within the site, with the ring's orientation as its sign. A piece's area within
the site is that of its shell less that of its holes. Points on the line count as
inside, so shared edges and touching vertices need no special case.

Coordinates are taken relative to each pair's first site vertex, so the products stay
small in a national grid (SWEREF 99 TM's northings are about 6.5 million metres).
"""

from __future__ import annotations

import numpy as np
import shapely

from ..progress import in_chunks
from .preload import compiled_loops

MAX_SIDES = 32   # sites with more sides go to GEOS: the clipping walks every side
COMPILED_OVER = 50_000   # pairs (or sites to test); from this many, compiled loops do the work


def convex_sites(sites: np.ndarray) -> np.ndarray:
    """True for each site that is one polygon of some area, without holes, whose shell
    turns one way only (collinear vertices allowed) and has at most ``MAX_SIDES`` sides.
    The sites are valid polygons (as loaded and repaired), so a shell that turns one way
    does not cross itself."""
    sites = np.asarray(sites, dtype=object)
    # in chunks on threads: a chunk's sites are asked everything while they are in the
    # processor's cache, and its arrays reuse memory the process already has, where a
    # million sites' would be fresh pages (1.74 s to 0.36 s at 1M)
    fast = len(sites) >= COMPILED_OVER
    return np.concatenate(in_chunks(lambda a, b: _convex(sites[a:b], fast), len(sites)))


def _convex(sites: np.ndarray, fast: bool = False) -> np.ndarray:
    """:func:`convex_sites` of one chunk (the turns by a compiled loop when ``fast``)."""
    ok = (shapely.get_type_id(sites) == 3) & (shapely.get_num_interior_rings(sites) == 0)
    n = shapely.get_num_coordinates(sites)
    ok &= (n >= 4) & (n <= MAX_SIDES + 1)          # a ring of three sides at least
    ok &= shapely.area(sites) > 0                  # no inside to clip to: left to GEOS
    idx = np.flatnonzero(ok)
    if fast:   # the same test, site by site, compiled
        start = np.zeros(len(idx) + 1, np.int64)
        np.cumsum(n[idx], out=start[1:])
        one_way = np.empty(len(idx), bool)
        compiled_loops().one_way(shapely.get_coordinates(sites[idx]), start, one_way)
        ok[idx] = one_way
        return ok
    ok[idx] = _one_way(sites[idx], n[idx])
    return ok


def _one_way(sites: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Whether each polygon's shell (``count`` points; no holes) turns one way only."""
    if not len(sites):
        return np.zeros(0, bool)
    xy = shapely.get_coordinates(sites)                # the shells, one run per site
    start = np.cumsum(count) - count
    # edge k runs from point k to point k + 1; the one from a ring's closing point to the
    # next ring's first is no edge. Each edge is paired with the next in its ring, the
    # ring's last with its first (shifted arrays: no gather over every edge)
    ex, ey = np.diff(xy[:, 0]), np.diff(xy[:, 1])
    nx, ny = np.empty_like(ex), np.empty_like(ey)
    nx[:-1], ny[:-1] = ex[1:], ey[1:]
    last = start + count - 2                         # each ring's last edge
    nx[last], ny[last] = ex[start], ey[start]
    cross = ex * ny
    cross -= ey * nx
    # a turn counts when its sine is above 1e-9: |cross| > 1e-9 |e| |e next|
    tol = ex * ex
    tol += ey * ey
    nx *= nx
    ny *= ny
    nx += ny
    tol *= nx
    np.sqrt(tol, out=tol)
    tol *= 1e-9
    left, right = cross > tol, cross < -tol
    left[last[:-1] + 1] = right[last[:-1] + 1] = False   # between rings
    left = np.logical_or.reduceat(left, start)
    right = np.logical_or.reduceat(right, start)
    return ~(left & right)


def clipped_area(sites: np.ndarray, pieces: np.ndarray, si: np.ndarray, pi: np.ndarray) -> np.ndarray:
    """Area of ``sites[si[k]] ∩ pieces[pi[k]]`` for each pair ``k``.

    Every site in a pair (``sites[si]``) must be convex (:func:`convex_sites`); the
    pieces may be any polygons or multipolygons, with holes. Only the geometries in pairs
    are read, each once however many pairs it is in; the pairs are clipped in chunks on
    several threads (numpy lets go of Python's lock).
    """
    if len(si) == 0:
        return np.zeros(0)
    used_sites, si = np.unique(si, return_inverse=True)
    used_pieces, pi = np.unique(pi, return_inverse=True)
    prepared = _Prepared(sites[used_sites], pieces[used_pieces])
    area = prepared.area_compiled if len(si) >= COMPILED_OVER else prepared.area
    return np.concatenate(in_chunks(lambda a, b: area(si[a:b], pi[a:b]), len(si)))


class _Prepared:
    """The coordinates of the sites' sides and of the pieces' rings, read once."""

    def __init__(self, sites: np.ndarray, pieces: np.ndarray) -> None:
        # side j of site i runs from xy[start[i] + j] to the next point, relative to the
        # site's first point
        xy, of = shapely.get_coordinates(sites, return_index=True)   # no holes: the shell
        self.start = np.searchsorted(of, np.arange(len(sites)))
        self.sides = np.diff(np.append(self.start, len(xy))) - 1
        self.origin = xy[self.start]
        self.rel = xy - self.origin[of]
        self.lo = np.minimum.reduceat(self.rel, self.start)
        self.hi = np.maximum.reduceat(self.rel, self.start)
        # each site's orientation: inside lies to the left of a counter-clockwise shell
        open_ring = np.ones(len(xy), bool)
        open_ring[self.start + self.sides] = False      # without its closing point
        self.orient = np.sign(_shoelace(self.rel[open_ring, 0], self.rel[open_ring, 1], self.sides))

        # the pieces' rings (shell first, then its holes), without their closing points
        parts, part_of = shapely.get_parts(pieces, return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        shell = np.ones(len(rings), bool)
        shell[1:] = ring_part[1:] != ring_part[:-1]
        pxy, vr = shapely.get_coordinates(rings, return_index=True)
        count = np.bincount(vr, minlength=len(rings))
        keep = np.ones(len(pxy), bool)
        keep[np.cumsum(count)[count > 0] - 1] = False
        self.xy = pxy[keep]
        self.v_count = np.maximum(count - 1, 0)
        self.v_start = np.cumsum(self.v_count) - self.v_count
        first = np.repeat(self.xy[self.v_start[self.v_count > 0]], self.v_count[self.v_count > 0], axis=0)
        own = _shoelace(self.xy[:, 0] - first[:, 0], self.xy[:, 1] - first[:, 1], self.v_count)
        self.weight = np.where(shell, 1.0, -1.0) * np.sign(own)
        self.rings = np.bincount(part_of[ring_part], minlength=len(pieces))
        self.ring0 = np.cumsum(self.rings) - self.rings

    def area_compiled(self, si: np.ndarray, pi: np.ndarray) -> np.ndarray:
        """:meth:`area`, the same numbers from a compiled loop that clips one ring at a
        time in the processor's cache (:func:`gis_tool.engine.compiled.clipped_areas`)."""
        out = np.empty(len(si))
        compiled_loops().clipped_areas(self.rel, self.start, self.sides, self.origin, self.lo, self.hi,
                                       self.orient, self.xy, self.v_start, self.v_count, self.weight, self.ring0,
                                       self.rings, si, pi, out)
        return out

    def area(self, si: np.ndarray, pi: np.ndarray) -> np.ndarray:
        """The intersection's area for each pair."""
        out = np.zeros(len(si))
        # the pairs' rings, the most-sided sites first so that the rings still being
        # clipped at side j are a prefix of the arrays
        order = np.argsort(-self.sides[si], kind="stable")
        r_pair = np.repeat(order, self.rings[pi[order]])
        r_ring = _ranges(self.ring0[pi[order]], self.rings[pi[order]])
        r_site = si[r_pair]
        r_sides = self.sides[r_site]
        r_count = self.v_count[r_ring]
        v = _ranges(self.v_start[r_ring], r_count)
        x = self.xy[v, 0] - np.repeat(self.origin[r_site, 0], r_count)
        y = self.xy[v, 1] - np.repeat(self.origin[r_site, 1], r_count)
        # first by the site's box (sides along the axes, which cut away most of a large
        # piece cheaply), then by its sides
        lo, hi = self.lo[r_site], self.hi[r_site]
        one, zero = np.ones(len(r_site)), np.zeros(len(r_site))
        for nx, ny, c in ((one, zero, lo[:, 0]), (-one, zero, -hi[:, 0]),
                          (zero, one, lo[:, 1]), (zero, -one, -hi[:, 1])):
            x, y, r_count = _clip(x, y, r_count, len(r_count), nx, ny, c)
        for j in range(int(r_sides.max(initial=0))):
            active = int(np.searchsorted(-r_sides, -j, side="left"))    # rings with more than j sides
            at = self.start[r_site[:active]] + j
            a, b = self.rel[at], self.rel[at + 1]
            sign = self.orient[r_site[:active]]
            nx, ny = -(b[:, 1] - a[:, 1]) * sign, (b[:, 0] - a[:, 0]) * sign
            x, y, r_count = _clip(x, y, r_count, active, nx, ny, nx * a[:, 0] + ny * a[:, 1])
        np.add.at(out, r_pair, _shoelace(x, y, r_count) * self.weight[r_ring])
        return np.maximum(out, 0.0)


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, without a loop."""
    total = int(counts.sum())
    first = np.cumsum(counts) - counts
    return np.arange(total) + np.repeat(starts - first, counts)


def _shoelace(x: np.ndarray, y: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Signed area of each ring (its coordinates contiguous, ring after ring, without
    the closing point)."""
    n = len(count)
    if len(x) == 0:
        return np.zeros(n)
    start = np.cumsum(count) - count
    nxt = np.arange(1, len(x) + 1)
    full = count > 0
    nxt[(start + count - 1)[full]] = start[full]
    ring = np.repeat(np.arange(n), count)
    return np.bincount(ring, weights=x * y[nxt] - x[nxt] * y, minlength=n) / 2.0


def _clip(x: np.ndarray, y: np.ndarray, count: np.ndarray, active: int,
          nx: np.ndarray, ny: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Sutherland-Hodgman step: each of the first ``active`` rings (coordinates
    contiguous, ring after ring) clipped to the half-plane ``nx x + ny y >= c`` of its
    own; the other rings are kept as they are."""
    stop = int(count[:active].sum())
    cnt = count[:active]
    d = np.repeat(nx, cnt) * x[:stop] + np.repeat(ny, cnt) * y[:stop] - np.repeat(c, cnt)
    inside = d >= 0
    start = np.cumsum(cnt) - cnt
    prev = np.arange(-1, stop - 1)
    nonempty = cnt > 0
    prev[start[nonempty]] = (start + cnt - 1)[nonempty]
    cross = inside != inside[prev]
    # the crossing point on the edge prev -> this vertex comes before the vertex
    emit = cross.astype(np.int64) + inside
    cs = np.zeros(stop + 1, np.int64)
    np.cumsum(emit, out=cs[1:])
    pos = cs[:-1]
    total = int(cs[-1])
    ox = np.empty(total + len(x) - stop)
    oy = np.empty(total + len(x) - stop)
    c_at = np.flatnonzero(cross)
    if len(c_at):
        pc = prev[c_at]
        t = d[pc] / (d[pc] - d[c_at])
        ox[pos[c_at]] = x[pc] + t * (x[c_at] - x[pc])
        oy[pos[c_at]] = y[pc] + t * (y[c_at] - y[pc])
    k = np.flatnonzero(inside)
    dest = pos[k] + cross[k]
    ox[dest] = x[k]
    oy[dest] = y[k]
    ox[total:] = x[stop:]
    oy[total:] = y[stop:]
    new_count = count.copy()
    new_count[:active] = cs[start + cnt] - cs[start]
    return ox, oy, new_count
