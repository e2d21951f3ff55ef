"""Shared fixtures: tiny hand-checkable layers written as real GeoPackages."""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import pytest
from shapely import box

CRS = "EPSG:3006"
# A 1 km square near Alingsås in SWEREF 99 TM: coordinates any Swedish check accepts.
X0, Y0 = 350000.0, 6420000.0


def sq(x: float, y: float, w: float, h: float | None = None):
    """A box with its lower-left corner at (X0 + x, Y0 + y)."""
    return box(X0 + x, Y0 + y, X0 + x + w, Y0 + y + (w if h is None else h))


@pytest.fixture(scope="session")
def demo_result():
    """The bundled demo, run once for the whole test session: for tests that only read it
    (a test that changes a Result works on ``rescore``'s copy, never on this one)."""
    from gis_tool import run_analysis
    from gis_tool.inputs.demo import get_path

    return run_analysis(get_path("alingsas"))


def write_gpkg(path: Path, layers: dict[str, gpd.GeoDataFrame]) -> Path:
    for name, gdf in layers.items():
        gdf.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path


def write_toml(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def small_world(tmp_path: Path) -> Path:
    """Three 100 m parcels, one interchange, two plan areas, a flood zone.

    Parcel A (0..100, 0..100), B (200..300, 0..100), C (400..500, 0..100); the
    interchange is a point at (100, 50), touching A. Plan J covers A fully; plan K
    covers B's left half; flood covers C's right 30 %.
    """
    parcels = gpd.GeoDataFrame({"pid": ["A", "B", "C"], "owner": ["kommun", "privat", "kommun"],
                                "price": [100.0, None, 300.0]},
                               geometry=[sq(0, 0, 100), sq(200, 0, 100), sq(400, 0, 100)], crs=CRS)
    from shapely import Point

    inter = gpd.GeoDataFrame({"name": ["TP"]}, geometry=[Point(X0 + 100, Y0 + 50)], crs=CRS)
    plans = gpd.GeoDataFrame({"use": ["J", "K"]},
                             geometry=[sq(-10, -10, 120), sq(200, 0, 50, 100)], crs=CRS)
    flood = gpd.GeoDataFrame({"rp": [100]}, geometry=[sq(470, -50, 100, 200)], crs=CRS)
    write_gpkg(tmp_path / "world.gpkg", {"parcels": parcels, "interchanges": inter,
                                         "plans": plans, "flood": flood})
    return write_toml(tmp_path / "analysis.toml", """
        [analysis]
        name = "Small world"

        [layers.parcels]
        path = "world.gpkg"
        layer = "parcels"
        [layers.interchanges]
        path = "world.gpkg"
        layer = "interchanges"
        [layers.plans]
        path = "world.gpkg"
        layer = "plans"
        [layers.flood]
        path = "world.gpkg"
        layer = "flood"

        [sites]
        layer = "parcels"
        id = "pid"

        [criteria.motorway]
        kind = "distance"
        layer = "interchanges"
        value = { fn = "linear", best = 0, worst = 400 }
        weight = 3

        [criteria.zoning]
        kind = "overlap"
        layer = "plans"
        field = "use"
        classes = { J = 1.0, K = 0.5 }
        weight = 1

        [constraints.flood]
        layer = "flood"
        max_share = 0.0

        [profiles.cheap]
        weights = { zoning = 1 }
        """)


@pytest.fixture(scope="session")
def postgis_url():
    """A real PostGIS database for the session (tests/pg.py); PGPASSWORD is set as a user
    would set it."""
    import os

    from tests.pg import PASSWORD, postgis_server

    with postgis_server() as url:
        old = os.environ.get("PGPASSWORD")
        os.environ["PGPASSWORD"] = PASSWORD
        try:
            yield url
        finally:
            if old is None:
                os.environ.pop("PGPASSWORD", None)
            else:
                os.environ["PGPASSWORD"] = old


@pytest.fixture(autouse=True, scope="session")
def _private_cache(tmp_path_factory):
    """Web layers are cached in the session's own folder, never in the user's cache."""
    import os

    os.environ["GIS_TOOL_CACHE"] = str(tmp_path_factory.mktemp("web-cache"))
    yield


@pytest.fixture(autouse=True)
def _cli_logging_restored():
    """The CLI points gis-tool's logger at the stderr of its moment (a test's capture);
    put the logger back after each test, so that no later test logs into a closed stream."""
    import logging

    log = logging.getLogger("gis_tool")
    saved = (log.handlers[:], log.level, log.propagate)
    yield
    log.handlers[:], log.level, log.propagate = saved[0], saved[1], saved[2]
