"""Readiness: the ladder, lead times, cost and months to ready, land supply.

The fixture is a row of 1 ha squares, one per rung, 1 km apart, with layers placed so
that every answer can be worked out by hand (see ``ladder_world``).
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import LineString

from gis_tool import run_analysis
from gis_tool.cli import main
from gis_tool.errors import InputError

from .conftest import CRS, X0, Y0, sq, write_gpkg, write_toml


def line(x0: float, y0: float, x1: float, y1: float) -> LineString:
    return LineString([(X0 + x0, Y0 + y0), (X0 + x1, Y0 + y1)])


LADDER = """
[analysis]
name = "Ladder"

[layers.parcels]
path = "ladder.gpkg"
layer = "parcels"
[layers.op]
path = "ladder.gpkg"
layer = "op"
[layers.progress]
path = "ladder.gpkg"
layer = "progress"
[layers.inforce]
path = "ladder.gpkg"
layer = "inforce"
[layers.mains]
path = "ladder.gpkg"
layer = "mains"
[layers.roads]
path = "ladder.gpkg"
layer = "roads"
[layers.flood]
path = "ladder.gpkg"
layer = "flood"

[sites]
layer = "parcels"
id = "pid"

[criteria.size]
kind = "area"
value = { fn = "linear", best = 10000, worst = 0 }

[constraints.flood]
layer = "flood"
max_share = 0.0

[readiness]
demand_ha_per_year = 2
group_by = "area"
target = { level = 5, min_eligible_ha = 3 }
SCHEDULE

[[readiness.levels]]
label = { sv = "Ej utpekad", en = "Not designated" }
lead_time_months = 60
[[readiness.levels]]
label = { sv = "I ÖP", en = "In the comprehensive plan" }
lead_time_months = 36
when = [{ layer = "op", min_share = 0.5 }]
[[readiness.levels]]
label = { sv = "Plan pågår", en = "Plan in progress" }
lead_time_months = 18
when = [{ layer = "progress", min_share = 0.5 }]
[[readiness.levels]]
label = { sv = "Plan i kraft", en = "Plan in force" }
lead_time_months = 9
when = [{ layer = "inforce", min_share = 0.5 }]
[[readiness.levels]]
label = { sv = "Kommunägd", en = "Municipal" }
lead_time_months = 6
when = [{ layer = "inforce", min_share = 0.5 }, { field = "owner", in = ["kommun"] }]
[[readiness.levels]]
label = { sv = "Byggklar", en = "Build-ready" }
lead_time_months = 1
when = [{ layer = "inforce", min_share = 0.5 }, { field = "owner", in = ["kommun"] },
        { layer = "mains", max_distance_m = 100 }, { layer = "roads", max_distance_m = 50 }]

