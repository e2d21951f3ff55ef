"""Criteria measured for the sites, turned into values, with the missing-value policy.

Between the criterion functions (``criteria``, pure geometry) and the scoring: picks the
layer and columns a criterion names, checks they suit it, applies the value function and
the policy for sites without a value.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping, MutableMapping
from contextlib import AbstractContextManager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..inputs.layers import geometry_family
from ..processes import Beside, Claims, can_fork
from ..progress import set_listener
from ..spec.analysis import CriterionSpec
from .criteria import overlap_share
from .kinds import kind_of, need_polygons, unit_of  # noqa: F401  (importable from here too)
from .network import Network, Reached
from .site_arrays import site_bounds
from .values import apply_value

log = logging.getLogger(__name__)


def measure(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
            network: Network | None = None) -> np.ndarray:
    """The raw measure of one criterion for every site, in its unit (by its kind)."""
    return measure_noted(spec, sites, layers, network)[0]


def measure_noted(spec: CriterionSpec, sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
                  network: Network | None = None) -> tuple[np.ndarray, Reached | None]:
    """The raw measure and, for a measure along the road network, why some sites have none."""
    kind = kind_of(spec)
    if not kind.uses_network:
        return kind.measure(spec, sites, layers), None
    if network is None:
        raise InputError(f"criteria.{spec.name}: kind '{spec.kind}' measures along the road network; "
                         "add a [network] table (DESIGN 3.13)")
    reached: Reached = kind.measure(spec, sites, layers, network)  # type: ignore[call-arg, assignment]
    return reached.values, reached


def to_values(spec: CriterionSpec, raw: np.ndarray) -> np.ndarray:
    """Raw measure to 0..1 through the criterion's value function (NaN = missing)."""
    if spec.value is not None:
        return apply_value(spec.value.fn, spec.value.params, raw)
    v = np.asarray(raw, dtype=float)
    out = ~np.isnan(v) & ((v < -1e-9) | (v > 1 + 1e-9))
    if out.any():
        unit = f" {unit_of(spec)}" if unit_of(spec) else ""
        raise InputError(f"criteria.{spec.name}: has no 'value' function, so its raw measure "
                         f"must lie in 0..1, but ranges {np.nanmin(v):.6g} to {np.nanmax(v):.6g}"
                         f"{unit}; add e.g. value = {{ fn = \"linear\", best = ..., worst = ... }}")
    return np.clip(v, 0.0, 1.0)


def apply_missing(spec: CriterionSpec, values: np.ndarray, ids: pd.Index,
                   excluded: np.ndarray, reasons: MutableMapping[int, list[str]]) -> dict[str, Any]:
    miss = np.isnan(values)
    info = {"policy": spec.missing, "count": int(miss.sum())}
    if not miss.any():
        return info
    if spec.missing == "error":
        sample = ", ".join(str(s) for s in ids[miss][:5])
        raise InputError(f"criteria.{spec.name}: {int(miss.sum())} site(s) have no value "
                         f"(e.g. {sample}) and missing = \"error\"; fill in the data or set "
                         "missing = \"worst\" or \"exclude\"")
    if spec.missing == "exclude":
        excluded |= miss
        for i in np.flatnonzero(miss).tolist():
            reasons[i].append(f"{spec.name}: no value (missing = exclude)")
    values[miss] = 0.0
    return info


ASIDE_OVER = 100_000   # sites; above this the shares of polygon layers are measured aside
Step = Callable[[str, int], AbstractContextManager[None]]


def measure_all(specs: Mapping[str, CriterionSpec], sites: gpd.GeoDataFrame, layers: dict[str, gpd.GeoDataFrame],
                network: Network | None, step: Step, timings: dict[str, float], shares: Collection[str] = ()
                ) -> tuple[dict[str, tuple[np.ndarray, Reached | None]], dict[str, np.ndarray]]:
    """Every criterion's raw measure, and for one along the road network why some sites
    have none; and the share of each site covered by each polygon layer of ``shares``
    (the constraints' and readiness conditions'), where measured aside (below).
    ``step(name, k)`` times and reports the ``k``-th criterion's step into ``timings``.

    Above ``ASIDE_OVER`` sites, where a fork is safe, the criteria that measure shares of
    polygon layers (overlap; the heaviest kind, sharing no index with the distances) are
    measured by a second process (:class:`~gis_tool.processes.Beside`) while this one
    measures the others: the two take no turns for Python's lock, and the second core,
    idle for much of a distance criterion, does their work. That process also measures
    the ``shares`` (the same kind of work, with the tree of the sites it has made), and
    then, where it is done first, the other criteria this one has not begun, from the
    last (:class:`~gis_tool.processes.Claims`: each criterion is measured once, by
    whichever process claims it first), so that neither core waits for the other. The
    values are the same functions' on the same data, so they equal a run measured here
    alone.
    """
    aside = [n for n, spec in specs.items() if kind_of(spec).polygon_layer] if len(sites) > ASIDE_OVER else []
    if len(aside) == len(specs) or not can_fork():   # asked here, not left to Beside: run
        aside = []   # here and now, the criteria keep their own steps in the loop below
    here = [n for n in specs if n not in aside]
    claims = Claims(len(here)) if aside else None
    job = None
    if aside:
        polygons = [n for n in dict.fromkeys(shares) if n in layers and geometry_family(layers[n]) == "polygon"]

        def measure_aside() -> tuple[dict[str, tuple[tuple[np.ndarray, Reached | None], float]],
                                     dict[str, np.ndarray]]:
            set_listener(None)   # the progress bar on the terminal is the first process's
            took = {}

            def timed(name: str) -> None:
                t0 = time.perf_counter()
                took[name] = (measure_noted(specs[name], sites, layers, network), round(time.perf_counter() - t0, 3))

            for name in aside:
                timed(name)
            geoms = sites.geometry.to_numpy()
            found = {n: overlap_share(geoms, layers[n].geometry.to_numpy()) for n in polygons}
            # then the other criteria the first process has not begun, from the last
            while claims is not None and (i := claims.claim_last()) is not None:
                timed(here[i])
            return took, found

        log.info("criteria %s: measured beside the others, in a second process", ", ".join(aside))
        site_bounds(sites.geometry.to_numpy())   # both processes ask for the boxes: made once, before the fork
        job = Beside(True, "criteria " + ", ".join(aside), measure_aside)
    out: dict[str, tuple[np.ndarray, Reached | None]] = {}
    found: dict[str, np.ndarray] = {}
    try:
        for k, (name, spec) in enumerate(specs.items()):
            if name in aside or (claims is not None and not claims.claim(here.index(name))):
                timings[f"criterion {name}"] = 0.0   # its place among the steps; its time below
                continue
            with step(f"criterion {name}", k):
                out[name] = measure_noted(spec, sites, layers, network)
        if job is not None:
            t0 = time.perf_counter()
            measured, found = job.result()
            for name, (noted, took) in measured.items():
                out[name] = noted
                timings[f"criterion {name}"] = took
            taken = [n for n in measured if n not in aside]
            if taken:
                log.info("criteria %s: measured by the second process once it was done with %s",
                         ", ".join(taken), ", ".join(aside))
            timings["waiting for the second process"] = round(time.perf_counter() - t0, 3)
    finally:
        if job is not None:
            job.cancel()
    return out, found
