"""Re-scoring, weight sensitivity and profile comparison, on cases with known answers."""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gis_tool import compare, run_analysis, sensitivity
from gis_tool.cli import main
from gis_tool.errors import InputError
from gis_tool.studies.sensitivity import ranks_for, spearman_to

from .conftest import CRS, sq, write_gpkg, write_toml

# Site "best" beats every other site on every criterion; the rest are spread out, with no
# two sums equal (equal weights give no ties: 1.9, 1.7, 1.6, 1.35, 1.3, 1.25, 0.7).
VALUES = {
    "best": (1.0, 1.0, 1.0),
    "s1": (0.9, 0.2, 0.5),
    "s2": (0.2, 0.9, 0.6),
    "s3": (0.5, 0.5, 0.9),
    "s4": (0.6, 0.6, 0.1),
    "s5": (0.1, 0.3, 0.3),
    "s6": (0.4, 0.1, 0.75),
    "s7": (0.3, 0.8, 0.25),
}


@pytest.fixture
def attr_world(tmp_path):
    ids = list(VALUES)
    cols = np.array(list(VALUES.values()))
    parcels = gpd.GeoDataFrame({"pid": ids, "a": cols[:, 0], "b": cols[:, 1], "c": cols[:, 2],
                                "kind": ["x", "x", "x", "x", "y", "y", "y", "y"]},
                               geometry=[sq(200 * i, 0, 100) for i in range(len(ids))], crs=CRS)
    write_gpkg(tmp_path / "attr.gpkg", {"parcels": parcels})
    return write_toml(tmp_path / "attr.toml", """
        [analysis]
        name = "Attributes"
        [layers.parcels]
        path = "attr.gpkg"
        layer = "parcels"
        [sites]
        layer = "parcels"
        id = "pid"
        [criteria.a]
        kind = "attribute"
        field = "a"
        weight = 1
        [criteria.b]
        kind = "attribute"
        field = "b"
        weight = 1
        [criteria.c]
        kind = "attribute"
        field = "c"
        weight = 1
        [profiles.only_a]
        weights = { a = 1 }
        [profiles.only_b]
        weights = { b = 1 }
        [profiles.x_only]
        weights = { a = 1, b = 1, c = 1 }
        [profiles.x_only.constraints.kind_x]
        field = "kind"
        equals = "x"
        """)


def test_rescore_equals_a_run_with_those_weights(attr_world):
    r = run_analysis(attr_world)
    for prof in ("only_a", "only_b", "x_only"):
        a = r.rescore(profile=prof).best_first()
        b = run_analysis(attr_world, profile=prof).sites
        assert a["site_id"].tolist() == b["site_id"].tolist(), prof
        np.testing.assert_array_equal(a["score"].to_numpy(dtype=float), b["score"].to_numpy(dtype=float))
        assert a["excluded_by"].tolist() == b["excluded_by"].tolist()
    back = r.rescore(profile="only_a").rescore(profile=None).best_first()
    np.testing.assert_array_equal(back["score"].to_numpy(dtype=float), r.sites["score"].to_numpy(dtype=float))


def test_rescore_with_weights_by_hand(attr_world):
    r = run_analysis(attr_world).rescore(weights={"a": 3, "b": 1, "c": 0})
    s = r.sites.set_index("site_id")
    assert s.loc["s1", "score"] == pytest.approx(100 * (0.75 * 0.9 + 0.25 * 0.2))
    assert r.sites["site_id"].tolist() == run_analysis(attr_world).sites["site_id"].tolist()  # rows stay
    assert s.loc["s1", "a_points"] == pytest.approx(67.5) and s.loc["s1", "c_points"] == 0
    assert r.weights.values == {"a": 0.75, "b": 0.25, "c": 0.0}
    assert r.top(3)["site_id"].tolist() == ["best", "s1", "s4"]   # s1 0.725, s4 0.6
    with pytest.raises(InputError, match="did you mean 'a'"):
        r.rescore(weights={"aa": 1})


def test_partial_weights_change_only_the_named_criteria(attr_world):
    """File weights a = b = c = 1; {"a": 2} doubles a only: weights 2/4, 1/4, 1/4."""
    base = run_analysis(attr_world)
    r = base.rescore(weights={"a": 2})
    assert r.weights.values == {"a": 0.5, "b": 0.25, "c": 0.25}
    s1 = VALUES["s1"]
    assert r.sites.set_index("site_id").loc["s1", "score"] == pytest.approx(100 * (0.5 * s1[0] + 0.25 * s1[1]
                                                                                   + 0.25 * s1[2]))
    # relative to the weights the result was scored with: a profile's, then the last set
    assert base.rescore(profile="only_b").rescore(weights={"a": 1}).weights.values == {"a": 0.5, "b": 0.5, "c": 0.0}
    assert r.rescore(weights={"b": 0}).weights.values == pytest.approx({"a": 2 / 3, "b": 0.0, "c": 1 / 3})


