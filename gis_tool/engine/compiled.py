"""Compiled loops (numba) for the two measurements a large run makes millions of times.

- :func:`pair_distances` and :func:`settle`: the distance between a site and a short
  segment (or a point) of a layer, for pairs that do not touch, and the nearest
  search's bound on which of a site's listed parts can be nearest
  (:mod:`gis_tool.engine.nearest`).
- :func:`clipped_areas` and :func:`one_way`: the area of a convex site within a
  polygon, by clipping the polygon's rings by the site's sides, and which sites are
  convex (:mod:`gis_tool.engine.clip`).
- :func:`best`: the nearest feature of each site among many (site, feature, distance)
  pairs.

Both give the same numbers, to the last bit, as the code they stand in for: GEOS's
``shapely.distance`` and clip.py's numpy arrays. They do the same arithmetic in the same
order, one pair at a time in the processor's registers, where GEOS pays for building a
distance operation per pair (0.3-0.8 µs a pair) and numpy for temporary arrays of every
pair's vertices. The tests compare them on fixtures of every kind.

This module loads numba (about 0.4 s), so it is imported only by the work that needs it,
above the sizes where it pays (``COMPILED_OVER`` in the modules that use it). The loops
are compiled on their first use (with C's arithmetic: a division by zero gives an
infinity, as in GEOS, not an exception) and kept in numba's cache beside this file (or the
user's cache when that is not writable), so later runs load them in a few hundredths of
a second; they run without Python's lock, on the caller's threads.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _to_segment(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Distance from a point to a segment, as GEOS's ``Distance::pointToSegment``."""
    if ax == bx and ay == by:
        return np.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    len2 = (bx - ax) * (bx - ax) + (by - ay) * (by - ay)
    r = ((px - ax) * (bx - ax) + (py - ay) * (by - ay)) / len2
    if r <= 0.0:
        return np.sqrt((px - ax) * (px - ax) + (py - ay) * (py - ay))
    if r >= 1.0:
        return np.sqrt((px - bx) * (px - bx) + (py - by) * (py - by))
    s = ((ay - py) * (bx - ax) - (ax - px) * (by - ay)) / len2
    return abs(s) * np.sqrt(len2)


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _site_to_segment(xy: np.ndarray, start: np.ndarray, edge: np.ndarray, i: int,
                     ax: float, ay: float, bx: float, by: float) -> float:
    """Distance between site ``i`` and the segment from (ax, ay) to (bx, by), which do
    not touch (:func:`pair_distances`)."""
    best = np.inf
    for v in range(start[i], start[i + 1]):
        x, y = xy[v, 0], xy[v, 1]
        best = min(best, _to_segment(x, y, ax, ay, bx, by))
        if edge[v]:
            x2, y2 = xy[v + 1, 0], xy[v + 1, 1]
            best = min(best, _to_segment(ax, ay, x, y, x2, y2))
            best = min(best, _to_segment(bx, by, x, y, x2, y2))
    return best


