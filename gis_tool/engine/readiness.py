"""Readiness (markberedskap): how soon a company could build on each site.

A site's readiness level is the highest level of the ladder whose conditions all hold
(level 0 has none). Conditions are the constraint vocabulary read the other way round
(:mod:`gis_tool.conditions`). From the levels come the lead time per site, the cost and
months to make a site build-ready (from unit rates for the top level's conditions), the
land-supply balance per level (``supply.csv``) and the "plan next" priorities.

Months to ready: the unmet conditions of the top level are worked on **in parallel** by
default, so a site is ready when the slowest is done (the maximum of their months);
``schedule = "sequence"`` adds them up instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..spec.readiness import ReadinessSpec
from .conditions import Check, SiteMeasures, all_hold, evaluate

COMPUTED_FIELDS = ("area_m2",)  # besides <criterion>_raw: columns a condition may read


@dataclass
class Readiness:
    """Readiness of every site, in site order.

    Attributes
    ----------
    level, lead_time_months
        Per site: the highest level whose conditions all hold, and its lead time.
    label
        Per site: the level's label in the run's language.
    checks
        Per level (index 0 empty): the checks of its conditions.
    cost_to_ready_sek, months_to_ready
        Per site: what it takes to meet the top level's unmet conditions; NaN where an
        unmet condition has no rate (never 0 for an unknown).
    next_level_needs
        Per site: which conditions of the next level up fail, and by how much.
    unrated
        Conditions of the top level that some site misses and that have no rate.
    """

    spec: ReadinessSpec
    lang: str
    level: np.ndarray
    label: np.ndarray
    lead_time_months: np.ndarray
    checks: list[list[Check]]
    cost_to_ready_sek: np.ndarray
    months_to_ready: np.ndarray
    next_level_needs: np.ndarray
    unrated: list[str] = field(default_factory=list)


def assess(spec: ReadinessSpec, measures: SiteMeasures, area_m2: np.ndarray, lang: str = "sv"
           ) -> Readiness:
    """Level, lead time, cost and months to ready for every site of ``measures``."""
    n = len(measures.sites)
    level = np.zeros(n, dtype=np.int64)
    checks: list[list[Check]] = [[]]
    per_condition: list[tuple[str, list[Check]]] = []
    for i, lv in enumerate(spec.levels[1:], start=1):
        per_condition = [(c.layer or c.field or "", evaluate(c, measures)) for c in lv.when]
        lv_checks = [ck for _, cks in per_condition for ck in cks]
        checks.append(lv_checks)
        level[all_hold(lv_checks, n)] = i  # later (higher) levels overwrite: the highest wins
    labels = np.array([lv.label_in(lang) for lv in spec.levels], dtype=object)[level]
    lead = np.array([lv.lead_time_months for lv in spec.levels], dtype=float)[level]
    # per_condition is now the top level's: its conditions, keyed as [readiness.costs] is
    cost, months, unrated = _cost_to_ready(spec, measures, per_condition, area_m2)
    gaps = _next_level_needs(spec, checks, level)
    return Readiness(spec, lang, level, labels, lead, checks, cost, months, gaps, unrated)


def _cost_to_ready(spec: ReadinessSpec, measures: SiteMeasures,
                   top_conditions: list[tuple[str, list[Check]]], area_m2: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    n = len(measures.sites)
    cost = np.zeros(n)
    months = np.zeros(n)
    unrated: list[str] = []
    for key, cks in top_conditions:
        unmet = ~all_hold(cks, n)
        if not unmet.any():
            continue
        rate = spec.costs.get(key)
        if rate is None:
            if spec.costs:  # without any rates there is nothing to warn about
                unrated.append(key)
            cost[unmet] = np.nan
            months[unmet] = np.nan
            continue
        c = np.full(n, rate.sek) + rate.sek_per_m2 * area_m2
        if rate.sek_per_m:
            for ck in cks:
                if ck.rule == "max_distance_m":
                    gap = np.asarray(ck.measured, dtype=float) - float(ck.bound)
                    c = c + rate.sek_per_m * np.clip(gap, 0.0, None)  # NaN: no feature at all
        cost[unmet] += c[unmet]
        m = np.nan if rate.months is None else rate.months
        if spec.schedule == "sequence":
            months[unmet] += m
        else:
            months[unmet] = np.maximum(months[unmet], m)  # NaN (unknown) stays unknown
    return cost, months, unrated


def _next_level_needs(spec: ReadinessSpec, checks: list[list[Check]], level: np.ndarray
                      ) -> np.ndarray:
    """For each site: the failing conditions of the level above it, in words."""
    out = np.full(len(level), "", dtype=object)
    for i in range(1, len(spec.levels)):
        below = np.flatnonzero(level == i - 1)
        if not len(below):
            continue
        failing = [(c, ~c.holds[below]) for c in checks[i]]
        for j, site in enumerate(below):
            parts = [f"{c.requirement()}, is {c.found(int(site))}" for c, bad in failing if bad[j]]
            out[site] = f"level {i} needs " + "; ".join(parts)
    return out


def columns(r: Readiness) -> dict[str, Any]:
    """The per-site output columns of readiness, in order."""
    return {"readiness_level": r.level, "readiness_label": r.label,
            "lead_time_months": r.lead_time_months,
            "cost_to_ready_sek": np.round(r.cost_to_ready_sek, 0),
            "months_to_ready": r.months_to_ready,
            "next_level_needs": r.next_level_needs}


def supply_table(sites: pd.DataFrame, spec: ReadinessSpec, lang: str = "sv",
                 area_ha: np.ndarray | None = None, grid: bool = False) -> pd.DataFrame:
    """Land supply per level (and group): sites and hectares, eligible and cumulative.

    Parameters
    ----------
    sites
        The scored sites with ``readiness_level`` and ``eligible`` (and the ``group_by``
        column when the spec has one).
    spec
        The readiness ladder.
    lang
        Language of the labels.
    area_ha
        The sites' geometric areas in hectares; from ``sites.geometry`` by default.
    grid
        The sites are grid cells: a cell is land only where the ladder's first level
        holds, so level-0 cells (the rest of the municipality) count as no supply; their
        row shows 0.

    Returns
    -------
    pandas.DataFrame
        One row per level (per group and level): ``level``, ``label``, ``sites``,
        ``area_ha``, ``eligible_sites``, ``eligible_area_ha``, ``cumulative_eligible_ha``
        (eligible hectares at this level or higher) and, with a demand,
        ``years_of_supply``.
    """
    ha = np.asarray(sites.geometry.area / 1e4 if area_ha is None else area_ha, dtype=float)
    df = pd.DataFrame({"level": sites["readiness_level"].to_numpy(dtype=int), "ha": ha,
                       "eligible": sites["eligible"].to_numpy(dtype=bool)})
    if grid:
        df = df[df["level"] >= 1]
    groups: list[Any] = [None]
    if spec.group_by:
        df["group"] = sites[spec.group_by].to_numpy(dtype=object)
        groups = sorted(df["group"].dropna().unique().tolist(), key=str)
        if df["group"].isna().any():
            groups.append(None)
    rows = []
    for g in groups:
        part = df if not spec.group_by else df[df["group"].isna() if g is None else df["group"] == g]
        for lv in range(len(spec.levels)):
            at = part[part["level"] == lv]
            el = at[at["eligible"]]
            higher = part[(part["level"] >= lv) & part["eligible"]]
            row: dict[str, Any] = {"level": lv, "label": spec.levels[lv].label_in(lang), "sites": len(at),
                   "area_ha": round(float(at["ha"].sum()), 2), "eligible_sites": len(el),
                   "eligible_area_ha": round(float(el["ha"].sum()), 2),
                   "cumulative_eligible_ha": round(float(higher["ha"].sum()), 2)}
            if spec.group_by:
                row = {"group": g, **row}
            if spec.demand_ha_per_year:
                row["years_of_supply"] = round(float(higher["ha"].sum()) / spec.demand_ha_per_year, 2)
            rows.append(row)
    return pd.DataFrame(rows)


def target_status(sites: pd.DataFrame, spec: ReadinessSpec, area_ha: np.ndarray | None = None
                  ) -> dict[str, Any] | None:
    """Whether the eligible hectares at the target level or higher meet the target."""
    if spec.target_level is None or spec.target_min_eligible_ha is None:
        return None
    ha = np.asarray(sites.geometry.area / 1e4 if area_ha is None else area_ha, dtype=float)
    ok = (sites["readiness_level"].to_numpy(dtype=int) >= spec.target_level) & \
        sites["eligible"].to_numpy(dtype=bool)
    have = round(float(ha[ok].sum()), 2)
    want = spec.target_min_eligible_ha
    return {"level": spec.target_level, "label": spec.levels[spec.target_level].label,
            "min_eligible_ha": want, "eligible_ha": have, "met": have >= want,
            "shortfall_ha": round(max(0.0, want - have), 2)}


def high_score(sites: pd.DataFrame, spec: ReadinessSpec) -> float:
    """The score from which a site counts as highly suitable: the set value, or the
    top decile of the eligible sites' scores."""
    if spec.high_score is not None:
        return spec.high_score
    s = sites.loc[sites["eligible"].astype(bool), "score"].dropna()
    return round(float(s.quantile(0.9)), 2) if len(s) else 100.0


