"""What people read instead of raw names: ``[fields.X]`` labels and value labels, layer
and constraint labels, in the page's language (DESIGN 3.11)."""

from __future__ import annotations

from typing import Any

from ..inputs.layers import attribute_text
from ..text import in_language, with_unit


def field_label(analysis: Any, name: str, lang: str) -> str:
    """A column's label (``[fields.NAME] label``), or its name."""
    f = analysis.fields.get(name)
    return in_language(f.label, lang, name) if f is not None else name


def field_value(analysis: Any, name: str, value: Any, lang: str) -> str:
    """A value of a column as people read it: its label from ``[fields.NAME] values``
    (keyed as written in sites.csv: ``"true"``, ``"1"``, ``"privat"``), else the value in
    the column's unit and the language's number format."""
    f = analysis.fields.get(name)
    key = attribute_text(value)
    if isinstance(value, bool):
        key = "true" if value else "false"
    if f is not None and key is not None and key in f.values:
        return in_language(f.values[key], lang, key)
    return with_unit(value, f.unit if f is not None else None, lang)


def value_labels(analysis: Any, lang: str) -> dict[str, dict[str, str]]:
    """Every ``[fields.X] values`` label in ``lang``, for the map's popups."""
    return {n: {k: in_language(v, lang, k) for k, v in f.values.items()}
            for n, f in analysis.fields.items() if f.values}


def layer_label(analysis: Any, name: str, lang: str) -> str:
    """A layer's label (``[layers.NAME] label``), or its name."""
    spec = analysis.layers.get(name)
    return in_language(spec.label, lang, name) if spec is not None else name


def constraint_label(analysis: Any, name: str, lang: str) -> str:
    """A constraint's label (``[constraints.NAME] label``), or its name."""
    spec = analysis.constraints.get(name)
    return in_language(getattr(spec, "label", None), lang, name) if spec is not None else name
