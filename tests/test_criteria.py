"""Criteria: raw measures checked by hand and against brute-force shapely."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import LineString, Point, Polygon, box

from gis_tool import progress as progress_mod
from gis_tool.engine import criteria as crit
from gis_tool.engine import nearest as nearest_mod
from gis_tool.engine import site_arrays


def arr(*g):
    return np.array(g, dtype=object)


@pytest.fixture(params=["geos", "compiled"])
def exact(request, monkeypatch):
    """The nearest search's exact distances from GEOS, or from the compiled loop that a
    large run uses (``COMPILED_OVER``): the tests that take this run with both."""
    monkeypatch.setattr(nearest_mod, "COMPILED_OVER", 0 if request.param == "compiled" else 10**12)
    return request.param


def test_distance_touching_is_zero_and_point_distance():
    sites = arr(box(0, 0, 10, 10), box(20, 0, 30, 10))
    feats = arr(Point(10, 5))  # on the first site's edge
    np.testing.assert_allclose(crit.distance_to(sites, feats), [0.0, 10.0])


def test_distance_inside_polygon_feature_is_zero():
    sites = arr(box(2, 2, 3, 3), box(20, 0, 21, 1))
    feats = arr(box(0, 0, 10, 10))
    np.testing.assert_allclose(crit.distance_to(sites, feats), [0.0, 10.0])


def test_distance_long_line_split_into_segments_is_exact(exact):
    line = LineString([(0, 100), (10000, 100)])  # 10 km line, cut into 250 m segments
    sites = arr(box(5000, 0, 5010, 10), box(-50, 0, -40, 10))
    d = crit.distance_to(sites, arr(line))
    assert d[0] == pytest.approx(90.0)
    assert d[1] == pytest.approx(np.hypot(40, 90))


def test_distance_matches_brute_force(exact):
    rng = np.random.default_rng(7)
    sites = shapely.box(*rng.uniform(0, 1000, (200, 2)).T, *(rng.uniform(0, 1000, (200, 2)).T + 15))
    lines = shapely.linestrings(rng.uniform(0, 1000, (30, 4, 2)))
    pts = shapely.points(rng.uniform(0, 1000, (20, 2)))
    feats = np.concatenate([lines, pts])
    brute = shapely.distance(sites[:, None], feats[None, :]).min(axis=1)
    np.testing.assert_allclose(crit.distance_to(sites, feats), brute, atol=1e-9)


def test_overlap_share_counts_overlapping_features_once():
    site = arr(box(0, 0, 10, 10))
    feats = arr(box(0, 0, 6, 10), box(4, 0, 8, 10))  # union covers x 0..8 = 80 %
    assert crit.overlap_share(site, feats)[0] == pytest.approx(0.8)


def test_overlap_classes_best_class_wins_no_double_count():
    site = arr(box(0, 0, 10, 10))
    feats = arr(box(0, 0, 6, 10), box(4, 0, 10, 10))
    # J (1.0) covers 0..6; K (0.5) covers 4..10; the 4..6 overlap counts once, as J.
    v = crit.overlap_share(site, feats, {"J": 1.0, "K": 0.5}, pd.Series(["J", "K"]))
    assert v[0] == pytest.approx(0.6 * 1.0 + 0.4 * 0.5)


def test_overlap_unlisted_class_scores_zero():
    site = arr(box(0, 0, 10, 10))
    v = crit.overlap_share(site, arr(box(0, 0, 5, 10)), {"J": 1.0}, pd.Series(["B"]))
    assert v[0] == 0.0


def test_overlap_multipolygon_site_and_hole():
    multi = shapely.multipolygons([box(0, 0, 10, 10), box(20, 0, 30, 10)])  # 200 m2
    holed = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], [[(2, 2), (8, 2), (8, 8), (2, 8)]])  # 64 m2
    feats = arr(box(0, 0, 25, 10))
    v = crit.overlap_share(arr(multi, holed), feats)
    assert v[0] == pytest.approx(150 / 200)
    assert v[1] == pytest.approx(1.0)
    half = crit.overlap_share(arr(holed), arr(box(0, 0, 5, 10)))[0]
    assert half == pytest.approx((50 - 3 * 6) / 64)


def test_covered_area_matches_brute_force_union():
    rng = np.random.default_rng(3)
    c = rng.uniform(0, 3000, (150, 2))
    sites = shapely.box(c[:, 0], c[:, 1], c[:, 0] + 120, c[:, 1] + 80)
    f = rng.uniform(0, 3000, (40, 2))
    feats = shapely.buffer(shapely.points(f), rng.uniform(50, 400, 40))
    union = shapely.union_all(feats)
    brute = shapely.area(shapely.intersection(sites, union))
    np.testing.assert_allclose(crit.covered_area(sites, feats), brute, rtol=1e-9, atol=1e-6)



def test_covered_area_sites_on_edges_in_holes_and_around_islands():
    """Sites that share an edge with the union (covered, not crossing), lie in a hole of
    it, hold a whole island of it, or have parts on both sides, against brute force."""
    ring = Polygon([(0, 0), (100, 0), (100, 100), (0, 100)], [[(30, 30), (70, 30), (70, 70), (30, 70)]])
    island = box(200, 200, 210, 210)
    feats = arr(ring, island, box(100, 0, 150, 50))        # the last shares the ring's edge
    sites = arr(
        box(0, 0, 10, 10),                  # in a corner, two edges on the union's edge
        box(40, 40, 60, 60),                # in the hole
        box(30, 30, 70, 70),                # fills the hole exactly: touches, no area
        box(190, 190, 220, 220),            # holds the island whole
        box(90, 10, 110, 20),               # across the shared edge: wholly covered
        box(140, 40, 160, 60),              # crosses the edge
        shapely.multipolygons([box(40, 40, 50, 50), box(0, 0, 5, 5)]),   # one part in the hole
        box(500, 500, 510, 510),            # far outside
        Polygon([(1, 1), (20, 1), (20, 20), (1, 20)], [[(5, 5), (10, 5), (10, 10), (5, 10)]]),
        box(10, 80, 20, 90),                # inside, its box clear of every edge's box
        shapely.multipolygons([box(10, 80, 15, 85), box(80, 80, 85, 85)]),   # both parts so
        shapely.multipolygons([box(10, 80, 15, 85), box(120, 80, 125, 85)]),  # one inside, one out
    )
    brute = shapely.area(shapely.intersection(sites, shapely.union_all(feats)))
    got = crit.covered_area(sites, feats)
    np.testing.assert_allclose(got, brute, rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(got, [100, 0, 0, 100, 200, 100, 25, 0, 361 - 25, 100, 50, 25])

@pytest.mark.parametrize("compiled", [False, True])
def test_covered_area_of_sites_beside_the_union_is_exactly_zero(monkeypatch, compiled):
    """Sites near a slanted edge, whose boxes meet the edge's box but which lie outside
    the union or only touch it, cover exactly nothing (their clipped rings run along a
    line: zero but for the last bits); those across it, what GEOS says."""
    from gis_tool.engine import clip

    monkeypatch.setattr(clip, "COMPILED_OVER", 0 if compiled else 10**12)
    x0, y0 = 320_000.0, 6_420_000.0
    zone = Polygon([(x0, y0), (x0 + 1000, y0 + 700), (x0 + 1000, y0), (x0, y0)])    # below a slanted edge
    t = np.linspace(0.05, 0.95, 40)
    ex, ey = x0 + 1000 * t, y0 + 700 * t                 # points on the slanted edge
    beside = shapely.box(ex - 12, ey + 9, ex - 2, ey + 19)                  # above it, boxes meeting
    touching = shapely.polygons(np.stack([np.c_[ex, ey], np.c_[ex - 20, ey], np.c_[ex - 20, ey + 20],
                                          np.c_[ex, ey]], axis=1))            # one corner on the edge
    across = shapely.box(ex - 5, ey - 5, ex + 5, ey + 5)
    sites = np.concatenate([beside, touching, across])
    got = crit.covered_area(sites, arr(zone))
    assert (got[:80] == 0.0).all()
    np.testing.assert_allclose(got[80:], shapely.area(shapely.intersection(across, zone)), rtol=1e-9)
    assert (got[80:] > 0).all()


def test_count_within_radius_inclusive():
    site = arr(box(0, 0, 10, 10))
    feats = arr(Point(15, 5), Point(20, 5), Point(20.01, 5), box(2, 2, 3, 3))
    assert crit.count_within(site, feats, 10.0)[0] == 3.0


def test_nearest_attribute():
    sites = arr(box(0, 0, 10, 10), box(100, 0, 110, 10))
    feats = arr(Point(-5, 5), Point(120, 5))
    vals, dist = crit.nearest_attribute(sites, feats, pd.Series([4.0, 18.0]))
    np.testing.assert_allclose(vals, [4.0, 18.0])
    np.testing.assert_allclose(dist, [5.0, 10.0])


def test_nearest_attribute_null_value_is_missing():
    vals, _ = crit.nearest_attribute(arr(box(0, 0, 1, 1)), arr(Point(2, 2)), pd.Series([None]))
    assert np.isnan(vals[0])


def test_area_and_compactness():
    sq, rect = box(0, 0, 100, 100), box(0, 0, 400, 25)
    np.testing.assert_allclose(crit.site_area(arr(sq, rect)), [10000, 10000])
    c = crit.compactness(arr(sq, rect))
    assert c[0] == pytest.approx(np.pi / 4)
    assert c[1] == pytest.approx(4 * np.pi * 10000 / 850 ** 2)


def test_threaded_chunks_give_the_same_answers(monkeypatch):
    rng = np.random.default_rng(11)
    c = rng.uniform(0, 3000, (400, 2))
    sites = shapely.box(c[:, 0], c[:, 1], c[:, 0] + 40, c[:, 1] + 30)
    lines = shapely.linestrings(rng.uniform(0, 3000, (10, 5, 2)))
    zones = shapely.buffer(shapely.points(rng.uniform(0, 3000, (20, 2))), 300)
    monkeypatch.setattr(progress_mod, "MIN_CHUNK", 50)
    monkeypatch.setattr(progress_mod, "THREADS", 4)
    np.testing.assert_allclose(crit.distance_to(sites, lines),
                               shapely.distance(sites[:, None], lines[None, :]).min(axis=1), atol=1e-9)
    np.testing.assert_allclose(crit.covered_area(sites, zones),
                               shapely.area(shapely.intersection(sites, shapely.union_all(zones))),
                               rtol=1e-9, atol=1e-6)
    within = shapely.distance(sites[:, None], lines[None, :]) <= 150.0
    assert within.any(axis=1).sum() > 50
    np.testing.assert_array_equal(crit.count_within(sites, lines, 150.0), within.sum(axis=1))


def test_nearest_two_passes_match_brute_force_and_break_ties_by_feature_order(monkeypatch, exact):
    """Touching sites (first pass) and the rest (nearest search) against every feature,
    with polygon features (inside = 0) and many small chunks on several threads."""
    rng = np.random.default_rng(5)
    c = rng.uniform(0, 2000, (600, 2))
    sites = shapely.box(c[:, 0], c[:, 1], c[:, 0] + 60, c[:, 1] + 40)
    lines = shapely.linestrings(rng.uniform(0, 2000, (25, 6, 2)))        # dense: many touch
    zones = shapely.buffer(shapely.points(rng.uniform(0, 2000, (8, 2))), 150)
    feats = np.concatenate([lines, zones])
    monkeypatch.setattr(progress_mod, "MIN_CHUNK", 40)
    monkeypatch.setattr(progress_mod, "CHUNK", 37)
    monkeypatch.setattr(progress_mod, "THREADS", 3)
    dist, feat = crit.FeatureIndex(feats).nearest(sites)
    all_d = shapely.distance(sites[:, None], feats[None, :])
    np.testing.assert_allclose(dist, all_d.min(axis=1), atol=1e-9)
    assert (dist == 0).sum() > 100 and (dist > 0).sum() > 100      # both passes are exercised
    # the feature reported is the lowest-numbered one at the smallest distance
    np.testing.assert_array_equal(feat, np.argmax(np.isclose(all_d, all_d.min(axis=1)[:, None],
                                                             rtol=0, atol=1e-9), axis=1))
    # ties: a site touching two lines takes the first line's attribute
    site = arr(box(0, 0, 10, 10))
    two = arr(LineString([(5, -5), (5, 15)]), LineString([(-5, 5), (15, 5)]))
    vals, d = crit.nearest_attribute(site, two, pd.Series(["first", "second"]))
    assert vals[0] == "first" and d[0] == 0.0
    vals, _ = crit.nearest_attribute(site, two[::-1].copy(), pd.Series(["second", "first"]))
    assert vals[0] == "second"


def test_overlap_classes_site_wholly_in_the_best_class_skips_the_rest():
    sites = arr(box(0, 0, 10, 10), box(20, 0, 30, 10))
    # the first site lies wholly in J (and in K too); the second is half J, half K
    feats = arr(box(-5, -5, 15, 15), box(-5, -5, 40, 15), box(20, 0, 25, 10))
    v = crit.overlap_share(sites, feats, {"J": 1.0, "K": 0.5}, pd.Series(["J", "K", "J"]))
    np.testing.assert_allclose(v, [1.0, 0.5 * 1.0 + 0.5 * 0.5])


def test_overlap_classes_match_cumulative_unions_on_random_zones():
    """Three class levels of overlapping zones and zones that share edges, on a grid of
    sites: each site's share equals the sum over levels of the level's score times the
    growth of the area covered at that level or better (a union per site and level)."""
    rng = np.random.default_rng(7)
    c = rng.uniform(0, 1000, (60, 2))
    zones = list(shapely.buffer(shapely.points(c), rng.uniform(20, 150, 60), quad_segs=4))
    zones += [box(1300, 300, 1500, 400), box(1500, 300, 1700, 400)]    # a shared edge at x=1500
    zones = np.array(zones, dtype=object)
    labels = pd.Series(list(rng.choice(["J", "K", "H", "B"], 60)) + ["J", "H"])
    classes = {"J": 1.0, "K": 0.6, "H": 0.25}
    x, y = np.meshgrid(np.arange(0, 1000, 37.0), np.arange(0, 1000, 41.0))
    sites = shapely.box(x.ravel(), y.ravel(), x.ravel() + 30, y.ravel() + 30)
    sites = np.concatenate([sites, arr(box(1480, 320, 1520, 380))])    # across the shared edge
    got = crit.overlap_share(sites, zones, classes, labels)
    score = labels.map(classes).fillna(0).to_numpy()
    want = np.zeros(len(sites))
    before = np.zeros(len(sites))
    for level in sorted(set(classes.values()), reverse=True):
        cum = shapely.union_all(zones[score >= level])
        now = shapely.area(shapely.intersection(sites, cum)) / shapely.area(sites)
        want += level * (now - before)
        before = now
    np.testing.assert_allclose(got, want, atol=1e-9)
    assert got[-1] == pytest.approx(0.5 * 1.0 + 0.5 * 0.25)
    assert (got > 0).sum() > 50 and (got < 1).sum() > 50


@pytest.mark.parametrize("by_cell", [False, True])
@pytest.mark.parametrize("character", ["dense", "sparse", "far"])
def test_bounded_nearest_equals_brute_force_on_every_kind_of_data(monkeypatch, exact, character, by_cell):
    """Sites that touch, nearly touch and lie far from the lines; concave and long thin
    sites (a point inside far from their edge); exact ties; many chunks on threads; the
    parts listed for each site or for its cell of the grid (as for many sites)."""
    monkeypatch.setattr(nearest_mod, "CELLS_OVER", 0 if by_cell else 10**9)
    rng = np.random.default_rng({"dense": 1, "sparse": 2, "far": 3}[character])
    n_lines = {"dense": 40, "sparse": 2, "far": 2}[character]
    lines = shapely.linestrings(rng.uniform(0, 3000, (n_lines, 8, 2)))
    if character == "far":
        lines = shapely.linestrings(rng.uniform(20000, 21000, (n_lines, 8, 2)))
    c = rng.uniform(0, 3000, (500, 2))
    w = rng.uniform(5, 400, 500)
    boxes = shapely.box(c[:, 0], c[:, 1], c[:, 0] + w, c[:, 1] + w / 8)            # long and thin
    rings = shapely.difference(shapely.buffer(shapely.points(c), w / 2),             # concave: a C shape
                               shapely.box(c[:, 0], c[:, 1] - w / 8, c[:, 0] + w, c[:, 1] + w / 8))
    sites = np.concatenate([boxes, rings])
    # nearly touching: a site 1 mm from the first line's first segment
    a, b = shapely.get_coordinates(lines[0])[:2]
    normal = np.array([-(b - a)[1], (b - a)[0]]) / np.hypot(*(b - a))
    mid = (a + b) / 2 + normal * 0.001
    near = shapely.buffer(shapely.points(mid + normal * 5), 5.0, quad_segs=32)
    # an exact tie: a square centred between two parallel copies of a line
    twin = np.array([shapely.LineString([(-500, -100), (-400, -100)]), shapely.LineString([(-500, 100), (-400, 100)])])
    tie = shapely.box(-460, -10, -440, 10)
    feats = np.concatenate([twin, lines])
    sites = np.concatenate([sites, [near, tie]])
    monkeypatch.setattr(progress_mod, "MIN_CHUNK", 50)
    monkeypatch.setattr(progress_mod, "CHUNK", 41)
    monkeypatch.setattr(progress_mod, "THREADS", 3)
    monkeypatch.setattr(nearest_mod, "BLOCK", 7)      # a chunk's sites in several blocks
    all_d = shapely.distance(sites[:, None], feats[None, :])
    best = all_d.min(axis=1)
    lowest = np.argmax(np.isclose(all_d, best[:, None], rtol=0, atol=1e-9), axis=1)
    index = crit.FeatureIndex(feats)
    for method in ("listed", "bound", "search"):
        dist, feat = index.nearest(sites, method=method)
        np.testing.assert_allclose(dist, best, rtol=0, atol=1e-9, err_msg=method)
        np.testing.assert_array_equal(feat, lowest, err_msg=method)
    # away from the lines the listed parts settle most sites; with two parts listed many
    # (and no more) are left to the method a sample chooses; the answer does not change
    apart = np.flatnonzero(best > 0)
    left = index._listed(sites, apart)[3]
    assert character == "dense" or len(left) < 0.2 * len(apart)
    monkeypatch.setattr(nearest_mod, "K_LISTED", 2)
    monkeypatch.setattr(nearest_mod, "K_MOST", 2)
    monkeypatch.setattr(nearest_mod, "CELL_K", 1)     # cells of four radii leave more than sites would
    monkeypatch.setattr(nearest_mod, "CHOOSE_OVER", 10)
    monkeypatch.setattr(nearest_mod, "SAMPLE", 60)
    chosen = []
    real = crit.FeatureIndex._quicker
    monkeypatch.setattr(crit.FeatureIndex, "_quicker",
                        lambda self, s, i: chosen.append((real(self, s, i), len(i))) or chosen[-1][0])
    dist, feat = index.nearest(sites)
    assert chosen and chosen[0][0] in ("bound", "search") and chosen[0][1] > 10
    np.testing.assert_allclose(dist, best, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(feat, lowest)
    assert feat[-1] == 0 and dist[-1] == pytest.approx(90.0)          # the tie goes to the first twin
    assert 0 < dist[-2] < 0.01                                          # nearly touching, not touching
    touching = (dist == 0).mean()
    assert {"dense": touching > 0.6, "sparse": touching < 0.5, "far": touching == 0}[character]


@pytest.mark.parametrize("by_cell", [False, True])
def test_listed_nearest_points_equals_brute_force_with_ties_and_blocks(monkeypatch, exact, by_cell):
    """A layer of points starts from its two nearest points (``K_POINTS``): sites among a
    tight cluster, where two do not settle them, list more; a site halfway between two
    points takes the first; many chunks and blocks on threads; by site or by cell."""
    monkeypatch.setattr(nearest_mod, "CELLS_OVER", 0 if by_cell else 10**9)
    rng = np.random.default_rng(9)
    spread = rng.uniform(0, 5000, (40, 2))
    cluster = rng.normal(2500, 3, (30, 2))                   # 30 points within metres
    pts = shapely.points(np.concatenate([[[-1000, 0], [-1000, 200]], spread, cluster]))
    c = rng.uniform(0, 5000, (700, 2))
    w = rng.uniform(5, 300, 700)
    sites = np.concatenate([shapely.box(c[:, 0], c[:, 1], c[:, 0] + w, c[:, 1] + w / 5),
                            [shapely.box(-1010, 90, -990, 110)]])   # halfway between the first two
    monkeypatch.setattr(progress_mod, "MIN_CHUNK", 50)
    monkeypatch.setattr(progress_mod, "CHUNK", 43)
    monkeypatch.setattr(progress_mod, "THREADS", 3)
    monkeypatch.setattr(nearest_mod, "BLOCK", 5)
    all_d = shapely.distance(sites[:, None], pts[None, :])
    best = all_d.min(axis=1)
    lowest = np.argmax(np.isclose(all_d, best[:, None], rtol=0, atol=1e-9), axis=1)
    index = crit.FeatureIndex(pts)
    assert index._ends[1] == 0                               # points: no half-part to allow for
    apart = np.flatnonzero(best > 0)
    s, _, _, left = index._listed(sites, apart, force=True)
    assert not len(left) and np.isin(apart, s).all()
    dist, feat = index.nearest(sites)
    np.testing.assert_allclose(dist, best, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(feat, lowest)
    assert feat[-1] == 0 and dist[-1] == pytest.approx(90.0)
    # the cluster needs more than two listed points for the sites beside it
    monkeypatch.setattr(nearest_mod, "K_MOST", nearest_mod.K_POINTS)
    assert len(index._listed(sites, apart)[3]) > 0


def test_a_cell_lists_the_nearest_points_and_a_bound_on_the_others():
    """Each point gets its cell's ``k`` nearest tree points and a distance that every
    tree point left off lies beyond (checked against all distances), at any cell size."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(11)
    tree_pts = np.concatenate([rng.uniform(0, 1000, (300, 2)), rng.normal(500, 2, (20, 2))])
    kd = cKDTree(tree_pts)
    p = np.concatenate([rng.uniform(-200, 1200, (2000, 2)), [[500.0, 500.0], [-5000.0, 0.0]]])
    all_d = np.hypot(*(p[:, None, :] - tree_pts[None, :, :]).transpose(2, 0, 1))
    for side, k in ((1.0, 3), (50.0, 8), (400.0, 16), (1e6, 5), (1e-12, 4)):   # the last: cells widened
        beyond, j = nearest_mod._cell_query(kd, p, k, side)
        assert j.shape == (len(p), k) and len(beyond) == len(p)
        off = np.ones(all_d.shape, bool)
        off[np.arange(len(p))[:, None], j] = False
        assert (all_d[off].reshape(len(p), -1).min(axis=1) >= beyond - 1e-9).all()
        # the same cell lists the same points; a small cell lists what the point would
        if side >= 1.0:
            _, first, of = np.unique(np.floor((p - p.min(axis=0)) / side), axis=0, return_index=True,
                                     return_inverse=True)
            assert (j == j[first[of.ravel()]]).all()
        if side == 1.0:
            mine = np.sort(all_d, axis=1)[:, :k]
            assert (np.abs(np.sort(all_d[np.arange(len(p))[:, None], j], axis=1) - mine) <= 2 * side).all()
    assert nearest_mod._cell_query(kd, np.zeros((0, 2)), 4, 10.0)[1].shape == (0, 4)


