"""Investor inquiries: which sites match a request, which nearly do, which combine.

``inquiry(request, analysis)`` runs the analysis under the request's profile and returns
an :class:`InquiryResult` with

- ``matches``: eligible sites (under the profile's constraints) that meet every
  requirement (bounds inclusive), the area bounds and the readiness bounds, together with
  the combined sites, ranked by score (ties: single sites first, then by id);
- ``near_misses``: eligible non-matches that fail only numeric bounds (requirements with
  ``min``/``max``, area, lead time), each by at most ``near_miss`` of the bound, with
  sentences that say what it would take;
- ``combined``: 2 or 3 neighbouring eligible sites (sharing boundary) that each meet every
  requirement except area and together meet the area bounds. Only minimal groups are
  offered: none of the parts is a match alone, and no pair within a triple already is.
  Scored by the area-weighted mean of the parts' scores.

A request's area bounds replace the minimum site area of the profile (the analysis's
``[sites] min_area_m2`` still applies; a profile's ``min_area_m2`` becomes the lower area
bound when the request sets none), so that small neighbouring parcels can be combined.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..engine.conditions import all_hold, field_checks
from ..engine.measures import unit_of
from ..engine.pipeline import Result, run_analysis
from ..errors import InputError
from ..inputs.sources import open_source
from ..spec.analysis import Analysis, load_analysis
from ..spec.request import InquirySpec, load_request, parse_request
from ..text import in_language, words
from .advice import area_notes, relaxations, without_each
from .bounds import WORDS, Bound, fmt, miss_sentence, with_unit  # noqa: F401  (importable from here too)

log = logging.getLogger(__name__)

SHARED_EDGE_M = 0.01  # two sites share boundary when their boundaries meet over this length



@dataclass
class InquiryResult:
    """The answer to a request: matches (single and combined), near misses, combined sites."""

    spec: InquirySpec
    result: Result
    matches: gpd.GeoDataFrame
    near_misses: gpd.GeoDataFrame
    combined: gpd.GeoDataFrame
    blockers: list[dict[str, Any]] = field(default_factory=list)
    lang: str = "sv"
    notes: list[str] = field(default_factory=list)   # why nothing can match, in the request's words
    relaxations: list[dict[str, Any]] = field(default_factory=list)   # the smallest changes that match

    def summary(self) -> str:
        """What a business developer says on the phone, in English."""
        n_single = int((self.matches["parts"] == "").sum()) if len(self.matches) else 0
        lines = [f"{self.spec.name}: {n_single} matching site(s), {len(self.combined)} combined "
                 f"site(s), {len(self.near_misses)} near miss(es)", *self.notes]
        if not len(self.matches):
            lines.append("no site matches the request as asked")
            if len(self.near_misses):
                lines.append(f"{len(self.near_misses)} site(s) nearly do (near_misses.csv): "
                             f"best {self.near_misses.iloc[0]['site_id']}: "
                             f"{self.near_misses.iloc[0]['misses']}")
            if self.blockers and self.blockers[0]["sites"]:
                b = self.blockers[0]
                lines.append(f"without the {b['requirement']} requirement ({b['asked']}), "
                             f"{b['sites']} site(s) would match")
            lines += [f"  would match: {r['text']}" for r in self.relaxations]
        for _, row in self.matches.head(5).iterrows():
            lines.append(f"  {int(row['rank']):>3}. {row['site_id']}  score {row['score']:.1f}, "
                         f"{row['area_m2'] / 1e4:.1f} ha")
        return "\n".join(lines)


def request_summary(spec: InquirySpec, lang: str = "en", names: Mapping[str, str] | None = None) -> str:
    """The request in one line: ``4–8 ha · level ≥ 3 · ≤ 12 months · motorway ≤ 2 000 ...``;
    ``names`` says each requirement in words (labels) instead of its key."""
    W = WORDS[lang]
    parts = []
    said = names or {}
    if spec.min_area_m2 is not None or spec.max_area_m2 is not None:
        lo = fmt(spec.min_area_m2 / 1e4, lang) if spec.min_area_m2 is not None else "0"
        parts.append(f"{lo}–{fmt(spec.max_area_m2 / 1e4, lang)} ha" if spec.max_area_m2 is not None
                     else f"≥ {lo} ha")
    if spec.min_readiness is not None:
        parts.append(f"{W['level']} ≥ {spec.min_readiness}")
    if spec.max_lead_time_months is not None:
        parts.append(f"{W['lead_time']} ≤ {fmt(spec.max_lead_time_months, lang)} {W['months']}")
    for req in spec.require:
        t, name = req.test, said.get(req.name, req.name)
        if t.min is not None:
            parts.append(f"{name} ≥ {fmt(t.min, lang)}")
        if t.max is not None:
            parts.append(f"{name} ≤ {fmt(t.max, lang)}")
        for op, v in (("=", t.equals), ("≠", t.not_equals)):
            if v is not None:
                parts.append(f"{name} {op} {v}")
        if t.in_ is not None:
            parts.append(f"{name} ∈ {', '.join(map(str, t.in_))}")
        if t.not_in is not None:
            parts.append(f"{name} ∉ {', '.join(map(str, t.not_in))}")
    return " · ".join(parts)


def site_columns(analysis: Analysis) -> dict[str, str] | None:
    """Columns of the sites a requirement may test (besides criteria), each with its kind
    (``"number"``, ``"text"``, ``"bool"`` or ``""`` when unknown); None when the sites
    layer cannot be opened (the run then reports why)."""
    cols = {"area_m2": "number"}
    if analysis.readiness is not None:
        cols |= {"readiness_level": "number", "lead_time_months": "number"}
    spec = analysis.sites
    if spec.layer and spec.layer in analysis.layers:
        lyr = analysis.layers[spec.layer]
        try:
            cols |= open_source(lyr.path, layer=lyr.layer, encoding=lyr.encoding, sql=lyr.sql,
                                geometry=lyr.geometry).fields()
        except Exception:  # an unreadable source: the run reports it with the fix
            return None
    return cols


def inquiry(request: str | Path | dict, analysis: str | Path | Analysis, *, lang: str = "sv"
            ) -> InquiryResult:
    """Answer an investor's request against an analysis.

    Parameters
    ----------
    request
        A request file (``REQUEST.toml``) or its parsed TOML.
    analysis
        The analysis file, or a loaded :class:`~gis_tool.config.Analysis`.
    lang
        ``"sv"`` or ``"en"``: sentences, labels.

    Returns
    -------
    InquiryResult
        ``.matches``, ``.near_misses`` and ``.combined`` as GeoDataFrames.

    Raises
    ------
    InputError
        For a bad request or analysis, listing every problem.
    """
    a = analysis if isinstance(analysis, Analysis) else load_analysis(analysis)
    if isinstance(request, dict):
        data, path = dict(request), Path("request.toml")
    else:
        path = Path(request)
        data = load_request(path)
    cols = site_columns(a)
    if cols is None:  # let the run say what is wrong with the sites file
        run_analysis(a, lang=lang)
        cols = {}
    spec = parse_request(data, path=path, criteria=dict(a.criteria), site_columns=cols, layers=set(a.layers),
                         profiles=set(a.profiles), has_readiness=a.readiness is not None,
                         top_level=None if a.readiness is None else a.readiness.top)
    res = run_analysis(a, profile=spec.profile, lang=lang, min_area_m2=a.sites.min_area_m2)
    if spec.min_area_m2 is None and spec.profile and a.profiles[spec.profile].min_area_m2:
        spec = _replace(spec, min_area_m2=a.profiles[spec.profile].min_area_m2)
    return match(res, spec, lang=lang)


def _replace(spec: InquirySpec, **kw: Any) -> InquirySpec:
    return dataclasses.replace(spec, **kw)


def _bounds(res: Result, spec: InquirySpec, s: gpd.GeoDataFrame, lang: str) -> list[Bound]:
    out = []
    for req in spec.require:
        if not req.numeric_only:
            continue
        crit = res.criteria.get(req.criterion or "")
        unit = req.unit or (unit_of(crit) if crit is not None else ("m2" if req.column == "area_m2" else ""))
        vals = pd.to_numeric(s[req.column], errors="coerce").to_numpy(dtype=float)
        said = requirement_label(res, req, lang)
        for rule in ("min", "max"):
            b = getattr(req.test, rule)
            if b is not None:
                out.append(Bound(req.name, req.name, vals, rule, float(b), unit, said))
    ha = s.geometry.area.to_numpy() / 1e4
    W = WORDS[lang]
    if spec.min_area_m2 is not None:
        out.append(Bound("area", W["area"], ha, "min", spec.min_area_m2 / 1e4, "ha"))
    if spec.max_area_m2 is not None:
        out.append(Bound("area", W["area"], ha, "max", spec.max_area_m2 / 1e4, "ha"))
    if spec.max_lead_time_months is not None:
        out.append(Bound("lead_time", W["lead_time"], s["lead_time_months"].to_numpy(dtype=float),
                         "max", spec.max_lead_time_months, W["months"]))
    return out


def requirement_label(res: Result, req: Any, lang: str) -> str:
    """A requirement as people read it: the criterion's label, the field's label, or a layer
    bound in words; its key when none is given."""
    a = res.analysis
    crit = res.criteria.get(req.criterion or "")
    if crit is not None:
        return in_language(crit.label, lang, req.name)
    if req.layer is not None:
        lyr = a.layers.get(req.layer)
        layer = in_language(lyr.label if lyr is not None else None, lang, req.layer)
        return words.PACK[lang][f"layer_{req.measure}"].format(layer=layer)
    f = a.fields.get(req.column)
    return in_language(f.label if f is not None else None, lang, req.name)


def layer_measures(res: Result, spec: InquirySpec) -> dict[str, np.ndarray]:
    """The distance to, or share covered by, each layer a requirement bounds, per site (in
    ``res.sites`` order), from the run's cached measures."""
    reqs = [q for q in spec.require if q.layer is not None]
    if not reqs:
        return {}
    c = res.score_cache
    if c is None:
        raise InputError("this result has no cached measures; run the analysis again")
    out = {}
    for q in reqs:
        by = {"distance": c.measures.distance, "share": c.measures.share, "minutes": c.measures.minutes}
        if q.measure == "minutes" and c.measures.network is None:
            raise InputError(f"require.{q.name}.max_minutes: a travel time along the road network; the "
                             "analysis has no [network] table")
        vals = by[q.measure or "distance"](q.layer or "")
        out[q.name] = np.round(np.asarray(vals, dtype=float)[c.positions], 6 if q.measure == "minutes" else 4)
    return out


