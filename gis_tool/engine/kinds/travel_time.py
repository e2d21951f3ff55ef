"""Criterion kind ``travel_time``: minutes from the site to the nearest feature of a layer
along the road network (site access + network + feature access; ``[network]``)."""

from __future__ import annotations

import geopandas as gpd

from ...spec.analysis import CriterionSpec
from ..network import Network, Reached
from . import CriterionKind


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
            network: Network) -> Reached:
    layer = spec.layer or ""
    return network.minutes_to(sites.geometry.to_numpy(), layers[layer].geometry.to_numpy(), key=layer)


KIND = CriterionKind(
    "travel_time",
    "minutes from the site to the nearest feature of a layer along the road network",
    measure,  # type: ignore[arg-type]
    unit="min",
    needs=frozenset({"layer"}),
    allows=frozenset({"layer"}),
    uses_network=True,
)
