"""The page around a map: Leaflet and gis-tool's script inlined, data as inert JSON, and
folium elements that never hand text back to Jinja.

Data reaches the page as JSON inside ``<script type="application/json">`` (``<``, ``>``,
``&`` and Jinja delimiters escaped) and is put on screen by the page's script as text.
branca renders a macro element's output by compiling it as a new template; the elements
here (:class:`OwnRender`) put it on the page as data instead (:class:`Markup`).
"""

from __future__ import annotations

import base64
import html
import re
from importlib import resources
from pathlib import Path
from typing import Any, cast

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import xstatic.pkg.leaflet as xl
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from . import strict_json

_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029",
         "{": "\\u007b"}


def safe_json(obj: Any) -> str:
    """JSON that is safe inside a ``<script>``: no NaN, and no ``<``, ``>`` or ``&``."""
    return script_safe(strict_json.dumps(obj))


def script_safe(text: str) -> str:
    """JSON text that cannot close its script element, and in which no Jinja delimiter
    (``{{``, ``{%``, ``{#``) survives: a brace followed by one is written ``\\u007b``. JSON's
    own braces are never followed by those, so only braces inside strings change."""
    return re.sub("[<>&\u2028\u2029]|\\{(?=[{%#])", lambda m: _SAFE[m.group(0)], text)


def geoms_json(gdf: gpd.GeoDataFrame, tolerance: float) -> str:
    """Geometries as a JSON array in WGS 84, simplified for display and rounded to ~0.1 m."""
    g = gdf.geometry.to_numpy()
    if tolerance:
        g = shapely.simplify(g, tolerance, preserve_topology=True)
    g = gpd.GeoSeries(g, crs=gdf.crs).to_crs(4326).to_numpy()
    # Integer micro-degrees (~0.1 m), stored as offsets from the geometry's first position
    # ("o"): short numbers, exact in the page, rings still closed. map.js adds the origin
    # back (decodeGeometry) and divides by 1e6 (toLatLng).
    coords = np.round(shapely.get_coordinates(g) * 1e6)
    counts = shapely.get_num_coordinates(g)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    origin = np.zeros((len(g), 2))
    has = counts > 0
    origin[has] = coords[starts[has]]
    g = shapely.set_coordinates(g.copy(), coords - np.repeat(origin, counts, axis=0))
    parts = [f'{{"o":[{int(x)},{int(y)}],{text[1:]}' for (x, y), text in
             zip(origin, shapely.to_geojson(g))]
    return "[" + ",".join(parts).replace(".0,", ",").replace(".0]", "]") + "]"


def rows_json(df: pd.DataFrame) -> str:
    """Rows as arrays (compact); NaN becomes null, dates and other values become text."""
    clean = pd.DataFrame(index=df.index)
    for c in df.columns:
        s = df[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            clean[c] = s.astype(object).where(s.notna(), None)
        else:
            clean[c] = s.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v))
                             or v is pd.NA else str(v))
    text = clean.to_json(orient="values", double_precision=2, force_ascii=False)
    return script_safe(text)


class OwnRender(MacroElement):
    """A macro element rendered without handing its output back to Jinja.

    branca's ``MacroElement.render`` wraps each macro's output in ``Element(text)``,
    which compiles that text as a new template: any data inside it would be evaluated.
    gis-tool's elements put their output on the page as :class:`Markup` instead.
    """

    def render(self, **kwargs: Any) -> str:
        figure = cast(Figure, self.get_root())
        macros = self._template.module.__dict__
        for part, target in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            if part in macros:
                target.add_child(Markup(macros[part](self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)
        return ""


class Markup(Element):
    """Markup of gis-tool's own (a title, a style, a script, a macro's output).

    The markup is passed to a fixed template as data, so no text in it, a title from
    an analysis file included, is ever read as Jinja source.
    """

    _template = Template("{{ this.markup }}")

    def __init__(self, markup: str):
        super().__init__()
        self.markup = markup


class Script(OwnRender):
    """A folium layer or setup call whose JavaScript is gis-tool's own."""

    _template = Template("""
{% macro script(this, kwargs) %}
var {{ this.get_name() }} = {{ this.call }};
{% endmacro %}""")

    def __init__(self, call: str):
        super().__init__()
        self._name = "GisTool"
        self.call = call


def html_text(text: str) -> str:
    """Text for folium's HTML labels (layer names): escaped, and with its braces as
    character references, so that folium's own templates never see ``{{`` or ``{%``."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


class Layer(folium.map.Layer, OwnRender):
    """A layer of gis-tool's own in the layer control (folium's Layer adds it to the map
    when shown, then :class:`OwnRender` puts its script on the page)."""

    _template = Script._template

    def __init__(self, call: str, name: str, show: bool = True):
        super().__init__(name=html_text(name), overlay=True, control=True, show=show)
        self._name = "GisToolLayer"
        self.call = call


def asset(name: str) -> str:
    return resources.files("gis_tool.assets").joinpath(name).read_text(encoding="utf-8")


def leaflet_assets() -> tuple[str, str]:
    base = Path(xl.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(m: re.Match) -> str:
        img = base / "images" / m.group(1)
        data = base64.b64encode(img.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    css = re.sub(r"url\(images/([\w.-]+\.png)\)", inline, css)
    js = js.replace("//# sourceMappingURL=leaflet.js.map", "")
    return js, css


def payload(cfg: dict[str, Any], geoms: str, rows: str) -> str:
    """One layer's data as a JSON document (already safe inside a script element)."""
    return f'{{"cfg":{safe_json(cfg)},"geoms":{geoms},"rows":{rows}}}'


class Data(OwnRender):
    """A layer's data in an inert ``<script type="application/json">`` element.

    The browser parses it with ``JSON.parse``, much faster than a script literal, and
    never runs it.
    """

    _template = Template("""
{% macro html(this, kwargs) %}
<script type="application/json" id="{{ this.element_id }}">{{ this.payload }}</script>
{% endmacro %}""")

    def __init__(self, element_id: str, payload: str):
        super().__init__()
        self._name = "GisToolData"
        self.element_id = element_id
        self.payload = payload


def data_call(m: folium.Map, fn: str, payload: str) -> str:
    n = sum(1 for k in m._children if k.startswith("gt_data_"))
    element_id = f"gt-data-{n}"
    m.add_child(Data(element_id, payload), name=f"gt_data_{n}")
    return f'gisTool.{fn}(gisTool.data("{element_id}"))'


def render_map(m: folium.Map) -> str:
    """The map as one self-contained HTML page.

    Raises
    ------
    RuntimeError
        When the page would load a script or stylesheet from elsewhere.
    """
    page = m.get_root().render()
    external = re.findall(r'<(?:script|link)[^>]+(?:src|href)\s*=\s*["\']?(?:https?:)?//', page)
    if external:
        raise RuntimeError(f"the map would load external assets: {external[:3]}")
    return page


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write the map to ``path`` through a temporary file."""
    path = Path(path)
    page = render_map(m)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


