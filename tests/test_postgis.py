"""Layers from a real PostGIS server (tests/pg.py), and what goes wrong with them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
import sqlalchemy

from gis_tool import run_analysis
from gis_tool.cli import main
from gis_tool.inputs.postgis import rows_sha256


def load_into(url: str, gpkg, schema: str = "public") -> None:
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name, _ in pyogrio.list_layers(gpkg):
            gdf = pyogrio.read_dataframe(gpkg, layer=name)
            gdf.rename_geometry("geom").to_postgis(name, conn, schema=schema, if_exists="replace", index=False)
    engine.dispose()


def as_postgis(toml: str, url: str, schema: str = "public") -> str:
    return re.sub(r'path = "world.gpkg"\n(\s*)layer = "(\w+)"',
                  lambda m: f'path = "{url}"\n{m.group(1)}table = "{schema}.{m.group(2)}"', toml)


def test_a_run_from_postgis_equals_the_run_from_the_geopackage(small_world, postgis_url, tmp_path):
    load_into(postgis_url, small_world.parent / "world.gpkg", schema="plan")
    db = tmp_path / "db.toml"
    db.write_text(as_postgis(small_world.read_text(), postgis_url, "plan"), encoding="utf-8")
    files, fromdb = run_analysis(small_world), run_analysis(db)
    cols = ["score", "rank", "eligible", "motorway_raw", "zoning_raw", "excluded_by"]
    pd.testing.assert_frame_equal(fromdb.sites[cols], files.sites[cols])
    out = tmp_path / "out"
    assert main(["-q", "run", str(db), "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    parcels = run["inputs"]["parcels"]
    assert parcels["path"] == postgis_url and parcels["layer"] == "plan.parcels"
    assert parcels["features_read"] == 3 and "gis-tool-test" not in (out / "run.json").read_text()
    again = run_analysis(db)
    assert again.reports["parcels"].sha256 == fromdb.reports["parcels"].sha256 == parcels["sha256"]
    # the hash is of the rows, not of where they are kept: the GeoPackage's rows hash the same
    same_rows = pyogrio.read_dataframe(small_world.parent / "world.gpkg", layer="parcels")
    assert parcels["sha256"] == rows_sha256(same_rows.rename_geometry("geom"))


def test_a_query_layer_with_a_filter(small_world, postgis_url, tmp_path):
    load_into(postgis_url, small_world.parent / "world.gpkg", schema="q")
    text = as_postgis(small_world.read_text(), postgis_url, "q").replace(
        'table = "q.plans"', 'sql = "SELECT use, geom FROM q.plans WHERE use LIKE \'J%\'"')
    db = tmp_path / "sql.toml"
    db.write_text(text, encoding="utf-8")
    res = run_analysis(db)
    assert res.reports["plans"].features_read == 1 and res.reports["plans"].sql.startswith("SELECT use")
    s = res.sites.set_index("site_id")
    assert s.loc["A", "zoning_raw"] == pytest.approx(1.0) and s.loc["B", "zoning_raw"] == 0


@pytest.mark.parametrize("change, says", [
    (lambda t, u: t.replace(u, u.replace("postgres@", "postgres:hunter2@")),
     "the URL holds a password; remove it and give it through PGPASSWORD or ~/.pgpass"),
    (lambda t, u: t.replace('table = "e.flood"', 'table = "e.floods"'),
     "no table 'e.floods' (did you mean 'e.flood'?)"),
    (lambda t, u: t.replace('field = "use"', 'field = "usage"'), "has no field 'usage'"),
    (lambda t, u: t.replace('table = "e.flood"', 'sql = "SELECT * FROM e.flood WHERE rp >"'),
     "the database refused the query (SyntaxError"),
    (lambda t, u: t.replace('table = "e.flood"', 'sql = "SELECT rp FROM e.flood"'), "returns no geometry column"),
])
def test_bad_postgis_input_is_exit_2_with_its_cause(small_world, postgis_url, tmp_path, capsys, change, says):
    load_into(postgis_url, small_world.parent / "world.gpkg", schema="e")
    bad = tmp_path / "bad.toml"
    bad.write_text(change(as_postgis(small_world.read_text(), postgis_url, "e"), postgis_url), encoding="utf-8")
    assert main(["run", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_a_wrong_password_is_exit_2(small_world, postgis_url, tmp_path, capsys, monkeypatch):
    load_into(postgis_url, small_world.parent / "world.gpkg", schema="w")
    db = tmp_path / "db.toml"
    db.write_text(as_postgis(small_world.read_text(), postgis_url, "w"), encoding="utf-8")
    monkeypatch.setenv("PGPASSWORD", "wrong")
    assert main(["run", str(db), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "cannot reach the database" in err and "password authentication failed" in err
    assert "wrong" not in err.replace("wrong password", "")


def _read_table(url: str, sql: str, geo: bool = False):
    import geopandas as gpd

    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            if geo:
                return gpd.read_postgis(sql, conn, geom_col="geom")
            return pd.read_sql(sql, conn)
    finally:
        engine.dispose()


def test_results_to_postgis_read_back_equal_and_styled(small_world, postgis_url, tmp_path):
    target = postgis_url + "?schema=results"
    files = tmp_path / "files"
    assert main(["-q", "run", str(small_world), "--out", target, "--files", str(files)]) == 0
    back = _read_table(postgis_url, "SELECT * FROM results.sites ORDER BY rank NULLS LAST, site_id", geo=True)
    gpkg = pyogrio.read_dataframe(files / "sites.gpkg", layer="sites")
    assert back["site_id"].tolist() == gpkg["site_id"].tolist()
    cols = [c for c in gpkg.columns if c != "geometry"]
    assert [c for c in back.columns if c != "geom"] == cols      # the same table, column for column
    pd.testing.assert_frame_equal(pd.DataFrame(back[cols]), pd.DataFrame(gpkg[cols]), check_dtype=False)
    assert back.geometry.geom_equals(gpkg.geometry).all()     # polygons stored as one-part multipolygons
    assert back.crs.to_epsg() == 3006
    meta = _read_table(postgis_url, """
        SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = 'results' AND tablename = 'sites'
                AND indexdef ILIKE '%%gist%%') AS spatial,
               (SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
                AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'results.sites'::regclass
                AND i.indisprimary) AS pk,
               (SELECT count(*) FROM results.runs) AS runs,
               (SELECT count(*) FROM public.layer_styles WHERE f_table_schema = 'results'
                AND f_table_name = 'sites' AND useasdefault) AS default_styles""")
    assert meta.iloc[0].to_dict() == {"spatial": 1, "pk": "site_id", "runs": 1, "default_styles": 1}
    run = _read_table(postgis_url, "SELECT run FROM results.runs")["run"][0]
    assert run["sites"]["candidates"] == 3 and run["outputs"]["postgis"] == target
    assert (files / "run.json").exists() and (files / "map.html").exists()


def test_an_existing_table_needs_overwrite_and_a_failed_run_keeps_it(small_world, postgis_url, tmp_path,
                                                                     capsys, monkeypatch):
    target = postgis_url + "?schema=keep"
    assert main(["-q", "run", str(small_world), "--out", target]) == 0
    assert main(["-q", "run", str(small_world), "--out", target]) == 2
    assert "table keep.sites exists" in capsys.readouterr().err
    before = _read_table(postgis_url, "SELECT * FROM keep.sites ORDER BY site_id")

    import gis_tool.publish.postgis_out as out_mod

    # a statement that fails inside the transaction, after the old table was dropped and the
    # new one written
    monkeypatch.setattr(out_mod, "LAYER_STYLES", "SELECT * FROM no_such_table_here")
    assert main(["-q", "run", str(small_world), "--out", target, "--overwrite", "--profile", "cheap"]) == 2
    err = capsys.readouterr().err
    assert "the database refused the query" in err and "no_such_table_here" in err
    after = _read_table(postgis_url, "SELECT * FROM keep.sites ORDER BY site_id")
    pd.testing.assert_frame_equal(after, before)
    assert _read_table(postgis_url, "SELECT count(*) AS n FROM keep.runs")["n"][0] == 1
    staging = _read_table(postgis_url, "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'keep'")
    assert staging["n"][0] == 2            # sites and runs, nothing left behind


def test_qgis_opens_the_postgis_output_styled(small_world, postgis_url, tmp_path):
    """QGIS's PostgreSQL provider (Debian's python3-qgis) opens s.sites with its default style."""
    import os
    import shutil
    import subprocess
    from urllib.parse import urlsplit

    from tests.pg import PASSWORD, unavailable

    python = shutil.which("python3", path="/usr/bin")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path)}
    if python is None or subprocess.run([python, "-c", "import qgis.core"], capture_output=True,
                                        env=env, timeout=60).returncode != 0:
        unavailable("QGIS's Python bindings are not installed (Debian: python3-qgis)")
    assert main(["-q", "run", str(small_world), "--out", postgis_url + "?schema=qgis"]) == 0
    u = urlsplit(postgis_url)
    probe = Path(__file__).with_name("qgis_probe.py")
    out = subprocess.run([python, str(probe), u.hostname, str(u.port), u.path.lstrip("/"), "qgis", PASSWORD],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.strip(), out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["valid"] and seen["count"] == 3 and seen["crs"] == "EPSG:3006"
    assert seen["style_loaded"] and seen["renderer"] == "RuleRenderer", seen   # the score classes
    assert seen["styles"][0] == "gis-tool score"


def test_a_server_that_drops_the_connection_is_exit_2(small_world, tmp_path, capsys):
    """A 'server' that accepts and hangs up at once, as one that stops mid-read does: the
    driver's error becomes exit 2 naming the database, with nothing written."""
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)

    def hang_up() -> None:
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.recv(1024)
            conn.close()

    threading.Thread(target=hang_up, daemon=True).start()
    url = f"postgresql://postgres@127.0.0.1:{srv.getsockname()[1]}/gis"
    try:
        db = tmp_path / "gone.toml"
        db.write_text(as_postgis(small_world.read_text(), url), encoding="utf-8")
        assert main(["run", str(db), "--out", str(tmp_path / "o")]) == 2
        err = capsys.readouterr().err
        assert "cannot reach the database" in err and url in err and "Traceback" not in err
        assert not (tmp_path / "o").exists()
    finally:
        srv.close()
