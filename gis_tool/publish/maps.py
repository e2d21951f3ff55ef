"""Interactive maps: self-contained, escaped, bilingual.

``site_map(result)`` builds a folium map and ``save_map(m, path)`` writes it. Leaflet
comes from the ``xstatic-leaflet`` package and is inlined with gis-tool's own script and
styles, so the page opens from a USB stick with no internet. Data reaches the page as
JSON inside a script (``<``, ``>`` and ``&`` escaped) and is put on the page by the
script through an escaping function, never as markup.
"""

from __future__ import annotations

import dataclasses
import html
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Figure

from ..engine.pipeline import best_first
from ..engine.site_arrays import inner_points
from ..engine.sites import grid_sites
from ..engine.weights import normalise
from ..errors import InputError
from ..inputs.layers import geometry_family
from ..spec.analysis import GridSpec
from ..spec.network import RINGS_LAYER
from ..studies.inquiry import request_summary
from ..text import LOCALES, integer, trimmed, words
from . import map_data as _md
from .charts import GROUP_COLOURS
from .labels import field_label, layer_label
from .map_data import (  # noqa: F401  (re-exported: maps.MapData, maps.map_data, ...)
    OVERVIEW_CELLS,
    READINESS_COLUMNS,
    MapData,
    in_language,
    load_result,
    map_data,
    map_manifest,
    map_scale,
)
from .map_page import (  # noqa: F401  (render_map, save_map, safe_json: importable from here too)
    Data,
    Layer,
    Markup,
    Script,
    asset,
    data_call,
    geoms_json,
    html_text,
    leaflet_assets,
    payload,
    render_map,
    rows_json,
    safe_json,
    save_map,
    script_safe,
)
from .map_styles import SCORE_COLOURS, layer_style, plan_column

TEXT = words.MAP
CANVAS_OVER = 1500  # features; above this the map draws on a canvas
def _bins() -> list[dict[str, Any]]:
    return [{"from": i * 20, "to": (i + 1) * 20, "colour": c} for i, c in enumerate(SCORE_COLOURS)]


def _sites_call(data: MapData, lang: str, top: int, marks: list[tuple[int, str, Any]] | None = None,
                live: bool = False) -> str:
    s = data.sites
    pts = gpd.GeoSeries(shapely.point_on_surface(s.geometry.to_numpy()), crs=s.crs).to_crs(4326)
    cols = ["site_id", "score", "rank", "eligible", "excluded_by", "area_m2"]
    cols += ["offer_now"] if data.offer is not None and "offer_now" in s.columns else []
    for c in data.criteria:
        cols += [f"{c['key']}_raw", f"{c['key']}_points"]
    cols += [a for a in data.site_attributes if a in s.columns]
    if data.readiness is not None:
        cols += [c for c in READINESS_COLUMNS[:6] if c in s.columns]
    df = pd.DataFrame(s[cols]).reset_index(drop=True)
    df["rank"] = df["rank"].astype("Float64")
    ranked = s["rank"].astype("Float64").fillna(np.inf).to_numpy() <= top
    labels = [[round(float(y), 6), round(float(x), 6), int(r), str(i)] for y, x, r, i in zip(
        pts.y[ranked], pts.x[ranked], s["rank"][ranked], s["site_id"][ranked])]
    if marks is not None:  # numbered marks instead of ranks (an inquiry's matches)
        where = gpd.GeoSeries([p for _, _, p in marks], crs=s.crs).to_crs(4326)
        labels = [[round(float(p.y), 6), round(float(p.x), 6), int(k), str(i)]
                  for (k, i, _), p in zip(marks, where)]
    crit = [{**c, "label": in_language(c["label"], lang, c["key"])} for c in data.criteria]
    cfg = {"locale": LOCALES[lang], "text": _words(data, lang), "criteria": crit,
           "attributes": [a for a in data.site_attributes if a in s.columns], "top": top,
           "attributeLabels": {a: in_language(f.get("label"), lang, a) for a, f in data.fields.items()},
           "valueLabels": {a: {k: in_language(v, lang, k) for k, v in f.get("values", {}).items()}
                           for a, f in data.fields.items()},
           "bins": _bins(), "eligible": int(s["eligible"].sum()), "columns": list(df.columns),
           "labels": labels, "readiness": _readiness_cfg(data.readiness, lang),
           "offer": None if data.offer is None else {k: in_language(v, lang, k) for k, v in data.offer.items()}}
    if live:  # full precision, so that the page re-scores exactly as Result.rescore
        keys = [f"{c['key']}_value" for c in data.criteria]
        vals = data.values if data.values is not None else s[keys].to_numpy(dtype=float)
        cfg["liveValues"] = {"columns": keys, "rows": np.nan_to_num(vals, nan=0.0).tolist()}
    tol = 0.5 if len(s) > 5000 else 0.2
    return payload(cfg, geoms_json(s, tol), rows_json(df))


