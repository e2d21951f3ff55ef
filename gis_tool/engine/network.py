"""Travel time on a road network: the graph, snapping, and the times behind the criteria.

A road network is a line layer (DESIGN 3.13). Every vertex of every line is a node and
lines meet only where they share a vertex; each segment is an edge whose weight is its
length at the line's speed, in minutes, in both directions unless the line is one-way.
The graph is a ``scipy.sparse`` matrix and every search is ``scipy.sparse.csgraph``'s
Dijkstra in C:

- ``travel_time``: one search from all targets at once, on the reversed graph, from a
  virtual node joined to each target's node by the target's access time; a site's time is
  its access time plus the time of its node.
- ``reachable_sum``: one bounded search per distinct node on the smaller side (features
  forward, or sites on the reversed graph), a block of nodes at a time.

A site or feature connects to its nearest node (the lowest-numbered node among equally
near ones; 0 m when the node lies in or on it) at ``access_kmh``, up to ``max_snap_m``.
Nodes are numbered in the order their first line appears in the layer.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import InputError
from ..inputs.layers import attribute_text
from ..processes import can_fork
from ..progress import gathered
from ..spec.network import NetworkSpec
from ..text import metres, trimmed, words
from ..text import minutes as text_minutes
from .per_array import PerArray

if TYPE_CHECKING:
    import scipy.sparse as sp

KMH_TO_M_PER_MIN = 1000.0 / 60.0
OFFSET = 1.0            # added to the virtual node's edges (no zero weights), taken off after
TIME_TOL = 1e-9         # minutes: a time equal to the bound is within it
BLOCK_FLOATS = 8_000_000  # search results held at once per process (64 MB)
PROCESSES = min(8, os.cpu_count() or 1)
PARALLEL_OVER = 2e7       # node visits (sources x nodes) above which searches run in processes
OK, TOO_FAR, NO_FEATURE = 0, 1, 2
SNAPS_KEPT = 8            # arrays whose snapping is kept (a Dask worker sees many partitions)


@dataclass
class Snap:
    """Where each geometry joins the network.

    Attributes
    ----------
    node
        Its node, or -1 when the nearest node is farther than ``max_snap_m``.
    metres
        The straight distance to the nearest node (inf when the network is empty).
    minutes
        The access time: ``metres`` at ``access_kmh``.
    """

    node: np.ndarray
    metres: np.ndarray
    minutes: np.ndarray


@dataclass
class Reached:
    """A measure on the network for every site, and why a site has none.

    ``code`` is 0 (a value), 1 (farther than ``max_snap_m`` from the network, ``metres``
    says how far) or 2 (no feature of the layer can be reached from its part of the network).
    """

    values: np.ndarray
    code: np.ndarray
    metres: np.ndarray

    def counts(self) -> dict[str, int]:
        """How many sites have no value, by reason (for run.json)."""
        return {"too_far_from_network": int((self.code == TOO_FAR).sum()),
                "no_feature_reachable": int((self.code == NO_FEATURE).sum())}


@dataclass
class Network:
    """A routable road network (build it with :func:`build_network`)."""

    graph: sp.csr_matrix            # minutes, from row node to column node
    xy: np.ndarray                  # node coordinates, (n, 2)
    spec: NetworkSpec
    report: dict[str, Any]
    part: np.ndarray                # weakly connected part of each node
    joinable: np.ndarray            # nodes sites and features may join, ascending
    _target_times: dict = field(default_factory=dict, repr=False)
    _snaps: PerArray = field(default_factory=lambda: PerArray(SNAPS_KEPT), repr=False)

    @property
    def n(self) -> int:
        return len(self.xy)

    @cached_property
    def reverse(self) -> sp.csr_matrix:
        """The graph with every edge turned round (searches towards targets)."""
        return self.graph.T.tocsr()

    @cached_property
    def tree(self) -> shapely.STRtree:
        t = shapely.STRtree(shapely.points(self.xy[self.joinable]))
        t.query(shapely.Point(0, 0))   # build now, before threads share it
        return t

    def snap(self, geoms: np.ndarray) -> Snap:
        """The nearest node of each geometry (see :class:`Snap`). An array snapped before
        (the run's sites, asked again by each criterion and condition) is not snapped again."""
        snapped: Snap = self._snaps.get(geoms, "snap", lambda: self._snap(geoms))
        return snapped

    def _snap(self, geoms: np.ndarray) -> Snap:
        n = len(geoms)
        node, metres = np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
        present = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
        if len(self.joinable) and len(present):
            def chunk(a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
                (g, i), dd = self.tree.query_nearest(geoms[present[a:b]], all_matches=True, return_distance=True)
                return g + a, i, dd

            gi, ni, d = gathered(chunk, len(present))    # GEOS lets go of Python's lock: threads overlap
            ni = self.joinable[ni]
            first = _first_of_each(np.lexsort((ni, d, gi)), gi)
            node[present[gi[first]]], metres[present[gi[first]]] = ni[first], d[first]
        node[metres > self.spec.max_snap_m + 1e-9] = -1
        return Snap(node, metres, metres / (self.spec.access_kmh * KMH_TO_M_PER_MIN))

    def node_times(self, targets: np.ndarray, key: str | None = None) -> np.ndarray:
        """Minutes from every node to the nearest target (target access included); inf
        where no target can be reached. One search; with ``key`` (the layer's name) it is
        kept for the layer's other users (criteria, conditions, rings)."""
        if key is not None and key in self._target_times:
            return self._target_times[key]
        ts = self.snap(targets)
        ok = ts.node >= 0
        tn, ta = ts.node[ok], ts.minutes[ok] + OFFSET
        keep = _first_of_each(np.lexsort((ta, tn)), tn)   # a node joined by several: the quickest
        tn, ta = tn[keep], ta[keep]
        import scipy.sparse as sp  # here: loading scipy.sparse is 0.07 s of every start-up
        from scipy.sparse.csgraph import dijkstra

        rev = self.reverse
        aug = sp.csr_matrix((np.r_[rev.data, ta], np.r_[rev.indices, tn],
                             np.r_[rev.indptr, rev.indptr[-1] + len(tn)]), shape=(self.n + 1, self.n + 1))
        times = dijkstra(aug, directed=True, indices=self.n)[: self.n] - OFFSET
        if key is not None:
            self._target_times[key] = times
        return times

    def minutes_to(self, sites: np.ndarray, targets: np.ndarray, key: str | None = None) -> Reached:
        """Minutes from each site to the nearest target along the network."""
        ss = self.snap(sites)
        times = self.node_times(targets, key)
        t = np.full(len(sites), np.nan)
        on = ss.node >= 0
        t[on] = ss.minutes[on] + times[ss.node[on]]
        code = np.where(on, np.where(np.isfinite(t), OK, NO_FEATURE), TOO_FAR)
        t[~np.isfinite(t)] = np.nan
        return Reached(t, code, ss.metres)

    def reachable_sum(self, sites: np.ndarray, features: np.ndarray, values: np.ndarray,
                      minutes: float, decay_minutes: float | None = None) -> Reached:
        """The sum of ``values`` over the features that reach each site within ``minutes``
        (feature access + network + site access), each weighted by exp(-t / decay_minutes)
        when given. NaN values count as 0."""
        ss, fs = self.snap(sites), self.snap(features)
        values = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
        out = np.full(len(sites), np.nan)
        fok, sok = np.flatnonzero(fs.node >= 0), np.flatnonzero(ss.node >= 0)
        code = np.full(len(sites), TOO_FAR)
        has_feature = np.isin(self.part[ss.node[sok]], self.part[fs.node[fok]])
        code[sok] = np.where(has_feature, OK, NO_FEATURE)
        out[sok[has_feature]] = 0.0
        if len(fok) and len(sok):
            fu, finv = np.unique(fs.node[fok], return_inverse=True)
            su, sinv = np.unique(ss.node[sok], return_inverse=True)
            forward = len(fu) <= len(su)
            job = _SumJob(graph=self.graph if forward else self.reverse, forward=forward,
                          src=fu if forward else su, dst=su if forward else fu, finv=finv, sinv=sinv,
                          f_min=fs.minutes[fok], s_min=ss.minutes[sok], values=values[fok],
                          minutes=minutes, decay=decay_minutes, step=max(1, BLOCK_FLOATS // max(self.n, 1)))
            out[sok] += job.run(len(job.src) * self.n)
        out[code != OK] = np.nan
        return Reached(out, code, ss.metres)

    def rings(self, targets: np.ndarray, minutes: tuple[float, ...], key: str | None = None
              ) -> list[shapely.Geometry]:
        """Isochrone rings: for each of ``minutes``, the area from which the nearest target
        is reached within it, correct by construction.

        A point joins its nearest node, so the ring is the union, over the nodes ``n`` with
        time ``t_n`` below the bound, of ``n``'s Voronoi cell cut by a disc of radius
        ``min(max_snap_m, (minutes - t_n) x access speed)``; every point inside needs at most
        the bound (discs are drawn as inscribed polygons, which only shrinks them).
        """
        times = self.node_times(targets, key)
        speed = self.spec.access_kmh * KMH_TO_M_PER_MIN
        top = max(minutes) if minutes else 0.0
        near = self.joinable[times[self.joinable] < top]
        if not len(near):
            return [shapely.Polygon() for _ in minutes]
        reach = min(self.spec.max_snap_m, (top - times[near].min()) * speed)
        lo, hi = self.xy[near].min(axis=0) - reach, self.xy[near].max(axis=0) + reach
        box = shapely.box(*lo, *hi)
        inside = self.joinable[np.all((self.xy[self.joinable] >= lo) & (self.xy[self.joinable] <= hi), axis=1)]
        pts = shapely.points(self.xy[inside])
        if len(inside) > 1:
            cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box,
                                                               ordered=True))
        else:
            cells = np.array([box])
        t = times[inside]
        out = []
        for m in minutes:
            k = np.flatnonzero(t < m)
            radius = np.minimum(self.spec.max_snap_m, (m - t[k]) * speed)
            discs = shapely.buffer(pts[k], radius, quad_segs=16)
            out.append(_clean(shapely.union_all(shapely.intersection(cells[k], discs))))
        return out


def _first_of_each(order: np.ndarray, *keys: np.ndarray) -> np.ndarray:
    """The first position of ``order`` in each run of equal ``keys`` (``order`` sorts by them)."""
    if not len(order):
        return order
    new = np.zeros(len(order) - 1, bool)
    for k in keys:
        sorted_k = k[order]
        new |= sorted_k[1:] != sorted_k[:-1]
    return order[np.r_[True, new]]


def _clean(area: shapely.Geometry) -> shapely.Geometry:
    """A ring as an area that every map format takes: the slivers where cells meet removed
    (a centimetre grid), then 5 cm taken off all round so that it stays inside the exact
    ring, and no part below a square metre."""
    area = shapely.buffer(shapely.set_precision(area, 0.01), -0.05, quad_segs=2)
    parts = shapely.get_parts(area)
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) >= 1.0)]
    return shapely.multipolygons(parts) if len(parts) else shapely.Polygon()


