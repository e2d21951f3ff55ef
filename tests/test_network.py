"""Travel time on the road network, checked against networkx and brute force.

The reference builds its own graph from the same lines (every vertex a node, segment
length at the line's speed), joins each site and feature to its nearest vertex by brute
force (lowest-numbered among equally near ones), and asks networkx for each pair's
shortest path: nothing of gis_tool's graph, snapping or search is reused.
"""

from __future__ import annotations

import contextlib
import itertools
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from shapely import LineString, Point

from gis_tool.engine.network import KMH_TO_M_PER_MIN, build_network, note_text
from gis_tool.errors import InputError
from gis_tool.spec.network import NetworkSpec


def reference(lines: list[LineString], kmh: list[float], oneway: list[int]) -> tuple[nx.DiGraph, list]:
    """A networkx graph of the lines and its nodes in first-appearance order."""
    g, order = nx.DiGraph(), {}
    for line, v, ow in zip(lines, kmh, oneway, strict=True):
        pts = [tuple(c) for c in line.coords]
        for p in pts:
            order.setdefault(p, len(order))
        for p, q in itertools.pairwise(pts):
            if p == q:
                continue
            w = math.dist(p, q) / (v * 1000 / 60)
            for a, b in ([(p, q)] if ow == 1 else [(q, p)] if ow == -1 else [(p, q), (q, p)]):
                if not g.has_edge(a, b) or g[a][b]["weight"] > w:
                    g.add_edge(a, b, weight=w)
    return g, sorted(order, key=order.get)


def snap(geom, nodes: list, max_snap: float, access_kmh: float) -> tuple[tuple | None, float]:
    d = [shapely.distance(geom, Point(n)) for n in nodes]
    i = int(np.argmin(d))          # argmin: the first (lowest-numbered) of equal distances
    return (nodes[i] if d[i] <= max_snap else None), d[i] / (access_kmh * 1000 / 60)


def ref_minutes(g, nodes, sites, targets, max_snap=500.0, access=20.0) -> np.ndarray:
    out = []
    for s in sites:
        sn, sa = snap(s, nodes, max_snap, access)
        best = math.inf
        for t in targets:
            tn, ta = snap(t, nodes, max_snap, access)
            if sn is None or tn is None:
                continue
            with contextlib.suppress(nx.NetworkXNoPath):
                best = min(best, sa + nx.shortest_path_length(g, sn, tn, weight="weight") + ta)
        out.append(best if sn is not None and math.isfinite(best) else math.nan)
    return np.array(out)


def gdf(lines, kmh, oneway=None):
    data = {"kmh": kmh}
    if oneway is not None:
        data["ow"] = oneway
    return gpd.GeoDataFrame(data, geometry=lines, crs="EPSG:3006")


HAND = [LineString([(0, 0), (1000, 0), (2000, 0)]),          # 0: 60 km/h
        LineString([(2000, 0), (2000, 1000)]),               # 1: one-way north, 30 km/h
        LineString([(0, 0), (0, 1000), (2000, 1000)]),       # 2: 90 km/h, back round
        LineString([(5000, 0), (6000, 0)])]                  # 3: a second part
HAND_KMH, HAND_OW = [60, 30, 90, 50], [0, 1, 0, 0]


def test_hand_built_graph_matches_networkx():
    net = build_network(NetworkSpec("roads", speed_kmh_field="kmh", oneway_field="ow"),
                        gdf(HAND, HAND_KMH, HAND_OW))
    g, nodes = reference(HAND, HAND_KMH, HAND_OW)
    assert net.report["parts"] == 2 and net.report["km_outside_largest_part"] == pytest.approx(1.0)
    assert net.report["nodes"] == len(nodes) and net.report["edges"] == g.number_of_edges()
    sites = np.array([Point(100, 50).buffer(20), Point(2000, 1000), Point(2000, 300),
                      Point(3000, 3000), Point(5100, 10), Point(1000, 500)])
    targets = np.array([Point(2000, 0)])
    got = net.minutes_to(sites, targets)
    want = ref_minutes(g, nodes, sites, targets)
    np.testing.assert_allclose(got.values, want, atol=1e-6, equal_nan=True)
    # by hand: (2000, 1000) must go round (one-way north): 3000 m at 90, then 2000 m at 60
    assert got.values[1] == pytest.approx(3000 / 1500 + 2000 / 1000)
    assert list(got.code) == [0, 0, 0, 1, 2, 0]   # ok, ok, ok, too far, other part, ok
    assert got.metres[3] == pytest.approx(math.hypot(1000, 2000))
    notes = note_text(got, "trafikplats", "en")
    assert notes[3] == "too far from the road network: 2 236 m"
    assert notes[4] == "trafikplats: none reachable from the site's part of the road network"
    assert notes[0] == ""


