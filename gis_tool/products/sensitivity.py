"""Rank stability under weight uncertainty: stability.csv, sweeps.csv, stability.png and
sensitivity.json."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from ..engine.pipeline import run_analysis
from ..publish.outputs import write_files, write_json, write_table
from ..studies.sensitivity import Sensitivity, sensitivity

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SensitivityOutput:
    """The study and the files written (name to path)."""

    sensitivity: Sensitivity
    files: dict[str, Path]


def write_sensitivity(analysis: str | Path, out: str | Path, *, runs: int = 1000, top: int = 10,
                      seed: int = 1, profile: str | None = None, concentration: float = 50.0,
                      lang: str = "sv", overwrite: bool = False) -> SensitivityOutput:
    """Run the analysis once, draw ``runs`` weight sets around its weights and write the
    stability of every eligible site's rank into ``out`` (``gis-tool sensitivity``)."""
    from ..publish.charts import save_chart, stability_chart

    result = run_analysis(analysis, profile=profile, lang=lang)
    log.info("drawing %d weight sets ...", runs)
    sens = sensitivity(result, runs=runs, top=top, seed=seed, concentration=concentration)
    summary = {"analysis": {"path": str(Path(analysis).resolve()), "sha256": result.analysis.sha256},
               **sens.summary()}
    files = write_files(out, {
        "stability.csv": lambda p: write_table(sens.stability, p),
        "sweeps.csv": lambda p: write_table(sens.sweeps, p),
        "stability.png": lambda p: save_chart(stability_chart(sens, lang), p),
        "sensitivity.json": lambda p: write_json(p, summary),
    }, overwrite=overwrite, inputs={Path(analysis).resolve()})
    return SensitivityOutput(sens, files)
