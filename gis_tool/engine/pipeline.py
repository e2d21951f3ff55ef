"""The one orchestrator: analysis file in, scored and explained sites out (no file writing)."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import GisToolError, InputError, Problem, closest, valid_list
from ..inputs.layers import LayerReport, LoadedLayer, geometry_family, read_layer
from ..progress import advance
from ..spec.analysis import Analysis, ConstraintSpec, CriterionSpec, constraint_from_dict, load_analysis
from . import readiness as ready
from .conditions import SiteMeasures
from .constraints import constraint_result
from .distributed import measure_on_cluster
from .measures import apply_missing, measure, need_polygons, to_values, unit_of
from .score import id_order, rank_array, score_arrays, weighted_score
from .sites import filter_sites, grid_sites, sites_from_layer
from .weights import Weights, ahp, normalise

log = logging.getLogger(__name__)



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
            if r["cost_to_ready_sek"] is not None and r["cost_to_ready_sek"] > 0:
                tail.append(f"  to build-ready: {r['cost_to_ready_sek']:,.0f} SEK".replace(",", " ")
                            + (f", {r['months_to_ready']:g} months"
                               if r["months_to_ready"] is not None else ""))
        return "\n".join([head, *rows, *tail])


Reasons = defaultdict[int, list[str]]  # site position -> the reasons it is excluded (only excluded sites)


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
        return dataclasses.replace(self, values=self.values[order], tie_key=self.tie_key[order],
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

    def rescore(self, weights: dict[str, float] | None = None, profile: str | None = _KEEP) -> Result:
        """The same sites scored with other weights or another profile, without measuring
        again: raw values, values and constraint measures come from this run.

        Parameters
        ----------
        weights
            Relative weights by criterion (normalised; criteria left out get 0). Default:
            the profile's weights, or the analysis's.
        profile
            A profile of the analysis (its weights, constraints and minimum area), or None
            for the analysis without a profile. Default: this run's profile. A profile can
            only drop sites: sites a larger minimum area of this run dropped stay out.

        Returns
        -------
        Result
            A new result; this one is unchanged.
        """
        c = self.score_cache
        if c is None:
            raise ValueError("this result has no score cache (it was read back from files); "
                             "run the analysis again to re-score it")
        prof = self.profile if profile is _KEEP else profile
        raw_w, min_area, cons = resolve_profile(self.analysis, prof)
        if weights is not None:
            unknown = [k for k in weights if k not in self.criteria]
            if unknown:
                raise InputError(f"weights: unknown criterion '{unknown[0]}'"
                                 f"{closest(unknown[0], self.criteria)}; criteria: "
                                 f"{valid_list(self.criteria)}")
            w = normalise({n: float(weights.get(n, 0.0)) for n in self.criteria})
        else:
            w = _weights(self.analysis, raw_w, prof)
        same_cons = cons == self.constraints
        if same_cons:
            excluded = ~self.sites["eligible"].to_numpy(dtype=bool)
            reasons = None
        else:
            excluded, reasons = _exclusions(cons, c)
        wv = np.array([w.values.get(n, 0.0) for n in c.criteria])
        points, score = score_arrays(c.values, wv, ~excluded)
        rank = rank_array(score, c.tie_key)
        # Rows keep this run's order (top() and the outputs order by rank); a larger
        # minimum area drops sites.
        keep = c.area >= min_area if min_area > c.min_area_m2 else None
        out = self.sites.copy(deep=False)
        out["score"] = score
        out["rank"] = pd.arrays.IntegerArray(rank, rank == 0)
        if reasons is not None:
            out["eligible"] = ~excluded
            out["excluded_by"] = reasons
        for j, n in enumerate(c.criteria):
            out[f"{n}_points"] = points[:, j]
        if keep is not None:
            out, c = out[keep], c.take(np.flatnonzero(keep))
        return dataclasses.replace(self, sites=out, weights=w, profile=prof, constraints=cons,
                                   score_cache=c)

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
        return None if spec is None else ready.supply_table(self.sites, spec, self.lang)

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
                  "months_to_ready": _num(row["months_to_ready"])}
        return Explanation(sid, score, rank, eligible, excl, rows, to_next, to_top, rd)

    def top(self, n: int = 10) -> gpd.GeoDataFrame:
        """The ``n`` best eligible sites, best first."""
        return self.sites.dropna(subset=["rank"]).sort_values("rank").head(n)

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


@contextmanager
def _step(timings: dict, name: str, progress: tuple[int, int] | None = None) -> Iterator[None]:
    """Time a step into ``timings``; ``progress`` (done, total) lets a terminal draw a bar."""
    log.info("%s ...", name, extra={"progress": progress} if progress else None)
    t0 = time.perf_counter()
    yield
    timings[name] = round(time.perf_counter() - t0, 3)


def fields_needed(analysis: Analysis, constraints: dict[str, ConstraintSpec] | None = None
                  ) -> dict[str, set[str]]:
    """The columns each layer must have, by layer name."""
    need: dict[str, set[str]] = {n: set() for n in analysis.layers}
    site_layer = analysis.sites.layer
    if site_layer:
        need[site_layer].add(analysis.sites.id or "")
    for c in analysis.criteria.values():
        if c.kind == "attribute" and site_layer:
            need[site_layer].add(c.field or "")
        elif c.field and c.layer:
            need[c.layer].add(c.field)
    for c in (constraints or analysis.constraints).values():
        if c.field and site_layer:
            need[site_layer].add(c.field)
    rd = analysis.readiness
    if rd is not None and site_layer:
        computed = {f"{n}_raw" for n in analysis.criteria} | set(ready.COMPUTED_FIELDS)
        fields = {c.field for lv in rd.levels for c in lv.when if c.field} | {rd.group_by}
        need[site_layer] |= {f for f in fields if f and f not in computed}
    return {k: {f for f in v if f} for k, v in need.items()}


def load_inputs(analysis: Analysis, constraints: dict[str, ConstraintSpec] | None = None
                ) -> tuple[dict[str, LoadedLayer], list[Problem]]:
    """Load every layer of the analysis, collecting all problems instead of stopping."""
    problems: list[Problem] = []
    loaded: dict[str, LoadedLayer] = {}
    needs = fields_needed(analysis, constraints)
    for k, (name, spec) in enumerate(analysis.layers.items()):
        advance(k, len(analysis.layers))
        try:
            loaded[name] = read_layer(spec.path, layer=spec.layer, assume_crs=spec.assume_crs,
                                      encoding=spec.encoding, to_crs=analysis.crs,
                                      fields=tuple(sorted(needs.get(name, ()))), name=name,
                                      where=spec.where)
        except InputError as exc:
            problems += [dataclasses.replace(p, where=f"layers.{name}: {p.where}")
                         for p in exc.problems]
    return loaded, problems


def check_with_data(analysis: Analysis, layers: dict[str, gpd.GeoDataFrame],
                    constraints: dict[str, ConstraintSpec]) -> list[Problem]:
    """What a run would refuse once the layers are loaded: the sites (unique ids,
    polygons, any left) and the geometry each criterion and constraint needs."""
    problems: list[Problem] = []
    try:
        _check_crs(analysis)
        sites, _ = build_sites(analysis, layers, analysis.sites.min_area_m2)
        if len(sites) == 0:
            problems.append(Problem("sites", "no candidate sites are left after the filters"))
    except InputError as exc:
        problems += exc.problems
    uses = [(f"criteria.{c.name}", c.layer) for c in analysis.criteria.values() if c.kind == "overlap"]
    uses += [(f"constraints.{c.name}", c.layer) for c in constraints.values()
             if c.max_share is not None or c.min_share is not None]
    if analysis.readiness is not None:
        uses += [(f"readiness.levels[{i}].when[{j}]", c.layer)
                 for i, lv in enumerate(analysis.readiness.levels) for j, c in enumerate(lv.when)
                 if c.min_share is not None or c.max_share is not None]
    for key, layer in uses:
        if layer in layers:
            try:
                need_polygons(layers[layer], layer, key)
            except InputError as exc:
                problems += exc.problems
    return problems


def check_inputs(analysis: str | Path | Analysis, profile: str | None = None
                 ) -> tuple[dict[str, LoadedLayer], list[Problem]]:
    """Read every input as a run would, then check what a run would refuse on that data;
    every problem at once (``gis-tool layers check``)."""
    a = analysis if isinstance(analysis, Analysis) else load_analysis(analysis)
    _, _, cons = resolve_profile(a, profile)
    loaded, problems = load_inputs(a, cons)
    if not problems:
        problems = check_with_data(a, {k: v.gdf for k, v in loaded.items()}, cons)
    return loaded, problems


def _check_crs(analysis: Analysis) -> None:
    try:
        crs = CRS.from_user_input(analysis.crs)
    except Exception:
        raise InputError(f"{analysis.path.name}: analysis.crs '{analysis.crs}' is not a known "
                         "CRS; use e.g. \"EPSG:3006\" (SWEREF 99 TM)") from None
    if not crs.is_projected:
        raise InputError(f"{analysis.path.name}: analysis.crs '{analysis.crs}' is not projected "
                         "(distances and areas need metres); use \"EPSG:3006\" (SWEREF 99 TM)")


def resolve_profile(analysis: Analysis, profile: str | None
                    ) -> tuple[dict[str, float | None], float, dict[str, ConstraintSpec]]:
    """Weights, minimum area and constraints with a profile applied."""
    weights = {n: c.weight for n, c in analysis.criteria.items()}
    min_area = analysis.sites.min_area_m2
    cons = dict(analysis.constraints)
    if profile is None:
        return weights, min_area, cons
    if profile not in analysis.profiles:
        raise InputError(f"--profile: no profile '{profile}' in {analysis.path.name}"
                         f"{closest(profile, analysis.profiles)}; profiles: "
                         f"{valid_list(analysis.profiles) or 'none'}")
    p = analysis.profiles[profile]
    if p.weights:
        weights = {n: p.weights.get(n, 0.0) for n in analysis.criteria}
    if p.min_area_m2 is not None:
        min_area = max(min_area, p.min_area_m2)
    for name, over in p.constraints.items():
        where = f"profiles.{profile}.constraints.{name}"
        if name in cons:
            merged = {k: v for k, v in dataclasses.asdict(cons[name]).items() if v is not None}
            merged.pop("name")
            if "in_" in merged:
                merged["in"] = list(merged.pop("in_"))
            merged |= dict(over)
            cons[name] = constraint_from_dict(name, merged, where=where)
        else:
            cons[name] = constraint_from_dict(name, dict(over), where=where)
    return weights, min_area, cons


def _weights(analysis: Analysis, raw: dict[str, float | None], profile: str | None) -> Weights:
    uses_profile = profile is not None and bool(analysis.profiles[profile].weights)
    if analysis.weights.method == "ahp" and not uses_profile:
        return ahp(list(analysis.criteria), analysis.weights.pairwise,
                   max_cr=analysis.weights.max_consistency_ratio)
    return normalise({k: 1.0 if v is None else v for k, v in raw.items()})


def build_sites(analysis: Analysis, layers: dict[str, gpd.GeoDataFrame], min_area: float
                ) -> tuple[gpd.GeoDataFrame, dict[str, int]]:
    """Candidate sites, filtered by minimum area and study area."""
    study, area_name = None, analysis.study_area
    if area_name:
        study = shapely.union_all(layers[area_name].geometry.to_numpy())
        if geometry_family(layers[area_name]) != "polygon":
            raise InputError(f"analysis.study_area: layer '{area_name}' must hold polygons")
    if analysis.sites.grid is not None and area_name:
        sites = grid_sites(study, analysis.sites.grid, layers[area_name].crs)
        return filter_sites(sites, min_area_m2=min_area)
    site_layer, id_field = analysis.sites.layer or "", analysis.sites.id or ""
    sites = sites_from_layer(layers[site_layer], id_field, where=f"layers.{site_layer}")
    return filter_sites(sites, min_area_m2=min_area, study_area=study)


def run_analysis(analysis: str | Path | Analysis, profile: str | None = None, *,
                 lang: str = "sv", min_area_m2: float | None = None,
                 scheduler: str | None = None) -> Result:
    """Run a whole analysis: load, sites, criteria, values, constraints, score.

    Parameters
    ----------
    analysis
        An analysis file, or an already loaded :class:`Analysis`.
    profile
        The name of a ``[profiles.NAME]`` table whose weights, minimum area and
        constraints replace the defaults.
    lang
        ``"sv"`` or ``"en"``: the language of readiness labels in the results.
    min_area_m2
        Replaces the minimum site area of the analysis and the profile (an inquiry sets
        its own area bounds and may combine small neighbouring sites).
    scheduler
        ``"local"`` or ``"tcp://HOST:PORT"``: compute the criteria on a Dask cluster
        (:mod:`gis_tool.distributed`); the results equal the single-machine run.

    Returns
    -------
    Result
        Scored sites (``Result.sites``), the weights used and reports on every input.

    Raises
    ------
    InputError
        For any bad input, listing every problem found.
    """
    timings: dict[str, float] = {}
    t_all = time.perf_counter()
    with _step(timings, "read analysis"):
        a = analysis if isinstance(analysis, Analysis) else load_analysis(analysis)
        _check_crs(a)
        raw_w, min_area, cons = resolve_profile(a, profile)
        if min_area_m2 is not None:
            min_area = min_area_m2
        weights = _weights(a, raw_w, profile)
    with _step(timings, "load layers"):
        loaded, problems = load_inputs(a, cons)
        if problems:
            raise InputError(problems)
        layers = {k: v.gdf for k, v in loaded.items()}
    with _step(timings, "build sites"):
        sites, dropped = build_sites(a, layers, min_area)
        if len(sites) == 0:
            raise InputError(f"{a.path.name}: no candidate sites are left after the filters "
                             f"({', '.join(f'{k}: {v}' for k, v in dropped.items())}); lower "
                             "min_area_m2 or check the study area")
        log.info("%d candidate sites", len(sites))
    n = len(sites)
    excluded = np.zeros(n, bool)
    reasons: Reasons = defaultdict(list)
    raw_cols, val_cols, missing = {}, {}, {}
    on_cluster = None
    if scheduler is not None:

        with _step(timings, f"criteria on Dask ({scheduler})"):
            on_cluster = measure_on_cluster(dict(a.criteria), sites, layers, scheduler)
    n_steps = len(a.criteria) + len(cons) + 1
    for k, (name, spec) in enumerate(a.criteria.items()):
        with _step(timings, f"criterion {name}", (k, n_steps)):
            raw = measure(spec, sites, layers) if on_cluster is None else on_cluster[name]
            vals = np.array(to_values(spec, raw), dtype=float)
            missing[name] = apply_missing(spec, vals, sites.index, excluded, reasons)
            raw_cols[name], val_cols[name] = raw, vals
    missing_excluded = excluded.copy()
    missing_reasons: Reasons = defaultdict(list, {i: list(r) for i, r in reasons.items()})
    columns = pd.DataFrame(sites.drop(columns=sites.geometry.name)).reset_index(drop=True)
    area = shapely.area(sites.geometry.to_numpy())
    columns = columns.assign(area_m2=area, **{f"{k}_raw": v for k, v in raw_cols.items()})
    measures = SiteMeasures(sites.geometry.to_numpy(), layers, columns)
    for k, (name, spec) in enumerate(cons.items(), start=len(a.criteria)):
        with _step(timings, f"constraint {name}", (k, n_steps)):
            _check_condition_layer(spec, layers, f"constraints.{name}", columns, a.path.name)
            _add_exclusions(constraint_result(spec, measures), excluded, reasons)
    readiness = None
    if a.readiness is not None:
        with _step(timings, "readiness"):
            for k, lv in enumerate(a.readiness.levels):
                for j, c in enumerate(lv.when):
                    _check_condition_layer(c, layers, f"readiness.levels[{k}].when[{j}]", columns,
                                           a.path.name)
                    if c.field and c.field not in columns.columns:
                        raise InputError(f"{a.path.name}: readiness.levels[{k}].when[{j}].field: no "
                                         f"column '{c.field}'{closest(c.field, columns.columns)}; "
                                         f"columns: {valid_list(columns.columns)}")
            readiness = ready.assess(a.readiness, measures, area, lang)
    with _step(timings, "score", (n_steps - 1, n_steps)):
        values = pd.DataFrame(val_cols, index=sites.index)
        key = id_order(sites.index.to_numpy(dtype=str))   # the tie-break, sorted once
        points, score, rank = weighted_score(values, weights.values, ~excluded, key)
        extra = ready.columns(readiness) if readiness is not None else {}
        out, order = _assemble(sites, a, raw_cols, values, points, score, rank, excluded,
                               reasons, area, key, extra)
        cache = ScoreCache(criteria=list(values.columns),
                           values=np.ascontiguousarray(values.to_numpy(dtype=float)[order]),
                           tie_key=key[order], area=area[order],
                           positions=order, measures=measures, missing_excluded=missing_excluded,
                           missing_reasons=missing_reasons, min_area_m2=min_area)
    timings["total"] = round(time.perf_counter() - t_all, 3)
    warnings = _warnings(missing, loaded)
    if readiness is not None and readiness.unrated:
        warnings.append("readiness.costs: no rate for " + ", ".join(readiness.unrated) + "; sites "
                        "missing these conditions get no cost_to_ready_sek / months_to_ready")
    for w in warnings:
        log.warning(w)
    return Result(analysis=a, profile=profile, sites=out, weights=weights,
                  criteria=dict(a.criteria), constraints=cons, layers=layers,
                  reports={k: v.report for k, v in loaded.items()}, timings=timings,
                  warnings=warnings, missing=missing, dropped_sites=dropped, lang=lang,
                  readiness=readiness, score_cache=cache)


def best_first(sites: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Sites by rank, excluded sites after them by id; returned as is when already so."""
    r = sites["rank"].astype("Float64").fillna(np.inf).to_numpy(dtype=float)
    if np.all(r[1:] >= r[:-1]):
        tail = sites["site_id"].to_numpy(dtype=str)[np.isinf(r)]
        if np.all(tail[1:] >= tail[:-1]):
            return sites
    return sites.iloc[np.lexsort((sites["site_id"].to_numpy(dtype=str), r))]


