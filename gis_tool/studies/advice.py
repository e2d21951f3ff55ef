"""Advice when a request does not match as asked: how many sites each requirement keeps
out, and area bounds that no site (nor a combination) can meet."""

from __future__ import annotations

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
