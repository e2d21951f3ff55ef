"""Conditions on a site: the one test behind constraints and readiness levels.

A condition says what must hold for a site: a share of it covered by a layer
(``min_share``, ``max_share``), a distance to a layer (``min_distance_m``,
``max_distance_m``), the travel time to a layer along the road network
(``max_minutes``), or a value of one of its columns (``equals``, ``not_equals``, ``in``,
``not_in``, ``min``, ``max``). A constraint excludes the sites where its condition fails;
a readiness level holds for the sites where all its conditions hold. Both come through
:func:`evaluate`, so "within 100 m" means the same in both places.

Bounds are inclusive: a share exactly at ``min_share`` holds, a site exactly
``max_distance_m`` away holds. A site with no value in the column fails a field condition
(it cannot be shown to meet it); a layer with no features is infinitely far away.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..inputs.layers import attribute_text
from ..spec.analysis import ConstraintSpec
from ..text import integer, minutes, percent
from .criteria import distance_to, overlap_share
from .network import Network

SHARE_RULES = ("min_share", "max_share")
DISTANCE_RULES = ("min_distance_m", "max_distance_m")
FIELD_RULES = ("equals", "not_equals", "in", "not_in", "min", "max")
SHARE_TOL = 1e-9   # shares are areas divided by areas: allow for the last bit
DISTANCE_TOL = 1e-6  # metres
MINUTES_TOL = 1e-6   # minutes


@dataclass
class Check:
    """One rule of a condition evaluated for every site.

    Attributes
    ----------
    rule
        ``min_share``, ``max_distance_m``, ``in`` ... as written in the analysis file.
    bound
        The rule's bound: a share, metres, a value or a tuple of values.
    subject
        The layer or field the rule reads.
    holds
        True where the site meets the rule.
    measured
        The share (0..1), distance (m, NaN when the layer is empty) or column value.
    """

    rule: str
    bound: Any
    subject: str
    holds: np.ndarray
    measured: np.ndarray

    def requirement(self) -> str:
        """The rule in words: ``water_mains within 100 m``."""
        b, s = self.bound, self.subject
        return {
            "min_share": lambda: f"{s} covering at least {_pct(b)}",
            "max_share": lambda: f"{s} covering at most {_pct(b)}",
            "max_distance_m": lambda: f"{s} within {_metres(b)}",
            "min_distance_m": lambda: f"{s} at least {_metres(b)} away",
            "max_minutes": lambda: f"{s} within {minutes(b)}",
            "equals": lambda: f"{s} = {as_text(b)!r}",
            "not_equals": lambda: f"{s} other than {as_text(b)!r}",
            "in": lambda: f"{s} in {[as_text(v) for v in b]}",
            "not_in": lambda: f"{s} not in {[as_text(v) for v in b]}",
            "min": lambda: f"{s} at least {b:g}",
            "max": lambda: f"{s} at most {b:g}",
        }[self.rule]()

    def found(self, i: int) -> str:
        """What site ``i`` has instead: ``340 m``, ``12 %``, ``'privat'``, ``missing``."""
        v = self.measured[i]
        if self.rule in SHARE_RULES:
            return _pct(float(v))
        if self.rule in DISTANCE_RULES:
            return _metres(float(v)) if np.isfinite(v) else f"no feature in {self.subject}"
        if self.rule == "max_minutes":
            return minutes(float(v)) if np.isfinite(v) else f"no {self.subject} reachable on the road network"
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return "missing"
        return repr(as_text(v)) if self.rule not in ("min", "max") else f"{float(v):g}"


def _pct(share: float) -> str:
    return percent(share)


def _metres(d: float) -> str:
    return f"{integer(d)} m"


def as_text(v: object) -> str | None:
    """A value as text for comparison: booleans as TOML writes them (true/false)."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    return attribute_text(v)


