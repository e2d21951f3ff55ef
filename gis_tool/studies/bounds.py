"""Numeric bounds of a request (a requirement's min or max, the area, the lead time) and
the sentences that say how far a site misses one."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..text import number, words

WORDS = words.NEAR_MISS


@dataclass
class Bound:
    """A numeric bound a near miss may miss: a requirement's min/max, area, lead time."""

    name: str           # requirement name, "area" or "lead_time"
    label: str          # as shown in sentences
    values: np.ndarray  # per site, in the bound's unit
    rule: str           # "min" or "max"
    bound: float
    unit: str           # "m", "ha", "MW", "months", "share", ...
    said: str = ""      # as people read it: the criterion's or field's label (the key when none)

    def holds(self) -> np.ndarray:
        v = self.values
        return v >= self.bound if self.rule == "min" else v <= self.bound

    def near(self, tolerance: float) -> np.ndarray:
        v = self.values
        if self.rule == "min":
            return v >= self.bound * (1 - tolerance)
        return v <= self.bound * (1 + tolerance)

    def shortfall(self) -> np.ndarray:
        """How far each site misses the bound, in its unit (0 where it holds)."""
        gap = self.bound - self.values if self.rule == "min" else self.values - self.bound
        return np.clip(gap, 0.0, None)



fmt = number  # the number format of the sentences (importable from here too)


def with_unit(v: float, unit: str, lang: str) -> str:
    if unit == "share":
        return f"{fmt(v * 100, lang)} %"
    return f"{fmt(v, lang)} {unit}".strip()


def miss_sentence(b: Bound, value: float, lang: str, *, in_words: bool = False) -> str:
    """``motorway: 2 300 m, 300 m more than the 2 000 m asked`` (or in Swedish); with
    ``in_words`` the requirement is named by its label."""
    W = WORDS[lang]
    key = "less" if b.rule == "min" else ("further" if b.unit == "m" else "more")
    return W[key].format(n=(b.said or b.label) if in_words else b.label, v=with_unit(value, b.unit, lang),
                         d=with_unit(abs(value - b.bound), b.unit, lang),
                         b=with_unit(b.bound, b.unit, lang))