@numba.njit(nogil=True, cache=True, error_model="numpy")
def pair_distances(xy: np.ndarray, start: np.ndarray, edge: np.ndarray, site: np.ndarray,
                   ends: np.ndarray, part: np.ndarray, out: np.ndarray) -> None:
    """``out[k]``: the distance between site ``site[k]`` and segment ``part[k]``.

    A site's vertices are ``xy[start[i]:start[i + 1]]``, all its rings one after the
    other; ``edge[v]`` is true where vertex ``v`` and the next are the ends of one of its
    edges (false at the end of a ring). A segment is ``ends[j]`` (x, y, x, y; a point
    has equal ends). The site and the segment must not touch (the nearest search settles
    touching sites first): apart, their distance is the least of the distances from each
    vertex to the segment and from each end of the segment to each edge, which is what
    GEOS takes over the same pairs of segments.
    """
    for k in range(len(site)):
        j = part[k]
        out[k] = _site_to_segment(xy, start, edge, site[k], ends[j, 0], ends[j, 1], ends[j, 2], ends[j, 3])


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _point_to_part(px: float, py: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Distance from a point to a segment, in nearest.py's ``_to_parts`` arithmetic."""
    dx, dy = bx - ax, by - ay
    qx, qy = px - ax, py - ay
    length2 = dx * dx + dy * dy
    t = (qx * dx + qy * dy) / length2 if length2 != 0 else 0.0
    t = min(max(t, 0.0), 1.0)
    qx -= dx * t
    qy -= dy * t
    return np.sqrt(qx * qx + qy * qy)


@numba.njit(nogil=True, cache=True, error_model="numpy")
def settle(xy: np.ndarray, start: np.ndarray, edge: np.ndarray, ix: np.ndarray, beyond: np.ndarray,
           j: np.ndarray, boxes: np.ndarray, pxy: np.ndarray, radius: np.ndarray, every: bool,
           ends: np.ndarray, half: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """nearest.py's ``FeatureIndex._settle``, site by site: (site, part, exact distance)
    for the sites ``ix`` that their listed parts ``j`` settle, and the sites they leave.

    Each site's anchor ``pxy`` and radius bound which listed parts can be nearest, from
    the exact distance to the part nearest the anchor; the part's box must also lie
    within that bound of the site's box. The same tests, with the same arithmetic and
    margins, as the numpy arrays of ``_settle``; only the order of the pairs differs.
    """
    n, k = j.shape
    s_out, p_out = np.empty(n * k, np.int64), np.empty(n * k, np.int64)
    d_out, left = np.empty(n * k), np.empty(n, np.int64)
    dp = np.empty(k)
    m = n_left = 0
    for r in range(n):
        i = ix[r]
        px, py = pxy[i, 0], pxy[i, 1]
        c0 = 0
        for c in range(k):
            e = j[r, c]
            dp[c] = _point_to_part(px, py, ends[e, 0], ends[e, 1], ends[e, 2], ends[e, 3])
            if dp[c] < dp[c0]:
                c0 = c
        first = j[r, c0]
        upper = _site_to_segment(xy, start, edge, i, ends[first, 0], ends[first, 1], ends[first, 2], ends[first, 3])
        reach = upper + radius[i]
        reach = reach + 1e-9 * max(reach, 1.0)   # rounding in the bound's arithmetic
        if not (every or beyond[r] - half > reach + 1e-9 * max(abs(beyond[r]), 1.0)):
            left[n_left] = i
            n_left += 1
            continue
        s_out[m], p_out[m], d_out[m] = i, first, upper
        m += 1
        x0, y0, x1, y1 = boxes[i, 0], boxes[i, 1], boxes[i, 2], boxes[i, 3]
        for c in range(k):
            e = j[r, c]
            if dp[c] > reach or e == first:
                continue
            ax, ay, bx, by = ends[e, 0], ends[e, 1], ends[e, 2], ends[e, 3]
            gap_x = max(0.0, max(x0 - max(ax, bx), min(ax, bx) - x1))
            gap_y = max(0.0, max(y0 - max(ay, by), min(ay, by) - y1))
            if np.hypot(gap_x, gap_y) <= reach - radius[i]:
                s_out[m], p_out[m] = i, e
                d_out[m] = _site_to_segment(xy, start, edge, i, ax, ay, bx, by)
                m += 1
    return s_out[:m], p_out[:m], d_out[:m], left[:n_left]


@numba.njit(nogil=True, cache=True, error_model="numpy")
def best(dist: np.ndarray, feat: np.ndarray, s: np.ndarray, f: np.ndarray, d: np.ndarray) -> None:
    """nearest.py's ``_best``, pair by pair: each site ``s[k]`` keeps the smallest
    distance ``d[k]`` seen, and among equal ones the lowest feature ``f[k]``."""
    for k in range(len(s)):
        i = s[k]
        if d[k] < dist[i] or (d[k] == dist[i] and f[k] < feat[i]):
            dist[i], feat[i] = d[k], f[k]


@numba.njit(nogil=True, cache=True, error_model="numpy")
def one_way(xy: np.ndarray, start: np.ndarray, out: np.ndarray) -> None:
    """clip.py's ``_one_way``, site by site: whether each shell (``xy[start[i]:start[i +
    1]]``, closed) turns one way only, a turn counting where its sine is above 1e-9."""
    for i in range(len(start) - 1):
        s0, last = start[i], start[i + 1] - 2       # edge k runs from point k to k + 1
        left = right = False
        for k in range(s0, last + 1):
            ex, ey = xy[k + 1, 0] - xy[k, 0], xy[k + 1, 1] - xy[k, 1]
            m = k + 1 if k < last else s0             # the next edge, the first after the last
            nx, ny = xy[m + 1, 0] - xy[m, 0], xy[m + 1, 1] - xy[m, 1]
            cross = ex * ny - ey * nx
            tol = np.sqrt((ex * ex + ey * ey) * (nx * nx + ny * ny)) * 1e-9
            left |= cross > tol
            right |= cross < -tol
        out[i] = not (left and right)


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _clip_ring(x: np.ndarray, y: np.ndarray, n: int, ox: np.ndarray, oy: np.ndarray,
               nx: float, ny: float, c: float) -> int:
    """One Sutherland-Hodgman step, as clip.py's ``_clip`` takes it: the ring's ``n``
    vertices ``x``, ``y`` (no closing point) clipped to ``nx x + ny y >= c`` into ``ox``,
    ``oy`` (room for ``2 n``: a vertex gives at most a crossing and itself); returns the clipped ring's length."""
    m = 0
    if n == 0:
        return 0
    dp = nx * x[n - 1] + ny * y[n - 1] - c
    for i in range(n):
        d = nx * x[i] + ny * y[i] - c
        inside, was = d >= 0, dp >= 0
        if inside != was:
            p = n - 1 if i == 0 else i - 1
            t = dp / (dp - d)
            ox[m] = x[p] + t * (x[i] - x[p])
            oy[m] = y[p] + t * (y[i] - y[p])
            m += 1
        if inside:
            ox[m] = x[i]
            oy[m] = y[i]
            m += 1
        dp = d
    return m


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _room(a: np.ndarray, b: np.ndarray, need: int, keep: int) -> tuple[np.ndarray, np.ndarray]:
    """Buffers ``a`` (its first ``keep`` vertices kept) and ``b`` with room for ``need``."""
    if need <= a.shape[1]:
        return a, b
    grown = np.empty((2, 2 * need))
    for v in range(keep):   # a loop: numba compiles a slice assignment for seconds
        grown[0, v], grown[1, v] = a[0, v], a[1, v]
    return grown, np.empty((2, 2 * need))


@numba.njit(nogil=True, cache=True, error_model="numpy")
def clipped_areas(rel: np.ndarray, start: np.ndarray, sides: np.ndarray, origin: np.ndarray, lo: np.ndarray,
                  hi: np.ndarray, orient: np.ndarray, pxy: np.ndarray, v_start: np.ndarray, v_count: np.ndarray,
                  weight: np.ndarray, ring0: np.ndarray, rings: np.ndarray, si: np.ndarray, pi: np.ndarray,
                  out: np.ndarray) -> None:
    """``out[k]``: the area of convex site ``si[k]`` within piece ``pi[k]``, from the
    arrays of clip.py's ``_Prepared`` (a site's vertices relative to its first, its
    box, orientation and sides; each piece's rings without closing points and their
    signs), clipped as its numpy arrays are: by the box, then side by side."""
    a = np.empty((2, 16))
    b = np.empty((2, 16))
    box_sides = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]])
    for k in range(len(si)):
        s, p = si[k], pi[k]
        s0, o_x, o_y, sign = start[s], origin[s, 0], origin[s, 1], orient[s]
        total = 0.0
        for r in range(ring0[p], ring0[p] + rings[p]):
            n = v_count[r]
            a, b = _room(a, b, n, 0)
            for v in range(n):
                a[0, v] = pxy[v_start[r] + v, 0] - o_x
                a[1, v] = pxy[v_start[r] + v, 1] - o_y
            for j in range(4 + sides[s]):
                if j < 4:    # the box first: x >= lo, -x >= -hi, y >= lo, -y >= -hi
                    nx, ny = box_sides[j, 0], box_sides[j, 1]
                    c = lo[s, 0] if j == 0 else -hi[s, 0] if j == 1 else lo[s, 1] if j == 2 else -hi[s, 1]
                else:
                    e = s0 + j - 4
                    nx = -(rel[e + 1, 1] - rel[e, 1]) * sign
                    ny = (rel[e + 1, 0] - rel[e, 0]) * sign
                    c = nx * rel[e, 0] + ny * rel[e, 1]
                a, b = _room(a, b, 2 * n, n)   # each vertex gives at most two
                n = _clip_ring(a[0], a[1], n, b[0], b[1], nx, ny, c)
                a, b = b, a
            area = 0.0
            for v in range(n):
                w = v + 1 if v + 1 < n else 0
                area += a[0, v] * a[1, w] - a[0, w] * a[1, v]
            total += area / 2.0 * weight[r]
        out[k] = max(total, 0.0)


def warm() -> None:
    """Compile the loops, or load them from numba's cache, for the arrays a run passes
    (the dispatch on their types is the first call's work): called on a thread while a
    large run's layers load, before the criteria's processes fork, so that neither of
    them does it again."""
    f, i, b = np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(0, bool)
    pair_distances(f, np.zeros(1, np.int64), b, i, np.zeros((0, 4)), i, np.zeros(0))
    settle(f, np.zeros(1, np.int64), b, i, np.zeros(0), np.zeros((0, 1), np.int64), np.zeros((0, 4)), f,
           np.zeros(0), False, np.zeros((0, 4)), 0.0)
    clipped_areas(f, i, i, f, f, f, np.zeros(0), f, i, i, np.zeros(0), i, i, i, i, np.zeros(0))
    best(np.zeros(0), i, i, i, np.zeros(0))
    one_way(f, np.zeros(1, np.int64), b)
