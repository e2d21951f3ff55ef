"""An investor's request (``REQUEST.toml``), validated like an analysis file.

Every problem is collected and reported at once, each with its key path; an unknown key
names the closest valid one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import ProblemList, closest, valid_list
from .model import ConstraintSpec
from .reader import Reader as _Reader
from .reader import read_toml

INQUIRY_KEYS = {"name", "profile", "min_area_m2", "max_area_m2", "min_readiness",
                "max_lead_time_months", "near_miss", "combine", "top", "company", "contact",
                "description", "require"}
REQUIRE_KEYS = {"min", "max", "equals", "not_equals", "in", "not_in", "label"}
LAYER_RULES = {"min_distance_m": ("distance", "min"), "max_distance_m": ("distance", "max"),
               "min_share": ("share", "min"), "max_share": ("share", "max"),
               "max_minutes": ("minutes", "max")}
NUMERIC_RULES = ("min", "max")
MAX_REQUEST_BYTES = 1_000_000
# Longest text a request may carry: enough for a cover page, small enough to draw quickly.
TEXT_LIMITS = {"name": 200, "company": 200, "contact": 200, "description": 2000}
TOP_MAX = 200


@dataclass(frozen=True)
class Requirement:
    """One requirement: bounds on a criterion's raw value, or a test on a site column."""

    name: str
    column: str               # the sites column it reads: ``<criterion>_raw`` or the column
    criterion: str | None     # the criterion it names, if any
    test: ConstraintSpec      # the shared condition vocabulary (field rules)
    layer: str | None = None  # a bound on the distance to, or share covered by, this layer
    measure: str | None = None   # "distance", "share" or "minutes" (by road) for a layer bound

    @property
    def unit(self) -> str | None:
        """The unit of a layer bound ("m", "share" or "min"); None otherwise."""
        return {"distance": "m", "share": "share", "minutes": "min"}.get(self.measure or "")

    @property
    def numeric_only(self) -> bool:
        """True when the requirement has only ``min``/``max`` (a near miss is possible)."""
        t = self.test
        return t.equals is None and t.not_equals is None and t.in_ is None and t.not_in is None


@dataclass(frozen=True)
class InquirySpec:
    """A validated request."""

    path: Path
    name: str
    profile: str | None = None
    min_area_m2: float | None = None
    max_area_m2: float | None = None
    min_readiness: int | None = None
    max_lead_time_months: float | None = None
    near_miss: float = 0.25
    combine: bool = True
    top: int = 10
    company: str | None = None
    contact: str | None = None
    description: str | None = None
    require: tuple[Requirement, ...] = ()
    sha256: str = ""
    raw: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))


def load_request(path: str | Path) -> dict[str, Any]:
    """Read a request file's TOML (syntax and encoding checked), with its hash."""
    path = Path(path)
    data, sha256 = read_toml(path, "request file", max_bytes=MAX_REQUEST_BYTES)
    data["__sha256__"] = sha256
    return data


def parse_request(data: dict[str, Any], *, path: Path, criteria: dict[str, Any],
                  site_columns: set[str] | Mapping[str, str], profiles: set[str], has_readiness: bool,
                  top_level: int | None = None, layers: set[str] | None = None) -> InquirySpec:
    """Validate a request against the analysis it will run on.

    Parameters
    ----------
    data
        The parsed TOML (see :func:`load_request`).
    criteria
        The analysis's criteria by name: a requirement on one bounds its raw value.
    site_columns
        Columns of the sites a requirement may test instead; as a mapping, each column's
        kind (``"number"``, ``"text"`` or ``"bool"``), so that a test that cannot fit its
        column (``min`` on a text column) is refused.
    profiles
        The analysis's profile names.
    has_readiness
        Whether the analysis has ``[readiness]`` (needed by ``min_readiness`` and
        ``max_lead_time_months``).
    top_level
        The top level of the analysis's readiness ladder (bounds ``min_readiness``).
    layers
        The analysis's layers: a requirement may bound the distance to one, or the share
        of a site it covers (``housing = { layer = "housing", min_distance_m = 1000 }``).

    Raises
    ------
    InputError
        Listing every problem, each with its key path.
    """
    problems = ProblemList()
    r = _Reader(problems, path.name)
    sha = data.pop("__sha256__", "")
    r.keys(data, "", {"inquiry"})
    q = r.table(data.get("inquiry"), "inquiry")
    if "inquiry" not in data:
        r.err("inquiry", "the request needs an [inquiry] table (name, area, requirements)")
    r.keys(q, "inquiry", INQUIRY_KEYS)
    profile = r.text(q, "profile", "inquiry")
    if profile is not None and profile not in profiles:
        r.err("inquiry.profile", f"no profile '{profile}' in the analysis{closest(profile, profiles)}; "
                                 f"profiles: {valid_list(profiles) or 'none'}")
    lo = r.number(q, "min_area_m2", "inquiry", minimum=0)
    hi = r.number(q, "max_area_m2", "inquiry", positive=True)
    if lo is not None and hi is not None and lo > hi:
        r.err("inquiry.max_area_m2", f"is {hi:g}, less than min_area_m2 {lo:g}")
    min_ready = r.number(q, "min_readiness", "inquiry", minimum=0, maximum=top_level, integer=True)
    lead = r.number(q, "max_lead_time_months", "inquiry", minimum=0)
    for key, v in (("min_readiness", min_ready), ("max_lead_time_months", lead)):
        if v is not None and not has_readiness:
            r.err(f"inquiry.{key}", "needs a readiness ladder, but the analysis has no [readiness] "
                                    "table; add one (see docs/analysis-file.md) or remove the key")
    near = r.number(q, "near_miss", "inquiry", minimum=0)
    if near is not None and near >= 1:
        r.err("inquiry.near_miss", f"is a share below 1, not {near:g} (0.25 = 25 %)")
    combine = q.get("combine", True)
    if not isinstance(combine, bool):
        r.err("inquiry.combine", f"must be true or false, not {combine!r}")
        combine = True
    top = r.number(q, "top", "inquiry", minimum=1, maximum=TOP_MAX, integer=True)
    for key, limit in TEXT_LIMITS.items():
        v = q.get(key)
        if isinstance(v, str) and len(v) > limit:
            r.err(f"inquiry.{key}", f"is {len(v)} characters long; at most {limit} fit the meeting pack: "
                                    "shorten it")
    kinds = site_columns if isinstance(site_columns, Mapping) else dict.fromkeys(site_columns, "")
    reqs = tuple(_layer_requirement(r, n, spec, layers or set()) if isinstance(spec, dict) and "layer" in spec
                 else _requirement(r, n, spec, criteria, kinds)
                 for n, spec in r.table(q.get("require"), "inquiry.require").items())
    problems.raise_if_fatal()
    return InquirySpec(
        path=path, name=r.text(q, "name", "inquiry") or path.stem, profile=profile,
        min_area_m2=lo, max_area_m2=hi, min_readiness=None if min_ready is None else int(min_ready),
        max_lead_time_months=lead, near_miss=0.25 if near is None else near, combine=combine,
        top=10 if top is None else int(top), company=r.text(q, "company", "inquiry"),
        contact=r.text(q, "contact", "inquiry"), description=r.text(q, "description", "inquiry"),
        require=tuple(x for x in reqs if x is not None), sha256=sha,
        raw=MappingProxyType(data))


