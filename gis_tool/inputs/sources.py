"""Layer sources: where a layer's features come from, behind one small interface.

A source knows how to open its data, which layers and fields it has, and which local
files it reads (so that no output ever overwrites them). :func:`open_source` picks the
source for a path by asking each registered kind whether it can open it (as xarray's
backends do); the rest of gis-tool never asks which kind it has. Today: GIS files through
GDAL (GeoPackage, Shapefile, GeoJSON, FlatGeobuf) and GeoParquet files or folders through
pyarrow, PostGIS tables and queries (:mod:`gis_tool.inputs.postgis`) and OGC API
Features or WFS collections (:mod:`gis_tool.inputs.web`).
"""

from __future__ import annotations

import functools
import hashlib
import mmap
import os
import sqlite3
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio

from ..errors import InputError, closest, valid_list
from .encoded import plain_layer, read_keeping_wkb
from .postgis import PostgisSource
from .web import WebSource

PARQUET_SUFFIXES = {".parquet", ".geoparquet"}
SUPPORTED = {".gpkg", ".shp", ".zip", ".geojson", ".json", ".fgb", ".osm", ".pbf"} | PARQUET_SUFFIXES


class Source(Protocol):
    """One layer's origin, opened."""

    place: str                  # for messages: "file.gpkg, layer 'parcels'"
    path: str                   # recorded in run.json
    stem: str                   # a short name when the analysis gives none
    layer: str | None
    encoding: str | None
    files: frozenset[Path]      # local files it reads

    def read(self, where: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
        """The features (with ``where``, an SQL condition on the attributes) and a hash."""
        ...

    def fields(self) -> dict[str, str]:
        """Each attribute column's kind: ``"number"``, ``"text"``, ``"bool"`` or ``""``."""
        ...


def file_sha256(path: Path) -> str:
    """SHA-256 of a file; for a Shapefile, of all its sidecar files in order.

    Cached by path, size and modification time: a GeoPackage that holds many layers of
    an analysis is hashed once.
    """
    files = [path]
    if path.suffix.lower() == ".shp":
        files = [p for p in path.parent.glob(path.stem + ".*") if p.is_file()]
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
    stats = [f.stat() for f in files]
    return _sha256(str(path.resolve()), sum(st.st_size for st in stats),
                   max(st.st_mtime_ns for st in stats))


@functools.lru_cache(maxsize=256)
def _sha256(name: str, size: int, mtime_ns: int) -> str:
    path = Path(name)
    h = hashlib.sha256()
    files = [path]
    if path.suffix.lower() == ".shp":
        files = sorted(p for p in path.parent.glob(path.stem + ".*") if p.is_file())
    if path.is_dir():  # a partitioned GeoParquet dataset: every part, in path order
        files = sorted(p for p in path.rglob("*") if p.is_file())
    for f in files:
        with open(f, "rb") as fh:
            if os.fstat(fh.fileno()).st_size == 0:
                continue
            # the whole file in one call, which holds Python's lock only to start: read a
            # megabyte at a time, the thread hashing beside the reading of a large layer
            # asked for the lock hundreds of times and took 1.9 s for 270 MB, not 0.2 s
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as whole:
                h.update(whole)
    return h.hexdigest()


def is_parquet(path: Path) -> bool:
    """A GeoParquet file, or a folder of GeoParquet parts (a partitioned dataset)."""
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    return path.is_dir() and any(path.rglob("*.parquet"))


def check_file(path: Path) -> None:
    """Refuse a missing, empty or unsupported file before GDAL sees it."""
    if not path.exists():
        hint = ""
        if path.parent.exists():
            near = closest(path.name, [p.name for p in path.parent.iterdir()])
            hint = near
        raise InputError(f"{path}: file not found{hint}; check 'path' (relative to the "
                         "analysis file)")
    if path.is_dir():
        if is_parquet(path):
            return  # a partitioned GeoParquet dataset
        raise InputError(f"{path}: is a folder; give the path of a GIS file (or a folder of "
                         "GeoParquet parts)")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes); export the layer again")
    if path.suffix.lower() not in SUPPORTED:
        raise InputError(f"{path}: unsupported file type '{path.suffix}'; use GeoPackage, "
                         "Shapefile (.shp or .zip), GeoJSON, FlatGeobuf, GeoParquet or OpenStreetMap "
                         "(.osm, .pbf)")


def list_layers(path: str | Path) -> list[tuple[str, str]]:
    """The layers in a file as ``(name, geometry type)`` pairs.

    Raises
    ------
    InputError
        When the file is missing, empty, truncated or not a GIS file.
    """
    path = Path(path)
    check_file(path)
    if is_parquet(path):
        return [(path.stem, "")]
    st = path.stat()
    return list(_list_layers(str(path.resolve()), st.st_size, st.st_mtime_ns))


