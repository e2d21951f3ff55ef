"""Criterion kind ``reachable_sum``: the sum of a field over the features of a layer that
reach the site within ``minutes`` along the road network (a labour pool), optionally
weighted by exp(-t / decay_minutes)."""

from __future__ import annotations

import geopandas as gpd

from ...spec.analysis import CriterionSpec
from ..network import Network, Reached
from . import CriterionKind, numeric_column


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
            network: Network) -> Reached:
    feats = layers[spec.layer or ""]
    values = numeric_column(spec, feats[spec.field or ""], f"layers.{spec.layer}")
    return network.reachable_sum(sites.geometry.to_numpy(), feats.geometry.to_numpy(), values,
                                 float(spec.minutes or 0.0), spec.decay_minutes)


KIND = CriterionKind(
    "reachable_sum",
    "sum of a field over the features of a layer that reach the site within minutes along the road network",
    measure,  # type: ignore[arg-type]
    unit=None,
    needs=frozenset({"layer", "field", "minutes"}),
    allows=frozenset({"layer", "field", "minutes", "decay_minutes"}),
    uses_network=True,
    layer_fields=lambda spec: {spec.field or ""},
)
