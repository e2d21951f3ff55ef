"""The compiled loops of a large run (engine.compiled) give the numbers of the code they
stand in for, to the last bit: GEOS's distances and clip.py's numpy areas."""

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from gis_tool.engine import clip, compiled
from gis_tool.engine.nearest import edges
from gis_tool.engine.site_arrays import site_rings

X0, Y0 = 320_000.0, 6_420_000.0   # SWEREF 99 TM: large coordinates, as in a real run


def _sites(rng, n):
    """Convex hulls, rotated rectangles, an L-shape, a square with a hole and a
    two-part site, spread over a few kilometres."""
    c = rng.uniform(0, 3000, (n, 2)) + (X0, Y0)
    hulls = shapely.convex_hull(shapely.multipoints(c[:, None, :] + rng.normal(0, 40, (n, 7, 2))))
    ell = Polygon([(0, 0), (60, 0), (60, 10), (10, 10), (10, 60), (0, 60)])
    holed = box(0, 0, 80, 80).difference(box(20, 20, 60, 60))
    multi = MultiPolygon([box(0, 0, 20, 20), box(200, 50, 230, 90)])
    odd = [shapely.affinity.translate(g, X0 + 500 * k, Y0 + 1500) for k, g in enumerate((ell, holed, multi))]
    return np.concatenate([hulls, odd])


def test_site_rings_mark_the_end_of_every_ring():
    holed = box(0, 0, 10, 10).difference(box(2, 2, 4, 4))          # 5 + 5 vertices
    multi = MultiPolygon([box(20, 0, 21, 1), box(30, 0, 31, 1)])     # 5 + 5
    sites = np.array([box(0, 0, 1, 1), None, Polygon(), holed, multi], dtype=object)
    xy, start, edge = site_rings(sites)
    np.testing.assert_array_equal(start, [0, 5, 5, 5, 15, 25])
    np.testing.assert_array_equal(xy, shapely.get_coordinates(sites))
    ends = np.flatnonzero(~edge)
    np.testing.assert_array_equal(ends, [4, 9, 14, 19, 24])


@pytest.mark.parametrize("seed", [1, 2])
def test_pair_distances_are_geos_distances_to_the_last_bit(seed):
    rng = np.random.default_rng(seed)
    sites = _sites(rng, 300)
    # segments of every direction and length (down to a point: equal ends), and points
    a = rng.uniform(-500, 3500, (400, 2)) + (X0, Y0)
    b = a + rng.normal(0, 150, (400, 2))
    b[:20] = a[:20]
    parts = np.concatenate([shapely.linestrings(np.stack([a, b], axis=1)),
                            shapely.points(rng.uniform(-500, 3500, (50, 2)) + (X0, Y0))])
    si, pi = np.divmod(np.arange(len(sites) * len(parts)), len(parts))
    apart = ~shapely.intersects(sites[si], parts[pi])          # the loop's precondition
    si, pi = si[apart], pi[apart]
    assert len(si) > 100_000
    ends = np.vstack([shapely.get_coordinates(parts[:-50]).reshape(-1, 4),
                      np.tile(shapely.get_coordinates(parts[-50:]), 2)])
    out = np.empty(len(si))
    xy, start, edge = site_rings(sites)
    compiled.pair_distances(xy, start, edge, si, ends, pi, out)
    np.testing.assert_array_equal(out, shapely.distance(sites[si], parts[pi]))


def test_pair_distances_to_a_layer_cut_into_parts():
    """As the nearest search asks: the parts of a long line (``edges``), near and far."""
    line = shapely.LineString([(X0, Y0), (X0 + 1000, Y0 + 30), (X0 + 1800, Y0 - 400)])
    parts, _ = edges(shapely.segmentize(np.array([line]), 250.0))
    sites = _sites(np.random.default_rng(3), 100)
    si, pi = np.divmod(np.arange(len(sites) * len(parts)), len(parts))
    apart = ~shapely.intersects(sites[si], parts[pi])
    si, pi = si[apart], pi[apart]
    ends = shapely.get_coordinates(parts).reshape(-1, 4)
    out = np.empty(len(si))
    compiled.pair_distances(*site_rings(sites), si, ends, pi, out)
    np.testing.assert_array_equal(out, shapely.distance(sites[si], parts[pi]))


def _star(rng, centre, n, r0, r1):
    """A star of ``n`` points: a concave ring that a line crosses many times."""
    ang = (np.arange(2 * n) + rng.uniform(0, 0.8, 2 * n)) * np.pi / n   # every gap below pi: simple
    rad = np.where(np.arange(2 * n) % 2 == 0, r1, r0)
    return Polygon(np.c_[centre[0] + rad * np.cos(ang), centre[1] + rad * np.sin(ang)])


