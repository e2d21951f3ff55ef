"""Criterion kind ``overlap``: the share of the site covered by a polygon layer; with
``classes``, each part of the site counts once, at the best class score covering it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from ...spec.analysis import CriterionSpec
from ..criteria import overlap_share
from . import CriterionKind, need_polygons


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame]) -> np.ndarray:
    g = sites.geometry.to_numpy()
    feats = layers[spec.layer or ""]
    need_polygons(feats, spec.layer, f"criteria.{spec.name}")
    fg = feats.geometry.to_numpy()
    if spec.classes is None:
        keep = feats[spec.field].notna().to_numpy() if spec.field else slice(None)
        return overlap_share(g, fg[keep])
    return overlap_share(g, fg, spec.classes, feats[spec.field or ""])


KIND = CriterionKind(
    "overlap", "share of the site covered by a layer (0..1), optionally scored by class", measure,
    unit="share", needs=frozenset({"layer"}), allows=frozenset({"layer", "field", "classes"}),
    polygon_layer=True, layer_fields=lambda spec: {spec.field} if spec.field else set())