def match(res: Result, spec: InquirySpec, *, lang: str = "sv") -> InquiryResult:
    """Matches, near misses and combined sites of ``spec`` in a finished run."""
    s = res.sites.assign(**layer_measures(res, spec))
    n = len(s)
    eligible = s["eligible"].to_numpy(dtype=bool)
    # Requirements that are not numeric bounds (equals / in ...) and the readiness level
    # must hold outright, for a match, a near miss and every part of a combined site.
    hard = np.ones(n, bool)
    for req in spec.require:
        if not req.numeric_only:
            hard &= all_hold(list(field_checks(req.test, s[req.column])), n)
    if spec.min_readiness is not None:
        hard &= s["readiness_level"].to_numpy(dtype=int) >= spec.min_readiness
    bounds = _bounds(res, spec, s, lang)
    all_bounds = _all([b.holds() for b in bounds], n)
    not_area = _all([b.holds() for b in bounds if b.name != "area"], n)
    is_match = eligible & hard & all_bounds
    near = eligible & hard & ~is_match
    for b in bounds:
        near &= b.near(spec.near_miss)
    singles = _single_matches(res, spec, s[is_match])
    combined = _combinations(res, spec, s, eligible & hard & not_area, is_match) if spec.combine \
        else _empty_like(singles)
    matches = _rank(pd.concat([singles, combined], ignore_index=True), s.crs)
    near_misses = _near_misses(s, bounds, near, spec, lang)
    blockers = without_each(s, spec, bounds, eligible, lang)
    log.info("%d matches (%d combined), %d near misses", len(matches), len(combined), len(near_misses))
    combined_out = matches[matches["parts"] != ""].reset_index(drop=True)
    notes = area_notes(res, spec, lang)
    for note in notes:
        log.warning(note)
    relax = relaxations(s, spec, bounds, eligible, lang) if not len(matches) else []
    return InquiryResult(spec, res, _pages(matches, spec.top), near_misses, combined_out, blockers, lang, notes,
                         relax)


