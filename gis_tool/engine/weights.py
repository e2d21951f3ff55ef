"""Criterion weights: direct (relative numbers, normalised) or AHP (Saaty)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import InputError

# Saaty's random consistency index for matrices of size n (index = n).
RANDOM_INDEX = [0.0, 0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49,
                1.51, 1.48, 1.56, 1.57, 1.59]


@dataclass(frozen=True)
class Weights:
    """Normalised weights (summing to 1) and how they were derived."""

    values: dict[str, float]
    method: str = "direct"
    consistency_ratio: float | None = None
    matrix: list[list[float]] = field(default_factory=list)

    def to_dict(self) -> dict:
        d: dict[str, Any] = {"method": self.method, "weights": self.values}
        if self.method == "ahp":
            d |= {"consistency_ratio": self.consistency_ratio, "matrix": self.matrix}
        return d


def normalise(raw: Mapping[str, float]) -> Weights:
    """Relative weights scaled to sum to 1.

    >>> normalise({"a": 3, "b": 1}).values
    {'a': 0.75, 'b': 0.25}
    """
    total = float(sum(raw.values()))
    if total <= 0:
        raise InputError("weights: every weight is 0; give at least one criterion a weight "
                         "above 0")
    return Weights({k: float(v) / total for k, v in raw.items()})


def ahp(criteria: Sequence[str], pairwise: Sequence[tuple[str, str, float]], *,
        max_cr: float = 0.1) -> Weights:
    """Weights from pairwise comparisons by Saaty's principal eigenvector.

    Parameters
    ----------
    criteria
        Every criterion; each pair must be compared exactly once.
    pairwise
        ``(a, b, k)``: a is k times as important as b.
    max_cr
        The largest consistency ratio accepted.

    Raises
    ------
    InputError
        When a pair is missing or repeated, or the consistency ratio exceeds ``max_cr``
        (naming the ratio and the most inconsistent comparison).

    Examples
    --------
    >>> w = ahp(["m", "z", "p"], [("m", "z", 2), ("m", "p", 4), ("z", "p", 2)])
    >>> [round(w.values[k] * 7, 6) for k in "mzp"]
    [4.0, 2.0, 1.0]
    """
    names = list(criteria)
    pos = {n: i for i, n in enumerate(names)}
    n = len(names)
    a = np.ones((n, n))
    seen: dict[frozenset, int] = {}
    problems = []
    for k, (x, y, v) in enumerate(pairwise):
        key = frozenset((x, y))
        if x == y:
            problems.append(f"weights.pairwise[{k}]: compares '{x}' with itself")
            continue
        if key in seen:
            problems.append(f"weights.pairwise[{k}]: '{x}' and '{y}' are already compared in "
                            f"pairwise[{seen[key]}]; keep one")
            continue
        seen[key] = k
        a[pos[x], pos[y]], a[pos[y], pos[x]] = v, 1.0 / v
    for i in range(n):
        for j in range(i + 1, n):
            if frozenset((names[i], names[j])) not in seen:
                problems.append(f"weights.pairwise: no comparison of '{names[i]}' and "
                                f"'{names[j]}'; add [\"{names[i]}\", \"{names[j]}\", factor]")
    if problems:
        raise InputError(problems)
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)
    w = w / w.sum()
    lam = float(vals[k].real)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = RANDOM_INDEX[n] if n < len(RANDOM_INDEX) else RANDOM_INDEX[-1]
    cr = max(0.0, ci / ri) if ri else 0.0
    if cr > max_cr:
        i, j = _most_inconsistent(a, w)
        raise InputError(
            f"weights: the pairwise comparisons are inconsistent: consistency ratio "
            f"{cr:.3f} exceeds the maximum {max_cr:g}. The most inconsistent comparison is "
            f"'{names[i]}' versus '{names[j]}' (given {a[i, j]:.3g}, the other comparisons "
            f"imply about {w[i] / w[j]:.3g}); revise it, or raise "
            "weights.max_consistency_ratio")
    return Weights({nm: float(w[i]) for i, nm in enumerate(names)}, method="ahp",
                   consistency_ratio=cr, matrix=a.tolist())


def _most_inconsistent(a: np.ndarray, w: np.ndarray) -> tuple[int, int]:
    """The pair whose judgement departs most from the ratio of the derived weights."""
    err = np.abs(np.log(a * np.outer(1 / w, w)))
    np.fill_diagonal(err, -1)
    i, j = np.unravel_index(int(np.argmax(err)), err.shape)
    return (int(i), int(j)) if a[i, j] >= 1 else (int(j), int(i))
