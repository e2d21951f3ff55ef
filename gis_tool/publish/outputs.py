"""Publish a result: sites.gpkg, sites.csv, run.json (and map.html), written safely.

Every file set is written into a new folder and replaces the output folder as a whole
(:mod:`gis_tool.folders`), so a failed or killed run leaves the previous outputs as they
were, never a mix of two runs.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas
import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyogrio
import pyproj
import shapely

from .._version import __version__
from ..engine.pipeline import Result, best_first
from ..engine.site_arrays import inner_points
from ..errors import OutputError
from ..processes import Beside, collector_paused
from ..spec.network import RINGS_LAYER
from ..studies.inquiry import request_summary
from ..text import area, decimal, number, trimmed, words
from . import strict_json
from .folders import staged
from .gpkg import ready_to_write, write_layer, write_sites_gpkg
from .map_data import map_data, map_manifest, map_scale
from .xlsx import column_labels, write_xlsx

OUTPUT_FILES = ("sites.gpkg", "sites.parquet", "sites.csv", "sites.xlsx", "run.json", "map.html", "supply.csv",
                "supply.png", "readiness.png", "priorities.csv")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def input_paths(result: Result) -> set[Path]:
    """Every file the analysis read, resolved."""
    paths = {result.analysis.path.resolve()}
    paths |= {Path(f) for r in result.reports.values() for f in (r.files or [r.path])}
    return paths


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Neutralise text cells that a spreadsheet would run as a formula (prefix ``'``).

    ``df`` is left as it is: the copy shares its columns, and a column with risky text
    is replaced in the copy, not changed in place."""
    out = df.copy(deep=False)
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_string_dtype(col) and col.dtype != object:
            risky = col.str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool)
            if risky.any():
                out[c] = col.where(~risky, "'" + col.astype(str))
        elif col.dtype == object:
            out[c] = col.map(lambda v: "'" + v if isinstance(v, str) and v.startswith(
                FORMULA_START) else v)
    return out


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """UTF-8 with BOM (Excel reads å, ä, ö), formula-like text neutralised; written by
    Arrow's CSV writer (pandas' when a column mixes types)."""

    safe = csv_safe(df)
    # a plain index: Arrow asks each column for attributes, and pandas looks every name up
    # in the index first, hashing a million text ids for it (about 0.3 s at 1M sites)
    safe.index = pd.RangeIndex(len(safe))
    try:
        table = pa.Table.from_pandas(safe, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        safe.to_csv(path, index=False, encoding="utf-8-sig")
        return
    with open(path, "wb") as fh:
        fh.write(b"\xef\xbb\xbf")
        pacsv.write_csv(table, fh)


def sites_table(result: Result) -> pd.DataFrame:
    """The sites without geometry, plus ``x``/``y`` of a point inside each site."""
    s = best_first(result.sites)
    xy = inner_points(s.geometry.to_numpy())
    df = pd.DataFrame({c: s[c] for c in s.columns if c != s.geometry.name}, index=s.index,
                      copy=False)   # drop() would copy every column (1 s at 1M sites)
    df["x"] = np.round(xy[:, 0], 2)
    df["y"] = np.round(xy[:, 1], 2)
    return df


def run_manifest(result: Result, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything needed to reproduce and audit the run."""
    a = result.analysis
    s = result.sites
    return {
        "gis_tool": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "analysis": {"name": a.name, "path": str(a.path.resolve()), "sha256": a.sha256,
                     "content": _jsonable(dict(a.raw))},
        "profile": result.profile,
        "crs": a.crs,
        "weights": result.weights.to_dict(),
        "criteria": {n: {"kind": c.kind, "layer": c.layer, "field": c.field,
                         "value": None if c.value is None else {"fn": c.value.fn,
                                                               **dict(c.value.params)},
                         "missing": c.missing} for n, c in result.criteria.items()},
        "constraints": {n: {k.rstrip("_"): v for k, v in vars(c).items() if v is not None}
                        for n, c in result.constraints.items()},
        "missing_values": {"policy_default": "worst",
                           "explanation": "a site with no raw value gets value 0 ('worst'), is "
                                          "excluded ('exclude'), or stops the run ('error')",
                           "criteria": result.missing},
        "inputs": {k: r.to_dict() for k, r in result.reports.items()},
        "sites": {"candidates": len(s), "eligible": int(s["eligible"].sum()),
                  "excluded": int((~s["eligible"]).sum()), "dropped": result.dropped_sites},
        "versions": {"python": sys.version.split()[0], "platform": platform.platform(),
                     "geopandas": geopandas.__version__, "shapely": shapely.__version__,
                     "pyogrio": pyogrio.__version__, "gdal": pyogrio.__gdal_version_string__,
                     "geos": shapely.geos_version_string, "pyproj": pyproj.__version__,
                     "proj": pyproj.proj_version_str, "pandas": pd.__version__,
                     "numpy": np.__version__},
        "timings_s": result.timings,
        "warnings": result.warnings,
        **({"readiness": readiness_manifest(result)} if result.readiness is not None else {}),
        **({"network": result.network.report} if result.network is not None else {}),
        **(extra or {}),
    }


def readiness_manifest(result: Result) -> dict[str, Any]:
    """The readiness part of run.json: the ladder, counts per level, target and costs."""
    spec = result.analysis.readiness
    assert spec is not None and result.readiness is not None
    sup = result.supply()
    assert sup is not None
    per_level = sup.groupby("level")[["sites", "area_ha", "eligible_sites", "eligible_area_ha"]].sum()
    return {
        "levels": [{"level": i, "label": dict(lv.label), "lead_time_months": lv.lead_time_months,
                    "sites": int(per_level.loc[i, "sites"]),
                    "eligible_area_ha": round(float(per_level.loc[i, "eligible_area_ha"]), 2)}
                   for i, lv in enumerate(spec.levels)],
        "demand_ha_per_year": spec.demand_ha_per_year,
        "group_by": spec.group_by,
        "target": result.supply_target(),
        "months_to_ready": {"schedule": spec.schedule, "explanation": {
            "levels": "the path's steps of one level worked on at once (its slowest step), the levels "
                      "one after another (their months add up)",
            "parallel": "every step of the path worked on at once: the slowest decides",
            "sequence": "every step of the path one after another: their months add up"}[spec.schedule],
            "build_ready_level": spec.target_level if spec.target_level is not None else spec.top},
        "costs": {k: vars(v) for k, v in spec.costs.items()},
        "conditions_without_rate": result.readiness.unrated,
    }


def _jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def write_readiness(result: Result, folder: Path) -> None:
    """supply.csv, priorities.csv, supply.png and readiness.png of a run with readiness."""
    from .charts import readiness_chart, save_chart, supply_chart

    sup, prio = result.supply(), result.priorities()
    assert sup is not None and prio is not None
    write_csv(sup, folder / "supply.csv")
    write_csv(prio, folder / "priorities.csv")
    save_chart(supply_chart(result), folder / "supply.png")
    save_chart(readiness_chart(result), folder / "readiness.png")


BESIDE_OVER = 100_000  # sites; above this sites.csv and the map are written by a forked process
# (:class:`~gis_tool.processes.Beside`) while this one writes the GeoPackage: GDAL holds
# Python's lock while it writes, so a thread could not overlap it, and its writer
# allocates much more than the CSV's, which formats a batch at a time (the GeoPackage
# in the child was 1.5 times slower: each page it wrote was first copied)
BESIDE_NICE = 10      # without a map the second process yields the processor to this one,
# whose GeoPackage takes longer than the CSV (sparse 1M: 17.9-18.2 s to 17.0-17.1 s); with
# a map to draw too it is the longer one and keeps its priority (19.8-20.3 s at nice 10,
# 18.2-18.9 s without)


def _failed(where: str, why: str) -> OutputError:
    return OutputError(f"{where}: writing failed ({why}); check the free disk space "
                       "and that the folder is writable, then run again")


@contextmanager
def writing(where: str) -> Iterator[None]:
    """A failure to write inside the block (``OSError``: a full disk, a folder gone) is
    raised as an :class:`~gis_tool.errors.OutputError` naming ``where``."""
    try:
        yield
    except OSError as exc:
        raise _failed(where, f"{type(exc).__name__}: {exc}") from None


@collector_paused()
def write_outputs(result: Result, out: str | Path, *, overwrite: bool = False,
                  make_map: Callable[[Result, Path], None] | None = None,
                  style: Callable[[Path], None] | None = None, fmt: str = "gpkg") -> dict[str, Path]:
    """Write sites.gpkg, sites.csv, run.json (and with ``make_map``) map.html into ``out``.

    A large run writes sites.csv and the map in a second process while this one writes
    the GeoPackage (``BESIDE_OVER``).

    Parameters
    ----------
    result
        A finished analysis.
    out
        The output folder; created when missing.
    overwrite
        Replace the outputs of an earlier run in a non-empty folder.
    make_map
        Writes the map to the path it is given.
    style
        Adds a QGIS default style to the GeoPackage it is given.
    fmt
        ``"gpkg"`` (sites.gpkg with the input layers and QGIS styles) or ``"parquet"``
        (sites.parquet, GeoParquet: the sites only, for very large runs and other tools).

    Returns
    -------
    dict
        Output name to path.
    """
    out = Path(out)
    with staged(out, overwrite=overwrite, inputs=input_paths(result), names=OUTPUT_FILES) as tmp:
        def tables_and_map() -> None:
            table = sites_table(result)
            write_csv(table, tmp / "sites.csv")
            write_xlsx(table, tmp / "sites.xlsx", headers=column_labels(list(table.columns), result, result.lang),
                       sheet="sites")
            if make_map is not None:
                make_map(result, tmp / "map.html")

        where = f"{out} (sites.csv{', map.html' if make_map else ''})"
        beside = Beside(len(result.sites) > BESIDE_OVER, where, tables_and_map,
                        nice=BESIDE_NICE if make_map is None else 0, failed=lambda why: _failed(where, why))
        try:
            stored: dict[str, str] = {}
            if fmt == "parquet":
                with writing(str(out / "sites.parquet")):
                    best_first(result.sites).to_parquet(tmp / "sites.parquet", index=False)
            else:
                with writing(str(out / "sites.gpkg")):
                    stored = write_sites_gpkg(result, tmp / "sites.gpkg", style)
            if result.readiness is not None:
                write_readiness(result, tmp)
            beside.result()
        finally:
            beside.cancel()
        manifest = run_manifest(result, {
            "outputs": sorted(p.name for p in tmp.iterdir()) + ["run.json"],
            "map": {**map_manifest(map_data(result), stored),
                    "drawn": map_scale(len(result.sites)) if make_map is not None else None}})
        write_json(tmp / "run.json", manifest)
        names = sorted(p.name for p in tmp.iterdir())
    return {n: out / n for n in names}


def write_json(path: Path, obj: Any) -> None:
    path.write_text(strict_json.dumps(obj, indent=2), encoding="utf-8")


INQUIRY_FILES = ("matches.csv", "matches.xlsx", "matches.gpkg", "matches.kml", "near_misses.csv", "map.html",
                 "meeting_pack.pdf", "inquiry.json")


def _kml(matches: gpd.GeoDataFrame, path: Path, lang: str, rings: gpd.GeoDataFrame | None = None) -> None:
    """Site outlines for Google Earth through GDAL's KML driver: name, score, key facts;
    with ``rings``, the travel-time rings in a folder of their own."""
    W = words.KML[lang]
    desc = []
    for _, m in matches.iterrows():
        parts = [f"{W['score']} {decimal(m['score'], lang)}", area(m["area_m2"], lang)]
        if m.get("readiness_level") is not None and not pd.isna(m.get("readiness_level")):
            parts.append(f"{W['level']} {int(m['readiness_level'])}, {number(m['lead_time_months'], lang)} "
                         f"{W['months']}")
        if m["parts"]:
            parts.append(f"{W['parts']}: {m['parts']}")
        desc.append(" · ".join(parts))
    kml = gpd.GeoDataFrame({"Name": [f"{int(r)}. {i}" for r, i in zip(matches["rank"], matches["site_id"])],
                            "Description": desc, "site_id": matches["site_id"].to_numpy(),
                            "rank": matches["rank"].to_numpy(), "score": matches["score"].round(2).to_numpy()},
                           geometry=matches.geometry.to_numpy(), crs=matches.crs).to_crs(4326)
    if rings is None or not len(rings):
        pyogrio.write_dataframe(kml, path, driver="KML")
        return
    # with [network.rings]: a second folder of travel-time rings (GDAL's LIBKML driver writes several)
    pyogrio.write_dataframe(kml, path, driver="LIBKML", layer=W["sites"])
    bands = gpd.GeoDataFrame({"Name": rings["name"].to_numpy(), "Description": [
        f"{W['rings']}: {trimmed(lo, lang)}–{trimmed(hi, lang)} min" for lo, hi in
        zip(rings["from_minutes"], rings["minutes"])]}, geometry=rings.geometry.to_numpy(), crs=rings.crs)
    pyogrio.write_dataframe(bands.to_crs(4326), path, driver="LIBKML", layer=W["rings"], append=True)


def inquiry_manifest(inq: Any, outputs: list[str]) -> dict[str, Any]:
    """inquiry.json: the request and its hash, the analysis and its hash, counts."""
    a, s = inq.result.analysis, inq.spec
    m = inq.matches
    return {
        "gis_tool": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "request": {"name": s.name, "summary": request_summary(s, "en"),
                    "path": str(s.path.resolve()), "sha256": s.sha256,
                    "content": _jsonable(dict(s.raw))},
        "analysis": {"name": a.name, "path": str(a.path.resolve()), "sha256": a.sha256},
        "profile": s.profile,
        "language": inq.lang,
        "counts": {"candidates": len(inq.result.sites),
                   "eligible": int(inq.result.sites["eligible"].sum()),
                   "matches": len(m), "single_matches": int((m["parts"] == "").sum()) if len(m) else 0,
                   "combined": len(inq.combined), "near_misses": len(inq.near_misses),
                   "pages": 1 + (int(m["page"].sum()) if "page" in m.columns else min(s.top, len(m)))
                   + (1 if len(inq.near_misses) else 0)},
        "without_requirement": inq.blockers,
        "notes": inq.notes,
        "relaxations": inq.relaxations,
        "top": [{"rank": int(r), "site_id": i, "score": round(float(sc), 2)}
                for r, i, sc in zip(m["rank"].head(s.top), m["site_id"].head(s.top), m["score"].head(s.top))],
        "outputs": outputs,
        "warnings": inq.result.warnings,
    }


def write_inquiry(inq: Any, out: str | Path, *, overwrite: bool = False,
                  make_map: Callable[[Any, Path], None] | None = None,
                  make_pack: Callable[[Any, Path], None] | None = None) -> dict[str, Path]:
    """Write an inquiry's answer into ``out``: matches.csv/.gpkg/.kml, near_misses.csv,
    inquiry.json, and (with the callbacks) map.html and meeting_pack.pdf; safely, as
    :func:`write_outputs`."""
    out = Path(out)
    inputs = input_paths(inq.result) | {inq.spec.path.resolve()}
    with staged(out, overwrite=overwrite, inputs=inputs, names=INQUIRY_FILES) as tmp:
        m = inq.matches
        table = pd.DataFrame(m.drop(columns="geometry"))
        write_csv(table, tmp / "matches.csv")
        write_xlsx(table, tmp / "matches.xlsx", headers=column_labels(list(table.columns), inq.result, inq.lang),
                   sheet="matches")
        write_csv(pd.DataFrame(inq.near_misses.drop(columns="geometry")), tmp / "near_misses.csv")
        write_layer(ready_to_write(m), tmp / "matches.gpkg", "matches")
        write_layer(ready_to_write(inq.near_misses), tmp / "matches.gpkg", "near_misses")
        _kml(m, tmp / "matches.kml", inq.lang, inq.result.layers.get(RINGS_LAYER))
        if make_map is not None:
            make_map(inq, tmp / "map.html")
        if make_pack is not None:
            make_pack(inq, tmp / "meeting_pack.pdf")
        names = sorted(p.name for p in tmp.iterdir()) + ["inquiry.json"]
        write_json(tmp / "inquiry.json", inquiry_manifest(inq, names))
    return {n: out / n for n in names}


def write_files(out: str | Path, writers: dict[str, Callable[[Path], Any]], *, overwrite: bool = False,
                inputs: set[Path] | None = None) -> dict[str, Path]:
    """Write files safely into ``out``: each writer gets a temporary path; all files are
    moved into place only when every writer succeeded (as :func:`write_outputs`)."""
    out = Path(out)
    with staged(out, overwrite=overwrite, inputs=inputs or set(), names=tuple(writers)) as tmp:
        for name, write in writers.items():
            write(tmp / name)
    return {n: out / n for n in writers}


def write_table(df: pd.DataFrame, path: Path) -> None:
    """A CSV as the other outputs: UTF-8 with BOM, formula-like text neutralised."""
    write_csv(df, path)
