"""The land programme: an exact MILP, checked against brute force on small programmes."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from gis_tool.errors import InputError
from gis_tool.studies.programme import programme


def fake_result(area_ha, cost, months, level, *, top=2, demand=2.0, target=5.0, eligible=None):
    n = len(area_ha)
    sites = pd.DataFrame({"site_id": [f"s{i}" for i in range(n)], "area_m2": np.asarray(area_ha) * 1e4,
                          "eligible": np.ones(n, bool) if eligible is None else eligible,
                          "readiness_level": level, "cost_to_ready_sek": cost, "months_to_ready": months,
                          "steps_to_ready": [""] * n})
    spec = SimpleNamespace(top=top, target_level=None, demand_ha_per_year=demand, target_min_eligible_ha=target)
    return SimpleNamespace(sites=sites, readiness=object(), analysis=SimpleNamespace(readiness=spec))


def brute_force(area, cost, lag, base, target, budget):
    """Every start year (or none) for every site, all at once: the least (shortfall, cost)."""
    n, T = len(area), len(base)
    a = np.array(list(itertools.product(range(T + 1), repeat=n)))   # 0 = not started, k = year k-1
    started = a > 0
    spend = np.stack([(cost * (started & (a - 1 == t))).sum(axis=1) for t in range(T)], axis=1)
    ready = np.where(started, a - 1 + lag, 10**6)
    stock = base + np.stack([(area * (ready <= t)).sum(axis=1) for t in range(T)], axis=1)
    ok = np.ones(len(a), bool) if budget is None else (spend <= budget + 1e-6).all(axis=1)
    short = np.round(np.maximum(target - stock, 0).sum(axis=1), 6)[ok]
    total = np.round(spend.sum(axis=1), 6)[ok]
    k = np.lexsort((total, short))[0]
    return float(short[k]), float(total[k])


@pytest.mark.parametrize("seed,budget", [(1, None), (2, None), (3, 900.0), (4, 600.0), (5, 400.0)])
def test_least_cost_equals_brute_force(seed, budget):
    rng = np.random.default_rng(seed)
    n, years = 6, (2027, 2030)
    area = rng.choice([1.0, 2.0, 3.0, 4.0], n)
    cost = rng.choice([100.0, 200.0, 300.0, 500.0], n)
    months = rng.choice([6.0, 12.0, 18.0, 30.0], n)
    res = fake_result(area, cost, months, np.zeros(n, int), demand=2.0, target=1.0)
    # two build-ready hectares today (level 2) besides the candidates
    p = programme(res, start=years[0], until=years[1], budget_sek_per_year=budget)
    T = years[1] - years[0] + 1
    lag = np.maximum(np.ceil(months / 12).astype(int) - 1, 0)
    base = 0.0 - 2.0 * (np.arange(T) + 1)
    want = brute_force(area, cost, lag, base, 1.0, budget)
    got = (round(float(p.stock["shortfall_ha"].sum()), 6), round(p.total_cost_sek, 6))
    assert got == want
    assert p.feasible == (want[0] == 0)
    if budget is not None:
        assert (p.stock["spend_sek"] <= budget + 1e-6).all()


def test_brute_force_with_eight_sites_and_four_years():
    rng = np.random.default_rng(8)
    n = 8
    area = rng.choice([1.0, 2.0, 3.0], n)
    cost = rng.choice([100.0, 150.0, 400.0], n)
    months = rng.choice([6.0, 18.0, 24.0], n)
    res = fake_result(area, cost, months, np.zeros(n, int), demand=1.5, target=2.0)
    p = programme(res, start=2027, until=2030, budget_sek_per_year=500.0)
    lag = np.maximum(np.ceil(months / 12).astype(int) - 1, 0)
    base = -1.5 * (np.arange(4) + 1)
    assert (round(float(p.stock["shortfall_ha"].sum()), 6), round(p.total_cost_sek, 6)) == \
        brute_force(area, cost, lag, base, 2.0, 500.0)


def test_stock_ready_year_and_spend_by_hand():
    """Two 3 ha sites: one 6 months (ready the year it starts), one 18 months (ready the
    next year); 5 ha build-ready today, demand 2 ha a year, target 4 ha."""
    res = fake_result([3.0, 3.0, 5.0], [100.0, 50.0, 0.0], [6.0, 18.0, 0.0], [0, 0, 2], demand=2.0, target=4.0)
    p = programme(res, start=2027, until=2029)
    # without: 3, 1, -1; needs 1 ha in 2027: only the 6-month site is ready in time
    assert p.stock["stock_without_ha"].tolist() == [3.0, 1.0, -1.0]
    starts = p.starts.set_index("site_id")
    assert starts.loc["s0", "start_year"] == 2027 and starts.loc["s0", "ready_year"] == 2027
    assert starts.loc["s1", "ready_year"] == starts.loc["s1", "start_year"] + 1
    assert p.feasible and (p.stock["stock_ha"] >= 4.0).all()
    assert p.total_cost_sek == 150.0


def test_infeasible_target_gives_the_least_shortfall_and_the_budget_that_closes_it():
    res = fake_result([3.0, 3.0], [100.0, 80.0], [6.0, 6.0], [0, 0], demand=1.0, target=5.0)
    p = programme(res, start=2027, until=2028, budget_sek_per_year=90.0)
    assert not p.feasible
    # 90 a year buys only the 80 SEK site: 2027 stock 3 - 1 = 2 (short 3), 2028 3 - 2 = 1 (short 4)
    assert p.stock["shortfall_ha"].tolist() == [3.0, 4.0] and p.total_cost_sek == 80.0
    assert p.budget_needed_sek is None      # both in 2027: 6 - 1 = 5, but 2028: 6 - 2 = 4 < 5 whatever the budget
    res = fake_result([3.0, 3.0, 2.0], [100.0, 80.0, 70.0], [6.0, 6.0, 6.0], [0, 0, 0], demand=1.0, target=5.0)
    p = programme(res, start=2027, until=2028, budget_sek_per_year=90.0)
    assert not p.feasible and p.budget_needed_sek == 180.0   # both 3 ha sites in 2027, the 2 ha in 2028


def test_refusals():
    res = fake_result([1.0], [1.0], [6.0], [0])
    with pytest.raises(InputError, match="years must run forward"):
        programme(res, start=2030, until=2027)
    with pytest.raises(InputError, match="budget_sek_per_year"):
        programme(res, start=2027, until=2028, budget_sek_per_year=float("nan"))


def test_programme_command_writes_its_files(tmp_path, capsys):
    """The demo's programme 2027-2035: every file, the stock at the target every year, the
    run.json section, and the chart."""
    import json

    from gis_tool.cli import main
    from gis_tool.inputs.demo import get_path

    out = tmp_path / "prog"
    assert main(["programme", str(get_path("alingsas")), "--out", str(out), "--from", "2027", "--until", "2035",
                 "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "the target is met every year" in printed
    assert sorted(p.name for p in out.iterdir()) == ["programme.csv", "programme.png", "run.json", "stock.csv"]
    stock = pd.read_csv(out / "stock.csv", encoding="utf-8-sig")
    starts = pd.read_csv(out / "programme.csv", encoding="utf-8-sig")
    assert stock["year"].tolist() == list(range(2027, 2036))
    assert (stock["stock_ha"] >= 40 - 1e-6).all() and (stock["stock_without_ha"].diff().dropna().round(6) == -8).all()
    assert stock["spend_sek"].sum() == pytest.approx(starts["cost_sek"].sum(), abs=1)
    assert (starts["ready_year"] >= starts["start_year"]).all() and starts["steps_to_ready"].notna().all()
    doc = json.loads((out / "run.json").read_text())["programme"]
    assert doc["feasible"] is True and doc["sites_started"] == len(starts) and doc["from"] == 2027
    tight = tmp_path / "tight"
    assert main(["-q", "programme", str(get_path("alingsas")), "--out", str(tight), "--from", "2027",
                 "--until", "2029", "--budget-sek-per-year", "1000000"]) == 0
    assert "NOT met" in capsys.readouterr().out
    assert json.loads((tight / "run.json").read_text())["programme"]["budget_needed_sek"] > 1_000_000
