"""Geometries kept with the WKB they were read from, so that writing them again needs no
encoding.

A run's sites usually leave as they came: the parcels of a GeoPackage in the working CRS
are read, checked, scored and written back to ``sites.gpkg`` unchanged. GDAL hands the
features over as Arrow with each geometry in WKB; :func:`read_keeping_wkb` decodes them
as pyogrio's reader does and keeps the WKB beside the decoded geometries
(:func:`keep`). When a table is written, :func:`wkb_source` gives the WKB of each geometry
that is the very object read (shapely's geometries do not change, so the same object
has the same WKB) and encodes only the others: for a million sites, about 0.4 s instead
of 1.1 s, just before the GeoPackage is written.

An object is known by its ``id``, which is only unique among live objects: each kept
array is held (so its geometries stay alive and no other object can take their ids)
until :func:`forget` (a run starts with it) or until newer layers push it out.
"""

from __future__ import annotations

import ctypes
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely

from ..progress import CHUNK, THREADS

KEEP_OVER = 50_000   # features; smaller layers are encoded again quickly enough
KEPT = 2             # layers kept at a time (the newest)


@dataclass(frozen=True)
class _Kept:
    geoms: np.ndarray      # the decoded geometries, held so their ids stay theirs
    wkb: pa.Array          # binary, one per geometry
    ids: np.ndarray        # the geometries' ids, sorted
    at: np.ndarray         # the position in ``geoms`` of each sorted id
    valid: np.ndarray | None = None   # shapely.is_valid of each geometry, when known


_kept: list[_Kept] = []
_lock = threading.Lock()


def _ids(geoms: np.ndarray) -> np.ndarray:
    """Each object's ``id``. In CPython an object's id is its address, which is what an
    object array holds: read as numbers, without touching a million objects scattered
    over memory (0.24 s); checked against ``id`` on a few, as another Python may differ."""
    geoms = np.ascontiguousarray(geoms, dtype=object)
    raw = np.ctypeslib.as_array((ctypes.c_uint64 * len(geoms)).from_address(geoms.ctypes.data)).copy()
    probe = np.unique(np.linspace(0, max(len(geoms) - 1, 0), 5).astype(int))[:len(geoms)]
    if all(int(raw[i]) == id(geoms[i]) for i in probe):
        return raw
    return np.fromiter(map(id, geoms), dtype=np.uint64, count=len(geoms))


def keep(geoms: np.ndarray, wkb: pa.Array, valid: np.ndarray | None = None) -> None:
    """Keep ``wkb`` (one WKB value per geometry) as the encoding of ``geoms``, and
    ``valid`` (:func:`shapely.is_valid` of each) when it is known."""
    if len(geoms) < KEEP_OVER or len(wkb) != len(geoms):
        return
    ids = _ids(geoms)
    at = np.argsort(ids, kind="stable")
    with _lock:
        _kept.append(_Kept(geoms, wkb.cast(pa.binary()), ids[at], at, valid))
        del _kept[:-KEPT]


def known_valid(geoms: np.ndarray) -> np.ndarray | None:
    """:func:`shapely.is_valid` of ``geoms`` where every one of them is a geometry
    :func:`read_keeping_wkb` decoded and checked (the same objects, in any order or
    selection); None otherwise (the caller checks)."""
    with _lock:
        kept = [(k, k.valid) for k in _kept if k.valid is not None]
    if not kept or not len(geoms):
        return None
    ids = _ids(geoms)
    for k, valid in reversed(kept):
        pos = _position(k, ids)
        if bool((k.ids[pos] == ids).all()):
            return valid[k.at[pos]]
    return None


def _position(k: _Kept, ids: np.ndarray, by_id: np.ndarray | None = None) -> np.ndarray:
    """Where each of ``ids`` is, or would be, among ``k``'s sorted ids (within range: a
    hit where ``k.ids[pos] == ids``). ``by_id`` (an order of ``ids``, ascending or as
    they lie in memory) lets the search run in that order."""
    last = len(k.ids) - 1
    if by_id is None:
        return np.minimum(np.searchsorted(k.ids, ids), last)
    pos = np.empty(len(ids), dtype=np.int64)
    pos[by_id] = np.minimum(np.searchsorted(k.ids, ids[by_id]), last)
    return pos


def forget() -> None:
    """Let every kept layer go."""
    with _lock:
        _kept.clear()


