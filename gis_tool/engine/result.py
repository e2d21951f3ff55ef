"""A finished analysis as plain data: the scored sites, the measures kept for re-scoring,
and the explanation of each site's score. Showing a map or writing files is done by the
layers above, through functions that take a Result."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import GisToolError, closest
from ..inputs.layers import LayerReport
from ..spec.analysis import Analysis, ConstraintSpec, CriterionSpec
from . import readiness as ready
from .conditions import SiteMeasures
from .constraints import Reasons, add_exclusions, constraint_result, reason_text
from .measures import unit_of
from .network import Network
from .profiles import Profile, resolve, with_weights
from .score import best_first_order, id_order, rank_array, score_arrays
from .weights import Weights


@dataclass
class Explanation:
    """Why a site scored what it did."""

    site_id: str
    score: float | None
    rank: int | None
    eligible: bool
    excluded_by: list[str]
    criteria: list[dict[str, Any]]
    points_to_next_rank: float | None
    points_to_top10: float | None
    readiness: dict[str, Any] | None = None

    def __str__(self) -> str:
        head = f"site {self.site_id}: "
        if not self.eligible:
            head += "excluded: " + "; ".join(self.excluded_by)
        else:
            head += f"score {self.score:.1f}, rank {self.rank}"
        rows = [f"  {c['name']:<20} raw {_raw_text(c['raw']):>12} {c['unit'] or '':<6} value "
                f"{c['value']:.2f} x weight {c['weight']:.3f} = {c['points']:.1f} points"
                for c in self.criteria if c["points"] is not None]
        tail = []
        if self.points_to_next_rank is not None and self.rank is not None:
            tail.append(f"  {self.points_to_next_rank:.1f} points short of rank {self.rank - 1}"
                        if self.points_to_next_rank > 0.05 else f"  tied with rank {self.rank - 1}")
        if self.points_to_top10:
            tail.append(f"  {self.points_to_top10:.1f} points short of the top 10")
        r = self.readiness
        if r is not None:
            tail.append(f"  readiness level {r['level']} ({r['label']}), lead time "
                        f"{r['lead_time_months']:g} months")
            if r["next_level_needs"]:
                tail.append(f"  {r['next_level_needs']}")
            if r.get("steps_to_ready"):
                tail.append(f"  steps to build-ready: {r['steps_to_ready']}")
            if r["cost_to_ready_sek"] is not None and r["cost_to_ready_sek"] > 0:
                tail.append(f"  to build-ready: {r['cost_to_ready_sek']:,.0f} SEK".replace(",", " ")
                            + (f", {r['months_to_ready']:g} months"
                               if r["months_to_ready"] is not None else ""))
        return "\n".join([head, *rows, *tail])


@dataclass
class ScoreCache:
    """What re-scoring needs from a run, so that it never measures again.

    Arrays are in the order of ``Result.sites`` (best first), except ``measures``,
    ``missing_excluded`` and ``missing_reasons``, which are in the order the sites were
    built; ``positions`` maps the first to the second.
    """

    criteria: list[str]
    values: np.ndarray        # n x k values 0..1, unrounded
    tie_key: np.ndarray       # site-id order, the tie-break of ranks
    area: np.ndarray          # m2
    positions: np.ndarray
    measures: SiteMeasures
    missing_excluded: np.ndarray
    missing_reasons: Reasons
    min_area_m2: float

    def take(self, order: np.ndarray) -> ScoreCache:
        """The cache of the sites at ``order`` (a subset keeps its tie-break a permutation)."""
        key = self.tie_key[order]
        dense = np.empty_like(key)
        dense[np.argsort(key, kind="stable")] = np.arange(len(key))
        return dataclasses.replace(self, values=self.values[order], tie_key=dense,
                                   area=self.area[order], positions=self.positions[order])


_KEEP: Any = object()


@dataclass
class Result:
    """A finished analysis: the scored sites and everything needed to explain them."""

    analysis: Analysis
    profile: str | None
    sites: gpd.GeoDataFrame
    weights: Weights
    criteria: dict[str, CriterionSpec]
    constraints: dict[str, ConstraintSpec]
    layers: dict[str, gpd.GeoDataFrame]
    reports: dict[str, LayerReport]
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    missing: dict[str, dict[str, Any]] = field(default_factory=dict)
    dropped_sites: dict[str, int] = field(default_factory=dict)
    lang: str = "sv"
    readiness: ready.Readiness | None = None
    score_cache: ScoreCache | None = field(default=None, repr=False)
    raw_weights: dict[str, float] | None = None   # the weights in the file's units (None for AHP)
    network: Network | None = field(default=None, repr=False)   # the road network, when [network]

    def rescore(self, weights: Mapping[str, float] | None = None, profile: str | None = _KEEP) -> Result:
        """The same sites scored with other weights or another profile, without measuring
        again: raw values, values and constraint measures come from this run.

        Ranks the sites exactly as ``gis-tool run --profile`` does (DESIGN 3.10): the
        profile's constraints and minimum area apply, ranks run 1..n over the eligible sites.

        Parameters
        ----------
        weights
            Weights by criterion in the analysis file's units; a partial dict changes only
            the named criteria, relative to the weights this result was scored with (the
            profile's, when ``profile`` names one). With AHP weights name every criterion.
        profile
            A profile of the analysis (its weights, constraints and minimum area), or None
            for the analysis without a profile. Default: this run's profile. A profile can
            only drop sites: sites a larger minimum area of this run dropped stay out.

        Returns
        -------
        Result
            A new result; this one is unchanged.

        Raises
        ------
        InputError
            For an unknown criterion or profile, a negative, NaN or infinite weight, or
            weights that are all 0.
        """
        c = self.score_cache
        if c is None:
            raise ValueError("this result has no score cache (it was read back from files); "
                             "run the analysis again to re-score it")
        prof = self.profile if profile is _KEEP else profile
        p = resolve(self.analysis, prof)
        if weights is not None:
            base = p if prof != self.profile or self.raw_weights is None else dataclasses.replace(
                p, raw_weights=self.raw_weights)
            w = with_weights(base, self.analysis, weights)
            raw = None if base.raw_weights is None else {**base.raw_weights, **dict(weights)}
        else:
            w, raw = p.weights, p.raw_weights
        out, cache = self.sites, c
        if p.min_area_m2 > c.min_area_m2:   # smaller sites are no candidates: dropped before ranking
            keep = np.flatnonzero(c.area >= p.min_area_m2)
            out = out.iloc[keep]
            cache = dataclasses.replace(c.take(keep), min_area_m2=p.min_area_m2)
        out = out.copy(deep=False)
        if p.constraints == self.constraints:
            excluded = ~out["eligible"].to_numpy(dtype=bool)
        else:
            excluded, reasons = exclusions(p.constraints, cache)
            out["eligible"] = ~excluded
            out["excluded_by"] = reasons
        wv = np.array([w.values.get(n, 0.0) for n in cache.criteria])
        points, score = score_arrays(cache.values, wv, ~excluded)
        rank = rank_array(score, cache.tie_key)
        out["score"] = score
        out["rank"] = pd.arrays.IntegerArray(rank, rank == 0)
        for j, n in enumerate(cache.criteria):
            out[f"{n}_points"] = points[:, j]
        return dataclasses.replace(self, sites=out, weights=w, raw_weights=raw, profile=prof,
                                   constraints=p.constraints, score_cache=cache)

    def resolved_profile(self) -> Profile:
        """This result's profile, resolved (weights, minimum area, constraints)."""
        return resolve(self.analysis, self.profile)

    def map(self, *, lang: str | None = None, top: int = 10) -> Any:
        """The interactive map (a folium map: shown inline in Jupyter, saved with
        :func:`gis_tool.save_map`); the same escaped, self-contained page as map.html.

        A convenience: the map is drawn by the publish layer, found through the
        ``gis_tool.views`` entry point ``map`` (the engine never imports drawing code)."""
        return view("map")(self, lang=lang or self.lang, top=top)

    def explore(self, *, lang: str | None = None, show_map: bool = True) -> Any:
        """Sliders per weight and a profile picker that re-score live (needs ipywidgets).

        Returns a :class:`gis_tool.publish.explore.Explorer` (the ``gis_tool.views`` entry
        point ``explore``); display it in a notebook cell.
        """
        return view("explore")(self, lang=lang or self.lang, show_map=show_map)

    def supply(self) -> pd.DataFrame | None:
        """Land supply per readiness level (``supply.csv``); None without ``[readiness]``."""
        spec = self.analysis.readiness
        return None if spec is None else ready.supply_table(self.sites, spec, self.lang,
                                                             grid=self.analysis.sites.grid is not None)

    def supply_target(self) -> dict[str, Any] | None:
        """Whether the readiness target is met, and the shortfall in hectares."""
        spec = self.analysis.readiness
        return None if spec is None else ready.target_status(self.sites, spec)

    def priorities(self) -> pd.DataFrame | None:
        """The "plan next" sites, cheapest build-ready hectares first (``priorities.csv``)."""
        spec = self.analysis.readiness
        return None if spec is None else ready.priorities(self.sites, spec)

    def explain(self, site_id: str) -> Explanation:
        """Points per criterion, raw values, exclusions and the gap to the next ranks."""
        sid = str(site_id)
        if sid not in self.sites.index:
            raise KeyError(f"no site '{sid}'{closest(sid, self.sites.index[:100000])}")
        row = self.sites.loc[sid]
        rows = []
        for name, spec in self.criteria.items():
            pts = row[f"{name}_points"]
            rows.append({"name": name, "kind": spec.kind, "raw": _num(row[f"{name}_raw"]),
                         "unit": unit_of(spec), "value": _num(row[f"{name}_value"]),
                         "weight": self.weights.values.get(name, 0.0),
                         "points": None if pd.isna(pts) else float(pts)})
        eligible = bool(row["eligible"])
        score = None if pd.isna(row["score"]) else float(row["score"])
        rank = None if pd.isna(row["rank"]) else int(row["rank"])
        to_next = to_top = None
        if eligible and rank is not None:
            by_rank = self.sites.dropna(subset=["rank"]).set_index("rank")["score"]
            if rank > 1:
                to_next = float(by_rank.loc[rank - 1] - score)
            to_top = float(by_rank.loc[10] - score) if rank > 10 and 10 in by_rank.index else 0.0
        excl = [p for p in str(row["excluded_by"]).split("; ") if p]
        rd = None
        if self.readiness is not None:
            rd = {"level": int(row["readiness_level"]), "label": str(row["readiness_label"]),
                  "lead_time_months": float(row["lead_time_months"]),
                  "next_level_needs": str(row["next_level_needs"] or ""),
                  "cost_to_ready_sek": _num(row["cost_to_ready_sek"]),
                  "months_to_ready": _num(row["months_to_ready"]),
                  "steps_to_ready": str(row.get("steps_to_ready", "") or "")}
        return Explanation(sid, score, rank, eligible, excl, rows, to_next, to_top, rd)

    def top(self, n: int = 10) -> gpd.GeoDataFrame:
        """The ``n`` best eligible sites, best first.

        Only the ranks are sorted, and only as far as ``n`` (a copy of a million-row
        table to sort it would take 0.4 s)."""
        rank = self.sites["rank"].to_numpy(dtype=float, na_value=np.nan)
        ranked = np.flatnonzero(~np.isnan(rank))
        n = max(n, 0)
        if n < len(ranked):
            ranked = ranked[np.argpartition(rank[ranked], n)[:n]]
        return self.sites.iloc[ranked[np.argsort(rank[ranked], kind="stable")]]

    def best_first(self) -> gpd.GeoDataFrame:
        """All sites by rank, then the excluded ones by id (the order of the outputs)."""
        return best_first(self.sites)


def view(name: str) -> Callable[..., Any]:
    """The function that shows a result as ``name`` ("map", "explore"), registered by the
    publish layer as an entry point of group ``gis_tool.views`` (as xarray finds its
    backends), so that the engine never imports the layers above it."""
    found = [ep for ep in entry_points(group="gis_tool.views") if ep.name == name]
    if not found:
        raise GisToolError(f"no '{name}' view is installed; reinstall gis-tool (pip install -e .)")
    return cast(Callable[..., Any], found[0].load())


def _raw_text(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}"
    return str(v)


def _num(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    return float(v) if isinstance(v, (int, float, np.number)) else v


def best_first(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Sites by rank, excluded sites after them by id; returned as is when already so."""
    r = sites["rank"].astype("Float64").fillna(np.inf).to_numpy(dtype=float)
    if np.all(r[1:] >= r[:-1]):   # ranked in order; then the excluded sites, a tail of them
        tail = sites["site_id"].iloc[int(np.searchsorted(r, np.inf)):].to_numpy(dtype=str)
        if np.all(tail[1:] >= tail[:-1]):
            return sites
    rank = np.where(np.isinf(r), 0, r).astype(np.int64)
    return sites.iloc[best_first_order(rank, id_order(sites["site_id"]))]


def exclusions(cons: dict[str, ConstraintSpec], c: ScoreCache) -> tuple[np.ndarray, np.ndarray]:
    """Constraints evaluated again from the cached measures (a profile changed them)."""
    excluded = c.missing_excluded.copy()
    reasons: Reasons = defaultdict(list, {i: list(r) for i, r in c.missing_reasons.items()})
    for spec in cons.values():
        add_exclusions(constraint_result(spec, c.measures), excluded, reasons)
    text = reason_text(reasons, len(excluded))
    return excluded[c.positions], text[c.positions]


