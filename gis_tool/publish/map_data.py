"""What a map, the GeoPackage and run.json need from a run, without folium.

:func:`map_data` turns a :class:`~gis_tool.pipeline.Result` into a :class:`MapData`;
:func:`load_result` reads one back from an earlier run's outputs. Kept apart from
:mod:`gis_tool.maps` so that a run without a map never imports folium (a second of
start-up).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio

from ..engine.measures import unit_of
from ..errors import InputError
from ..spec.network import RINGS_LAYER
from ..text import LANGS, in_language, words
from .map_styles import level_colours

MAP_MAX_SITES = 20_000  # above this many sites the map draws only the best MAP_BEST_SITES ...
MAP_BEST_SITES = 5_000  # ... and a hexagon overview of all sites (see benchmarks/README.md)
OVERVIEW_CELLS = 3_000  # about this many hexagons in the overview


@dataclass
class MapData:
    """What a map needs from a run: scored sites, criteria, input layers and names."""

    name: str
    sites: gpd.GeoDataFrame
    criteria: list[dict[str, Any]]
    layers: dict[str, gpd.GeoDataFrame] = field(default_factory=dict)
    constraint_layers: set[str] = field(default_factory=set)
    study_area: str | None = None
    profile: str | None = None
    created: str = ""
    size_fields: dict[str, str] = field(default_factory=dict)
    site_attributes: list[str] = field(default_factory=list)
    readiness: dict[str, Any] | None = None
    profiles: dict[str, dict[str, float]] = field(default_factory=dict)
    values: np.ndarray | None = None   # criterion values 0..1, unrounded, in sites order
    credits: dict[str, list[str]] = field(default_factory=dict)   # per language: who made the data
    grid: bool = False                 # the sites are grid cells, not parcels
    municipality: str | None = None
    offer: dict[str, Any] | None = None   # {"yes": label, "no": otherwise}, each text or {sv, en}
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)   # [fields.X]: label, values, unit
    layer_labels: dict[str, Any] = field(default_factory=dict)        # layer name -> text or {sv, en}
    style_cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)   # drawn styles


def map_data(result: Any) -> MapData:
    """The map's view of a :class:`~gis_tool.pipeline.Result`."""
    if isinstance(result, MapData):
        return result
    crit = [{"key": n, "label": dict(c.label) if isinstance(c.label, Mapping) else (c.label or n),
             "unit": _unit(c), "weight": result.weights.values.get(n, 0.0)}
            for n, c in result.criteria.items()]
    site_layer = result.analysis.sites.layer
    layers = {k: v for k, v in result.layers.items() if k != site_layer}
    sizes = {c.layer: c.field for c in result.criteria.values()
             if c.kind == "nearest_attribute" and c.layer and c.field}
    known = {"site_id", "score", "rank", "eligible", "excluded_by", "area_m2", "offer_now", *READINESS_COLUMNS}
    attrs = [c for c in result.sites.columns if c not in known and not c.endswith(
        ("_raw", "_value", "_points", "_note")) and c != result.sites.geometry.name][:6]
    return MapData(name=result.analysis.name, sites=result.sites, criteria=crit, layers=layers,
                   constraint_layers={c.layer for c in result.constraints.values() if c.layer},
                   study_area=result.analysis.study_area, profile=result.profile,
                   created=date.today().isoformat(), size_fields=sizes, site_attributes=attrs,
                   readiness=_readiness_info(result), profiles=_profile_weights(result),
                   values=None if result.score_cache is None else result.score_cache.values,
                   credits=credits(result.analysis), grid=result.analysis.sites.grid is not None,
                   municipality=result.analysis.municipality, offer=_offer(result.analysis),
                   fields={n: {"label": _plain(f.label), "values": {k: _plain(v) for k, v in f.values.items()},
                               "unit": f.unit} for n, f in result.analysis.fields.items()},
                   layer_labels=_layer_labels(result))


def _layer_labels(result: Any) -> dict[str, Any]:
    """Each layer's label; the rings are named after the layer they are drawn around."""
    a = result.analysis
    out = {n: _plain(lyr.label) for n, lyr in a.layers.items() if lyr.label}
    rings = a.network.rings if a.network is not None else None
    if rings is not None:
        target = a.layers[rings.layer].label
        out[RINGS_LAYER] = {lg: words.NETWORK[lg]["rings"].format(layer=in_language(target, lg, rings.layer))
                             for lg in LANGS}
    return out


def _plain(label: Any) -> Any:
    return dict(label) if isinstance(label, Mapping) else label


def _offer(analysis: Any) -> dict[str, Any] | None:
    o = analysis.offer
    if o is None:
        return None
    lab = {k: dict(v) if isinstance(v, Mapping) else v for k, v in (("yes", o.label), ("no", o.otherwise))}
    return {k: v if v else {lang: words.OFFER[lang][k] for lang in LANGS} for k, v in lab.items()}