def ring_bands(network: Network, targets: gpd.GeoDataFrame, minutes: tuple[float, ...], key: str,
               lang: str) -> gpd.GeoDataFrame:
    """The rings as bands for drawing: within the first bound, then between each bound and
    the next (``minutes``: the band's upper bound, ``from_minutes``: its lower one)."""
    rings = network.rings(targets.geometry.to_numpy(), minutes, key=key)
    W = words.NETWORK[lang]
    lows = (0.0, *minutes[:-1])
    geoms = [rings[0]] + [shapely.difference(rings[k], rings[k - 1]) for k in range(1, len(rings))]
    names = [W["ring"].format(minutes=text_minutes(m, lang)) if lo == 0 else
             f"{trimmed(lo, lang)}–{text_minutes(m, lang)}" for lo, m in zip(lows, minutes)]
    return gpd.GeoDataFrame({"name": names, "minutes": list(minutes), "from_minutes": list(lows)},
                            geometry=geoms, crs=targets.crs)


def note_text(reached: Reached, layer: str, lang: str) -> np.ndarray:
    """``<criterion>_note``: why each site has no value, in words ("" where it has one)."""
    W = words.NETWORK[lang]
    out = np.full(len(reached.code), "", dtype=object)
    far = np.flatnonzero(reached.code == TOO_FAR)
    out[far] = [W["too_far"].format(m=metres(d, lang) if np.isfinite(d) else "-")
                for d in reached.metres[far]]
    out[reached.code == NO_FEATURE] = W["no_feature"].format(layer=layer)
    return out


