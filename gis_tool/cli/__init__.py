"""The ``gis-tool`` command line: a thin wrapper around the Python API.

Exit status: 0 success; 2 bad input (usage, analysis file, data), with a message on
stderr starting with ``error:``; 1 an unexpected internal failure.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from .. import progress
from .._version import __version__
from ..engine.pipeline import check_inputs, run_analysis
from ..errors import GisToolError, InputError
from ..inputs.catalog import describe_file, format_description
from ..inputs.demo import get_path
from ..products.compare import write_compare
from ..products.init import init_municipality
from ..products.inquiry import answer_inquiry
from ..products.programme import write_programme
from ..products.run import publish_run, redraw_map
from ..products.sensitivity import write_sensitivity
from ..products.serve import serve
from ..publish import strict_json
from ..publish.supply import supply_report
from ..spec.urls import is_postgres
from .logs import setup_logging

log = logging.getLogger("gis_tool")
EPILOG = """\b
Exit status: 0 success; 2 bad input (usage, analysis file, data): the message on stderr
starts with "error:" and says what to fix; 1 an unexpected internal failure (run again
with -vv for the traceback). Docs: README.md and docs/analysis-file.md."""
class _FinitePositive(click.ParamType):
    """A finite number above 0 (click's FloatRange lets nan and inf through)."""

    name = "number"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            v = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(v) or v <= 0:
            self.fail(f"{value!r} must be a finite number above 0", param, ctx)
        return v


FINITE_POSITIVE = _FinitePositive()
LANG_HELP = "Language of the map's labels, legend, popups and number format."
TOP_HELP = "Label this many of the best sites with their rank."


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG)
@click.version_option(__version__, "--version", prog_name="gis-tool")
@click.option("-v", "--verbose", count=True,
              help="Show all progress, also for short runs and when stderr is not a terminal; "
                   "-vv for debug detail.")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors; no progress.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """gis-tool: land readiness (markberedskap) site analysis.

    Scores candidate sites for business establishment from zoning, infrastructure and
    available land, with a transparent multi-criteria model, and publishes a GeoPackage
    for QGIS, a CSV for spreadsheets, an interactive map and a run manifest.

    \b
    Start with the demo:     gis-tool demo --out output/demo
    Your own municipality:   gis-tool init lerum --kommun Lerum
    Check your inputs:       gis-tool layers check analysis.toml
    Run an analysis:         gis-tool run analysis.toml --out results/
    Answer an investor:      gis-tool inquiry request.toml --analysis analysis.toml --out pack/
    Are the ranks robust?    gis-tool sensitivity analysis.toml --out sens/
    Profiles side by side:   gis-tool compare analysis.toml --out cmp/
    A land programme:        gis-tool programme analysis.toml --out prog/ --from 2027 --until 2035
    Look inside a file:      gis-tool layers inspect data.gpkg
    """
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose
    setup_logging(verbose, quiet)


def _publish(analysis: Path, out: Path | str, profile: str | None, overwrite: bool, lang: str,
             top: int, live: bool = False, no_map: bool = False, scheduler: str | None = None,
             fmt: str = "gpkg", files: Path | None = None, refresh: bool = False) -> None:
    done = publish_run(analysis, out, profile=profile, overwrite=overwrite, lang=lang, top=top,
                       live_weights=True if live else None, make_map=not no_map, scheduler=scheduler, fmt=fmt,
                       files=files, refresh=refresh)
    if _held is not None:
        _held.append(done)   # freed by the operating system at exit (see entry)
    result, s = done.result, done.result.sites
    click.echo(f"{len(s)} sites scored, {int(s['eligible'].sum())} eligible; "
               f"wrote {', '.join(sorted(done.files))} to {out}")
    for _, row in result.top(5).iterrows():
        click.echo(f"  {int(row['rank']):>3}. {row['site_id']}  score {row['score']:.1f}")
    for line in supply_report(result):
        click.echo(line)


@cli.command()
@click.argument("analysis", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True,
              help="Output folder for sites.gpkg, sites.csv, map.html and run.json; or a PostGIS "
                   "database, postgresql://user@host:5432/db?schema=gis_tool (tables sites and runs, "
                   "styled for QGIS; the password from PGPASSWORD or ~/.pgpass).")
@click.option("--files", "files", type=click.Path(path_type=Path),
              help="With a PostGIS --out: also write the usual files into this folder.")
