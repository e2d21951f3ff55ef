"""How each input layer is drawn on the map, from what it is.

A layer's kind is read from its name (English or Swedish), its geometry and its columns:
roads by class (motorways heavier), railways dashed, interchanges and stations as symbols,
substations sized by spare MW, detailed plans in Boverket's colours, constraint layers in
red tints, the study area as an outline.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set
from importlib import resources
from typing import Any, Protocol

import geopandas as gpd
import pandas as pd

from ..inputs.layers import geometry_family


class MapData(Protocol):
    """What styling needs to know about a run (``maps.MapData`` has it)."""

    @property
    def study_area(self) -> str | None: ...
    @property
    def size_fields(self) -> Mapping[str, str]: ...
    @property
    def constraint_layers(self) -> Set[str]: ...


SCORE_COLOURS = ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"]
ISOCHRONE_COLOURS = ["#1a9850", "#91cf60", "#d9ef8b", "#fee08b", "#fc8d59"]   # nearest first
LEVEL_COLOURS = ["#d9d9d9", "#fee391", "#fec44f", "#a1d99b", "#41ab5d", "#006d2c"]


def level_colours(n: int) -> list[str]:
    """A colour per readiness level: grey for level 0, then yellow (far from ready) to dark
    green (build-ready); the top level is always the darkest green."""
    ramp = LEVEL_COLOURS[1:]
    if n - 1 <= len(ramp):
        return [LEVEL_COLOURS[0]] + ramp[len(ramp) - (n - 1):]
    rgb = [[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in ramp]
    pos = [k / (len(ramp) - 1) for k in range(len(ramp))]
    out = [LEVEL_COLOURS[0]]
    for t in (k / (n - 2) for k in range(n - 1)):
        j = min(len(ramp) - 2, int(t * (len(ramp) - 1)))
        f = (t - pos[j]) / (pos[j + 1] - pos[j])
        out.append("#" + "".join(f"{round(a + (b - a) * f):02x}" for a, b in zip(rgb[j], rgb[j + 1])))
    return out


def plan_colours() -> dict[str, str]:
    with resources.files("gis_tool.data").joinpath("plan_codes.csv").open(encoding="utf-8") as f:
        t = pd.read_csv(f)
    return dict(zip(t["code"], t["hex"]))


_KEYWORDS = {
    "isochrone": ("isochrone", "restid", "travel_time_ring"),
    "population": ("population", "befolkning", "pop_", "inhabitants"),
    "road": ("road", "väg", "vag", "gata", "street"),
    "rail": ("rail", "järnväg", "jarnvag", "bana", "spår"),
    "interchange": ("interchange", "trafikplats", "junction", "anslutning"),
    "station": ("station", "terminal", "hållplats"),
    "substation": ("substation", "ställverk", "transformator", "fördelning"),
    "water_main": ("main", "ledning", "va_", "sewer", "vatten"),
    "power": ("power", "kraft", "el_"),
    "lake": ("lake", "sjö", "sjo", "water_body", "vattendrag"),
    "comprehensive": ("comprehensive", "översikt", "oversikt", "op_"),
    "boundary": ("boundary", "gräns", "grans", "kommun", "municipality"),
    "service_area": ("service_area", "verksamhetsområde", "verksamhetsomrade", "va_omr"),
    "urban": ("urban", "tätort", "tatort", "town"),
}
_ROAD_CLASS_COLUMNS = ("road_class", "class", "klass", "vagklass", "vägklass", "kategori", "type")
_PLAN_COLUMNS = ("use", "anvandning", "användning", "plan_code", "kod", "code", "beteckning")


def _kind(name: str, gdf: gpd.GeoDataFrame, data: MapData) -> str:
    low = name.lower()
    fam = geometry_family(gdf)
    if name == data.study_area:
        return "boundary"
    if fam == "polygon" and plan_column(gdf):
        return "plans"
    hits = [k for k, words in _KEYWORDS.items() if any(w in low for w in words)]
    order = ("isochrone", "population", "interchange", "substation", "station", "rail", "road", "comprehensive", "lake",
             "service_area", "boundary", "urban", "power", "water_main")
    for k in order:
        if k in hits:
            if k in ("interchange", "substation", "station") and fam != "point":
                continue
            if k in ("lake", "boundary", "comprehensive", "service_area", "isochrone") and fam != "polygon":
                continue
            return k
    return "default"


def plan_column(gdf: gpd.GeoDataFrame) -> str | None:
    """The column holding Boverket land-use codes: a usual name first, else any column
    whose values are almost all codes."""
    codes = set(plan_colours())

    def share(c: str) -> float:
        vals = gdf[c].dropna().astype(str).str.strip().str.upper()
        return float(vals.isin(codes).mean()) if len(vals) else 0.0

    cols = [c for c in gdf.columns if c != gdf.geometry.name and
            (gdf[c].dtype == object or pd.api.types.is_string_dtype(gdf[c]))]
    named = [c for c in cols if c.lower() in _PLAN_COLUMNS and share(c) >= 0.5]
    if named:
        return named[0]
    return next((c for c in cols if share(c) >= 0.8), None)


def layer_style(name: str, gdf: gpd.GeoDataFrame, data: MapData) -> dict[str, Any]:
    """How to draw an input layer, from what it is (by name, geometry and columns)."""
    kind = _kind(name, gdf, data)
    fam = geometry_family(gdf)
    cfg: dict[str, Any] = {"style": {"color": "#6b6b6b", "weight": 1.2, "fillColor": "#9e9e9e",
                                     "fillOpacity": 0.25, "radius": 4}, "show": True}
    if kind == "boundary":
        cfg["style"] = {"color": "#1d2b36", "weight": 2.5, "fill": False, "dashArray": "6 4"}
    elif kind == "plans":
        col = plan_column(gdf)
        colours = plan_colours()
        cfg["styleBy"] = col
        cfg["styles"] = {str(v): {"color": "#555", "weight": 0.6,
                                  "fillColor": colours[str(v).strip().upper()], "fillOpacity": 0.55}
                         for v in gdf[col].dropna().astype(str).unique()
                         if str(v).strip().upper() in colours}
        cfg["style"] = {"color": "#555", "weight": 0.6, "fillColor": "#ffffff", "fillOpacity": 0.3}
        cfg["show"] = False
    elif kind == "road":
        col = next((c for c in gdf.columns if c.lower() in _ROAD_CLASS_COLUMNS), None)
        cfg["style"] = {"color": "#8c8c8c", "weight": 1.2}
        cfg["show"] = len(gdf) <= 500       # a whole road network: off until asked for
        if col:
            cfg["styleBy"] = col
            cfg["styles"] = {str(v): _road_style(str(v)) for v in gdf[col].dropna().unique()}
    elif kind == "isochrone" and "minutes" in gdf.columns:
        ramp = ISOCHRONE_COLOURS
        bands = gdf.sort_values("minutes")["name"].astype(str).tolist()   # nearest band first
        cfg["styleBy"] = "name"
        cfg["styles"] = {b: {"color": ramp[min(i, len(ramp) - 1)], "weight": 1,
                             "fillColor": ramp[min(i, len(ramp) - 1)], "fillOpacity": 0.18}
                         for i, b in enumerate(bands)}
        cfg["style"] = {"color": ramp[-1], "weight": 1, "fillColor": ramp[-1], "fillOpacity": 0.28}
    elif kind == "population":
        cfg["style"] = {"color": "#b07aa1", "weight": 0.5, "fillColor": "#d4b9da", "fillOpacity": 0.25}
        cfg["show"] = False
    elif kind == "rail":
        cfg["style"] = {"color": "#222", "weight": 2.5, "dashArray": "8 5"}
    elif kind == "interchange":
        cfg.update(symbol="diamond", style={"color": "#222", "fillColor": "#e34a33", "radius": 7})
    elif kind == "station":
        cfg.update(symbol="square", style={"color": "#222", "fillColor": "#f7f7f7", "radius": 6})
    elif kind == "substation":
        cfg.update(symbol="circle", style={"color": "#7a3b00", "fillColor": "#fdae6b", "radius": 6},
                   sizeBy=data.size_fields.get(name))
    elif kind == "water_main":
        cfg["style"] = {"color": "#2b8cbe", "weight": 1.4, "opacity": 0.8}
        cfg["show"] = False
    elif kind == "power":
        cfg["style"] = {"color": "#8856a7", "weight": 1.6, "dashArray": "4 3"}
        cfg["show"] = False
    elif kind == "lake":
        cfg["style"] = {"color": "#4a90c2", "weight": 0.8, "fillColor": "#9ecae1", "fillOpacity": 0.8}
    elif kind == "service_area":
        cfg["style"] = {"color": "#2b8cbe", "weight": 1.5, "dashArray": "6 4", "fill": False}
        cfg["show"] = False
    elif kind == "urban":
        cfg.update(symbol="circle", style={"color": "#222", "fillColor": "#222", "radius": 4})
    elif kind == "comprehensive":
        cfg["style"] = {"color": "#756bb1", "weight": 2, "dashArray": "5 4", "fillColor": "#bcbddc",
                        "fillOpacity": 0.15}
        cfg["show"] = False
    if name in data.constraint_layers:
        if fam == "polygon":
            cfg["style"] = {"color": "#c0392b", "weight": 1, "dashArray": "3 3",
                            "fillColor": "#e74c3c", "fillOpacity": 0.22}
        elif fam == "line":
            cfg["style"] = {"color": "#c0392b", "weight": 3, "opacity": 0.5, "dashArray": "2 6"}
        else:
            cfg["style"] = {"color": "#c0392b", "fillColor": "#e74c3c", "radius": 4}
        cfg.pop("styleBy", None)
    if fam == "point" and "symbol" not in cfg:
        cfg["symbol"] = "circle"
    cfg["kind"] = kind
    return cfg


def _road_style(v: str) -> dict[str, Any]:
    low = v.lower()
    if re.fullmatch(r"\d(\.0)?", low):            # NVDB funktionell vägklass 0 (most important) .. 9
        k = int(float(low))
        return ({"color": "#d7301f", "weight": 5} if k <= 1 else {"color": "#fc8d59", "weight": 2.5} if k <= 4
                else {"color": "#969696", "weight": 1})
    if "motor" in low or re.match(r"^e\d", low):
        return {"color": "#d7301f", "weight": 5}
    if any(w in low for w in ("län", "lan", "county", "riks", "primary", "trunk")):
        return {"color": "#fc8d59", "weight": 2.5}
    return {"color": "#969696", "weight": 1}
