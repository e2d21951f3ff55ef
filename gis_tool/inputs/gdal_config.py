"""GDAL configuration options set for a block of work and put back after it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pyogrio


@contextmanager
def gdal_config(options: dict[str, str]) -> Iterator[None]:
    """Set GDAL ``options`` (``{"GDAL_HTTP_TIMEOUT": "60"}``) inside the block only."""
    before = {k: pyogrio.get_gdal_config_option(k) for k in options}
    pyogrio.set_gdal_config_options(options)
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options(before)
