"""The one orchestrator: analysis file in, scored and explained sites out (no file writing)."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import InputError, Problem, closest, valid_list
from ..inputs import encoded
from ..inputs.layers import LoadedLayer, geometry_family, read_layer
from ..processes import collector_paused
from ..progress import advance, in_chunks
from ..spec.analysis import Analysis, ConstraintSpec, load_analysis
from ..spec.network import RINGS_LAYER
from ..spec.urls import is_web
from ..text import in_language
from . import readiness as ready
from .conditions import SiteMeasures, all_hold, evaluate
from .constraints import Reasons, add_exclusions, constraint_result, reason_text  # noqa: F401
from .distributed import measure_on_cluster
from .kinds import kind_of
from .measures import apply_missing, measure_all, need_polygons, to_values, unit_of
from .nearest import COMPILED_OVER
from .network import build_network, note_text, ring_bands
from .preload import compiled_aside, import_aside
from .profiles import resolve, resolve_profile  # noqa: F401  (resolve_profile: importable from here too)
from .result import (  # noqa: F401  (the result types, importable from here too)
    Explanation,
    Result,
    ScoreCache,
    best_first,
    view,
)
from .score import best_first_order, id_order, weighted_score
from .site_arrays import inner_points_aside, share_inner
from .sites import filter_sites, grid_sites, sites_from_layer

log = logging.getLogger(__name__)
INSIDE_ASIDE_OVER = 100_000   # sites; above this the points inside them are made beside the score



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
        kind = kind_of(c)
        if site_layer:
            need[site_layer] |= kind.site_fields(c)
        if c.layer:
            need[c.layer] |= kind.layer_fields(c)
    for c in (constraints or analysis.constraints).values():
        if c.field and site_layer:
            need[site_layer].add(c.field)
    rd = analysis.readiness
    if rd is not None and site_layer:
        computed = {f"{n}_raw" for n in analysis.criteria} | set(ready.COMPUTED_FIELDS)
        fields = {c.field for lv in rd.levels for c in lv.when if c.field} | {rd.group_by}
        need[site_layer] |= {f for f in fields if f and f not in computed}
    if analysis.network is not None and analysis.network.layer in need:
        need[analysis.network.layer] |= analysis.network.fields()
    if analysis.offer is not None and site_layer:
        computed = {f"{n}_raw" for n in analysis.criteria} | {"area_m2"}
        need[site_layer] |= {c.field for c in analysis.offer.now if c.field and c.field not in computed}
    return {k: {f for f in v if f} for k, v in need.items()}


def load_inputs(analysis: Analysis, constraints: dict[str, ConstraintSpec] | None = None,
                refresh: bool = False, on_read: Callable[[str, gpd.GeoDataFrame], None] | None = None
                ) -> tuple[dict[str, LoadedLayer], list[Problem]]:
    """Load every layer of the analysis, collecting all problems instead of stopping.

    Layers from web services are fetched within the study area's bounding box (so the
    study area is read first), through the local cache unless ``refresh``. ``on_read``
    is told of each layer as soon as it is read (its name and table)."""
    problems: list[Problem] = []
    loaded: dict[str, LoadedLayer] = {}
    encoded.forget()   # the WKB kept from an earlier run's layers
    needs = fields_needed(analysis, constraints)
    order = sorted(analysis.layers.items(), key=lambda kv: kv[0] != analysis.study_area)
    bbox = None
    for k, (name, spec) in enumerate(order):
        advance(k, len(analysis.layers))
        if is_web(spec.path) and bbox is None and analysis.study_area in loaded:
            b = loaded[analysis.study_area].gdf.to_crs(4326).total_bounds
            bbox = (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
        try:
            loaded[name] = read_layer(spec.path, layer=spec.layer, assume_crs=spec.assume_crs,
                                      encoding=spec.encoding, to_crs=analysis.crs,
                                      fields=tuple(sorted(needs.get(name, ()))), name=name,
                                      where=spec.where, sql=spec.sql, geometry=spec.geometry,
                                      bbox=bbox if is_web(spec.path) else None, refresh=refresh)
            if on_read is not None:
                on_read(name, loaded[name].gdf)
        except InputError as exc:
            problems += [dataclasses.replace(p, where=f"layers.{name}: {p.where}")
                         for p in exc.problems]
    return {n: loaded[n] for n in analysis.layers if n in loaded}, problems


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
    uses = [(f"criteria.{c.name}", c.layer) for c in analysis.criteria.values() if kind_of(c).polygon_layer]
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
    cons = resolve(a, profile).constraints
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


@collector_paused()
def run_analysis(analysis: str | Path | Analysis, profile: str | None = None, *,
                 lang: str = "sv", min_area_m2: float | None = None,
                 scheduler: str | None = None, refresh: bool = False) -> Result:
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
    refresh
        Fetch layers from web services again instead of using the local cache.

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
        prof = resolve(a, profile)
        min_area = prof.min_area_m2 if min_area_m2 is None else min_area_m2
        weights, cons = prof.weights, prof.constraints
    warm = [import_aside("scipy.spatial")] if a.criteria or cons else []

    def read(name: str, gdf: gpd.GeoDataFrame) -> None:
        if warm and name == a.sites.layer and len(gdf) >= COMPILED_OVER:
            warm.append(compiled_aside())   # a large run: its compiled loops, while the rest loads

    with _step(timings, "load layers"):
        loaded, problems = load_inputs(a, cons, refresh=refresh, on_read=read)
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
    for thread in warm:
        thread.join()   # before anything forks: only a process with one thread may
    network = None
    if a.network is not None:
        with _step(timings, "build network"):
            network = build_network(a.network, layers[a.network.layer], f"layers.{a.network.layer}")
            log.info("road network: %d nodes, %d edges, %d part(s)", network.report["nodes"],
                     network.report["edges"], network.report["parts"])
        if a.network.rings is not None:
            with _step(timings, "isochrone rings"):
                rings = a.network.rings
                layers[RINGS_LAYER] = ring_bands(network, layers[rings.layer], rings.minutes, rings.layer, lang)
    n = len(sites)
    excluded = np.zeros(n, bool)
    reasons: Reasons = defaultdict(list)
    raw_cols, val_cols, missing, notes = {}, {}, {}, {}
    on_cluster = None
    if scheduler is not None:
        with _step(timings, f"criteria on Dask ({scheduler})"):
            on_cluster = measure_on_cluster(dict(a.criteria), sites, layers, scheduler, network)
    n_steps = len(a.criteria) + len(cons) + 1
    label_of = {k: v.label for k, v in a.layers.items() if v.label}   # for notes and readiness words
    conditions = [*cons.values(), *(c for lv in (a.readiness.levels if a.readiness else ()) for c in lv.when)]
    shares = [c.layer for c in conditions if c.layer and (c.max_share is not None or c.min_share is not None)]
    measured, found = (on_cluster, {}) if on_cluster is not None else measure_all(
        a.criteria, sites, layers, network, lambda name, k: _step(timings, name, (k, n_steps)), timings, shares)
    # the points inside the sites (the table's x/y, the map's markers) are made on a thread
    # while the constraints and the score run, which leave a core mostly idle
    inside = inner_points_aside(sites.geometry.to_numpy()) if n > INSIDE_ASIDE_OVER else None
    for name, spec in a.criteria.items():
        raw, reached = measured[name]
        vals = np.array(to_values(spec, raw), dtype=float)
        missing[name] = apply_missing(spec, vals, sites.index, excluded, reasons)
        if reached is not None:
            notes[name] = note_text(reached, in_language(label_of.get(spec.layer), lang, spec.layer or ""),
                                    lang)
            missing[name] |= reached.counts()
        raw_cols[name], val_cols[name] = raw, vals
    missing_excluded = excluded.copy()
    missing_reasons: Reasons = defaultdict(list, {i: list(r) for i, r in reasons.items()})
    columns = pd.DataFrame(sites.drop(columns=sites.geometry.name)).reset_index(drop=True)
    area = shapely.area(sites.geometry.to_numpy())
    columns = columns.assign(area_m2=area, **{f"{k}_raw": v for k, v in raw_cols.items()})
    measures = SiteMeasures(sites.geometry.to_numpy(), layers, columns, network, _share=found)
    for k, (name, spec) in enumerate(cons.items(), start=len(a.criteria)):
        with _step(timings, f"constraint {name}", (k, n_steps)):
            _check_condition_layer(spec, layers, f"constraints.{name}", columns, a.path.name)
            add_exclusions(constraint_result(spec, measures), excluded, reasons)
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
            names = label_of | {k: f.label for k, f in a.fields.items() if f.label}
            readiness = ready.assess(a.readiness, measures, area, lang, names)
    with _step(timings, "score", (n_steps - 1, n_steps)):
        # one block of rows, as the scoring reads it (pandas would copy a dict of columns
        # into a block of columns, and the scoring back into rows)
        block = np.empty((n, len(val_cols)))
        for j, v in enumerate(val_cols.values()):
            block[:, j] = v
        values = pd.DataFrame(block, index=sites.index, columns=list(val_cols), copy=False)
        key = id_order(sites.index)   # the tie-break, sorted once
        points, score, rank = weighted_score(values, weights.values, ~excluded, key)
        extra = {"offer_now": offer_now(a, measures, layers, columns)}
        extra |= ready.columns(readiness) if readiness is not None else {}
        out, order = _assemble(sites, a, raw_cols, values, points, score, rank, excluded,
                               reasons, area, key, extra, notes)
        if inside is not None:
            inside()
        share_inner(sites.geometry.to_numpy(), order, out.geometry.to_numpy())
        cache = ScoreCache(criteria=list(values.columns),
                           values=np.take(block, order, axis=0),   # a third of the time of block[order]
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
                  readiness=readiness, score_cache=cache, raw_weights=prof.raw_weights,
                  network=network)


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


def offer_now(a: Analysis, measures: SiteMeasures, layers: dict[str, gpd.GeoDataFrame],
              columns: pd.DataFrame) -> np.ndarray:
    """True where the municipality can offer the site now (``[offer] now``; all without it)."""
    n = len(columns)
    if a.offer is None:
        return np.ones(n, bool)
    for j, c in enumerate(a.offer.now):
        _check_condition_layer(c, layers, f"offer.now[{j}]", columns, a.path.name)
        if c.field and c.field not in columns.columns:
            raise InputError(f"{a.path.name}: offer.now[{j}].field: no column '{c.field}'"
                             f"{closest(c.field, columns.columns)}; columns: {valid_list(columns.columns)}")
    return all_hold([chk for c in a.offer.now for chk in evaluate(c, measures)], n)


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
              extra: dict[str, Any] | None = None, notes: dict[str, np.ndarray] | None = None
              ) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The sites table, best first (excluded sites after the ranked ones, in site-id
    order, ``key`` being :func:`id_order` of the ids), and the order taken.

    Every column is put in order as it is built, so no table of a million rows is
    copied again to sort it.
    """
    order = best_first_order(rank.to_numpy(dtype=np.int64, na_value=0), key)
    index = pd.Index(sites.index.astype("str"))[order]
    # each column is made by one call, in the table's order; the calls run on threads
    # (numpy lets go of Python's lock while it gathers and rounds: 0.5 s to 0.2 s at 1M)
    make: dict[str, Callable[[], Any]] = {
        "site_id": lambda: index.array,
        "score": partial(_ordered, score.to_numpy(), order),
        "rank": partial(_ordered, rank.array, order),
        "eligible": partial(_ordered, ~excluded, order),
        "excluded_by": lambda: reason_text(reasons, len(sites))[order],
    }
    for name in a.criteria:
        r = raw[name]
        digits = 6 if unit_of(a.criteria[name]) == "min" else 4   # times to 1e-6 minutes
        make[f"{name}_raw"] = (partial(_ordered, r, order) if r.dtype == object
                               else partial(_rounded, r.astype(float, copy=False), digits, order))
        make[f"{name}_value"] = partial(_rounded, values[name].to_numpy(), 6, order)
        make[f"{name}_points"] = partial(_ordered, points[name].to_numpy(), order)
        if notes and name in notes:
            make[f"{name}_note"] = partial(_ordered, notes[name], order)
    make["area_m2"] = partial(_rounded, area, 1, order)
    for k, v in (extra or {}).items():
        v = v.array if isinstance(v, pd.Series) else v
        make[k] = partial(_ordered, v if isinstance(v, pd.api.extensions.ExtensionArray) else np.asarray(v), order)
    for c in sites.columns:
        if c not in make and c != sites.geometry.name:
            make[c] = partial(_ordered, sites[c].array, order)
    names = list(make)
    made = in_chunks(lambda i, j: [make[c]() for c in names[i:j]], len(names), min_chunk=1)
    cols = dict(zip(names, (col for part in made for col in part), strict=True))
    geoms = sites.geometry.array.take(order)   # a GeometryArray: its geometries not checked again
    # the columns are new arrays: kept as they are, not copied into blocks (0.5 s at 1M)
    out = gpd.GeoDataFrame(cols, index=index, geometry=geoms, crs=sites.crs, copy=False)
    return out, order


def _ordered(values: Any, order: np.ndarray) -> Any:
    return values[order]


def _rounded(values: np.ndarray, digits: int, order: np.ndarray) -> np.ndarray:
    return np.round(values[order], digits)
