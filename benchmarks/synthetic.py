"""A synthetic municipality of any size, for benchmarks, in three characters.

Parcels are Voronoi cells of random points over a square sized so that parcels average
about 1 ha; the other layers (zoning with overlapping classes, roads, interchanges,
substations, water mains, monuments, a flood zone) scale with it. ``character``:

- ``"dense"``: long random roads about 24 km per km² (ten times Sweden's average) and
  water mains everywhere: most parcels touch a road (the original benchmark).
- ``"average"``: roads as winding 8 km stretches, 2.5 km per km² (Swedish roads with
  the private and forest roads, Trafikverket); water mains only in built-up areas (towns
  on about 8 % of the land, 12 km of mains per km² there); few parcels touch either.
- ``"sparse"``: a rural municipality: one motorway across it, county roads at 0.3 km per
  km², one town with water mains, a substation per 300 km².
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

CRS = "EPSG:3006"
X0, Y0 = 330000.0, 6400000.0


CHARACTERS = ("dense", "average", "sparse")


def _walks(rng: np.random.Generator, n: int, length_m: float, step_m: float, side: float,
           starts: np.ndarray | None = None, spread: float = 0.35) -> np.ndarray:
    """``n`` winding lines of ``length_m``: random walks with a slowly turning heading."""
    k = max(2, int(length_m / step_m) + 1)
    start = starts if starts is not None else rng.uniform(0, side, (n, 2))
    heading = rng.uniform(0, 2 * np.pi, n)[:, None] + np.cumsum(rng.normal(0, spread, (n, k)), axis=1)
    steps = np.stack([np.cos(heading), np.sin(heading)], axis=2) * step_m
    xy = start[:, None, :] + np.cumsum(steps, axis=1) - steps[:, :1, :]
    return shapely.linestrings(np.clip(xy, 0, side) + (X0, Y0))


def synthetic_layers(n_sites: int, seed: int = 42, character: str = "dense") -> dict[str, gpd.GeoDataFrame]:
    """Layers of a synthetic municipality with about ``n_sites`` parcels (about 1 ha each;
    every other layer keeps its density per km2, so the work grows about linearly)."""
    if character not in CHARACTERS:
        raise ValueError(f"character: one of {CHARACTERS}")
    rng = np.random.default_rng(seed)
    side = float(np.sqrt(n_sites * 10000.0))
    pts = rng.uniform(0, side, (n_sites, 2)) + (X0, Y0)
    area = shapely.box(X0, Y0, X0 + side, Y0 + side)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=area))
    cells = shapely.intersection(cells, area)
    parcels = gpd.GeoDataFrame({"pid": [f"P{i:07d}" for i in range(len(cells))],
                                "price": rng.uniform(100, 1000, len(cells)).round()},
                               geometry=cells, crs=CRS)

    def pts_layer(n, **cols):
        cols = {k: np.broadcast_to(v, (n,)).copy() for k, v in cols.items()}
        return gpd.GeoDataFrame(cols, geometry=shapely.points(rng.uniform(0, side, (n, 2)) + (X0, Y0)), crs=CRS)

    def lines(n, k):
        c = rng.uniform(0, side, (n, k, 2)) + (X0, Y0)
        return gpd.GeoDataFrame({"id": np.arange(n)}, geometry=shapely.linestrings(c), crs=CRS)

    nz = max(20, n_sites // 50)
    centres = rng.uniform(0, side, (nz, 2)) + (X0, Y0)
    zoning = gpd.GeoDataFrame({"use": rng.choice(["J", "Z", "K", "B"], nz)},
                              geometry=shapely.buffer(shapely.points(centres), rng.uniform(100, 600, nz),
                                                      quad_segs=4), crs=CRS)
    nf = max(5, n_sites // 2000)
    flood = gpd.GeoDataFrame({"rp": [100] * nf}, geometry=shapely.buffer(
        shapely.points(rng.uniform(0, side, (nf, 2)) + (X0, Y0)), 300, quad_segs=8), crs=CRS)
    layers = {
        "parcels": parcels,
        "interchanges": pts_layer(max(5, n_sites // 5000), name="tp"),
        "substations": pts_layer(max(10, n_sites // 2000),
                                 available_mw=rng.uniform(0, 40, max(10, n_sites // 2000)).round(1)),
        "monuments": pts_layer(max(50, n_sites // 50), kind="x"),
        # Line layers keep a constant length per km2 as the area grows (a line of k random
        # vertices is about k/2 sides long, so the count grows with the side, not the area):
        # 100 000 sites give 50 roads and 100 mains as before; 1 000 000 give 158 and 316.
        "roads": lines(max(10, round(50 * np.sqrt(n_sites / 100_000))), 30),
        "water_mains": lines(max(20, round(100 * np.sqrt(n_sites / 100_000))), 12),
        "zoning": zoning,
        "flood": flood,
    }
    if character == "dense":
        return layers
    km2 = side * side / 1e6
    if character == "average":
        n_roads = max(4, round(2.5 * km2 / 8.0))
        roads = _walks(rng, n_roads, 8000, 200, side)
        towns = rng.uniform(0, side, (max(1, round(km2 * 0.08 / 7)), 2))        # 1.5 km radius: 7 km2
        n_mains = max(4, round(12 * 0.08 * km2 / 1.5))
        at = towns[rng.integers(0, len(towns), n_mains)] + rng.normal(0, 600, (n_mains, 2))
        mains = _walks(rng, n_mains, 1500, 100, side, starts=at, spread=0.6)
        subs = max(5, round(km2 / 60))
    else:
        motorway = _walks(rng, 1, side * 1.1, 500, side, starts=np.array([[0.0, side * 0.4]]), spread=0.05)
        county = _walks(rng, max(2, round(0.3 * km2 / 15.0)), 15000, 250, side)
        roads = np.concatenate([motorway, county])
        town = rng.uniform(side * 0.3, side * 0.7, (1, 2))
        n_mains = max(4, round(12 * 7 / 1.5))
        mains = _walks(rng, n_mains, 1500, 100, side, starts=town + rng.normal(0, 600, (n_mains, 2)), spread=0.6)
        subs = max(3, round(km2 / 300))
        layers["interchanges"] = gpd.GeoDataFrame(
            {"name": ["tp"] * 3}, geometry=shapely.line_interpolate_point(motorway[0], [0.2, 0.5, 0.8],
                                                                          normalized=True), crs=CRS)
    layers["roads"] = gpd.GeoDataFrame({"id": np.arange(len(roads))}, geometry=roads, crs=CRS)
    layers["water_mains"] = gpd.GeoDataFrame({"id": np.arange(len(mains))}, geometry=mains, crs=CRS)
    layers["substations"] = pts_layer(subs, available_mw=rng.uniform(0, 40, subs).round(1))
    return layers


ANALYSIS = """
[layers.parcels]
path = "{gpkg}"
layer = "parcels"
[layers.interchanges]
path = "{gpkg}"
layer = "interchanges"
[layers.substations]
path = "{gpkg}"
layer = "substations"
[layers.monuments]
path = "{gpkg}"
layer = "monuments"
[layers.roads]
path = "{gpkg}"
layer = "roads"
[layers.water_mains]
path = "{gpkg}"
layer = "water_mains"
[layers.zoning]
path = "{gpkg}"
layer = "zoning"
[layers.flood]
path = "{gpkg}"
layer = "flood"

