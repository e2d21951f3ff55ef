"""Scoring, ranks, constraints; and properties that must hold for any input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, box

from gis_tool.engine.constraints import attribute_constraint, layer_constraint
from gis_tool.engine.score import rank_sites, weighted_score
from gis_tool.spec.analysis import ConstraintSpec


def test_ties_ranked_by_site_id():
    s = pd.Series([50.0, 70.0, 50.0, np.nan], index=["b", "c", "a", "d"])
    r = rank_sites(s)
    assert (r["c"], r["a"], r["b"]) == (1, 2, 3)
    assert pd.isna(r["d"])


def test_points_are_weight_times_value_times_100():
    vals = pd.DataFrame({"m": [1.0, 0.5], "z": [0.0, 1.0]}, index=["x", "y"])
    pts, score, rank = weighted_score(vals, {"m": 0.75, "z": 0.25}, np.array([True, True]))
    assert pts.loc["x"].tolist() == [75.0, 0.0]
    assert pts.loc["y"].tolist() == [37.5, 25.0]
    assert score.tolist() == [75.0, 62.5]
    assert rank.tolist() == [1, 2]


def test_excluded_have_no_score_rank_or_points():
    vals = pd.DataFrame({"m": [1.0, 0.5]}, index=["x", "y"])
    pts, score, rank = weighted_score(vals, {"m": 1.0}, np.array([False, True]))
    assert pd.isna(score["x"]) and pd.isna(rank["x"]) and pd.isna(pts.loc["x", "m"])
    assert rank["y"] == 1


values_frame = st.integers(1, 6).flatmap(lambda k: st.tuples(
    st.lists(st.lists(st.floats(0, 1), min_size=k, max_size=k), min_size=1, max_size=30),
    st.lists(st.floats(0.01, 10), min_size=k, max_size=k)))


@given(values_frame)
@settings(max_examples=150, deadline=None)
def test_points_add_up_and_score_in_range(data):
    rows, raw_w = data
    cols = [f"c{i}" for i in range(len(raw_w))]
    vals = pd.DataFrame(rows, columns=cols)
    w = {c: x / sum(raw_w) for c, x in zip(cols, raw_w)}
    pts, score, _ = weighted_score(vals, w, np.ones(len(vals), bool))
    np.testing.assert_allclose(pts.sum(axis=1), score, atol=1e-9)
    assert ((score >= 0) & (score <= 100)).all()


@given(values_frame, st.data())
@settings(max_examples=150, deadline=None)
def test_raising_a_value_never_lowers_the_score(data, draw):
    rows, raw_w = data
    cols = [f"c{i}" for i in range(len(raw_w))]
    vals = pd.DataFrame(rows, columns=cols)
    w = {c: x / sum(raw_w) for c, x in zip(cols, raw_w)}
    i = draw.draw(st.integers(0, len(vals) - 1))
    c = draw.draw(st.sampled_from(cols))
    higher = vals.copy()
    higher.loc[i, c] = draw.draw(st.floats(vals.loc[i, c], 1.0))
    ok = np.ones(len(vals), bool)
    before = weighted_score(vals, w, ok)[1][i]
    after = weighted_score(higher, w, ok)[1][i]
    assert after >= before - 1e-9


def sites():
    return np.array([box(0, 0, 10, 10), box(20, 0, 30, 10), box(40, 0, 50, 10)], dtype=object)


def test_max_share_constraint_with_reason():
    spec = ConstraintSpec(name="flood", layer="flood_100y", max_share=0.0)
    res = layer_constraint(spec, sites(), np.array([box(47, -5, 60, 20)], dtype=object))
    assert res.excluded.tolist() == [False, False, True]
    assert res.reasons[2] == "flood: 30 % covered by flood_100y"


def test_min_and_max_distance_constraints():
    feat = np.array([Point(-20, 5)], dtype=object)
    near = layer_constraint(ConstraintSpec(name="dg", layer="r", min_distance_m=30), sites(), feat)
    assert near.excluded.tolist() == [True, False, False]
    assert near.reasons[0] == "dg: 20 m from r (min 30 m)"
    far = layer_constraint(ConstraintSpec(name="va", layer="w", max_distance_m=35), sites(), feat)
    assert far.excluded.tolist() == [False, True, True]
    assert far.reasons[1] == "va: 40 m from w (max 35 m)"


def test_reasons_of_many_sites_each_say_their_own_measure():
    """Reasons are written once per distinct rounded measure and handed to every site
    that has it: each site still reads its own whole metres (half to even) or percent."""
    # 10 m squares whose left edges lie 20.5, 21.5, 20.5, 1500.2 and 21.5 m right of x = 0
    left = np.array([20.5, 21.5, 20.5, 1500.2, 21.5])
    squares = np.array([box(x, 100 * i, x + 10, 100 * i + 10) for i, x in enumerate(left)], dtype=object)
    line = np.array([shapely.LineString([(0, -50), (0, 500)])], dtype=object)
    far = layer_constraint(ConstraintSpec(name="va", layer="w", max_distance_m=10), squares, line)
    assert far.excluded.all()
    assert far.reasons.tolist() == ["va: 20 m from w (max 10 m)", "va: 22 m from w (max 10 m)",
                                    "va: 20 m from w (max 10 m)", "va: 1 500 m from w (max 10 m)",
                                    "va: 22 m from w (max 10 m)"]
    none = layer_constraint(ConstraintSpec(name="va", layer="w", max_distance_m=10), squares,
                            np.array([], dtype=object))
    assert none.reasons.tolist() == ["va: no feature in w (max 10 m)"] * 5
    # covered 30 %, 0.4 % (said as 1 %: it is covered), 30 %, 55 %
    cover = np.array([box(7, -5, 20, 15), box(9.96, 95, 20, 115), box(7, 195, 20, 215),
                      box(4.5, 295, 20, 315)], dtype=object)
    tiles = np.array([box(0, 100 * i, 10, 100 * i + 10) for i in range(4)], dtype=object)
    flood = layer_constraint(ConstraintSpec(name="flood", layer="f", max_share=0.0), tiles, cover)
    assert flood.reasons.tolist() == ["flood: 30 % covered by f", "flood: 1 % covered by f", "flood: 30 % covered by f",
                                      "flood: 55 % covered by f"]


def test_attribute_constraints():
    owner = pd.Series(["kommun", "privat", None])
    res = attribute_constraint(ConstraintSpec(name="own", field="owner", in_=("kommun",)), owner)
    assert res.excluded.tolist() == [False, True, True]
    assert res.reasons[1] == "own: owner is 'privat' (must be one of 'kommun')"
    sale = attribute_constraint(ConstraintSpec(name="sale", field="for_sale", equals=True),
                                pd.Series([True, False, True]))
    assert sale.excluded.tolist() == [False, True, False]
    price = attribute_constraint(ConstraintSpec(name="p", field="price", max=500.0),
                                 pd.Series([100.0, 900.0, np.nan]))
    assert price.excluded.tolist() == [False, True, True]


def test_best_first_orders_ranked_sites_then_excluded_ones_by_id():
    import geopandas as gpd
    import pandas as pd
    import shapely

    from gis_tool.engine.result import best_first

    def table(ids, ranks):
        return gpd.GeoDataFrame({"site_id": ids, "rank": pd.array(ranks, dtype="Int64")},
                                geometry=[shapely.Point(i, 0) for i in range(len(ids))])

    done = table(["c", "a", "b", "d"], [1, 2, None, None])      # already in order
    assert best_first(done) is done
    tail = table(["c", "a", "d", "b"], [1, 2, None, None])      # excluded tail out of id order
    assert best_first(tail)["site_id"].tolist() == ["c", "a", "b", "d"]
    mixed = table(["c", "a", "d", "b"], [2, None, 1, None])
    assert best_first(mixed)["site_id"].tolist() == ["d", "c", "a", "b"]
    none = table(["b", "a"], [None, None])                         # every site excluded
    assert best_first(none)["site_id"].tolist() == ["a", "b"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x1F600,
                                               exclude_categories=("Cs",)), min_size=1, max_size=6),
                min_size=0, max_size=40, unique=True), st.booleans())
def test_id_order_is_the_ids_position_in_code_point_order(ids, presorted):
    """The tie-break key is the same from pandas' Arrow text, from numpy and from plain
    Python (sorted by code point, as Python sorts text), ids sorted or not."""
    from gis_tool.engine.score import id_order

    if presorted:
        ids = sorted(ids)
    want = np.empty(len(ids), dtype=np.int64)
    want[sorted(range(len(ids)), key=lambda i: ids[i])] = np.arange(len(ids))
    arrow = pd.Index(ids, dtype="string[pyarrow]")
    for given_as in (arrow, pd.Series(arrow), np.array(ids, dtype=object), list(ids)):
        np.testing.assert_array_equal(id_order(given_as), want)


def test_id_order_of_numbers_compares_them_as_text():
    from gis_tool.engine.score import id_order

    np.testing.assert_array_equal(id_order(pd.Index([10, 9, 100])), [0, 2, 1])   # "10" < "100" < "9"
    np.testing.assert_array_equal(id_order(pd.Index(["b", "a", "å", "Z"], dtype="string[pyarrow]")),
                                  [2, 1, 3, 0])


def test_ranks_equal_a_plain_sort_by_score_then_tie_key():
    """rank_array against Python's sort of (score to 1e-9, descending; tie key): scores
    that tie only to 1e-9, missing scores, and scores too far apart for the one-integer
    sort (which then falls back to a stable sort of the scores)."""
    from gis_tool.engine.score import rank_array

    rng = np.random.default_rng(7)
    for trial in range(200):
        n = int(rng.integers(0, 50))
        score = rng.choice([0.0, 12.5, 50.0, 100.0, 33.3333333333, 33.33333333334], n)
        score = score + (rng.uniform(0, 3e-9, n) if trial % 2 else 0.0)
        if trial % 7 == 0 and n:
            score[0] = 1e12           # too wide for one integer
        score[rng.uniform(size=n) < 0.2] = np.nan
        key = rng.permutation(n)
        ranked = sorted((i for i in range(n) if not np.isnan(score[i])),
                        key=lambda i: (-round(float(score[i]), 9), key[i]))
        want = np.zeros(n, dtype=np.int64)
        want[ranked] = np.arange(1, len(ranked) + 1)
        got, order = rank_array(score, key, with_order=True)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(order, ranked)