def test_ties_go_to_the_lowest_numbered_node():
    # the site lies exactly between node (0,0) [first] and node (200,0): it joins (0,0)
    lines = [LineString([(0, 0), (200, 0)]), LineString([(200, 0), (200, 5000)])]
    net = build_network(NetworkSpec("r", default_kmh=60), gdf(lines, [np.nan, np.nan]))
    site = np.array([Point(100, 0).buffer(1)])
    s = net.snap(site)
    assert s.node[0] == 0 and s.metres[0] == pytest.approx(99.0, abs=0.01)
    # two targets equally far in time: the value is that time
    t = net.minutes_to(np.array([Point(200, 0)]), np.array([Point(0, 0), Point(400, 0)]))
    assert t.values[0] == pytest.approx(0.2)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_grids_match_networkx(seed):
    rng = np.random.default_rng(seed)
    lines, kmh, ow = [], [], []
    n = 7
    for i in range(n):
        for j in range(n - 1):
            for a, b in (((i, j), (i, j + 1)), ((j, i), (j + 1, i))):
                if rng.random() < 0.85:
                    p = (a[0] * 300.0, a[1] * 300.0)
                    q = (b[0] * 300.0, b[1] * 300.0)
                    mid = ((p[0] + q[0]) / 2 + rng.uniform(-40, 40), (p[1] + q[1]) / 2)
                    lines.append(LineString([p, mid, q]))
                    kmh.append(float(rng.choice([30, 50, 70, 90])))
                    ow.append(int(rng.choice([0, 0, 0, 1, -1])))
    net = build_network(NetworkSpec("r", speed_kmh_field="kmh", oneway_field="ow", max_snap_m=250),
                        gdf(lines, kmh, ow))
    g, nodes = reference(lines, kmh, ow)
    sites = np.array([Point(x, y).buffer(rng.uniform(5, 60)) for x, y in rng.uniform(-300, 2100, (25, 2))]
                     + [Point(4000, 4000).buffer(10)])
    targets = np.array([Point(x, y) for x, y in rng.uniform(0, 1800, (3, 2))])
    got = net.minutes_to(sites, targets)
    want = ref_minutes(g, nodes, sites, targets, max_snap=250)
    np.testing.assert_allclose(got.values, want, atol=1e-6, equal_nan=True)
    assert np.isnan(got.values).sum() >= 1   # the fixture holds some site it cannot value

    # reachable_sum against brute force over every (feature, site) pair
    feats = np.array([Point(x, y) for x, y in rng.uniform(0, 1800, (12, 2))])
    pop = rng.integers(0, 500, 12).astype(float)
    for minutes, decay in ((3.0, None), (5.0, 4.0)):
        got_sum = net.reachable_sum(sites, feats, pop, minutes, decay)
        want_sum = []
        for s in sites:
            sn, sa = snap(s, nodes, 250, 20)
            if sn is None:
                want_sum.append(math.nan)
                continue
            tot = 0.0
            for f, v in zip(feats, pop, strict=True):
                fn, fa = snap(f, nodes, 250, 20)
                if fn is None:
                    continue
                try:
                    t = fa + nx.shortest_path_length(g, fn, sn, weight="weight") + sa
                except nx.NetworkXNoPath:
                    continue
                if t <= minutes + 1e-9:
                    tot += v * (math.exp(-t / decay) if decay else 1.0)
            want_sum.append(tot)
        want_sum = np.array(want_sum)
        connected = got_sum.code == 0
        np.testing.assert_allclose(got_sum.values[connected], want_sum[connected], rtol=1e-9, atol=1e-9)
        assert np.isnan(want_sum[got_sum.code == 1]).all()


