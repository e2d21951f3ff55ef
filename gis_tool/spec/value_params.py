"""Which parameters each value function takes, checked when the analysis file is read.

The functions themselves live in :mod:`gis_tool.engine.values`; here are only the rules
for their parameters, so that the spec layer can report every problem with its key path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

VALUE_FNS = ("linear", "threshold", "target", "categorical")


def _is_num(v: Any) -> bool:
    """A finite number (TOML's ``nan`` and ``inf`` are not)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_params(fn: str, p: Mapping[str, Any]) -> list[str]:
    """Problems with the parameters of value function ``fn`` (empty when fine)."""
    errs: list[str] = []
    if fn == "linear":
        for k in ("best", "worst"):
            if not _is_num(p.get(k)):
                errs.append(f"linear needs a finite number '{k}'")
        if not errs and p["best"] == p["worst"]:
            errs.append("linear needs 'best' and 'worst' to differ")
    elif fn == "threshold":
        if "steps" in p:
            st = p["steps"]
            if not (isinstance(st, list) and st and all(
                    isinstance(s, list) and len(s) == 2 and all(map(_is_num, s)) for s in st)):
                errs.append("threshold 'steps' must be a list of [upper_bound, value] pairs")
            elif not (all(b[0] > a[0] for a, b in zip(st, st[1:]))
                      or all(b[0] < a[0] for a, b in zip(st, st[1:]))):
                errs.append("threshold 'steps' must have strictly rising bounds (upper bounds) "
                            "or strictly falling bounds (lower bounds)")
            elif any(not 0 <= s[1] <= 1 for s in st):
                errs.append("threshold step values must lie in 0..1")
        elif "breaks" in p:
            br, va = p.get("breaks"), p.get("values")
            if not (isinstance(br, list) and isinstance(va, list) and all(map(_is_num, br))
                    and all(map(_is_num, va)) and len(va) == len(br) + 1):
                errs.append("threshold needs 'breaks' and 'values' with one value more than "
                            "breaks")
            elif any(b <= a for a, b in zip(br, br[1:])):
                errs.append("threshold 'breaks' must rise")
        else:
            errs.append("threshold needs 'steps = [[upper, value], ...]' (or breaks/values)")
    elif fn == "target":
        if not _is_num(p.get("ideal")):
            errs.append("target needs a number 'ideal'")
        if not _is_num(p.get("tolerance")) or p.get("tolerance", 0) <= 0:
            errs.append("target needs a 'tolerance' greater than 0")
    elif fn == "categorical":
        m = p.get("map")
        if not isinstance(m, dict) or not m:
            errs.append("categorical needs 'map = { category = value, ... }'")
        elif any(not _is_num(v) or not 0 <= v <= 1 for v in m.values()):
            errs.append("categorical map values must be numbers in 0..1")
        if "default" in p and (not _is_num(p["default"]) or not 0 <= p["default"] <= 1):
            errs.append("categorical 'default' must be a number in 0..1")
    return errs
