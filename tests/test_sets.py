"""The integer sets of the overlap and count criteria agree with numpy's own."""

import numpy as np
import pytest

from gis_tool.engine.sets import among, distinct


@pytest.mark.parametrize("n, span", [(0, 5), (1, 5), (2, 1), (1000, 7), (50_000, 10**12)])
def test_distinct_equals_numpys_unique(n, span):
    values = np.random.default_rng(n).integers(0, span, n)
    assert np.array_equal(distinct(values), np.unique(values))
    assert distinct(values).dtype == values.dtype
    if span < 10**6:
        assert np.array_equal(distinct(values, span), np.unique(values))


def test_distinct_by_hand():
    assert distinct(np.array([5, 3, 5, 0, 3])).tolist() == [0, 3, 5]
    assert distinct(np.array([5, 3, 5, 0, 3]), 6).tolist() == [0, 3, 5]
    assert distinct(np.array([-2, 7, -2])).tolist() == [-2, 7]


@pytest.mark.parametrize("n, m", [(0, 3), (10, 0), (1000, 10), (20_000, 5_000)])
def test_among_equals_numpys_isin(n, m):
    rng = np.random.default_rng(m)
    values, known = rng.integers(-50, 10_000, n), distinct(rng.integers(0, 10_000, m))
    assert np.array_equal(among(values, known), np.isin(values, known))


def test_among_by_hand():
    known = np.array([2, 4, 9])
    assert among(np.array([9, 10, 1, 2, 4, 3]), known).tolist() == [True, False, False, True, True, False]


def test_order_of_distinct_positions_is_argsort():
    """The order that sorts distinct positions: a permutation of 0..n-1 inverted in one
    pass, others (a re-score that dropped sites keeps the run's positions of the rest)
    sorted; both equal np.argsort."""
    from gis_tool.engine.sets import order_of

    rng = np.random.default_rng(4)
    for n in (0, 1, 2, 9, 500):
        positions = rng.permutation(n)
        assert np.array_equal(order_of(positions), np.argsort(positions))
        kept = np.sort(rng.choice(3 * n + 3, n, replace=False))[rng.permutation(n)]   # gaps: a subset
        assert np.array_equal(order_of(kept), np.argsort(kept))
    positions = np.array([2, 0, 3, 1])
    assert order_of(positions).tolist() == [1, 3, 0, 2]
    assert np.array_equal(positions[order_of(positions)], np.arange(4))
