"""Load layers: read fast, check, repair what is safe to repair, refuse the rest.

A layer comes from a source (:mod:`gis_tool.inputs.sources`: a GIS file through pyogrio
with Arrow, a GeoParquet file or folder through pyarrow). Every layer is checked, repaired
and reprojected to the working CRS here, whatever its source; what was repaired or dropped
is counted in a :class:`LayerReport`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from ..errors import InputError, Problem, closest, valid_list
from ..progress import in_chunks
from .encoded import known_valid
from .repair import repair_geometries
from .sources import open_source

log = logging.getLogger(__name__)

# Sweden with a margin of about 50 km (lon/lat degrees); the whole country lies inside.
SWEDEN_LONLAT = (10.0, 54.8, 24.8, 69.4)


@dataclass
class LayerReport:
    """What happened to one layer on its way in: counts of repairs and drops."""

    name: str
    path: str
    layer: str | None
    sha256: str = ""
    source_crs: str | None = None
    crs_assumed: bool = False
    geometry_type: str | None = None
    features_read: int = 0
    features_kept: int = 0
    repairs: dict[str, int] = field(default_factory=dict)
    encoding: str | None = None
    where: str | None = None
    files: list[str] = field(default_factory=list)   # local files read (never overwritten)
    sql: str | None = None                            # a PostGIS layer's query
    fetched: str | None = None                        # a web collection's fetch time (UTC)

    def count(self, what: str, n: int) -> None:
        if n:
            self.repairs[what] = self.repairs.get(what, 0) + int(n)

    def summary(self) -> str:
        parts = [f"{k} {v}" for k, v in self.repairs.items()]
        extra = f" ({', '.join(parts)})" if parts else ""
        return f"{self.name}: {self.features_kept} of {self.features_read} features kept{extra}"

    def to_dict(self) -> dict[str, Any]:
        """For run.json: everything above, plus ``crs`` (of the file) and ``features`` (kept)."""
        return asdict(self) | {"crs": self.source_crs, "features": self.features_kept}


@dataclass
class LoadedLayer:
    """A layer in the working CRS, with its report."""

    gdf: gpd.GeoDataFrame
    report: LayerReport


def check_finite(geoms: np.ndarray, where: str) -> None:
    """Refuse NaN or infinite coordinates, naming the first features that have them.

    Geometries known valid (checked as a large GeoPackage layer was decoded) have none:
    GEOS finds a geometry with a NaN or infinite coordinate invalid."""
    valid = known_valid(geoms)
    if valid is not None and valid.all():
        return
    with np.errstate(invalid="ignore"):
        if all(in_chunks(lambda a, b: bool(np.isfinite(shapely.get_coordinates(geoms[a:b])).all()),
                         len(geoms))):
            return
        coords, idx = shapely.get_coordinates(geoms, return_index=True)
    bad = ~np.isfinite(coords).all(axis=1)
    if bad.any():
        mask = np.zeros(len(geoms), bool)
        mask[idx[bad]] = True   # a feature with several bad points is marked once either way
        verb = "has" if mask.sum() == 1 else "have"
        raise InputError(f"{where}: {_feature_ids_arr(mask)} {verb} non-finite coordinates "
                         "(NaN or infinity); fix or delete those features")


def check_coordinates(geoms: np.ndarray, crs: CRS, where: str) -> None:
    """Refuse coordinates outside the CRS's area of use (call :func:`check_finite` first).

    When the CRS is a Swedish one or WGS 84 the coordinates must also fall in Sweden.

    Raises
    ------
    InputError
        Naming the layer, the first offending features, the cause and the fix.
    """
    if len(geoms) == 0:
        return
    aou = crs.area_of_use
    box = (aou.west, aou.south, aou.east, aou.north) if aou else (-180, -90, 180, 90)
    name = aou.name if aou else ""
    swedish = "sweden" in name.lower() or crs.equals(CRS.from_epsg(4326)) or \
        crs.equals(CRS.from_user_input("OGC:CRS84"))
    # The layer's whole extent first: when its corners and edge midpoints pass, every
    # feature's do (a million features need no transform each).
    with np.errstate(all="ignore"):
        ext = np.array([_extent(np.concatenate(in_chunks(lambda a, b: [_extent(shapely.bounds(geoms[a:b]))],
                                                           len(geoms))))])
    xs, ys = np.linspace(ext[0, 0], ext[0, 2], 11), np.linspace(ext[0, 1], ext[0, 3], 11)
    grid = np.array([[x, y, x, y] for x in xs for y in ys])
    glon, glat = _to_lonlat(crs, grid)
    g_ok = np.isfinite(glon).all() and np.isfinite(glat).all()
    test_box, margin = (SWEDEN_LONLAT, 0.0) if swedish else (box, 0.5)
    if g_ok and _within(glon.reshape(1, -1), glat.reshape(1, -1), test_box, margin).all():
        return
    lon, lat = _to_lonlat(crs, shapely.bounds(geoms))
    ok_lon = np.isfinite(lon).all(axis=1) & np.isfinite(lat).all(axis=1)
    # A Swedish CRS (RT90 2.5 gon V, SWEREF 99 zones) is used nationwide in practice,
    # beyond its nominal area of use: for those, Sweden is the test.
    if swedish:
        inside = ok_lon & _within(lon, lat, SWEDEN_LONLAT, 0.0)
    else:
        inside = ok_lon & _within(lon, lat, box, 0.5)
    if not inside.all():
        out = ~inside
        crs_name = f"{crs.name}" + (f" (EPSG:{crs.to_epsg()})" if crs.to_epsg() else "")
        area = "Sweden" if swedish else f"its area of use ({name})"
        lo = shapely.bounds(geoms[out])
        sample = f"x {lo[0, 0]:.6g}, y {lo[0, 1]:.6g}"
        raise InputError(
            f"{where}: {_feature_ids_arr(out)} lie outside {area} when read as {crs_name} "
            f"(e.g. {sample}). The CRS is almost certainly mislabelled (RT90 as SWEREF 99, "
            "swapped lon/lat, or SWEREF 99 TM coordinates in a GeoJSON, which is always "
            "WGS 84): set the right CRS in the file, or 'assume_crs' if it has none")


def _extent(b: np.ndarray) -> np.ndarray:
    """The box around boxes (rows of x min, y min, x max, y max; at least one row), NaN
    where every box is (empty geometries); fmin and fmax pass NaN over, without a warning."""
    return np.array([np.fmin.reduce(b[:, 0]), np.fmin.reduce(b[:, 1]), np.fmax.reduce(b[:, 2]),
                     np.fmax.reduce(b[:, 3])])


def _feature_ids_arr(mask: np.ndarray, limit: int = 5) -> str:
    idx = np.flatnonzero(mask)[:limit]
    more = int(mask.sum()) - len(idx)
    noun = "feature" if mask.sum() == 1 else "features"
    return f"{noun} {', '.join(str(int(i) + 1) for i in idx)}" + (
        f" and {more} more" if more > 0 else "")


def _to_lonlat(crs: CRS, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xs = np.column_stack([b[:, 0], b[:, 2], b[:, 0], b[:, 2]])
    ys = np.column_stack([b[:, 1], b[:, 1], b[:, 3], b[:, 3]])
    if crs.is_geographic and crs.equals(CRS.from_epsg(4326)):
        return xs, ys  # geopandas gives lon/lat order for EPSG:4326
    try:
        t = Transformer.from_crs(crs, "OGC:CRS84", always_xy=True)
        with np.errstate(all="ignore"):
            lon, lat = t.transform(xs, ys, errcheck=False)
    except Exception:
        return np.full(xs.shape, np.nan), np.full(xs.shape, np.nan)
    return np.asarray(lon), np.asarray(lat)


def _within(lon: np.ndarray, lat: np.ndarray, box: tuple, margin: float) -> np.ndarray:
    w, s, e, n = box
    return ((lon >= w - margin) & (lon <= e + margin) & (lat >= s - margin)
            & (lat <= n + margin)).all(axis=1)


def _from_other_tags(gdf: gpd.GeoDataFrame, wanted: list[str]) -> gpd.GeoDataFrame:
    """OpenStreetMap through GDAL's OSM driver keeps most tags (``maxspeed``, ``oneway``)
    in one ``other_tags`` text, ``"maxspeed"=>"70","oneway"=>"yes"``: a field the analysis
    asks for that is one of those tags becomes a column of its own."""
    if not wanted or "other_tags" not in gdf.columns:
        return gdf
    tags = gdf["other_tags"].astype("string")
    found = {}
    for key in wanted:
        pattern = r'(?:^|,)"' + re.escape(key) + r'"=>"((?:[^"\\]|\\.)*)"'
        col = tags.str.extract(pattern, expand=False)
        if col.notna().any():
            found[key] = col.astype(object).where(col.notna(), None)
    return gdf.assign(**found) if found else gdf


def read_layer(path: str | Path, *, layer: str | None = None, assume_crs: str | None = None,
               encoding: str | None = None, to_crs: str | CRS = "EPSG:3006",
               fields: tuple[str, ...] = (), name: str | None = None,
               where: str | None = None, sql: str | None = None,
               geometry: str | None = None, bbox: tuple[float, float, float, float] | None = None,
               refresh: bool = False) -> LoadedLayer:
    """Read, check, repair and reproject one layer.

    Parameters
    ----------
    path
        The file: GeoPackage, Shapefile (plain or zipped), GeoJSON, FlatGeobuf, GeoParquet.
    layer
        The layer in the file; required when the file has more than one.
    assume_crs
        Used only when the file has no CRS.
    encoding
        Shapefile text encoding when there is no ``.cpg``; detected when not given.
    to_crs
        The working CRS.
    fields
        Columns the analysis needs; a missing one is refused with the closest name.
    name
        The layer's name in the analysis, for messages and reports.
    where
        An OGR SQL condition that selects features (``status = 'i kraft'``), like a
        QGIS subset string.

    Returns
    -------
    LoadedLayer
        The repaired GeoDataFrame in ``to_crs`` and a report of what was done.
    """
    source = open_source(path, layer=layer, encoding=encoding, sql=sql, geometry=geometry, bbox=bbox,
                         refresh=refresh)
    place, lyr, enc = source.place, source.layer, source.encoding
    gdf, sha256 = source.read(where)
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{place}: the layer has no geometry (a plain table); name a layer "
                         "with points, lines or polygons")
    report = LayerReport(name=name or lyr or source.stem, path=source.path, layer=lyr,
                         sha256=sha256, features_read=len(gdf), encoding=enc,
                         where=where, files=sorted(str(f) for f in source.files), sql=sql,
                         fetched=getattr(source, "fetched", None))
    gdf = _from_other_tags(gdf, [f for f in fields if f not in gdf.columns])
    missing = [f for f in fields if f not in gdf.columns]
    if missing:
        cols = [c for c in gdf.columns if c != gdf.geometry.name]
        raise InputError([Problem(place, f"has no field '{f}'{closest(f, cols)}; fields: "
                                         f"{valid_list(cols) or 'none'}") for f in missing])
    if gdf.crs is None:
        if assume_crs is None:
            raise InputError(f"{place}: the layer has no CRS; set it in the file, or add "
                             "assume_crs = \"EPSG:3006\" (or the right one) to the layer")
        try:
            gdf = gdf.set_crs(assume_crs)
        except (CRSError, ValueError) as exc:
            raise InputError(f"{place}: assume_crs '{assume_crs}' is not a CRS ({exc})") from None
        report.crs_assumed = True
    src = CRS.from_user_input(gdf.crs)
    report.source_crs = src.to_string()
    check_finite(gdf.geometry.to_numpy(), place)
    gdf = repair_geometries(gdf, report)
    check_coordinates(gdf.geometry.to_numpy(), src, place)
    target = CRS.from_user_input(to_crs)
    if not src.equals(target):
        gdf = gdf.to_crs(target)
    geoms = gdf.geometry.to_numpy()
    tids, first = np.unique(shapely.get_type_id(geoms), return_index=True)
    types = sorted(geoms[i].geom_type for t, i in zip(tids, first) if t >= 0)
    report.geometry_type = "/".join(types) if types else None
    report.features_kept = len(gdf)
    if len(gdf) == 0:
        log.warning("%s: the layer has no usable features (read %d)", place, report.features_read)
    gdf = gdf.reset_index(drop=True)
    log.info("loaded %s", report.summary())
    return LoadedLayer(gdf=gdf, report=report)


def attribute_text(v: object) -> str | None:
    """An attribute value as text, the way a user writes it in an analysis file: a whole
    float without its ``.0`` (GDAL reads integer ids as floats when there are nulls),
    None for a missing value."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def attribute_texts(values: pd.Series) -> pd.Series:
    """:func:`attribute_text` of every value, without a Python call per value for
    columns of text, integers or whole floats (a million site ids)."""
    if pd.api.types.is_integer_dtype(values.dtype) and not values.isna().any():
        return values.astype("int64").astype(str).astype(object)
    if pd.api.types.is_float_dtype(values.dtype) and values.notna().all():
        whole = np.all(np.mod(values.to_numpy(dtype=float), 1) == 0)
        if whole and np.abs(values.to_numpy(dtype=float)).max(initial=0) < 2 ** 53:
            return values.astype("int64").astype(str).astype(object)
    if pd.api.types.is_string_dtype(values.dtype) and values.notna().all():
        arr = values.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(arr, skipna=False) == "string":
            return pd.Series(arr, index=values.index, dtype=object)
    return values.map(attribute_text)


def geometry_family(gdf: gpd.GeoDataFrame) -> str:
    """``"polygon"``, ``"line"``, ``"point"`` or ``"mixed"`` for a layer."""
    types = set(np.unique(shapely.get_type_id(gdf.geometry.to_numpy())).tolist()) - {-1}
    for fam, ids in (("polygon", {3, 6}), ("line", {1, 2, 5}), ("point", {0, 4})):
        if types and types <= ids:
            return fam
    return "mixed"
