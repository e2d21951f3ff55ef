"""Criterion kind ``compactness``: how compact the site is: 4 pi area / perimeter squared (1 for a circle)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from ...spec.analysis import CriterionSpec
from ..criteria import compactness
from . import CriterionKind


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame]) -> np.ndarray:
    return compactness(sites.geometry.to_numpy())


KIND = CriterionKind(
    "compactness", "how compact the site is: 4 pi area / perimeter squared (1 for a circle)", measure, unit="ratio"
)
