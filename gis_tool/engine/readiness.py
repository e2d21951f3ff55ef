"""Readiness (markberedskap): how soon a company could build on each site.

A site's readiness level is the highest level of the ladder whose conditions all hold
(level 0 has none). Conditions are the constraint vocabulary read the other way round
(:mod:`gis_tool.conditions`). From the levels come the lead time per site, the cost and
months to make a site build-ready (from unit rates for the top level's conditions), the
land-supply balance per level (``supply.csv``) and the "plan next" priorities.

The path to build-ready (DESIGN 3.12): a site at level k still has to meet the conditions
of levels k+1 up to build-ready (the top level, or ``[readiness] target``'s) that it does
not meet. Each is a **step**, placed at the lowest level on the path that has it (a key on
several levels is one step, with the strictest bound), priced from ``[readiness.costs]``
(keyed by the condition's layer or field). The steps of one level run in parallel (the
level takes its longest step) and the levels in sequence; ``schedule = "parallel"`` runs
every step at once, ``"sequence"`` adds them all. A step without ``months`` takes the
ladder's own estimate for its level, ``lead_time(level - 1) - lead_time(level)``.
``cost_to_ready_sek`` is the sum of the steps' SEK, unknown (NaN, never 0) when a step has
no SEK rate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..spec.readiness import ReadinessSpec
from ..text import in_language, integer, minutes, money, number, percent, words
from .conditions import Check, SiteMeasures, all_hold, as_text, evaluate

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
        Per site: what the path to build-ready takes; the cost is NaN where a step has no
        SEK rate (never 0 for an unknown).
    steps_to_ready
        Per site: the steps in order, in words, with their months and cost.
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
    steps_to_ready: np.ndarray | None = None


def assess(spec: ReadinessSpec, measures: SiteMeasures, area_m2: np.ndarray, lang: str = "sv",
           names: dict[str, Any] | None = None) -> Readiness:
    """Level, lead time, cost and months to ready for every site of ``measures``; ``names``
    are the labels of the layers and fields the conditions read (for the steps in words)."""
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
    path = _path(spec, measures, level, area_m2, lang, names or {})
    gaps = _next_level_needs(spec, checks, level, lang, names or {})
    return Readiness(spec, lang, level, labels, lead, checks, path.cost, path.months, gaps, path.unrated,
                     path.text)


@dataclass
class _Path:
    cost: np.ndarray
    months: np.ndarray
    text: np.ndarray
    unrated: list[str]


def _path(spec: ReadinessSpec, measures: SiteMeasures, level: np.ndarray, area_m2: np.ndarray,
          lang: str, names: dict[str, Any]) -> _Path:
    """Cost, months and steps from each site's level to build-ready (DESIGN 3.12)."""
    n = len(level)
    goal = spec.target_level if spec.target_level is not None else spec.top
    lead = [lv.lead_time_months for lv in spec.levels]
    holds: dict[tuple[str, int], tuple[np.ndarray, list[Check], Any]] = {}
    for lv in range(1, goal + 1):
        for key, cond in zip(spec.condition_keys(lv), spec.levels[lv].when):
            cks = evaluate(cond, measures)
            prev = holds.get((key, lv))
            ok = all_hold(cks, n) if prev is None else prev[0] & all_hold(cks, n)
            holds[(key, lv)] = (ok, (prev[1] if prev else []) + cks, cond)
    cost, months = np.zeros(n), np.zeros(n)
    text = np.full(n, "", dtype=object)
    unrated: set[str] = set()
    W = words.READINESS[lang]
    for k in range(goal):
        sites = np.flatnonzero(level == k)
        if not len(sites):
            continue
        steps = []   # (level placed at, key, unmet mask over `sites`, checks)
        seen: set[str] = set()
        for lv in range(k + 1, goal + 1):
            for key in dict.fromkeys(spec.condition_keys(lv)):
                if key in seen:
                    continue
                seen.add(key)
                on_path = [holds[(key, L)] for L in range(k + 1, goal + 1) if (key, L) in holds]
                ok = np.logical_and.reduce([h[0][sites] for h in on_path])
                steps.append((lv, key, ~ok, [c for h in on_path for c in h[1]], on_path[0][2]))
        level_months: dict[int, np.ndarray] = {}
        sub_cost, sub_months = np.zeros(len(sites)), np.zeros(len(sites))
        sub_text = np.full(len(sites), "", dtype=object)
        for lv, key, unmet, cks, cond in steps:
            if not unmet.any():
                continue
            rate = spec.costs.get(key)
            if (rate is None or not rate.has_sek) and spec.costs:
                unrated.add(key)
            sek = _step_sek(rate, cks, sites, area_m2)
            m = rate.months if rate is not None and rate.months is not None else lead[lv - 1] - lead[lv]
            sub_cost = np.where(unmet, sub_cost + sek, sub_cost)
            if spec.schedule == "parallel":
                sub_months = np.where(unmet, np.maximum(sub_months, m), sub_months)
            elif spec.schedule == "sequence":
                sub_months = np.where(unmet, sub_months + m, sub_months)
            else:
                cur = level_months.get(lv, np.zeros(len(sites)))
                level_months[lv] = np.where(unmet, np.maximum(cur, m), cur)
            name = in_language(getattr(cond, "label", None) or names.get(key), lang, key)
            said = [W["step"].format(step=_step_name(name, cks, int(sites[i])), m=number(m, lang),
                                     c=money(c, lang) if np.isfinite(c) else "?")
                    for i, c in zip(np.flatnonzero(unmet), sek[unmet])]
            sub_text[unmet] = [t + (" → " if t else "") + x for t, x in zip(sub_text[unmet], said)]
        if spec.schedule not in ("parallel", "sequence"):   # "levels": a level's longest step, levels added
            sub_months = sum(level_months.values(), np.zeros(len(sites)))
        cost[sites], months[sites], text[sites] = sub_cost, sub_months, sub_text
    return _Path(cost, months, text, sorted(unrated))


