"""The land programme: programme.csv, stock.csv, programme.png and run.json."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..engine.pipeline import Result, run_analysis
from ..publish.outputs import run_manifest, write_files, write_json, write_table
from ..studies.programme import Programme, programme

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProgrammeOutput:
    """The run, the programme and the files written (name to path)."""

    result: Result
    programme: Programme
    files: dict[str, Path]


def write_programme(analysis: str | Path, out: str | Path, *, start: int, until: int,
                    budget_sek_per_year: float | None = None, demand_ha_per_year: float | None = None,
                    target_ha: float | None = None, lang: str = "sv", overwrite: bool = False) -> ProgrammeOutput:
    """Run the analysis, choose the land programme and write it into ``out``
    (``gis-tool programme``)."""
    from ..publish.charts import save_chart
    from ..publish.programme_chart import programme_chart

    result = run_analysis(analysis, lang=lang)
    log.info("choosing the programme %d-%d ...", start, until)
    p = programme(result, start=start, until=until, budget_sek_per_year=budget_sek_per_year,
                  demand_ha_per_year=demand_ha_per_year, target_ha=target_ha)
    manifest: dict[str, Any] = run_manifest(result, {"programme": p.summary(),
                                                     "outputs": ["programme.csv", "stock.csv", "programme.png",
                                                                 "run.json"]})
    files = write_files(out, {
        "programme.csv": lambda f: write_table(p.starts, f),
        "stock.csv": lambda f: write_table(p.stock, f),
        "programme.png": lambda f: save_chart(programme_chart(p, lang), f),
        "run.json": lambda f: write_json(f, manifest),
    }, overwrite=overwrite, inputs={Path(analysis).resolve()})
    return ProgrammeOutput(result, p, files)
