"""The analysis file as plain, immutable objects: layers, sites, criteria, constraints,
weights, profiles and the readiness ladder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .network import NetworkSpec
from .readiness import ReadinessSpec

MISSING_POLICIES = ("worst", "exclude", "error")
DEFAULT_MISSING = "worst"


def _freeze(d: dict[str, Any]) -> MappingProxyType:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class LayerSpec:
    """An input layer named in ``[layers.NAME]``."""

    name: str
    path: Path | str          # a file, or a PostgreSQL URL (kept as text)
    layer: str | None = None  # a file's layer, or a PostGIS table ("schema.table")
    assume_crs: str | None = None
    encoding: str | None = None
    label: str | MappingProxyType | None = None   # text, or {sv, en}
    where: str | None = None
    source: str | None = None   # who made the data ("SCB (CC0)"), credited on maps and PDFs
    sql: str | None = None      # a PostGIS query instead of a table
    geometry: str | None = None   # a PostGIS layer's geometry column (default: the first)


@dataclass(frozen=True)
class GridSpec:
    """A square or hexagonal grid of candidate cells."""

    cell_m: float
    shape: str = "square"


@dataclass(frozen=True)
class SitesSpec:
    """Where candidate sites come from."""

    layer: str | None = None
    id: str | None = None
    min_area_m2: float = 0.0
    grid: GridSpec | None = None


@dataclass(frozen=True)
class ValueSpec:
    """A value function: its name and parameters."""

    fn: str
    params: MappingProxyType = field(default_factory=lambda: _freeze({}))


@dataclass(frozen=True)
class CriterionSpec:
    """One criterion: a raw measure, a value function and a weight."""

    name: str
    kind: str
    layer: str | None = None
    field: str | None = None
    classes: MappingProxyType | None = None
    radius_m: float | None = None
    minutes: float | None = None          # reachable_sum: the travel-time bound
    decay_minutes: float | None = None    # reachable_sum: weight exp(-t / decay_minutes)
    value: ValueSpec | None = None
    weight: float | None = None
    missing: str = DEFAULT_MISSING
    label: str | MappingProxyType | None = None
    unit: str | None = None


@dataclass(frozen=True)
class ConstraintSpec:
    """One hard exclusion: by a layer (share, distance or travel time) or by an attribute of the site."""

    name: str
    layer: str | None = None
    max_share: float | None = None
    min_share: float | None = None
    min_distance_m: float | None = None
    max_distance_m: float | None = None
    max_minutes: float | None = None      # travel time to the layer along the road network
    field: str | None = None
    equals: Any = None
    not_equals: Any = None
    in_: tuple | None = None
    not_in: tuple | None = None
    min: float | None = None
    max: float | None = None
    label: str | MappingProxyType | None = None


@dataclass(frozen=True)
class WeightsSpec:
    """How weights are set: per criterion (``direct``) or by AHP."""

    method: str = "direct"
    pairwise: tuple[tuple[str, str, float], ...] = ()
    max_consistency_ratio: float = 0.1


@dataclass(frozen=True)
class ProfileSpec:
    """An investor profile: replacement weights, and tighter area or constraints."""

    name: str
    weights: MappingProxyType
    min_area_m2: float | None = None
    constraints: MappingProxyType = field(default_factory=lambda: _freeze({}))
    label: str | MappingProxyType | None = None


@dataclass(frozen=True)
class FieldSpec:
    """How people see a column of the data: ``[fields.NAME] label, values, unit``."""

    name: str
    label: MappingProxyType | str | None = None
    values: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))   # value as in sites.csv -> label
    unit: str | None = None


@dataclass(frozen=True)
class OfferSpec:
    """Which sites the municipality can offer now (``[offer]``), and how the rest are described."""

    now: tuple = ()   # of ConstraintSpec: every condition must hold
    label: MappingProxyType | str | None = None
    otherwise: MappingProxyType | str | None = None


@dataclass(frozen=True)
class Analysis:
    """A whole analysis file, validated."""

    path: Path
    name: str
    crs: str
    study_area: str | None
    layers: MappingProxyType
    sites: SitesSpec
    criteria: MappingProxyType
    constraints: MappingProxyType
    weights: WeightsSpec
    profiles: MappingProxyType
    sha256: str
    raw: MappingProxyType
    readiness: ReadinessSpec | None = None
    live_weights: bool = False
    municipality: str | None = None                       # names covers, map titles, PDF footers
    attribution: MappingProxyType | str | None = None     # credits on maps and PDFs (text or {sv, en})
    offer: OfferSpec | None = None
    fields: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))   # name -> FieldSpec
    network: NetworkSpec | None = None                   # [network]: routing on a road layer

    @property
    def base_dir(self) -> Path:
        return self.path.parent


