"""Excel workbooks for people who open results in Excel: sites.xlsx and matches.xlsx.

The CSVs stay as they are (for tools); the workbooks carry labelled headers in the run's
language, real numbers and booleans in their cells (so a Swedish Excel sorts and sums
them), a frozen header row and sensible column widths. Text is written as text, never as
a formula. Written with XlsxWriter, row by row in constant memory.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..engine.kinds import unit_of
from ..text import UNITS, in_language, words

log = logging.getLogger(__name__)
MAX_ROWS = 20_000   # beyond this a workbook helps nobody (15 s at 100k sites): sites.csv and .gpkg carry them


def column_labels(columns: list[str], result: Any, lang: str) -> list[str]:
    """A header a person reads for every column: criteria by their labels and units,
    the tool's own columns in ``lang``, ``[fields.X] label`` for the data's columns."""
    W = words.COLUMNS[lang]
    crit = {n: in_language(c.label, lang, n) for n, c in result.criteria.items()}
    units = {n: UNITS.get(unit_of(c), unit_of(c)) for n, c in result.criteria.items()}
    fields: Mapping[str, Any] = getattr(result.analysis, "fields", None) or {}
    out = []
    for c in columns:
        base, _, part = c.rpartition("_")
        if c in W:
            out.append(W[c])
        elif base in crit and part in ("raw", "value", "points"):
            out.append(W["_" + part].format(label=crit[base], unit=units[base]).replace(" ()", ""))
        elif c in fields and getattr(fields[c], "label", None):
            out.append(in_language(fields[c].label, lang, c))
        else:
            out.append(c)
    return out


def write_xlsx(df: pd.DataFrame, path: Path, *, headers: list[str], sheet: str) -> bool:
    """Write ``df`` as a workbook; False (and nothing written) above :data:`MAX_ROWS` rows."""
    if len(df) > MAX_ROWS:
        log.info("%s: %d rows, more than a workbook is for (%d); skipped", path.name, len(df), MAX_ROWS)
        return False
    import xlsxwriter  # here: it is only needed for small runs, and loading it costs every start-up

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False})
    ws = wb.add_worksheet(sheet[:31])
    head = wb.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1, "bg_color": "#eef2f5"})
    for j, h in enumerate(headers):
        width = min(40, max(10, len(h) * 0.9, _longest(df.iloc[:, j])))
        ws.set_column(j, j, width)
        ws.write_string(0, j, h, head)
    ws.freeze_panes(1, 0)
    ws.set_row(0, 30)
    columns = [_column(ws, df[c]) for c in df.columns]
    for i in range(len(df)):
        for j, (write, values) in enumerate(columns):
            v = values[i]
            if v is not None:
                write(i + 1, j, v)
    ws.autofilter(0, 0, len(df), len(df.columns) - 1)
    wb.close()
    return True


def _longest(col: pd.Series) -> float:
    sample = col.head(200).astype(str)
    return float(sample.str.len().max()) if len(sample) else 0.0


def _column(ws: Any, col: pd.Series) -> tuple[Any, list[Any]]:
    """How to write one column's cells, and its values (None: an empty cell). Booleans
    and numbers are sorted out once for the whole column; other columns cell by cell."""
    if pd.api.types.is_bool_dtype(col.dtype):
        flags = col.to_numpy(dtype=object, na_value=None)
        return ws.write_boolean, [None if v is None else bool(v) for v in flags]
    if pd.api.types.is_numeric_dtype(col.dtype):
        numbers = col.to_numpy(dtype=float, na_value=np.nan)
        values = numbers.tolist()
        for i in np.flatnonzero(~np.isfinite(numbers)):
            values[i] = None
        return ws.write_number, values
    return (lambda i, j, v: _cell(ws, i, j, v)), col.to_numpy(dtype=object).tolist()


def _cell(ws: Any, i: int, j: int, v: Any) -> None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return
    if isinstance(v, (bool, np.bool_)):
        ws.write_boolean(i, j, bool(v))
    elif isinstance(v, (int, float, np.integer, np.floating)):
        if math.isfinite(float(v)):
            ws.write_number(i, j, float(v))
    else:
        ws.write_string(i, j, str(v))
