"""A land programme: which sites to start readying, and when, so that the build-ready
stock stays at or above the target every year, at the least cost (DESIGN 3.12).

Candidates are the eligible sites below build-ready with a ``cost_to_ready_sek``. A site
started in year s with m months to ready is ready in year ``s + ceil(m / 12) - 1`` and
spends its whole cost in year s. The stock at the end of year y is the eligible
build-ready hectares today, plus the hectares of started sites ready by y, minus the
demand times (y - from + 1); it is not clipped at 0.

The choice is an exact mixed-integer programme (HiGHS through ``scipy.optimize.milp``):
binary x[i, s] = start site i in year s, each site at most once, the yearly spend within
the budget, the stock at or above the target every year, least total cost. When no
programme can meet the target, the one with the least summed shortfall is chosen (then
the least cost), and the smallest yearly budget that would meet it is reported (or that
no budget can, when the land is too little).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..engine.result import Result
from ..errors import InputError

if TYPE_CHECKING:
    from scipy import sparse
    from scipy.optimize import LinearConstraint

TIME_LIMIT_S = 60.0   # per solve; the best programme found by then is used (its gap is reported)


@dataclass
class Programme:
    """The chosen programme and the stock it gives, year by year.

    Attributes
    ----------
    starts
        One row per started site: ``site_id``, ``start_year``, ``ready_year``, ``cost_sek``,
        ``area_ha``, ``steps_to_ready`` (``programme.csv``).
    stock
        One row per year: ``year``, ``stock_ha``, ``stock_without_ha``, ``target_ha``,
        ``spend_sek``, ``shortfall_ha`` (``stock.csv``).
    feasible
        True when the target is met every year.
    budget_needed_sek
        When infeasible: the smallest yearly budget that would meet the target (None when
        no budget can: there is too little land that can be readied in time).
    """

    starts: pd.DataFrame
    stock: pd.DataFrame
    feasible: bool
    total_cost_sek: float
    budget_needed_sek: float | None
    settings: dict[str, Any]
    not_costed: list[str] = field(default_factory=list)
    solve_seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        """For run.json: the settings, the totals, the stock and what is not costed."""
        return {**self.settings, "feasible": self.feasible, "total_cost_sek": round(self.total_cost_sek),
                "sites_started": len(self.starts), "budget_needed_sek": self.budget_needed_sek,
                "shortfall_ha": round(float(self.stock["shortfall_ha"].sum()), 2),
                "not_costed": self.not_costed, "solve_seconds": round(self.solve_seconds, 3),
                "stock": self.stock.to_dict(orient="records")}


@dataclass
class _Problem:
    ids: np.ndarray
    area: np.ndarray        # ha
    cost: np.ndarray        # SEK
    lag: np.ndarray         # years from start to ready, minus one: ready = start + lag
    years: np.ndarray
    base: np.ndarray        # stock without the programme, per year
    target: float
    budget: float | None
    demand: float


def programme(result: Result, *, start: int, until: int, budget_sek_per_year: float | None = None,
              demand_ha_per_year: float | None = None, target_ha: float | None = None) -> Programme:
    """Choose the sites to start, and when, to keep the build-ready stock at the target.

    Parameters
    ----------
    result
        A run with a readiness ladder (``[readiness]``).
    start, until
        The programme's first and last year (inclusive).
    budget_sek_per_year
        The most that may be spent starting sites in one year; unbounded by default.
    demand_ha_per_year
        Hectares taken up each year; ``[readiness] demand_ha_per_year`` by default.
    target_ha
        The build-ready stock to keep; ``[readiness] target`` by default (else 0).

    Raises
    ------
    InputError
        Without a ladder or a demand, or with years or numbers out of range.
    """
    p = _problem(result, start, until, budget_sek_per_year, demand_ha_per_year, target_ha)
    t0 = time.perf_counter()
    x, shortfall = _solve(p, p.budget)
    feasible = bool(shortfall.sum() <= 1e-6)
    budget_needed = None if feasible else _budget_needed(p)
    seconds = time.perf_counter() - t0
    return _report(result, p, x, feasible, budget_needed, seconds)


def _problem(result: Result, start: int, until: int, budget: float | None, demand: float | None,
             target: float | None) -> _Problem:
    spec = result.analysis.readiness
    if spec is None or result.readiness is None:
        raise InputError("programme: the analysis has no [readiness] ladder; add one (docs/analysis-file.md)")
    problems = []
    if not (isinstance(start, int) and isinstance(until, int)) or until < start or until - start > 50:
        problems.append(f"programme: the years must run forward, at most 50 of them, not {start}-{until}")
    demand = spec.demand_ha_per_year if demand is None else demand
    if demand is None:
        problems.append("programme: no demand; give --demand-ha-per-year or [readiness] demand_ha_per_year")
    for name, v in (("demand_ha_per_year", demand), ("budget_sek_per_year", budget), ("target_ha", target)):
        if v is not None and (not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0):
            problems.append(f"programme: {name} must be a finite number of at least 0, not {v!r}")
    if problems:
        raise InputError(problems)
    goal = spec.target_level if spec.target_level is not None else spec.top
    target = target if target is not None else (spec.target_min_eligible_ha or 0.0)
    s = result.sites
    ha = s["area_m2"].to_numpy(dtype=float) / 1e4
    eligible = s["eligible"].to_numpy(dtype=bool)
    level = s["readiness_level"].to_numpy(dtype=int)
    cost = s["cost_to_ready_sek"].to_numpy(dtype=float)
    months = s["months_to_ready"].to_numpy(dtype=float)
    below = eligible & (level < goal)
    ok = below & np.isfinite(cost) & np.isfinite(months)
    years = np.arange(start, until + 1)
    today = float(ha[eligible & (level >= goal)].sum())
    base = today - float(demand or 0.0) * (years - start + 1)
    return _Problem(ids=s["site_id"].astype(str).to_numpy()[ok], area=ha[ok], cost=cost[ok],
                    lag=np.maximum(np.ceil(months[ok] / 12.0).astype(int) - 1, 0), years=years, base=base,
                    target=float(target), budget=budget, demand=float(demand or 0.0))


def _optimize() -> Any:
    """``scipy.optimize``, loaded when a programme is first solved: loading it costs 0.1 s,
    which every gis-tool command would otherwise pay at start-up."""
    import scipy.optimize

    return scipy.optimize


def _sparse() -> Any:
    """``scipy.sparse``, loaded when a programme is first set up (0.09 s of every start-up
    otherwise)."""
    import scipy.sparse

    return scipy.sparse


def _solve(p: _Problem, budget: float | None) -> tuple[np.ndarray, np.ndarray]:
    """x (n x T, 0/1) and the shortfall per year: least shortfall first, then least cost."""
    n, T = len(p.ids), len(p.years)
    nx = n * T
    cons, c1 = _least_shortfall(p, budget)
    r1 = _milp(c1, cons, nx, T, TIME_LIMIT_S)
    best = float(r1.fun)
    # stage 2: the least cost among programmes with that shortfall
    c2 = np.concatenate([np.tile(p.cost[:, None], (1, T)).ravel(), np.zeros(T)])
    keep = _optimize().LinearConstraint(c1[None, :], -np.inf, best + 1e-6 + 1e-9 * abs(best))
    r2 = _milp(c2, [cons, keep], nx, T, TIME_LIMIT_S)
    x = np.round(r2.x[:nx]).reshape(n, T) if n else np.zeros((0, T))
    return _as_late_as_possible(p, x, budget), np.maximum(r2.x[nx:], 0.0)


def _least_shortfall(p: _Problem, budget: float | None) -> tuple[LinearConstraint, np.ndarray]:
    """The constraints over x (n*T binaries) then u (T shortfalls >= 0), and the stage-1
    objective: the summed shortfall."""
    sp = _sparse()
    n, T = len(p.ids), len(p.years)
    rows = [sp.hstack([_once(n, T), sp.csr_array((n, T))]),
            sp.hstack([_cover(p), sp.eye_array(T)])]
    lo = [np.zeros(n), p.target - p.base]
    hi = [np.ones(n), np.full(T, np.inf)]
    if budget is not None and n:
        rows.append(sp.hstack([_spend(p), sp.csr_array((T, T))]))
        lo.append(np.full(T, -np.inf))
        hi.append(np.full(T, budget))
    cons = _optimize().LinearConstraint(sp.vstack(rows).tocsr(), np.concatenate(lo), np.concatenate(hi))
    return cons, np.concatenate([np.zeros(n * T), np.ones(T)])


def _milp(c: np.ndarray, constraints: Any, nx: int, n_cont: int, time_limit: float) -> Any:
    """HiGHS over nx binaries then n_cont continuous variables >= 0."""
    opt = _optimize()
    r = opt.milp(c, constraints=constraints, integrality=np.concatenate([np.ones(nx), np.zeros(n_cont)]),
                 bounds=opt.Bounds(np.zeros(nx + n_cont), np.concatenate([np.ones(nx), np.full(n_cont, np.inf)])),
                 options={"time_limit": time_limit})
    if r.x is None:
        raise RuntimeError(f"programme: the solver failed ({r.message})")
    return r


def _as_late_as_possible(p: _Problem, x: np.ndarray, budget: float | None) -> np.ndarray:
    """The same sites (the same cost), each started as late as the target and the budget
    allow: money is spent when the land is needed. A move never adds to a shortfall."""
    x = x.copy()
    T = len(p.years)
    area_by_year = _stock_added(p, x)
    for i in np.argsort(-p.lag, kind="stable"):       # the slowest sites first
        starts = np.flatnonzero(x[i] > 0.5)
        if not len(starts):
            continue
        t = int(starts[0])
        for later in range(T - 1, t, -1):
            lost = np.zeros(T)
            lost[t + p.lag[i]:min(T, later + p.lag[i])] = p.area[i]
            stock = p.base + area_by_year - lost
            spend = float(p.cost[x[:, later] > 0.5].sum()) + p.cost[i]
            if np.all((lost == 0) | (stock >= p.target - 1e-9)) and (budget is None or spend <= budget + 1e-6):
                x[i, t], x[i, later] = 0, 1
                area_by_year = area_by_year - lost
                break
    return x


def _stock_added(p: _Problem, x: np.ndarray) -> np.ndarray:
    """Hectares added to the build-ready stock by each year's end."""
    T = len(p.years)
    added = np.zeros(T)
    for i, t in np.argwhere(x > 0.5):
        added[t + p.lag[i]:] += p.area[i]
    return added


