"""Which criterion kinds are installed, and what each takes in the analysis file.

A criterion kind (``distance``, ``overlap``, ...) is one module of
:mod:`gis_tool.engine.kinds` that declares its parameters, the layer and fields it reads,
its unit and how it measures. Kinds are found through the ``gis_tool.criterion_kinds``
entry points (as xarray finds its backends), so adding a kind is one new module plus one
line in pyproject.toml, and this layer checks an analysis file against the kinds that are
installed without importing the engine by name.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any, Protocol

from ..errors import GisToolError

GROUP = "gis_tool.criterion_kinds"


class KindDeclaration(Protocol):
    """What the spec layer reads of a kind (see ``gis_tool.engine.kinds.CriterionKind``)."""

    name: str
    needs: frozenset[str]          # keys a criterion of this kind must give (besides kind)
    allows: frozenset[str]         # keys it may give of: layer, field, classes, radius_m, minutes, ...
    reads_sites: bool              # reads a column of the sites layer (none on a grid)
    uses_network: bool             # measures along the road network (needs [network])
    summary: str


@functools.cache
def installed() -> Mapping[str, KindDeclaration]:
    """Every installed criterion kind by name."""
    found: dict[str, Any] = {}
    for ep in entry_points(group=GROUP):
        found[ep.name] = ep.load()
    if not found:
        raise GisToolError("no criterion kinds are installed; install gis-tool with pip "
                           "(pip install -e .) so that its entry points are registered")
    return found
