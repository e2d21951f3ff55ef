"""Results to PostGIS: ``gis-tool run ... --out postgresql://user@host/db?schema=s``.

In one transaction (DESIGN 3.14): table ``s.sites`` (the sites table, primary key
``site_id``, a spatial index), table ``s.runs`` (one row per run: run.json as jsonb) and
the QGIS styles as rows of ``public.layer_styles`` for ``s.sites``, the table QGIS reads
them from. The schema is created when missing; an existing ``s.sites`` needs
``overwrite``. A failure or a kill before the commit leaves the previous tables exactly as
they were, and nothing half-written: PostgreSQL's DDL is transactional.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import geopandas as gpd
import pandas as pd

from ..errors import OutputError
from ..inputs.postgis import database_errors, engine_for, quote_ident
from ..inputs.repair import as_multi
from . import strict_json
from .gpkg import ready_to_write

# QGIS's own definition of the table (its PostgreSQL provider creates the same).
LAYER_STYLES = """CREATE TABLE IF NOT EXISTS public.layer_styles (
    id SERIAL PRIMARY KEY, f_table_catalog varchar, f_table_schema varchar, f_table_name varchar,
    f_geometry_column varchar, stylename text, styleqml xml, stylesld xml, useasdefault boolean,
    description text, owner varchar(63) DEFAULT CURRENT_USER, ui xml,
    update_time timestamp DEFAULT CURRENT_TIMESTAMP, type varchar)"""


def split_target(url: str) -> tuple[str, str]:
    """The database URL without ``schema=``, and the schema (``gis_tool`` by default)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), "gis_tool") or "gis_tool"
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    return urlunsplit(parts._replace(query=rest)), schema


def _table(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The sites as for the GeoPackage, with one geometry type (MultiPolygon, a typed
    column QGIS recognises)."""
    out = ready_to_write(sites).rename_geometry("geom")
    return out.set_geometry(gpd.GeoSeries(as_multi(out.geometry.to_numpy(), (3,)), crs=out.crs, index=out.index))


def write_postgis(sites: gpd.GeoDataFrame, url: str, manifest: dict[str, Any],
                  styles: list[tuple[str, str, bool, str]], *, overwrite: bool = False) -> str:
    """Write a run to PostGIS in one transaction; returns ``schema.sites``.

    Raises
    ------
    OutputError
        ``s.sites`` exists and ``overwrite`` is not set.
    InputError
        The database cannot be reached or refuses (exit 2, the cause named).
    """
    db, schema = split_target(url)
    engine = engine_for(db, "--out")
    table = f"{schema}.sites"
    try:
        with database_errors(f"--out {db}"), engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(schema)}")
            exists = conn.exec_driver_sql("SELECT to_regclass(%s)", (quote_ident(table),)).scalar()
            if exists is not None and not overwrite:
                raise OutputError(f"--out: table {table} exists in {db}; add --overwrite to replace it")
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {quote_ident(table)}")
            tab = _table(sites)
            tab.to_postgis("sites", conn, schema=schema, index=False)   # with a GiST index
            conn.exec_driver_sql(f"ALTER TABLE {quote_ident(table)} ADD PRIMARY KEY (site_id)")
            for c in tab.columns:   # geopandas COPYs CSV, where an empty text reads as NULL: put "" back
                if c != "geom" and pd.api.types.is_string_dtype(tab[c]):
                    ids = tab.loc[tab[c].eq(""), "site_id"].tolist()
                    if ids:
                        conn.exec_driver_sql(f"UPDATE {quote_ident(table)} SET {quote_ident(c)} = '' "
                                             "WHERE site_id = ANY(%s)", (ids,))
            conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {quote_ident(schema + '.runs')} ("
                                 "id SERIAL PRIMARY KEY, created timestamptz DEFAULT now(), run jsonb)")
            conn.exec_driver_sql(f"INSERT INTO {quote_ident(schema + '.runs')} (run) VALUES (%s::jsonb)",
                                 (strict_json.dumps(manifest),))
            conn.exec_driver_sql(LAYER_STYLES)
            conn.exec_driver_sql("DELETE FROM public.layer_styles WHERE f_table_schema = %s AND "
                                 "f_table_name = 'sites'", (schema,))
            catalog = conn.exec_driver_sql("SELECT current_database()").scalar()
            for name, qml, default, description in styles:
                conn.exec_driver_sql(
                    "INSERT INTO public.layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                    "f_geometry_column, stylename, styleqml, stylesld, useasdefault, description, type) "
                    "VALUES (%s, %s, 'sites', 'geom', %s, XMLPARSE(DOCUMENT %s), NULL, %s, %s, NULL)",
                    (catalog, schema, name, qml, default, description))   # type NULL: QGIS matches any
    finally:
        engine.dispose()
    return table
