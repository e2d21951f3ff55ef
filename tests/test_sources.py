"""Layer sources: one interface for every kind of layer; GeoParquet takes `where` too."""

from __future__ import annotations

import geopandas as gpd
import pytest
from shapely import Point

from gis_tool.errors import InputError
from gis_tool.inputs.layers import read_layer
from gis_tool.inputs.sources import FileSource, ParquetSource, open_source

from .conftest import X0, Y0


@pytest.fixture
def plans(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"status": ["i kraft", "pågående", "i kraft", None], "use": ["J", "Z", "B", "J"],
         "year": [2001, 2024, 1990, 2010], "ok": [True, False, True, True]},
        geometry=[Point(X0 + i * 10, Y0) for i in range(4)], crs="EPSG:3006")
    gdf.to_file(tmp_path / "plans.gpkg", layer="plans", driver="GPKG", engine="pyogrio")
    gdf.to_parquet(tmp_path / "plans.parquet")
    (tmp_path / "parts").mkdir()
    gdf.iloc[:2].to_parquet(tmp_path / "parts" / "a.parquet")
    gdf.iloc[2:].to_parquet(tmp_path / "parts" / "b.parquet")
    return tmp_path


@pytest.mark.parametrize("where,expect", [
    ("status = 'i kraft'", [2001, 1990]),
    ("status = 'i kraft' AND use IN ('J', 'Z', 'K')", [2001]),
    ("year >= 2005 OR status IS NULL", [2024, 2010]),
    ("use LIKE 'J%' AND NOT (year < 2000)", [2001, 2010]),
])
def test_where_is_the_same_on_geoparquet_as_on_geopackage(plans, where, expect):
    for path, layer in ((plans / "plans.gpkg", "plans"), (plans / "plans.parquet", None), (plans / "parts", None)):
        got = read_layer(path, layer=layer, where=where).gdf
        assert sorted(got["year"].tolist()) == sorted(expect), path


def test_bad_where_on_geoparquet_names_the_file(plans):
    with pytest.raises(InputError, match=r"plans.parquet.*the filter where = \"statu = 'x'\" failed"):
        read_layer(plans / "plans.parquet", where="statu = 'x'")


def test_sources_are_chosen_by_what_they_can_open(plans):
    assert isinstance(open_source(plans / "plans.gpkg"), FileSource)
    assert isinstance(open_source(plans / "parts"), ParquetSource)
    kinds = {"status": "text", "use": "text", "year": "number", "ok": "bool"}
    assert open_source(plans / "plans.gpkg").fields() == kinds
    assert open_source(plans / "plans.parquet").fields() == kinds
    assert open_source(plans / "parts").files == {(plans / "parts" / n).resolve() for n in ("a.parquet", "b.parquet")}