@pytest.mark.parametrize("bad,words", [({"a": -1}, "weights.a: must be a finite number of at least 0"),
                                       ({"a": float("nan")}, "weights.a"), ({"b": float("inf")}, "weights.b"),
                                       ({"a": 0, "b": 0, "c": 0}, "every weight is 0"),
                                       ({"a": "2"}, "weights.a")])
def test_bad_weights_refused(attr_world, bad, words):
    with pytest.raises(InputError, match=re.escape(words)):
        run_analysis(attr_world).rescore(weights=bad)


@pytest.fixture
def minarea_world(tmp_path):
    """Seven parcels; profile "big" needs 8 500 m2 and municipal land ("k")."""
    sizes = [60, 120, 80, 150, 100, 90, 130]       # square sides, m
    ids = [f"p{i}" for i in range(len(sizes))]
    parcels = gpd.GeoDataFrame({"pid": ids, "a": [0.9, 0.1, 0.8, 0.5, 0.7, 0.3, 0.6],
                                "own": ["k", "k", "k", "p", "k", "k", "p"]},
                               geometry=[sq(300 * i, 0, w) for i, w in enumerate(sizes)], crs=CRS)
    write_gpkg(tmp_path / "m.gpkg", {"parcels": parcels})
    return write_toml(tmp_path / "m.toml", """
        [layers.parcels]
        path = "m.gpkg"
        layer = "parcels"
        [sites]
        layer = "parcels"
        id = "pid"
        [criteria.a]
        kind = "attribute"
        field = "a"
        [criteria.size]
        kind = "area"
        value = { fn = "linear", best = 20000, worst = 0 }
        [profiles.big]
        min_area_m2 = 8500
        [profiles.big.constraints.own]
        field = "own"
        equals = "k"
        """)


def test_rescore_with_minimum_area_ranks_like_the_run(minarea_world):
    """A profile with a minimum area and a constraint: rescore ranks exactly as
    ``run --profile`` (ranks 1..n over the eligible sites, no gaps)."""
    toml = minarea_world
    ran = run_analysis(toml, profile="big").sites.set_index("site_id")
    re_ = run_analysis(toml).rescore(profile="big").sites.set_index("site_id")
    assert sorted(ran.index) == sorted(re_.index) == ["p1", "p3", "p4", "p6"]   # p5 is 8 100 m2
    assert ran["rank"].dropna().astype(int).sort_values().tolist() == [1, 2]   # p3, p6 are private
    for col in ("rank", "score", "eligible", "excluded_by"):
        assert ran[col].astype(str).to_dict() == re_.loc[ran.index, col].astype(str).to_dict(), col
    cmp = compare(run_analysis(toml), profiles=["big"]).set_index("site_id")
    assert cmp["rank_big"].dropna().astype(int).to_dict() == ran["rank"].dropna().astype(int).to_dict()


def test_dominant_site_is_first_in_every_draw(attr_world):
    sens = sensitivity(run_analysis(attr_world), runs=300, top=1, seed=7, concentration=2.0)
    best = sens.stability.set_index("site_id").loc["best"]
    assert best["rank"] == 1 and best["median_rank"] == 1
    assert best["rank_p05"] == 1 and best["rank_p95"] == 1
    assert best["p_top_n"] == 1.0 and bool(best["robust"])
    for n in (1, 3, 5):
        s = sensitivity(run_analysis(attr_world), runs=100, top=n, seed=3, concentration=1.0)
        assert s.stability.set_index("site_id").loc["best", "p_top_n"] == 1.0


def test_tight_concentration_reproduces_the_base_ranking(attr_world):
    r = run_analysis(attr_world)
    sens = sensitivity(r, runs=50, top=3, seed=1, concentration=1e9)
    st = sens.stability
    assert (st["median_rank"] == st["rank"]).all()
    assert (st["rank_p05"] == st["rank"]).all() and (st["rank_p95"] == st["rank"]).all()
    assert st["rank"].tolist() == list(range(1, 9))
    assert sens.mean_spearman == pytest.approx(1.0)
    assert st.set_index("site_id").loc[r.top(3)["site_id"], "p_top_n"].tolist() == [1.0, 1.0, 1.0]


