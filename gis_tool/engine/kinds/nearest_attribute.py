"""Criterion kind ``nearest_attribute``: a field's value on the feature of a layer nearest
to the site (e.g. spare MW at the nearest substation)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from ...spec.analysis import CriterionSpec
from ..criteria import nearest_attribute
from . import CriterionKind, numeric_column


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame]) -> np.ndarray:
    feats = layers[spec.layer or ""]
    values = numeric_column(spec, feats[spec.field or ""], f"layers.{spec.layer}")
    return nearest_attribute(sites.geometry.to_numpy(), feats.geometry.to_numpy(), values)[0]


KIND = CriterionKind(
    "nearest_attribute", "value of a field on the nearest feature of a layer", measure,
    needs=frozenset({"layer", "field"}), allows=frozenset({"layer", "field"}),
    layer_fields=lambda spec: {spec.field or ""})
