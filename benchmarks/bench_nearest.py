"""Nearest distances to line layers on three kinds of municipality, three methods side by side.

    python benchmarks/bench_nearest.py [N ...]      (default 100000)

For the roads and the water mains of each synthetic character (``synthetic.py``: dense,
average, sparse), from layers in memory, each timed with its spatial index built:

- **gis-tool** (``FeatureIndex.nearest``): the sites that touch a part first, then the
  listed parts (a k-d tree of the parts' midpoints lists the nearest few; the site's
  exact distance to the one nearest its inner point bounds which can be nearer), then,
  for any sites those leave, the quicker of the two methods below as timed on a sample.
- **bound** (gis-tool before this change): after the touching sites, a point inside
  each site and its radius bound the search; an R-tree query finds the parts within the
  bound, exact distances only for those.
- **search**: GEOS's nearest search for the sites that do not touch.
- **geopandas**: ``sjoin_nearest`` with ``distance_col``, the idiomatic way.

Each time includes the spatial index and the points inside the sites (in a run these
are made once and shared by every nearest criterion).
All are checked equal (to 1e-6 m) before a row is printed; each row says the share of
sites that touch the layer.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.synthetic import CHARACTERS, write_synthetic  # noqa: E402
from gis_tool.engine import criteria as crit  # noqa: E402
from gis_tool.engine import site_arrays  # noqa: E402

DATA = Path(__file__).resolve().parent / ".data"


def geopandas_nearest(sites: gpd.GeoDataFrame, feats: gpd.GeoDataFrame) -> np.ndarray:
    j = gpd.sjoin_nearest(sites[["geometry"]], feats[["geometry"]], distance_col="d")
    return j.groupby(level=0)["d"].min().reindex(sites.index).to_numpy()


def timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def main(sizes: list[int]) -> None:
    DATA.mkdir(exist_ok=True)
    print("| character | sites | layer | sites touching | left by the listed parts | gis-tool (s) | "
          "bound, before (s) | search (s) | geopandas (s) | vs before | vs geopandas |")
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    for n in sizes:
        for character in CHARACTERS:
            gpkg = write_synthetic(DATA, n, character).with_suffix(".gpkg")
            parcels = pyogrio.read_dataframe(gpkg, layer="parcels", use_arrow=True)
            sites = parcels.geometry.to_numpy()
            for layer in ("roads", "water_mains"):
                feats = pyogrio.read_dataframe(gpkg, layer=layer, use_arrow=True)
                g = feats.geometry.to_numpy()
                def ours(s, f, method=None):
                    site_arrays._kept.clear()    # each time includes the inner points
                    return crit.FeatureIndex(f).nearest(s, method=method)

                (new, _), t_new = timed(ours, sites, g)
                index = crit.FeatureIndex(g)
                apart = np.flatnonzero(new > 0)
                left = len(index._listed(sites, apart)[3]) / max(1, len(apart))
                (bnd, _), t_bnd = timed(lambda s, f: ours(s, f, "bound"), sites, g)
                (old, _), t_old = timed(lambda s, f: ours(s, f, "search"), sites, g)
                gp, t_gp = timed(geopandas_nearest, parcels, feats)
                for other in (bnd, old, gp):
                    np.testing.assert_allclose(new, other, atol=1e-6)
                print(f"| {character} | {len(sites):,} | {layer} | {(new == 0).mean():.0%} | {left:.1%} | "
                      f"{t_new:.2f} | {t_bnd:.2f} | {t_old:.2f} | {t_gp:.2f} | {t_bnd / t_new:.1f}x | "
                      f"{t_gp / t_new:.1f}x |", flush=True)

if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000])