def test_ranks_and_spearman_by_hand():
    v = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    w = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]])
    tie = np.array([0, 1, 2])
    r = ranks_for(v, w, tie)
    assert r[:, 0].tolist() == [1, 3, 2] and r[:, 1].tolist() == [3, 1, 2]
    assert r[:, 2].tolist() == [1, 2, 3]     # all tied at 50: by id
    assert spearman_to(r[:, 0], r).tolist() == pytest.approx([1.0, -1.0, 0.5])


def test_sweeps_move_each_weight(attr_world):
    sens = sensitivity(run_analysis(attr_world), runs=10, top=2, seed=1)
    sw = sens.sweeps
    assert set(sw["criterion"]) == {"a", "b", "c"}
    assert sorted(set(sw["change_pct"])) == list(range(-50, 51, 10))
    a = sw[(sw["criterion"] == "a")].drop_duplicates("change_pct").set_index("change_pct")["weight"]
    assert a[-50] == pytest.approx(1 / 6, abs=1e-6) and a[0] == pytest.approx(1 / 3, abs=1e-6)
    assert a[50] == pytest.approx(0.5)


def test_same_seed_same_file_cli(attr_world, tmp_path, capsys):
    outs = []
    for k, seed in enumerate((5, 5, 6)):
        out = tmp_path / f"s{k}"
        assert main(["-q", "sensitivity", str(attr_world), "--out", str(out), "--runs", "200",
                     "--top", "3", "--seed", str(seed), "--concentration", "5"]) == 0
        outs.append((out / "stability.csv").read_bytes())
        assert {p.name for p in out.iterdir()} >= {"stability.csv", "sweeps.csv", "stability.png",
                                                   "sensitivity.json"}
    assert outs[0] == outs[1] and outs[0] != outs[2]
    df = pd.read_csv(tmp_path / "s0" / "stability.csv", encoding="utf-8-sig")
    assert list(df.columns) == ["site_id", "rank", "median_rank", "rank_p05", "rank_p95", "p_top_n", "robust"]
    assert "mean Spearman correlation" in capsys.readouterr().out


def test_compare_by_hand(attr_world, tmp_path):
    cmp = compare(run_analysis(attr_world), top=2).set_index("site_id")
    assert list(cmp.columns) == ["rank_base", "rank_only_a", "rank_only_b", "rank_x_only", "top_in_all"]
    # only a: best 1, s1 (0.9) 2; only b: best 1, s2 (0.9) 2; x_only excludes kind y (s4..s7)
    assert cmp.loc["s1", "rank_only_a"] == 2 and cmp.loc["s2", "rank_only_b"] == 2
    assert pd.isna(cmp.loc["s4", "rank_x_only"])
    assert cmp["top_in_all"].to_dict() == {k: k == "best" for k in VALUES}
    sub = compare(run_analysis(attr_world), profiles=["only_a"], top=2)
    assert list(sub.columns) == ["site_id", "rank_base", "rank_only_a", "top_in_all"]
    with pytest.raises(InputError, match="did you mean 'only_a'"):
        compare(run_analysis(attr_world), profiles=["only_aa"])


def test_compare_cli(attr_world, tmp_path):
    out = tmp_path / "cmp"
    assert main(["-q", "compare", str(attr_world), "--out", str(out), "--profiles", "only_a,only_b",
                 "--top", "2"]) == 0
    df = pd.read_csv(out / "compare.csv", encoding="utf-8-sig")
    assert list(df.columns) == ["site_id", "rank_base", "rank_only_a", "rank_only_b", "top_in_all"]
    assert (out / "compare.png").stat().st_size > 0 and (out / "map.html").stat().st_size > 0
    page = (out / "map.html").read_text(encoding="utf-8")
    assert "Topp 2: only_a" in page and "Topp 2: only_b" in page


def test_explorer_slider_rescores_like_rescore(attr_world):
    pytest.importorskip("ipywidgets")
    r = run_analysis(attr_world)
    ex = r.explore(show_map=False)
    assert ex.ranking()["site_id"].tolist()[:3] == ["best", "s3", "s2"]   # equal weights
    ex.sliders["b"].value = 0.0
    ex.sliders["c"].value = 0.0                 # only a is left: s1 (0.9) second
    expected = r.rescore(weights={"a": 1 / 3, "b": 0.0, "c": 0.0}).top(15)
    assert ex.ranking()["site_id"].tolist() == expected["site_id"].tolist()
    np.testing.assert_array_equal(ex.ranking()["score"].to_numpy(), expected["score"].to_numpy(dtype=float))
    assert ex.ranking()["site_id"].tolist()[1] == "s1"
    assert "differs from the published run" in ex.note.value
    ex.profile.value = "only_b"                 # the picker moves the sliders too
    assert ex.sliders["b"].value == 1.0 and ex.sliders["a"].value == 0.0
    assert ex.ranking()["site_id"].tolist()[1] == "s2"
    assert "s2" in ex.table.value


