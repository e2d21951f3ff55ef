"""Static maps for print, drawn with matplotlib from the analysis layers (no internet).

``site_figure`` draws one site and its surroundings (roads, rail, water, plans,
constraints) with a scale bar and a north arrow; ``overview_figure`` draws the study
area with numbered sites. Styles come from :mod:`gis_tool.map_styles`, so print and web
maps agree.
"""

from __future__ import annotations

import io
from typing import Any

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path

from ..inputs.layers import geometry_family
from ..text import chart_text, decimal, in_language, integer, words
from .map_data import MapData
from .map_styles import layer_style

SITE_COLOUR = "#1f4e9c"
MARKERS = {"diamond": "D", "square": "s", "triangle": "^", "circle": "o"}


def _polygon_path(geoms: np.ndarray) -> Path:
    """One compound path for polygons (holes kept: rings oriented for the nonzero rule)."""
    parts = shapely.orient_polygons(shapely.get_parts(geoms))
    rings = shapely.get_rings(parts)
    coords, idx = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(coords), Path.LINETO, dtype=np.uint8)
    if len(coords):
        new = np.r_[True, idx[1:] != idx[:-1]]
        codes[new] = Path.MOVETO
        codes[np.r_[new[1:], True]] = Path.CLOSEPOLY
    return Path(coords, codes)


def draw_polygons(ax: Axes, geoms: Any, *, zorder: float, **kw: Any) -> None:
    """Draw polygons as one patch (matplotlib directly: no redraw per call)."""
    g = np.asarray(geoms, dtype=object)
    if len(g):
        ax.add_patch(PathPatch(_polygon_path(g), zorder=zorder, **kw))


def draw_lines(ax: Axes, geoms: Any, *, zorder: float, **kw: Any) -> None:
    """Draw lines (or polygon outlines) as one collection."""
    g = shapely.get_parts(np.asarray(geoms, dtype=object))
    g = np.where(shapely.get_type_id(g) >= 3, shapely.boundary(g), g)
    g = shapely.get_parts(g)
    if len(g):
        ax.add_collection(LineCollection([shapely.get_coordinates(x) for x in g], zorder=zorder, **kw))


def _draw_layer(ax: Axes, name: str, gdf: gpd.GeoDataFrame, data: MapData, zorder: int) -> dict[str, Any] | None:
    """Draw one input layer in its web-map style (Leaflet options read as matplotlib's);
    returns the style drawn (for the legend)."""
    if not len(gdf):
        return None
    cfg = _style(name, data, gdf)
    fam = geometry_family(gdf)
    base = cfg["style"]
    by = cfg.get("styleBy")
    styles = cfg.get("styles", {})
    keys = gdf[by].astype(str).to_numpy() if by and by in gdf.columns else np.full(len(gdf), "")
    for key in dict.fromkeys(keys):
        st = {**base, **styles.get(key, {})}
        part = gdf[keys == key]
        dashed = "--" if st.get("dashArray") else "-"
        g = part.geometry.to_numpy()
        if fam == "polygon":
            if st.get("fill", True) is not False:
                draw_polygons(ax, g, facecolor=st.get("fillColor", "#999999"), edgecolor="none",
                              alpha=min(1.0, float(st.get("fillOpacity", 0.3)) + 0.1), zorder=zorder)
            draw_lines(ax, g, colors=st.get("color", "#555555"), linestyles=dashed,
                       linewidths=float(st.get("weight", 1)) * 0.5, zorder=zorder)
        elif fam == "line":
            draw_lines(ax, g, colors=st.get("color", "#555555"), linestyles=dashed,
                       linewidths=float(st.get("weight", 1)) * 0.6, alpha=float(st.get("opacity", 1.0)),
                       zorder=zorder + 1)
        else:
            xy = shapely.get_coordinates(shapely.centroid(g))
            ax.scatter(xy[:, 0], xy[:, 1], marker=MARKERS.get(cfg.get("symbol", "circle"), "o"),
                       c=st.get("fillColor", "#333333"), edgecolors=st.get("color", "#222222"),
                       s=28, zorder=zorder + 2)
    return cfg


