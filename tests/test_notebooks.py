"""Notebooks are committed without outputs, and every code cell runs without error."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_has_no_outputs(path, monkeypatch):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(not c.get("outputs") for c in code), "commit notebooks without outputs"
    monkeypatch.chdir(path.parent)
    namespace: dict = {}
    for i, cell in enumerate(code):
        src = "".join(cell["source"])
        exec(compile(src, f"{path.name}[cell {i}]", "exec"), namespace)  # noqa: S102
    assert Path.cwd() == path.parent.parent
    os.chdir(path.parent)


def test_there_is_a_notebook():
    assert NOTEBOOKS
