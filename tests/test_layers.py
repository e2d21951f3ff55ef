"""Loading layers: every refusal and repair, on tiny files with known answers."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, Polygon

from gis_tool.errors import InputError
from gis_tool.inputs.layers import read_layer

from .conftest import CRS, X0, Y0, sq, write_gpkg


def gdf(geoms, crs=CRS, **cols):
    return gpd.GeoDataFrame(cols or {"name": [f"f{i}" for i in range(len(geoms))]},
                            geometry=list(geoms), crs=crs)


def test_missing_file_names_path_and_fix(tmp_path):
    with pytest.raises(InputError, match=r"nope\.gpkg: file not found.*check 'path'"):
        read_layer(tmp_path / "nope.gpkg")


def test_zero_byte_file_refused(tmp_path):
    p = tmp_path / "empty.gpkg"
    p.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty \(0 bytes\)"):
        read_layer(p)


def test_garbage_file_refused(tmp_path):
    p = tmp_path / "junk.gpkg"
    p.write_bytes(b"this is not a geopackage at all\x00\x01" * 20)
    with pytest.raises(InputError, match=r"junk\.gpkg: cannot be read.*export it again"):
        read_layer(p)


def test_truncated_geojson_refused(tmp_path):
    p = tmp_path / "cut.geojson"
    gdf([Point(12.5, 57.9)], crs="EPSG:4326").to_file(p, driver="GeoJSON")
    p.write_bytes(p.read_bytes()[:60])
    with pytest.raises(InputError, match=r"cut\.geojson: cannot be read"):
        read_layer(p)


def test_several_layers_need_layer_key_and_list_them(tmp_path):
    p = write_gpkg(tmp_path / "two.gpkg", {"roads": gdf([sq(0, 0, 10)]), "rails": gdf([sq(0, 0, 5)])})
    with pytest.raises(InputError, match=r"has 2 layers.*'rails', 'roads'"):
        read_layer(p)
    with pytest.raises(InputError, match=r"no layer 'road' \(did you mean 'roads'\?\)"):
        read_layer(p, layer="road")
    assert len(read_layer(p, layer="roads").gdf) == 1


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_no_crs_refused_unless_assumed(tmp_path):
    p = tmp_path / "nocrs.gpkg"
    gdf([sq(0, 0, 10)], crs=None).to_file(p, driver="GPKG")
    with pytest.raises(InputError, match=r"has no CRS.*assume_crs"):
        read_layer(p)
    lyr = read_layer(p, assume_crs="EPSG:3006")
    assert lyr.report.crs_assumed and lyr.gdf.crs.to_epsg() == 3006


def test_rt90_labelled_as_sweref_is_refused(tmp_path):
    # RT90 2.5 gon V coordinates of Alingsås (x ~1 290 000) written as if SWEREF 99 TM.
    p = write_gpkg(tmp_path / "rt90.gpkg", {"a": gdf([Point(1290000, 6425000)])})
    with pytest.raises(InputError, match=r"outside Sweden.*mislabelled"):
        read_layer(p)


def test_rt90_correctly_labelled_is_reprojected(tmp_path):
    p = write_gpkg(tmp_path / "rt90.gpkg", {"a": gdf([Point(1290000, 6425000)], crs="EPSG:3021")})
    g = read_layer(p).gdf
    assert g.crs.to_epsg() == 3006
    assert 330000 < g.geometry.x[0] < 380000 and 6400000 < g.geometry.y[0] < 6450000


def test_swapped_lon_lat_geojson_refused(tmp_path):
    p = tmp_path / "swapped.geojson"
    gdf([Point(57.93, 12.53)], crs="EPSG:4326").to_file(p, driver="GeoJSON")
    with pytest.raises(InputError, match=r"outside Sweden"):
        read_layer(p)


def test_sweref_coordinates_in_geojson_refused(tmp_path):
    p = tmp_path / "sweref.geojson"
    p.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                 f'"geometry":{{"type":"Point","coordinates":[{X0},{Y0}]}}}}]}}')
    with pytest.raises(InputError, match=r"sweref\.geojson.*outside"):
        read_layer(p)


def test_non_finite_coordinates_refused(tmp_path):
    p = write_gpkg(tmp_path / "inf.gpkg", {"a": gdf([LineString([(X0, Y0), (X0 + 5, np.inf)]),
                                                    LineString([(X0, Y0), (X0 + 5, Y0 + 5)])])})
    with pytest.raises(InputError, match=r"feature 1 has non-finite coordinates"):
        read_layer(p)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_coordinates_refused_in_a_large_geopackage(tmp_path, monkeypatch, bad):
    # a layer decoded and checked as it is read (encoded.KEEP_OVER): its validity stands in
    # for the coordinates' check, which must still name the feature
    from gis_tool.inputs import encoded
    monkeypatch.setattr(encoded, "KEEP_OVER", 0)
    squares = [sq(20 * i, 0, 10) for i in range(5)]
    with np.errstate(invalid="ignore"):
        squares[3] = Polygon([(X0, Y0), (X0 + 5, Y0), (X0 + 5, bad), (X0, Y0)])
    p = write_gpkg(tmp_path / "nan.gpkg", {"a": gdf(squares)})
    with pytest.raises(InputError, match=r"feature 4 has non-finite coordinates"):
        read_layer(p)
    squares[3] = sq(60, 0, 10)
    p = write_gpkg(tmp_path / "fine.gpkg", {"a": gdf(squares)})
    assert encoded.known_valid(read_layer(p).gdf.geometry.to_numpy()).all()


def test_missing_field_lists_fields_and_suggests(tmp_path):
    p = write_gpkg(tmp_path / "f.gpkg", {"s": gdf([Point(X0, Y0)], available_mw=[3.0])})
    with pytest.raises(InputError, match=r"no field 'available_MW' \(did you mean 'available_mw'\?\)"):
        read_layer(p, fields=("available_MW",))


def test_bowtie_keeps_both_lobes(tmp_path):
    # A bow-tie over (0,0)-(2,2) m: two triangles of 1 m2 each.
    bow = Polygon([(X0, Y0), (X0 + 2, Y0 + 2), (X0 + 2, Y0), (X0, Y0 + 2), (X0, Y0)])
    p = write_gpkg(tmp_path / "bow.gpkg", {"a": gdf([bow, sq(10, 10, 1)])})
    lyr = read_layer(p)
    assert lyr.report.repairs["repaired invalid geometry"] == 1
    assert lyr.gdf.geometry.iloc[0].area == pytest.approx(2.0)
    assert lyr.gdf.geometry.is_valid.all()
    assert set(lyr.gdf.geom_type) == {"MultiPolygon"}


def test_null_and_empty_dropped_and_counted(tmp_path):
    g = gpd.GeoDataFrame({"name": ["a", "b", "c"]},
                         geometry=[sq(0, 0, 1), None, Polygon()], crs=CRS)
    p = write_gpkg(tmp_path / "e.gpkg", {"a": g})
    lyr = read_layer(p)
    assert len(lyr.gdf) == 1
    assert lyr.report.repairs["dropped null or empty geometry"] == 2
    assert lyr.report.features_read == 3 and lyr.report.features_kept == 1


def test_z_dropped(tmp_path):
    p = write_gpkg(tmp_path / "z.gpkg", {"a": gdf([Point(X0, Y0, 55.0)])})
    lyr = read_layer(p)
    assert not lyr.gdf.has_z.any()
    assert lyr.report.repairs["dropped Z coordinates"] == 1


def test_mixed_single_and_multi_normalised(tmp_path):
    multi = shapely.multipolygons([sq(0, 0, 1), sq(5, 5, 1)])
    p = tmp_path / "mixed.geojson"
    gdf([sq(0, 0, 2), multi], crs="EPSG:3006").to_crs(4326).to_file(p, driver="GeoJSON")
    lyr = read_layer(p)
    assert set(lyr.gdf.geom_type) == {"MultiPolygon"}
    assert lyr.report.repairs["made multi-part (layer mixed single and multi)"] == 1


def test_exact_duplicates_reported_and_dropped(tmp_path):
    p = write_gpkg(tmp_path / "d.gpkg", {"a": gpd.GeoDataFrame(
        {"name": ["x", "x", "y"]}, geometry=[sq(0, 0, 1), sq(0, 0, 1), sq(0, 0, 1)], crs=CRS)})
    lyr = read_layer(p)
    assert lyr.report.repairs["dropped exact duplicate feature"] == 1
    assert sorted(lyr.gdf["name"]) == ["x", "y"]


def test_exact_duplicates_match_a_full_comparison():
    """Rows repeat a geometry with other attributes, or both (exact duplicates, one of
    them three times), among many distinct rows; later copies are marked, as a full
    comparison of every row's text and WKB marks them."""
    from gis_tool.inputs.repair import _duplicates

    rng = np.random.default_rng(4)
    n = 400
    geoms = [sq(float(x), float(y), 5) for x, y in rng.uniform(0, 900, (n, 2))]
    names = [f"n{i}" for i in range(n)]
    for i, j in ((10, 3), (20, 3), (30, 31), (40, 41), (50, 51)):   # same geometry
        geoms[i] = geoms[j]
    for i, j in ((20, 3), (40, 41)):                               # and the same name
        names[i] = names[j]
    layer = gpd.GeoDataFrame({"name": names, "v": np.arange(n) % 7}, geometry=geoms, crs=CRS)
    layer.loc[40, "v"] = layer.loc[41, "v"]
    layer.loc[20, "v"] = layer.loc[3, "v"]
    want = pd.concat([layer[["name", "v"]].astype(str).reset_index(drop=True),
                      pd.Series(shapely.to_wkb(layer.geometry.to_numpy()), name="wkb")], axis=1).duplicated()
    got = _duplicates(layer)
    assert list(np.flatnonzero(got)) == list(np.flatnonzero(want.to_numpy())) == [20, 41]
    assert not _duplicates(layer.iloc[:9]).any()