def wkb_source(geoms: np.ndarray, visit: np.ndarray | None = None) -> tuple[pa.Array, np.ndarray] | None:
    """WKB values and an index into them such that ``values.take(index)`` is the WKB of
    each of ``geoms`` (binary): where a geometry is one read by :func:`read_keeping_wkb`
    (the same object), the WKB it was read from; the others encoded by shapely. None
    when none of them were read that way (the caller encodes).

    ``visit`` (the positions of ``geoms`` in the order they lie in memory, when known)
    lets the kept ids be searched in order without sorting the geometries' ids first.
    The caller takes the values in pieces as it needs them: a million sites' WKB taken
    at once fills 400 MB of fresh memory (0.35 s, most of it the kernel's).
    """
    with _lock:
        kept = list(_kept)
    if not kept or not len(geoms):
        return None
    ids = _ids(geoms)
    by_id = np.argsort(ids) if visit is None else visit   # the search runs through memory in order
    for k in reversed(kept):                 # the newest first: the sites' layer, usually
        pos = _position(k, ids, by_id)
        hit = k.ids[pos] == ids
        if not hit.any():
            continue
        if hit.all():
            return k.wkb, k.at[pos]
        rest = np.flatnonzero(~hit)
        new = pa.array(shapely.to_wkb(geoms[rest]), pa.binary())
        index = np.empty(len(geoms), dtype=np.int64)
        index[hit] = k.at[pos[hit]]
        index[rest] = len(k.wkb) + np.arange(len(rest))
        return pa.concat_arrays([k.wkb, new]), index
    return None


def plain_layer(path: Path, layer: str | None) -> bool:
    """A GeoPackage layer whose fields all come out of Arrow as pandas takes them: no
    dates, times or JSON (those :func:`pyogrio.read_dataframe` converts itself)."""
    if path.suffix.lower() != ".gpkg":
        return False
    info = pyogrio.read_info(path, layer=layer)
    return (bool(info["geometry_type"])
            and not any(str(t).startswith("datetime") for t in info["dtypes"])
            and "OFSTJSON" not in list(info["ogr_subtypes"]))


def read_keeping_wkb(path: Path, layer: str | None, **kw: Any) -> gpd.GeoDataFrame:
    """A GeoPackage layer of :func:`plain_layer` as :func:`pyogrio.read_dataframe`
    reads it with Arrow (the same columns, types and geometry column), keeping the WKB
    of its geometries (:func:`keep`). ``kw`` goes to :func:`pyogrio.read_arrow`."""
    meta, table = pyogrio.read_arrow(path, layer=layer, datetime_as_string=True, **kw)
    name = meta["geometry_name"] or "wkb_geometry"
    column = table.column(name)
    if isinstance(column.type, pa.ExtensionType):
        column = pa.chunked_array([c.storage for c in column.chunks], column.type.storage_type)
    with ThreadPoolExecutor(1) as pool:
        # the WKB kept as one array (a copy, in Arrow's C++ without Python's lock) is made
        # beside the decoding, a batch of GDAL's at a time (a million parcels: 0.25 s)
        whole = pool.submit(column.combine_chunks)
        attrs = table.drop_columns([name]).to_pandas(**_to_pandas())
        geoms, valid = _decoded_and_checked(column)
        wkb = whole.result()
    keep(geoms, wkb, valid)
    return gpd.GeoDataFrame(attrs, geometry=geoms, crs=meta["crs"])


def _decoded_and_checked(wkb: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray | None]:
    """The geometries of ``wkb`` (binary; :func:`shapely.from_wkb`) and whether each is
    valid (:func:`shapely.is_valid`, which the repairs on load ask next; None for a small
    layer).

    Decoding holds Python's lock (it makes a Python object per geometry) while the check
    lets go of it, so the geometries are decoded a chunk at a time here while other
    threads check the chunks already decoded: for a million parcels about the time of
    the decoding alone, where one after the other took it and the check (1.2-1.6 s and
    1.3 s on two threads)."""
    if len(wkb) < KEEP_OVER:
        with np.errstate(invalid="ignore"):   # NaN coordinates: named by layers.check_finite
            return shapely.from_wkb(wkb.to_numpy(), on_invalid="raise"), None
    valid = np.empty(len(wkb), dtype=bool)

    def check(part: np.ndarray, a: int) -> None:
        valid[a:a + len(part)] = shapely.is_valid(part)

    parts = []
    with ThreadPoolExecutor(THREADS) as pool:
        checks = []
        try:
            for a in range(0, len(wkb), CHUNK):
                with np.errstate(invalid="ignore"):   # NaN coordinates, as above
                    parts.append(shapely.from_wkb(wkb.slice(a, CHUNK).to_numpy(), on_invalid="raise"))
                checks.append(pool.submit(check, parts[-1], a))
        except BaseException:
            for c in checks:
                c.cancel()   # a decoding error: the checks not begun are not needed
            raise
        for c in checks:
            c.result()
    return np.concatenate(parts), valid


def _to_pandas() -> dict[str, Any]:
    """pyogrio's options for Arrow's conversion: text as pandas' string type, which
    pyarrow before 19 does not choose by itself under pandas 3."""
    if int(pd.__version__.split(".")[0]) >= 3 and int(pa.__version__.split(".")[0]) < 19:
        strings = pd.StringDtype(na_value=np.nan)
        return {"types_mapper": {pa.string(): strings, pa.large_string(): strings}.get}
    return {}
