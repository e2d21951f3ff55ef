"""``gis-tool serve DIR``: a run's outputs as OGC API Features collections, through pygeoapi.

Collections: ``sites`` (every candidate site, best first), ``supply`` (the eligible sites
with their readiness level: the land supply) and, for each inquiry answered into a
folder under DIR (or DIR itself), ``matches`` (``matches-<folder>`` when there are
several). A municipality's web map and the region's site portal read them as any OGC API
Features service (QGIS: Layer > Add Layer > Add WFS / OGC API - Features Layer). The
layers are exported to GeoJSON in CRS84 (pygeoapi's GeoJSON provider) in a folder of
their own, and a pygeoapi configuration and OpenAPI document are written beside them.
Needs the ``serve`` extra: ``pip install 'gis-tool[serve]'``.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from ..errors import InputError

log = logging.getLogger(__name__)
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def _sites(folder: Path) -> gpd.GeoDataFrame | None:
    if (folder / "sites.gpkg").exists():
        return pyogrio.read_dataframe(folder / "sites.gpkg", layer="sites")
    if (folder / "sites.parquet").exists():
        return gpd.read_parquet(folder / "sites.parquet")
    return None


def collections(out_dir: Path) -> dict[str, tuple[gpd.GeoDataFrame, str, str]]:
    """Name to (features, title, description) of what DIR holds."""
    sites = _sites(out_dir)
    found: dict[str, tuple[gpd.GeoDataFrame, str, str]] = {}
    if sites is not None:
        found["sites"] = (sites, "Kandidatplatser / Candidate sites",
                          "Every candidate site with its score, rank and criteria, best first")
        if "readiness_level" in sites.columns:
            supply = sites[sites["eligible"].astype(bool)]
            found["supply"] = (supply, "Markreserv / Land supply",
                               "The eligible sites with their readiness level (markberedskap)")
    inquiries = sorted(p.parent for p in [out_dir / "matches.gpkg", *out_dir.glob("*/matches.gpkg")] if p.exists())
    for folder in inquiries:
        name = "matches" if len(inquiries) == 1 else f"matches-{folder.name}"
        found[name] = (pyogrio.read_dataframe(folder / "matches.gpkg"), f"Matchningar / Matches ({folder.name})",
                       "The sites that meet an investor's request, best first")
    if not found:
        raise InputError(f"{out_dir}: holds no sites.gpkg, sites.parquet or matches.gpkg; give the --out "
                         "folder of a gis-tool run or inquiry")
    return found


def write_config(found: dict[str, tuple[gpd.GeoDataFrame, str, str]], work: str | Path, *,
                 host: str = "127.0.0.1", port: int = 5000, title: str = "gis-tool") -> Path:
    """Export the collections (name to features, title, description) and write a pygeoapi
    configuration into ``work``; returns its path."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    resources: dict[str, Any] = {}
    for name, (gdf, ctitle, desc) in found.items():
        g = gdf.to_crs(4326) if gdf.crs is not None else gdf
        g = g.reset_index(drop=True)
        if "site_id" not in g.columns:
            g.insert(0, "site_id", [str(i) for i in range(len(g))])
        path = work / f"{name}.geojson"
        path.write_text(g.to_json(drop_id=True, na="null"), encoding="utf-8")
        b = [float(v) for v in g.total_bounds] if len(g) else [-180.0, -90.0, 180.0, 90.0]
        resources[name] = {
            "type": "collection", "title": ctitle, "description": desc, "keywords": ["markberedskap", "gis-tool"],
            "extents": {"spatial": {"bbox": b, "crs": CRS84}},
            "providers": [{"type": "feature", "name": "GeoJSON", "data": str(path), "id_field": "site_id"}],
        }
    url = f"http://{host}:{port}"
    cfg = {
        "server": {"bind": {"host": host, "port": port}, "url": url,
                   "mimetype": "application/json; charset=UTF-8", "encoding": "utf-8",
                   "languages": ["sv-SE", "en-US"], "limits": {"default_items": 100, "max_items": 10000},
                   "map": {"url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                           "attribution": "OpenStreetMap contributors"}},
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {"title": title,
                               "description": "Sites for business establishment (markberedskap) from gis-tool",
                               "keywords": ["markberedskap", "verksamhetsmark"], "keywords_type": "theme",
                               "terms_of_service": "", "url": url},
            "license": {"name": "CC-BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"},
            "provider": {"name": "gis-tool", "url": url},
            "contact": {"name": "gis-tool", "position": "", "address": "", "city": "", "stateorprovince": "",
                        "postalcode": "", "country": "Sverige", "phone": "", "fax": "", "email": "",
                        "url": url, "hours": "", "instructions": "", "role": "pointOfContact"}},
        "resources": resources,
    }
    path = work / "pygeoapi-config.json"   # JSON is YAML: pygeoapi reads it as such
    path.write_text(json.dumps(cfg, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def serve(out_dir: str | Path, work: str | Path, *, host: str = "127.0.0.1", port: int = 5000) -> None:
    """Serve DIR until interrupted (pygeoapi's Flask application)."""
    found = collections(Path(out_dir))
    cfg_path = write_config(found, work, host=host, port=port, title=f"gis-tool: {Path(out_dir).resolve().name}")
    log.info("serving %s at http://%s:%d/collections (Ctrl+C stops)", out_dir, host, port)
    run_server(cfg_path, host=host, port=port)


def run_server(cfg_path: Path, *, host: str, port: int) -> None:
    """Run pygeoapi on a configuration written by :func:`write_config`, until interrupted."""
    try:
        from pygeoapi.openapi import get_oas
        from pygeoapi.util import yaml_load
    except ImportError:
        raise InputError("serve: needs pygeoapi; install it with pip install 'gis-tool[serve]'") from None
    with cfg_path.open(encoding="utf-8") as f:
        cfg = yaml_load(f)
    oas = cfg_path.parent / "openapi.json"
    oas.write_text(json.dumps(get_oas(cfg)), encoding="utf-8")
    os.environ["PYGEOAPI_CONFIG"], os.environ["PYGEOAPI_OPENAPI"] = str(cfg_path), str(oas)
    from pygeoapi.flask_app import APP  # reads the configuration when imported

    APP.run(host=host, port=port, debug=False, use_reloader=False)