def _readiness_cfg(info: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    """The readiness ladder, supply and target with labels in ``lang``."""
    if info is None:
        return None
    levels = [{**lv, "label": in_language(lv["label"], lang, str(lv["level"]))} for lv in info["levels"]]
    target = info.get("target")
    if target is not None:
        target = {**target, "label": in_language(target["label"], lang, str(target["level"]))}
    return {"levels": levels, "target": target, "demand": info.get("demand")}


def _layer_call(name: str, gdf: gpd.GeoDataFrame, data: MapData) -> tuple[str, bool]:
    cfg = layer_style(name, gdf, data)
    names = [c for c in gdf.columns if c != gdf.geometry.name]
    tip = next((c for c in names if c.lower() in ("name", "namn", "plan_id", "fastighet", "id",
                                                   "raa_id", "mifo_id")), None)
    keep = ([tip] if tip else []) + [c for c in (cfg.get("styleBy"), cfg.get("sizeBy")) if c]
    keep += [c for c in names if c not in keep][: max(0, 8 - len(keep))]
    keep = list(dict.fromkeys(keep))
    df = pd.DataFrame(gdf[keep]).reset_index(drop=True)
    js = {k: v for k, v in cfg.items() if k != "show"}
    js.update(key=name, title=name, tooltip=tip, columns=keep)
    tol = 1.0 if geometry_family(gdf) != "point" else 0
    return payload(js, geoms_json(gdf, tol), rows_json(df)), cfg["show"]


def _best_sites(data: MapData, k: int) -> MapData:
    s = best_first(data.sites)
    keep = s.index[:k]
    pos = data.sites.index.get_indexer(keep)
    vals = data.values[pos] if data.values is not None else None
    return dataclasses.replace(data, sites=s.iloc[:k], values=vals)


def overview_cells(sites: gpd.GeoDataFrame, cells: int = OVERVIEW_CELLS) -> gpd.GeoDataFrame:
    """Hexagons over the sites, each with its best score, its number of sites and the
    number of eligible ones (a light overview for maps of very many sites)."""
    x0, y0, x1, y1 = sites.total_bounds
    size = max(50.0, float(np.sqrt((x1 - x0) * (y1 - y0) / cells)))
    hexes = grid_sites(shapely.box(x0, y0, x1, y1), GridSpec(cell_m=size, shape="hex"), sites.crs)
    pts = shapely.points(inner_points(sites.geometry.to_numpy()))   # made once per table
    p, h = shapely.STRtree(hexes.geometry.to_numpy()).query(pts, predicate="intersects")
    p, first = np.unique(p, return_index=True)   # a point on an edge counts once
    h = h[first]
    score = sites["score"].to_numpy(dtype=float)[p]
    n = len(hexes)
    best = np.full(n, -1.0)
    np.fmax.at(best, h, np.nan_to_num(score, nan=-1.0))
    count = np.bincount(h, minlength=n)
    eligible = np.bincount(h, weights=~np.isnan(score), minlength=n)
    out = hexes.assign(best_score=np.where(best >= 0, best.round(1), np.nan), sites=count,
                       eligible=eligible.astype(int))
    return out[out["sites"] > 0].reset_index(drop=True)


def _overview_call(hexes: gpd.GeoDataFrame, T: dict[str, str]) -> str:
    cls = np.where(np.isnan(hexes["best_score"]), "x",
                   np.minimum(4, (np.nan_to_num(hexes["best_score"]) // 20).astype(int)).astype(str))
    df = gpd.GeoDataFrame({"best_score": hexes["best_score"], "sites": hexes["sites"],
                           "eligible": hexes["eligible"], "class": cls}, geometry=hexes.geometry)
    styles = {str(i): {"color": c, "weight": 0.3, "fillColor": c, "fillOpacity": 0.55}
              for i, c in enumerate(SCORE_COLOURS)}
    styles["x"] = {"color": "#999", "weight": 0.3, "fillColor": "#c8c8c8", "fillOpacity": 0.4}
    cfg = {"style": styles["x"], "styleBy": "class", "styles": styles, "key": "overview",
           "title": T["overview"], "tooltip": "best_score",
           "columns": ["best_score", "sites", "eligible", "class"]}
    return payload(cfg, geoms_json(df, 1.0), rows_json(pd.DataFrame(df[cfg["columns"]])))


def _overlay_call(name: str, gdf: gpd.GeoDataFrame, style: dict[str, Any]) -> str:
    """A layer drawn in one fixed style, with its first column as tooltip."""
    cols = [c for c in gdf.columns if c != gdf.geometry.name][:6]
    df = pd.DataFrame(gdf[cols]).reset_index(drop=True)
    cfg = {"style": style, "key": name, "title": name, "tooltip": cols[0] if cols else None,
           "columns": cols}
    return payload(cfg, geoms_json(gdf, 0.2), rows_json(df))


def site_map(result: Any, *, lang: str = "sv", top: int = 10, title: str | None = None,
             focus: gpd.GeoDataFrame | None = None, marks: list[tuple[int, str, Any]] | None = None,
             overlays: list[tuple[str, gpd.GeoDataFrame, dict[str, Any]]] | None = None,
             note: str | None = None, live_weights: bool = False, supply_panel: bool = True) -> folium.Map:
    """Build the interactive map of a run.

    Parameters
    ----------
    result
        A :class:`~gis_tool.pipeline.Result` or :class:`MapData`.
    lang
        ``"sv"`` or ``"en"``: labels, legend, popups and number format.
    top
        How many of the best sites to label with their rank.
    title
        The map's title; the analysis name by default.
    focus
        Zoom to these geometries (working CRS) instead of all sites.
    marks
        ``(number, site id, point)`` labels drawn instead of the top ranks.
    overlays
        ``(name, geometries, Leaflet path style)`` layers drawn over the sites, each with
        its own toggle (an inquiry's matches, near misses and combined sites).
    note
        A line added to the title block (an inquiry's request).
    supply_panel
        Show the land-supply panel (the municipality's own view; not on an investor's map).
    live_weights
        Add a panel of weight sliders and a profile picker that re-score, re-rank and
        recolour the sites in the page (from the values it carries; no server).

    Returns
    -------
    folium.Map
        Save it with :func:`save_map`.
    """
    if lang not in TEXT:
        raise InputError(f"--lang: unknown language '{lang}'; use 'sv' or 'en'")
    data = map_data(result)
    T = _words(data, lang)
    overview = None
    n_all = len(data.sites)
    if n_all > _md.MAP_MAX_SITES:
        overview = overview_cells(data.sites)
        data = _best_sites(data, _md.MAP_BEST_SITES)
        scaled = T["scaled"].format(k=integer(len(data.sites), lang), n=integer(n_all, lang))
        note = f"{note} · {scaled}" if note else scaled
    n_features = len(data.sites) + sum(len(g) for g in data.layers.values())
    m = folium.Map(tiles=None, prefer_canvas=n_features > CANVAS_OVER, control_scale=False,
                   zoom_snap=0.25)
    m.default_js, m.default_css = [], []
    js, css = leaflet_assets()
    root = cast(Figure, m.get_root())
    title_text = title or data.name
    root.header.add_child(Markup(f"<title>{html.escape(title_text)}</title>"), name="gt_title")
    root.header.add_child(Markup(f"<style>{css}</style>"), name="gt_leaflet_css")
    root.header.add_child(Markup(f"<style>{asset('map.css')}</style>"), name="gt_css")
    root.header.add_child(Markup(f"<script>{js}</script>"), name="gt_leaflet_js")
    root.header.add_child(Markup(f"<script>{asset('map.js')}</script>"), name="gt_js")
    light = folium.FeatureGroup(name=html.escape(T["base_light"]), overlay=False, show=True)
    light.add_to(m)
    folium.TileLayer("OpenStreetMap", name=html.escape(T["base_osm"]), overlay=False,
                     show=False).add_to(m)
    folium.FeatureGroup(name=html.escape(T["base_none"]), overlay=False, show=False).add_to(m)
    zoom_to = focus if focus is not None and len(focus) else data.sites
    b = zoom_to.to_crs(4326).total_bounds
    bounds = [[float(b[1]), float(b[0])], [float(b[3]), float(b[2])]]
    # Fit the view first, so that layers are drawn once at the right zoom.
    m.add_child(Script(f"{m.get_name()}.fitBounds({safe_json(bounds)})"))
    # Drawing order: areas, then the scored sites, then lines and points on top.
    fams = {k: geometry_family(g) for k, g in data.layers.items() if len(g)}
    rings = [k for k in fams if k == RINGS_LAYER]      # drawn over the sites, under the infrastructure
    areas = [k for k, f in fams.items() if f == "polygon" and k not in rings]
    for name in areas:
        _add_input_layer(m, name, data, T)
    if overview is not None:
        Layer(data_call(m, "vectorLayer", _overview_call(overview, T)), T["overview"]).add_to(m)
    Layer(data_call(m, "sitesLayer", _sites_call(data, lang, top, marks, live_weights)),
           T["sites"]).add_to(m)
    for name, gdf, style in overlays or []:
        if len(gdf):
            Layer(data_call(m, "vectorLayer", _overlay_call(name, gdf, style)), name).add_to(m)
    for name in rings + sorted((k for k in fams if k not in areas and k not in rings),
                               key=lambda k: fams[k] == "point"):
        _add_input_layer(m, name, data, T)
    folium.LayerControl(collapsed=True).add_to(m)
    sub = [T["sites_count"].format(n=integer(n_all, lang), e=integer(
        int(map_data(result).sites["eligible"].sum()), lang))]
    if data.profile:
        sub.append(f"{T['profile']}: {data.profile}")
    sub.append(f"{T['created']} {data.created}")
    if note:
        sub.append(note)
    rd = _readiness_cfg(data.readiness, lang)
    if rd is not None and rd["target"] is not None and supply_panel:   # the municipality's own view
        t = rd["target"]
        status = T["target_met"] if t["met"] else T["target_short"].format(
            ha=trimmed(t["shortfall_ha"], lang))
        sub.append(f"{T['target']}: {trimmed(t['min_eligible_ha'], lang)} ha ≥ {t['label']} "
                   f"({trimmed(t['eligible_ha'], lang)} ha, {status})")
    setup = {"locale": LOCALES[lang], "text": T, "title": title_text, "subtitle": " · ".join(sub),
             "bins": _bins(),
             "attribution": [*_credits(data, lang), "gis-tool"],
             "backgrounds": {html.escape(T["base_light"]): "#f4f3ef",
                             html.escape(T["base_none"]): "#ffffff",
                             html.escape(T["base_osm"]): "#e0e0e0"},
             "initialBase": html.escape(T["base_light"]), "readiness": rd, "supplyPanel": supply_panel,
             "overlayLegend": [{"label": name, "color": st.get("color", "#333"), "dash": bool(st.get("dashArray"))}
                               for name, gdf, st in overlays or [] if len(gdf)]}
    setup_el = Script(f"gisTool.setup({m.get_name()}, {safe_json(setup)})")
    m.add_child(setup_el)
    if live_weights:
        root.header.add_child(Markup(f"<script>{asset('live.js')}</script>"), name="gt_live_js")
        m.add_child(Script(f"gisTool.livePanel({m.get_name()}, {safe_json(_live_cfg(result, data, lang, top))})"))
    return m


LIVE_TEXT = words.LIVE


def _words(data: MapData, lang: str) -> dict[str, str]:
    """The map's words in ``lang``; on a grid the search box asks for a cell."""
    T = dict(TEXT[lang], _lang=lang)
    if data.grid:
        T["search"] = T["search_grid"]
    return T


def _credits(data: MapData, lang: str) -> list[str]:
    """Who made the data, and Boverket when a layer is drawn in its plan-code colours."""
    parts = list(data.credits.get(lang) or [words.CREDITS[lang]["data"].format(who=data.municipality or data.name)])
    if any(geometry_family(g) == "polygon" and plan_column(g) for g in data.layers.values() if len(g)):
        parts.append(words.CREDITS[lang]["boverket"])
    return parts


def _live_cfg(result: Any, data: MapData, lang: str, top: int) -> dict[str, Any]:
    """The live panel's settings: each profile as ``Result.rescore(profile=...)`` resolves
    it (its normalised weights, and the sites it excludes, with the reason), so that the
    page ranks exactly as ``gis-tool run --profile`` does."""
    keys = [c["key"] for c in data.criteria]
    return {"criteria": keys, "labels": [in_language(c["label"], lang, c["key"]) for c in data.criteria],
            "weights": {c["key"]: float(c["weight"]) for c in data.criteria},
            "profiles": _live_profiles(result, data, keys, lang),
            "top": top, "text": LIVE_TEXT[lang]}


def _live_profiles(result: Any, data: MapData, keys: list[str], lang: str) -> dict[str, Any]:
    if getattr(result, "score_cache", None) is None:   # read back from files: weights only
        return {n: {"weights": normalise({k: w.get(k, 0.0) for k in keys}).values, "excluded": None}
                for n, w in data.profiles.items()}
    shown = set(data.sites["site_id"])
    out = {}
    for name in result.analysis.profiles:
        r = result.rescore(profile=name)
        s = r.sites
        bad = s[~s["eligible"].to_numpy(dtype=bool)]
        excluded = {i: str(t) for i, t in zip(bad["site_id"], bad["excluded_by"]) if i in shown}
        small = shown - set(s["site_id"])      # under the profile's minimum area: no candidates
        note = LIVE_TEXT[lang]["min_area"].format(m2=integer(int(r.resolved_profile().min_area_m2), lang))
        excluded |= dict.fromkeys(sorted(small), note)
        out[name] = {"weights": {k: r.weights.values.get(k, 0.0) for k in keys}, "excluded": excluded}
    return out


def _add_input_layer(m: folium.Map, name: str, data: MapData, T: dict[str, str]) -> None:
    payload, show = _layer_call(name, data.layers[name], data)
    shown = in_language(data.layer_labels.get(name), T["_lang"], name)
    label = shown + (f" ({T['constraint']})" if name in data.constraint_layers else "")
    Layer(data_call(m, "vectorLayer", payload), label, show=show).add_to(m)


INQUIRY_TEXT = words.INQUIRY_MAP


def inquiry_map(inq: Any, *, lang: str | None = None) -> folium.Map:
    """The map of an inquiry: zoomed to the best matches, numbered by rank (the request's
    ``top``, at least 10), single-site matches and near misses outlined, the numbered
    combined sites drawn as one outline each, the request in the title block."""
    lang = lang or inq.lang
    W = INQUIRY_TEXT[lang]
    m, near = inq.matches, inq.near_misses
    shown = m.head(max(inq.spec.top, 10))  # numbered; the rest are in matches.csv
    single = m[m["parts"] == ""]
    comb = shown[shown["parts"] != ""]
    marks = [(int(r), str(i), g.representative_point()) for r, i, g in
             zip(shown["rank"], shown["site_id"], shown.geometry)]
    focus = shown if len(shown) else (near if len(near) else None)
    keep = ["site_id", "rank", "score", "area_m2"]
    overlays = [
        (W["near"], near[["site_id", "score", "misses", "geometry"]],
         {"color": "#e67e22", "weight": 2.5, "dashArray": "6 4", "fill": False}),
        (W["combined"], comb[[*keep, "parts", "geometry"]],
         {"color": "#6a3d9a", "weight": 3.5, "fill": False}),
        (W["matches"], single[[*keep, "geometry"]],
         {"color": "#1d2b36", "weight": 3.5, "fill": False}),
    ]
    note = request_summary(inq.spec, lang, names=_requirement_names(inq, lang)) + " · "
    note += f"{W['matches']}: {len(m)}" if len(m) else W["none"]
    note += f" · {W['near']}: {len(near)}"
    return site_map(inq.result, lang=lang, top=0, title=inq.spec.name, focus=focus, marks=marks,
                    overlays=overlays, note=note, supply_panel=False)


def _requirement_names(inq: Any, lang: str) -> dict[str, str]:
    """Each requirement as people read it: a criterion's or a field's label, a layer bound
    in words (never the raw key)."""
    a, out = inq.result.analysis, {}
    for req in inq.spec.require:
        crit = inq.result.criteria.get(req.criterion or "")
        if crit is not None:
            out[req.name] = in_language(crit.label, lang, req.name)
        elif req.layer is not None:
            out[req.name] = words.PACK[lang][f"layer_{req.measure}"].format(layer=layer_label(a, req.layer, lang))
        else:
            out[req.name] = field_label(a, req.column, lang)
    return out


def compare_map(result: Any, cmp: pd.DataFrame, *, top: int = 10, lang: str = "sv") -> folium.Map:
    """One switchable layer per weight set (base and each profile) with its top N sites,
    numbered by rank in the tooltip, over the sites coloured by the base score."""
    sites = result.sites.set_index("site_id")
    overlays = []
    for k, col in enumerate(c for c in cmp.columns if c.startswith("rank_")):
        best = cmp[cmp[col].astype("Float64").fillna(np.inf) <= top].sort_values(col)
        gdf = gpd.GeoDataFrame({"site_id": best["site_id"].to_numpy(),
                                "rank": best[col].astype(int).to_numpy()},
                               geometry=sites.loc[best["site_id"]].geometry.to_numpy(), crs=result.sites.crs)
        c = GROUP_COLOURS[k % len(GROUP_COLOURS)]
        label = words.COMPARE[lang]["top"].format(n=top, p=col.removeprefix("rank_"))
        overlays.append((label, gdf, {"color": c, "weight": 3, "fillColor": c, "fillOpacity": 0.45}))
    title = words.COMPARE[lang]["title"].format(name=result.analysis.name)
    return site_map(result, lang=lang, top=0, title=title, overlays=overlays)