@functools.lru_cache(maxsize=64)
def _list_layers(path: str, size: int, mtime_ns: int) -> tuple[tuple[str, str], ...]:
    """The layers of a file, cached while it is unchanged (an analysis names one GeoPackage
    for many layers)."""
    try:
        return tuple((str(n), str(t)) for n, t in pyogrio.list_layers(path))
    except Exception as exc:  # pyogrio raises several kinds for unreadable files
        raise InputError(f"{path}: cannot be read as a GIS file ({_short(exc)}); it may be "
                         "truncated or not what its name says: export it again") from None


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _choose_layer(path: Path, layer: str | None) -> str | None:
    listed = list_layers(path)
    layers = [n for n, _ in listed]
    if is_parquet(path):
        return None
    if layer is None:
        # Tables without geometry (such as QGIS's layer_styles) are not candidates.
        spatial = [n for n, t in listed if t not in ("", "None") and n != "layer_styles"]
        if len(spatial) == 1:
            return spatial[0]
        if len(layers) > 1:
            raise InputError(f"{path}: has {len(layers)} layers, so 'layer' must say which: "
                             f"{valid_list(layers)}")
        return layers[0] if layers else None
    if layer not in layers:
        raise InputError(f"{path}: no layer '{layer}'{closest(layer, layers)}; layers in the "
                         f"file: {valid_list(layers)}")
    return layer


def _dbf_bytes(path: Path) -> tuple[bytes | None, bool]:
    """The .dbf of a Shapefile (plain or zipped) and whether a .cpg is present."""
    if path.suffix.lower() == ".shp":
        dbf = [p for p in path.parent.glob(path.stem + ".*") if p.suffix.lower() == ".dbf"]
        cpg = any(p.suffix.lower() == ".cpg" for p in path.parent.glob(path.stem + ".*"))
        return (dbf[0].read_bytes() if dbf else None), cpg
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
                dbf_names = [n for n in names if n.lower().endswith(".dbf")]
                cpg = any(n.lower().endswith(".cpg") for n in names)
                return (z.read(dbf_names[0]) if dbf_names else None), cpg
        except zipfile.BadZipFile:
            return None, False
    return None, False


def detect_encoding(path: Path, encoding: str | None) -> str | None:
    """The text encoding to read a Shapefile with.

    An explicit ``encoding`` wins; then a ``.cpg`` file or the dBase language byte
    (GDAL honours both); otherwise the attribute bytes are tried as UTF-8 and, when they
    are not UTF-8, read as Windows-1252 (the usual encoding of Swedish Shapefiles).
    """
    if encoding:
        return encoding
    dbf, has_cpg = _dbf_bytes(path)
    if dbf is None or has_cpg or len(dbf) < 32 or dbf[29] != 0:
        return None
    records = dbf[int.from_bytes(dbf[8:10], "little"):]
    if all(b < 0x80 for b in records):
        return None
    try:
        records.decode("utf-8")
        return "UTF-8"
    except UnicodeDecodeError:
        return "cp1252"


def _read_raw(path: Path, layer: str | None, encoding: str | None,
              where: str | None = None) -> gpd.GeoDataFrame:
    try:
        kw: dict[str, Any] = {}
        if encoding:
            kw["encoding"] = encoding
        if where:
            kw["where"] = where
        if plain_layer(path, layer):   # its WKB kept for writing the sites again
            return read_keeping_wkb(path, layer, **kw)
        return pyogrio.read_dataframe(path, layer=layer, use_arrow=True, **kw)
    except LookupError as exc:
        raise InputError(f"{path}: unknown text encoding '{encoding}' ({exc}); use e.g. "
                         "'UTF-8' or 'cp1252'") from None
    except Exception as exc:
        where_txt = f"{path}" + (f", layer '{layer}'" if layer else "")
        if where:
            raise InputError(f"{where_txt}: the filter where = {where!r} failed ({_short(exc)}); "
                             "write it as an OGR SQL condition, e.g. status = 'i kraft'") from None
        raise InputError(f"{where_txt}: cannot be read ({_short(exc)}); the file may be "
                         "truncated or damaged: export it again") from None


def _where(path: Path, layer: str | None) -> str:
    return f"{path}" + (f", layer '{layer}'" if layer else "")




def _kind(dtype: str) -> str:
    if dtype == "bool":
        return "bool"
    if dtype.startswith(("int", "uint", "float")):
        return "number"
    return "text" if dtype in ("object", "str", "string") else ""


@dataclass(frozen=True)
class _Local:
    """A source in a local file or folder."""

    file: Path
    layer: str | None = None
    encoding: str | None = None

    @property
    def place(self) -> str:
        return _where(self.file, self.layer)

    @property
    def path(self) -> str:
        return str(self.file.resolve())

    @property
    def stem(self) -> str:
        return self.file.stem


