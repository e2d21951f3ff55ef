"""One text module: every phrase in both languages, every number formatted one way."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from gis_tool import text
from gis_tool.text import words

ROOT = Path(__file__).resolve().parent.parent / "gis_tool"
TABLES = [n for n in dir(words) if n.isupper()]


@pytest.mark.parametrize("name", TABLES)
def test_both_languages_have_every_phrase(name):
    table = getattr(words, name)
    assert set(table) == {"sv", "en"}
    assert set(table["sv"]) == set(table["en"]), name
    for lang in ("sv", "en"):     # the same {fields} in both languages
        for key, phrase in table[lang].items():
            other = table["en" if lang == "sv" else "sv"][key]
            assert sorted(_fields(phrase)) == sorted(_fields(other)), (name, key)


def _fields(s: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(s) if f]


def test_no_language_table_outside_the_text_module():
    """sv/en phrase tables live in gis_tool/text/words.py only."""
    found = []
    for path in ROOT.rglob("*.py"):
        if path.parent.name == "text":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if {"sv", "en"} <= keys and all(isinstance(v, (ast.Dict, ast.Tuple)) for v in node.values):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found


@pytest.mark.parametrize("fn,value,sv,en", [
    (text.number, 2300.4, "2 300", "2 300"), (text.number, 4.14, "4,1", "4.1"), (text.number, 10.0, "10", "10"),
    (text.number, math.nan, "–", "–"), (text.decimal, 66.44, "66,4", "66.4"),
    (text.integer, 1234567, "1 234 567", "1 234 567"),
    (text.percent, 0.125, "12 %", "12 %"), (text.percent, 0.005, "0,5 %", "0.5 %"),
    (text.area, 48_000, "4,8 ha", "4.8 ha"), (text.area, 3200, "3 200 m²", "3 200 m²"),
    (text.money, 13_600_000, "13,6 MSEK", "13.6 MSEK"), (text.money, 850_000, "850 000 kr", "SEK 850 000"),
    (text.months, 18, "18 mån", "18 months"), (text.trimmed, 40.0, "40", "40"), (text.trimmed, 28.94, "28,9", "28.9"),
])
def test_number_formats(fn, value, sv, en):
    assert fn(value, "sv") == sv and fn(value, "en") == en


def test_with_unit_and_labels():
    assert text.with_unit(0.25, "share", "sv") == "25 %"
    assert text.with_unit(5000, "m2", "en") == "5 000 m²"
    assert text.with_unit(True, None, "sv") == "ja" and text.with_unit(None, "m", "en") == "–"
    assert text.in_language({"sv": "Ägare", "en": "Owner"}, "en", "owner") == "Owner"
    assert text.in_language(None, "sv", "owner") == "owner"
    with pytest.raises(ValueError, match="unknown language"):
        text.phrases(words.MAP, "de")