def reason_text(reasons: Reasons, n: int) -> np.ndarray:
    """``excluded_by`` for ``n`` sites: each site's reasons, ``; ``-separated ("" when none)."""
    text = np.full(n, "", dtype=object)
    for i, r in reasons.items():
        text[i] = "; ".join(r)
    return text


def _add_exclusions(res: Any, excluded: np.ndarray, reasons: Reasons) -> None:
    """Mark the sites a constraint excludes and add its reason to theirs (in place)."""
    excluded |= res.excluded
    for i in np.flatnonzero(res.excluded).tolist():
        reasons[i].append(res.reasons[i])


def _exclusions(cons: dict[str, ConstraintSpec], c: ScoreCache) -> tuple[np.ndarray, np.ndarray]:
    """Constraints evaluated again from the cached measures (a profile changed them)."""
    excluded = c.missing_excluded.copy()
    reasons: Reasons = defaultdict(list, {i: list(r) for i, r in c.missing_reasons.items()})
    for spec in cons.values():
        _add_exclusions(constraint_result(spec, c.measures), excluded, reasons)
    text = reason_text(reasons, len(excluded))
    return excluded[c.positions], text[c.positions]


def _check_condition_layer(spec: ConstraintSpec, layers: dict[str, gpd.GeoDataFrame], key: str,
                           columns: pd.DataFrame | None = None, fname: str = "") -> None:
    """A share needs a polygon layer (a distance or field condition takes any); a field
    rule must fit its column: ``min``/``max`` a column of numbers, text on a numeric one."""
    if spec.layer and (spec.max_share is not None or spec.min_share is not None):
        need_polygons(layers[spec.layer], spec.layer, key)
    if spec.field is None or columns is None or spec.field not in columns.columns:
        return
    col = columns[spec.field]
    numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
    if (spec.min is not None or spec.max is not None) and not numeric:
        bad = col[col.notna() & pd.to_numeric(col, errors="coerce").isna()]
        if len(bad):
            rule = "min" if spec.min is not None else "max"
            raise InputError(f"{fname}: {key}.{rule}: column '{spec.field}' holds text ({bad.iloc[0]!r}); 'min' and "
                             "'max' compare numbers: use 'equals' or 'in'")
    if numeric:
        tests = [("equals", spec.equals), ("not_equals", spec.not_equals),
                 *(("in", v) for v in spec.in_ or ()), *(("not_in", v) for v in spec.not_in or ())]
        for rule, v in tests:
            if isinstance(v, bool) or (isinstance(v, str) and pd.isna(pd.to_numeric(v, errors="coerce"))):
                raise InputError(f"{fname}: {key}.{rule}: column '{spec.field}' holds numbers, so {v!r} can never "
                                 "match; use 'min' and 'max' (or a number)")


