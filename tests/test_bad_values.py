"""Every numeric input is checked for type, finiteness and range, with its key path.

Each bad value below once gave an internal failure (exit 1) or was silently accepted.
Now each is exit 2, a message that starts with ``error:`` and names the key, and no
traceback; only the root cause of a misspelt key is reported.
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from gis_tool.cli import main
from gis_tool.publish.strict_json import clean, dumps

READINESS = """
[readiness]
demand_ha_per_year = 2
[[readiness.levels]]
label = "Ej utpekad"
lead_time_months = 24
[[readiness.levels]]
label = "Planlagd"
lead_time_months = 6
when = [{ layer = "plans", min_share = 0.5 }]
[readiness.costs]
plans = { sek = 100000, months = 6 }
"""


def fails(capsys, *args) -> str:
    code = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error:") and "Traceback" not in err and "internal failure" not in err
    return err


@pytest.fixture
def ready(small_world):
    small_world.write_text(small_world.read_text() + READINESS)
    return small_world


def _edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


@pytest.mark.parametrize("old,new,where", [
    ('id = "pid"', 'id = "pid"\nmin_area_m2 = nan', "sites.min_area_m2"),
    ('demand_ha_per_year = 2', 'demand_ha_per_year = inf', "readiness.demand_ha_per_year"),
    ('lead_time_months = 6', 'lead_time_months = nan', "readiness.levels[1].lead_time_months"),
    ('months = 6 }', 'months = nan }', "readiness.costs.plans.months"),
    ('min_share = 0.5', 'min_share = nan', "readiness.levels[1].when[0].min_share"),
    ('[readiness.costs]', '[readiness.quadrants]\nplan_level = 9\n[readiness.costs]',
     "readiness.quadrants.plan_level"),
    ('[readiness.costs]', '[readiness.target]\nlevel = 1.5\nmin_eligible_ha = 2\n[readiness.costs]',
     "readiness.target.level"),
    ('weight = 3', 'weight = inf', "criteria.motorway.weight"),
    ('best = 0, worst = 400', 'best = 0, worst = nan', "criteria.motorway.value"),
    ('weights = { zoning = 1 }', 'weights = { zoning = nan }', "profiles.cheap.weights.zoning"),
    ('max_share = 0.0', 'max_share = 0.0\nfield = "owner"\nin = [{ a = 1 }]', "constraints.flood.in"),
    ('max_share = 0.0', 'max_share = 0.0\nfield = "owner"\nequals = [1]', "constraints.flood.equals"),
])
def test_analysis_values_refused(capsys, ready, tmp_path, old, new, where):
    _edit(ready, old, new)
    err = fails(capsys, "run", ready, "--out", tmp_path / "o")
    assert f"analysis.toml: {where}" in err
    assert not (tmp_path / "o").exists()


def test_misspelt_key_reports_only_the_root_cause(capsys, ready, tmp_path):
    _edit(ready, "max_share = 0.0", "max_shar = 0.0")
    err = fails(capsys, "run", ready, "--out", tmp_path / "o")
    assert "constraints.flood.max_shar: unknown key (did you mean 'max_share'?)" in err
    assert "problems" not in err and "needs" not in err   # one problem, not a derived second one


@pytest.mark.parametrize("body,where,words", [
    ("near_miss = nan", "inquiry.near_miss", "finite"),
    ("min_area_m2 = nan", "inquiry.min_area_m2", "finite"),
    ("max_area_m2 = inf", "inquiry.max_area_m2", "finite"),
    ("top = inf", "inquiry.top", "finite"),
    ("top = 2.5", "inquiry.top", "whole number"),
    ("top = 100000", "inquiry.top", "at most 200"),
    ("min_readiness = 99", "inquiry.min_readiness", "at most 1"),
    ("min_readiness = 0.5", "inquiry.min_readiness", "whole number"),
    ("max_lead_time_months = nan", "inquiry.max_lead_time_months", "finite"),
    ('description = "' + "x" * 5000 + '"', "inquiry.description", "at most 2000"),
    ("[inquiry.require]\nmotorway = { max = nan }", "inquiry.require.motorway.max", "finite"),
    ('[inquiry.require]\nowner = { min = 5 }', "inquiry.require.owner.min", "use 'equals' or 'in'"),
    ('[inquiry.require]\nmotorway = { equals = "near" }', "inquiry.require.motorway.equals",
     "can never match"),
    ('[inquiry.require]\nowner = { in = [{ a = 1 }] }', "inquiry.require.owner.in", "each item"),
])
def test_request_values_refused(capsys, ready, tmp_path, body, where, words):
    req = tmp_path / "req.toml"
    req.write_text(f'[inquiry]\nname = "Test"\n{body}\n', encoding="utf-8")
    err = fails(capsys, "inquiry", req, "--analysis", ready, "--out", tmp_path / "o")
    assert f"req.toml: {where}" in err and words in err, err
    assert not (tmp_path / "o").exists()


def test_request_misspelt_requirement_rule_reports_root_cause(capsys, ready, tmp_path):
    req = tmp_path / "req.toml"
    req.write_text('[inquiry]\nname = "T"\n[inquiry.require]\nmotorway = { mx = 2000 }\n')
    err = fails(capsys, "inquiry", req, "--analysis", ready, "--out", tmp_path / "o")
    assert "did you mean 'max'" in err and "give 'min'" not in err


def test_request_numbers_fit_their_columns(capsys, ready, tmp_path):
    """Text tests on text columns and numbers on numeric ones still work."""
    req = tmp_path / "req.toml"
    req.write_text('[inquiry]\nname = "T"\n[inquiry.require]\nowner = { in = ["kommun"] }\n'
                   'motorway = { max = 400 }\nprice = { min = 50 }\n')
    assert main(["-q", "inquiry", str(req), "--analysis", str(ready), "--out", str(tmp_path / "o")]) == 0
    capsys.readouterr()
    rows = pd.read_csv(tmp_path / "o" / "matches.csv", encoding="utf-8-sig")
    assert rows["site_id"].tolist() == ["A"]   # B is private, C is excluded by flood


def test_request_path_that_is_a_folder(capsys, ready, tmp_path):
    err = fails(capsys, "inquiry", tmp_path, "--analysis", ready, "--out", tmp_path / "o")
    assert "is a folder" in err


def test_huge_request_refused_at_once(capsys, ready, tmp_path):
    req = tmp_path / "req.toml"
    req.write_text('[inquiry]\nname = "T"\ndescription = "' + "x" * 10_000_000 + '"\n')
    err = fails(capsys, "inquiry", req, "--analysis", ready, "--out", tmp_path / "o")
    assert "10.0 MB" in err and "at most 1 MB" in err


@pytest.mark.parametrize("args,words", [
    (["--seed", "-1"], "--seed"), (["--concentration", "nan"], "--concentration"),
    (["--concentration", "inf"], "--concentration"), (["--concentration", "0"], "--concentration"),
])
def test_sensitivity_options_refused(capsys, small_world, tmp_path, args, words):
    err = fails(capsys, "sensitivity", small_world, "--out", tmp_path / "o", *args)
    assert words in err


def test_sensitivity_api_refuses_non_finite(small_world):
    from gis_tool import InputError, run_analysis, sensitivity

    res = run_analysis(small_world)
    for kw in ({"concentration": math.nan}, {"concentration": math.inf}, {"seed": -1}, {"runs": 2.5}):
        with pytest.raises(InputError, match=next(iter(kw))):
            sensitivity(res, **kw)


def _strict(text: str):
    def refuse(name):
        raise AssertionError(f"not strict JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def test_json_outputs_are_strict(capsys, ready, tmp_path):
    assert clean({"a": math.nan, "b": [math.inf, 1.0], 3: -math.inf}) == {"a": None, "b": [None, 1.0], "3": None}
    assert dumps({"x": float("nan")}) == '{"x": null}'
    out = tmp_path / "o"
    assert main(["-q", "run", str(ready), "--out", str(out)]) == 0   # B has no price: NaN inside
    assert main(["-q", "sensitivity", str(ready), "--out", str(tmp_path / "s"), "--runs", "10"]) == 0
    assert main(["explain", str(ready), "B", "--json"]) == 0
    printed = capsys.readouterr().out
    for text in ((out / "run.json").read_text(), (tmp_path / "s" / "sensitivity.json").read_text(),
                 printed[printed.index("{"):]):
        _strict(text)


@pytest.mark.parametrize("rule,where,words", [
    ('field = "owner"\nmin = 5', "constraints.owned.min", "holds text ('kommun')"),
    ('field = "price"\nequals = "near"', "constraints.owned.equals", "holds numbers, so 'near'"),
])
def test_analysis_field_rules_fit_their_column(capsys, small_world, tmp_path, rule, where, words):
    small_world.write_text(small_world.read_text() + f"\n[constraints.owned]\n{rule}\n")
    err = fails(capsys, "run", small_world, "--out", tmp_path / "o")
    assert f"analysis.toml: {where}: column" in err and words in err
