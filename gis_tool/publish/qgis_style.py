"""A default QGIS style for ``sites.gpkg``: the web map's score colours and rank labels.

QGIS reads styles from a GeoPackage's ``layer_styles`` table and applies the one marked
``useAsDefault`` when the layer is opened.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from xml.sax.saxutils import quoteattr

from .map_styles import SCORE_COLOURS, level_colours

_EXCLUDED = "200,200,200,140"


def _rgba(hex_colour: str, alpha: int = 210) -> str:
    h = hex_colour.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _symbol(i: int, fill: str, outline: str = "50,50,50,255", style: str = "solid") -> str:
    return (f'<symbol type="fill" name="{i}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="SimpleFill" enabled="1" locked="0" pass="0">'
            f'<Option type="Map"><Option name="color" type="QString" value="{fill}"/>'
            f'<Option name="outline_color" type="QString" value="{outline}"/>'
            f'<Option name="outline_width" type="QString" value="0.2"/>'
            f'<Option name="outline_style" type="QString" value="{style}"/>'
            f'<Option name="style" type="QString" value="solid"/></Option></layer></symbol>')


def site_style_qml(top: int = 10) -> str:
    """QML of a rule-based renderer: five score classes, excluded sites grey, top ranks labelled."""
    rules, symbols = [], []
    for i, colour in enumerate(SCORE_COLOURS):
        lo, hi = i * 20, (i + 1) * 20
        cond = f'"score" >= {lo} AND "score" <= {hi}' if i == 0 else f'"score" > {lo} AND "score" <= {hi}'
        rules.append(f'<rule key="r{i}" symbol="{i}" label="{lo}–{hi}" filter={quoteattr(cond)}/>')
        symbols.append(_symbol(i, _rgba(colour)))
    n = len(SCORE_COLOURS)
    excluded = '"eligible" = 0 OR "score" IS NULL'
    rules.append(f'<rule key="rx" symbol="{n}" label="Utesluten / excluded" filter={quoteattr(excluded)}/>')
    symbols.append(_symbol(n, _EXCLUDED, "120,120,120,255", "dash"))
    label_expr = f'CASE WHEN "rank" <= {int(top)} THEN "rank" END'
    return (
        '<!DOCTYPE qgis PUBLIC \'http://mrcc.com/qgis.dtd\' \'SYSTEM\'>'
        '<qgis version="3.28.0" styleCategories="Symbology|Labeling">'
        '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0">'
        f'<rules key="root">{"".join(rules)}</rules>'
        f'<symbols>{"".join(symbols)}</symbols></renderer-v2>'
        '<labeling type="simple"><settings calloutType="simple">'
        f'<text-style fieldName={quoteattr(label_expr)} isExpression="1" fontSize="10" '
        'fontWeight="75" textColor="255,255,255,255" fontFamily="Sans Serif">'
        '<background shapeType="3" shapeDraw="1" shapeSizeType="1" shapeSizeX="1" shapeSizeY="1" '
        'shapeFillColor="29,43,54,255" shapeBorderColor="255,255,255,255" shapeBorderWidth="0.3"/>'
        '</text-style><placement placement="1" offsetType="0"/>'
        '<rendering obstacle="1" displayAll="1"/></settings></labeling>'
        '</qgis>')


def readiness_style_qml(levels: list[str]) -> str:
    """QML of a rule-based renderer by ``readiness_level``: one class per level, labelled
    "N label", coloured as on the web map; excluded sites dashed."""
    rules, symbols = [], []
    for i, (label, colour) in enumerate(zip(levels, level_colours(len(levels)))):
        cond = f'"readiness_level" = {i} AND "eligible" = 1'
        rules.append(f'<rule key="l{i}" symbol="{i}" label={quoteattr(f"{i} {label}")} '
                     f'filter={quoteattr(cond)}/>')
        symbols.append(_symbol(i, _rgba(colour)))
    n = len(levels)
    rules.append(f'<rule key="lx" symbol="{n}" label="Utesluten / excluded" '
                 f'filter={quoteattr(chr(34) + "eligible" + chr(34) + " = 0")}/>')
    symbols.append(_symbol(n, _EXCLUDED, "120,120,120,255", "dash"))
    return (
        '<!DOCTYPE qgis PUBLIC \'http://mrcc.com/qgis.dtd\' \'SYSTEM\'>'
        '<qgis version="3.28.0" styleCategories="Symbology">'
        '<renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" forceraster="0">'
        f'<rules key="root">{"".join(rules)}</rules>'
        f'<symbols>{"".join(symbols)}</symbols></renderer-v2></qgis>')


def site_styles(top: int = 10, readiness_levels: list[str] | None = None
                ) -> list[tuple[str, str, bool, str]]:
    """The sites layer's QGIS styles as (name, QML, use as default, description): the score
    classes (the default) and, with ``readiness_levels``, the readiness levels."""
    styles = [("gis-tool score", site_style_qml(top), True,
               "Score classes as on the gis-tool web map; top sites labelled by rank")]
    if readiness_levels:
        styles.append(("gis-tool readiness", readiness_style_qml(readiness_levels), False,
                       "Readiness levels (markberedskap) as on the gis-tool web map"))
    return styles


def add_qgis_style(gpkg: str | Path, layer: str = "sites", top: int = 10,
                   readiness_levels: list[str] | None = None) -> None:
    """Store :func:`site_style_qml` as the default style of ``layer`` in ``gpkg``, and with
    ``readiness_levels`` (their labels, level 0 first) :func:`readiness_style_qml` as a
    second style ("gis-tool readiness", in QGIS under Layer Properties > Style).

    ``gpkg`` is a file the run has just written in its temporary folder (moved into place
    once complete), so the commit does not sync it to disk, as GDAL did not: SQLite's
    default would first flush every page of the new file (0.6 s for a million sites).
    """
    con = sqlite3.connect(gpkg)
    try:
        con.execute("PRAGMA synchronous=OFF")
        con.execute("""CREATE TABLE IF NOT EXISTS layer_styles (
            id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256),
            f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256),
            styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN,
            description TEXT, owner TEXT(30), ui TEXT(30),
            update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))""")
        con.execute("""INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier)
                       VALUES ('layer_styles', 'attributes', 'layer_styles')""")
        geom_col = con.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name=?",
                               (layer,)).fetchone()[0]
        con.execute("DELETE FROM layer_styles WHERE f_table_name=?", (layer,))
        for name, qml, default, description in site_styles(top, readiness_levels):
            con.execute("""INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name,
                           f_geometry_column, styleName, styleQML, styleSLD, useAsDefault,
                           description, owner, ui, update_time)
                           VALUES ('', '', ?, ?, ?, ?, '', ?, ?, '', '', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))""",
                        (layer, geom_col, name, qml, default, description))
        con.commit()
    finally:
        con.close()