@dataclass
class _SumJob:
    """The bounded searches of :meth:`Network.reachable_sum`, a block of source nodes at a
    time; in forked processes when there is enough work and a fork is safe."""

    graph: sp.csr_matrix
    forward: bool            # sources are feature nodes (else site nodes, on the reversed graph)
    src: np.ndarray
    dst: np.ndarray
    finv: np.ndarray         # each connected feature's node, as an index of the unique nodes
    sinv: np.ndarray         # each connected site's node, likewise
    f_min: np.ndarray        # access minutes of the connected features
    s_min: np.ndarray        # ... and sites
    values: np.ndarray
    minutes: float
    decay: float | None
    step: int

    def block(self, a: int) -> np.ndarray:
        """Block ``a``'s contribution to every connected site's sum."""
        from scipy.sparse.csgraph import dijkstra

        d = dijkstra(self.graph, directed=True, indices=self.src[a:a + self.step],
                     limit=self.minutes + TIME_TOL)[:, self.dst]
        if self.forward:     # rows: feature nodes a..; columns: site nodes
            f = np.flatnonzero((self.finv >= a) & (self.finv < a + self.step))
            t = self.f_min[f][:, None] + d[self.finv[f] - a][:, self.sinv] + self.s_min[None, :]
            return _weighted(t, self.values[f][:, None], self.minutes, self.decay).sum(axis=0)
        out = np.zeros(len(self.sinv))   # rows: site nodes a..; columns: feature nodes
        s = np.flatnonzero((self.sinv >= a) & (self.sinv < a + self.step))
        t = self.s_min[s][:, None] + d[self.sinv[s] - a][:, self.finv] + self.f_min[None, :]
        out[s] = _weighted(t, self.values[None, :], self.minutes, self.decay).sum(axis=1)
        return out

    def blocks(self, starts: list[int]) -> np.ndarray:
        return np.sum([self.block(a) for a in starts], axis=0) if starts else np.zeros(len(self.sinv))

    def run(self, work: float) -> np.ndarray:
        """Every block, summed: on ``PROCESSES`` forked processes above ``PARALLEL_OVER``
        node visits (scipy's Dijkstra holds Python's lock, so threads would not overlap)."""
        starts = list(range(0, len(self.src), self.step))
        k = min(PROCESSES, len(starts))
        if k < 2 or work < PARALLEL_OVER or not can_fork():
            return self.blocks(starts)
        global _JOB
        _JOB = self
        try:
            with multiprocessing.get_context("fork").Pool(k) as pool:
                parts = pool.map(_run_blocks, [starts[i::k] for i in range(k)])
        finally:
            _JOB = None
        return np.sum(parts, axis=0)


