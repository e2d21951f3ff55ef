"""gis-tool: land readiness (markberedskap) site analysis for Swedish municipalities.

>>> import gis_tool
>>> result = gis_tool.run_analysis("layers/alingsas_demo.toml", profile="logistics")  # doctest: +SKIP
>>> result.top(5)  # doctest: +SKIP

The package is layered (docs/architecture.md): ``spec`` (analysis and request files),
``inputs`` (layer sources), ``engine`` (criteria, scores, readiness), ``studies`` (inquiry,
sensitivity, comparison), ``publish`` (files, maps, charts, the meeting pack), ``products``
(each command's whole file set) and ``cli``. The names below are the Python API; each is
imported when first used, so ``import gis_tool`` stays quick.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import _moved
from ._version import __version__

_API = {
    "InputError": "errors",
    "load_analysis": "spec.analysis",
    "Result": "engine.pipeline",
    "run_analysis": "engine.pipeline",
    "InquiryResult": "studies.inquiry",
    "inquiry": "studies.inquiry",
    "sensitivity": "studies.sensitivity",
    "compare": "studies.sensitivity",
    "site_map": "publish.maps",
    "save_map": "publish.maps",
    "explore": "publish.explore",
    "publish_run": "products.run",
    "answer_inquiry": "products.inquiry",
    "write_sensitivity": "products.sensitivity",
    "write_compare": "products.compare",
    "programme": "studies.programme",
    "write_programme": "products.programme",
}
__all__ = ["__version__", *sorted(_API)]
_moved.install()


def __getattr__(name: str) -> Any:
    if name in _API:
        value = getattr(importlib.import_module(f".{_API[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'gis_tool' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
