"""Describe the layers of a GIS file: ``gis-tool layers inspect``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS

from ..errors import InputError
from .layers import check_coordinates, check_finite
from .sources import check_file, detect_encoding, is_parquet, list_layers


def describe_layer(path: Path, layer: str | None) -> dict[str, Any]:
    """Geometry type, CRS, feature count, fields and types, bounds and validity problems."""
    enc = detect_encoding(path, None) if path.suffix.lower() in {".shp", ".zip"} else None
    if is_parquet(path):
        gdf = gpd.read_parquet(path)
    else:
        kw = {"encoding": enc} if enc else {}
        gdf = pyogrio.read_dataframe(path, layer=layer, use_arrow=True, **kw)
    geoms = gdf.geometry.to_numpy()
    types = sorted({str(t) for t in gdf.geom_type.dropna().unique()})
    null = shapely.is_missing(geoms)
    empty = shapely.is_empty(geoms) & ~null
    ok = ~(null | empty)
    invalid = np.zeros(len(geoms), bool)
    invalid[ok] = ~shapely.is_valid(geoms[ok])
    problems = []
    if null.any():
        problems.append(f"{int(null.sum())} feature(s) without geometry")
    if empty.any():
        problems.append(f"{int(empty.sum())} empty geometries")
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        first = np.flatnonzero(invalid)[:3] + 1
        problems.append(f"{int(invalid.sum())} invalid geometries (e.g. feature "
                        f"{', '.join(map(str, first))}: {reasons[0]})")
    if ok.any() and shapely.has_z(geoms[ok]).any():
        problems.append("has Z coordinates (dropped on load)")
    crs = gdf.crs
    if crs is None:
        problems.append("no CRS (set assume_crs in the analysis file)")
    else:
        try:
            check_finite(geoms[ok], "")
            check_coordinates(geoms[ok], CRS.from_user_input(crs), "")
        except InputError as exc:
            problems.append(str(exc).lstrip(": "))
    bounds = [float(v) for v in gdf.total_bounds] if ok.any() else None
    return {
        "layer": layer or path.stem,
        "geometry_type": "/".join(types) if types else None,
        "crs": None if crs is None else _crs_name(CRS.from_user_input(crs)),
        "features": len(gdf),
        "fields": {c: str(gdf[c].dtype) for c in gdf.columns if c != gdf.geometry.name},
        "bounds": bounds,
        "encoding": enc,
        "problems": problems,
    }


def _crs_name(crs: CRS) -> str:
    code = crs.to_epsg()
    return f"EPSG:{code} ({crs.name})" if code else crs.name


def describe_file(path: str | Path) -> list[dict[str, Any]]:
    """Describe every layer in a file.

    Raises
    ------
    InputError
        When the file cannot be read at all.
    """
    path = Path(path)
    check_file(path)
    out = []
    for name, _ in list_layers(path):
        lyr = None if is_parquet(path) else name
        try:
            d = describe_layer(path, lyr)
        except Exception as exc:  # one broken layer must not hide the others
            d = {"layer": name, "problems": [f"cannot be read: {exc}"]}
        d["path"] = str(path)
        out.append(d)
    return out


def format_description(info: list[dict[str, Any]]) -> str:
    """Human-readable text for :func:`describe_file`."""
    lines = []
    for d in info:
        lines.append(f"{d['path']} | layer {d['layer']}")
        if "features" in d:
            lines.append(f"  geometry  {d['geometry_type']}   features {d['features']}")
            lines.append(f"  crs       {d['crs']}")
            if d["bounds"]:
                b = d["bounds"]
                lines.append(f"  bounds    {b[0]:.2f} {b[1]:.2f} {b[2]:.2f} {b[3]:.2f}")
            fields = ", ".join(f"{k} ({v})" for k, v in d["fields"].items()) or "none"
            lines.append(f"  fields    {fields}")
        if d.get("encoding"):
            lines.append(f"  encoding  {d['encoding']}")
        status = "; ".join(d["problems"]) if d["problems"] else "none"
        lines.append(f"  problems  {status}")
        lines.append("")
    return "\n".join(lines).rstrip()
