"""Criterion kind ``distance``: metres from the site to the nearest feature of a layer (0 when touching)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from ...spec.analysis import CriterionSpec
from ..criteria import distance_to
from . import CriterionKind


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame]) -> np.ndarray:
    return distance_to(sites.geometry.to_numpy(), layers[spec.layer or ""].geometry.to_numpy())


KIND = CriterionKind(
    "distance",
    "metres from the site to the nearest feature of a layer (0 when touching)",
    measure,
    unit="m",
    needs=frozenset({"layer"}),
    allows=frozenset({"layer"}),
)
