"""The run: score an analysis and write sites.gpkg (or .parquet), sites.csv, run.json,
map.html and, with a readiness ladder, supply.csv, priorities.csv and their charts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..engine.pipeline import Result, run_analysis
from ..errors import InputError
from ..publish.outputs import run_manifest, write_outputs
from ..publish.postgis_out import split_target, write_postgis
from ..publish.qgis_style import add_qgis_style, site_styles
from ..spec.analysis import Analysis
from ..spec.urls import is_postgres

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunOutput:
    """A finished run and the files it wrote (name to path)."""

    result: Result
    files: dict[str, Path]


def publish_run(analysis: str | Path | Analysis, out: str | Path, *, profile: str | None = None,
                overwrite: bool = False, lang: str = "sv", top: int = 10, live_weights: bool | None = None,
                make_map: bool = True, scheduler: str | None = None, fmt: str = "gpkg",
                files: str | Path | None = None, refresh: bool = False) -> RunOutput:
    """Run an analysis and write its whole file set into ``out`` (``gis-tool run``).

    Parameters
    ----------
    analysis
        The analysis file (or a loaded :class:`~gis_tool.spec.analysis.Analysis`).
    out
        The output folder; replaced as a whole when the run succeeds (user files kept). Or a
        PostGIS database, ``postgresql://user@host:port/db?schema=s``: tables ``s.sites`` and
        ``s.runs`` and the QGIS styles, written in one transaction (DESIGN 3.14).
    profile
        An investor profile of the analysis.
    overwrite
        Replace the outputs in a non-empty folder.
    lang
        ``"sv"`` or ``"en"``: labels of the map, the charts and the QGIS style.
    top
        Label this many of the best sites with their rank.
    live_weights
        Weight sliders on the map; by default as ``[analysis] live_weights``.
    make_map
        Write map.html (``--no-map`` turns it off for very large runs).
    scheduler
        ``"local"`` or ``"tcp://HOST:PORT"``: compute the criteria on Dask.
    fmt
        ``"gpkg"`` or ``"parquet"``.
    files
        With a PostGIS ``out``: also write the usual files into this folder.
    refresh
        Fetch layers from web services again instead of using the local cache.
    """
    result = run_analysis(analysis, profile=profile, lang=lang, scheduler=scheduler, refresh=refresh)
    live = result.analysis.live_weights if live_weights is None else live_weights

    def draw(res: Result, path: Path) -> None:
        from ..publish.maps import save_map, site_map  # folium: loaded only to draw

        log.info("drawing map ...")
        save_map(site_map(res, lang=lang, top=top, live_weights=live), path)

    spec = result.analysis.readiness
    levels = [lv.label_in(lang) for lv in spec.levels] if spec is not None else None

    def style(path: Path) -> None:
        add_qgis_style(path, top=top, readiness_levels=levels)

    if is_postgres(out):
        written: dict[str, Path] = {}
        folder = Path(files) if files is not None else None
        if folder is not None:   # first the files: a refused folder stops before the database
            log.info("writing outputs to %s ...", folder)
            written = write_outputs(result, folder, overwrite=overwrite, make_map=draw if make_map else None,
                                    style=style, fmt=fmt)
        log.info("writing the sites to %s ...", split_target(str(out))[0])
        table = write_postgis(result.sites, str(out), run_manifest(result, {"outputs": {"postgis": str(out)}}),
                              site_styles(top, levels), overwrite=overwrite)
        return RunOutput(result, {**written, table: Path(table)})
    if files is not None:
        raise InputError("--files: writes the file outputs beside a PostGIS --out; with a folder --out "
                         "they are written there already")
    log.info("writing outputs to %s ...", out)
    written = write_outputs(result, out, overwrite=overwrite, make_map=draw if make_map else None,
                            style=style, fmt=fmt)
    return RunOutput(result, written)


def redraw_map(out_dir: str | Path, *, out_file: str | Path | None = None, lang: str = "sv", top: int = 10,
               title: str | None = None) -> Path:
    """Draw the map of an earlier run again from its outputs, without recomputing
    (``gis-tool map``)."""
    from ..publish.maps import load_result, save_map, site_map

    result = load_result(Path(out_dir))
    return save_map(site_map(result, lang=lang, top=top, title=title), Path(out_file or Path(out_dir) / "map.html"))
