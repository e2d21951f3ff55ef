"""Live weights in a notebook: sliders and a profile picker that re-score as they move.

``Explorer(result)`` (or ``result.explore()``) shows a slider per criterion weight, a
profile picker, a ranking table and the map. Every change goes through
:meth:`gis_tool.pipeline.Result.rescore`, so what the table shows is exactly what
``rescore`` returns for those weights; nothing is measured again.

The map is the same self-contained page as ``map.html`` (Leaflet on a canvas). Measured
here: the demo's 3 570 sites redraw in well under a second; a 100 000-site page weighs
28 MB and loads in 7-9 s, so above ``MAP_MAX_SITES`` sites the explorer maps only the
best ones. lonboard was measured too (benchmarks/README.md): smaller pages at 100 000
sites, but its page loads scripts from CDNs and has no score popups, so it is not used.
"""

from __future__ import annotations

import dataclasses
import html
from typing import Any

import pandas as pd

from ..errors import GisToolError
from .maps import site_map

MAP_MAX_SITES = 20_000   # map the best this many sites (a browser holds about this many)
TABLE_ROWS = 15


def _widgets() -> Any:
    try:
        import ipywidgets
    except ImportError:  # pragma: no cover - depends on the environment
        raise GisToolError("result.explore() needs ipywidgets: pip install 'gis-tool[notebook]'") from None
    return ipywidgets


class Explorer:
    """Weight sliders, a profile picker, a ranking table and a map for one run.

    Attributes
    ----------
    result
        The current (re-scored) result.
    sliders
        One ``FloatSlider`` per criterion: its relative weight.
    profile
        ``Dropdown`` of the analysis's profiles ("base" for none).
    table, map
        ``HTML`` widgets with the top sites and the map.
    widget
        The whole panel (``VBox``); a notebook displays the Explorer through it.
    """

    def __init__(self, result: Any, *, lang: str = "sv", top: int = TABLE_ROWS, show_map: bool = True):
        w = _widgets()
        self.base = result
        self.result = result
        self.lang = lang
        self.top = top
        self.show_map = show_map
        self._hold = False
        self.sliders = {
            name: w.FloatSlider(value=round(result.weights.values.get(name, 0.0), 3), min=0.0, max=1.0,
                                step=0.01, description=name, continuous_update=False,
                                readout_format=".2f", style={"description_width": "110px"})
            for name in result.criteria
        }
        options = ["base", *result.analysis.profiles]
        self.profile = w.Dropdown(options=options, value=result.profile or "base",
                                  description="profile")
        self.note = w.HTML()
        self.table = w.HTML()
        self.map = w.HTML()
        for s in self.sliders.values():
            s.observe(self._on_weight, names="value")
        self.profile.observe(self._on_profile, names="value")
        controls = w.VBox([self.profile, *self.sliders.values()])
        self.widget = w.VBox([w.HBox([controls, w.VBox([self.note, self.table])]), self.map])
        self._refresh()

    def _ipython_display_(self) -> None:  # pragma: no cover - needs a notebook front end
        from IPython.display import display

        display(self.widget)

    def weights(self) -> dict[str, float]:
        """The sliders' weights (relative; rescore normalises them)."""
        return {k: float(s.value) for k, s in self.sliders.items()}

    def _on_weight(self, change: dict[str, Any]) -> None:
        if self._hold:
            return
        if not any(self.weights().values()):
            self.note.value = "<b>every weight is 0: move one slider up</b>"
            return
        prof = None if self.profile.value == "base" else self.profile.value
        self.result = self.base.rescore(weights=self.weights(), profile=prof)
        self._refresh()

    def _on_profile(self, change: dict[str, Any]) -> None:
        prof = None if change["new"] == "base" else change["new"]
        self.result = self.base.rescore(profile=prof)
        self._hold = True  # move the sliders to the profile's weights without re-scoring each
        try:
            for k, s in self.sliders.items():
                s.value = round(self.result.weights.values.get(k, 0.0), 3)
        finally:
            self._hold = False
        self._refresh()

    def ranking(self) -> pd.DataFrame:
        """The current top sites: id, score, rank, and the base run's rank."""
        top = self.result.top(self.top)[["site_id", "score", "rank"]].copy()
        base = self.base.sites.set_index("site_id")["rank"]
        top["base_rank"] = top["site_id"].map(base)
        return top.reset_index(drop=True)

    def _refresh(self) -> None:
        r = self.ranking()
        rows = "".join(
            f"<tr><td>{int(x['rank'])}</td><td>{html.escape(str(x['site_id']))}</td>"
            f"<td>{x['score']:.1f}</td><td>{'' if pd.isna(x['base_rank']) else int(x['base_rank'])}</td></tr>"
            for _, x in r.iterrows())
        self.table.value = ("<table><tr><th>rank</th><th>site</th><th>score</th><th>published rank</th>"
                            f"</tr>{rows}</table>")
        changed = r["rank"].tolist() != r["base_rank"].tolist()
        self.note.value = ("<i>ranking differs from the published run</i>" if changed else "")
        if self.show_map:
            self.map.value = map_html(self.result, lang=self.lang)


def map_html(result: Any, *, lang: str = "sv", max_sites: int = MAP_MAX_SITES) -> str:
    """The run's map as an iframe for a notebook (the best ``max_sites`` sites at most)."""
    if len(result.sites) > max_sites:
        result = dataclasses.replace(result, sites=result.best_first().head(max_sites))
    return site_map(result, lang=lang)._repr_html_()