def _pages(matches: gpd.GeoDataFrame, top: int) -> gpd.GeoDataFrame:
    """Which matches get a page in the meeting pack: the first ``top`` in order, a parcel in
    at most one combination that gets a page; ``shares`` names the parcels a combination
    without a page shares with one that has it."""
    page = np.zeros(len(matches), bool)
    shares = np.full(len(matches), "", dtype=object)
    used: set[str] = set()
    for i, parts in enumerate(matches["parts"].astype(str).tolist()):
        ids = set(parts.split("; ")) if parts else set()
        if ids & used:
            shares[i] = "; ".join(sorted(ids & used))
            continue
        if page.sum() < top:
            page[i] = True
            used |= ids
    return matches.assign(page=page, shares=shares)


def _all(masks: list[np.ndarray], n: int) -> np.ndarray:
    return np.logical_and.reduce(masks) if masks else np.ones(n, bool)


def _columns(res: Result, spec: InquirySpec, s: pd.DataFrame) -> dict[str, Any]:
    has_ready = "readiness_level" in s.columns
    cols: dict[str, Any] = {
        "site_id": s["site_id"].astype(str).to_numpy(), "rank": np.zeros(len(s), int),
        "score": s["score"].to_numpy(dtype=float),
        "area_m2": np.round(s.geometry.area.to_numpy(), 1),
        "readiness_level": s["readiness_level"].to_numpy() if has_ready else np.full(len(s), None),
        "lead_time_months": s["lead_time_months"].to_numpy() if has_ready else np.full(len(s), None),
        "offer_now": s["offer_now"].to_numpy(dtype=bool) if "offer_now" in s.columns else np.ones(len(s), bool),
        "owners": np.ones(len(s), int),
    }
    for req in spec.require:
        cols[req.name] = s[req.column].to_numpy()
    return cols


