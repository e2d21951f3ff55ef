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
from ..spec.analysis import CriterionSpec
from .kinds import kind_of, need_polygons, unit_of  # noqa: F401  (importable from here too)
from .network import Network, Reached
from .values import apply_value


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
            network: Network | None = None) -> np.ndarray:
    """The raw measure of one criterion for every site, in its unit (by its kind)."""
    return measure_noted(spec, sites, layers, network)[0]


def measure_noted(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
                  network: Network | None = None) -> tuple[np.ndarray, Reached | None]:
    """The raw measure and, for a measure along the road network, why some sites have none."""
    kind = kind_of(spec)
    if not kind.uses_network:
        return kind.measure(spec, sites, layers), None
    if network is None:
        raise InputError(f"criteria.{spec.name}: kind '{spec.kind}' measures along the road network; "
                         "add a [network] table (DESIGN 3.13)")
    reached: Reached = kind.measure(spec, sites, layers, network)  # type: ignore[call-arg, assignment]
    return reached.values, reached


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
