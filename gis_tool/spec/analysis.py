"""The analysis file: TOML parsed once into typed, immutable objects.

Every problem in the file is collected in one pass and reported together, each with
its key path and, for a misspelt key, the closest valid key.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from types import MappingProxyType
from typing import Any

from ..errors import InputError, ProblemList, closest, valid_list
from . import kinds as installed_kinds
from .model import (  # noqa: F401  (the analysis objects, importable from here too)
    DEFAULT_MISSING,
    MISSING_POLICIES,
    Analysis,
    ConstraintSpec,
    CriterionSpec,
    FieldSpec,
    GridSpec,
    LayerSpec,
    OfferSpec,
    ProfileSpec,
    SitesSpec,
    ValueSpec,
    WeightsSpec,
    _freeze,
)
from .network import RINGS_LAYER, NetworkSpec, parse_network
from .reader import Reader as _Reader
from .reader import read_toml
from .readiness import parse_readiness
from .urls import check_url, is_postgres, is_web
from .value_params import VALUE_FNS, check_params

_ANALYSIS_KEYS = {"name", "crs", "study_area", "description", "live_weights", "municipality", "attribution"}
_LAYER_KEYS = {"path", "layer", "assume_crs", "encoding", "label", "where", "source", "table", "sql", "geometry"}
_SITES_KEYS = {"layer", "id", "min_area_m2", "grid"}
_GRID_KEYS = {"cell_m", "shape"}
_CRITERION_KEYS = {
    "kind", "layer", "field", "classes", "radius_m", "value", "weight", "missing", "label",
    "unit", "minutes", "decay_minutes",
}
_VALUE_KEYS = {
    "linear": {"fn", "best", "worst"},
    "threshold": {"fn", "steps", "otherwise", "breaks", "values"},
    "target": {"fn", "ideal", "tolerance"},
    "categorical": {"fn", "map", "default"},
}
_CONSTRAINT_KEYS = {
    "layer", "min_share", "max_share", "min_distance_m", "max_distance_m", "max_minutes", "field", "equals",
    "not_equals",
    "in", "not_in", "min", "max", "label",
}
_WEIGHTS_KEYS = {"method", "pairwise", "max_consistency_ratio"}
_PROFILE_KEYS = {"weights", "min_area_m2", "constraints", "label", "description"}
_OFFER_KEYS = {"now", "label", "otherwise"}
_FIELD_KEYS = {"label", "values", "unit"}
_TOP_KEYS = {"analysis", "layers", "sites", "criteria", "constraints", "weights", "profiles", "offer", "fields",
             "readiness", "network"}
# Keys each criterion kind needs (beyond `kind`) and may use.
def load_analysis(path: str | Path) -> Analysis:
    """Read and validate an analysis file.

    Parameters
    ----------
    path
        The TOML file. Layer paths in it are relative to its folder.

    Returns
    -------
    Analysis
        The validated, immutable analysis.

    Raises
    ------
    InputError
        Listing every problem found, each with its key path.
    """
    path = Path(path)
    data, sha256 = read_toml(path, "analysis file")
    return parse_analysis(data, path=path, sha256=sha256)


def parse_analysis(data: dict, *, path: Path, sha256: str = "") -> Analysis:
    """Validate an already-parsed analysis dictionary (see :func:`load_analysis`)."""
    problems = ProblemList()
    r = _Reader(problems, path.name)
    r.keys(data, "", _TOP_KEYS)

    a = r.table(data.get("analysis"), "analysis")
    r.keys(a, "analysis", _ANALYSIS_KEYS)
    name = r.text(a, "name", "analysis") or path.stem
    crs = r.text(a, "crs", "analysis") or "EPSG:3006"
    study_area = r.text(a, "study_area", "analysis")
    live = r.boolean(a, "live_weights", "analysis")
    municipality = r.text(a, "municipality", "analysis")
    attribution = _label(r, a, "analysis", "attribution")

    layers = _parse_layers(r, r.table(data.get("layers"), "layers"), path.parent)
    sites = _parse_sites(r, r.table(data.get("sites"), "sites"))
    criteria = {
        n: _parse_criterion(r, n, r.table(c, f"criteria.{n}"))
        for n, c in r.table(data.get("criteria"), "criteria").items()
    }
    constraints = {
        n: _parse_constraint(r, n, r.table(c, f"constraints.{n}"), f"constraints.{n}")
        for n, c in r.table(data.get("constraints"), "constraints").items()
    }
    weights = _parse_weights(r, r.table(data.get("weights"), "weights"))
    profiles = {
        n: _parse_profile(r, n, r.table(p, f"profiles.{n}"))
        for n, p in r.table(data.get("profiles"), "profiles").items()
    }
    readiness = parse_readiness(r, r.table(data.get("readiness"), "readiness"),
                                lambda n, d, k: _parse_constraint(r, n, d, k))
    offer = _parse_offer(r, r.table(data.get("offer"), "offer"), layers)
    fields = {n: _parse_field(r, n, r.table(f, f"fields.{n}"))
              for n, f in r.table(data.get("fields"), "fields").items()}
    for n, c in criteria.items():   # a column scored as it is: in its field's unit, unless told
        f = fields.get(c.field or "") if c.kind == "attribute" and c.unit is None else None
        if f is not None and f.unit:
            criteria[n] = dataclasses.replace(c, unit=f.unit)
    network = parse_network(r, r.table(data.get("network"), "network"))
    _cross_check(r, layers, sites, study_area, criteria, constraints, weights, profiles)
    _check_network(r, network, layers, criteria, constraints, readiness)
    if readiness is not None:
        for i, lv in enumerate(readiness.levels):
            for j, c in enumerate(lv.when):
                _need_layer(r, layers, c.layer, f"readiness.levels[{i}].when[{j}].layer")
        if readiness.group_by is not None and sites.grid is not None:
            r.err("readiness.group_by", "reads a column of the sites layer; grid sites have none")
    problems.raise_if_fatal()
    return Analysis(
        path=path, name=name, crs=crs, study_area=study_area, layers=_freeze(layers),
        sites=sites, criteria=_freeze(criteria), constraints=_freeze(constraints),
        weights=weights, profiles=_freeze(profiles), sha256=sha256, raw=_freeze(data),
        readiness=readiness, live_weights=bool(live), municipality=municipality, attribution=attribution,
        offer=offer, fields=_freeze(fields), network=network,
    )


def _parse_field(r: _Reader, name: str, data: dict) -> FieldSpec:
    """``[fields.NAME]``: a label, labels of its values (keyed as written in sites.csv), a unit."""
    key = f"fields.{name}"
    r.keys(data, key, _FIELD_KEYS)
    values = {}
    for v, lab in r.table(data.get("values"), f"{key}.values").items():
        values[str(v)] = _label(r, {"label": lab}, f"{key}.values.{v}")
    return FieldSpec(name=name, label=_label(r, data, key), values=_freeze(values), unit=r.text(data, "unit", key))


def _parse_offer(r: _Reader, data: dict, layers: dict[str, LayerSpec]) -> OfferSpec | None:
    """``[offer]``: ``now`` conditions (the readiness vocabulary), ``label``, ``otherwise``."""
    if not data:
        return None
    r.keys(data, "offer", _OFFER_KEYS)
    now = data.get("now")
    if not isinstance(now, list) or not now:
        r.err("offer.now", "needs a list of conditions, e.g. now = [{ field = \"owner\", in = [\"kommun\"] }]")
        now = []
    conds = tuple(_parse_constraint(r, "offer", r.table(c, f"offer.now[{j}]"), f"offer.now[{j}]")
                  for j, c in enumerate(now))
    for j, c in enumerate(conds):
        _need_layer(r, layers, c.layer, f"offer.now[{j}].layer")
    return OfferSpec(now=conds, label=_label(r, data, "offer"), otherwise=_label(r, data, "offer", "otherwise"))


def _parse_layers(r: _Reader, data: dict, base: Path) -> dict[str, LayerSpec]:
    out = {}
    for name, spec in data.items():
        key = f"layers.{name}"
        if isinstance(spec, str):  # shorthand: name = "file.gpkg"
            spec = {"path": spec}
        spec = r.table(spec, key)
        r.keys(spec, key, _LAYER_KEYS)
        p = r.text(spec, "path", key)
        if p is None:
            if "path" not in spec:
                r.err(key, "has no 'path'; give the file, relative to the analysis file")
            continue
        db = is_postgres(p)
        if db:
            try:
                check_url(p, f"{key}.path")
            except InputError as exc:
                r.err(f"{key}.path", exc.problems[0].message)
            if ("table" in spec) == ("sql" in spec):
                r.err(key, "a PostGIS layer needs 'table' (\"schema.table\") or 'sql' (\"SELECT ...\"), "
                           "one of them")
        for k in ("table", "sql", "geometry"):
            if k in spec and not db:
                r.err(f"{key}.{k}", "is for a PostGIS layer (path = \"postgresql://user@host/db\"); "
                                    "for a file use 'layer'")
        out[name] = LayerSpec(
            name=name, path=p if db or is_web(p) else (base / p),
            layer=r.text(spec, "table", key) if db else r.text(spec, "layer", key),
            sql=r.text(spec, "sql", key), geometry=r.text(spec, "geometry", key),
            assume_crs=r.text(spec, "assume_crs", key), encoding=r.text(spec, "encoding", key),
            label=_label(r, spec, key), where=r.text(spec, "where", key),
            source=r.text(spec, "source", key),
        )
    return out


def _parse_sites(r: _Reader, data: dict) -> SitesSpec:
    r.keys(data, "sites", _SITES_KEYS)
    grid = None
    if "grid" in data:
        g = r.table(data["grid"], "sites.grid")
        r.keys(g, "sites.grid", _GRID_KEYS)
        cell = r.number(g, "cell_m", "sites.grid", positive=True)
        if cell is None and "cell_m" not in g:
            r.err("sites.grid", "needs 'cell_m', the cell size in metres")
        shape = r.choice(g, "shape", "sites.grid", ("square", "hex"), "square")
        if cell is not None and shape is not None:
            grid = GridSpec(cell_m=cell, shape=shape)
    layer = r.text(data, "layer", "sites")
    if grid is None and layer is None and "grid" not in data:
        r.err("sites", "needs 'layer' (with 'id') or 'grid = { cell_m = ... }'")
    if grid is not None and layer is not None:
        r.err("sites", "give either 'layer' or 'grid', not both")
    if layer is not None and "id" not in data:
        r.err("sites", "needs 'id', the column with each site's unique identifier")
    return SitesSpec(
        layer=layer, id=r.text(data, "id", "sites"), grid=grid,
        min_area_m2=r.number(data, "min_area_m2", "sites", minimum=0) or 0.0,
    )


def _parse_value(r: _Reader, data: Any, path: str) -> ValueSpec | None:
    data = r.table(data, path)
    if not data:
        return None
    fn = r.choice(data, "fn", path, VALUE_FNS)
    if "fn" not in data:
        r.err(path, f"needs 'fn', one of {valid_list(VALUE_FNS)}")
    if fn is None:
        return None
    r.keys(data, path, _VALUE_KEYS[fn])
    params = {k: v for k, v in data.items() if k != "fn"}
    for msg in check_params(fn, params):
        r.err(path, msg)
    return ValueSpec(fn=fn, params=_freeze(params))


def _parse_criterion(r: _Reader, name: str, data: dict) -> CriterionSpec:
    key = f"criteria.{name}"
    r.keys(data, key, _CRITERION_KEYS)
    kinds = installed_kinds.installed()
    kind = r.choice(data, "kind", key, tuple(kinds))
    if "kind" not in data:
        r.err(key, f"needs 'kind', one of {valid_list(kinds)}")
    if kind is not None:
        for need in sorted(kinds[kind].needs - set(data)):
            r.err(key, f"kind '{kind}' needs '{need}'")
        extra = set(data) & {"layer", "field", "classes", "radius_m", "minutes", "decay_minutes"} - kinds[kind].allows
        for k in sorted(extra):
            r.err(f"{key}.{k}", f"is not used by kind '{kind}'; remove it")
    classes = None
    if "classes" in data:
        c = r.table(data["classes"], f"{key}.classes")
        for cls, v in c.items():
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
                r.err(f"{key}.classes.{cls}", f"must be a score from 0 to 1, not {v!r}")
        if "field" not in data:
            r.err(key, "'classes' needs 'field', the column holding the class")
        classes = _freeze({str(k): float(v) for k, v in c.items()
                           if isinstance(v, (int, float)) and not isinstance(v, bool)})
    weight = r.number(data, "weight", key, minimum=0)
    return CriterionSpec(
        name=name, kind=kind or "?", layer=r.text(data, "layer", key),
        field=r.text(data, "field", key), classes=classes,
        radius_m=r.number(data, "radius_m", key, positive=True),
        minutes=r.number(data, "minutes", key, positive=True, maximum=600),
        decay_minutes=r.number(data, "decay_minutes", key, positive=True),
        value=_parse_value(r, data.get("value"), f"{key}.value"), weight=weight,
        missing=r.choice(data, "missing", key, MISSING_POLICIES, DEFAULT_MISSING) or DEFAULT_MISSING,
        label=_label(r, data, key), unit=r.text(data, "unit", key),
    )


def _label(r: _Reader, data: dict, key: str, field: str = "label") -> str | MappingProxyType | None:
    """A label: text, or text per language (``label = { sv = "...", en = "..." }``)."""
    v = data.get(field)
    if isinstance(v, dict):
        bad = [k for k in v if k not in ("sv", "en")]
        for k in bad:
            r.err(f"{key}.{field}.{k}", f"unknown language{closest(k, ('sv', 'en'))}; use 'sv' and 'en'")
        if any(not isinstance(x, str) for x in v.values()):
            r.err(f"{key}.{field}", "each language's text must be text")
        return _freeze(v)
    return r.text(data, field, key)


def _parse_constraint(r: _Reader, name: str, data: dict, key: str) -> ConstraintSpec:
    r.keys(data, key, _CONSTRAINT_KEYS)
    rules = [k for k in ("min_share", "max_share", "min_distance_m", "max_distance_m", "max_minutes") if k in data]
    conds = [k for k in ("equals", "not_equals", "in", "not_in", "min", "max") if k in data]
    if "layer" in data and not rules:
        r.err(key, "a layer condition needs 'min_share', 'max_share', 'min_distance_m', "
                   "'max_distance_m' or 'max_minutes'")
    if "layer" not in data and rules:
        r.err(key, f"'{rules[0]}' needs 'layer', the layer to measure against")
    if "field" in data and not conds:
        r.err(key, "an attribute constraint needs 'equals', 'not_equals', 'in', 'not_in', "
                   "'min' or 'max'")
    if conds and "field" not in data:
        r.err(key, f"'{conds[0]}' needs 'field', a column of the sites layer")
    if "layer" not in data and "field" not in data:
        r.err(key, "needs 'layer' (with min_share / max_share / min_distance_m / max_distance_m)"
                   " or 'field' (with equals / in / min / max)")
    shares: dict[str, float | None] = {}
    for k in ("min_share", "max_share"):
        v = shares[k] = r.number(data, k, key, minimum=0)
        if v is not None and v > 1:
            r.err(f"{key}.{k}", f"is a share from 0 to 1, not {v} (use 0.12 for 12 %)")

    return ConstraintSpec(
        name=name, layer=r.text(data, "layer", key), max_share=shares["max_share"],
        min_share=shares["min_share"],
        min_distance_m=r.number(data, "min_distance_m", key, minimum=0),
        max_distance_m=r.number(data, "max_distance_m", key, minimum=0),
        max_minutes=r.number(data, "max_minutes", key, minimum=0),
        field=r.text(data, "field", key), equals=r.scalar(data, "equals", key),
        not_equals=r.scalar(data, "not_equals", key), in_=r.values(data, "in", key),
        not_in=r.values(data, "not_in", key),
        min=r.number(data, "min", key), max=r.number(data, "max", key),
        label=_label(r, data, key),
    )


def _parse_weights(r: _Reader, data: dict) -> WeightsSpec:
    r.keys(data, "weights", _WEIGHTS_KEYS)
    method = r.choice(data, "method", "weights", ("direct", "ahp"), "direct") or "direct"
    pairs = []
    for i, p in enumerate(data.get("pairwise", []) or []):
        ok = (isinstance(p, list) and len(p) == 3 and isinstance(p[0], str)
              and isinstance(p[1], str) and isinstance(p[2], (int, float))
              and not isinstance(p[2], bool) and math.isfinite(p[2]) and p[2] > 0)
        if not ok:
            r.err(f"weights.pairwise[{i}]", f"must be [\"a\", \"b\", factor > 0], not {p!r}")
            continue
        pairs.append((p[0], p[1], float(p[2])))
    if method == "ahp" and not pairs:
        r.err("weights", "method 'ahp' needs 'pairwise' comparisons of every pair of criteria")
    if method == "direct" and "pairwise" in data:
        r.err("weights.pairwise", "is only used with method = \"ahp\"; add it")
    cr = r.number(data, "max_consistency_ratio", "weights", minimum=0)
    return WeightsSpec(method=method, pairwise=tuple(pairs),
                       max_consistency_ratio=0.1 if cr is None else cr)


def _parse_profile(r: _Reader, name: str, data: dict) -> ProfileSpec:
    key = f"profiles.{name}"
    r.keys(data, key, _PROFILE_KEYS)
    weights = {}
    for c, w in r.table(data.get("weights"), f"{key}.weights").items():
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            r.err(f"{key}.weights.{c}", f"must be a finite number of at least 0, not {w!r}")
        else:
            weights[c] = float(w)
    cons = {}
    for c, spec in r.table(data.get("constraints"), f"{key}.constraints").items():
        cons[c] = r.table(spec, f"{key}.constraints.{c}")
    return ProfileSpec(
        name=name, weights=_freeze(weights),
        min_area_m2=r.number(data, "min_area_m2", key, minimum=0),
        constraints=_freeze(cons), label=_label(r, data, key),
    )


def _need_layer(r: _Reader, layers: dict, name: str | None, where: str) -> None:
    """A key that names a layer must name one of [layers]."""
    if name is not None and name not in layers:
        r.err(where, f"names layer '{name}', which is not in [layers]"
                     f"{closest(name, layers)}; layers: {valid_list(layers) or 'none'}")


def _cross_check(r: _Reader, layers: dict, sites: SitesSpec, study_area: str | None,
                 criteria: dict, constraints: dict, weights: WeightsSpec,
                 profiles: dict) -> None:
    """Checks that need several tables: layer names, weights, profiles."""

    def need_layer(name: str | None, where: str) -> None:
        _need_layer(r, layers, name, where)

    need_layer(study_area, "analysis.study_area")
    need_layer(sites.layer, "sites.layer")
    if sites.grid is not None and study_area is None:
        r.err("sites.grid", "a grid needs 'analysis.study_area', the layer the grid covers")
    for c in criteria.values():
        need_layer(c.layer, f"criteria.{c.name}.layer")
        kind = installed_kinds.installed().get(c.kind)
        if kind is not None and kind.reads_sites and sites.grid is not None:
            r.err(f"criteria.{c.name}", f"kind '{c.kind}' reads a column of the sites layer; "
                                        "grid sites have none")
    for c in constraints.values():
        need_layer(c.layer, f"constraints.{c.name}.layer")
    if not criteria:
        r.err("criteria", "no criteria: add at least one [criteria.NAME] table")
    if weights.method == "ahp":
        for c in criteria.values():
            if c.weight is not None:
                r.err(f"criteria.{c.name}.weight", "with weights.method = \"ahp\" no criterion "
                                                   "has its own weight; remove it")
        for i, (a, b, _) in enumerate(weights.pairwise):
            for n in (a, b):
                if n not in criteria:
                    r.err(f"weights.pairwise[{i}]", f"unknown criterion '{n}'"
                                                    f"{closest(n, criteria)}")
    elif criteria and all(c.weight == 0 for c in criteria.values() if c.weight is not None) \
            and all(c.weight is not None for c in criteria.values()):
        r.err("criteria", "every weight is 0; give at least one criterion a weight above 0")
    for p in profiles.values():
        for c in p.weights:
            if c not in criteria:
                r.err(f"profiles.{p.name}.weights.{c}",
                      f"unknown criterion{closest(c, criteria)}; criteria: {valid_list(criteria)}")
        if p.weights and not any(p.weights.values()):
            r.err(f"profiles.{p.name}.weights", "every weight is 0; give one a weight above 0")
        for c, spec in p.constraints.items():
            key = f"profiles.{p.name}.constraints.{c}"
            r.keys(spec, key, _CONSTRAINT_KEYS)
            if c not in constraints:
                _parse_constraint(r, c, spec, key)  # a new constraint: must be whole
                need_layer(spec.get("layer"), f"{key}.layer")


def _check_network(r: _Reader, network: NetworkSpec | None, layers: dict, criteria: dict,
                   constraints: dict, readiness: Any) -> None:
    """The network's layers exist, and whatever measures along it has a network."""
    if network is not None:
        if network.rings is not None and RINGS_LAYER in layers:
            r.err(f"layers.{RINGS_LAYER}", "is the name of the layer of rings that [network.rings] draws; "
                                           "rename this layer")
        if network.layer != "?":   # "?": no layer given, reported already
            _need_layer(r, layers, network.layer, "network.layer")
        _need_layer(r, layers, network.rings.layer if network.rings else None, "network.rings.layer")
        return
    kinds = installed_kinds.installed()
    for c in criteria.values():
        if getattr(kinds.get(c.kind), "uses_network", False):
            r.err(f"criteria.{c.name}", f"kind '{c.kind}' measures along the road network; add a "
                                        "[network] table (layer = \"roads\", speeds: DESIGN 3.13)")
    conds = [(f"constraints.{c.name}", c) for c in constraints.values()]
    if readiness is not None:
        conds += [(f"readiness.levels[{i}].when[{j}]", c) for i, lv in enumerate(readiness.levels)
                  for j, c in enumerate(lv.when)]
    for key, c in conds:
        if c.max_minutes is not None:
            r.err(f"{key}.max_minutes", "is a travel time along the road network; add a [network] table")


def constraint_from_dict(name: str, data: dict, *, where: str) -> ConstraintSpec:
    """Build a constraint from a raw table (used for constraints a profile adds)."""
    problems = ProblemList()
    spec = _parse_constraint(_Reader(problems, ""), name, data, where)
    problems.raise_if_fatal()
    return spec