def owner_field(res: Result) -> str | None:
    """The column that says who owns a site: the first field of ``[offer] now``, else an
    ``owner`` / ``ägare`` column."""
    offer = res.analysis.offer
    named = [c.field for c in offer.now if c.field] if offer is not None else []
    cols = [c for c in res.sites.columns if c.lower() in ("owner", "ägare", "agare")]
    return (named + cols + [None])[0]


def _single_matches(res: Result, spec: InquirySpec, s: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    cols = _columns(res, spec, s)
    cols["parts"] = np.full(len(s), "", dtype=object)
    return gpd.GeoDataFrame(cols, geometry=s.geometry.to_numpy(), crs=s.crs)


def _empty_like(df: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return df.iloc[0:0].copy()


def adjacent_pairs(geoms: np.ndarray) -> np.ndarray:
    """Pairs (i < j) of polygons that share boundary (a common edge, not just a corner)."""
    if len(geoms) < 2:
        return np.empty((0, 2), dtype=int)
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[i]), shapely.boundary(geoms[j])))
    overlap = shapely.area(shapely.intersection(geoms[i], geoms[j]))
    ok = (shared > SHARED_EDGE_M) | (overlap > SHARED_EDGE_M)
    return np.column_stack([i[ok], j[ok]])


def _combinations(res: Result, spec: InquirySpec, s: gpd.GeoDataFrame, part_ok: np.ndarray,
                  is_match: np.ndarray) -> gpd.GeoDataFrame:
    idx = np.flatnonzero(part_ok)
    geoms = s.geometry.to_numpy()[idx]
    area = shapely.area(geoms)
    lo = spec.min_area_m2 if spec.min_area_m2 is not None else 0.0
    hi = spec.max_area_m2 if spec.max_area_m2 is not None else np.inf
    alone = is_match[idx]
    pairs = adjacent_pairs(geoms)
    groups: list[tuple[int, ...]] = []
    good_pairs = set()
    for a, b in pairs:
        if not (alone[a] or alone[b]) and lo <= area[a] + area[b] <= hi:
            groups.append((a, b))
            good_pairs.add((a, b))
    nbrs: dict[int, set[int]] = {}
    for a, b in pairs:
        nbrs.setdefault(a, set()).add(b)
        nbrs.setdefault(b, set()).add(a)
    triples = set()
    for mid, ns in nbrs.items():
        ns_sorted = sorted(ns)
        for x in range(len(ns_sorted)):
            for y in range(x + 1, len(ns_sorted)):
                triples.add(tuple(sorted((mid, ns_sorted[x], ns_sorted[y]))))
    for t in sorted(triples):
        if any(alone[k] for k in t):
            continue
        if any((p, q) in good_pairs for p in t for q in t if p < q):
            continue
        if lo <= area[list(t)].sum() <= hi:
            groups.append(t)
    if not groups:
        return _empty_like(_single_matches(res, spec, s.iloc[0:0]))
    return _combined_rows(res, spec, s, idx, groups)


