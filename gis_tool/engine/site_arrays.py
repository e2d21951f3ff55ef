"""What a run asks about its array of sites again and again, made once and kept.

Every nearest criterion wants the sites' boxes, anchors and radii (and, in a large run,
their vertices for the compiled exact distances); every overlap and constraint a tree of
the sites; the table's x/y and the map a point inside each. Each is made once per site
array (:class:`~gis_tool.engine.per_array.PerArray`) and kept for the next caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

from ..progress import gathered
from .per_array import PerArray

KEPT = 8              # answers kept about the run's site arrays (points inside, boxes, trees)
_kept = PerArray(KEPT)


def kept(sites: np.ndarray, what: str, make: Callable[[], Any]) -> Any:
    """``make()``, made once for the site array ``sites`` and kept for the run's other
    criteria and constraints, which are asked about the same array (:class:`PerArray`)."""
    return _kept.get(sites, what, make)


def sites_tree(sites: np.ndarray) -> shapely.STRtree:
    """An STRtree of the sites, made once per site array (:func:`kept`)."""
    return kept(sites, "tree", lambda: shapely.STRtree(sites))


def site_bounds(sites: np.ndarray) -> np.ndarray:
    """The sites' boxes (``shapely.bounds``), made once per site array (:func:`kept`)."""
    boxes: np.ndarray = kept(sites, "bounds", lambda: shapely.bounds(sites))
    return boxes


def anchors(sites: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The point each site is measured from in the nearest search (the centre of its
    box) as x/y, and the site's radius about it (its farthest vertex); NaN for a missing
    or empty site.

    Every point of a site lies within its radius of its anchor, so the distance from
    the anchor less the radius bounds the site's distance to anything from below, which
    is all the search asks of it: the anchor need not lie inside the site (the centre of
    the box costs a tenth of a point inside, which a million sites took 0.6 s to find).
    Made once per site array (:func:`kept`).
    """
    boxes = site_bounds(sites)
    xy, start, _ = site_rings(sites)

    def chunk(a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        box, count = boxes[a:b], np.diff(start[a:b + 1])
        pxy = (box[:, :2] + box[:, 2:]) / 2
        run = xy[start[a]:start[b]]
        dx, dy = run[:, 0] - np.repeat(pxy[:, 0], count), run[:, 1] - np.repeat(pxy[:, 1], count)
        radius = np.full(b - a, np.nan)
        has = count > 0
        if has.any():
            radius[has] = np.sqrt(np.maximum.reduceat(dx * dx + dy * dy, (np.cumsum(count) - count)[has]))
        return pxy, radius

    made: tuple[np.ndarray, np.ndarray] = kept(sites, "anchors", lambda: gathered(chunk, len(sites)))
    return made


def site_rings(sites: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every site's vertices as x/y, all its rings one after the other (``xy``); site
    ``i``'s run ``xy[start[i]:start[i + 1]]`` (none for a missing or empty site); and
    ``edge``, true where a vertex and the next are the ends of one of its edges (false at
    each ring's last vertex). Made once per site array (:func:`kept`), in chunks on
    threads."""
    def chunk(a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        geoms = sites[a:b]
        xy = shapely.get_coordinates(geoms)          # each site's vertices in one run
        count = shapely.get_num_coordinates(geoms)
        before = np.cumsum(count) - count
        edge = np.ones(len(xy), bool)
        edge[(before + count - 1)[count > 0]] = False
        # sites of more than one ring (holes, several parts): the end of each ring
        odd = np.flatnonzero((count > 0) & ((shapely.get_type_id(geoms) != 3)
                                            | (shapely.get_num_interior_rings(geoms) > 0)))
        if len(odd):
            parts, part_of = shapely.get_parts(geoms[odd], return_index=True)
            rings, ring_of = shapely.get_rings(parts, return_index=True)
            site = odd[part_of[ring_of]]
            lens = shapely.get_num_coordinates(rings)
            upto = np.cumsum(lens)
            first = np.searchsorted(site, site)          # each site's first ring
            edge[before[site] + upto - (upto - lens)[first] - 1] = False
        return xy, count, edge

    def make() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        xy, count, edge = gathered(chunk, len(sites))
        start = np.zeros(len(sites) + 1, np.int64)
        np.cumsum(count, out=start[1:])
        return xy, start, edge

    made: tuple[np.ndarray, np.ndarray, np.ndarray] = kept(sites, "rings", make)
    return made


def inner_points(sites: np.ndarray) -> np.ndarray:
    """A point inside each site (``shapely.point_on_surface``) as x/y; NaN for a missing
    or empty site. Made once per site array (:func:`kept`): the table's x/y and the map
    ask for the same one."""
    made: np.ndarray = kept(sites, "inner", lambda: gathered(lambda a, b: (_inside(sites[a:b]),), len(sites))[0])
    return made


def _inside(sites: np.ndarray) -> np.ndarray:
    inner = shapely.point_on_surface(sites)
    pxy = np.full((len(sites), 2), np.nan)
    at_xy, at = shapely.get_coordinates(inner, return_index=True)   # none for an empty site
    pxy[at] = at_xy
    return pxy


def inner_points_aside(sites: np.ndarray) -> Callable[[], None]:
    """Begin :func:`inner_points` of ``sites`` on a thread of its own (one core, no
    progress reported); the function returned waits for them and keeps them. For a large
    run, whose scoring leaves a core mostly idle: a million sites' points (1.8 s) are made
    there, not beside the GeoPackage by the writer of sites.csv. A daemon thread: a run
    that fails meanwhile does not wait for it."""
    if _kept.seen(sites, "inner") is not None:
        return lambda: None
    made: list[np.ndarray] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            made.append(_inside(sites))
        except BaseException as exc:   # raised where the points are waited for
            failed.append(exc)

    thread = threading.Thread(target=work, name="points inside the sites", daemon=True)
    thread.start()

    def wait() -> None:
        thread.join()
        if failed:
            raise failed[0]
        _kept.put(sites, "inner", made[0])

    return wait


def share_inner(source: np.ndarray, order: np.ndarray, target: np.ndarray) -> None:
    """``target`` is ``source[order]``: it gets the points inside already made for
    ``source``, if any (the run's table of sites, best first, for its x/y columns)."""
    seen = _kept.seen(source, "inner")
    if seen is not None:
        _kept.put(target, "inner", seen[order])
