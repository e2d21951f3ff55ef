"""Old module paths keep working: ``gis_tool.maps`` is :mod:`gis_tool.publish.maps`.

gis-tool was a flat package until version 0.1; its modules now live in layers (see
docs/architecture.md). Code written against the flat names (``from gis_tool.maps import
site_map``) still runs: a finder on ``sys.meta_path`` answers an old name with the module
at its new place (the same module object, so settings and patches apply to both).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

MOVED = {
    "config": "spec.analysis", "readiness_spec": "spec.readiness", "inquiry_spec": "spec.request",
    "layers": "inputs.layers", "repair": "inputs.repair", "catalog": "inputs.catalog",
    "demo_data": "inputs.demo_data", "demo": "inputs.demo",
    **{m: f"engine.{m}" for m in ("sites", "criteria", "measures", "values", "weights", "conditions",
                                  "constraints", "readiness", "score", "pipeline", "distributed")},
    "inquiry": "studies.inquiry", "sensitivity": "studies.sensitivity",
    **{m: f"publish.{m}" for m in ("strict_json", "map_data", "map_styles", "maps", "static_maps",
                                   "charts", "report", "pdf_text", "qgis_style", "outputs", "folders",
                                   "explore")},
}
PACKAGE = __name__.rpartition(".")[0]


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str):
        self.target = target

    def create_module(self, spec: Any) -> ModuleType:
        module = importlib.import_module(self.target)
        self.own_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        """The module is already executed at its new place. It keeps its own spec, which
        the import system has just replaced with the old name's: with the old one, its
        relative imports would look in the wrong package."""
        module.__spec__ = self.own_spec


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        pkg, _, name = fullname.rpartition(".")
        if pkg != PACKAGE or name not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, _Alias(f"{PACKAGE}.{MOVED[name]}"))


def install() -> None:
    """Put the finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