NAME = "Övre Kärrtorp – Åby"


def _shapefile(tmp_path: Path, encoding: str, cpg: bool) -> Path:
    p = tmp_path / "parcels.shp"
    gdf([sq(0, 0, 10)], name=[NAME]).to_file(p, encoding=encoding)
    if not cpg:
        p.with_suffix(".cpg").unlink(missing_ok=True)
    return p


@pytest.mark.parametrize("encoding", ["UTF-8", "cp1252"])
def test_shapefile_cpg_honoured(tmp_path, encoding):
    assert read_layer(_shapefile(tmp_path, encoding, cpg=True)).gdf["name"][0] == NAME


def test_shapefile_utf8_without_cpg_detected(tmp_path):
    lyr = read_layer(_shapefile(tmp_path, "UTF-8", cpg=False))
    assert lyr.gdf["name"][0] == NAME
    assert lyr.report.encoding == "UTF-8"


def test_shapefile_encoding_key(tmp_path):
    p = _shapefile(tmp_path, "cp1252", cpg=False)
    assert read_layer(p, encoding="cp1252").gdf["name"][0] == NAME
    assert read_layer(p).gdf["name"][0] == NAME  # detected as not UTF-8: read as cp1252


def test_zipped_shapefile(tmp_path):
    shp = _shapefile(tmp_path, "UTF-8", cpg=True)
    z = tmp_path / "parcels.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in tmp_path.glob("parcels.*"):
            if f.suffix != ".zip":
                zf.write(f, f.name)
    assert shp.exists()
    assert read_layer(z).gdf["name"][0] == NAME