def _layer_requirement(r: _Reader, name: str, spec: dict, layers: set[str]) -> Requirement | None:
    """A bound on a layer: the distance from the site to it, or the share of the site it covers."""
    key = f"inquiry.require.{name}"
    r.keys(spec, key, {"layer", "label", *LAYER_RULES})
    layer = r.text(spec, "layer", key)
    if layer is not None and layer not in layers:
        r.err(f"{key}.layer", f"names layer '{layer}', which is not in the analysis{closest(layer, layers)}; "
                              f"layers: {valid_list(layers) or 'none'}")
        return None
    rules = [k for k in LAYER_RULES if k in spec]
    measures = {LAYER_RULES[k][0] for k in rules}
    if not rules:
        r.err(key, f"a layer requirement needs one of {valid_list(LAYER_RULES)}")
        return None
    if len(measures) > 1:
        r.err(key, "bounds either the distance or the share, not both; make two requirements")
        return None
    bounds: dict[str, float | None] = {"min": None, "max": None}
    for k in rules:
        share = LAYER_RULES[k][0] == "share"
        bounds[LAYER_RULES[k][1]] = r.number(spec, k, key, minimum=0, maximum=1 if share else None)
    if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
        r.err(key, f"the lower bound {bounds['min']:g} is above the upper bound {bounds['max']:g}")
    test = ConstraintSpec(name=name, field=name, min=bounds["min"], max=bounds["max"])
    return Requirement(name=name, column=name, criterion=None, test=test, layer=layer, measure=measures.pop())


def _requirement(r: _Reader, name: str, spec: Any, criteria: dict[str, Any],
                 kinds: Mapping[str, str]) -> Requirement | None:
    key = f"inquiry.require.{name}"
    spec = r.table(spec, key)
    r.keys(spec, key, REQUIRE_KEYS)
    if name in criteria:
        column, crit, kind = f"{name}_raw", name, "number"
    elif name in kinds:
        column, crit, kind = name, None, kinds[name]
    else:
        choices = sorted(set(criteria) | set(kinds))
        r.err(key, f"names neither a criterion nor a site column{closest(name, choices)}; criteria: "
                   f"{valid_list(criteria)}; site columns: {valid_list(kinds)}")
        return None
    rules = [k for k in REQUIRE_KEYS - {"label"} if k in spec]
    if not rules:
        r.err(key, "give 'min' and/or 'max' (a criterion's raw value, in its unit), or 'equals', "
                   "'in', 'not_equals', 'not_in' for a site column")
        return None
    lo, hi = r.number(spec, "min", key), r.number(spec, "max", key)
    if lo is not None and hi is not None and lo > hi:
        r.err(f"{key}.max", f"is {hi:g}, less than min {lo:g}")
    test = ConstraintSpec(name=name, field=column, min=lo, max=hi, equals=r.scalar(spec, "equals", key),
                          not_equals=r.scalar(spec, "not_equals", key), in_=r.values(spec, "in", key),
                          not_in=r.values(spec, "not_in", key))
    _check_fit(r, key, test, kind, "a criterion's raw value" if crit else f"column '{name}'")
    return Requirement(name=name, column=column, criterion=crit, test=test)


def _check_fit(r: _Reader, key: str, test: ConstraintSpec, kind: str, what: str) -> None:
    """Refuse a test that can never hold on a column of this kind."""
    if kind in ("text", "bool") and (test.min is not None or test.max is not None):
        k = "min" if test.min is not None else "max"
        r.err(f"{key}.{k}", f"{what} is {'text' if kind == 'text' else 'true/false'}; 'min' and 'max' compare "
                            "numbers: use 'equals' or 'in'")
    if kind != "number":
        return
    for k, vals in (("equals", (test.equals,)), ("not_equals", (test.not_equals,)),
                    ("in", test.in_ or ()), ("not_in", test.not_in or ())):
        bad = [v for v in vals if v is not None and (isinstance(v, (bool, str)))]
        if bad:
            r.err(f"{key}.{k}", f"{what} is a number, so {bad[0]!r} can never match; use 'min' and 'max'"
                                " (or a number)")
