"""Value functions, checked against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from gis_tool.engine.values import apply_value, categorical, linear, target, threshold
from gis_tool.spec.value_params import check_params


def test_linear_nearer_is_better_clamped():
    v = linear(np.array([0, 1000, 5500, 10000, 20000.0]), best=1000, worst=10000)
    np.testing.assert_allclose(v, [1, 1, 0.5, 0, 0])


def test_linear_more_is_better():
    np.testing.assert_allclose(linear(np.array([-5, 0, 5, 20, 40.0]), best=20, worst=0),
                               [0, 0, 0.25, 1, 1])


def test_linear_keeps_nan():
    assert np.isnan(linear(np.array([np.nan]), best=1, worst=0))[0]


def test_threshold_steps_inclusive_upper_bounds():
    v = threshold(np.array([0, 100, 101, 500, 1500, 1501.0]),
                  steps=[[100, 1.0], [500, 0.6], [1500, 0.2]], otherwise=0.0)
    np.testing.assert_allclose(v, [1, 1, 0.6, 0.6, 0.2, 0.0])


def test_threshold_falling_bounds_are_lower_bounds():
    v = threshold(np.array([40, 20, 19.9, 10, 9, 0.0]), steps=[[20, 1.0], [10, 0.5]], otherwise=0.1)
    np.testing.assert_allclose(v, [1, 1, 0.5, 0.5, 0.1, 0.1])


def test_threshold_breaks_values():
    v = threshold(np.array([0, 9.9, 10, 19, 20, 99.0]), breaks=[10, 20], values=[0.0, 0.5, 1.0])
    np.testing.assert_allclose(v, [0, 0, 0.5, 0.5, 1, 1])


def test_target():
    np.testing.assert_allclose(target(np.array([50, 40, 60, 30, 80.0]), ideal=50, tolerance=20),
                               [1, 0.5, 0.5, 0, 0])


def test_categorical_default_and_missing():
    v = categorical(["J", "K", "B", None], map={"J": 1.0, "K": 0.5}, default=0.1)
    np.testing.assert_allclose(v[:3], [1, 0.5, 0.1])
    assert np.isnan(v[3])
    assert np.isnan(categorical(["B"], map={"J": 1.0})[0])


def test_unknown_function_lists_valid():
    with pytest.raises(KeyError, match=r"unknown value function 'sigmoid'.*'categorical'"):
        apply_value("sigmoid", {}, [1.0])


@pytest.mark.parametrize("fn,params,fragment", [
    ("linear", {"best": 1, "worst": 1}, "differ"),
    ("threshold", {"steps": [[5, 1], [2, 0], [3, 0]]}, "rising"),
    ("target", {"ideal": 1, "tolerance": 0}, "greater than 0"),
    ("categorical", {"map": {"a": 2}}, "0..1"),
])
def test_bad_parameters_explained(fn, params, fragment):
    assert any(fragment in m for m in check_params(fn, params))
