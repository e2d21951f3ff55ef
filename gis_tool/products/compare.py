"""Ranks per weight set side by side: compare.csv, compare.png and map.html."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..engine.pipeline import run_analysis
from ..publish.outputs import write_files, write_table
from ..studies.sensitivity import compare


@dataclass(frozen=True)
class CompareOutput:
    """The comparison table and the files written (name to path)."""

    table: pd.DataFrame
    files: dict[str, Path]


def write_compare(analysis: str | Path, out: str | Path, *, profiles: list[str] | None = None,
                  top: int = 10, lang: str = "sv", overwrite: bool = False) -> CompareOutput:
    """Rank the sites under the base weights and each profile (measured once) and write
    the comparison into ``out`` (``gis-tool compare``)."""
    from ..publish.charts import bump_chart, save_chart
    from ..publish.maps import compare_map, save_map

    result = run_analysis(analysis, lang=lang)
    cmp = compare(result, profiles=profiles, top=top)
    files = write_files(out, {
        "compare.csv": lambda p: write_table(cmp, p),
        "compare.png": lambda p: save_chart(bump_chart(cmp, top, lang), p),
        "map.html": lambda p: save_map(compare_map(result, cmp, top=top, lang=lang), p),
    }, overwrite=overwrite, inputs={Path(analysis).resolve()})
    return CompareOutput(cmp, files)