def priorities(sites: pd.DataFrame, spec: ReadinessSpec) -> pd.DataFrame:
    """The "plan next" sites: eligible, highly suitable, low on the ladder.

    Ranked by cost per build-ready hectare (what a krona of planning buys; sites without
    a cost figure last), then by score and hectares.
    """
    hi = high_score(sites, spec)
    s = sites[sites["eligible"].astype(bool) & (sites["score"] >= hi)
              & (sites["readiness_level"] <= spec.plan_up_to)]
    ha = s.geometry.area.to_numpy() / 1e4
    out = pd.DataFrame({
        "site_id": s["site_id"].to_numpy(), "score": s["score"].to_numpy(),
        "rank": s["rank"].to_numpy(), "readiness_level": s["readiness_level"].to_numpy(),
        "readiness_label": s["readiness_label"].to_numpy(), "area_ha": np.round(ha, 2),
        "lead_time_months": s["lead_time_months"].to_numpy(),
        "cost_to_ready_sek": s["cost_to_ready_sek"].to_numpy(),
        "months_to_ready": s["months_to_ready"].to_numpy(),
        "cost_per_ha_sek": np.round(s["cost_to_ready_sek"].to_numpy(dtype=float) / ha, 0),
        "next_level_needs": s["next_level_needs"].to_numpy(),
    })
    key = out["cost_per_ha_sek"].fillna(np.inf)
    order = np.lexsort((out["site_id"].astype(str).to_numpy(), -out["area_ha"].to_numpy(),
                        -out["score"].to_numpy(dtype=float), key.to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    out.insert(0, "priority", np.arange(1, len(out) + 1))
    return out

