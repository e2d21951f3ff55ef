"""The ``[readiness]`` table of an analysis file: the ladder, supply settings and cost rates.

Parsed by :mod:`gis_tool.config` with the same reader as the rest of the file, so a
problem here is reported with its key path alongside every other problem.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import closest, valid_list
from .reader import Reader

READINESS_KEYS = {"levels", "demand_ha_per_year", "group_by", "target", "costs", "schedule",
                  "quadrants"}
LEVEL_KEYS = {"label", "lead_time_months", "when", "description"}
TARGET_KEYS = {"level", "min_eligible_ha"}
COST_KEYS = {"sek", "sek_per_m2", "sek_per_m", "months"}
QUADRANT_KEYS = {"high_score", "market_level", "plan_level"}
SCHEDULES = ("levels", "parallel", "sequence")   # levels: a level's steps at once, levels one after another


@dataclass(frozen=True)
class LevelSpec:
    """One rung of the ladder: a label per language, a lead time, and its conditions."""

    label: Mapping[str, str]
    lead_time_months: float
    when: tuple = ()  # of ConstraintSpec: the shared condition vocabulary

    def label_in(self, lang: str) -> str:
        return str(self.label.get(lang) or next(iter(self.label.values())))


@dataclass(frozen=True)
class CostRate:
    """Unit rates for meeting one condition of the ladder (a step on the path)."""

    sek: float = 0.0
    sek_per_m2: float = 0.0
    sek_per_m: float = 0.0
    months: float | None = None
    has_sek: bool = True   # False when the rate gives only months (the step's cost is unknown)


@dataclass(frozen=True)
class ReadinessSpec:
    """The readiness ladder (level 0 first) and the land-supply settings."""

    levels: tuple[LevelSpec, ...]
    demand_ha_per_year: float | None = None
    group_by: str | None = None
    target_level: int | None = None
    target_min_eligible_ha: float | None = None
    costs: Mapping[str, CostRate] = field(default_factory=lambda: MappingProxyType({}))
    schedule: str = "levels"
    high_score: float | None = None
    market_level: int | None = None
    plan_level: int | None = None

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    @property
    def market_from(self) -> int:
        """Levels at or above this count as "market now" (default: the top two)."""
        return self.market_level if self.market_level is not None else max(1, self.top - 1)

    @property
    def plan_up_to(self) -> int:
        """Levels at or below this count as "plan next" (default: every level below
        "market now", so that each level is in one box: 0-3 on a 0..5 ladder)."""
        if self.plan_level is not None:
            return self.plan_level
        return max(0, self.market_from - 1)

    def condition_keys(self, level: int) -> list[str]:
        """The layer or field each condition of ``level`` reads (the keys of ``costs``)."""
        return [c.layer or c.field or "" for c in self.levels[level].when]


def parse_readiness(r: Reader, data: dict,
                    parse_condition: Callable[[str, dict, str], Any]) -> ReadinessSpec | None:
    """Validate ``[readiness]``; ``parse_condition`` reads one condition like a constraint."""
    if not data:
        return None
    r.keys(data, "readiness", READINESS_KEYS)
    raw_levels = data.get("levels")
    if not isinstance(raw_levels, list) or not raw_levels:
        r.err("readiness.levels", "needs at least two levels ([[readiness.levels]] tables, level "
                                  "0 first); level 0 has no conditions")
        return None
    levels = [_parse_level(r, i, lv, parse_condition) for i, lv in enumerate(raw_levels)]
    if len(levels) < 2:
        r.err("readiness.levels", "needs at least two levels: level 0 (no conditions) and a "
                                  "level with conditions")
    good = [lv for lv in levels if lv is not None]
    if len(good) != len(levels):
        return None
    for i in range(1, len(good)):
        if good[i].lead_time_months > good[i - 1].lead_time_months:
            r.err(f"readiness.levels[{i}].lead_time_months",
                  f"is {good[i].lead_time_months:g}, more than level {i - 1}'s "
                  f"{good[i - 1].lead_time_months:g}; a higher level is closer to build-ready, so "
                  "its lead time must not rise")
    target = r.table(data.get("target"), "readiness.target")
    r.keys(target, "readiness.target", TARGET_KEYS)
    top = len(good) - 1
    t_level = r.number(target, "level", "readiness.target", minimum=0, maximum=top, integer=True)
    t_ha = r.number(target, "min_eligible_ha", "readiness.target", minimum=0)
    if target and (t_level is None or t_ha is None):
        r.err("readiness.target", "needs both 'level' and 'min_eligible_ha', e.g. "
                                  "target = { level = 5, min_eligible_ha = 20 }")
    quad = r.table(data.get("quadrants"), "readiness.quadrants")
    r.keys(quad, "readiness.quadrants", QUADRANT_KEYS)
    spec = ReadinessSpec(
        levels=tuple(good),
        demand_ha_per_year=r.number(data, "demand_ha_per_year", "readiness", positive=True),
        group_by=r.text(data, "group_by", "readiness"),
        target_level=None if t_level is None else int(t_level), target_min_eligible_ha=t_ha,
        schedule=r.choice(data, "schedule", "readiness", SCHEDULES, "levels") or "levels",
        high_score=r.number(quad, "high_score", "readiness.quadrants", minimum=0, maximum=100),
        market_level=_int(r.number(quad, "market_level", "readiness.quadrants", minimum=0, maximum=top,
                                   integer=True)),
        plan_level=_int(r.number(quad, "plan_level", "readiness.quadrants", minimum=0, maximum=top,
                                 integer=True)),
    )
    costs = _parse_costs(r, r.table(data.get("costs"), "readiness.costs"), spec)
    return dataclasses.replace(spec, costs=MappingProxyType(costs))


def _int(v: float | None) -> int | None:
    return None if v is None else int(v)


def _parse_level(r: Reader, i: int, data: Any, parse_condition: Callable[[str, dict, str], Any]
                 ) -> LevelSpec | None:
    key = f"readiness.levels[{i}]"
    data = r.table(data, key)
    r.keys(data, key, LEVEL_KEYS)
    label = data.get("label")
    ok = True
    if isinstance(label, str) and label.strip():
        label = {"sv": label, "en": label}
    elif isinstance(label, dict) and label and all(isinstance(v, str) and v.strip() for v in label.values()):
        for k in label:
            if k not in ("sv", "en"):
                r.err(f"{key}.label.{k}", f"unknown language{closest(k, ('sv', 'en'))}; use 'sv' and 'en'")
                ok = False
    else:
        r.err(key, "needs a 'label': text, or label = { sv = \"Byggklar\", en = \"Build-ready\" }")
        ok = False
    lead = r.number(data, "lead_time_months", key, minimum=0)
    if "lead_time_months" not in data:
        r.err(key, "needs 'lead_time_months', how long until a company could build at this level")
    when = data.get("when", [])
    if not isinstance(when, list):
        r.err(f"{key}.when", "must be a list of conditions, e.g. when = [{ layer = \"plans\", "
                             "min_share = 0.5 }]")
        when = []
    if i == 0 and when:
        r.err(f"{key}.when", "level 0 is where every site starts and has no conditions; move "
                             "them to level 1")
    if i > 0 and not when:
        r.err(key, f"level {i} needs 'when' conditions (without any, every site would reach it)")
    conds = tuple(parse_condition(f"level {i}", r.table(c, f"{key}.when[{j}]"), f"{key}.when[{j}]")
                  for j, c in enumerate(when))
    if not ok or lead is None:
        return None
    return LevelSpec(label=MappingProxyType(dict(label)), lead_time_months=lead, when=conds)


def _parse_costs(r: Reader, data: dict, spec: ReadinessSpec) -> dict[str, CostRate]:
    """Rates keyed by a condition's layer or field, of any level (DESIGN 3.12)."""
    conds: dict[str, list[Any]] = {}
    for lv in range(1, len(spec.levels)):
        for key, cond in zip(spec.condition_keys(lv), spec.levels[lv].when):
            conds.setdefault(key, []).append(cond)
    out = {}
    for name, rate in data.items():
        key = f"readiness.costs.{name}"
        rate = r.table(rate, key)
        r.keys(rate, key, COST_KEYS)
        if name not in conds:
            r.err(key, f"names no condition of the ladder{closest(name, conds)}; rates are keyed by a "
                       f"condition's layer or field: {valid_list(conds)}")
            continue
        nums = {k: r.number(rate, k, key, minimum=0) for k in COST_KEYS}
        if not any(k in rate for k in ("sek", "sek_per_m2", "sek_per_m", "months")):
            r.err(key, "give 'sek', 'sek_per_m2', 'sek_per_m' and/or 'months'")
        if "sek_per_m" in rate and all(c.max_distance_m is None for c in conds[name]):
            r.err(f"{key}.sek_per_m", "applies only to a max_distance_m condition (metres beyond "
                                      "the allowed distance); use 'sek' or 'sek_per_m2'")
        out[name] = CostRate(sek=nums["sek"] or 0.0, sek_per_m2=nums["sek_per_m2"] or 0.0,
                             sek_per_m=nums["sek_per_m"] or 0.0, months=nums["months"],
                             has_sek=any(k in rate for k in ("sek", "sek_per_m2", "sek_per_m")))
    return out
