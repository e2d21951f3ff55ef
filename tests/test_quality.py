"""Code quality gates that run with the suite: ruff, and the docstring examples."""

from __future__ import annotations

import doctest
import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    out = subprocess.run([ruff, "check", "gis_tool", "tests", "benchmarks"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_clean():
    mypy = shutil.which("mypy") or str(Path(sys.executable).parent / "mypy")
    if not Path(mypy).exists():
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    out = subprocess.run([mypy, "gis_tool"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("module", ["gis_tool.engine.values", "gis_tool.engine.weights", "gis_tool.errors",
                                    "gis_tool.text", "gis_tool.publish.strict_json"])
def test_docstring_examples(module):
    res = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert res.failed == 0 and res.attempted > 0


def test_no_template_source_is_built_from_text():
    """Jinja template source is always a literal: no ``Template(f"...")``, ``Element(...)``
    with markup, or ``from_string`` on a variable anywhere in the package (text reaches a
    page only as data: :class:`gis_tool.publish.map_page.Markup`)."""
    import ast

    bad = []
    for path in sorted((ROOT / "gis_tool").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("Template", "from_string") and node.args and not isinstance(node.args[0], ast.Constant):
                bad.append(f"{path.name}:{node.lineno} {name}(<not a literal>)")
            if name == "Element" and (node.args or node.keywords):
                bad.append(f"{path.name}:{node.lineno} Element(...) compiles its argument as a template")
    assert not bad, bad
