"""Scoring: weighted sum of values to a 0..100 score, ranks, and points per criterion.

The same arrays-in, arrays-out functions serve a run, a re-score with other weights and
the sensitivity draws, so all three agree to the last digit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..progress import in_chunks
from .sets import order_of


def _total(points: np.ndarray) -> np.ndarray:
    """The sum over criteria (axis 1), criterion by criterion in order: the same additions,
    and so the same last digit, as the live page's script and every weight set."""
    total = np.zeros(points.shape[:1] + points.shape[2:])
    for j in range(points.shape[1]):
        total = total + points[:, j]
    return total


def score_arrays(values: np.ndarray, weights: np.ndarray, eligible: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Points (n x k, value x weight x 100, rounded to 1e-6) and scores (their sum, rounded
    to 1e-6 and clipped to 0..100).

    Excluded sites (``eligible`` False) get NaN points and score.
    """
    points = np.empty(values.shape)
    score = np.empty(len(values))

    def rows(a: int, b: int) -> None:   # in chunks on threads (numpy lets go of Python's lock)
        points[a:b] = np.round(values[a:b] * weights * 100.0, 6)
        points[a:b][~eligible[a:b]] = np.nan
        score[a:b] = np.clip(np.round(_total(points[a:b]), 6), 0.0, 100.0)
        score[a:b][~eligible[a:b]] = np.nan

    in_chunks(rows, len(values))
    return points, score


def scores_for(values: np.ndarray, weight_sets: np.ndarray) -> np.ndarray:
    """Scores (n x d) of every site under every weight set (k x d), each computed exactly
    as :func:`score_arrays` computes one."""
    points = np.round(values[:, :, None] * weight_sets[None, :, :] * 100.0, 6)
    return np.clip(np.round(_total(points), 6), 0.0, 100.0)


RANK_DIGITS = 9   # ranks compare scores to 1e-9


def rank_key(score: np.ndarray) -> np.ndarray:
    """What ranks compare: the score to ``RANK_DIGITS`` decimals, so that equal scores
    tie exactly."""
    return np.round(score, RANK_DIGITS)


def id_order(ids: Any) -> np.ndarray:
    """Each id's position in sorted order: the tie-break key of :func:`rank_array`.

    Ids are compared as text, by code point. Ids already in order (as parcel numbers
    often are) skip the sort. Text that pandas keeps in Arrow (its string type) is
    compared there, without making a numpy copy of a million ids: UTF-8's byte order is
    the code points' order.
    """
    text = _as_text(ids)
    n = len(text)
    if rising(text):
        return np.arange(n, dtype=np.int64)
    if isinstance(text, pa.Array):
        at = pc.sort_indices(text).to_numpy()   # stable
    else:
        at = np.argsort(text, kind="stable")
    return order_of(at)   # each id's place among the sorted ones


def rising(text: pa.Array | np.ndarray) -> bool:
    """Each value greater than the one before, compared by code point (so no value
    appears twice): one pass, in Arrow for Arrow text. ``text`` has no missing value."""
    if len(text) < 2:
        return True
    if isinstance(text, pa.Array):
        return bool(pc.all(pc.greater(text[1:], text[:-1])).as_py())
    return bool(np.all(text[1:] > text[:-1]))


def _as_text(ids: Any) -> pa.Array | np.ndarray:
    """``ids`` as an Arrow text array where they are one already (in pandas or Arrow),
    with no missing id; else as numpy text."""
    if isinstance(ids, (pd.Index, pd.Series)) and isinstance(ids.array, pd.arrays.ArrowStringArray):
        ids = pa.array(ids.array)
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    if (isinstance(ids, pa.Array) and ids.null_count == 0
            and (pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type))):
        return ids
    return np.asarray(ids, dtype=str)


def best_first_order(rank: np.ndarray, key: np.ndarray) -> np.ndarray:
    """The positions of the sites best first: by ``rank`` (1, 2, ...; 0 for none), then the
    unranked sites by ``key``. Ranks 1..m, each once, are put in place without a sort."""
    ranked = np.flatnonzero(rank > 0)
    m = len(ranked)
    placed = np.zeros(m + 1, dtype=bool)
    if m and rank[ranked].max() == m:
        placed[rank[ranked]] = True
    if not placed[1:].all():   # ranks with gaps or ties: sorted
        return np.lexsort((key, np.where(rank > 0, rank, np.iinfo(np.int64).max)))
    order = np.empty(len(rank), dtype=np.int64)
    order[rank[ranked] - 1] = ranked
    unranked = np.flatnonzero(rank == 0)
    order[m:] = unranked[np.argsort(key[unranked], kind="stable")]
    return order


def rank_array(score: np.ndarray, tie_key: np.ndarray, *, with_order: bool = False) -> Any:
    """Rank 1 for the highest score, equal scores by ``tie_key``; 0 where score is NaN.

    ``tie_key`` is a permutation (see :func:`id_order`): the sites are put in its order
    once, and one stable sort by score then breaks ties by it. With ``with_order`` also
    returns the positions of the ranked sites, best first.
    """
    n = len(score)
    ok = np.flatnonzero(~np.isnan(score))
    # the score in units of the last digit rank_key keeps (numpy rounds as rint(x * 10**d)
    # / 10**d: equal units, equal keys), best first, and the tie key, in one integer: one
    # sort of unique numbers instead of a stable sort of floats (a million real scores:
    # 0.22-0.27 s to 0.03 s)
    units = np.rint(score[ok] * 10.0 ** RANK_DIGITS)
    top = units.max(initial=0.0)
    if (top - units.min(initial=top) + 1) * max(n, 1) < 2.0 ** 62:
        order = ok[np.argsort((top - units).astype(np.int64) * np.int64(n) + tie_key[ok])]
    else:   # too wide for one integer: a stable sort by score, in the tie key's order
        by_key = order_of(tie_key)
        s = rank_key(score[by_key])
        keep = ~np.isnan(s)
        order = by_key[keep][np.argsort(-s[keep], kind="stable")]
    rank = np.zeros(n, dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return (rank, order) if with_order else rank


def weighted_score(values: pd.DataFrame, weights: Mapping[str, float], eligible: np.ndarray,
                   tie_key: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Points per criterion, score and rank.

    Parameters
    ----------
    values
        One column per criterion, values in 0..1, indexed by site id.
    weights
        Normalised weights (summing to 1) per criterion.
    eligible
        True for sites no constraint excludes; the others get no points, score or rank.
    tie_key
        :func:`id_order` of the index, when the caller has it already.

    Returns
    -------
    tuple
        ``points`` (weight x value x 100 per criterion), ``score`` (their sum, 0..100)
        and ``rank`` (1 = best; ties broken by site id), the last two null when excluded.
    """
    w = np.array([float(weights.get(c, 0.0)) for c in values.columns])
    eligible = np.asarray(eligible, dtype=bool)
    points, score = score_arrays(values.to_numpy(dtype=float), w, eligible)
    pts = pd.DataFrame(points, index=values.index, columns=values.columns, copy=False)   # new arrays
    sc = pd.Series(score, index=values.index, copy=False)
    return pts, sc, rank_sites(sc, tie_key)


def rank_sites(score: pd.Series, tie_key: np.ndarray | None = None) -> pd.Series:
    """Rank 1 for the highest score; equal scores ordered by site id; null stays null.

    ``tie_key`` is :func:`id_order` of the index, when the caller has it already.
    """
    if tie_key is None:
        tie_key = id_order(score.index.to_numpy(dtype=object))
    r = rank_array(score.to_numpy(dtype=float), tie_key)
    return pd.Series(pd.array(np.where(r > 0, r, 0), dtype="Int64"), index=score.index).mask(r == 0)
