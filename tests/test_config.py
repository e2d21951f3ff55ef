"""The analysis file: typed, validated, all problems reported at once."""

from __future__ import annotations

import pytest

from gis_tool.errors import InputError
from gis_tool.spec.analysis import load_analysis

from .conftest import write_toml

BASE = """
[layers.p]
path = "x.gpkg"
[sites]
layer = "p"
id = "id"
[criteria.size]
kind = "area"
value = { fn = "linear", best = 100, worst = 0 }
"""


def test_valid_file_parses_to_typed_objects(tmp_path):
    a = load_analysis(write_toml(tmp_path / "a.toml", BASE))
    assert a.crs == "EPSG:3006" and a.name == "a"
    assert a.layers["p"].path == tmp_path / "x.gpkg"
    c = a.criteria["size"]
    assert c.kind == "area" and c.value.fn == "linear" and c.missing == "worst"
    with pytest.raises(AttributeError):
        c.kind = "distance"  # frozen


def test_unknown_keys_name_closest_valid_key(tmp_path):
    p = write_toml(tmp_path / "a.toml", BASE.replace('kind = "area"', 'kind = "area"\nwieght = 2'))
    with pytest.raises(InputError, match=r"criteria\.size\.wieght: unknown key \(did you mean 'weight'\?\)"):
        load_analysis(p)


def test_every_problem_reported_together(tmp_path):
    text = BASE + """
[criteria.bad]
kind = "distanse"
[constraints.c]
layer = "nope"
max_share = 2
[analysis]
nam = "x"
"""
    with pytest.raises(InputError) as exc:
        load_analysis(write_toml(tmp_path / "a.toml", text))
    msg = str(exc.value)
    assert "criteria.bad.kind: unknown value 'distanse' (did you mean 'distance'?)" in msg
    assert "constraints.c.max_share: is a share from 0 to 1" in msg
    assert "constraints.c.layer: names layer 'nope'" in msg
    assert "analysis.nam: unknown key (did you mean 'name'?)" in msg
    assert len(exc.value.problems) >= 4


def test_toml_syntax_error_gives_line(tmp_path):
    with pytest.raises(InputError, match=r"TOML syntax error.*line 3"):
        load_analysis(write_toml(tmp_path / "a.toml", "[a]\nx = 1\ny = = 2\n"))


def test_unknown_value_function_lists_valid(tmp_path):
    p = write_toml(tmp_path / "a.toml", BASE.replace('fn = "linear"', 'fn = "sigmoid"'))
    with pytest.raises(InputError, match=r"unknown value 'sigmoid'.*'categorical', 'linear', 'target', 'threshold'"):
        load_analysis(p)


def test_kind_needs_its_keys(tmp_path):
    p = write_toml(tmp_path / "a.toml", BASE + '[criteria.d]\nkind = "distance"\n'
                   '[criteria.n]\nkind = "count_within"\nlayer = "p"\n')
    with pytest.raises(InputError) as exc:
        load_analysis(p)
    assert "kind 'distance' needs 'layer'" in str(exc.value)
    assert "kind 'count_within' needs 'radius_m'" in str(exc.value)


def test_ahp_and_own_weight_conflict(tmp_path):
    p = write_toml(tmp_path / "a.toml", BASE.replace("[criteria.size]", "[criteria.size]\nweight = 1")
                   + '[weights]\nmethod = "ahp"\npairwise = [["size", "other", 2]]\n')
    with pytest.raises(InputError) as exc:
        load_analysis(p)
    assert "no criterion has its own weight" in str(exc.value)
    assert "unknown criterion 'other'" in str(exc.value)


def test_profile_with_unknown_criterion(tmp_path):
    p = write_toml(tmp_path / "a.toml", BASE + "[profiles.x]\nweights = { siz = 1 }\n")
    with pytest.raises(InputError, match=r"profiles\.x\.weights\.siz: unknown criterion \(did you mean 'size'\?\)"):
        load_analysis(p)


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InputError, match="analysis file not found"):
        load_analysis(tmp_path / "none.toml")
    with pytest.raises(InputError, match="is a folder"):
        load_analysis(tmp_path)