def _step_sek(rate: Any, cks: list[Check], sites: np.ndarray, area_m2: np.ndarray) -> np.ndarray:
    """What a step costs at each of ``sites``: NaN when its rate gives no SEK."""
    if rate is None or not rate.has_sek:
        return np.full(len(sites), np.nan)
    c = rate.sek + rate.sek_per_m2 * area_m2[sites]
    if rate.sek_per_m:
        for ck in cks:
            if ck.rule == "max_distance_m":
                gap = np.asarray(ck.measured, dtype=float)[sites] - float(ck.bound)
                c = c + rate.sek_per_m * np.clip(gap, 0.0, None)  # NaN: no feature at all
    return np.asarray(c, dtype=float)


def _step_name(name: str, cks: list[Check], i: int) -> str:
    """A step's name; for a distance, how far off the site is: ``VA 240 m``."""
    for ck in cks:
        if ck.rule == "max_distance_m":
            d = float(np.asarray(ck.measured, dtype=float)[i]) - float(ck.bound)
            if np.isfinite(d) and d > 0:
                return f"{name} {integer(d)} m"
    return name


def _next_level_needs(spec: ReadinessSpec, checks: list[list[Check]], level: np.ndarray, lang: str,
                      names: dict[str, Any]) -> np.ndarray:
    """For each site: the failing conditions of the level above it, in words and in the
    run's language ("nivå 4 kräver Ägare är kommun, nu privat"), never as code."""
    W = words.CONDITIONS[lang]
    out = np.full(len(level), "", dtype=object)
    for i in range(1, len(spec.levels)):
        below = np.flatnonzero(level == i - 1)
        if not len(below):
            continue
        failing = [(c, ~c.holds[below]) for c in checks[i]]
        for j, site in enumerate(below):
            parts = [f"{said(c, lang, names)}{W['now'].format(v=found(c, int(site), lang))}"
                     for c, bad in failing if bad[j]]
            out[site] = W["needs"].format(level=i) + "; ".join(parts)
    return out


def said(c: Check, lang: str, names: dict[str, Any]) -> str:
    """A condition in words: ``VA-ledningar inom 100 m``, ``Ägare är kommun``."""
    W = words.CONDITIONS[lang]
    subject = in_language(names.get(c.subject), lang, c.subject)
    b = c.bound
    if c.rule in ("min_share", "max_share"):
        value = percent(float(b), lang)
    elif c.rule in ("min_distance_m", "max_distance_m"):
        value = f"{integer(float(b), lang)} m"
    elif c.rule == "max_minutes":
        value = minutes(float(b), lang)
    elif c.rule in ("in", "not_in"):
        value = W["or"].join(str(as_text(v)) for v in b)
    elif c.rule in ("min", "max"):
        value = number(float(b), lang)
    else:
        value = str(as_text(b))
    return W[c.rule].format(s=subject, b=value)


def found(c: Check, i: int, lang: str) -> str:
    """What site ``i`` has instead: ``340 m``, ``12 %``, ``privat``, ``saknas``."""
    W = words.CONDITIONS[lang]
    v = c.measured[i]
    if c.rule in ("min_share", "max_share"):
        return percent(float(v), lang)
    if c.rule in ("min_distance_m", "max_distance_m"):
        return f"{integer(float(v), lang)} m" if np.isfinite(v) else W["none_in"]
    if c.rule == "max_minutes":
        return minutes(float(v), lang) if np.isfinite(v) else W["none_in"]
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return W["missing"]
    return number(float(v), lang) if c.rule in ("min", "max") else str(as_text(v))


def columns(r: Readiness) -> dict[str, Any]:
    """The per-site output columns of readiness, in order."""
    return {"readiness_level": r.level, "readiness_label": r.label,
            "lead_time_months": r.lead_time_months,
            "cost_to_ready_sek": np.round(r.cost_to_ready_sek, 0),
            "months_to_ready": r.months_to_ready,
            "steps_to_ready": r.steps_to_ready if r.steps_to_ready is not None else np.full(len(r.level), ""),
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
        "steps_to_ready": s["steps_to_ready"].to_numpy() if "steps_to_ready" in s.columns else "",
        "next_level_needs": s["next_level_needs"].to_numpy(),
    })
    key = out["cost_per_ha_sek"].fillna(np.inf)
    order = np.lexsort((out["site_id"].astype(str).to_numpy(), -out["area_ha"].to_numpy(),
                        -out["score"].to_numpy(dtype=float), key.to_numpy()))
    out = out.iloc[order].reset_index(drop=True)
    out.insert(0, "priority", np.arange(1, len(out) + 1))
    return out