@pytest.mark.parametrize("seed", [4, 5])
def test_clipped_areas_are_the_numpy_areas_to_the_last_bit(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    sites = _sites(rng, 200)
    convex = clip.convex_sites(sites)
    sites = sites[convex]
    centres = rng.uniform(0, 3000, (150, 2)) + (X0, Y0)
    pieces = [_star(rng, c, int(rng.integers(3, 60)), rng.uniform(1, 30), rng.uniform(50, 300)) for c in centres]
    pieces += [box(X0 + 500, Y0 + 500, X0 + 2500, Y0 + 2500).difference(_star(rng, (X0 + 1500, Y0 + 1500), 40,
                                                                              100, 600))]
    pieces += [MultiPolygon([_star(rng, (X0 + 1000, Y0 + 1000), 12, 50, 400),
                             _star(rng, (X0 + 2000, Y0 + 800), 30, 10, 200)])]
    pieces = np.array(pieces, dtype=object)
    si, pi = shapely.STRtree(sites).query(pieces)[::-1]
    prepared = clip._Prepared(sites, pieces)
    out = prepared.area_compiled(si, pi)
    np.testing.assert_array_equal(out, prepared.area(si, pi))
    np.testing.assert_allclose(out, shapely.area(shapely.intersection(sites[si], pieces[pi])),
                               rtol=1e-9, atol=1e-6)
    assert (out > 0).sum() > 100
    # and clipped_area takes the compiled loop from COMPILED_OVER pairs
    taken = []
    monkeypatch.setattr(clip._Prepared, "area_compiled", lambda self, s, p: taken.append(len(s)) or out[:len(s)])
    monkeypatch.setattr(clip, "COMPILED_OVER", len(si))
    clip.clipped_area(sites, pieces, si, pi)
    assert sum(taken) == len(si)
    monkeypatch.setattr(clip, "COMPILED_OVER", len(si) + 1)
    taken.clear()
    clip.clipped_area(sites, pieces, si, pi)
    assert not taken


@pytest.mark.parametrize("every", [False, True])
def test_settle_takes_the_same_pairs_and_leaves_the_same_sites_as_the_numpy_arrays(every):
    """The second pass of the nearest search, site by site: the same (site, part,
    distance) triples, in another order, and the same sites left for the next pass."""
    from gis_tool.engine.nearest import FeatureIndex, _kd_query
    from gis_tool.engine.site_arrays import anchors, site_bounds

    rng = np.random.default_rng(6)
    sites = _sites(rng, 400)
    a = rng.uniform(-500, 3500, (60, 2)) + (X0, Y0)
    lines = shapely.linestrings(np.stack([a, a + rng.normal(0, 900, (60, 2))], axis=1))
    index = FeatureIndex(lines)
    ends, half, kd = index._ends
    apart = np.flatnonzero(~shapely.intersects(sites[:, None], lines[None, :]).any(axis=1))
    pxy, radius = anchors(sites)
    dk, j = _kd_query(kd, pxy[apart], len(index.parts) if every else 8)
    beyond, boxes = np.ascontiguousarray(dk[:, -1]), site_bounds(sites)
    want = index._settle(sites, apart, beyond, j, boxes, pxy, radius, every)
    got = compiled.settle(*site_rings(sites), apart, beyond, j, boxes, pxy, radius, every, ends, half)
    key = [np.lexsort((p, s)) for s, p, _, _ in (want, got)]
    for w, g in zip(want[:3], got[:3], strict=True):
        np.testing.assert_array_equal(g[key[1]], w[key[0]])
    np.testing.assert_array_equal(got[3], want[3])
    assert len(got[0]) > len(apart) // 2 and (len(got[3]) > 0) != every


def test_best_keeps_the_nearest_and_the_lowest_feature_among_equals(monkeypatch):
    """compiled.best against nearest.py's numpy ``_best``, with many ties, pairs in any
    order, and distances already held that the pairs must beat."""
    from gis_tool.engine import nearest

    rng = np.random.default_rng(8)
    n = 500
    s = rng.integers(0, n, 20_000)
    f = rng.integers(0, 50, 20_000)
    d = rng.integers(0, 30, 20_000).astype(float)          # whole numbers: many exact ties
    held = np.where(rng.random(n) < 0.3, rng.integers(0, 30, n).astype(float), np.inf)
    feat0 = np.where(np.isfinite(held), rng.integers(0, 50, n), -1)
    got_d, got_f = held.copy(), feat0.copy()
    compiled.best(got_d, got_f, s, f, d)
    monkeypatch.setattr(nearest, "COMPILED_OVER", 10**12)
    want_d, want_f = held.copy(), feat0.copy()
    nearest._best(want_d, want_f, s, f, d)
    np.testing.assert_array_equal(got_d, want_d)
    np.testing.assert_array_equal(got_f, want_f)
    tied = (got_d == held) & np.isfinite(held)
    assert tied.any() and (got_f[tied] <= feat0[tied]).all()


def test_one_way_is_clip_one_way():
    rng = np.random.default_rng(12)
    c = rng.uniform(0, 3000, (300, 2)) + (X0, Y0)
    hulls = shapely.convex_hull(shapely.multipoints(c[:, None, :] + rng.normal(0, 40, (300, 9, 2))))
    stars = [_star(rng, p, int(rng.integers(3, 9)), 20, 60) for p in c[:100]]
    bent = shapely.polygons(c[:, None, :] + rng.normal(0, 30, (300, 6, 2)))   # some cross themselves
    geoms = np.concatenate([hulls, stars, bent])
    n = shapely.get_num_coordinates(geoms)
    start = np.zeros(len(geoms) + 1, np.int64)
    np.cumsum(n, out=start[1:])
    out = np.empty(len(geoms), bool)
    compiled.one_way(shapely.get_coordinates(geoms), start, out)
    np.testing.assert_array_equal(out, clip._one_way(geoms, n))
    assert out[:300].all() and not out[300:400].any()