def test_result_map_is_the_published_page(attr_world, tmp_path):
    from gis_tool.publish.maps import render_map

    page = render_map(run_analysis(attr_world).map(lang="en"))
    assert "Attributes" in page and "Candidate sites" in page and "<script src=" not in page


@pytest.mark.browser
def test_live_weights_page_rescores_like_python(tmp_path, demo_result):
    """Move sliders in the published page; every eligible site's score and rank equal
    Result.rescore with the same weights."""

    from gis_tool.publish.maps import save_map, site_map

    from . import browser

    r = demo_result
    page = save_map(site_map(r, lang="en", live_weights=True), tmp_path / "map.html")
    res = browser.probe(page, """
        var status0 = document.querySelector('.gt-live-status').innerText;
        function move(k, v) { var s = document.querySelector('input[data-criterion="' + k + '"]');
                              s.value = String(v); s.dispatchEvent(new Event('input')); }
        move('motorway', 0.9); move('price', 0.5); move('station', 0);
        var w = {}; document.querySelectorAll('.gt-live input').forEach(function (e) {
            w[e.getAttribute('data-criterion')] = +e.value; });
        var moved = gisTool.liveScores(), status1 = document.querySelector('.gt-live-status').innerText;
        var sel = document.querySelector('.gt-live-profile'); sel.value = 'logistics';
        sel.dispatchEvent(new Event('change'));
        var logistics = gisTool.liveScores();
        document.querySelector('.gt-live-reset').click();
        done({w: w, moved: moved, logistics: logistics, status0: status0, status1: status1,
              status2: document.querySelector('.gt-live-status').innerText, reset: gisTool.liveScores()});
    """, budget_ms=15000)
    assert res.get("error") is None, res
    assert res["status0"] == "As the published run"
    assert res["status1"] == "Ranking differs from the published run"
    assert res["status2"] == "As the published run"

    def check(page_scores, expected):
        e = expected.sites[expected.sites["eligible"]].set_index("site_id")
        assert set(page_scores) == set(e.index)
        got = pd.DataFrame(page_scores, index=["score", "rank"]).T
        np.testing.assert_allclose(got["score"].astype(float), e.loc[got.index, "score"].astype(float), atol=1e-9)
        assert (got["rank"].astype(int) == e.loc[got.index, "rank"].astype(int)).all()

    check(res["moved"], r.rescore(weights=res["w"]))
    check(res["logistics"], r.rescore(profile="logistics"))   # its weights, constraints and minimum area
    check(res["reset"], r)
    published = {k: round(v, 2) for k, v in r.weights.values.items()}   # the sliders' 0.01 steps
    assert res["w"] == {**published, "motorway": 0.9, "price": 0.5, "station": 0}


@pytest.mark.browser
def test_live_page_profile_applies_constraints_and_minimum_area(minarea_world, tmp_path):
    """The page's profile picker ranks as ``run --profile big``: the small and the private
    parcels are excluded (with the reason), the rest ranked 1..n with Python's scores."""
    from gis_tool.publish.maps import save_map, site_map

    from . import browser

    r = run_analysis(minarea_world, lang="en")
    page = save_map(site_map(r, lang="en", live_weights=True), tmp_path / "map.html")
    res = browser.probe(page, """
        var sel = document.querySelector('.gt-live-profile'); sel.value = 'big';
        sel.dispatchEvent(new Event('change'));
        var why = {}; gisTool.sites.eachLayer(function (l) { var p = l.feature.properties;
            if (!p.eligible) why[p.site_id] = p.excluded_by; });
        done({scores: gisTool.liveScores(), why: why});
    """)
    assert res.get("error") is None, res
    run = run_analysis(minarea_world, profile="big").sites.set_index("site_id")
    ok = run[run["eligible"]]
    assert {k: v[1] for k, v in res["scores"].items()} == ok["rank"].astype(int).to_dict()
    for k, (score, _) in res["scores"].items():
        assert score == pytest.approx(float(ok.loc[k, "score"]), abs=1e-9)
    assert set(res["why"]) == {"p0", "p2", "p5", "p3", "p6"}
    assert "minimum area (8 500 m²)" in res["why"]["p5"] and res["why"]["p3"].startswith("own")
