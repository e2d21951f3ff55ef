"""Value functions: turn raw measures (metres, MW, shares) into values from 0 to 1.

A name-to-function table, so an analysis file can say ``fn = "linear"``. Every
function takes a float array (NaN = missing) and returns an array of the same shape
with values in 0..1 (NaN stays NaN; the missing-value policy decides what it becomes).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..inputs.layers import attribute_text


def _is_num(v: Any) -> bool:
    """A finite number (TOML's ``nan`` and ``inf`` are not)."""
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def linear(x: np.ndarray, *, best: float, worst: float) -> np.ndarray:
    """1 at ``best``, 0 at ``worst``, straight in between, clamped outside.

    Works in either direction: ``best = 1000, worst = 10000`` (nearer is better) or
    ``best = 20, worst = 0`` (more is better).

    >>> linear(np.array([0.0, 5.0, 20.0]), best=10, worst=0).tolist()
    [0.0, 0.5, 1.0]
    """
    v = (np.asarray(x, dtype=float) - worst) / (best - worst)
    return np.clip(v, 0.0, 1.0)


def threshold(x: np.ndarray, *, steps: list | None = None, otherwise: float = 0.0,
              breaks: list | None = None, values: list | None = None) -> np.ndarray:
    """Ordered steps, read from the first step on.

    ``steps = [[bound, value], ...]`` with rising bounds are upper bounds: a raw measure
    up to and including the first bound gets its value, and so on ("within 1 km: 1.0,
    within 5 km: 0.5"). With falling bounds they are lower bounds: at least the first
    bound gets its value ("20 MW or more: 1.0, 10 MW or more: 0.5"). Past the last step
    a measure gets ``otherwise``. Or ``breaks = [b1, b2, ...]`` with ``values = [v0, v1,
    ..., vn]``, one more value than breaks (``x < b1`` gets v0, ``b1 <= x < b2`` v1, ...).

    >>> threshold(np.array([500.0, 3000.0, 9000.0]), steps=[[1000, 1], [5000, 0.5]]).tolist()
    [1.0, 0.5, 0.0]
    >>> threshold(np.array([25.0, 15.0, 5.0]), steps=[[20, 1], [10, 0.5]]).tolist()
    [1.0, 0.5, 0.0]
    """
    x = np.asarray(x, dtype=float)
    if steps is not None:
        bounds = np.array([s[0] for s in steps], dtype=float)
        vals = np.array([s[1] for s in steps] + [otherwise], dtype=float)
        if len(bounds) > 1 and bounds[1] < bounds[0]:  # falling: lower bounds
            idx = np.searchsorted(-bounds, -x, side="left")
        else:
            idx = np.searchsorted(bounds, x, side="left")
    else:
        bounds = np.array(breaks, dtype=float)
        vals = np.array(values, dtype=float)
        idx = np.searchsorted(bounds, x, side="right")
    out = vals[np.clip(idx, 0, len(vals) - 1)]
    return np.where(np.isnan(x), np.nan, out)


def target(x: np.ndarray, *, ideal: float, tolerance: float) -> np.ndarray:
    """1 at ``ideal``, falling linearly to 0 at ``tolerance`` away on either side.

    >>> target(np.array([10.0, 15.0, 30.0]), ideal=10, tolerance=10).tolist()
    [1.0, 0.5, 0.0]
    """
    x = np.asarray(x, dtype=float)
    return np.clip(1.0 - np.abs(x - ideal) / tolerance, 0.0, 1.0)


def categorical(x: Any, *, map: Mapping[str, float], default: float | None = None) -> np.ndarray:
    """A value per category (``map = { J = 1.0, Z = 0.8 }``), ``default`` for the rest.

    Without a ``default`` an unlisted category counts as missing.
    """
    s = pd.Series(x, dtype=object)
    keys = s.map(attribute_text)
    table = {str(k): float(v) for k, v in map.items()}
    out = keys.map(table).astype(float)
    if default is not None:
        out = out.where(out.notna() | keys.isna(), float(default))
    return out.to_numpy(dtype=float)


VALUE_FUNCTIONS: dict[str, Callable[..., np.ndarray]] = {
    "linear": linear,
    "threshold": threshold,
    "target": target,
    "categorical": categorical,
}


def apply_value(fn: str, params: Mapping[str, Any], raw: Any) -> np.ndarray:
    """Apply the value function named ``fn`` to ``raw``.

    Raises
    ------
    KeyError
        When ``fn`` is not a known value function; the message lists the valid ones.
    """
    try:
        func = VALUE_FUNCTIONS[fn]
    except KeyError:
        raise KeyError(f"unknown value function {fn!r}; valid: {sorted(VALUE_FUNCTIONS)}") from None
    if fn == "categorical":
        return func(raw, **params)
    return func(np.asarray(raw, dtype=float), **params)
