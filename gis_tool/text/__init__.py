"""Text shown to people, in Swedish or English: numbers, units, areas, money, months and
labels, formatted one way everywhere (the map, charts, the meeting pack, CSV, the CLI).

Thousands are separated by a space in both languages (the SI style of the contract's
sentences, "2 300 m"); the decimal sign is a comma in Swedish and a point in English:
``2 300,5`` and ``2 300.5``. (The interactive map formats in the browser with the
language's locale.) The words themselves are in :mod:`gis_tool.text.words`. Text from an analysis
file, a request or a data file is made safe for its medium here too: matplotlib never reads
it as mathtext, a chart label never grows past its room.

This module sits at the base of the package (beside ``errors``): the engine's readiness
steps, a study's near-miss sentences and every published page speak the same vocabulary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

LANGS = ("sv", "en")
LOCALES = {"sv": "sv-SE", "en": "en-GB"}

ELLIPSIS = "…"


def clip(text: object, limit: int = 40) -> str:
    """``text`` as a string of at most ``limit`` characters, ending in "…" when cut.

    >>> clip("Sävelund 3:21", 8)
    'Sävelun…'
    """
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: max(0, limit - 1)].rstrip() + ELLIPSIS


def chart_text(text: object, limit: int = 40) -> str:
    """Data text for a matplotlib chart: clipped, and with ``$`` escaped, so that a
    label such as ``$5 per m2 $`` is drawn as written instead of as mathtext.

    >>> chart_text("Price $ per m2 $")
    'Price \\\\$ per m2 \\\\$'
    """
    return clip(text, limit).replace("$", r"\$")


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def decimal(v: float, lang: str = "en", digits: int = 1) -> str:
    """``v`` with exactly ``digits`` decimals and grouped thousands.

    >>> decimal(12345.678, "sv"), decimal(12345.678, "en", 2)
    ('12 345,7', '12 345.68')
    """
    s = f"{float(v):,.{digits}f}".replace(",", " ")
    return s.replace(".", ",") if lang == "sv" else s


def trimmed(v: float, lang: str = "en", digits: int = 1) -> str:
    """As :func:`decimal`, without a decimal part that is all zeros: ``40`` but ``28,9``."""
    s = decimal(v, lang, digits)
    sep = "," if lang == "sv" else "."
    return s.rstrip("0").rstrip(sep) if sep in s else s


def integer(n: float, lang: str = "en") -> str:
    """A whole number with grouped thousands: ``3 570``."""
    return decimal(round(float(n)), lang, 0)


def number(v: float, lang: str = "en") -> str:
    """A number as read out: whole from 100 up (``2 300``), else at most one decimal
    (``4,1`` in Swedish, ``4.1`` in English; ``10``, not ``10.0``).

    >>> number(2300.4, "sv"), number(4.14, "sv"), number(10.0, "en"), number(0.25, "en")
    ('2 300', '4,1', '10', '0.2')
    """
    if not _finite(v):
        return "–"
    if abs(v) >= 100:
        return integer(v, lang)
    r = round(float(v), 1)
    return decimal(r, lang, 0 if r == int(r) else 1)


def percent(share: float, lang: str = "en") -> str:
    """A share 0..1 as a percentage: ``12 %``, ``0,5 %``."""
    p = float(share) * 100
    return f"{decimal(p, lang, 0 if abs(p - round(p)) < 0.05 or p >= 10 else 1)} %"


def metres(d: float, lang: str = "en") -> str:
    """A distance: ``2 300 m``, or ``12,5 km`` from 10 km up."""
    return f"{number(d / 1000, lang)} km" if d >= 10_000 else f"{integer(d, lang)} m"


def area(m2: float, lang: str = "en") -> str:
    """An area: ``4,8 ha`` from one hectare up, else ``3 200 m²``."""
    return f"{decimal(m2 / 1e4, lang, 1)} ha" if m2 >= 1e4 else f"{integer(m2, lang)} m²"


def money(sek: float, lang: str = "en") -> str:
    """Kronor: ``13,6 MSEK`` from a million up, ``850 000 kr`` (sv) / ``SEK 850,000`` below."""
    if abs(sek) >= 1e6:
        return f"{decimal(sek / 1e6, lang, 1)} MSEK"
    return f"{integer(sek, lang)} kr" if lang == "sv" else f"SEK {integer(sek, lang)}"


def minutes(m: float, lang: str = "en") -> str:
    """A travel time: ``12 min``, ``4,5 min`` (sv) / ``4.5 min`` below ten."""
    return f"{trimmed(m, lang, 0 if m >= 10 else 1)} min"


def months(m: float, lang: str = "en") -> str:
    """A duration in months: ``18 mån`` (sv), ``18 months`` (en)."""
    return f"{number(m, lang)} {'mån' if lang == 'sv' else 'months'}"


def yes_no(v: bool, lang: str = "en") -> str:
    return ("ja" if v else "nej") if lang == "sv" else ("yes" if v else "no")


UNITS = {"m2": "m²", "share": "%"}
# Units that read differently per language: a count is "3 st" in Swedish and "3" in English.
UNITS_IN = {"count": {"sv": "st", "en": ""}, "ratio": {"sv": "", "en": ""}}


def with_unit(v: Any, unit: str | None, lang: str = "en") -> str:
    """A measured value in its unit, as a person reads it (a share as a percentage)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, bool):
        return yes_no(v, lang)
    if not _finite(v):
        return str(v)
    if unit == "share":
        return percent(float(v), lang)
    u = unit or ""
    u = UNITS_IN[u][lang] if u in UNITS_IN else UNITS.get(u, u)
    return f"{number(float(v), lang)} {u}".strip()


def in_language(label: Any, lang: str, default: str) -> str:
    """A label given as text or per language (``{sv, en}``), in ``lang``."""
    if isinstance(label, Mapping):
        return str(label.get(lang) or next(iter(label.values()), default))
    return str(label or default)


def phrases(table: Mapping[str, Mapping[str, str]], lang: str) -> Mapping[str, str]:
    """The phrases of ``table`` (one of :mod:`gis_tool.text.words`) in ``lang``."""
    if lang not in table:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    return table[lang]
