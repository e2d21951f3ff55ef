"""Criterion kind ``count_within``: features of a layer within radius_m of the site."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from ...spec.analysis import CriterionSpec
from ..criteria import count_within
from . import CriterionKind


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame]) -> np.ndarray:
    return count_within(
        sites.geometry.to_numpy(), layers[spec.layer or ""].geometry.to_numpy(), float(spec.radius_m or 0.0)
    )


KIND = CriterionKind(
    "count_within",
    "features of a layer within radius_m of the site",
    measure,
    unit="count",
    needs=frozenset({"layer", "radius_m"}),
    allows=frozenset({"layer", "radius_m"}),
)
