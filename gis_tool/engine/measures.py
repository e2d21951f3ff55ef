"""Criteria measured for the sites, turned into values, with the missing-value policy.

Between the criterion functions (``criteria``, pure geometry) and the scoring: picks the
layer and columns a criterion names, checks they suit it, applies the value function and
the policy for sites without a value.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..inputs.layers import geometry_family
from ..spec.analysis import CriterionSpec
from . import criteria as crit
from .values import apply_value

UNITS = {"distance": "m", "overlap": "share", "count_within": "count", "area": "m2",
         "compactness": "ratio"}


def unit_of(spec: CriterionSpec) -> str:
    """The unit of a criterion's raw measure."""
    return spec.unit or UNITS.get(spec.kind, spec.field or "")


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame]
            ) -> np.ndarray:
    """The raw measure of one criterion for every site, in its unit."""
    g = sites.geometry.to_numpy()
    if spec.kind == "area":
        return crit.site_area(g)
    if spec.kind == "compactness":
        return crit.compactness(g)
    if spec.kind == "attribute":
        return _column(spec, sites[spec.field or ""], "the sites layer")
    feats = layers[spec.layer or ""]
    fg = feats.geometry.to_numpy()
    if spec.kind == "distance":
        return crit.distance_to(g, fg)
    if spec.kind == "count_within":
        return crit.count_within(g, fg, float(spec.radius_m or 0.0))
    if spec.kind == "overlap":
        need_polygons(feats, spec.layer, f"criteria.{spec.name}")
        if spec.classes is None:
            keep = feats[spec.field].notna().to_numpy() if spec.field else slice(None)
            return crit.overlap_share(g, fg[keep])
        return crit.overlap_share(g, fg, spec.classes, feats[spec.field or ""])
    if spec.kind == "nearest_attribute":
        values = _column(spec, feats[spec.field or ""], f"layers.{spec.layer}")
        return crit.nearest_attribute(g, fg, values)[0]
    raise InputError(f"criteria.{spec.name}: unknown kind '{spec.kind}'")


def _column(spec: CriterionSpec, col: pd.Series, where: str) -> np.ndarray:
    """A column as floats, or as objects for a categorical value function."""
    if spec.value and spec.value.fn == "categorical" and not pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=object)
    _numeric(col, where, spec.field or "", f"criteria.{spec.name}")
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def need_polygons(gdf: gpd.GeoDataFrame, layer: str | None, key: str) -> None:
    fam = geometry_family(gdf)
    if len(gdf) and fam != "polygon":
        raise InputError(f"{key}: layer '{layer}' holds {fam} geometries, but a share of area "
                         "needs polygons; use a polygon layer, or a distance / count_within "
                         "criterion for points and lines")


def _numeric(col: pd.Series, where: str, fieldname: str, key: str) -> None:
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return
    conv = pd.to_numeric(col, errors="coerce")
    bad = col.notna() & conv.isna()
    if bad.any():
        sample = ", ".join(repr(v) for v in col[bad].unique()[:3])
        raise InputError(f"{where}: field '{fieldname}' used by {key} must be numeric, but "
                         f"holds {sample}; use a numeric column, or a categorical value "
                         "function (value = {{ fn = \"categorical\", map = {{...}} }})")


def to_values(spec: CriterionSpec, raw: np.ndarray) -> np.ndarray:
    """Raw measure to 0..1 through the criterion's value function (NaN = missing)."""
    if spec.value is not None:
        return apply_value(spec.value.fn, spec.value.params, raw)
    v = np.asarray(raw, dtype=float)
    out = ~np.isnan(v) & ((v < -1e-9) | (v > 1 + 1e-9))
    if out.any():
        raise InputError(f"criteria.{spec.name}: has no 'value' function, so its raw measure "
                         f"must lie in 0..1, but ranges {np.nanmin(v):.6g} to {np.nanmax(v):.6g}"
                         f" {unit_of(spec)}; add e.g. value = {{ fn = \"linear\", best = ..., "
                         "worst = ... }")
    return np.clip(v, 0.0, 1.0)


def apply_missing(spec: CriterionSpec, values: np.ndarray, ids: pd.Index,
                   excluded: np.ndarray, reasons: MutableMapping[int, list[str]]) -> dict[str, Any]:
    miss = np.isnan(values)
    info = {"policy": spec.missing, "count": int(miss.sum())}
    if not miss.any():
        return info
    if spec.missing == "error":
        sample = ", ".join(str(s) for s in ids[miss][:5])
        raise InputError(f"criteria.{spec.name}: {int(miss.sum())} site(s) have no value "
                         f"(e.g. {sample}) and missing = \"error\"; fill in the data or set "
                         "missing = \"worst\" or \"exclude\"")
    if spec.missing == "exclude":
        excluded |= miss
        for i in np.flatnonzero(miss).tolist():
            reasons[i].append(f"{spec.name}: no value (missing = exclude)")
    values[miss] = 0.0
    return info