@dataclass(frozen=True)
class FileSource(_Local):
    """A layer of a GIS file read through GDAL (pyogrio with Arrow)."""

    @classmethod
    def can_open(cls, path: Path) -> bool:
        return not is_parquet(path)

    @classmethod
    def open(cls, path: Path, layer: str | None, encoding: str | None) -> FileSource:
        check_file(path)
        lyr = _choose_layer(path, layer)
        enc = detect_encoding(path, encoding) if path.suffix.lower() in {".shp", ".zip"} else None
        return cls(path, lyr, enc)

    @property
    def files(self) -> frozenset[Path]:
        if self.file.suffix.lower() == ".shp":
            return frozenset(p.resolve() for p in self.file.parent.glob(self.file.stem + ".*"))
        return frozenset({self.file.resolve()})

    def read(self, where: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
        with ThreadPoolExecutor(1) as pool:  # hashing lets go of the GIL: it overlaps the read
            digest = pool.submit(file_sha256, self.file)
            gdf = _read_raw(self.file, self.layer, self.encoding, where)
            return gdf, digest.result()

    def fields(self) -> dict[str, str]:
        info = pyogrio.read_info(self.file, layer=self.layer)
        return {str(f): _kind(str(t)) for f, t in zip(info["fields"], info["dtypes"])}


@dataclass(frozen=True)
class ParquetSource(_Local):
    """A GeoParquet file, or a folder of parts (a partitioned dataset), read by pyarrow.

    ``where`` filters take the same SQL as GeoPackage layers (SQLite's dialect, which is
    what GDAL runs for a GeoPackage): the attributes are put in an in-memory SQLite table
    and the condition selects rows from it.
    """

    @classmethod
    def can_open(cls, path: Path) -> bool:
        return is_parquet(path)

    @classmethod
    def open(cls, path: Path, layer: str | None, encoding: str | None) -> ParquetSource:
        check_file(path)
        return cls(path)

    @property
    def files(self) -> frozenset[Path]:
        if self.file.is_dir():
            return frozenset(p.resolve() for p in self.file.rglob("*") if p.is_file())
        return frozenset({self.file.resolve()})

    def read(self, where: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
        try:
            gdf = gpd.read_parquet(self.file)
        except Exception as exc:
            raise InputError(f"{self.file}: cannot be read as GeoParquet ({_short(exc)}); export it "
                             "again") from None
        if where:
            gdf = gdf[sql_filter(pd.DataFrame(gdf.drop(columns=gdf.geometry.name)), where, self.place)]
        return gdf, file_sha256(self.file)

    def fields(self) -> dict[str, str]:
        part = min(self.files) if self.file.is_dir() else self.file
        schema = pq.read_schema(part)
        return {f.name: _arrow_kind(f.type) for f in schema if f.name not in ("geometry", "geom")}


def _arrow_kind(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "number"
    return "text" if pa.types.is_string(t) or pa.types.is_large_string(t) else ""


def sql_filter(table: pd.DataFrame, where: str, place: str) -> np.ndarray:
    """Rows of ``table`` for which the SQL condition ``where`` holds (SQLite's dialect)."""
    con = sqlite3.connect(":memory:")
    try:
        plain = table.copy()
        for c in plain.columns:   # SQLite stores text, numbers and nulls; the rest as text
            if not (pd.api.types.is_numeric_dtype(plain[c]) or pd.api.types.is_string_dtype(plain[c])):
                plain[c] = plain[c].astype(str)
        plain.assign(_row=np.arange(len(plain))).to_sql("t", con, index=False)
        rows = [r[0] for r in con.execute(f"SELECT _row FROM t WHERE {where}")]  # noqa: S608 (the user's own filter)
    except (sqlite3.Error, ValueError) as exc:
        raise InputError(f"{place}: the filter where = {where!r} failed ({exc}); write it as an SQL "
                         "condition, e.g. status = 'i kraft'") from None
    finally:
        con.close()
    mask = np.zeros(len(table), bool)
    mask[rows] = True
    return mask


# Tried in order; the first that can open a path reads it.
SOURCES: tuple[Any, ...] = (PostgisSource, WebSource, ParquetSource, FileSource)


def open_source(path: str | Path, *, layer: str | None = None, encoding: str | None = None,
                sql: str | None = None, geometry: str | None = None,
                bbox: tuple[float, float, float, float] | None = None, refresh: bool = False) -> Source:
    """The source for ``path`` (and ``layer``), opened: the file checked, the layer chosen.

    Raises
    ------
    InputError
        When nothing can open it, or the file or layer is missing or unreadable.
    """
    if PostgisSource.can_open(path):   # a URL: never a Path, which would fold its '//'
        return cast(Source, PostgisSource.open(path, layer, encoding, sql=sql, geometry=geometry))
    if WebSource.can_open(path):
        return cast(Source, WebSource.open(path, layer, encoding, bbox=bbox, refresh=refresh))
    p = Path(path)
    for kind in SOURCES:
        if kind.can_open(p):
            return kind.open(p, layer, encoding)
    raise InputError(f"{p}: no reader for this kind of source")