def _style(name: str, data: MapData, gdf: gpd.GeoDataFrame | None = None) -> dict[str, Any]:
    """A layer's drawing style, worked out once per layer for every page of a pack."""
    if name not in data.style_cache:
        data.style_cache[name] = layer_style(name, data.layers.get(name, gdf), data)
    return data.style_cache[name]


def _handle(cfg: dict[str, Any], fam: str) -> Any:
    """A legend key drawn as the layer is (a marker, a line or a filled square)."""
    st = cfg["style"]
    if fam == "point":
        return Line2D([], [], marker=MARKERS.get(cfg.get("symbol", "circle"), "o"), linestyle="none",
                      markerfacecolor=st.get("fillColor", "#333333"), markeredgecolor=st.get("color", "#222222"))
    if fam == "line":
        return Line2D([], [], color=st.get("color", "#555555"), lw=max(0.8, float(st.get("weight", 1)) * 0.6),
                      linestyle="--" if st.get("dashArray") else "-")
    fill = st.get("fillColor", "#999999") if st.get("fill", True) is not False else "none"
    return Patch(facecolor=fill, edgecolor=st.get("color", "#555555"),
                 alpha=min(1.0, float(st.get("fillOpacity", 0.3)) + 0.1) if fill != "none" else 1.0)


def draw_context(ax: Axes, data: MapData, box: tuple[float, float, float, float], lang: str,
                 site: Any = None) -> list[tuple[Any, str]]:
    """Every input layer in the frame, place names, and (with ``site``) the distance to the
    nearest interchange; returns legend entries (handle, label) for what was drawn."""
    entries = []
    for k, (name, gdf) in enumerate(sorted(_layers_in(data, box).items(), key=lambda kv: _order(kv[1]))):
        cfg = _draw_layer(ax, name, gdf, data, zorder=2 + k)
        if cfg is not None and cfg["kind"] == "isochrone" and "styleBy" in cfg:   # one entry per band
            for _, band in gdf.sort_values("minutes").iterrows():
                st = {**cfg["style"], **cfg["styles"].get(str(band["name"]), {})}
                entries.append((-0.5, _handle({"style": st}, "polygon"), chart_text(band["name"], 34)))
        elif cfg is not None and (cfg.get("show", True) or name in data.constraint_layers
                                  or cfg["kind"] != "default"):
            fam = geometry_family(gdf)
            entries.append((-_order(gdf), _handle(cfg, fam), chart_text(in_language(
                data.layer_labels.get(name), lang, name), 34)))
    entries.sort(key=lambda e: e[0])   # points and lines (the infrastructure) before areas
    _place_names(ax, data, box)
    if site is not None:
        _to_interchange(ax, data, site, box, lang)
    return [(h, t) for _, h, t in entries]


