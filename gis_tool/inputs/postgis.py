"""Layers from PostGIS, and the connection helpers that writing results back shares.

``path = "postgresql://user@host:port/db"`` (or ``"postgresql:///db?service=name"``) with
``table = "schema.table"`` or ``sql = "SELECT ..."`` (DESIGN 3.14). Credentials come from
libpq: ``PGPASSWORD``, ``~/.pgpass`` or a service file; a password inside the URL is
refused so that none reaches run.json, a log or a shell history. Needs the ``postgres``
extra (SQLAlchemy and psycopg): ``pip install 'gis-tool[postgres]'``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from ..errors import InputError, closest, valid_list
from ..spec.urls import check_url, is_postgres


def engine_for(url: str, key: str) -> Any:
    """An SQLAlchemy engine on psycopg 3 for ``url`` (the ``postgres`` extra)."""
    try:
        import psycopg  # noqa: F401  (the driver SQLAlchemy will load)
        import sqlalchemy
    except ImportError:
        raise InputError(f"{key}: reading or writing PostGIS needs the postgres extra; install it "
                         "with pip install 'gis-tool[postgres]' (SQLAlchemy and psycopg)") from None
    check_url(url, key)
    rest = url.split("://", 1)[1]
    return sqlalchemy.create_engine("postgresql+psycopg://" + rest, pool_pre_ping=False)


@contextmanager
def database_errors(where: str) -> Iterator[None]:
    """The driver's errors (connection, SQL, a server gone mid-read) as exit 2 naming
    ``where``; gis-tool's own errors and anything else pass through."""
    try:
        yield
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("sqlalchemy", "psycopg"):
            raise
        raise db_error(exc, where) from None


def db_error(exc: Exception, where: str) -> InputError:
    """A database failure as an input error naming its cause, never a traceback."""
    orig = getattr(exc, "orig", exc)
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0][:300]
    name = type(orig).__name__
    if name in ("OperationalError", "ConnectionTimeout", "InterfaceError") or "connection" in text.lower():
        return InputError(f"{where}: cannot reach the database ({text}); check host, port, database "
                          "and user, and give the password through PGPASSWORD or ~/.pgpass")
    return InputError(f"{where}: the database refused the query ({name}: {text})")


def quote_ident(name: str) -> str:
    """``schema.table`` quoted for SQL, each part on its own."""
    return ".".join('"' + p.replace('"', '""') + '"' for p in name.split("."))


@dataclass(frozen=True)
class PostgisSource:
    """A table or query in PostGIS (see the module docstring)."""

    url: str
    table: str | None = None
    sql: str | None = None
    geometry: str | None = None
    encoding: str | None = None

    @classmethod
    def can_open(cls, path: str | Path) -> bool:
        return is_postgres(path)

    @classmethod
    def open(cls, path: str | Path, layer: str | None, encoding: str | None, *,
             sql: str | None = None, geometry: str | None = None) -> PostgisSource:
        url = str(path)
        check_url(url, url)
        if (layer is None) == (sql is None):
            raise InputError(f"{url}: give either 'table' (schema.table) or 'sql' (a SELECT)")
        return cls(url, layer, sql, geometry)

    @property
    def layer(self) -> str | None:
        return self.table

    @property
    def place(self) -> str:
        return f"{self.url}, table '{self.table}'" if self.table else f"{self.url}, sql"

    @property
    def path(self) -> str:
        return self.url

    @property
    def stem(self) -> str:
        return (self.table or "query").split(".")[-1]

    @property
    def files(self) -> frozenset[Path]:
        return frozenset()

    def _query(self, conn: Any) -> tuple[str, str | None]:
        """The SELECT to run and the column to order it by (the primary key of a table)."""
        if self.sql is not None:
            return self.sql, None
        schema, _, name = (self.table or "").rpartition(".")
        rows = conn.exec_driver_sql(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')").fetchall()
        known = [r[0] for r in rows]
        full = f"{schema or 'public'}.{name}"
        if full not in known:
            raise InputError(f"{self.url}: no table '{self.table}'{closest(full, known)}; tables: "
                             f"{valid_list(known) or 'none'}")
        pk = conn.exec_driver_sql(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
            (quote_ident(full),)).fetchall()
        return f"SELECT * FROM {quote_ident(full)}", (pk[0][0] if len(pk) == 1 else None)

    def _geometry_column(self, conn: Any, query: str) -> str:
        if self.geometry:
            return self.geometry
        oids = {r[0] for r in conn.exec_driver_sql(
            "SELECT oid FROM pg_type WHERE typname IN ('geometry', 'geography')").fetchall()}
        cur = conn.execute(_sql(f"SELECT * FROM ({query}) AS q LIMIT 0"))
        desc = cur.cursor.description
        cols = [d.name for d in desc if d.type_code in oids]
        if not cols:
            raise InputError(f"{self.place}: returns no geometry column; select one (PostGIS "
                             "geometry) or name it with geometry = \"col\"")
        return cols[0]

    def read(self, where: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
        engine = engine_for(self.url, self.place)
        try:
            with database_errors(self.place), engine.connect() as conn:
                query, order = self._query(conn)
                geom = self._geometry_column(conn, query)
                q = f"SELECT * FROM ({query}) AS q"
                if where:
                    q += f" WHERE {where}"
                if order:
                    q += f" ORDER BY {quote_ident(order)}"
                gdf = gpd.read_postgis(_sql(q), conn, geom_col=geom)
        finally:
            engine.dispose()
        return gdf, rows_sha256(gdf)

    def fields(self) -> dict[str, str]:
        return field_kinds(self.read("false")[0])


def _sql(query: str) -> Any:
    """A user's SQL as SQLAlchemy text: its % signs (LIKE 'J%') reach the server as written."""
    import sqlalchemy

    return sqlalchemy.text(query)


def field_kinds(gdf: gpd.GeoDataFrame) -> dict[str, str]:
    """Each attribute column's kind (``Source.fields``) of a table read from a service."""
    return {c: "bool" if pd.api.types.is_bool_dtype(gdf[c]) else "number"
            if pd.api.types.is_numeric_dtype(gdf[c]) else "text"
            for c in gdf.columns if c != gdf.geometry.name}


def rows_sha256(gdf: gpd.GeoDataFrame) -> str:
    """SHA-256 of a table's rows in their order: each geometry's WKB, then the attributes
    as CSV; the same data gives the same hash wherever it is stored."""
    h = hashlib.sha256()
    for wkb in shapely.to_wkb(gdf.geometry.to_numpy(), byte_order=1, include_srid=False):
        h.update(wkb if wkb is not None else b"")
    attrs = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    h.update(attrs.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return h.hexdigest()
