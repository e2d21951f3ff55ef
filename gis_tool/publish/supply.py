"""The land supply after a run as text for the terminal (the table by readiness level,
the years of build-ready land, the target), apart from the charts so that a run that
draws nothing does not load matplotlib."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..text import decimal


def supply_text(sup: pd.DataFrame, lang: str = "en") -> str:
    """The supply table as a short text table for the terminal (totals over groups)."""
    by = sup.groupby(["level", "label"], sort=True)[["sites", "area_ha", "eligible_area_ha"]].sum()
    cum = sup.groupby("level")["cumulative_eligible_ha"].sum()
    lines = [f"  {'level':<5} {'label':<32} {'sites':>6} {'ha':>10} {'eligible ha':>12} {'≥ level ha':>11}"]
    for (lvl, label), row in by.iterrows():
        lines.append(f"  {lvl:<5} {str(label)[:32]:<32} {int(row['sites']):>6} "
                     f"{decimal(row['area_ha'], lang):>10} {decimal(row['eligible_area_ha'], lang):>12} "
                     f"{decimal(cum[lvl], lang):>11}")
    return "\n".join(lines)


def supply_report(result: Any) -> list[str]:
    """The land supply after a run, as lines for the terminal: the table by level, the
    years of build-ready land at the yearly demand, and the target; empty without a ladder."""
    sup = result.supply()
    if sup is None:
        return []
    spec = result.analysis.readiness
    lines = ["land supply by readiness level (supply.csv):", supply_text(sup)]
    if spec.demand_ha_per_year:
        top_ha = float(sup[sup["level"] == spec.top]["cumulative_eligible_ha"].sum())
        lines.append(f"  at {spec.demand_ha_per_year:g} ha a year: {top_ha / spec.demand_ha_per_year:.1f} "
                     f"years of build-ready land (level {spec.top})")
    t = result.supply_target()
    if t is not None:
        verdict = "met" if t["met"] else f"NOT met, {t['shortfall_ha']:.1f} ha short"
        lines.append(f"  target {t['min_eligible_ha']:g} ha at level {t['level']} or higher: "
                     f"{t['eligible_ha']:.1f} ha, {verdict}")
    return lines
