"""The ``[network]`` table: a routable road network built from a line layer (DESIGN 3.13).

Speeds come from a field, then from the road's class, then from a default, line by
line; ``oneway_field`` marks lines that may be driven only one way. Sites and features
connect to their nearest node at ``access_kmh`` up to ``max_snap_m`` metres.
``[network.rings]`` asks the map for isochrone rings around a layer's features.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

from .reader import Reader

NETWORK_KEYS = {"layer", "speed_kmh_field", "speed_by_class", "default_kmh", "oneway_field",
                "access_kmh", "max_snap_m", "rings", "no_access"}
_CLASS_KEYS = {"field", "values"}
_RING_KEYS = {"layer", "minutes"}
RINGS_LAYER = "isochrones"   # the computed layer of rings that maps and the pack draw
ACCESS_KMH = 20.0    # walking pace plus a little: the leg from a site to the road
MAX_SNAP_M = 500.0   # farther than this from any road: not on the network


@dataclass(frozen=True)
class RingsSpec:
    """Isochrone rings drawn around the features of ``layer``, at each of ``minutes``."""

    layer: str
    minutes: tuple[float, ...]


@dataclass(frozen=True)
class NetworkSpec:
    """How to route on a line layer.

    Attributes
    ----------
    layer
        The line layer (``[layers.NAME]``) holding the roads.
    speed_kmh_field
        A column of speeds in km/h (``Hastighetsgräns``, OSM ``maxspeed``); lines with no
        usable value fall back to their class, then to ``default_kmh``.
    class_field, class_kmh
        A column of road classes and the speed of each class (``speed_by_class``).
    default_kmh
        The speed of a line with neither; without it such a line is an error.
    oneway_field
        1 (or yes/true) = only in the digitised direction, -1 = only against it,
        0 or empty = both ways.
    access_kmh, max_snap_m
        Speed of the straight leg from a site or feature to its nearest node, and the
        longest such leg.
    no_access
        Classes (of ``speed_by_class.field``) that sites and features cannot join: a
        motorway is entered only where another road shares a vertex with it (its ramps).
    rings
        Isochrone rings for the map, or None.
    """

    layer: str
    speed_kmh_field: str | None = None
    class_field: str | None = None
    class_kmh: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    default_kmh: float | None = None
    oneway_field: str | None = None
    access_kmh: float = ACCESS_KMH
    max_snap_m: float = MAX_SNAP_M
    rings: RingsSpec | None = None
    no_access: tuple[str, ...] = ()

    def fields(self) -> set[str]:
        """The columns of the road layer the network reads."""
        return {f for f in (self.speed_kmh_field, self.class_field, self.oneway_field) if f}


def parse_network(r: Reader, data: dict) -> NetworkSpec | None:
    """Read ``[network]``; None when the file has none."""
    if not data:
        return None
    key = "network"
    r.keys(data, key, NETWORK_KEYS)
    layer = r.text(data, "layer", key)
    if "layer" not in data:
        r.err(key, "needs 'layer', the line layer holding the roads")
    cls = r.table(data.get("speed_by_class"), f"{key}.speed_by_class")
    r.keys(cls, f"{key}.speed_by_class", _CLASS_KEYS)
    class_kmh: dict[str, float] = {}
    if cls:
        if "field" not in cls or "values" not in cls:
            r.err(f"{key}.speed_by_class", "needs 'field' (the class column) and 'values' "
                                           "(km/h per class, e.g. { 1 = 110, 2 = 90 })")
        values = r.table(cls.get("values"), f"{key}.speed_by_class.values")
        for c in values:
            v = r.number(values, c, f"{key}.speed_by_class.values", positive=True, maximum=200)
            if v is not None:
                class_kmh[str(c)] = v
    speed_field = r.text(data, "speed_kmh_field", key)
    default = r.number(data, "default_kmh", key, positive=True, maximum=200)
    if speed_field is None and not cls and default is None:
        r.err(key, "needs a speed: 'speed_kmh_field', 'speed_by_class' or 'default_kmh'")
    rings = None
    rt = r.table(data.get("rings"), f"{key}.rings")
    if rt:
        r.keys(rt, f"{key}.rings", _RING_KEYS)
        minutes = rt.get("minutes", [5, 10, 15])
        if not isinstance(minutes, list) or not minutes or any(
                isinstance(m, bool) or not isinstance(m, (int, float)) or not 0 < m <= 600 for m in minutes):
            r.err(f"{key}.rings.minutes", f"must be a list of minutes above 0 (at most 600), e.g. "
                                          f"[5, 10, 15], not {minutes!r}")
            minutes = []
        ring_layer = r.text(rt, "layer", f"{key}.rings")
        if "layer" not in rt:
            r.err(f"{key}.rings", "needs 'layer', the features to draw rings around")
        if ring_layer and minutes:
            rings = RingsSpec(ring_layer, tuple(sorted({float(m) for m in minutes})))
    no_access = r.values(data, "no_access", key) or ()
    if no_access and not cls:
        r.err(f"{key}.no_access", "names road classes; it needs speed_by_class.field, the class column")
    access = r.number(data, "access_kmh", key, positive=True, maximum=200)
    snap = r.number(data, "max_snap_m", key, minimum=0)
    return NetworkSpec(
        layer=layer or "?", speed_kmh_field=speed_field,
        class_field=r.text(cls, "field", f"{key}.speed_by_class"),
        class_kmh=MappingProxyType(class_kmh), default_kmh=default,
        oneway_field=r.text(data, "oneway_field", key),
        access_kmh=ACCESS_KMH if access is None else access,
        max_snap_m=MAX_SNAP_M if snap is None else snap, rings=rings,
        no_access=tuple(str(v) for v in no_access),
    )
