"""Travel time on a road network at scale, side by side with networkx.

    python benchmarks/bench_network.py [--grid 670] [--sites 100000] [--labour-grid 224]

1. travel_time: a generated grid network (``--grid`` squared nodes, about 2 x grid^2 lines
   of 250 m at 30-110 km/h, 5 % one-way), ``--sites`` 100 m parcels and 10 targets. gis-tool:
   ``build_network`` (timed apart), then ``Network.minutes_to`` (snapping every site and
   target, one Dijkstra from all targets, the lookup). Baseline: networkx's
   ``multi_source_dijkstra_path_length`` from the targets on the reversed graph, plus a
   per-site dictionary lookup, after the same snapping (the networkx graph's build not counted).
2. reachable_sum: 2 000 population cells on a ``--labour-grid`` network (about 100 000
   edges), 10 000 sites, 30 minutes. gis-tool: ``Network.reachable_sum``. Baseline:
   networkx ``single_source_dijkstra_path_length`` with a cutoff per cell, summed per
   site; run for 100 cells and scaled by 20 (a full run takes minutes), and checked equal
   to gis-tool on those 100 cells.

Values are checked equal (to 1e-6 minutes) before a row is printed.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely

from gis_tool.engine.network import build_network
from gis_tool.spec.network import NetworkSpec

SPACING = 250.0


def grid_roads(n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """An n x n grid of nodes 250 m apart, every neighbour pair joined by a line."""
    idx = np.arange(n * n).reshape(n, n)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    xy = np.column_stack([(np.arange(n * n) % n) * SPACING, (np.arange(n * n) // n) * SPACING])
    lines = shapely.linestrings(np.stack([xy[a], xy[b]], axis=1))
    kmh = rng.choice([30.0, 50.0, 70.0, 90.0, 110.0], len(a), p=[0.2, 0.35, 0.25, 0.15, 0.05])
    ow = np.where(rng.random(len(a)) < 0.05, 1, 0)
    return gpd.GeoDataFrame({"kmh": kmh, "ow": ow}, geometry=lines, crs="EPSG:3006")


def reference_graph(net) -> nx.DiGraph:
    g = nx.DiGraph()
    coo = net.graph.tocoo()
    g.add_weighted_edges_from(zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist()))
    return g


def parcels(n: int, extent: float, rng: np.random.Generator) -> np.ndarray:
    x, y = rng.uniform(0, extent, n), rng.uniform(0, extent, n)
    return shapely.box(x, y, x + 100, y + 100)


def travel_time(args: argparse.Namespace, rng: np.random.Generator) -> None:
    roads = grid_roads(args.grid, rng)
    spec = NetworkSpec("roads", speed_kmh_field="kmh", oneway_field="ow")
    t0 = time.perf_counter()
    net = build_network(spec, roads)
    t_build = time.perf_counter() - t0
    extent = (args.grid - 1) * SPACING
    sites = parcels(args.sites, extent, rng)
    targets = shapely.points(rng.uniform(0, extent, (10, 2)))
    t0 = time.perf_counter()
    got = net.minutes_to(sites, targets)
    t_ours = time.perf_counter() - t0

    rev = reference_graph(net).reverse(copy=True)     # built before the clock starts
    t0 = time.perf_counter()
    ss, ts = net.snap(sites), net.snap(targets)       # the same snapping in both
    t_snap = time.perf_counter() - t0
    # the same model: a virtual source joined to each target node by the target's access time
    src = {}
    for node, acc in zip(ts.node.tolist(), ts.minutes.tolist(), strict=True):
        src[node] = min(acc, src.get(node, np.inf))
    rev.add_weighted_edges_from((-1, node, acc) for node, acc in src.items())
    dist = nx.single_source_dijkstra_path_length(rev, -1)
    want = np.array([a + dist[n] if n in dist else np.nan for n, a in zip(ss.node.tolist(), ss.minutes.tolist())])
    t_nx = time.perf_counter() - t0
    np.testing.assert_allclose(got.values, want, atol=1e-6, equal_nan=True)
    print(f"travel_time  network {net.report['edges']:,} edges ({len(roads):,} lines, {net.n:,} nodes) "
          f"built in {t_build:.2f} s")
    print(f"travel_time  {args.sites:,} sites, 10 targets: gis-tool {t_ours:.2f} s, networkx {t_nx:.2f} s "
          f"(x{t_nx / t_ours:.1f}); both include snapping ({t_snap:.2f} s); values equal")


def labour(args: argparse.Namespace, rng: np.random.Generator) -> None:
    roads = grid_roads(args.labour_grid, rng)
    net = build_network(NetworkSpec("roads", speed_kmh_field="kmh", oneway_field="ow"), roads)
    extent = (args.labour_grid - 1) * SPACING
    sites = parcels(10_000, extent, rng)
    cells = shapely.points(rng.uniform(0, extent, (2000, 2)))
    pop = rng.integers(0, 3000, 2000).astype(float)
    t0 = time.perf_counter()
    got = net.reachable_sum(sites, cells, pop, 30.0)
    t_ours = time.perf_counter() - t0

    k = 100
    part = net.reachable_sum(sites, cells[:k], pop[:k], 30.0).values
    g = reference_graph(net)
    ss, cs = net.snap(sites), net.snap(cells[:k])
    t0 = time.perf_counter()
    want = np.zeros(len(sites))
    for node, acc, v in zip(cs.node.tolist(), cs.minutes.tolist(), pop[:k].tolist(), strict=True):
        if node < 0:
            continue
        d = nx.single_source_dijkstra_path_length(g, node, cutoff=30.0 - acc)
        t = np.array([acc + d.get(n, np.inf) for n in ss.node.tolist()]) + ss.minutes
        want += np.where(t <= 30.0 + 1e-9, v, 0.0)
    t_nx = (time.perf_counter() - t0) * (len(cells) / k)
    ok = ss.node >= 0
    np.testing.assert_allclose(part[ok], want[ok], rtol=1e-9)
    print(f"reachable_sum {net.report['edges']:,} edges, 2,000 cells, 10,000 sites, 30 min: gis-tool "
          f"{t_ours:.2f} s, networkx {t_nx:.1f} s (100 cells x 20) (x{t_nx / t_ours:.0f}); values equal "
          f"(mean {np.nanmean(got.values):,.0f} people)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", type=int, default=670)
    ap.add_argument("--sites", type=int, default=100_000)
    ap.add_argument("--labour-grid", type=int, default=224)
    ap.add_argument("--only", choices=("travel_time", "labour"))
    args = ap.parse_args()
    if args.only != "labour":
        travel_time(args, np.random.default_rng(18))
    if args.only != "travel_time":
        labour(args, np.random.default_rng(19))


if __name__ == "__main__":
    main()