def _warnings(missing: dict, loaded: dict[str, LoadedLayer]) -> list[str]:
    out = []
    for name, m in missing.items():
        if m["count"]:
            what = {"worst": "given the worst value (0)", "exclude": "excluded"}[m["policy"]]
            out.append(f"criteria.{name}: {m['count']} site(s) had no value and were {what} "
                       f"(missing = \"{m['policy']}\")")
    for name, lyr in loaded.items():
        if lyr.report.repairs:
            out.append(f"layers.{name}: " + ", ".join(f"{k}: {v}" for k, v in
                                                      lyr.report.repairs.items()))
    return out


def _assemble(sites: gpd.GeoDataFrame, a: Analysis, raw: dict, values: pd.DataFrame,
              points: pd.DataFrame, score: pd.Series, rank: pd.Series, excluded: np.ndarray,
              reasons: Reasons, area: np.ndarray, key: np.ndarray,
              extra: dict[str, Any] | None = None) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The sites table, best first (excluded sites after the ranked ones, in site-id
    order, ``key`` being :func:`id_order` of the ids), and the order taken.

    Every column is put in order as it is built, so no table of a million rows is
    copied again to sort it.
    """
    rk = rank.to_numpy(dtype=float, na_value=np.inf)
    order = np.lexsort((key, rk))
    index = pd.Index(sites.index.astype("str"))[order]
    cols: dict[str, Any] = {
        "site_id": index.array,
        "score": score.to_numpy()[order],
        "rank": rank.array[order],
        "eligible": ~excluded[order],
        "excluded_by": reason_text(reasons, len(sites))[order],
    }
    for name in a.criteria:
        r = raw[name]
        cols[f"{name}_raw"] = (r if r.dtype == object else np.round(r.astype(float), 4))[order]
        cols[f"{name}_value"] = np.round(values[name].to_numpy(), 6)[order]
        cols[f"{name}_points"] = points[name].to_numpy()[order]
    geoms = sites.geometry.to_numpy()[order]
    cols["area_m2"] = np.round(area[order], 1)
    for k, v in (extra or {}).items():
        v = v.array if isinstance(v, pd.Series) else v
        cols[k] = v[order] if isinstance(v, pd.api.extensions.ExtensionArray) else np.asarray(v)[order]
    for c in sites.columns:
        if c not in cols and c != sites.geometry.name:
            cols[c] = sites[c].array[order]
    out = gpd.GeoDataFrame(cols, index=index, geometry=geoms, crs=sites.crs)
    return out, order
