"""Criteria on a Dask cluster: for regions and countries, when one machine is not enough.

The sites are partitioned spatially (dask-geopandas' Hilbert-curve shuffle, so that
neighbouring sites share a partition and its spatial index stays small), the much smaller
infrastructure and constraint layers (and the road network's graph, built once) are
broadcast to every worker once, and each
partition's raw criterion values are computed by the same functions as on one machine.
Every criterion is a per-site measure, so the values equal the single-machine run.

``scheduler`` is ``"local"`` (a :class:`distributed.LocalCluster` on this machine, one
worker process per core) or the address of a running scheduler, ``"tcp://HOST:PORT"``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ..spec.analysis import CriterionSpec
from .kinds import kind_of
from .measures import measure_noted
from .network import Network, Reached

log = logging.getLogger(__name__)
SITES_PER_PARTITION = 50_000


def _dask() -> tuple[Any, Any]:
    try:
        import dask_geopandas
        import distributed
    except ImportError:
        raise InputError("--scheduler: needs Dask; install it with pip install 'gis-tool[dask]' "
                         "(dask, distributed, dask-geopandas)") from None
    return dask_geopandas, distributed


@contextmanager
def client_for(scheduler: str) -> Iterator[Any]:
    """A Dask client: a LocalCluster for ``"local"``, else the scheduler at the address."""
    _, distributed = _dask()
    if scheduler == "local":
        with distributed.LocalCluster(processes=True, threads_per_worker=1, dashboard_address=None,
                                      silence_logs=logging.ERROR) as cluster, \
                distributed.Client(cluster) as client:
            log.info("Dask LocalCluster with %d workers", len(cluster.workers))
            yield client
        return
    if not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        raise InputError(f"--scheduler: '{scheduler}' is neither 'local' nor an address such as "
                         "tcp://HOST:8786")
    try:
        client = distributed.Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise InputError(f"--scheduler: cannot reach the Dask scheduler at {scheduler} ({exc}); "
                         "start it (dask scheduler) or check the address") from None
    try:
        yield client
    finally:
        client.close()


def _measure_partition(part: gpd.GeoDataFrame, criteria: dict[str, CriterionSpec],
                       shared: dict[str, Any]) -> pd.DataFrame:
    out: dict[str, Any] = {}
    for name, spec in criteria.items():
        raw, reached = measure_noted(spec, part, shared["layers"], shared["network"])
        out[name] = raw
        if reached is not None:
            out[f"{name}__code"], out[f"{name}__metres"] = reached.code, reached.metres
    return pd.DataFrame(out, index=part.index)


def measure_on_cluster(criteria: dict[str, CriterionSpec], sites: gpd.GeoDataFrame,
                       layers: dict[str, gpd.GeoDataFrame], scheduler: str,
                       network: Network | None = None) -> dict[str, tuple[np.ndarray, Reached | None]]:
    """Raw values of every criterion for every site, computed on a Dask cluster.

    Returns
    -------
    dict
        Criterion name to (values in the order of ``sites``, and for a measure along the
        road network why some sites have none).
    """
    dask_geopandas, _ = _dask()
    needed = {s.layer for s in criteria.values() if s.layer}
    shared = {"layers": {k: v for k, v in layers.items() if k in needed}, "network": network}
    cols = [c for c in sites.columns if c != sites.geometry.name]
    frame = sites.reset_index(drop=False, names="__site__")[["__site__", *cols, sites.geometry.name]]
    nparts = max(1, min(64, -(-len(frame) // SITES_PER_PARTITION)))
    with client_for(scheduler) as client:
        dgdf = dask_geopandas.from_geopandas(frame, npartitions=nparts)
        if nparts > 1:
            dgdf = dgdf.spatial_shuffle(by="hilbert", npartitions=nparts)
        shared_f = client.scatter([shared], broadcast=True)[0]   # one object: layers and graph
        meta_cols: dict[str, pd.Series] = {}
        for n, s in criteria.items():   # in the order _measure_partition makes them
            meta_cols[n] = pd.Series(dtype=object if _categorical(s) else float)
            if kind_of(s).uses_network:
                meta_cols[f"{n}__code"], meta_cols[f"{n}__metres"] = pd.Series(dtype=int), pd.Series(dtype=float)
        meta = pd.DataFrame(meta_cols)
        meta["__site__"] = pd.Series(dtype=object)
        result = dgdf.map_partitions(_measure_with_ids, criteria, shared_f, meta=meta)
        df = client.compute(result).result()
    df = df.set_index("__site__")
    df.index = df.index.astype(sites.index.dtype) if len(df) else df.index
    df = df.loc[sites.index]
    out: dict[str, tuple[np.ndarray, Reached | None]] = {}
    for n in criteria:
        raw = df[n].to_numpy(dtype=object if _categorical(criteria[n]) else float)
        reached = None
        if f"{n}__code" in df.columns:
            reached = Reached(raw, df[f"{n}__code"].to_numpy(dtype=int), df[f"{n}__metres"].to_numpy(dtype=float))
        out[n] = (raw, reached)
    return out


def _measure_with_ids(part: gpd.GeoDataFrame, criteria: dict[str, CriterionSpec],
                      shared: dict[str, Any]) -> pd.DataFrame:
    geo = part.drop(columns="__site__").set_index(part["__site__"].to_numpy())
    out = _measure_partition(gpd.GeoDataFrame(geo, geometry=part.geometry.name, crs=part.crs),
                             criteria, shared)
    out["__site__"] = out.index.to_numpy()
    return out.reset_index(drop=True)


def _categorical(spec: CriterionSpec) -> bool:
    return spec.value is not None and spec.value.fn == "categorical"