def _once(n: int, T: int) -> sparse.csr_array:
    """n x (n*T): each site is started at most once (x columns run site by site)."""
    sp = _sparse()
    return sp.kron(sp.eye_array(n), np.ones((1, T)), format="csr")


def _spend(p: _Problem) -> sparse.csr_array:
    """T x (n*T): what the starts of year t cost."""
    sp = _sparse()
    return sp.kron(p.cost[None, :], sp.eye_array(len(p.years)), format="csr")


def _cover(p: _Problem) -> sparse.csr_array:
    """T x (n*T): the hectares that starting site i in year s adds to the stock of year t
    (its area once it is ready by the end of year t)."""
    sp = _sparse()
    n, T = len(p.ids), len(p.years)
    ready = np.tile(np.arange(T), n) + np.repeat(p.lag, T)        # index of the ready year of each x
    ready_by = ready[None, :] <= np.arange(T)[:, None]
    return sp.csr_array(ready_by * np.repeat(p.area, T)[None, :])


def _budget_needed(p: _Problem) -> float | None:
    """The smallest yearly budget that meets the target (None when none can)."""
    sp = _sparse()
    n, T = len(p.ids), len(p.years)
    nx = n * T
    cons, c1 = _least_shortfall(p, None)
    if _milp(c1, cons, nx, T, TIME_LIMIT_S).fun > 1e-6:
        return None
    # variables: x, then B (the budget); minimise B
    opt = _optimize()
    cons = [opt.LinearConstraint(sp.hstack([_cover(p), sp.csr_array((T, 1))]).tocsr(),
                                 p.target - p.base, np.inf),
            opt.LinearConstraint(sp.hstack([_spend(p), -np.ones((T, 1))]).tocsr(), -np.inf, 0.0),
            opt.LinearConstraint(sp.hstack([_once(n, T), sp.csr_array((n, 1))]).tocsr(), 0.0, 1.0)]
    c = np.zeros(nx + 1)
    c[nx] = 1.0
    r = opt.milp(c, constraints=cons, integrality=np.concatenate([np.ones(nx), [0]]),
                 bounds=opt.Bounds(np.zeros(nx + 1), np.concatenate([np.ones(nx), [np.inf]])),
                 options={"time_limit": TIME_LIMIT_S / 2})
    return round(float(r.x[nx])) if r.x is not None else None   # at the time limit: a budget that suffices