_JOB: _SumJob | None = None   # the job forked processes inherit (never pickled)


def _run_blocks(starts: list[int]) -> np.ndarray:
    assert _JOB is not None
    return _JOB.blocks(starts)


def _weighted(t: np.ndarray, values: np.ndarray, minutes: float, decay: float | None) -> np.ndarray:
    within = t <= minutes + TIME_TOL
    w = np.where(within, values, 0.0)
    if decay:
        with np.errstate(invalid="ignore", over="ignore"):
            w = w * np.exp(-np.where(within, t, 0.0) / decay)
    return w


def speeds(spec: NetworkSpec, roads: gpd.GeoDataFrame, where: str) -> np.ndarray:
    """km/h of each line: its speed field, else its class's speed, else the default."""
    n = len(roads)
    kmh = np.full(n, np.nan)
    if spec.speed_kmh_field:
        kmh = _kmh(roads[spec.speed_kmh_field])
    if spec.class_field:
        by_class = roads[spec.class_field].map(lambda v: spec.class_kmh.get(attribute_text(v) or "", np.nan))
        kmh = np.where(np.isnan(kmh), by_class.to_numpy(dtype=float), kmh)
    if spec.default_kmh is not None:
        kmh = np.where(np.isnan(kmh), spec.default_kmh, kmh)
    bad = np.flatnonzero(np.isnan(kmh))
    if len(bad):
        i = int(bad[0])
        said = ", ".join(f"{f} = {attribute_text(roads[f].iloc[i]) or 'empty'}"
                         for f in (spec.speed_kmh_field, spec.class_field) if f)
        raise InputError(f"{where}: {len(bad)} line(s) have no speed (e.g. feature {i}, "
                         f"{said or 'no speed fields'}); "
                         "give their class a speed in network.speed_by_class.values, or set "
                         "network.default_kmh")
    return kmh


def _kmh(col: pd.Series) -> np.ndarray:
    """Speeds from a column: numbers, or texts such as "70", "50 mph" (OSM maxspeed);
    anything else (empty, "none", "signals", 0) is no speed."""
    if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        v = col.to_numpy(dtype=float)
    else:
        parts = col.astype("string").str.extract(r"^\s*(\d+(?:[.,]\d+)?)\s*(mph)?\s*$")
        v = pd.to_numeric(parts[0].str.replace(",", "."), errors="coerce").to_numpy(dtype=float)
        v = np.where(parts[1].notna().to_numpy(), v * 1.609344, v)
    return np.where(v > 0, v, np.nan)