@click.option("--refresh", is_flag=True,
              help="Fetch layers from web services (OGC API Features, WFS) again instead of using the "
                   "local cache.")
@click.option("--profile", help="Investor profile ([profiles.NAME]) whose weights apply.")
@click.option("--overwrite", is_flag=True, help="Replace outputs in a non-empty folder.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help=LANG_HELP)
@click.option("--top", type=click.IntRange(0, 100), default=10, show_default=True, help=TOP_HELP)
@click.option("--live-weights", "live", is_flag=True,
              help="Add weight sliders and a profile picker to map.html that re-score the sites in "
                   "the page (also: live_weights = true in [analysis]).")
@click.option("--no-map", "no_map", is_flag=True,
              help="Skip map.html (for very large runs; the map of more than 20 000 sites shows the "
                   "best 5 000 and a hexagon overview of the rest).")
@click.option("--scheduler", help="Compute the criteria on Dask: 'local' (a LocalCluster here) or "
                                  "tcp://HOST:PORT (a running scheduler). Needs gis-tool[dask].")
@click.option("--format", "fmt", type=click.Choice(["gpkg", "parquet"]), default="gpkg", show_default=True,
              help="sites.gpkg (QGIS-ready, styled, with the input layers) or sites.parquet (GeoParquet).")
def run(analysis: Path, out: str, files: Path | None, refresh: bool, profile: str | None, overwrite: bool,
        lang: str, top: int, live: bool, no_map: bool, scheduler: str | None, fmt: str) -> None:
    """Run the analysis file ANALYSIS and write its outputs to --out.

    Writes OUT/sites.gpkg (layer 'sites', QGIS-ready, styled), OUT/sites.csv (UTF-8
    with BOM, for Excel), OUT/map.html (a self-contained interactive map) and
    OUT/run.json (inputs with checksums, weights, warnings, timings). A non-empty OUT
    is refused unless --overwrite is given; on failure earlier outputs stay as they were.
    """
    _publish(analysis, out if is_postgres(out) else Path(out), profile, overwrite, lang, top, live, no_map,
             scheduler, fmt, files, refresh)


@cli.command()
@click.option("--out", "out", default=Path("output/demo"), show_default=True,
              type=click.Path(path_type=Path), help="Output folder.")
@click.option("--profile", help="An investor profile of the demo (logistics, "
                                "manufacturing, offices, data_centre).")
@click.option("--overwrite", is_flag=True, help="Replace outputs in a non-empty folder.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help=LANG_HELP)
def demo(out: Path, profile: str | None, overwrite: bool, lang: str) -> None:
    """Run the bundled Alingsås demo analysis (layers/alingsas_demo.toml)."""
    _publish(get_path("alingsas"), out, profile, overwrite, lang, 10)


@cli.command()
@click.argument("analysis", type=click.Path(path_type=Path))
@click.argument("site_id")
@click.option("--profile", help="Investor profile whose weights apply.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of readiness labels.")
def explain(analysis: Path, site_id: str, profile: str | None, as_json: bool, lang: str) -> None:
    """Explain one site's score: points per criterion, raw values, exclusions, how many
    points it lacks to reach the next rank and the top 10, and (with [readiness]) its
    readiness level and what the next level up needs."""
    result = run_analysis(analysis, profile=profile, lang=lang)
    try:
        e = result.explain(site_id)
    except KeyError as exc:
        raise InputError(f"{analysis}: {exc.args[0]}") from None
    click.echo(strict_json.dumps(asdict(e), indent=2) if as_json else str(e))


@cli.command("inquiry")
@click.argument("request", type=click.Path(path_type=Path))
@click.option("--analysis", "analysis", required=True, type=click.Path(path_type=Path),
              help="The analysis file to answer the request from.")
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output folder for matches, near misses, map and meeting pack.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of the map, the meeting pack and the near-miss sentences.")
@click.option("--overwrite", is_flag=True, help="Replace outputs in a non-empty folder.")
def inquiry_cmd(request: Path, analysis: Path, out: Path, lang: str, overwrite: bool) -> None:
    """Answer an investor's REQUEST (a TOML file) from an analysis.

    \b
    Writes to OUT:
      matches.csv, matches.gpkg   matching sites and combined sites, best first
      matches.kml                 the same for Google Earth
      near_misses.csv             sites that nearly match, and what it would take
      map.html                    self-contained map zoomed to the matches
      meeting_pack.pdf            A4 cover + one fact page per match (up to 'top')
      inquiry.json                the request and analysis with hashes, counts
    See layers/inquiry_logistics.toml for an annotated request.
    """
    done = answer_inquiry(request, analysis, out, lang=lang, overwrite=overwrite)
    inq, written = done.inquiry, done.files
    click.echo(inq.summary())
    click.echo(f"wrote {', '.join(sorted(written))} to {out}")


@cli.command("sensitivity")
@click.argument("analysis", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output folder for stability.csv, sweeps.csv, stability.png, sensitivity.json.")
@click.option("--runs", type=click.IntRange(1, 1_000_000), default=1000, show_default=True,
              help="Number of weight draws.")
@click.option("--top", type=click.IntRange(1, 10_000), default=10, show_default=True,
              help="N of 'top N' (p_top_n, the sweeps, the chart).")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True,
              help="Seed (0 or more): the same seed gives the same files.")
@click.option("--profile", help="Investor profile whose weights and constraints apply.")
@click.option("--concentration", type=FINITE_POSITIVE, default=50.0,
              show_default=True, help="Dirichlet concentration: higher keeps draws closer to the weights.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of the chart.")
@click.option("--overwrite", is_flag=True, help="Replace outputs in a non-empty folder.")
def sensitivity_cmd(analysis: Path, out: Path, runs: int, top: int, seed: int, profile: str | None,
                    concentration: float, lang: str, overwrite: bool) -> None:
    """Rank stability of ANALYSIS's sites under weight uncertainty.

    Draws --runs weight sets around the chosen weights (Dirichlet, alpha = concentration x
    weight; --seed makes it reproducible), re-scores the eligible sites without measuring
    again, and writes OUT/stability.csv (site_id, rank, median_rank, rank_p05, rank_p95,
    p_top_n, robust), OUT/sweeps.csv (each weight -50 % .. +50 %, ranks of the top N),
    OUT/stability.png and OUT/sensitivity.json (with the mean Spearman correlation).
    """
    sens = write_sensitivity(analysis, out, runs=runs, top=top, seed=seed, profile=profile,
                             concentration=concentration, lang=lang, overwrite=overwrite).sensitivity
    s = sens.stability
    click.echo(f"{runs} weight draws, {len(s)} eligible sites: mean Spearman correlation with the "
               f"chosen ranking {sens.mean_spearman:.3f}; {int(s['robust'].head(top).sum())} of the "
               f"top {top} stay in the top {top} in at least 90 % of draws")
    for _, r in s.head(min(top, 10)).iterrows():
        click.echo(f"  {int(r['rank']):>3}. {r['site_id']}  median {r['median_rank']:g}, "
                   f"5-95 % {r['rank_p05']:g}-{r['rank_p95']:g}, top {top} in {r['p_top_n']:.0%}")
    click.echo(f"wrote stability.csv, sweeps.csv, stability.png, sensitivity.json to {out}")


@cli.command("compare")
@click.argument("analysis", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output folder for compare.csv, compare.png and map.html.")
@click.option("--profiles", help="Comma-separated profiles to compare (default: all).")
@click.option("--top", type=click.IntRange(1, 10_000), default=10, show_default=True,
              help="N of 'top N' for top_in_all, the chart and the map.")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help=LANG_HELP)
@click.option("--overwrite", is_flag=True, help="Replace outputs in a non-empty folder.")
def compare_cmd(analysis: Path, out: Path, profiles: str | None, top: int, lang: str,
                overwrite: bool) -> None:
    """Rank ANALYSIS's sites under the base weights and each profile, side by side.

    Writes OUT/compare.csv (site_id, rank_base, rank_<profile> per profile, top_in_all),
    OUT/compare.png (a bump chart of the sites in any top N) and OUT/map.html (one
    switchable layer per profile). Profiles re-score one run: nothing is measured twice.
    """
    names = [p.strip() for p in profiles.split(",") if p.strip()] if profiles else None
    cmp = write_compare(analysis, out, profiles=names, top=top, lang=lang, overwrite=overwrite).table
    cols = [c for c in cmp.columns if c.startswith("rank_")]
    click.echo(f"{len(cmp)} sites ranked under {len(cols)} weight sets ({', '.join(c[5:] for c in cols)}); "
               f"{int(cmp['top_in_all'].sum())} in the top {top} of all")
    click.echo(f"wrote compare.csv, compare.png, map.html to {out}")


@cli.command("programme")
@click.argument("analysis", type=click.Path(path_type=Path))
@click.option("--out", "out", required=True, type=click.Path(path_type=Path),
              help="Output folder for programme.csv, stock.csv, programme.png and run.json.")
@click.option("--from", "start", type=click.IntRange(1900, 2200), required=True, help="The first year.")
@click.option("--until", "until", type=click.IntRange(1900, 2200), required=True, help="The last year.")
@click.option("--budget-sek-per-year", "budget", type=FINITE_POSITIVE, default=None,
              help="The most to spend starting sites in one year (default: no limit).")
@click.option("--demand-ha-per-year", "demand", type=FINITE_POSITIVE, default=None,
              help="Hectares taken up each year (default: [readiness] demand_ha_per_year).")
@click.option("--target-ha", "target", type=click.FloatRange(min=0), default=None,
              help="Build-ready hectares to keep (default: [readiness] target).")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of the chart and the steps.")
@click.option("--overwrite", is_flag=True, help="Replace outputs in a non-empty folder.")
def programme_cmd(analysis: Path, out: Path, start: int, until: int, budget: float | None, demand: float | None,
                  target: float | None, lang: str, overwrite: bool) -> None:
    """Which sites to start readying, and when, so that the build-ready land never runs out.

    Chooses, by an exact mixed-integer programme, the sites to start in each year from
    --from to --until so that the build-ready stock stays at or above the target at the
    end of every year, at the least cost within the yearly budget. Writes
    OUT/programme.csv, OUT/stock.csv, OUT/programme.png and OUT/run.json. When no programme
    meets the target, the one with the least shortfall is written, with the budget that
    would meet it.
    """
    done = write_programme(analysis, out, start=start, until=until, budget_sek_per_year=budget,
                           demand_ha_per_year=demand, target_ha=target, lang=lang, overwrite=overwrite)
    p = done.programme
    click.echo(f"{len(p.starts)} sites started {start}-{until}, {p.total_cost_sek / 1e6:.1f} MSEK in all; "
               + ("the target is met every year" if p.feasible else
                  f"the target is NOT met: {p.stock['shortfall_ha'].sum():.1f} ha-years short; "
                  + (f"a budget of {p.budget_needed_sek / 1e6:.1f} MSEK a year would meet it"
                     if p.budget_needed_sek is not None else "no budget can: too little land can be readied in time")))
    for _, r in p.stock.iterrows():
        click.echo(f"  {int(r['year'])}: {r['stock_ha']:7.1f} ha build-ready (without: {r['stock_without_ha']:7.1f}), "
                   f"spend {r['spend_sek'] / 1e6:6.1f} MSEK")
    click.echo(f"wrote {', '.join(sorted(done.files))} to {out}")


@cli.command("init")
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("--kommun", "kommun", required=True,
              help="The municipality: its four-digit code (SCB, e.g. 1441) or its name (e.g. Lerum).")
@click.option("--grid", "cell_m", type=click.FloatRange(min=10, max=100_000), default=None,
              help="Hexagon spacing in metres (default: about 20 000 cells, at least 250 m).")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help="Language of the analysis name, the sample request and the checklist.")
@click.option("--overwrite", is_flag=True, help="Write the files of an earlier init again.")
def init_cmd(folder: Path, kommun: str, cell_m: float | None, lang: str, overwrite: bool) -> None:
    """Start an analysis for your municipality in FOLDER.

    Writes FOLDER/kommun.gpkg (the boundary, SCB), FOLDER/analysis.toml (a skeleton that
    enables what the data in FOLDER supports: put your GIS files there first, or later and
    run init again with --overwrite), FOLDER/inquiry.toml (a sample investor request) and
    FOLDER/CHECKLIST.md (what to add next). Then:

    \b
      gis-tool layers check FOLDER/analysis.toml
      gis-tool run FOLDER/analysis.toml --out FOLDER/output
    """
    written = init_municipality(folder, kommun, cell_m=cell_m, lang=lang, overwrite=overwrite)
    click.echo(f"wrote {', '.join(written)} to {folder}")
    click.echo(f"next: gis-tool run {folder / 'analysis.toml'} --out {folder / 'output'}")
    click.echo(f"      and see {folder / 'CHECKLIST.md'} for the data to add")


@cli.group()
def layers() -> None:
    """Look inside GIS files and check the inputs of an analysis."""


@layers.command("inspect")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for machines.")
def layers_inspect(path: Path, as_json: bool) -> None:
    """Describe every layer in PATH.

    For each layer: geometry type, CRS, feature count, fields and their types, bounds,
    and validity problems (invalid or empty geometries, Z values, a missing CRS,
    coordinates outside the CRS's area of use or outside Sweden). PATH may be a
    GeoPackage, Shapefile (.shp or .zip), GeoJSON, FlatGeobuf or GeoParquet file.
    """
    info = describe_file(path)
    if as_json:
        click.echo(strict_json.dumps(info, indent=2))
    else:
        click.echo(format_description(info))


@layers.command("check")
@click.argument("analysis", type=click.Path(path_type=Path))
@click.option("--profile", help="Check with this profile's constraints too.")
def layers_check(analysis: Path, profile: str | None) -> None:
    """Check every input ANALYSIS names; list every problem; exit 2 if any is fatal.

    Reads each layer as `gis-tool run` would (CRS, coordinates, fields the analysis
    uses, repairs), then checks what a run would refuse on that data (unique site ids,
    polygon sites, polygon layers for shares), and reports it all at once, so that one
    pass fixes everything.
    """
    loaded, problems = check_inputs(analysis, profile)
    for lyr in loaded.values():
        click.echo(f"ok    {lyr.report.summary()}")
    for p in problems:
        click.echo(f"FAIL  {p}")
    if problems:
        raise InputError(problems)
    click.echo(f"all {len(loaded)} layers of {analysis} are usable")


@cli.command("map")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--out", "out_file", type=click.Path(path_type=Path),
              help="The HTML file to write (default OUT_DIR/map.html).")
