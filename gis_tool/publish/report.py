"""The meeting pack: an A4 PDF for an investor meeting, in Swedish or English.

Page 1 is a cover (the request as a table, the municipality, the date, an overview map of
the matches with their numbers); then one page per match, best first, up to the request's
``top``: a static map of the site and its surroundings with scale bar and north arrow, key
facts, the score with its breakdown, and constraints nearby. Maps and charts are drawn
with matplotlib from the analysis layers, so the pack needs no internet; text is set in
DejaVu Sans (shipped with matplotlib) and shaped, with fallback fonts for other scripts
(:mod:`gis_tool.pdf_text`).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from fpdf.fonts import FontFace

from ..engine.measures import unit_of
from ..studies.inquiry import InquiryResult
from ..text import area, number, with_unit, words
from .labels import constraint_label, field_label, field_value, layer_label
from .map_data import credits, in_language, map_data
from .pdf_text import ShapedPDF
from .static_maps import overview_figure, png_bytes, points_chart, site_figure

NEARBY_M = 1000.0
TEXT = words.PACK


_BOLD = FontFace(emphasis="BOLD")


class _Pack(ShapedPDF):
    def __init__(self, lang: str, title: str):
        super().__init__(format="A4", unit="mm")
        self.T = TEXT[lang]
        self.pack_title = title
        self.set_auto_page_break(True, margin=15)
        self.set_margins(15, 15, 15)
        self.set_title(title)
        self.set_creator("gis-tool")

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(110, 110, 110)
        self.cell(0, 5, f"{self.pack_title} · {self.T['made_by']}", align="L")
        self.set_x(-60)
        self.cell(45, 5, self.T["page"].format(p=self.page_no(), n="{nb}"), align="R")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str, size: float = 16) -> None:
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, size * 0.5, text)
        self.ln(1)

    def kv_table(self, rows: list[tuple[str, str]], width: float = 180, key_w: float = 55,
                 size: float = 9) -> None:
        """Two columns, key in bold; long texts wrap within their column."""
        self.set_font("DejaVu", "", size)
        with self.table(col_widths=(key_w, width - key_w), width=width, align="LEFT",
                        borders_layout="NONE", first_row_as_headings=False, text_align="LEFT",
                        line_height=size * 0.47, padding=(0.4, 1, 0.4, 0)) as table:
            for k, v in rows:
                row = table.row()
                row.cell(k, style=_BOLD)
                row.cell(v)


def _label(spec: Any, lang: str, default: str) -> str:
    return in_language(spec.label, lang, default)


def _request_rows(inq: InquiryResult, lang: str) -> list[tuple[str, str]]:
    s, T = inq.spec, TEXT[lang]
    rows = [(T[k], getattr(s, k)) for k in ("company", "contact", "description") if getattr(s, k)]
    if s.profile:
        prof = inq.result.analysis.profiles[s.profile]
        rows.append((T["profile"], in_language(prof.label, lang, s.profile)))
    if s.min_area_m2 is not None or s.max_area_m2 is not None:
        lo = f"{number(s.min_area_m2 / 1e4, lang)} ha" if s.min_area_m2 is not None else "–"
        hi = f"{number(s.max_area_m2 / 1e4, lang)} ha" if s.max_area_m2 is not None else "–"
        rows.append((T["area"], f"{lo} – {hi}"))
    if s.min_readiness is not None:
        spec = inq.result.analysis.readiness
        lab = spec.levels[s.min_readiness].label_in(lang) if spec else ""
        rows.append((T["min_readiness"], f"{s.min_readiness} ({lab})"))
    if s.max_lead_time_months is not None:
        rows.append((T["max_lead_time"], f"{number(s.max_lead_time_months, lang)} {T['months']}"))
    a = inq.result.analysis
    for req in s.require:
        crit = inq.result.criteria.get(req.criterion or "")
        unit = req.unit or (unit_of(crit) if crit is not None else "")
        if crit is not None:
            name = _label(crit, lang, req.name)
        elif req.layer is not None:   # a bound on a layer: said with the layer's label
            name = T[f"layer_{req.measure}"].format(layer=layer_label(a, req.layer, lang))
        else:
            name = field_label(a, req.column, lang)
        parts = []
        if req.test.min is not None:
            parts.append(f"{T['at_least']} {with_unit(req.test.min, unit, lang)}")
        if req.test.max is not None:
            parts.append(f"{T['at_most']} {with_unit(req.test.max, unit, lang)}")
        def said(v: Any, col: str = req.column) -> str:
            return field_value(a, col, v, lang)

        for k, v in (("=", req.test.equals), ("≠", req.test.not_equals)):
            if v is not None:
                parts.append(f"{k} {said(v)}")
        if req.test.in_ is not None:
            parts.append(", ".join(map(said, req.test.in_)))
        if req.test.not_in is not None:
            parts.append("≠ " + ", ".join(map(said, req.test.not_in)))
        rows.append((name, "; ".join(parts)))
    rows.append((T["near_miss"], f"{number(s.near_miss * 100, lang)} %"))
    return [(k, str(v)) for k, v in rows]


def _site_rows(inq: InquiryResult, ids: list[str]) -> pd.DataFrame:
    return inq.result.sites.set_index("site_id").loc[ids]


def _facts(inq: InquiryResult, match: pd.Series, parts: pd.DataFrame, geom: shapely.Geometry,
           lang: str, data: Any) -> list[tuple[str, str]]:
    T, res = TEXT[lang], inq.result
    rows = [(T["score"], f"{number(float(match['score']), lang)} / 100 · {T['rank']} {int(match['rank'])}"),
            (T["area"], f"{number(float(match['area_m2']) / 1e4, lang)} ha")]
    offer = data.offer
    if offer is not None:   # what the municipality can offer now, first
        now = bool(match.get("offer_now", True))
        rows.insert(0, (T["offer"], in_language(offer["yes" if now else "no"], lang, "")))
    if len(parts) > 1:
        rows.append((T["parts"], "; ".join(parts.index)))
    # a column a criterion reads as it is (kind "attribute") is shown once, with the criteria
    scored = {c.field for c in res.criteria.values() if c.kind == "attribute" and c.field}
    for col in data.site_attributes:
        if col in scored:
            continue
        vals = dict.fromkeys(field_value(res.analysis, col, v, lang) for v in parts[col])
        rows.append((field_label(res.analysis, col, lang), " / ".join(vals)))
    for c in res.criteria.values():  # plan and use: classes of overlap layers on the site
        if c.kind == "overlap" and c.field and c.layer:
            lyr = res.layers[c.layer]
            hit = lyr[shapely.intersects(lyr.geometry.to_numpy(), geom)]
            if len(hit):
                codes = ", ".join(sorted(hit[c.field].dropna().astype(str).unique()))
                rows.append((T["plan"], f"{codes} ({layer_label(res.analysis, c.layer, lang)})"))
    if "readiness_level" in parts.columns:
        lv = int(parts["readiness_level"].min())
        lab = res.analysis.readiness.levels[lv].label_in(lang) if res.analysis.readiness else ""
        rows.append((T["readiness"], f"{lv} · {lab}"))
        rows.append((T["lead_time"], f"{number(float(parts['lead_time_months'].max()), lang)} {T['months']}"))
        cost = parts["cost_to_ready_sek"].astype(float)
        if cost.notna().all() and cost.sum() > 0:
            rows.append((T["cost"], f"{number(cost.sum() / 1e6, lang)} MSEK"))
        steps = [str(x) for x in parts.get("steps_to_ready", pd.Series(dtype=object)) if x]
        if steps:   # the path to build-ready (per part of a combination)
            rows.append((T["steps"], " | ".join(dict.fromkeys(steps))))
    for name, c in res.criteria.items():
        vals = parts[f"{name}_raw"]
        unit = unit_of(c)
        text = " / ".join(dict.fromkeys(with_unit(v, unit, lang) for v in vals))
        rows.append((_label(c, lang, name), text))
    return rows


def _near_miss_page(pdf: _Pack, inq: InquiryResult, lang: str, data: Any, most: int = 25) -> None:
    """One page of near misses: each site, its score and size, whether it can be offered
    now, and what it would take."""
    T = TEXT[lang]
    offer = data.offer
    pdf.add_page()
    pdf.heading(T["near_misses"], 14)
    s = inq.result.sites.set_index("site_id")
    rows = []
    for _, m in inq.near_misses.head(most).iterrows():
        sid = str(m["site_id"])
        head = f"{sid} · {T['score']} {number(float(m['score']), lang)} · {area(float(s.loc[sid, 'area_m2']), lang)}"
        if offer is not None and "offer_now" in s.columns:
            head += " · " + in_language(offer["yes" if bool(s.loc[sid, "offer_now"]) else "no"], lang, "")
        rows.append((head, str(m.get("misses_in_words") or m["misses"])))
    pdf.kv_table(rows, key_w=95, size=8)


def _nearby(inq: InquiryResult, geom: shapely.Geometry, lang: str) -> list[str]:
    T, res = TEXT[lang], inq.result
    out = []
    for name, c in res.constraints.items():
        if not c.layer or c.layer not in res.layers:
            continue
        if c.max_minutes is not None and c.max_share is None and c.min_distance_m is None:
            continue   # a reach by road (an access requirement), not land to keep away from
        g = res.layers[c.layer].geometry.to_numpy()
        near = g[shapely.dwithin(g, geom, NEARBY_M)]
        if not len(near):
            continue
        d = float(shapely.distance(geom, shapely.union_all(near)))
        what = constraint_label(res.analysis, name, lang)
        if what == name:   # no label: say which layer it is about, by its label
            what = f"{name} ({layer_label(res.analysis, c.layer, lang)})"
        if d > 0:
            out.append(f"{what}: {number(d, lang)} m")
        else:
            share = shapely.area(shapely.intersection(geom, shapely.union_all(near))) / geom.area
            out.append(f"{what}: " + T["overlaps"].format(p=number(share * 100, lang)))
    return out or [T["no_constraints"]]


def _points(inq: InquiryResult, parts: pd.DataFrame, lang: str) -> tuple[list[str], list[float], list[float]]:
    res = inq.result
    w = parts.geometry.area.to_numpy()
    labels, pts, mx = [], [], []
    for name, c in res.criteria.items():
        weight = res.weights.values.get(name, 0.0)
        if weight <= 0:
            continue
        labels.append(_label(c, lang, name))
        pts.append(float(np.average(parts[f"{name}_points"].astype(float).fillna(0), weights=w)))
        mx.append(weight * 100)
    return labels, pts, mx


def meeting_pack(inq: InquiryResult, path: str | Path, *, lang: str | None = None) -> Path:
    """Write the meeting pack PDF of an inquiry to ``path`` (through a temporary file).

    Returns
    -------
    Path
        The written file: a cover, a page per match that gets one (``page`` in
        ``inq.matches``: up to ``top``, a parcel in at most one combination), and a page of
        near misses with what each would take, when there are any.
    """
    lang = lang or inq.lang
    T = TEXT[lang]
    res, spec = inq.result, inq.spec
    data = map_data(res)
    pdf = _Pack(lang, spec.name)
    pdf.prepare([spec.name, spec.company or "", spec.contact or "", spec.description or "",
                 *inq.matches["site_id"].astype(str).head(50), *inq.near_misses["site_id"].astype(str).head(50)])
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font("DejaVu", "", 9)
    pdf.set_text_color(90, 90, 90)
    pdf.cell(0, 5, T["pack"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.heading(spec.name, 18)
    shown = inq.matches[inq.matches["page"]] if "page" in inq.matches.columns else inq.matches.head(spec.top)
    n_comb = int((inq.matches["parts"] != "").sum()) if len(inq.matches) else 0
    a = res.analysis
    who = (T["municipality"], a.municipality) if a.municipality else (T["analysis"], a.name)
    pdf.kv_table([who, (T["date"], date.today().isoformat()),
                  (T["matches"], f"{len(inq.matches)} ({T['combined']} {n_comb})"),
                  (T["near_misses"], str(len(inq.near_misses)))])
    pdf.ln(2)
    pdf.heading(T["request"], 12)
    pdf.kv_table(_request_rows(inq, lang))
    pdf.set_font("DejaVu", "", 9)
    for note in inq.notes:   # why the request's area cannot fit these sites
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(0, 5, note[:1].upper() + note[1:] + ".", new_x="LMARGIN", new_y="NEXT")
    if not len(inq.matches):
        pdf.ln(2)
        pdf.set_x(pdf.l_margin)
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(0, 5, T["none"], new_x="LMARGIN", new_y="NEXT")
        if inq.relaxations:   # the smallest changes that would give a match
            pdf.set_font("DejaVu", "B", 9)
            pdf.multi_cell(0, 5, words.RELAX[lang]["title"], new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVu", "", 9)
            for r in inq.relaxations:
                pdf.multi_cell(0, 5, "• " + r["text"][:1].upper() + r["text"][1:], new_x="LMARGIN", new_y="NEXT")
    study = res.analysis.study_area
    marks = list(zip(shown["rank"].astype(int), shown.geometry))
    fig = overview_figure(data, marks, res.layers.get(study) if study else None, size=(6.8, 4.4), lang=lang)
    pdf.ln(2)
    pdf.set_x(pdf.l_margin)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 6, T["overview"], new_x="LMARGIN", new_y="NEXT")
    pdf.image(png_bytes(fig), w=180)
    pdf.set_font("DejaVu", "", 7)
    pdf.set_text_color(110, 110, 110)
    pdf.multi_cell(0, 3.5, " · ".join([*credits(a)[lang], "gis-tool"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    for _, m in shown.iterrows():
        _match_page(pdf, inq, m, data, lang)
    if len(inq.near_misses):
        _near_miss_page(pdf, inq, lang, data)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    pdf.output(str(tmp))
    os.replace(tmp, path)
    if pdf.missing:  # also in inquiry.json
        res.warnings.append(f"{path.name}: no installed font can draw {''.join(sorted(pdf.missing))!r}; "
                            "install a font that has them (Debian: fonts-noto-cjk, fonts-symbola)")
    return path


def _match_page(pdf: _Pack, inq: InquiryResult, m: pd.Series, data: Any, lang: str) -> None:
    T = TEXT[lang]
    ids = m["parts"].split("; ") if m["parts"] else [m["site_id"]]
    parts = _site_rows(inq, ids)
    geom = m.geometry
    pdf.add_page()
    pdf.set_auto_page_break(False)  # one page per match: the layout below is sized to fit
    pdf.heading(f"{int(m['rank'])}. {m['site_id']}", 13 if len(m["site_id"]) < 60 else 10)
    fig = site_figure(data, geom, parts=list(parts.geometry) if len(ids) > 1 else None, size=(6.8, 3.6),
                      lang=lang)
    pdf.image(png_bytes(fig), w=180, h=180 * 3.6 / 6.8)
    top = pdf.get_y() + 3
    pdf.set_xy(15, top)
    pdf.heading(T["facts"], 10)
    pdf.kv_table(_facts(inq, m, parts, geom, lang, data)[:30], width=92, key_w=40, size=7.5)
    labels, pts, mx = _points(inq, parts, lang)
    pdf.set_xy(112, top)
    if labels:
        size = (3.3, 0.45 + 0.2 * len(labels))
        chart = points_chart(labels, pts, mx, title=T["breakdown"], size=size, lang=lang)
        pdf.image(png_bytes(chart), x=110, y=top, w=85)
        pdf.set_xy(112, top + 85 * size[1] / size[0] + 3)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(83, 6, T["constraints"], new_x="LEFT", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    for line in _nearby(inq, geom, lang)[:12]:
        pdf.multi_cell(83, 4.2, "• " + line, new_x="LEFT", new_y="NEXT")
    pdf.set_auto_page_break(True, margin=15)
