"""Advice when a request does not match as asked: how many sites each requirement keeps
out, and area bounds that no site (nor a combination) can meet."""

from __future__ import annotations

import itertools
from typing import Any

import geopandas as gpd
import numpy as np

from ..engine.conditions import all_hold, field_checks
from ..engine.result import Result
from ..spec.request import InquirySpec
from ..text import area as text_area
from ..text import words
from .bounds import Bound, with_unit


def area_notes(res: Result, spec: InquirySpec, lang: str) -> list[str]:
    """When the request's area bounds are beyond every site (and every combination of up to
    three neighbours), say so with the site sizes there are: a request for 4-8 ha over
    21,7 ha grid cells can never match."""
    area = res.sites["area_m2"].to_numpy(dtype=float)
    if not len(area):
        return []
    W = words.NEAR_MISS[lang]
    grid = res.analysis.sites.grid
    if grid is not None:   # a whole cell; only cells the border cuts are smaller
        lo = hi = grid.cell_m ** 2 * (np.sqrt(3) / 2 if grid.shape == "hex" else 1.0)
        sizes = W["grid_sizes"].format(ha=text_area(hi, lang))
    else:
        lo, hi = float(area.min()), float(area.max())
        sizes = W["site_sizes"].format(lo=text_area(lo, lang), hi=text_area(hi, lang))
    notes = []
    if spec.max_area_m2 is not None and spec.max_area_m2 < lo:
        notes.append(W["too_small"].format(b=text_area(spec.max_area_m2, lang), sizes=sizes))
    largest = hi * (3 if spec.combine else 1)
    if spec.min_area_m2 is not None and spec.min_area_m2 > largest:
        notes.append(W["too_large"].format(b=text_area(spec.min_area_m2, lang), sizes=sizes))
    return notes



def without_each(s: gpd.GeoDataFrame, spec: InquirySpec, bounds: list[Bound], eligible: np.ndarray,
              lang: str) -> list[dict[str, Any]]:
    """For each requirement: how many sites would match without it (most first)."""
    n = len(s)
    tests: dict[str, tuple[np.ndarray, str]] = {}
    for b in bounds:
        ok, asked = tests.get(b.name, (np.ones(n, bool), ""))
        text = f"{b.rule} {with_unit(b.bound, b.unit, lang)}"
        tests[b.name] = (ok & b.holds(), f"{asked}, {text}" if asked else text)
    for req in spec.require:
        if not req.numeric_only:
            ok = all_hold(list(field_checks(req.test, s[req.column])), n)
            tests[req.name] = (ok, "as asked")
    if spec.min_readiness is not None:
        tests["min_readiness"] = (s["readiness_level"].to_numpy(dtype=int) >= spec.min_readiness,
                                  f"level {spec.min_readiness} or higher")
    out = []
    for name, (ok, asked) in tests.items():
        others = eligible.copy()
        for other, (ok2, _) in tests.items():
            if other != name:
                others &= ok2
        out.append({"requirement": name, "asked": asked, "sites": int((others & ~ok).sum())})
    return sorted(out, key=lambda d: (-d["sites"], d["requirement"]))


def relaxations(s: gpd.GeoDataFrame, spec: InquirySpec, bounds: list[Bound], eligible: np.ndarray,
                lang: str, most: int = 3) -> list[dict[str, Any]]:
    """When nothing matches: the smallest changes to the request that give a match.

    Every requirement alone and every pair is tried (DESIGN 3.11): a numeric bound (a
    requirement's min or max, the area, the lead time, the readiness level, a layer
    distance or share) is moved to what the best new match needs; any other test is
    dropped. The fewest changes come first, then the most matches; up to ``most``.

    Returns
    -------
    list of dict
        ``{"changes": [{"requirement", "from", "to", "text"}], "matches": n, "text": ...}``
        with ``to`` None for a dropped test.
    """
    n = len(s)
    groups: dict[str, list[Bound]] = {}
    for b in bounds:
        groups.setdefault(b.name, []).append(b)
    if spec.min_readiness is not None:
        groups["min_readiness"] = [Bound("min_readiness", words.NEAR_MISS[lang]["level"],
                                        s["readiness_level"].to_numpy(dtype=float), "min",
                                        float(spec.min_readiness), "")]
    tests = {req.name: all_hold(list(field_checks(req.test, s[req.column])), n)
             for req in spec.require if not req.numeric_only}
    ok = {name: np.logical_and.reduce([b.holds() for b in g]) for name, g in groups.items()} | tests
    order = np.lexsort((s["site_id"].astype(str).to_numpy(), -np.nan_to_num(s["score"].to_numpy(dtype=float)),
                        ~s["offer_now"].to_numpy(dtype=bool) if "offer_now" in s.columns else np.zeros(n, bool)))
    found: list[dict[str, Any]] = []
    names = sorted(ok)
    for size in (1, 2):
        for combo in itertools.combinations(names, size):
            others = eligible & np.logical_and.reduce([ok[k] for k in names if k not in combo] or [np.ones(n, bool)])
            if not others.any():
                continue
            best = next(i for i in order if others[i])
            if any(ok[k][best] for k in combo):
                continue   # not a smallest change: one of these already holds for the best site
            changes, keep = [], others.copy()
            for k in combo:
                if k in tests:
                    changes.append({"requirement": k, "from": "as asked", "to": None,
                                    "text": words.RELAX[lang]["drop"].format(r=k)})
                    continue
                for b in groups[k]:
                    if b.holds()[best]:
                        keep &= b.holds()
                        continue
                    to = float(b.values[best])
                    keep &= b.values >= to if b.rule == "min" else b.values <= to
                    changes.append({"requirement": k, "from": b.bound, "to": to,
                                    "text": words.RELAX[lang]["move"].format(
                                        r=b.said or b.label, a=with_unit(b.bound, b.unit, lang),
                                        b=with_unit(to, b.unit, lang))})
            found.append({"changes": changes, "matches": int(keep.sum()),
                          "text": words.RELAX[lang]["then"].format(c="; ".join(c["text"] for c in changes),
                                                                   n=int(keep.sum()))})
        if found and size == 1:
            break   # one change is enough: do not offer two
    found.sort(key=lambda r: (len(r["changes"]), -r["matches"], r["text"]))
    return found[:most]
