"""Constraints: hard exclusions, each with a reason that starts with its name.

A constraint is a condition (see :mod:`gis_tool.conditions`) read as an exclusion: a site
is excluded where the condition fails.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..spec.analysis import ConstraintSpec
from ..text import integer
from .conditions import FIELD_RULES, Check, SiteMeasures, evaluate
from .conditions import as_text as _t


@dataclass
class ConstraintResult:
    """Which sites a constraint excludes, and why."""

    name: str
    excluded: np.ndarray
    reasons: np.ndarray


def _layer_reason(name: str, c: Check, k: float) -> str:
    """The reason of a layer condition that fails, from what it says of the measure
    (:func:`_told`)."""
    if c.rule in ("min_share", "max_share"):
        pct = int(k)
        text = f"{name}: {pct if pct or c.rule == 'min_share' else 1} % covered by {c.subject}"
        if c.rule == "min_share":
            return text + f" (min {c.bound * 100:g} %)"
        return text + (f" (max {c.bound * 100:g} %)" if c.bound else "")
    where = f"{integer(k)} m from {c.subject}" if k >= 0 else f"no feature in {c.subject}"
    return f"{name}: {where} ({'min' if c.rule == 'min_distance_m' else 'max'} {c.bound:g} m)"


def _told(c: Check, measured: np.ndarray) -> np.ndarray:
    """What a reason says of each measure: the whole percent covered, or the whole metres
    (-1: no feature). Equal ones make equal reasons, so each is written once."""
    v = measured.astype(float)
    if c.rule in ("min_share", "max_share"):
        return np.round(v * 100)
    return np.where(np.isfinite(v), np.round(v), -1.0)


def _layer_reasons(name: str, c: Check, measured: np.ndarray) -> list[str]:
    """:func:`_layer_reason` of each measure, each distinct reason written once (a
    constraint may exclude a large share of a million sites)."""
    made: dict[float, str] = {}
    return [made[k] if k in made else made.setdefault(k, _layer_reason(name, c, k))
            for k in _told(c, measured).tolist()]


def _field_rule(spec: ConstraintSpec, checks: list[Check]) -> str:
    """The field rule in words, as a planner reads it: ``must be one of 'kommun'``."""
    if spec.min is not None and spec.max is not None:
        return f"must be from {spec.min:g} to {spec.max:g}"
    c = checks[-1]
    vals = c.bound if isinstance(c.bound, tuple) else ()
    return {
        "equals": lambda: f"must be {_t(c.bound)!r}",
        "not_equals": lambda: f"must not be {_t(c.bound)!r}",
        "in": lambda: "must be one of " + ", ".join(repr(_t(v)) for v in vals),
        "not_in": lambda: "must not be one of " + ", ".join(repr(_t(v)) for v in vals),
        "min": lambda: f"must be at least {c.bound:g}",
        "max": lambda: f"must be at most {c.bound:g}",
    }[c.rule]()


def constraint_result(spec: ConstraintSpec, measures: SiteMeasures) -> ConstraintResult:
    """Exclude the sites where the condition of ``spec`` fails, with one reason each."""
    n = len(measures.sites)
    checks = evaluate(spec, measures)
    excluded = np.zeros(n, bool)
    reasons = np.full(n, "", dtype=object)
    layer_checks = [c for c in checks if c.rule not in FIELD_RULES]
    for c in layer_checks:
        hit = ~c.holds & ~excluded
        reasons[hit] = _layer_reasons(spec.name, c, c.measured[hit])
        excluded |= ~c.holds
    field_checks = [c for c in checks if c not in layer_checks]
    if field_checks:
        bad = np.zeros(n, bool)
        for c in field_checks:
            bad |= ~c.holds
        rule = _field_rule(spec, field_checks)
        hit = bad & ~excluded
        found = field_checks[0]
        reasons[hit] = [f"{spec.name}: {spec.field} is {_value_text(found.measured[i])} ({rule})"
                        for i in np.flatnonzero(hit)]
        excluded |= bad
    return ConstraintResult(spec.name, excluded, reasons)


def _value_text(v: object) -> str:
    t = _t(v)
    return "missing" if t is None else repr(t)


def layer_constraint(spec: ConstraintSpec, sites: np.ndarray, features: np.ndarray
                     ) -> ConstraintResult:
    """Exclude by share covered (``min/max_share``) or distance (``min/max_distance_m``)."""
    layer = spec.layer or ""
    m = SiteMeasures(sites, {layer: gpd.GeoDataFrame(geometry=features)})
    return constraint_result(spec, m)


def attribute_constraint(spec: ConstraintSpec, column: pd.Series) -> ConstraintResult:
    """Exclude by a condition on a column of the sites layer.

    ``equals``/``not_equals``/``in``/``not_in`` compare as text (``true`` matches a
    boolean column); ``min``/``max`` compare numbers. A site with no value fails the
    condition (it cannot be shown to meet it).
    """
    col = column.reset_index(drop=True)
    m = SiteMeasures(np.empty(len(col), dtype=object), {}, pd.DataFrame({spec.field: col}))
    return constraint_result(spec, m)


Reasons = defaultdict[int, list[str]]  # site position -> the reasons it is excluded (only excluded sites)


def reason_text(reasons: Reasons, n: int) -> np.ndarray:
    """``excluded_by`` for ``n`` sites: each site's reasons, ``; ``-separated ("" when none)."""
    text = np.full(n, "", dtype=object)
    for i, r in reasons.items():
        text[i] = "; ".join(r)
    return text


def add_exclusions(res: Any, excluded: np.ndarray, reasons: Reasons) -> None:
    """Mark the sites a constraint excludes and add its reason to theirs (in place)."""
    excluded |= res.excluded
    for i in np.flatnonzero(res.excluded).tolist():
        reasons[i].append(res.reasons[i])


