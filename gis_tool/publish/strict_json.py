"""Strict JSON for every JSON gis-tool writes: no ``NaN`` or ``Infinity``.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which JSON does not allow
and which browsers, ``jq`` and PostgreSQL's ``jsonb`` refuse. Missing or non-finite
numbers become ``null``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np


def clean(obj: Any) -> Any:
    """``obj`` with every non-finite number replaced by None (numpy scalars as Python ones).

    >>> clean({"a": float("nan"), "b": [1.5, float("inf")]})
    {'a': None, 'b': [1.5, None]}
    """
    if isinstance(obj, dict):
        return {k if isinstance(k, str) else str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def dumps(obj: Any, *, indent: int | None = None) -> str:
    """JSON text of ``obj`` that any strict parser reads (other values become text)."""
    return json.dumps(clean(obj), indent=indent, ensure_ascii=False, allow_nan=False, default=str)
