"""programme.png: the build-ready stock per year with and without the land programme, the
target, and what the programme spends each year."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..studies.programme import Programme
from ..text import decimal, words


def programme_chart(p: Programme, lang: str = "sv") -> Figure:
    """Stock lines (with and without the programme), the target as a dashed line, the
    years short shaded, and the spend per year as bars on a second axis (MSEK)."""
    W = words.PROGRAMME[lang]
    st = p.stock
    years = st["year"].to_numpy()
    fig = Figure(figsize=(8.3, 4.8), layout="constrained")
    ax = fig.subplots()
    spend = ax.twinx()
    spend.bar(years, st["spend_sek"].to_numpy(dtype=float) / 1e6, width=0.6, color="#d9d9d9", zorder=1,
              label=W["spend"])
    spend.set_ylabel(W["spend_axis"])
    spend.set_ylim(0, max(1.0, float(st["spend_sek"].max()) / 1e6) * 3)   # bars in the lower third
    ax.set_zorder(spend.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.plot(years, st["stock_without_ha"], "o--", color="#b35806", lw=1.5, label=W["without"])
    ax.plot(years, st["stock_ha"], "o-", color="#006d2c", lw=2.2, label=W["with"])
    ax.axhline(float(st["target_ha"].iloc[0]), color="#333333", ls=":", lw=1.4,
               label=W["target"].format(ha=decimal(float(st["target_ha"].iloc[0]), lang, 0)))
    short = st["shortfall_ha"].to_numpy(dtype=float) > 0
    if short.any():
        ax.scatter(years[short], st["stock_ha"].to_numpy()[short], s=70, facecolors="none", edgecolors="#c0392b",
                   zorder=5, label=W["short"])
    ax.set_xticks(years, [str(y) for y in years])
    ax.set_ylabel(W["stock_axis"])
    title = W["title"].format(a=int(years[0]), b=int(years[-1]), n=len(p.starts),
                              c=decimal(p.total_cost_sek / 1e6, lang, 1))
    ax.set_title(title, fontsize=11, loc="left")
    handles, labels = ax.get_legend_handles_labels()
    h2, l2 = spend.get_legend_handles_labels()
    ax.legend(handles + h2, labels + l2, fontsize=7, framealpha=0.9, loc="center right")
    ax.spines[["top"]].set_visible(False)
    ax.grid(axis="y", color="#eeeeee")
    ax.set_ylim(min(0.0, float(np.nanmin(st[["stock_ha", "stock_without_ha"]].to_numpy())) * 1.1),
                max(float(st["target_ha"].iloc[0]), float(st["stock_ha"].max())) * 1.25 + 1)
    return fig