def credits(analysis: Any) -> dict[str, list[str]]:
    """Who made the data, per language: ``[analysis] attribution`` when given, else the
    ``source`` of every layer the analysis reads, else the municipality (or the analysis)."""
    out = {}
    for lang in LANGS:
        if analysis.attribution:
            parts = [in_language(analysis.attribution, lang, "")]
        else:
            parts = list(dict.fromkeys(lyr.source for lyr in analysis.layers.values() if lyr.source))
        out[lang] = parts or [words.CREDITS[lang]["data"].format(who=analysis.municipality or analysis.name)]
    return out


def _profile_weights(result: Any) -> dict[str, dict[str, float]]:
    """Each profile's weights as written (relative; the page normalises them as
    ``Result.rescore`` does, in criteria order, so that both agree exactly)."""
    return {name: {c: float(p.weights.get(c, 0.0)) for c in result.criteria}
            for name, p in result.analysis.profiles.items() if p.weights}


READINESS_COLUMNS = ("readiness_level", "readiness_label", "lead_time_months", "cost_to_ready_sek",
                     "months_to_ready", "steps_to_ready", "next_level_needs")


def _readiness_info(result: Any) -> dict[str, Any] | None:
    """What the map shows of readiness: the ladder, supply per level and the target."""
    spec = result.analysis.readiness
    if spec is None or result.readiness is None:
        return None
    sup = result.supply()
    per = sup.groupby("level")[["eligible_area_ha", "cumulative_eligible_ha"]].sum()
    target = result.supply_target()
    if target is not None:
        target = {**target, "label": dict(target["label"])}
    return {"levels": [{"level": i, "label": dict(lv.label), "lead": lv.lead_time_months,
                        "colour": c, "ha": round(float(per.loc[i, "eligible_area_ha"]), 1),
                        "cum": round(float(per.loc[i, "cumulative_eligible_ha"]), 1)}
                       for i, (lv, c) in enumerate(zip(spec.levels, level_colours(len(spec.levels))))],
            "target": target, "demand": spec.demand_ha_per_year}


def _unit(spec: Any) -> str:
    return unit_of(spec)


def map_scale(n_sites: int) -> dict[str, Any]:
    """What a map of ``n_sites`` sites draws (for run.json)."""
    if n_sites <= MAP_MAX_SITES:
        return {"sites": n_sites, "sites_drawn": n_sites, "overview": None}
    return {"sites": n_sites, "sites_drawn": MAP_BEST_SITES,
            "overview": f"about {OVERVIEW_CELLS} hexagons over all sites, coloured by the best "
                        "score in each; excluded-only hexagons grey",
            "why": f"a browser holds about {MAP_MAX_SITES:,} polygons with popups"}


def load_result(out_dir: str | Path) -> MapData:
    """Read an earlier run's outputs (sites.gpkg, run.json) back for re-publishing."""
    out = Path(out_dir)
    gpkg, manifest = out / "sites.gpkg", out / "run.json"
    for p in (gpkg, manifest):
        if not p.exists():
            raise InputError(f"{p}: not found; give the --out folder of an earlier "
                             "`gis-tool run`")
    try:
        info = json.loads(manifest.read_text(encoding="utf-8"))
        mi = info["map"]
    except (ValueError, KeyError) as exc:
        raise InputError(f"{manifest}: not a gis-tool run manifest ({exc}); run the analysis "
                         "again") from None
    sites = pyogrio.read_dataframe(gpkg, layer="sites")
    sites.index = sites["site_id"].astype(str).to_numpy()
    layers = {}
    for name, lyr in mi.get("layers", {}).items():
        layers[name] = pyogrio.read_dataframe(gpkg, layer=lyr)
    return MapData(name=mi["name"], sites=sites, criteria=mi["criteria"], layers=layers,
                   constraint_layers=set(mi.get("constraint_layers", [])),
                   study_area=mi.get("study_area"), profile=mi.get("profile"),
                   created=mi.get("created", ""), size_fields=mi.get("size_fields", {}),
                   site_attributes=mi.get("site_attributes", []), readiness=mi.get("readiness"),
                   profiles=mi.get("profiles", {}), credits=mi.get("credits", {}),
                   grid=bool(mi.get("grid", False)), municipality=mi.get("municipality"),
                   offer=mi.get("offer"), fields=mi.get("fields", {}), layer_labels=mi.get("layer_labels", {}))


def map_manifest(data: MapData, stored: dict[str, str]) -> dict[str, Any]:
    """The part of run.json that ``gis-tool map`` needs to redraw the map."""
    return {"name": data.name, "criteria": data.criteria, "profile": data.profile,
            "constraint_layers": sorted(data.constraint_layers), "study_area": data.study_area,
            "created": data.created, "size_fields": data.size_fields,
            "site_attributes": data.site_attributes, "layers": stored,
            "readiness": data.readiness, "profiles": data.profiles, "credits": data.credits,
            "grid": data.grid, "municipality": data.municipality, "offer": data.offer,
            "fields": data.fields, "layer_labels": data.layer_labels}
