"""Constraints: hard exclusions, each with a reason that starts with its name."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .config import ConstraintSpec
from .criteria import distance_to, overlap_share
from .layers import attribute_text


@dataclass
class ConstraintResult:
    """Which sites a constraint excludes, and why."""

    name: str
    excluded: np.ndarray
    reasons: np.ndarray


def _fmt(v: float) -> str:
    return f"{v:,.0f}".replace(",", " ")


def layer_constraint(spec: ConstraintSpec, sites: np.ndarray, features: np.ndarray
                     ) -> ConstraintResult:
    """Exclude by share covered (``max_share``) or distance (``min/max_distance_m``)."""
    n = len(sites)
    excluded = np.zeros(n, bool)
    reasons = np.full(n, "", dtype=object)
    layer = spec.layer
    if spec.max_share is not None:
        share = overlap_share(sites, features)
        hit = share > spec.max_share + 1e-9
        pct = np.round(share * 100).astype(int)
        reasons[hit] = [f"{spec.name}: {p} % covered by {layer}" + (
            f" (max {spec.max_share * 100:g} %)" if spec.max_share else "")
            for p in np.where(pct[hit] == 0, 1, pct[hit])]
        excluded |= hit
    if spec.min_distance_m is not None or spec.max_distance_m is not None:
        dist = distance_to(sites, features)  # NaN when the layer is empty: nothing is near
        if spec.min_distance_m is not None:
            hit = dist < spec.min_distance_m
            reasons[hit & ~excluded] = [f"{spec.name}: {_fmt(d)} m from {layer} (min "
                                        f"{spec.min_distance_m:g} m)" for d in dist[hit & ~excluded]]
            excluded |= hit
        if spec.max_distance_m is not None:
            hit = ~(dist <= spec.max_distance_m)  # no feature at all also fails
            reasons[hit & ~excluded] = [
                (f"{spec.name}: {_fmt(d)} m from {layer}" if np.isfinite(d) else
                 f"{spec.name}: no feature in {layer}") + f" (max {spec.max_distance_m:g} m)"
                for d in dist[hit & ~excluded]]
            excluded |= hit
    return ConstraintResult(spec.name, excluded, reasons)


def attribute_constraint(spec: ConstraintSpec, column: pd.Series) -> ConstraintResult:
    """Exclude by a condition on a column of the sites layer.

    ``equals``/``not_equals``/``in``/``not_in`` compare as text (``true`` matches a
    boolean column); ``min``/``max`` compare numbers. A site with no value fails the
    condition (it cannot be shown to meet it).
    """
    col = column.reset_index(drop=True)
    ok = np.ones(len(col), bool)
    rule = ""
    text = col.map(_as_text)
    if spec.equals is not None:
        ok &= (text == _as_text(spec.equals)).to_numpy()
        rule = f"must be {_as_text(spec.equals)!r}"
    if spec.not_equals is not None:
        ok &= (text != _as_text(spec.not_equals)).to_numpy()
        rule = f"must not be {_as_text(spec.not_equals)!r}"
    if spec.in_ is not None:
        ok &= text.isin([_as_text(v) for v in spec.in_]).to_numpy()
        rule = "must be one of " + ", ".join(repr(_as_text(v)) for v in spec.in_)
    if spec.not_in is not None:
        ok &= ~text.isin([_as_text(v) for v in spec.not_in]).to_numpy()
        rule = "must not be one of " + ", ".join(repr(_as_text(v)) for v in spec.not_in)
    num = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
    if spec.min is not None:
        ok &= num >= spec.min
        rule = f"must be at least {spec.min:g}"
    if spec.max is not None:
        ok &= num <= spec.max
        rule = f"must be at most {spec.max:g}" if spec.min is None else \
            f"must be from {spec.min:g} to {spec.max:g}"
    ok &= col.notna().to_numpy()
    reasons = np.full(len(col), "", dtype=object)
    bad = ~ok
    reasons[bad] = [f"{spec.name}: {spec.field} is {'missing' if t is None else repr(t)} ({rule})"
                    for t in text[bad]]
    return ConstraintResult(spec.name, bad, reasons)


def _as_text(v: object) -> str | None:
    """As :func:`attribute_text`, with booleans as TOML writes them (true/false)."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    return attribute_text(v)