def _place_names(ax: Axes, data: MapData, box: tuple[float, float, float, float]) -> None:
    """Names of the urban areas (tätorter) in the frame, from a name column of that layer."""
    for name, gdf in _layers_in(data, box).items():
        if data.style_cache.get(name, {}).get("kind") != "urban":
            continue
        col = next((c for c in gdf.columns if c.lower() in ("name", "namn", "tatort", "tätort")), None)
        if col is None:
            continue
        for label, g in zip(gdf[col].astype(str), gdf.geometry):
            p = g.representative_point()
            ax.text(p.x, p.y, "  " + chart_text(label, 30), fontsize=7, style="italic", color="#222222", zorder=45,
                    ha="left", va="center", clip_on=True,
                    path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")])


def _to_interchange(ax: Axes, data: MapData, site: Any, box: tuple[float, float, float, float],
                    lang: str) -> None:
    """A dashed line from the site to the nearest interchange, with its length."""
    for name, gdf in data.layers.items():
        if not len(gdf) or _style(name, data, gdf)["kind"] != "interchange":
            continue
        g = gdf.geometry.to_numpy()
        d = shapely.distance(site, g)
        i = int(np.argmin(d))
        if d[i] <= 0:
            return
        line = shapely.shortest_line(site, g[i])
        frame = shapely.box(*box)
        seen = shapely.intersection(line, frame)
        if seen.is_empty:
            return
        xy = shapely.get_coordinates(seen)
        ax.plot(xy[:, 0], xy[:, 1], linestyle=(0, (4, 3)), color="#1d2b36", lw=1.1, zorder=35)
        mid = shapely.line_interpolate_point(seen, 0.5, normalized=True)
        label = words.STATIC[lang]["to_interchange"].format(d=f"{integer(float(d[i]), lang)} m")
        ax.text(mid.x, mid.y, label, fontsize=7, zorder=46, ha="center", va="bottom",
                bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none", "pad": 1.2})
        return


def add_legend(ax: Axes, entries: list[tuple[Any, str]], first: list[tuple[Any, str]], most: int = 8) -> None:
    """A legend of the site(s) first, then the layers drawn (at most ``most`` rows)."""
    rows = (first + entries)[:most]
    if rows:
        ax.legend([h for h, _ in rows], [t for _, t in rows], loc="lower right", fontsize=6, framealpha=0.88,
                  borderpad=0.5, handlelength=1.6).set_zorder(50)


def _layers_in(data: MapData, box: tuple[float, float, float, float]) -> dict[str, gpd.GeoDataFrame]:
    x0, y0, x1, y1 = box
    out = {}
    for name, gdf in data.layers.items():
        if name == data.study_area or not len(gdf):
            continue
        part = gdf.cx[x0:x1, y0:y1]
        if len(part):
            out[name] = part
    return out


def add_scale_bar(ax: Axes, width_m: float) -> None:
    """A scale bar of a round length (about a fifth of the map) in the lower left."""
    nice = [10, 20, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000]
    length = max([n for n in nice if n <= width_m / 4] or [nice[0]])
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.05
    h = (y1 - y0) * 0.012
    ax.add_patch(matplotlib.patches.Rectangle((bx, by), length / 2, h, facecolor="black", zorder=20))
    ax.add_patch(matplotlib.patches.Rectangle((bx + length / 2, by), length / 2, h, facecolor="white",
                                              edgecolor="black", lw=0.6, zorder=20))
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(bx + length / 2, by + h * 2.2, label, ha="center", va="bottom", fontsize=7, zorder=20,
            bbox={"facecolor": "white", "alpha": 0.7, "edgecolor": "none", "pad": 1})


def add_north_arrow(ax: Axes) -> None:
    """An arrow and "N" in the upper right (SWEREF 99 TM grid north is up)."""
    ax.annotate("N", xy=(0.94, 0.95), xytext=(0.94, 0.84), xycoords="axes fraction",
                ha="center", va="center", fontsize=10, weight="bold", zorder=20,
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})


def _frame(ax: Axes, geom: shapely.Geometry, margin: float, aspect: float
           ) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = geom.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half_w = max((x1 - x0) / 2 + margin, (y1 - y0) / 2 * aspect + margin)
    half_h = half_w / aspect
    box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    return box


def site_figure(data: MapData, geom: shapely.Geometry, *, parts: list[shapely.Geometry] | None = None,
                size: tuple[float, float] = (6.8, 4.6), lang: str = "en") -> Figure:
    """The site (outlined) among its neighbours and the analysis layers, with a legend,
    place names and the distance to the nearest interchange."""
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.subplots()
    ax.set_facecolor("#f4f3ef")
    x0, y0, x1, y1 = geom.bounds
    margin = max(250.0, 0.6 * max(x1 - x0, y1 - y0))
    box = _frame(ax, geom, margin, size[0] / size[1])
    entries = draw_context(ax, data, box, lang, site=geom)
    sites = data.sites.cx[box[0]:box[2], box[1]:box[3]]
    draw_lines(ax, sites.geometry.to_numpy(), colors="#7f7f7f", linewidths=0.4, zorder=30)
    if parts:
        draw_lines(ax, parts, colors=SITE_COLOUR, linewidths=1.0, linestyles="--", zorder=31)
    draw_lines(ax, [geom], colors=SITE_COLOUR, linewidths=2.6, zorder=32)
    add_legend(ax, entries, [(Line2D([], [], color=SITE_COLOUR, lw=2.6), words.STATIC[lang]["site"])])
    _finish(ax, box)
    return fig


def _finish(ax: Axes, box: tuple[float, float, float, float]) -> None:
    """Back to the frame (drawing may have moved it), no axis labels, scale bar, north arrow."""
    ax.set_xlim(box[0], box[2])
    ax.set_ylim(box[1], box[3])
    ax.set_xlabel("")
    ax.set_ylabel("")
    add_scale_bar(ax, box[2] - box[0])
    add_north_arrow(ax)


def _order(gdf: gpd.GeoDataFrame) -> int:
    return {"polygon": 0, "line": 1, "point": 2}.get(geometry_family(gdf), 3)


def overview_figure(data: MapData, marks: list[tuple[int, shapely.Geometry]],
                    boundary: gpd.GeoDataFrame | None, size: tuple[float, float] = (6.8, 5.6),
                    lang: str = "en") -> Figure:
    """The study area (or all sites) with numbered sites, zoomed to the marks when any."""
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.subplots()
    ax.set_facecolor("#f4f3ef")
    area = boundary if boundary is not None and len(boundary) else data.sites
    focus = shapely.union_all([g for _, g in marks]) if marks else shapely.union_all(area.geometry.to_numpy())
    x0, y0, x1, y1 = focus.bounds
    margin = max(600.0, 0.15 * max(x1 - x0, y1 - y0))
    box = _frame(ax, focus, margin, size[0] / size[1])
    entries = draw_context(ax, data, box, lang)
    if boundary is not None and len(boundary):
        draw_lines(ax, boundary.geometry.to_numpy(), colors="#1d2b36", linewidths=1.2, linestyles="--",
                   zorder=25)
    draw_lines(ax, data.sites.cx[box[0]:box[2], box[1]:box[3]].geometry.to_numpy(), colors="#9a9a9a",
               linewidths=0.25, zorder=26)
    for n, g in marks:
        draw_polygons(ax, [g], facecolor=SITE_COLOUR, alpha=0.35, zorder=30)
        draw_lines(ax, [g], colors=SITE_COLOUR, linewidths=1.6, zorder=30)
        p = g.representative_point()
        ax.annotate(str(n), (p.x, p.y), ha="center", va="center", fontsize=8, color="white",
                    weight="bold", zorder=40, bbox={"boxstyle": "circle,pad=0.25", "facecolor": "#1d2b36",
                                                    "edgecolor": "white", "lw": 0.8})
    add_legend(ax, entries, [(Patch(facecolor=SITE_COLOUR, alpha=0.35, edgecolor=SITE_COLOUR),
                              words.STATIC[lang]["matches"])] if marks else [])
    _finish(ax, box)
    return fig


def points_chart(labels: list[str], points: list[float], maxima: list[float], *,
                 title: str, size: tuple[float, float] = (6.8, 2.6), lang: str = "en") -> Figure:
    """Points per criterion as horizontal bars against each criterion's maximum."""
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(labels))[::-1]
    ax.barh(y, maxima, color="#e6ecf0", height=0.6)
    ax.barh(y, points, color="#2c7fb8", height=0.6)
    for yi, p, m in zip(y, points, maxima):
        ax.text(m + 0.3, yi, f"{decimal(p, lang)} / {decimal(m, lang)}", va="center", fontsize=7)
    ax.set_yticks(y, [chart_text(t) for t in labels], fontsize=7)
    ax.set_xlim(0, max(maxima or [1]) * 1.25)
    ax.set_title(chart_text(title, 80), fontsize=9, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="x", labelsize=7)
    return fig


def png_bytes(fig: Figure, dpi: int = 150) -> io.BytesIO:
    """The figure as PNG in memory (closed afterwards)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    buf.seek(0)
    return buf

