"""Criterion kind ``attribute``: a numeric column of the sites layer (e.g. price per m2)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from ...spec.analysis import CriterionSpec
from . import CriterionKind, numeric_column


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame]) -> np.ndarray:
    return numeric_column(spec, sites[spec.field or ""], "the sites layer")


KIND = CriterionKind(
    "attribute", "a numeric column of the sites layer", measure,
    needs=frozenset({"field"}), allows=frozenset({"field"}), reads_sites=True,
    site_fields=lambda spec: {spec.field or ""})
