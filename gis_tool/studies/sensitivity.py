"""Weight sensitivity and profile comparison: are the top sites robust?

``sensitivity(result)`` draws weight sets around the chosen weights (Dirichlet with
``alpha = concentration x weights``; a higher concentration keeps draws closer), re-scores
the eligible sites for all draws at once (one matrix product of values by weights, ranks
by one sort per column) and reports per site the rank under the chosen weights, the
median rank, the 5th and 95th percentile ranks and the share of draws that put it in the
top N. It also sweeps each weight one at a time from -50 % to +50 % (the others
rescaled to keep the sum) and records the rank of the current top N along each sweep.

``compare(result)`` ranks the sites under the base weights and under every profile (by
re-scoring, never measuring again) side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..engine.pipeline import Result
from ..engine.score import id_order, rank_key, scores_for
from ..errors import InputError, closest, valid_list

SWEEP_STEPS = np.round(np.linspace(-0.5, 0.5, 11), 2)
CHUNK_CELLS = 20_000_000  # sites x criteria x draws per block: bounds memory (160 MB of float64)


@dataclass
class Sensitivity:
    """The outcome of :func:`sensitivity`.

    Attributes
    ----------
    stability
        Per eligible site: ``site_id``, ``rank``, ``median_rank``, ``rank_p05``,
        ``rank_p95``, ``p_top_n``, ``robust`` (p_top_n >= 0.9); best first.
    sweeps
        One-at-a-time sweeps: ``criterion``, ``change_pct``, ``weight``, ``site_id``,
        ``rank`` for the current top N.
    mean_spearman
        Mean Spearman correlation of the draws' rankings with the chosen ranking.
    """

    stability: pd.DataFrame
    sweeps: pd.DataFrame
    mean_spearman: float
    weights: dict[str, float]
    runs: int
    top: int
    seed: int
    concentration: float
    profile: str | None
    draws: np.ndarray = field(repr=False, default_factory=lambda: np.empty((0, 0)))

    def summary(self) -> dict[str, Any]:
        s = self.stability
        return {"runs": self.runs, "top": self.top, "seed": self.seed,
                "concentration": self.concentration, "profile": self.profile,
                "weights": self.weights, "eligible_sites": len(s),
                "mean_spearman": round(self.mean_spearman, 6),
                "robust_in_top": int(s["robust"].sum()),
                "top_sites": s.head(self.top)[["site_id", "rank", "median_rank", "rank_p05",
                                               "rank_p95", "p_top_n"]].to_dict(orient="records")}


def _eligible_matrix(result: Result) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    c = result.score_cache
    if c is None:
        raise ValueError("this result has no score cache; run the analysis again")
    ok = result.sites["eligible"].to_numpy(dtype=bool)
    ids = result.sites["site_id"].to_numpy(dtype=str)[ok]
    return c.values[ok], ids, c.criteria, id_order(ids)


def ranks_for(values: np.ndarray, weights: np.ndarray, tie_key: np.ndarray) -> np.ndarray:
    """Ranks (1 = best) of every site under every weight set.

    Parameters
    ----------
    values
        n sites x k criteria, 0..1.
    weights
        k x d weight sets (columns sum to 1).
    tie_key
        The sites' id order: equal scores rank by id, as in a run.

    Returns
    -------
    numpy.ndarray
        n x d integer ranks.
    """
    n, d = values.shape[0], weights.shape[1]
    by_id = np.argsort(tie_key, kind="stable")     # rows in id order: a stable sort keeps it
    v = values[by_id]
    ranks = np.empty((n, d), dtype=np.int32)
    step = max(1, CHUNK_CELLS // max(n * values.shape[1], 1))   # the points are n x k x step
    for j0 in range(0, d, step):
        w = weights[:, j0:j0 + step]
        scores = rank_key(scores_for(v, w))
        order = np.argsort(-scores, axis=0, kind="stable")
        r = np.empty_like(order)
        np.put_along_axis(r, order, np.arange(1, n + 1)[:, None], axis=0)
        ranks[by_id, j0:j0 + step] = r
    return ranks


def spearman_to(base: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """Spearman's rho of each column of ``ranks`` with ``base`` (ranks without ties)."""
    n = len(base)
    if n < 2:
        return np.ones(ranks.shape[1])
    d2 = ((ranks - base[:, None]).astype(np.float64) ** 2).sum(axis=0)
    return 1.0 - 6.0 * d2 / (n * (n * n - 1.0))


def dirichlet_draws(weights: np.ndarray, runs: int, concentration: float, seed: int) -> np.ndarray:
    """k x runs weight sets around ``weights``; criteria with weight 0 stay at 0."""
    rng = np.random.default_rng(seed)
    active = weights > 0
    out = np.zeros((len(weights), runs))
    out[active] = rng.dirichlet(concentration * weights[active], size=runs).T
    return out


