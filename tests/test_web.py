"""OGC API Features in and out, against real pygeoapi servers on local ports."""

from __future__ import annotations

import gc
import http.server
import json
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from gis_tool import run_analysis
from gis_tool.cli import main
from gis_tool.products.serve import write_config


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=20) as r:
        return json.loads(r.read().decode("utf-8"))


@pytest.fixture(autouse=True)
def _collected():
    """Sockets of a server start-up poll are closed before the next test reads stderr."""
    yield
    gc.collect()


@contextmanager
def running(cmd: list[str], port: int, log: Path):
    with log.open("w") as f:
        proc = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT)
    try:
        for _ in range(150):
            try:
                get_json(f"http://127.0.0.1:{port}/collections?f=json")
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"the server stopped: {log.read_text()[-2000:]}")
                time.sleep(0.2)
        else:
            pytest.fail(f"the server did not answer: {log.read_text()[-2000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@contextmanager
def pygeoapi_for(layers: dict[str, gpd.GeoDataFrame], work: Path):
    """pygeoapi serving these layers (GeoJSON provider), in its own process."""
    port = free_port()
    cfg = write_config({n: (g, n, n) for n, g in layers.items()}, work, port=port)
    code = ("import sys; from pathlib import Path; from gis_tool.products.serve import run_server; "
            f"run_server(Path({str(cfg)!r}), host='127.0.0.1', port={port})")
    with running([sys.executable, "-c", code], port, work / "server.log") as url:
        yield url


def world_layers(small_world: Path) -> dict[str, gpd.GeoDataFrame]:
    gpkg = small_world.parent / "world.gpkg"
    return {n: pyogrio.read_dataframe(gpkg, layer=n) for n, _ in pyogrio.list_layers(gpkg)}


def test_layers_from_ogc_api_features_equal_the_files_and_are_cached(small_world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GIS_TOOL_CACHE", str(tmp_path / "cache"))
    with pygeoapi_for(world_layers(small_world), tmp_path / "srv") as url:
        text = small_world.read_text()
        for name in ("interchanges", "flood", "plans"):
            text = re.sub(rf'path = "world.gpkg"\n\s*layer = "{name}"', f'path = "{url}/collections/{name}"', text)
        assert text.count("/collections/") == 3
        web = tmp_path / "web.toml"
        web.write_text(text, encoding="utf-8")
        files, fromweb = run_analysis(small_world), run_analysis(web)
        cols = ["score", "rank", "eligible", "motorway_raw", "zoning_raw", "excluded_by"]
        pd.testing.assert_frame_equal(fromweb.sites[cols], files.sites[cols])
        out = tmp_path / "out"
        assert main(["-q", "run", str(web), "--out", str(out)]) == 0
        rec = json.loads((out / "run.json").read_text())["inputs"]["interchanges"]
        assert rec["path"] == f"{url}/collections/interchanges" and rec["fetched"] and rec["features_read"] == 1
    # the server is gone: the cache answers, the same rows and fetch time
    again = run_analysis(web)
    pd.testing.assert_frame_equal(again.sites[cols], files.sites[cols])
    assert again.reports["interchanges"].fetched == rec["fetched"]
    assert again.reports["interchanges"].sha256 == rec["sha256"]
    assert main(["run", str(web), "--out", str(tmp_path / "o2"), "--refresh"]) == 2
    err = capsys.readouterr().err
    assert f"{url}/collections/" in err and "fetching the collection failed" in err and "Traceback" not in err


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(500)
        self.end_headers()
        self.wfile.write(b"boom")

    def log_message(self, *args):
        pass


def test_a_server_error_and_a_timeout_are_exit_2_naming_the_url(small_world, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GIS_TOOL_CACHE", str(tmp_path / "cache"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Failing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)            # accepts, never answers
    import gis_tool.inputs.web as web

    monkeypatch.setattr(web, "TIMEOUT_S", 2)
    try:
        cases = ((f"http://127.0.0.1:{server.server_port}/collections/x", "500"),
                 (f"http://127.0.0.1:{silent.getsockname()[1]}/collections/x", "fetching the collection failed"))
        for url, says in cases:
            text = re.sub(r'path = "world.gpkg"\n\s*layer = "flood"', f'path = "{url}"', small_world.read_text())
            assert url in text
            bad = tmp_path / "bad.toml"
            bad.write_text(text, encoding="utf-8")
            assert main(["run", str(bad), "--out", str(tmp_path / "o")]) == 2
            err = capsys.readouterr().err
            assert url in err and says in err and "Traceback" not in err
            assert not (tmp_path / "o").exists()
    finally:
        server.shutdown()
        server.server_close()
        silent.close()


def test_serve_publishes_sites_supply_and_matches(tmp_path):
    """gis-tool serve on the demo's run and inquiry: the collections hold the outputs."""
    from gis_tool.inputs.demo import get_path

    out = tmp_path / "demo"
    assert main(["-q", "run", str(get_path("alingsas")), "--out", str(out), "--no-map"]) == 0
    inquiry = Path(__file__).resolve().parents[1] / "layers" / "inquiry_logistics.toml"
    assert main(["-q", "inquiry", str(inquiry), "--analysis", str(get_path("alingsas")),
                 "--out", str(out / "inquiry")]) == 0
    port = free_port()
    cmd = [sys.executable, "-m", "gis_tool.cli", "serve", str(out), "--port", str(port)]
    with running(cmd, port, tmp_path / "serve.log") as url:
        ids = {c["id"] for c in get_json(f"{url}/collections?f=json")["collections"]}
        assert ids == {"sites", "supply", "matches"}
        sites = pd.read_csv(out / "sites.csv")
        first = get_json(f"{url}/collections/sites/items?f=json&limit=5")
        assert first["numberMatched"] == len(sites)
        got = [f["properties"]["site_id"] for f in first["features"]]
        assert got == sites["site_id"].head(5).tolist()
        one = get_json(f"{url}/collections/sites/items/{urllib.request.quote(got[0])}?f=json")
        assert one["properties"]["score"] == pytest.approx(sites["score"].iloc[0])
        supply = get_json(f"{url}/collections/supply/items?f=json&limit=1")
        assert supply["numberMatched"] == int(sites["eligible"].sum())
        matches = pd.read_csv(out / "inquiry" / "matches.csv")
        assert get_json(f"{url}/collections/matches/items?f=json&limit=1")["numberMatched"] == len(matches)
        # and gis-tool reads its own service back through GDAL's OGC API driver, page by page
        from gis_tool.inputs.layers import read_layer

        back = read_layer(f"{url}/collections/sites", to_crs="EPSG:3006", name="sites").gdf
        assert len(back) == len(sites) > 1000      # many pages of pygeoapi's 100 items
        assert sorted(back["site_id"]) == sorted(sites["site_id"])