@dataclass
class SiteMeasures:
    """Shares of and distances to layers for a set of sites, each computed once.

    Readiness ladders ask about the same layer at several levels and constraints ask
    again; this cache makes every (layer, measure) pair cost one computation.
    """

    sites: np.ndarray
    layers: dict[str, gpd.GeoDataFrame]
    columns: pd.DataFrame | None = None
    network: Network | None = None
    _share: dict[str, np.ndarray] = field(default_factory=dict)
    _distance: dict[str, np.ndarray] = field(default_factory=dict)

    def share(self, layer: str) -> np.ndarray:
        if layer not in self._share:
            self._share[layer] = overlap_share(self.sites, self.layers[layer].geometry.to_numpy())
        return self._share[layer]

    def distance(self, layer: str) -> np.ndarray:
        if layer not in self._distance:
            self._distance[layer] = distance_to(self.sites, self.layers[layer].geometry.to_numpy())
        return self._distance[layer]

    def minutes(self, layer: str) -> np.ndarray:
        """Minutes to the nearest feature of ``layer`` along the road network (NaN where
        none can be reached); one search per layer, shared with travel_time criteria."""
        if self.network is None:
            raise KeyError("network")
        return self.network.minutes_to(self.sites, self.layers[layer].geometry.to_numpy(), key=layer).values

    def column(self, name: str) -> pd.Series:
        if self.columns is None or name not in self.columns.columns:
            raise KeyError(name)
        return self.columns[name].reset_index(drop=True)


def share_holds(share: np.ndarray, *, min_share: float | None = None,
                max_share: float | None = None) -> np.ndarray:
    """Sites whose covered share lies within the (inclusive) bounds."""
    return _within(share, min_share, max_share, SHARE_TOL)


def distance_holds(dist: np.ndarray, *, min_m: float | None = None,
                   max_m: float | None = None) -> np.ndarray:
    """Sites whose distance lies within the (inclusive) bounds; NaN (no feature) is far."""
    return _within(np.where(np.isnan(dist), np.inf, dist), min_m, max_m, DISTANCE_TOL)


def _within(values: np.ndarray, low: float | None, high: float | None, tol: float) -> np.ndarray:
    ok = np.ones(len(values), bool)
    if low is not None:
        ok &= values >= low - tol
    if high is not None:
        ok &= values <= high + tol
    return ok


def field_checks(spec: ConstraintSpec, column: pd.Series) -> Iterator[Check]:
    """One check per field rule of ``spec``; text rules compare as text, min/max as numbers.

    A null value fails every rule.
    """
    col = column.reset_index(drop=True)
    present = col.notna().to_numpy()
    text = col.map(as_text)
    num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    name = spec.field or ""
    values = col.to_numpy(dtype=object)
    if spec.equals is not None:
        yield Check("equals", spec.equals, name, present & (text == as_text(spec.equals)).to_numpy(), values)
    if spec.not_equals is not None:
        yield Check("not_equals", spec.not_equals, name,
                    present & (text != as_text(spec.not_equals)).to_numpy(), values)
    if spec.in_ is not None:
        yield Check("in", spec.in_, name, present & text.isin([as_text(v) for v in spec.in_]).to_numpy(),
                    values)
    if spec.not_in is not None:
        yield Check("not_in", spec.not_in, name,
                    present & ~text.isin([as_text(v) for v in spec.not_in]).to_numpy(), values)
    if spec.min is not None:
        yield Check("min", spec.min, name, present & (num >= spec.min), values)
    if spec.max is not None:
        yield Check("max", spec.max, name, present & (num <= spec.max), values)


def evaluate(spec: ConstraintSpec, measures: SiteMeasures) -> list[Check]:
    """Every rule of a condition, evaluated for every site of ``measures``."""
    checks: list[Check] = []
    layer = spec.layer
    if layer is not None:
        if spec.min_share is not None or spec.max_share is not None:
            share = measures.share(layer)
            for rule, b in (("min_share", spec.min_share), ("max_share", spec.max_share)):
                if b is not None:
                    ok = share_holds(share, **{rule: b})
                    checks.append(Check(rule, b, layer, ok, share))
        for rule, b in (("min_distance_m", spec.min_distance_m), ("max_distance_m", spec.max_distance_m)):
            if b is not None:
                dist = measures.distance(layer)
                ok = distance_holds(dist, **{rule.replace("distance_", ""): b})
                checks.append(Check(rule, b, layer, ok, dist))
        if spec.max_minutes is not None:
            t = measures.minutes(layer)
            ok = _within(np.where(np.isnan(t), np.inf, t), None, spec.max_minutes, MINUTES_TOL)
            checks.append(Check("max_minutes", spec.max_minutes, layer, ok, t))
    if spec.field is not None:
        checks += list(field_checks(spec, measures.column(spec.field)))
    return checks


def all_hold(checks: list[Check], n: int) -> np.ndarray:
    """True where every check holds (all sites when there are none)."""
    ok = np.ones(n, bool)
    for c in checks:
        ok &= c.holds
    return ok