def test_reachable_sum_searches_from_either_side():
    """Few sites (searched on the reversed graph) give what many sites (searched forward
    from the features) give."""
    lines = [LineString([(0, 0), (1000, 0)]), LineString([(1000, 0), (1000, 1000)]),
             LineString([(1000, 1000), (0, 0)])]
    net = build_network(NetworkSpec("r", default_kmh=60, oneway_field="ow"), gdf(lines, [0, 0, 0], [1, 1, 1]))
    feats = np.array([Point(0, 0), Point(1000, 0), Point(1000, 1000)])
    one = net.reachable_sum(np.array([Point(0, 0)]), feats, np.array([1.0, 10.0, 100.0]), 1.5)
    assert one.values[0] == pytest.approx(1 + 100)       # (1000,0) needs 1 + 1.414 min
    many = net.reachable_sum(np.array([Point(0, 0)] * 5), feats[:1], np.array([7.0]), 1.5)
    assert list(many.values) == [7.0] * 5


def test_speeds_field_then_class_then_default_and_errors():
    lines = [LineString([(0, 0), (600, 0)]), LineString([(600, 0), (1200, 0)]),
             LineString([(1200, 0), (1800, 0)])]
    roads = gpd.GeoDataFrame({"maxspeed": ["50 mph", None, "none"], "klass": [1, 2, 9]},
                             geometry=lines, crs="EPSG:3006")
    spec = NetworkSpec("roads", speed_kmh_field="maxspeed", class_field="klass",
                       class_kmh={"1": 110.0, "2": 36.0}, default_kmh=72)
    net = build_network(spec, roads)
    t = net.minutes_to(np.array([Point(1800, 0)]), np.array([Point(0, 0)]))
    assert t.values[0] == pytest.approx(600 / (50 * 1.609344 * KMH_TO_M_PER_MIN) + 600 / 600 + 600 / 1200)
    with pytest.raises(InputError, match=r"1 line\(s\) have no speed \(e.g. feature 2, maxspeed = none, "
                                         r"klass = 9\)"):
        build_network(NetworkSpec("roads", speed_kmh_field="maxspeed", class_field="klass",
                                  class_kmh={"1": 110.0, "2": 36.0}), roads)
    roads["ow"] = ["yes", "maybe", None]
    with pytest.raises(InputError, match="field 'ow' holds 'maybe' \\(feature 1\\)"):
        build_network(NetworkSpec("roads", default_kmh=50, oneway_field="ow"), roads)
    pts = gpd.GeoDataFrame(geometry=[Point(0, 0)], crs="EPSG:3006")
    with pytest.raises(InputError, match="must hold lines, but feature 0 is a point"):
        build_network(NetworkSpec("roads", default_kmh=50), pts)


def test_rings_hold_only_points_within_their_minutes():
    rng = np.random.default_rng(7)
    lines = [LineString([(x, 0), (x + 250, 0)]) for x in range(0, 5000, 250)]
    lines += [LineString([(2500, y), (2500, y + 250)]) for y in range(-2500, 2500, 250)]
    net = build_network(NetworkSpec("r", default_kmh=40, max_snap_m=400), gdf(lines, [np.nan] * len(lines)))
    target = np.array([Point(0, 0)])
    rings = net.rings(target, (3.0, 6.0), key="t")
    assert rings[0].area > 0 and rings[1].contains(rings[0].buffer(-1))
    pts = shapely.points(rng.uniform([-500, -3000], [5500, 3000], (4000, 2)))
    times = net.minutes_to(pts, target, key="t").values
    for m, ring in zip((3.0, 6.0), rings, strict=True):
        inside = shapely.contains(ring, pts)
        assert inside.sum() > 50
        assert np.all(times[inside] <= m + 1e-6)                       # correct by construction
        # and it does not under-reach: points well within the bound are inside
        assert np.all(inside[times <= m - 0.05])