def _report(result: Result, p: _Problem, x: np.ndarray, feasible: bool, budget_needed: float | None,
            seconds: float) -> Programme:
    s = result.sites.set_index("site_id")
    chosen = np.argwhere(x > 0.5)
    rows = []
    for i, t in chosen:
        sid = p.ids[i]
        rows.append({"site_id": sid, "start_year": int(p.years[t]), "ready_year": int(p.years[t] + p.lag[i]),
                     "cost_sek": round(float(p.cost[i])), "area_ha": round(float(p.area[i]), 2),
                     "steps_to_ready": str(s.loc[sid, "steps_to_ready"]) if "steps_to_ready" in s.columns else ""})
    starts = pd.DataFrame(rows, columns=["site_id", "start_year", "ready_year", "cost_sek", "area_ha",
                                         "steps_to_ready"]).sort_values(["start_year", "site_id"],
                                                                        ignore_index=True)
    added = np.zeros(len(p.years))
    spend = np.zeros(len(p.years))
    for i, t in chosen:
        added[t + p.lag[i]:] += p.area[i]      # nothing when it is ready after the last year
        spend[t] += p.cost[i]
    stock = p.base + added
    table = pd.DataFrame({"year": p.years, "stock_ha": np.round(stock, 2), "stock_without_ha": np.round(p.base, 2),
                          "target_ha": p.target, "spend_sek": np.round(spend), "shortfall_ha":
                          np.round(np.maximum(p.target - stock, 0.0), 2)})
    spec = result.analysis.readiness
    goal = spec.target_level if spec is not None and spec.target_level is not None else (spec.top if spec else 0)
    el = result.sites["eligible"].to_numpy(dtype=bool)
    lv = result.sites["readiness_level"].to_numpy(dtype=int)
    costs = result.sites["cost_to_ready_sek"].to_numpy(dtype=float)
    not_costed = sorted(result.sites["site_id"].astype(str).to_numpy()[el & (lv < goal) & ~np.isfinite(costs)])
    settings = {"from": int(p.years[0]), "until": int(p.years[-1]), "budget_sek_per_year": p.budget,
                "demand_ha_per_year": p.demand, "target_ha": p.target, "candidates": len(p.ids)}
    return Programme(starts, table, feasible, float(spend.sum()), budget_needed, settings, not_costed, seconds)
