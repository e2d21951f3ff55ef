"""Layers from OGC API Features (and WFS 2) through GDAL's OAPIF and WFS drivers.

``path = "https://host/.../collections/ID"`` (or ``"WFS:https://host/wfs?typename=ns:layer"``).
GDAL pages through the collection; the request is limited to the study area's bounding box
when the analysis has one (DESIGN 3.14). Every answer is kept in a local cache keyed by
URL, bounding box and filter, so that a rerun is reproducible and works offline;
``--refresh`` fetches again. run.json records the URL, when it was fetched and a hash of
the rows. A server error or a timeout is exit 2 naming the URL and the cause.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio

from ..errors import InputError
from ..spec.urls import is_web
from .gdal_config import gdal_config
from .postgis import field_kinds, rows_sha256

TIMEOUT_S = 60


def cache_root() -> Path:
    """``$GIS_TOOL_CACHE``, else ``$XDG_CACHE_HOME/gis-tool``, else ``~/.cache/gis-tool``."""
    if os.environ.get("GIS_TOOL_CACHE"):
        return Path(os.environ["GIS_TOOL_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "gis-tool"


@dataclass
class WebSource:
    """One collection of a web service, read through the local cache."""

    url: str
    bbox: tuple[float, float, float, float] | None = None   # lon/lat (CRS84)
    refresh: bool = False
    fetched: str | None = None       # when the rows were fetched (UTC, ISO 8601)
    from_cache: bool = False
    encoding: str | None = None

    @classmethod
    def can_open(cls, path: str | Path) -> bool:
        return is_web(path)

    @classmethod
    def open(cls, path: str | Path, layer: str | None, encoding: str | None, *,
             bbox: tuple[float, float, float, float] | None = None, refresh: bool = False) -> WebSource:
        if layer is not None:
            raise InputError(f"{path}: a web collection is named by its URL; remove 'layer'")
        return cls(str(path), bbox, refresh)

    @property
    def layer(self) -> str | None:
        return None

    @property
    def place(self) -> str:
        return self.url

    @property
    def path(self) -> str:
        return self.url

    @property
    def stem(self) -> str:
        return self.url.rstrip("/").rsplit("/", 1)[-1] or "collection"

    @property
    def files(self) -> frozenset[Path]:
        return frozenset()

    def _gdal_name(self) -> str:
        return self.url if self.url.startswith("WFS:") else "OAPIF:" + self.url

    def _key(self, where: str | None) -> str:
        text = json.dumps([self.url, self.bbox, where])
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def read(self, where: str | None = None) -> tuple[gpd.GeoDataFrame, str]:
        folder = cache_root() / self._key(where)
        data, meta = folder / "data.gpkg", folder / "meta.json"
        if data.exists() and meta.exists() and not self.refresh:
            info = json.loads(meta.read_text(encoding="utf-8"))
            gdf = pyogrio.read_dataframe(data)
            self.fetched, self.from_cache = info["fetched"], True
            return gdf, info["sha256"]
        gdf = self._fetch(where)
        sha = rows_sha256(gdf)
        self.fetched, self.from_cache = datetime.now(UTC).isoformat(timespec="seconds"), False
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / "data.tmp.gpkg"
        tmp.unlink(missing_ok=True)
        gdf.to_file(tmp, driver="GPKG", engine="pyogrio")
        tmp.replace(data)
        meta.write_text(json.dumps({"url": self.url, "bbox": self.bbox, "where": where,
                                    "fetched": self.fetched, "sha256": sha, "rows": len(gdf)}), encoding="utf-8")
        return gdf, sha

    def _fetch(self, where: str | None) -> gpd.GeoDataFrame:
        kw: dict[str, Any] = {"where": where} if where else {}
        if self.bbox is not None:
            kw["bbox"] = self.bbox
        try:
            with gdal_config({"GDAL_HTTP_TIMEOUT": str(TIMEOUT_S), "GDAL_HTTP_MAX_RETRY": "1",
                              "GDAL_HTTP_RETRY_DELAY": "1"}), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)   # GDAL's "retrying" notes: the outcome counts
                return pyogrio.read_dataframe(self._gdal_name(), **kw)
        except Exception as exc:  # GDAL's errors: HTTP status, timeout, not a collection
            if type(exc).__module__.split(".")[0] != "pyogrio":
                raise
            why = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            raise InputError(f"{self.url}: fetching the collection failed ({why}); check the URL and that "
                             "the service answers, then run again") from None

    def fields(self) -> dict[str, str]:
        return field_kinds(self.read()[0])
