"""Scoring: weighted sum of values to a 0..100 score, ranks, and points per criterion."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd


def weighted_score(values: pd.DataFrame, weights: Mapping[str, float],
                   eligible: np.ndarray) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Points per criterion, score and rank.

    Parameters
    ----------
    values
        One column per criterion, values in 0..1, indexed by site id.
    weights
        Normalised weights (summing to 1) per criterion.
    eligible
        True for sites no constraint excludes; the others get no points, score or rank.

    Returns
    -------
    tuple
        ``points`` (weight x value x 100 per criterion), ``score`` (their sum, 0..100)
        and ``rank`` (1 = best; ties broken by site id), the last two null when excluded.
    """
    w = pd.Series({c: float(weights.get(c, 0.0)) for c in values.columns})
    points = (values.mul(w, axis=1) * 100.0).round(6)
    points[~eligible] = np.nan
    # The score is the sum of the (rounded) points, so they add up exactly as shown.
    score = points.sum(axis=1, min_count=1).round(6)
    score[~eligible] = np.nan
    score = score.clip(0.0, 100.0)
    return points, score, rank_sites(score)


def rank_sites(score: pd.Series) -> pd.Series:
    """Rank 1 for the highest score; equal scores ordered by site id; null stays null."""
    s = score.dropna()
    ids = np.array([str(i) for i in s.index])
    order = np.lexsort((ids, -np.round(s.to_numpy(dtype=float), 9)))
    rank = pd.Series(pd.NA, index=score.index, dtype="Int64")
    rank[s.index[order]] = np.arange(1, len(order) + 1)
    return rank
