"""Criterion kind ``area``: the site's area in m2."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from ...spec.analysis import CriterionSpec
from ..criteria import site_area
from . import CriterionKind


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame]) -> np.ndarray:
    return site_area(sites.geometry.to_numpy())


KIND = CriterionKind("area", "the site's area in m2", measure, unit="m2")