def test_geoparquet_and_flatgeobuf(tmp_path):
    g = gdf([sq(0, 0, 10)], name=[NAME])
    g.to_parquet(tmp_path / "a.parquet")
    g.to_file(tmp_path / "a.fgb", driver="FlatGeobuf")
    for p in ("a.parquet", "a.fgb"):
        lyr = read_layer(tmp_path / p)
        assert lyr.gdf["name"][0] == NAME and lyr.gdf.area[0] == pytest.approx(100.0)


def test_reprojects_wgs84_to_working_crs(tmp_path):
    p = tmp_path / "pt.geojson"
    gdf([Point(12.53, 57.93)], crs="EPSG:4326").to_file(p, driver="GeoJSON")
    g = read_layer(p, to_crs="EPSG:3006").gdf
    assert g.crs.to_epsg() == 3006
    assert g.geometry.x[0] == pytest.approx(353560, abs=2000)


def test_table_without_geometry(tmp_path):
    import sqlite3

    p = write_gpkg(tmp_path / "t.gpkg", {"parcels": gdf([sq(0, 0, 10)])})
    con = sqlite3.connect(p)
    con.execute("CREATE TABLE owners (id INTEGER PRIMARY KEY, name TEXT)")
    con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                "VALUES ('owners', 'attributes', 'owners')")
    con.commit()
    con.close()
    assert len(read_layer(p).gdf) == 1  # the only spatial layer is chosen
    with pytest.raises(InputError, match=r"layer 'owners': the layer has no geometry"):
        read_layer(p, layer="owners")


def test_where_filter_selects_features(tmp_path):
    g = gpd.GeoDataFrame({"status": ["i kraft", "pågående", "i kraft"]},
                         geometry=[sq(0, 0, 1), sq(5, 0, 1), sq(10, 0, 1)], crs=CRS)
    p = write_gpkg(tmp_path / "plans.gpkg", {"plans": g})
    lyr = read_layer(p, where="status = 'i kraft'")
    assert len(lyr.gdf) == 2 and set(lyr.gdf["status"]) == {"i kraft"}
    assert lyr.report.where == "status = 'i kraft'"
    with pytest.raises(InputError, match=r"the filter where = .*failed.*OGR SQL"):
        read_layer(p, where="statuz === 3")


def test_truncated_geopackage_refused(tmp_path):
    big = gpd.GeoDataFrame({"n": range(4000)}, geometry=[sq(i % 60 * 20, i // 60 * 20, 15)
                                                         for i in range(4000)], crs=CRS)
    p = write_gpkg(tmp_path / "whole.gpkg", {"a": big})
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(p.read_bytes()[: p.stat().st_size // 3])
    with pytest.raises(InputError, match=r"cut\.gpkg: cannot be read.*truncated"):
        read_layer(cut)
