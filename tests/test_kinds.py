"""Criterion kinds come from one registry: each is one module, found by its entry point."""

from __future__ import annotations

import shapely

from gis_tool import run_analysis
from gis_tool.engine.kinds import CriterionKind
from gis_tool.spec import kinds as spec_kinds


def test_every_kind_is_installed_with_its_declaration():
    installed = spec_kinds.installed()
    assert set(installed) == {"distance", "overlap", "nearest_attribute", "count_within", "attribute",
                              "area", "compactness", "travel_time", "reachable_sum"}
    for name, kind in installed.items():
        assert isinstance(kind, CriterionKind) and kind.name == name and kind.summary
        assert kind.needs <= kind.allows
        assert kind.measure.__module__ == f"gis_tool.engine.kinds.{name}"   # one module per kind


def test_a_new_kind_is_one_declaration(small_world, monkeypatch):
    """Registering a kind (here: the site's perimeter) is all it takes: the analysis file
    accepts it, the run measures it, and its unit is reported."""
    def perimeter(spec, sites, layers):
        return shapely.length(sites.geometry.to_numpy())

    extra = {**spec_kinds.installed(),
             "perimeter": CriterionKind("perimeter", "the site's perimeter in metres", perimeter, unit="m")}
    monkeypatch.setattr(spec_kinds, "installed", lambda: extra)
    small_world.write_text(small_world.read_text() + """
[criteria.edge]
kind = "perimeter"
value = { fn = "linear", best = 0, worst = 1000 }
weight = 1
""")
    r = run_analysis(small_world)
    assert r.sites.set_index("site_id")["edge_raw"].to_dict() == {"A": 400.0, "B": 400.0, "C": 400.0}
    assert r.explain("A").criteria[-1]["unit"] == "m"


def test_unknown_kind_lists_the_installed_ones(small_world, capsys):
    from gis_tool.cli import main

    small_world.write_text(small_world.read_text().replace('kind = "distance"', 'kind = "distanse"'))
    assert main(["run", str(small_world), "--out", str(small_world.parent / "o")]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'distance'" in err and "'compactness'" in err