def test_no_access_classes_are_entered_only_where_other_roads_join_them():
    # a motorway (class 0) from (0,0) to (10000,0) with a ramp at x=5000 to a road at y=300
    lines = [LineString([(0, 0), (2500, 0), (5000, 0), (10000, 0)]), LineString([(5000, 0), (5000, 300)]),
             LineString([(0, 300), (5000, 300), (10000, 300)])]
    roads = gpd.GeoDataFrame({"klass": [0, 5, 6]}, geometry=lines, crs="EPSG:3006")
    spec = NetworkSpec("r", class_field="klass", class_kmh={"0": 120.0, "5": 60.0, "6": 60.0},
                       no_access=("0",))
    net = build_network(spec, roads)
    site = np.array([Point(100, -50)])         # 112 m from a motorway vertex, 364 m from the road's
    target = np.array([Point(10000, 300)])
    got = net.minutes_to(site, target)
    g, nodes = reference(lines, [120, 60, 60], [0, 0, 0])
    joinable = [n for n in nodes if n[1] == 300 or n == (5000, 300)]
    sn, sa = snap(site[0], joinable, 500, 20)
    want = sa + nx.shortest_path_length(g, sn, (10000, 300), weight="weight")
    assert sn == (0, 300) and got.values[0] == pytest.approx(want, abs=1e-6)
    assert net.report["joinable_nodes"] == 4
    # without no_access it joins the motorway at (0, 0)
    free = build_network(NetworkSpec("r", class_field="klass", class_kmh=spec.class_kmh), roads)
    assert free.snap(site).metres[0] == pytest.approx(math.hypot(100, 50))


def test_reachable_sum_in_forked_processes_equals_one_process(monkeypatch):
    import gis_tool.engine.network as network
    rng = np.random.default_rng(5)
    lines = [LineString([(x, y), (x + 200, y)]) for x in range(0, 2000, 200) for y in range(0, 2000, 200)]
    lines += [LineString([(x, y), (x, y + 200)]) for x in range(0, 2000, 200) for y in range(0, 1800, 200)]
    net = build_network(NetworkSpec("r", default_kmh=30), gdf(lines, [np.nan] * len(lines)))
    sites = shapely.points(rng.uniform(0, 1800, (40, 2)))
    feats = shapely.points(rng.uniform(0, 1800, (30, 2)))
    pop = rng.uniform(0, 100, 30)
    one = net.reachable_sum(sites, feats, pop, 2.5, 3.0).values
    monkeypatch.setattr(network, "PARALLEL_OVER", 0)
    monkeypatch.setattr(network, "PROCESSES", 2)
    monkeypatch.setattr(network, "can_fork", lambda: True)   # a Dask test may have left its thread
    monkeypatch.setattr(network, "BLOCK_FLOATS", 3 * net.n)     # three sources a block: many blocks
    forked = []
    real_pool = network.multiprocessing.get_context("fork").Pool

    def counting_pool(k):
        forked.append(k)
        return real_pool(k)

    fork = type("Fork", (), {"Pool": staticmethod(counting_pool)})
    monkeypatch.setattr(network.multiprocessing, "get_context", lambda _: fork)
    two = net.reachable_sum(sites, feats, pop, 2.5, 3.0).values
    assert forked == [2]
    np.testing.assert_allclose(two, one, rtol=1e-12)
    assert np.nansum(one) > 0


def test_an_array_is_snapped_once_and_an_equal_new_array_again(monkeypatch):
    net = build_network(NetworkSpec("r", default_kmh=50), gdf(HAND, [np.nan] * len(HAND)))
    calls = []
    real = net._snap
    monkeypatch.setattr(net, "_snap", lambda g: calls.append(len(g)) or real(g))
    sites = np.array([Point(100, 50), Point(2000, 300)])
    first = net.snap(sites)
    assert net.snap(sites) is first and calls == [2]           # the run's sites: once
    assert net.snap(sites.copy()).node.tolist() == first.node.tolist() and calls == [2, 2]