[sites]
layer = "parcels"
id = "pid"

[criteria.motorway]
kind = "distance"
layer = "interchanges"
value = {{ fn = "linear", best = 1000, worst = 10000 }}
[criteria.road]
kind = "distance"
layer = "roads"
value = {{ fn = "linear", best = 0, worst = 2000 }}
[criteria.water]
kind = "distance"
layer = "water_mains"
value = {{ fn = "linear", best = 0, worst = 2000 }}
[criteria.zoning]
kind = "overlap"
layer = "zoning"
field = "use"
classes = {{ J = 1.0, Z = 1.0, K = 0.5 }}
[criteria.power]
kind = "nearest_attribute"
layer = "substations"
field = "available_mw"
value = {{ fn = "linear", best = 20, worst = 0 }}
[criteria.heritage]
kind = "count_within"
layer = "monuments"
radius_m = 100
value = {{ fn = "threshold", steps = [[0, 1.0]], otherwise = 0 }}
[criteria.size]
kind = "area"
value = {{ fn = "linear", best = 50000, worst = 0 }}
[criteria.price]
kind = "attribute"
field = "price"
value = {{ fn = "linear", best = 100, worst = 1000 }}

[constraints.flood]
layer = "flood"
max_share = 0.0
"""


def write_synthetic(folder: Path, n_sites: int, character: str = "dense") -> Path:
    """Write the layers to ``folder/synthetic_N.gpkg`` (``synthetic_<character>_N`` for the
    other characters) and an analysis file; return the latter."""
    stem = f"synthetic_{n_sites}" if character == "dense" else f"synthetic_{character}_{n_sites}"
    gpkg = folder / f"{stem}.gpkg"
    if not gpkg.exists():
        folder.mkdir(parents=True, exist_ok=True)
        part = gpkg.with_suffix(".part.gpkg")   # an interrupted run leaves no half file behind
        part.unlink(missing_ok=True)
        for name, gdf in synthetic_layers(n_sites, character=character).items():
            gdf.to_file(part, layer=name, driver="GPKG", engine="pyogrio")
        part.replace(gpkg)
    toml = folder / f"{stem}.toml"
    toml.write_text(ANALYSIS.format(gpkg=gpkg.name), encoding="utf-8")
    return toml
