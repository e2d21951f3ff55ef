"""Charts for print (PNG, 200 dpi, Swedish or English): land supply and readiness.

``supply_chart(result)`` and ``readiness_chart(result)`` return matplotlib figures;
``save_chart(fig, path)`` writes one through a temporary file. Drawn with matplotlib's
non-interactive Agg backend, so they work on a server with no screen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..engine import readiness as ready
from ..text import chart_text, decimal, words
from .map_styles import level_colours

DPI = 200
GROUP_COLOURS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                 "#666666", "#1f78b4", "#b2df8a"]
TEXT = words.CHARTS


def supply_chart(result: Any) -> Figure:
    """Eligible hectares per readiness level as bars (stacked by group), with the
    cumulative hectares and the target line. Level 0 is named in a note, not drawn:
    undesignated land would dwarf the supply."""
    spec = result.analysis.readiness
    T = TEXT[result.lang]
    sup = result.supply()
    levels = list(range(1, len(spec.levels)))
    labels = [chart_text(spec.levels[i].label_in(result.lang), 60) for i in levels]
    fig = Figure(figsize=(8.3, 4.8), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(levels))
    bottom = np.zeros(len(levels))
    if spec.group_by:
        for k, (g, part) in enumerate(sup.groupby(sup["group"].fillna(T["other"]), sort=False)):
            ha = part.set_index("level")["eligible_area_ha"].reindex(levels).fillna(0).to_numpy()
            ax.bar(x, ha, 0.6, bottom=bottom, label=chart_text(g), color=GROUP_COLOURS[k % len(GROUP_COLOURS)])
            bottom += ha
        total = sup.groupby("level")["eligible_area_ha"].sum()
    else:
        total = sup.set_index("level")["eligible_area_ha"]
        ha = total.reindex(levels).fillna(0).to_numpy()
        ax.bar(x, ha, 0.6, color=level_colours(len(spec.levels))[1:])
        bottom = ha
    cum = np.cumsum(total.reindex(levels).fillna(0).to_numpy()[::-1])[::-1]
    ax.plot(x, cum, "o-", color="#333333", lw=1.5, label=T["cumulative"])
    for xi, c in zip(x, cum):
        ax.annotate(decimal(c, result.lang, 0), (xi, c), textcoords="offset points", xytext=(0, 6),
                    ha="center", fontsize=8)
    target = result.supply_target()
    if target is not None:
        status = T["met"] if target["met"] else T["short"].format(ha=decimal(target["shortfall_ha"], result.lang))
        ax.axhline(target["min_eligible_ha"], color="#c0392b", ls="--", lw=1.2,
                   label=T["target"].format(ha=decimal(target["min_eligible_ha"], result.lang, 0),
                                            lv=target["level"]) + f" ({status})")
    ax.set_xticks(x, [_wrap(s) for s in labels], fontsize=8)
    ax.set_ylabel(T["ha"])
    ax.set_title(T["supply_title"], fontsize=11, loc="left")
    level0 = float(total.get(0, 0.0))
    ax.text(0.0, -0.22, T["level0"].format(label=chart_text(spec.levels[0].label_in(result.lang), 60),
                                           ha=decimal(level0, result.lang, 0)),
            transform=ax.transAxes, fontsize=7, color="#555555")
    ax.legend(fontsize=7, frameon=False, loc="upper right")
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_ylim(0, max(float(cum.max()) if len(cum) else 1.0,
                       target["min_eligible_ha"] if target else 0.0) * 1.18 + 1)
    return fig


def _wrap(s: str, width: int = 16) -> str:
    words, lines, line = s.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join([*lines, line])


def readiness_chart(result: Any) -> Figure:
    """Each eligible site as a dot: suitability (x) against readiness level (y), sized by
    area, with the "market now" and "plan next" quadrants named."""
    spec = result.analysis.readiness
    T = TEXT[result.lang]
    s = result.sites[result.sites["eligible"].astype(bool)]
    hi = ready.high_score(result.sites, spec)
    rng = np.random.default_rng(0)  # jitter only, fixed so that the chart is reproducible
    lv = s["readiness_level"].to_numpy(dtype=float)
    y = lv + rng.uniform(-0.28, 0.28, len(s))
    ha = s.geometry.area.to_numpy() / 1e4
    size = 4 + 60 * np.sqrt(ha / max(float(ha.max()) if len(ha) else 1.0, 1e-9))
    colours = np.array(level_colours(len(spec.levels)))[lv.astype(int)]
    fig = Figure(figsize=(8.3, 5.2), layout="constrained")
    ax = fig.subplots()
    ax.scatter(s["score"].to_numpy(dtype=float), y, s=size, c=colours, alpha=0.75,
               edgecolors="#444444", linewidths=0.3)
    top = spec.top
    ax.axvline(hi, color="#555555", ls="--", lw=1)
    ax.text(hi, top + 0.62, " " + T["high"].format(s=decimal(hi, result.lang, 0)), fontsize=7, color="#555555",
            va="bottom")
    # The named quadrants: high score (right of the line) and high or low on the ladder.
    ax.axhspan(spec.market_from - 0.45, top + 0.45, xmin=hi / 100, xmax=1, color="#41ab5d", alpha=0.08)
    ax.axhspan(-0.45, spec.plan_up_to + 0.45, xmin=hi / 100, xmax=1, color="#fec44f", alpha=0.12)
    ax.text(99, top + 0.35, T["market_now"], ha="right", va="top", fontsize=10, weight="bold", color="#006d2c")
    ax.text(99, -0.4, T["plan_next"], ha="right", va="bottom", fontsize=10, weight="bold", color="#b35806")
    ax.set_yticks(range(len(spec.levels)), [f"{i} {_wrap(chart_text(lv.label_in(result.lang), 60), 22)}"
                                            for i, lv in enumerate(spec.levels)], fontsize=7)
    ax.set_ylim(-0.6, top + 0.8)
    ax.set_xlim(0, 100)
    ax.set_xlabel(T["score"])
    ax.set_ylabel(T["level"])
    ax.set_title(T["ready_title"], fontsize=11, loc="left")
    ax.text(1.0, -0.12, T["size"], transform=ax.transAxes, ha="right", fontsize=7, color="#555555")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def stability_chart(sens: Any, lang: str = "sv", n: int | None = None) -> Figure:
    """The rank range (5th to 95th percentile, median dot) of the top sites under weight
    uncertainty, with the rank under the chosen weights as a cross."""
    T = words.STABILITY[lang]
    s = sens.stability.head(n or max(sens.top, 10))
    fig = Figure(figsize=(8.3, 0.9 + 0.32 * len(s)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(s))[::-1]
    ax.hlines(y, s["rank_p05"], s["rank_p95"], color="#2c7fb8", lw=4, alpha=0.5, label=T["range"])
    ax.plot(s["median_rank"], y, "o", color="#253494", label=T["median"])
    ax.plot(s["rank"], y, "x", color="#c0392b", ms=7, label=T["chosen"])
    ax.axvline(sens.top + 0.5, color="#555555", ls=":", lw=1)
    ax.set_yticks(y, [f"{r}. {chart_text(i, 30)}" for r, i in zip(s["rank"], s["site_id"])], fontsize=7)
    ax.set_xlabel(T["rank"])
    ax.set_xlim(0.5, max(float(s["rank_p95"].max()), sens.top) + 1)
    ax.set_title(T["title"].format(r=sens.runs), fontsize=11, loc="left")
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def bump_chart(cmp: pd.DataFrame, top: int = 10, lang: str = "sv") -> Figure:
    """Ranks across the base weights and the profiles for every site that reaches the top N
    in any of them (a bump chart: lines cross where profiles disagree)."""
    T = words.BUMP[lang]
    cols = [c for c in cmp.columns if c.startswith("rank_")]
    ranks = cmp[cols].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    show = (ranks <= top).any(axis=1)
    fig = Figure(figsize=(8.3, 5.6), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(cols))
    beyond = top * 2 + 1   # ranks past 2N (or excluded) sit on one line at the bottom
    for k, (sid, row) in enumerate(zip(cmp["site_id"][show], ranks[show])):
        col = GROUP_COLOURS[k % len(GROUP_COLOURS)]
        vis = np.where(np.isnan(row) | (row > beyond), beyond, row)
        ax.plot(x, vis, "-", color=col, lw=1.4, alpha=0.8)
        ax.scatter(x, vis, color=col, s=16, zorder=3)
        best = int(np.nanargmin(np.where(np.isnan(row), np.inf, row)))
        ax.annotate(chart_text(sid, 30), (x[best], vis[best]), xytext=(5, 2), textcoords="offset points",
                    fontsize=5.5, color=col)
    ax.set_xticks(x, [chart_text(c.removeprefix("rank_"), 24) for c in cols])
    ticks = list(range(1, beyond, max(1, top // 5))) + [beyond]
    ax.set_yticks(ticks, [str(t) for t in ticks[:-1]] + [f"> {beyond - 1}"])
    ax.set_ylim(beyond + 0.5, 0.5)
    ax.axhline(top + 0.5, color="#555555", ls=":", lw=1)
    ax.set_xlim(-0.3, len(cols) - 0.2)
    ax.set_ylabel(T["rank"])
    ax.set_title(T["title"].format(n=top), fontsize=11, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def save_chart(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as a PNG at print resolution, through a temporary file; close it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=DPI, format="png")
    tmp.replace(path)
    return path