def test_empty_and_missing_sites_have_no_distance_by_any_method(exact):
    sites = arr(box(0, 0, 1, 1), Polygon(), None, box(50, 0, 51, 1))
    feats = arr(LineString([(10, 0), (10, 5)]))
    np.testing.assert_array_equal(crit.distance_to(sites, feats), [9.0, np.nan, np.nan, 40.0])
    for method in ("listed", "bound", "search"):
        dist, feat = crit.FeatureIndex(feats).nearest(sites, method=method)
        np.testing.assert_array_equal(dist, [9.0, np.inf, np.inf, 40.0], err_msg=method)
        np.testing.assert_array_equal(feat, [0, -1, -1, 0], err_msg=method)
    xy = site_arrays.inner_points(sites)
    assert np.isnan(xy[1:3]).all() and np.isfinite(xy[[0, 3]]).all()
    xy, radius = site_arrays.anchors(sites)
    assert np.isnan(xy[1:3]).all() and np.isnan(radius[1:3]).all() and np.isfinite(xy[[0, 3]]).all()


def test_every_point_of_a_site_lies_within_its_radius_of_its_anchor(exact):
    """The nearest search's lower bound (distance from the anchor less the radius) holds
    for any shape: L-shapes whose box centre lies outside them, holes, multi-parts."""
    import shapely

    rng = np.random.default_rng(5)
    ell = Polygon([(0, 0), (10, 0), (10, 1), (1, 1), (1, 10), (0, 10)])
    ring = box(0, 0, 10, 10).difference(box(2, 2, 8, 8))
    multi = shapely.MultiPolygon([box(0, 0, 1, 1), box(20, 5, 21, 6)])
    hull = shapely.convex_hull(shapely.multipoints(rng.normal(size=(40, 2)) * 50))
    sites = arr(ell, ring, multi, hull)
    xy, radius = site_arrays.anchors(sites)
    np.testing.assert_allclose(xy, [[5, 5], [5, 5], [10.5, 3], shapely.centroid(shapely.envelope(hull)).coords[0]])
    assert not shapely.contains_xy(ell, 5, 5)          # an anchor outside its site
    far = shapely.hausdorff_distance(shapely.points(xy), sites)   # the farthest point of each site
    np.testing.assert_allclose(radius, far, rtol=1e-12)
    np.testing.assert_allclose(radius[:3], [np.hypot(5, 5), np.hypot(5, 5), np.hypot(10.5, 3)])
    # and the distances from them agree with GEOS for the L-shape's nook
    feats = arr(LineString([(4, 4), (9, 9)]), LineString([(3, 30), (4, 30)]))
    for method in ("listed", "bound"):
        dist, feat = crit.FeatureIndex(feats).nearest(sites, method=method)
        np.testing.assert_allclose(dist, shapely.distance(sites[:, None], feats[None, :]).min(axis=1),
                                   rtol=0, atol=1e-12, err_msg=method)


def test_answers_per_array_are_made_once_per_array_and_the_oldest_goes():
    from gis_tool.engine.per_array import PerArray

    store, made = PerArray(2), []

    def make(tag):
        return lambda: made.append(tag) or tag

    a, b, c = np.arange(3), np.arange(3), np.arange(4)
    assert store.get(a, "x", make("a")) == "a" and store.get(a, "x", make("again")) == "a"
    assert store.get(b, "x", make("b")) == "b"          # an equal array is another array
    assert store.get(a, "y", make("ay")) == "ay"         # another question about a: a's x goes
    assert store.seen(a, "x") is None and store.seen(a, "y") == "ay"
    store.put(c, "x", "c")
    assert store.seen(b, "x") is None and store.seen(c, "x") == "c"
    assert made == ["a", "b", "ay"]
