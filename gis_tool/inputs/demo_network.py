"""The demo's road network and population grid: synthetic, like the other demo layers.

``road_network`` is a routable line layer shaped like a Trafikverket NVDB delivery:
``vagklass`` (funktionell vägklass 0-9), ``hastighet`` (hastighetsgräns, km/h; empty
where the demo leaves it to the class) and ``enkelriktad`` (1 = one-way in the digitised
direction). The E20 meets the other roads only at its interchanges (elsewhere it
crosses on bridges); every other road is noded where it crosses another. Rural roads on
a 2 km grid, streets in the town and business areas, county roads and interchange ramps.

``population`` is a 1 km grid like SCB's (``pop_total``, ``pop_20_64``): the real 2020
population of each urban area (SCB) spread around its centre, plus a thin rural
population, working age taken as 57 % (Sweden's share of 20-64 year olds, SCB 2023).
Only people inside the municipality are counted (the demo has no neighbours).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely import LineString, Point, Polygon

CRS = "EPSG:3006"
# funktionell vägklass (NVDB) -> speed in km/h when a road has no hastighet; the
# defaults a planner would assume (docs/network.md), not measured speeds.
CLASS_KMH = {0: 110, 1: 100, 2: 90, 3: 80, 4: 80, 5: 70, 6: 70, 7: 60, 8: 50, 9: 40}
WORKING_AGE = 0.57
RURAL_PER_KM2 = 16.0


def _wiggle(points: np.ndarray, rng: np.random.Generator, step: float, amp: float) -> LineString:
    c = shapely.get_coordinates(shapely.segmentize(LineString(points), step))
    c[1:-1] += rng.normal(0, amp, (len(c) - 2, 2))
    return LineString(c)


def _grid(cx: float, cy: float, radius: float, spacing: float, rng: np.random.Generator,
          amp: float) -> list[LineString]:
    """Streets on a bent grid within ``radius`` of a centre."""
    out = []
    for k in np.arange(-radius, radius + 1, spacing):
        out.append(_wiggle(np.array([(cx - radius, cy + k), (cx + radius, cy + k)]), rng, spacing, amp))
        out.append(_wiggle(np.array([(cx + k, cy - radius), (cx + k, cy + radius)]), rng, spacing, amp))
    disc = Point(cx, cy).buffer(radius)
    return [g for g in (line.intersection(disc) for line in out) if not g.is_empty]


def road_network(roads: gpd.GeoDataFrame, interchanges: gpd.GeoDataFrame, muni: Polygon,
                 lakes: Polygon, business: list, town: tuple[float, float],
                 rng: np.random.Generator) -> gpd.GeoDataFrame:
    """The routable road layer (see the module docstring)."""
    e20 = roads.geometry[roads["road_class"] == "motorväg"].iloc[0]
    ic = shapely.get_coordinates(interchanges.geometry.to_numpy())
    vc = shapely.get_coordinates(e20)
    at = np.r_[shapely.line_locate_point(e20, shapely.points(vc)), shapely.line_locate_point(e20, shapely.points(ic))]
    e20 = LineString(np.vstack([vc, ic])[np.argsort(at, kind="stable")])   # interchanges become vertices

    land = muni.difference(lakes)
    x0, y0, x1, y1 = muni.bounds
    src: list[tuple[str, int, float | None, shapely.Geometry]] = []
    for _, r in roads[roads["road_class"] == "länsväg"].iterrows():
        src.append((r["name"], 3, 80.0, r.geometry))
    for x in np.arange(x0 + 1000, x1, 2000):
        src.append(("Enskild väg", 6, None, _wiggle(np.array([(x, y0), (x, y1)]), rng, 400, 60)))
    for y in np.arange(y0 + 1000, y1, 2000):
        src.append(("Enskild väg", 6, None, _wiggle(np.array([(x0, y), (x1, y)]), rng, 400, 60)))
    src += [("Gata", 8, 40.0 if i % 3 else 50.0, g) for i, g in enumerate(_grid(*town, 2600, 350, rng, 25))]
    for name, bx, by, radius, _ in business:
        src += [(f"{name} industrigata", 7, 50.0, g) for g in _grid(bx, by, radius + 300, 260, rng, 15)]
    src = [(n, c, v, g.intersection(land)) for n, c, v, g in src]
    src = [s for s in src if not s[3].is_empty]
    local = shapely.union_all([s[3] for s in src])
    for p in shapely.points(ic):        # ramps: from each interchange to the nearest local road
        q = Point(shapely.get_coordinates(shapely.shortest_line(p, local))[-1])
        d = np.array([q.x - p.x, q.y - p.y])
        end = np.array([q.x, q.y]) + d / max(np.hypot(*d), 1e-9)      # 1 m past: the noder joins it
        src.append(("Påfart E20", 5, 70.0, LineString([(p.x, p.y), tuple(end)])))
    parts = shapely.get_parts(np.array([s[3] for s in src], dtype=object))
    pieces = shapely.get_parts(shapely.node(shapely.multilinestrings(parts[shapely.get_type_id(parts) == 1])))
    pieces = pieces[shapely.length(pieces) > 0.5]
    tree = shapely.STRtree(np.array([s[3] for s in src], dtype=object))
    mid = shapely.line_interpolate_point(pieces, 0.5, normalized=True)
    _, which = tree.query_nearest(mid, all_matches=False)
    names = [src[i][0] for i in which] + ["E20"]
    klass = [src[i][1] for i in which] + [0]
    speed = [src[i][2] for i in which] + [110.0]
    geoms = list(pieces) + [e20]
    ends = shapely.get_coordinates(shapely.boundary(np.array(geoms, dtype=object)))
    keys, counts = np.unique(ends.round(3), axis=0, return_counts=True)
    degree = dict(zip(map(tuple, keys), counts))
    oneway = []
    for g, k in zip(geoms, klass):     # a few one-way streets in the centre, never a dead end
        a, b = g.coords[0], g.coords[-1]
        inner = degree.get(tuple(np.round(a, 3)), 0) >= 3 and degree.get(tuple(np.round(b, 3)), 0) >= 3
        oneway.append(int(k == 8 and inner and Point(a).distance(Point(town)) < 900 and rng.uniform() < 0.15))
    return gpd.GeoDataFrame({"name": names, "vagklass": klass, "hastighet": speed, "enkelriktad": oneway},
                            geometry=geoms, crs=CRS)


def population(urban: gpd.GeoDataFrame, muni: Polygon, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """A 1 km population grid (see the module docstring)."""
    x0, y0, x1, y1 = (np.floor(np.array(muni.bounds) / 1000) * 1000).tolist()
    xs, ys = np.meshgrid(np.arange(x0, x1 + 1000, 1000), np.arange(y0, y1 + 1000, 1000))
    cx, cy = xs.ravel() + 500, ys.ravel() + 500
    inside = shapely.contains_xy(muni, cx, cy)
    cx, cy = cx[inside], cy[inside]
    pop = rng.poisson(RURAL_PER_KM2, len(cx)).astype(float)
    ux, uy = shapely.get_x(urban.geometry.to_numpy()), shapely.get_y(urban.geometry.to_numpy())
    for x, y, n, ha in zip(ux, uy, urban["population_2020"], urban["area_ha"]):
        sigma = max(400.0, np.sqrt(ha * 1e4) / 2)
        w = np.exp(-((cx - x) ** 2 + (cy - y) ** 2) / (2 * sigma ** 2))
        pop += n * w / w.sum()
    total = np.round(pop)
    keep = total > 0
    cells = shapely.box(cx - 500, cy - 500, cx + 500, cy + 500)[keep]
    return gpd.GeoDataFrame({"cell": [f"1km_{int(x)}_{int(y)}" for x, y in zip(cx[keep], cy[keep])],
                             "pop_total": total[keep].astype(int),
                             "pop_20_64": np.round(total[keep] * WORKING_AGE).astype(int)},
                            geometry=cells, crs=CRS)