def oneway(col: pd.Series | None, n: int, where: str, fieldname: str) -> np.ndarray:
    """1 (digitised direction only), -1 (against it only) or 0 (both ways) per line."""
    if col is None:
        return np.zeros(n, dtype=np.int8)
    text = col.map(lambda v: (attribute_text(v) or "").strip().lower())
    table = {"": 0, "0": 0, "0.0": 0, "no": 0, "false": 0, "nej": 0, "1": 1, "1.0": 1, "yes": 1,
             "true": 1, "ja": 1, "-1": -1, "-1.0": -1, "reverse": -1}
    code = text.map(table)
    bad = code.isna()
    if bad.any():
        raise InputError(f"{where}: field '{fieldname}' holds {text[bad].iloc[0]!r} (feature "
                         f"{int(np.flatnonzero(bad.to_numpy())[0])}); one-way values are 1/yes (digitised "
                         "direction only), -1 (against it) and 0/no/empty (both ways)")
    return code.to_numpy(dtype=np.int8)


def build_network(spec: NetworkSpec, roads: gpd.GeoDataFrame, where: str = "network") -> Network:
    """The routable graph of a line layer, with a report on its connected parts.

    Raises
    ------
    InputError
        When the layer holds no lines, a line has no speed, or a one-way value is unknown.
    """
    geoms = roads.geometry.to_numpy()
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    is_line = np.isin(shapely.get_type_id(parts), (1, 2))
    if len(parts) and not is_line.all():
        kind = shapely.get_type_id(parts[~is_line][0])
        raise InputError(f"{where}: layer '{spec.layer}' must hold lines, but feature "
                         f"{int(part_of[~is_line][0])} is a {shapely.GeometryType(kind).name.lower()}; "
                         "use the road centre lines")
    kmh = speeds(spec, roads, where)
    ow = oneway(roads[spec.oneway_field] if spec.oneway_field else None, len(roads), where,
                spec.oneway_field or "")
    coords, li = shapely.get_coordinates(parts, return_index=True)
    node_of, uniq = pd.factorize(coords[:, 0] + 1j * coords[:, 1])
    s = np.flatnonzero(li[1:] == li[:-1])
    a, b = node_of[s], node_of[s + 1]
    length = np.hypot(*(coords[s + 1] - coords[s]).T)
    feat = part_of[li[s]]
    keep = a != b
    a, b, length, feat = a[keep], b[keep], length[keep], feat[keep]
    n = len(uniq)
    open_line = np.ones(len(roads), bool)
    if spec.no_access and spec.class_field:
        open_line = ~roads[spec.class_field].map(lambda v: attribute_text(v) in spec.no_access).to_numpy(dtype=bool)
    joinable = np.zeros(n, bool)
    joinable[a[open_line[feat]]] = joinable[b[open_line[feat]]] = True
    w = length / (kmh[feat] * KMH_TO_M_PER_MIN)
    fwd, back = ow[feat] >= 0, ow[feat] <= 0
    src, dst, wt = np.r_[a[fwd], b[back]], np.r_[b[fwd], a[back]], np.r_[w[fwd], w[back]]
    first = _first_of_each(np.lexsort((wt, dst, src)), src, dst)   # parallel edges: keep the quickest
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    graph = sp.csr_matrix((wt[first], (src[first], dst[first])), shape=(n, n))
    nparts, part = connected_components(graph, directed=True, connection="weak")
    km_part = np.bincount(part[a], weights=length, minlength=nparts) / 1000 if n else np.zeros(0)
    xy = np.column_stack([uniq.real, uniq.imag]) if n else np.zeros((0, 2))
    report = {"layer": spec.layer, "lines": len(roads), "nodes": n, "edges": int(graph.nnz),
              "km": round(float(km_part.sum()), 3), "parts": int(nparts),
              "km_outside_largest_part": round(float(km_part.sum() - km_part.max()), 3) if n else 0.0,
              "one_way_lines": int((ow != 0).sum())}
    report["joinable_nodes"] = int(joinable.sum())
    return Network(graph, xy, spec, report, part, np.flatnonzero(joinable))
