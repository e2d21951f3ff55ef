"""The house rules of docs/architecture.md, checked on every test run.

- The flow runs one way: a layer imports only the layers below it (import-linter's
  ``layers`` contract in pyproject.toml).
- Imports sit at the top of a module; only optional extras (Dask, ipywidgets, IPython,
  SQLAlchemy and psycopg), libraries that only some work needs (scipy's k-d tree, sparse
  graphs and MILP solver, xlsxwriter: 0.35 s of every start-up) are imported where they
  are used,
  and the modules that draw (maps, charts, the meeting pack: folium, matplotlib and
  fpdf, 0.7 s to load) by the function that draws, so that a command that draws nothing
  starts without them; likewise the compiled loops of a large run (numba, 0.4 s).
- No module grows past about 450 lines.
- Old flat module paths (``gis_tool.maps``) still import, as the same module.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "gis_tool"
LAZY_OK = {"dask", "dask_geopandas", "distributed", "ipywidgets", "IPython", "sqlalchemy", "psycopg", "pygeoapi",
           "scipy", "xlsxwriter"}
DRAWING = {"maps", "charts", "report", "programme_chart"}   # gis_tool.publish's drawing modules
COMPILED = {"compiled"}   # gis_tool.engine's compiled loops (numba)
MAX_LINES = 470


def test_layers_contract_is_kept():
    # in a process of its own: import-linter reconfigures logging, which would silence ours
    tool = Path(sys.executable).parent / "lint-imports"
    out = subprocess.run([str(tool), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "1 kept, 0 broken" in out.stdout


def _function_imports(path: Path) -> list[str]:
    bad = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import):
                    names = [a.name.split(".")[0] for a in inner.names]
                elif isinstance(inner, ast.ImportFrom):
                    if inner.level > 0 and ((inner.module or "").split(".")[-1] in DRAWING
                                            or {a.name for a in inner.names} <= COMPILED):
                        continue
                    names = [(inner.module or "").split(".")[0]] if inner.level == 0 else ["(relative)"]
                else:
                    continue
                bad += [f"{path.relative_to(ROOT)}:{inner.lineno} {n}" for n in names if n not in LAZY_OK]
    return bad


def test_no_imports_inside_functions():
    bad = [b for p in sorted(PACKAGE.rglob("*.py")) for b in _function_imports(p)]
    assert not bad, bad


def test_a_command_that_draws_nothing_loads_no_drawing_library():
    """The command line and a run without a map load neither folium, matplotlib nor fpdf
    (start-up of every command: about 0.7 s less), nor scipy (its k-d tree, sparse graphs
    and solver), xlsxwriter (0.35 s) or numba (0.4 s), until work needs them."""
    code = ("import sys, gis_tool.cli, gis_tool.products.run, gis_tool.publish.outputs; "
            "print(sorted(m for m in ('folium', 'matplotlib', 'fpdf', 'scipy', 'xlsxwriter', 'numba') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]"


def test_modules_stay_small():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, long


@pytest.mark.parametrize("old,new", [("maps", "publish.maps"), ("config", "spec.analysis"),
                                     ("pipeline", "engine.pipeline"), ("outputs", "publish.outputs")])
def test_old_module_paths_still_import(old, new):
    module = importlib.import_module(f"gis_tool.{old}")
    assert module is importlib.import_module(f"gis_tool.{new}")
    # the module keeps its own place, so its relative imports (also inside functions) work
    assert module.__spec__.name == f"gis_tool.{new}"
    assert module.__spec__.parent == module.__package__


def test_package_api_is_the_functions():
    import gis_tool

    assert callable(gis_tool.inquiry) and callable(gis_tool.sensitivity) and callable(gis_tool.compare)
    assert gis_tool.run_analysis.__module__ == "gis_tool.engine.pipeline"


def test_no_import_cycles():
    """No module imports itself through others (the old maps -> pipeline -> maps loop)."""
    import grimp

    graph = grimp.build_graph("gis_tool")
    edges = {m: graph.find_modules_directly_imported_by(m) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(m: str) -> None:   # Tarjan's strongly connected components
        index[m] = low[m] = len(index)
        stack.append(m)
        for n in edges.get(m, ()):
            if n not in index:
                visit(n)
                low[m] = min(low[m], low[n])
            elif n in stack:
                low[m] = min(low[m], index[n])
        if low[m] == index[m]:
            part = []
            while True:
                n = stack.pop()
                part.append(n)
                if n == m:
                    break
            if len(part) > 1:
                cycles.append(sorted(part))

    for m in sorted(edges):
        if m not in index:
            visit(m)
    assert not cycles, cycles
