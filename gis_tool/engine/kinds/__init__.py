"""Criterion kinds: one module per kind, each declaring a :class:`CriterionKind`.

A kind says which keys it takes (checked by the spec layer), which layer and fields it
reads, the unit of its raw measure and how it measures. To add a kind, write a module here
with ``KIND = CriterionKind(...)`` and add one line to ``[project.entry-points.
"gis_tool.criterion_kinds"]`` in pyproject.toml (``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from ...errors import InputError, valid_list
from ...inputs.layers import geometry_family
from ...spec import kinds as installed_kinds
from ...spec.analysis import CriterionSpec

Measure = Callable[[CriterionSpec, gpd.GeoDataFrame, dict[str, gpd.GeoDataFrame]], np.ndarray]


def _none(spec: CriterionSpec) -> set[str]:
    return set()


@dataclass(frozen=True)
class CriterionKind:
    """A kind of criterion.

    Attributes
    ----------
    name
        As written in the analysis file (``kind = "distance"``).
    summary
        One line for docs and messages.
    measure
        ``measure(spec, sites, layers)``: the raw measure of every site, in ``unit``.
    unit
        The unit of the raw measure; None when it is the unit of the field read (the
        criterion's ``unit``, or for a column of the sites its ``[fields]`` unit).
    needs, allows
        Keys a criterion of this kind must give, and may give, of ``layer``, ``field``,
        ``classes``, ``radius_m``, ``minutes`` and ``decay_minutes``.
    reads_sites
        It reads a column of the sites layer (so grid sites cannot use it).
    uses_network
        It measures along the road network: ``measure(spec, sites, layers, network)``
        returns a :class:`gis_tool.engine.network.Reached` (values and why some have none).
    polygon_layer
        Its layer must hold polygons (a share of area).
    layer_fields, site_fields
        The columns it reads from its layer and from the sites layer.
    """

    name: str
    summary: str
    measure: Measure
    unit: str | None = None
    needs: frozenset[str] = frozenset()
    allows: frozenset[str] = frozenset()
    reads_sites: bool = False
    uses_network: bool = False
    polygon_layer: bool = False
    layer_fields: Callable[[CriterionSpec], set[str]] = field(default=_none)
    site_fields: Callable[[CriterionSpec], set[str]] = field(default=_none)


def kind_of(spec: CriterionSpec) -> CriterionKind:
    """The installed kind of a criterion."""
    kinds = installed_kinds.installed()
    if spec.kind not in kinds:
        raise InputError(f"criteria.{spec.name}: unknown kind '{spec.kind}'; kinds: {valid_list(kinds)}")
    return kinds[spec.kind]  # type: ignore[return-value]


def unit_of(spec: CriterionSpec) -> str:
    """The unit of a criterion's raw measure (its ``unit`` key wins); empty when neither
    it nor its kind says (never the name of the column read: people read units)."""
    return spec.unit or kind_of(spec).unit or ""


def numeric_column(spec: CriterionSpec, col: pd.Series, where: str) -> np.ndarray:
    """A column as floats, or as objects for a categorical value function."""
    if spec.value and spec.value.fn == "categorical" and not pd.api.types.is_numeric_dtype(col):
        return col.to_numpy(dtype=object)
    _numeric(col, where, spec.field or "", f"criteria.{spec.name}")
    return pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)


def need_polygons(gdf: gpd.GeoDataFrame, layer: str | None, key: str) -> None:
    fam = geometry_family(gdf)
    if len(gdf) and fam != "polygon":
        raise InputError(f"{key}: layer '{layer}' holds {fam} geometries, but a share of area "
                         "needs polygons; use a polygon layer, or a distance / count_within "
                         "criterion for points and lines")


def _numeric(col: pd.Series, where: str, fieldname: str, key: str) -> None:
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return
    conv = pd.to_numeric(col, errors="coerce")
    bad = col.notna() & conv.isna()
    if bad.any():
        sample = ", ".join(repr(v) for v in col[bad].unique()[:3])
        raise InputError(f"{where}: field '{fieldname}' used by {key} must be numeric, but "
                         f"holds {sample}; use a numeric column, or a categorical value "
                         "function (value = {{ fn = \"categorical\", map = {{...}} }})")
