"""Profiles resolved once: the same meaning in run, rescore, compare, sensitivity, the
live page and inquiry (DESIGN 3.10).

A profile replaces the criteria weights (in the file's units), raises the minimum site
area, and adds or tightens constraints. :func:`resolve` turns the analysis and a profile
name into one plain :class:`Profile`; :func:`check_weights` is the one place weights given
at run time (``Result.rescore``, the notebook sliders) are checked.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InputError, closest, valid_list
from ..spec.analysis import Analysis, ConstraintSpec, constraint_from_dict
from .weights import Weights, ahp, normalise


@dataclass(frozen=True)
class Profile:
    """An analysis with a profile applied (or without one: ``name`` None).

    Attributes
    ----------
    raw_weights
        One weight per criterion in the file's units (a criterion without a weight
        counts 1); None when the weights come from AHP comparisons.
    weights
        The normalised weights the scores use.
    min_area_m2
        Sites smaller than this are not candidates.
    constraints
        Every constraint in force, the profile's merged in.
    """

    name: str | None
    raw_weights: dict[str, float] | None
    weights: Weights
    min_area_m2: float
    constraints: dict[str, ConstraintSpec]


def resolve(analysis: Analysis, name: str | None) -> Profile:
    """The analysis with profile ``name`` applied.

    Raises
    ------
    InputError
        For an unknown profile (naming the closest), or AHP comparisons that fail.
    """
    raw, min_area, cons = resolve_profile(analysis, name)
    uses_own = name is not None and bool(analysis.profiles[name].weights)
    if analysis.weights.method == "ahp" and not uses_own:
        w = ahp(list(analysis.criteria), analysis.weights.pairwise,
                max_cr=analysis.weights.max_consistency_ratio)
        return Profile(name, None, w, min_area, cons)
    file_w = {k: 1.0 if v is None else float(v) for k, v in raw.items()}
    return Profile(name, file_w, normalise(file_w), min_area, cons)


def resolve_profile(analysis: Analysis, profile: str | None
                    ) -> tuple[dict[str, float | None], float, dict[str, ConstraintSpec]]:
    """Weights (as written), minimum area and constraints with a profile applied."""
    weights = {n: c.weight for n, c in analysis.criteria.items()}
    min_area = analysis.sites.min_area_m2
    cons = dict(analysis.constraints)
    if profile is None:
        return weights, min_area, cons
    if profile not in analysis.profiles:
        raise InputError(f"--profile: no profile '{profile}' in {analysis.path.name}"
                         f"{closest(profile, analysis.profiles)}; profiles: "
                         f"{valid_list(analysis.profiles) or 'none'}")
    p = analysis.profiles[profile]
    if p.weights:
        weights = {n: p.weights.get(n, 0.0) for n in analysis.criteria}
    if p.min_area_m2 is not None:
        min_area = max(min_area, p.min_area_m2)
    for name, over in p.constraints.items():
        where = f"profiles.{profile}.constraints.{name}"
        if name in cons:
            old = cons[name]   # its keys as written (no deep copy: labels are read-only mappings)
            merged = {f.name: getattr(old, f.name) for f in dataclasses.fields(old)
                      if getattr(old, f.name) is not None and f.name != "name"}
            if isinstance(merged.get("label"), Mapping):
                merged["label"] = dict(merged["label"])
            for key in ("in_", "not_in"):
                if key in merged:
                    merged[key.rstrip("_")] = list(merged.pop(key))
            merged |= dict(over)
            cons[name] = constraint_from_dict(name, merged, where=where)
        else:
            cons[name] = constraint_from_dict(name, dict(over), where=where)
    return weights, min_area, cons


def check_weights(weights: Mapping[str, Any], criteria: Mapping[str, Any] | list[str]) -> dict[str, float]:
    """Weights given at run time, checked: known criteria, finite numbers of at least 0.

    Raises
    ------
    InputError
        Listing every bad weight with its criterion.
    """
    problems = []
    out: dict[str, float] = {}
    for k, v in weights.items():
        if k not in criteria:
            problems.append(f"weights.{k}: unknown criterion{closest(str(k), criteria)}; criteria: "
                            f"{valid_list(criteria)}")
        elif isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            problems.append(f"weights.{k}: must be a finite number of at least 0, not {v!r}")
        else:
            out[k] = float(v)
    if problems:
        raise InputError(problems)
    return out


def with_weights(profile: Profile, analysis: Analysis, weights: Mapping[str, Any]) -> Weights:
    """The profile's weights with those named in ``weights`` changed (in the file's
    units); the others keep theirs. With AHP weights every criterion must be named.

    Raises
    ------
    InputError
        For a bad weight, a partial set on AHP weights, or a set whose weights are all 0.
    """
    given = check_weights(weights, list(analysis.criteria))
    if profile.raw_weights is None and set(given) != set(analysis.criteria):
        left = sorted(set(analysis.criteria) - set(given))
        raise InputError(f"weights: the analysis derives its weights by AHP, so a partial set has no "
                         f"file units to change; give every criterion a weight (missing: "
                         f"{', '.join(left)}) or choose a profile")
    merged = {**(profile.raw_weights or {}), **given}
    return normalise(merged)
