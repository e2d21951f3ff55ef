"""Weights: direct normalisation and AHP."""

from __future__ import annotations

import numpy as np
import pytest

from gis_tool.engine.weights import ahp, normalise
from gis_tool.errors import InputError


def test_normalise():
    w = normalise({"a": 3, "b": 1, "c": 0}).values
    assert w == {"a": 0.75, "b": 0.25, "c": 0.0}


def test_ahp_consistent_matrix_gives_4_2_1():
    w = ahp(["motorway", "zoning", "power"],
            [("motorway", "zoning", 2), ("motorway", "power", 4), ("zoning", "power", 2)])
    np.testing.assert_allclose([w.values[k] for k in ("motorway", "zoning", "power")],
                               [4 / 7, 2 / 7, 1 / 7], atol=1e-12)
    assert w.consistency_ratio == pytest.approx(0.0, abs=1e-9)
    assert w.method == "ahp"


def test_ahp_reversed_pair_is_reciprocal():
    w = ahp(["a", "b"], [("b", "a", 3)])
    assert w.values["b"] == pytest.approx(0.75)


def test_ahp_inconsistent_refused_with_ratio_and_pair():
    # a > b > c, yet c 5x as important as a: grossly inconsistent.
    with pytest.raises(InputError) as exc:
        ahp(["a", "b", "c"], [("a", "b", 3), ("b", "c", 3), ("c", "a", 5)])
    msg = str(exc.value)
    assert "consistency ratio" in msg and "exceeds the maximum 0.1" in msg
    assert "most inconsistent comparison" in msg


def test_ahp_consistency_ratio_matches_saaty():
    # Saaty's textbook-style 3x3: lambda_max computed independently by power iteration.
    a = np.array([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]])
    v = np.ones(3)
    for _ in range(200):
        v = a @ v
        v /= v.sum()
    lam = float((a @ v / v).mean())
    expected_cr = (lam - 3) / 2 / 0.58
    w = ahp(["x", "y", "z"], [("x", "y", 3), ("x", "z", 5), ("y", "z", 2)])
    assert w.consistency_ratio == pytest.approx(expected_cr, rel=1e-6)
    np.testing.assert_allclose([w.values[k] for k in "xyz"], v, rtol=1e-6)


def test_ahp_missing_pair():
    with pytest.raises(InputError, match=r"no comparison of 'b' and 'c'"):
        ahp(["a", "b", "c"], [("a", "b", 2), ("a", "c", 2)])