def _combined_rows(res: Result, spec: InquirySpec, s: gpd.GeoDataFrame, idx: np.ndarray,
                   groups: list[tuple[int, ...]]) -> gpd.GeoDataFrame:
    rows, geoms = [], []
    sub = s.iloc[idx]
    base = _columns(res, spec, sub)
    who = owner_field(res)
    for g in groups:
        parts = list(g)
        ids = sorted(base["site_id"][parts])
        w = base["area_m2"][parts]
        row: dict[str, Any] = {"site_id": " + ".join(ids), "rank": 0,
                               "score": float(np.average(base["score"][parts], weights=w)),
                               "area_m2": round(float(w.sum()), 1)}
        row["offer_now"] = bool(np.all(base["offer_now"][parts]))   # offer-now only when every part is
        row["owners"] = len(set(sub[who].astype(str).to_numpy()[parts])) if who else len(parts)
        if "readiness_level" in s.columns:
            row["readiness_level"] = int(np.min(base["readiness_level"][parts]))
            row["lead_time_months"] = float(np.max(base["lead_time_months"][parts]))
        else:
            row["readiness_level"] = row["lead_time_months"] = None
        for req in spec.require:
            vals = base[req.name][parts]
            if req.test.max is not None and req.numeric_only:
                row[req.name] = float(np.max(vals.astype(float)))   # the least favourable part
            elif req.test.min is not None and req.numeric_only:
                row[req.name] = float(np.min(vals.astype(float)))
            else:
                row[req.name] = "; ".join(dict.fromkeys(str(v) for v in vals))
        row["parts"] = "; ".join(ids)
        rows.append(row)
        geoms.append(shapely.union_all(sub.geometry.to_numpy()[parts]))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=s.crs)


def _rank(df: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    """Single sites first, then combinations; within each, the sites that can be offered
    now first, then the best score, then the id (DESIGN 3.11)."""
    if not len(df):
        return gpd.GeoDataFrame(df, geometry=df.geometry if "geometry" in df else None, crs=crs)
    order = np.lexsort((df["site_id"].astype(str).to_numpy(), -np.round(df["score"].to_numpy(dtype=float), 9),
                        ~df["offer_now"].to_numpy(dtype=bool), (df["parts"] != "").to_numpy()))
    out = df.iloc[order].reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=crs)


def _near_misses(s: gpd.GeoDataFrame, bounds: list[Bound], near: np.ndarray, spec: InquirySpec,
                 lang: str) -> gpd.GeoDataFrame:
    idx = np.flatnonzero(near)
    misses: list[list[str]] = [[] for _ in idx]
    said: list[list[str]] = [[] for _ in idx]
    shorts: dict[str, np.ndarray] = {}
    for b in bounds:
        col = f"{b.name}_short"
        gap = b.shortfall()[idx]
        fails = ~b.holds()[idx]
        prev = shorts.get(col, np.full(len(idx), np.nan))
        shorts[col] = np.where(fails, np.round(gap, 3), prev)
        for k in np.flatnonzero(fails):
            misses[k].append(miss_sentence(b, float(b.values[idx[k]]), lang))
            said[k].append(miss_sentence(b, float(b.values[idx[k]]), lang, in_words=True))
    for req in spec.require:   # one column per requirement, empty when met
        shorts.setdefault(f"{req.name}_short", np.full(len(idx), np.nan))
    df = pd.DataFrame({"site_id": s["site_id"].astype(str).to_numpy()[idx],
                       "score": s["score"].to_numpy(dtype=float)[idx],
                       "misses": ["; ".join(m) for m in misses], **shorts,
                       "misses_in_words": ["; ".join(m) for m in said],
                       "area_m2": np.round(s.geometry.area.to_numpy()[idx], 1)})
    order = np.lexsort((df["site_id"].to_numpy(), -np.round(df["score"].to_numpy(), 9)))
    out = gpd.GeoDataFrame(df.iloc[order].reset_index(drop=True),
                           geometry=s.geometry.to_numpy()[idx][order], crs=s.crs)
    return out