@click.option("--lang", type=click.Choice(["sv", "en"]), default="sv", show_default=True,
              help=LANG_HELP)
@click.option("--top", type=click.IntRange(0, 100), default=10, show_default=True, help=TOP_HELP)
@click.option("--title", help="Title of the map (default: the analysis name).")
def map_cmd(out_dir: Path, out_file: Path | None, lang: str, top: int, title: str | None) -> None:
    """Re-publish the map of an earlier run from OUT_DIR, without recomputing."""
    target = redraw_map(out_dir, out_file=out_file, lang=lang, top=top, title=title)
    click.echo(f"wrote {target}")


@cli.command("serve")
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on (0.0.0.0: every interface, for other machines).")
def serve_cmd(out_dir: Path, port: int, host: str) -> None:
    """Serve the outputs in OUT_DIR (sites, land supply, inquiry matches) as OGC API Features
    collections through pygeoapi, until Ctrl+C. Needs gis-tool[serve]."""
    if not out_dir.is_dir():
        raise InputError(f"{out_dir}: not a folder; give the --out folder of a gis-tool run")
    with tempfile.TemporaryDirectory(prefix="gis-tool-serve-") as work:
        click.echo(f"serving {out_dir} at http://{host}:{port}/collections (Ctrl+C stops)")
        serve(out_dir, work, host=host, port=port)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and map errors to exit statuses."""
    try:
        cli.main(args=argv, prog_name="gis-tool", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("error: interrupted; outputs already in place are complete files", err=True)
        return 130
    except click.UsageError as exc:
        hint = f"\nTry '{exc.ctx.command_path} --help' for help." if exc.ctx else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return 2
    except GisToolError as exc:
        click.echo(f"error: {exc}", err=True)
        return 2
    except Exception as exc:  # an unexpected failure: short message, traceback with -v
        if logging.getLogger("gis_tool").level <= logging.DEBUG:
            raise
        click.echo(f"error: internal failure ({type(exc).__name__}: {exc}); run again with "
                   "-v for details and report it", err=True)
        return 1
    finally:
        progress.set_listener(None)
    return 0


_held: list[Any] | None = None   # results kept to the end of the command (see entry)


def entry() -> None:
    """The ``gis-tool`` command: :func:`main`, then an exit that leaves the freeing of
    memory to the operating system. A run of a million sites holds millions of geometries
    that Python would otherwise free one by one (about 2 s); outputs are complete files
    by then, and standard output, standard error and the logs are flushed first."""
    global _held
    _held = []
    code = main()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    logging.shutdown()
    os._exit(code)


if __name__ == "__main__":
    entry()