def sensitivity(result: Result, *, runs: int = 1000, top: int = 10, seed: int = 1,
                concentration: float = 50.0) -> Sensitivity:
    """Rank stability of the eligible sites under weight uncertainty.

    Parameters
    ----------
    result
        A run (or a re-scored run) of the analysis.
    runs
        Number of Dirichlet draws.
    top
        N of "top N".
    seed
        Seed of the random draws: the same seed gives the same answer.
    concentration
        Dirichlet concentration: alpha = concentration x weights. 50 keeps a weight of
        0.2 mostly within about ±0.1; larger is tighter.

    Returns
    -------
    Sensitivity
    """
    problems = []
    for name, v in (("runs", runs), ("top", top)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            problems.append(f"sensitivity: {name} must be a whole number of at least 1, not {v!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        problems.append(f"sensitivity: seed must be a whole number of at least 0, not {seed!r}")
    if not isinstance(concentration, (int, float)) or not math.isfinite(concentration) or concentration <= 0:
        problems.append(f"sensitivity: concentration must be a finite number above 0, not {concentration!r}"
                        " (50 keeps draws close to the weights, 5 lets them vary widely)")
    if problems:
        raise InputError(problems)
    values, ids, crits, tie = _eligible_matrix(result)
    if not len(ids):
        raise InputError("sensitivity: no eligible sites to rank")
    w = np.array([result.weights.values.get(c, 0.0) for c in crits])
    base = ranks_for(values, w[:, None], tie)[:, 0]
    draws = dirichlet_draws(w, runs, concentration, seed)
    ranks = ranks_for(values, draws, tie)
    stab = pd.DataFrame({
        "site_id": ids, "rank": base,
        "median_rank": np.median(ranks, axis=1),
        "rank_p05": np.percentile(ranks, 5, axis=1),
        "rank_p95": np.percentile(ranks, 95, axis=1),
        "p_top_n": (ranks <= top).mean(axis=1),
    })
    stab["robust"] = stab["p_top_n"] >= 0.9
    stab = stab.sort_values("rank", kind="stable").reset_index(drop=True)
    sweeps = _sweeps(values, ids, crits, w, tie, base, top)
    return Sensitivity(stab, sweeps, float(spearman_to(base, ranks).mean()),
                       dict(zip(crits, w.round(6).tolist())), runs, top, seed, concentration,
                       result.profile, draws)


def _sweeps(values: np.ndarray, ids: np.ndarray, crits: list[str], w: np.ndarray,
            tie: np.ndarray, base: np.ndarray, top: int) -> pd.DataFrame:
    """Each weight from -50 % to +50 %, the others rescaled so that the sum stays 1."""
    top_idx = np.argsort(base)[:top]
    rows = []
    for i, c in enumerate(crits):
        if w[i] <= 0:
            continue
        sets = []
        for f in SWEEP_STEPS:
            wi = w[i] * (1 + f)
            rest = 1 - w[i]
            other = w * ((1 - wi) / rest) if rest > 0 else np.zeros_like(w)
            other[i] = wi
            sets.append(other / other.sum())
        ranks = ranks_for(values, np.array(sets).T, tie)
        for j, f in enumerate(SWEEP_STEPS):
            for k in top_idx:
                rows.append((c, round(float(f) * 100), round(float(sets[j][i]), 6), ids[k], int(ranks[k, j])))
    return pd.DataFrame(rows, columns=["criterion", "change_pct", "weight", "site_id", "rank"])


def compare(result: Result, *, profiles: list[str] | None = None, top: int = 10) -> pd.DataFrame:
    """Ranks under the base weights and each profile, side by side (``compare.csv``).

    Parameters
    ----------
    result
        A run of the analysis; every profile is a re-score of it.
    profiles
        The profiles to compare (default: all); the base weights come first as ``base``.
    top
        N of "top N" for ``top_in_all``.

    Returns
    -------
    pandas.DataFrame
        ``site_id``, ``rank_base``, ``rank_<profile>`` per profile (empty where a site is
        excluded or below the profile's minimum area), ``top_in_all``; best base rank first.
    """
    names = list(result.analysis.profiles) if profiles is None else list(profiles)
    for p in names:
        if p not in result.analysis.profiles:
            raise InputError(f"--profiles: no profile '{p}'{closest(p, result.analysis.profiles)}; "
                             f"profiles: {valid_list(result.analysis.profiles) or 'none'}")
    base = result.rescore(profile=None) if result.profile is not None else result
    out = pd.DataFrame({"site_id": base.sites["site_id"].to_numpy(),
                        "rank_base": base.sites["rank"].astype("Int64").to_numpy()})
    for p in names:
        r = result.rescore(profile=p).sites.set_index("site_id")["rank"]
        out[f"rank_{p}"] = out["site_id"].map(r).astype("Int64")
    rank_cols = [c for c in out.columns if c.startswith("rank_")]
    top_all = np.ones(len(out), bool)
    for c in rank_cols:
        col = out[c].astype("Float64").fillna(np.inf).to_numpy(dtype=float)
        top_all &= col <= top
    out["top_in_all"] = top_all
    order = np.lexsort((out["site_id"].to_numpy(dtype=str),
                        out["rank_base"].astype("Float64").fillna(np.inf).to_numpy(dtype=float)))
    return out.iloc[order].reset_index(drop=True)