[readiness.costs]
mains = { sek_per_m = 6000, months = 6 }
roads = { sek = 200000, sek_per_m = 1000, months = 9 }
owner = { sek_per_m2 = 300, months = 12 }
"""


@pytest.fixture
def ladder_world(tmp_path: Path) -> Path:
    """Sites S0..S8, 100 m squares at x = 1000 * i (1 ha each).

    S0 nothing (level 0); S1 op covers exactly 50 % (level 1, the boundary holds);
    S2 op + plan in progress (2); S3 plan in force, owner privat (3); S4 in force, kommun,
    mains 340 m and roads 150 m away (4); S5 everything (5); S6 everything but op, and
    flooded (5, excluded); S7 in force, no owner, serviced (3); S8 op covers 40 % (0).
    """
    owners = ["privat", "privat", "kommun", "privat", "kommun", "kommun", "kommun", None, "privat"]
    areas = ["north", "north", "north", "south", "south", "south", "south", None, None]
    parcels = gpd.GeoDataFrame({"pid": [f"S{i}" for i in range(9)], "owner": owners, "area": areas},
                               geometry=[sq(1000 * i, 0, 100) for i in range(9)], crs=CRS)
    op = gpd.GeoDataFrame({"k": [1, 2, 3, 4]}, geometry=[sq(1000, 0, 50, 100), sq(2000, 0, 100),
                                                         sq(5000, 0, 100), sq(8000, 0, 40, 100)], crs=CRS)
    progress = gpd.GeoDataFrame({"k": [1]}, geometry=[sq(1990, -10, 120)], crs=CRS)
    inforce = gpd.GeoDataFrame({"k": [1]}, geometry=[sq(2990, -10, 4120, 120)], crs=CRS)
    mains = gpd.GeoDataFrame({"k": [1, 2, 3, 4]}, geometry=[
        line(4000, 440, 4100, 440), line(5000, 150, 5100, 150), line(6000, 150, 6100, 150),
        line(7000, 150, 7100, 150)], crs=CRS)
    roads = gpd.GeoDataFrame({"k": [1, 2, 3, 4]}, geometry=[
        line(4000, -150, 4100, -150), line(5000, -30, 5100, -30), line(6000, -30, 6100, -30),
        line(7000, -30, 7100, -30)], crs=CRS)
    flood = gpd.GeoDataFrame({"k": [1]}, geometry=[sq(6050, 0, 10, 100)], crs=CRS)
    write_gpkg(tmp_path / "ladder.gpkg", {"parcels": parcels, "op": op, "progress": progress,
                                          "inforce": inforce, "mains": mains, "roads": roads,
                                          "flood": flood})
    return write_toml(tmp_path / "ladder.toml", LADDER.replace("SCHEDULE", ""))


@pytest.fixture
def ladder(ladder_world):
    return run_analysis(ladder_world, lang="en").sites.set_index("site_id")


def test_a_site_on_every_rung(ladder):
    assert ladder["readiness_level"].to_dict() == {
        "S0": 0, "S1": 1, "S2": 2, "S3": 3, "S4": 4, "S5": 5, "S6": 5, "S7": 3, "S8": 0}
    assert ladder.loc["S4", "readiness_label"] == "Municipal"
    assert ladder.loc["S2", "lead_time_months"] == 18
    assert ladder.loc["S5", "lead_time_months"] == 1


def test_highest_holding_level_wins_even_when_lower_ones_fail(ladder):
    # S6 is not in the comprehensive plan (level 1 fails) but meets all of level 5.
    assert ladder.loc["S6", "readiness_level"] == 5


def test_share_exactly_at_min_share_holds_and_just_below_fails(ladder):
    assert ladder.loc["S1", "readiness_level"] == 1   # op covers exactly 50 %
    assert ladder.loc["S8", "readiness_level"] == 0   # 40 %


def test_null_owner_fails_the_field_condition(ladder):
    assert ladder.loc["S7", "readiness_level"] == 3
    assert ladder.loc["S7", "next_level_needs"] == "level 4 needs owner is kommun, now missing"


def test_excluded_sites_get_readiness_too(ladder):
    assert not ladder.loc["S6", "eligible"] and ladder.loc["S6", "readiness_label"] == "Build-ready"


def test_next_level_needs_says_what_fails_and_by_how_much(ladder):
    # in words, never as code (DESIGN 3.11): the condition, then what the site has now
    assert ladder.loc["S3", "next_level_needs"] == "level 4 needs owner is kommun, now privat"
    assert ladder.loc["S4", "next_level_needs"] == ("level 5 needs mains within 100 m, now 340 m; "
                                                    "roads within 50 m, now 150 m")
    assert ladder.loc["S5", "next_level_needs"] == ""


def test_cost_and_months_to_ready_by_hand(ladder):
    # S4 misses mains (340 - 100 = 240 m x 6000) and roads (200 000 + (150 - 50) m x 1000).
    assert ladder.loc["S4", "cost_to_ready_sek"] == 240 * 6000 + 200_000 + 100 * 1000
    assert ladder.loc["S4", "months_to_ready"] == 9   # in parallel: the slowest, roads
    # S7 misses only the owner: 10 000 m2 x 300 SEK/m2, 12 months.
    assert ladder.loc["S7", "cost_to_ready_sek"] == 3_000_000
    assert ladder.loc["S7", "months_to_ready"] == 12
    assert ladder.loc["S5", "cost_to_ready_sek"] == 0 and ladder.loc["S5", "months_to_ready"] == 0
    # S0 starts at level 0: op (no rate: 60 - 36 = 24 months), progress (36 - 18 = 18),
    # in force (18 - 9 = 9), owner (12, rated), mains and roads together (max(6, 9) = 9):
    # 72 months along the path. Three steps have no SEK rate: no cost figure, never 0.
    assert pd.isna(ladder.loc["S0", "cost_to_ready_sek"]) and ladder.loc["S0", "months_to_ready"] == 72


def test_steps_to_ready_in_words(ladder):
    assert ladder.loc["S4", "steps_to_ready"] == ("mains 240 m (6 months, 1.4 MSEK) → "
                                                  "roads 100 m (9 months, SEK 300 000)")
    assert ladder.loc["S0", "steps_to_ready"].startswith("op (24 months, ?) → progress (18 months, ?) → "
                                                         "inforce (9 months, ?) → owner (12 months, 3.0 MSEK)")
    assert ladder.loc["S5", "steps_to_ready"] == ""


@pytest.mark.parametrize("schedule,s0,s4", [('schedule = "parallel"', 24, 9), ('schedule = "sequence"', 24 + 18 + 9 + 12
                                                                                              + 6 + 9, 15)])
def test_schedules_along_the_path(ladder_world, schedule, s0, s4):
    text = ladder_world.read_text(encoding="utf-8").replace(
        "target = { level = 5, min_eligible_ha = 3 }", "target = { level = 5, min_eligible_ha = 3 }\n" + schedule)
    ladder_world.write_text(text, encoding="utf-8")
    s = run_analysis(ladder_world).sites.set_index("site_id")
    assert s.loc["S0", "months_to_ready"] == s0 and s.loc["S4", "months_to_ready"] == s4


def test_without_rates_the_ladder_says_the_months(ladder_world):
    """No rates at all: each step takes its level's share of the ladder, so a site with a
    step on every level above it needs lead_time(k) - lead_time(top) months; a level whose
    conditions the site already meets adds nothing."""
    text = ladder_world.read_text(encoding="utf-8")
    text = text[:text.index("[readiness.costs]")]
    ladder_world.write_text(text, encoding="utf-8")
    s = run_analysis(ladder_world).sites.set_index("site_id")
    lead = {0: 60, 1: 36, 2: 18, 3: 9, 4: 6, 5: 1}
    for sid in ("S0", "S1", "S3", "S4", "S8"):   # a step on every level of the path
        assert s.loc[sid, "months_to_ready"] == lead[int(s.loc[sid, "readiness_level"])] - 1, sid
    assert s.loc["S2", "months_to_ready"] == 9 + 5     # municipal already: no step on level 4
    assert s.loc["S7", "months_to_ready"] == 3         # serviced already: no step on level 5
    assert s.loc["S5", "months_to_ready"] == 0 and s.loc["S5", "cost_to_ready_sek"] == 0
    assert s.drop(index=["S5", "S6"])["cost_to_ready_sek"].isna().all()


def test_months_in_sequence_add_up(ladder_world):
    text = ladder_world.read_text(encoding="utf-8").replace(
        "target = { level = 5, min_eligible_ha = 3 }",
        "target = { level = 5, min_eligible_ha = 3 }\nschedule = \"sequence\"")
    ladder_world.write_text(text, encoding="utf-8")
    s = run_analysis(ladder_world).sites.set_index("site_id")
    assert s.loc["S4", "months_to_ready"] == 6 + 9


def test_unrated_condition_is_reported(ladder_world):
    r = run_analysis(ladder_world)
    assert r.readiness is not None and r.readiness.unrated == ["inforce", "op", "progress"]
    assert any("readiness.costs: no rate for inforce" in w for w in r.warnings)


def test_supply_sums_by_hand(ladder_world):
    r = run_analysis(ladder_world, lang="en")
    sup = r.supply()
    tot = sup.groupby("level")[["sites", "area_ha", "eligible_sites", "eligible_area_ha",
                                "cumulative_eligible_ha"]].sum()
    assert tot["sites"].tolist() == [2, 1, 1, 2, 1, 2]
    assert tot["area_ha"].tolist() == [2, 1, 1, 2, 1, 2]
    assert tot["eligible_sites"].tolist() == [2, 1, 1, 2, 1, 1]   # S6 is flooded
    assert tot["cumulative_eligible_ha"].tolist() == [8, 6, 5, 4, 2, 1]
    north = sup[sup["group"] == "north"].set_index("level")
    assert north["cumulative_eligible_ha"].tolist() == [3, 2, 1, 0, 0, 0]
    assert north["years_of_supply"].tolist() == [1.5, 1.0, 0.5, 0, 0, 0]
    none = sup[sup["group"].isna()].set_index("level")   # sites without a group: S7, S8
    assert none["sites"].tolist() == [1, 0, 0, 1, 0, 0]
    assert list(sup.columns) == ["group", "level", "label", "sites", "area_ha", "eligible_sites",
                                 "eligible_area_ha", "cumulative_eligible_ha", "years_of_supply"]
    assert r.supply_target() == {"level": 5, "label": r.supply_target()["label"], "min_eligible_ha": 3.0,
                                 "eligible_ha": 1.0, "met": False, "shortfall_ha": 2.0}


def test_supply_without_groups_one_row_per_level(ladder_world):
    text = ladder_world.read_text(encoding="utf-8").replace('group_by = "area"\n', "")
    ladder_world.write_text(text, encoding="utf-8")
    sup = run_analysis(ladder_world).supply()
    assert sup["level"].tolist() == [0, 1, 2, 3, 4, 5]
    assert "group" not in sup.columns
    assert sup["years_of_supply"].tolist() == [4.0, 3.0, 2.5, 2.0, 1.0, 0.5]
    assert sup["label"].tolist()[0] == "Ej utpekad"


def test_run_writes_readiness_outputs(ladder_world, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["-q", "run", str(ladder_world), "--out", str(out), "--lang", "en"]) == 0
    for name in ("supply.csv", "supply.png", "readiness.png", "priorities.csv"):
        assert (out / name).stat().st_size > 0, name
    printed = capsys.readouterr().out
    assert "land supply by readiness level" in printed and "NOT met, 2.0 ha short" in printed
    sup = pd.read_csv(out / "supply.csv", encoding="utf-8-sig")
    assert sup.groupby("level")["eligible_area_ha"].sum().tolist() == [2, 1, 1, 2, 1, 1]
    sites = pd.read_csv(out / "sites.csv", encoding="utf-8-sig").set_index("site_id")
    assert sites.loc["S4", "readiness_label"] == "Municipal" and sites.loc["S4", "lead_time_months"] == 6
    gpkg = gpd.read_file(out / "sites.gpkg", layer="sites").set_index("site_id")
    assert gpkg.loc["S6", "readiness_level"] == 5
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["readiness"]["target"]["shortfall_ha"] == 2.0
    assert run["readiness"]["conditions_without_rate"] == ["inforce", "op", "progress"]
    assert [lv["sites"] for lv in run["readiness"]["levels"]] == [2, 1, 1, 2, 1, 2]
    import sqlite3

    con = sqlite3.connect(out / "sites.gpkg")
    styles = dict(con.execute("SELECT styleName, useAsDefault FROM layer_styles").fetchall())
    con.close()
    assert styles == {"gis-tool score": 1, "gis-tool readiness": 0}


def test_priorities_are_high_score_low_level_sites_cheapest_first(ladder_world):
    text = ladder_world.read_text(encoding="utf-8").replace(
        "[readiness]\n", "[readiness]\nquadrants = { high_score = 0, plan_level = 2 }\n")
    text = text.replace("[readiness.costs]\n", "[readiness.costs]\ninforce = { sek = 1000000, months = 18 }\n")
    ladder_world.write_text(text, encoding="utf-8")
    p = run_analysis(ladder_world).priorities()
    # Eligible sites at level <= 2: S0, S8 (level 0), S1 (1), S2 (2); all score 100 (1 ha).
    assert set(p["site_id"]) == {"S0", "S1", "S2", "S8"}
    by = p.set_index("site_id")
    assert by.loc["S2", "next_level_needs"].startswith("nivå 3 kräver inforce täcker minst 50 %, nu 0 %")
    cost = p["cost_per_ha_sek"].to_numpy()
    known = cost[~np.isnan(cost)]
    assert (np.diff(known) >= 0).all() and np.isnan(cost[len(known):]).all()   # unknown costs last
    # S2 (level 2, municipal): in force 1 000 000, mains (340 - 100) m... along its path
    assert by.loc["S2", "steps_to_ready"].startswith("inforce (18 mån, 1,0 MSEK)")
    assert p["priority"].tolist() == [1, 2, 3, 4]


def _refused(tmp_path: Path, ladder_world: Path, old: str, new: str) -> str:
    text = ladder_world.read_text(encoding="utf-8")
    assert old in text
    ladder_world.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        run_analysis(ladder_world)
    return str(exc.value)


def test_rising_lead_time_is_refused(tmp_path, ladder_world):
    msg = _refused(tmp_path, ladder_world, "lead_time_months = 6\n", "lead_time_months = 12\n")
    assert "readiness.levels[4].lead_time_months" in msg and "must not rise" in msg


def test_condition_naming_unknown_layer_is_refused(tmp_path, ladder_world):
    msg = _refused(tmp_path, ladder_world, 'when = [{ layer = "progress"', 'when = [{ layer = "progres"')
    assert "readiness.levels[2].when[0].layer" in msg and "did you mean 'progress'" in msg


def test_condition_naming_unknown_field_is_refused(tmp_path, ladder_world):
    msg = _refused(tmp_path, ladder_world, '{ field = "owner", in = ["kommun"] }]\n[[',
                   '{ field = "ownr", in = ["kommun"] }]\n[[')
    assert "ownr" in msg and "owner" in msg


def test_level_without_label_is_refused(tmp_path, ladder_world):
    msg = _refused(tmp_path, ladder_world, 'label = { sv = "Plan pågår", en = "Plan in progress" }\n', "")
    assert "readiness.levels[2]" in msg and "needs a 'label'" in msg


def test_empty_level_list_is_refused(tmp_path):
    toml = write_toml(tmp_path / "a.toml", """
        [layers.p]
        path = "x.gpkg"
        [sites]
        layer = "p"
        id = "id"
        [criteria.size]
        kind = "area"
        value = { fn = "linear", best = 1, worst = 0 }
        [readiness]
        levels = []
        """)
    with pytest.raises(InputError, match=r"readiness\.levels: needs at least two levels"):
        run_analysis(toml)


def test_cost_keys_must_name_a_top_level_condition(tmp_path, ladder_world):
    msg = _refused(tmp_path, ladder_world, "owner = { sek_per_m2", "ownr = { sek_per_m2")
    assert "readiness.costs.ownr" in msg and "did you mean 'owner'" in msg


def test_cli_refuses_with_exit_2(ladder_world, capsys):
    text = ladder_world.read_text(encoding="utf-8").replace("lead_time_months = 1\n", "lead_time_months = 99\n")
    ladder_world.write_text(text, encoding="utf-8")
    assert main(["run", str(ladder_world), "--out", str(ladder_world.parent / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err and "lead_time_months" in err


def test_explain_shows_readiness(ladder_world):
    text = str(run_analysis(ladder_world, lang="en").explain("S4"))
    assert "readiness level 4 (Municipal), lead time 6 months" in text
    assert "level 5 needs mains within 100 m, now 340 m" in text
    assert "to build-ready: 1 740 000 SEK, 9 months" in text


@pytest.mark.browser
def test_browser_colours_by_readiness_and_shows_lead_time(ladder_world, tmp_path):
    from gis_tool.publish.map_styles import level_colours
    from gis_tool.publish.maps import save_map, site_map

    from . import browser

    page = save_map(site_map(run_analysis(ladder_world, lang="en"), lang="en"), tmp_path / "map.html")
    res = browser.probe(page, """
        function fill(id) { return gisTool.index[id].options.fillColor; }
        var before = fill('S5');
        var pop = gisTool.openSite('S4').innerText;
        document.querySelector('input[name="gt-colour-by"][value="readiness"]').click();
        done({before: before, s5: fill('S5'), s0: fill('S0'), s2: fill('S2'), pop: pop,
              legend: document.querySelector('.gt-legend').innerText,
              supply: document.querySelector('.gt-supply').innerText,
              title: document.querySelector('.gt-title').innerText});
    """)
    assert res.get("error") is None, res
    colours = level_colours(6)
    assert (res["s5"], res["s0"], res["s2"]) == (colours[5], colours[0], colours[2])
    assert res["before"] != colours[5]   # by score first
    assert "Readiness level" in res["legend"] and "Build-ready (1 months)" in res["legend"]
    assert "4 · Municipal" in res["pop"] and "6 months" in res["pop"] and "1.7 MSEK, 9 months" in res["pop"]
    assert "2 ha short" in res["supply"] and "Build-ready: 0.5 years at 2 ha/yr" in res["supply"]
    assert "Target: 3 ha ≥ Build-ready (1 ha, 2 ha short)" in res["title"]


def test_grid_sites_field_condition_needs_a_computed_column(tmp_path):
    """Grid cells have no attributes: a field condition may read area_m2 or <criterion>_raw."""
    from shapely import box

    area = gpd.GeoDataFrame({"n": [1]}, geometry=[box(X0, Y0, X0 + 400, Y0 + 400)], crs=CRS)
    write_gpkg(tmp_path / "g.gpkg", {"area": area})
    text = """
        [analysis]
        study_area = "area"
        [layers.area]
        path = "g.gpkg"
        [sites]
        grid = { cell_m = 200 }
        [criteria.size]
        kind = "area"
        value = { fn = "linear", best = 40000, worst = 0 }
        [readiness]
        [[readiness.levels]]
        label = "none"
        lead_time_months = 12
        [[readiness.levels]]
        label = "big"
        lead_time_months = 6
        when = [{ field = "FIELD", min = 40000 }]
        """
    ok = write_toml(tmp_path / "ok.toml", text.replace("FIELD", "size_raw"))
    assert run_analysis(ok).sites["readiness_level"].tolist() == [1, 1, 1, 1]
    bad = write_toml(tmp_path / "bad.toml", text.replace("FIELD", "owner"))
    with pytest.raises(InputError, match=r"readiness\.levels\[1\]\.when\[0\]\.field: no column 'owner'"):
        run_analysis(bad)
