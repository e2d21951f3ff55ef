"""The area of a convex site's intersection with a polygon (engine.clip), against GEOS."""

import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Polygon, box

from gis_tool.engine import clip, criteria
from gis_tool.engine.clip import MAX_SIDES, clipped_area, convex_sites

X0, Y0 = 320_000.0, 6_420_000.0   # SWEREF 99 TM, where the products are large


@pytest.fixture(autouse=True, params=["numpy", "compiled"])
def clipping(request, monkeypatch):
    """Every test here with clip.py's numpy arrays and with the compiled loop that a
    large run uses (``COMPILED_OVER`` pairs and more)."""
    monkeypatch.setattr(clip, "COMPILED_OVER", 0 if request.param == "compiled" else 10**12)
    return request.param


def geos_area(sites, pieces):
    return shapely.area(shapely.intersection(sites, pieces))


def pairs_area(sites, pieces):
    n = len(sites)
    return clipped_area(np.asarray(sites, dtype=object), np.asarray(pieces, dtype=object),
                        np.arange(n), np.arange(n))


def test_hand_computed_squares():
    # a 10 x 10 site; a piece over its right half, one over a 2 x 3 corner, one beside it
    site = box(X0, Y0, X0 + 10, Y0 + 10)
    pieces = [box(X0 + 5, Y0 - 5, X0 + 20, Y0 + 20), box(X0 + 8, Y0 + 7, X0 + 30, Y0 + 30),
              box(X0 + 10, Y0, X0 + 20, Y0 + 10), box(X0 - 1, Y0 - 1, X0 + 11, Y0 + 11)]
    got = pairs_area([site] * 4, pieces)
    np.testing.assert_allclose(got, [50.0, 6.0, 0.0, 100.0], atol=1e-9)


def test_concave_piece_and_holes():
    # an L-shaped piece with a square hole, over a 4 x 4 site: by hand, 16 - 4 (the L's
    # notch) - 1 (the hole) = 11
    site = box(X0, Y0, X0 + 4, Y0 + 4)
    ell = Polygon([(X0 - 1, Y0 - 1), (X0 + 5, Y0 - 1), (X0 + 5, Y0 + 2), (X0 + 2, Y0 + 2),
                   (X0 + 2, Y0 + 5), (X0 - 1, Y0 + 5)],
                  holes=[[(X0 + 0.5, Y0 + 0.5), (X0 + 1.5, Y0 + 0.5), (X0 + 1.5, Y0 + 1.5),
                          (X0 + 0.5, Y0 + 1.5)]])
    assert pairs_area([site], [ell])[0] == pytest.approx(11.0, abs=1e-9)
    # the same piece wound the other way, and as a two-part multipolygon with a far part
    assert pairs_area([site], [ell.reverse()])[0] == pytest.approx(11.0, abs=1e-9)
    multi = MultiPolygon([ell, box(X0 + 100, Y0, X0 + 110, Y0 + 10)])
    assert pairs_area([site], [multi])[0] == pytest.approx(11.0, abs=1e-9)


def test_site_winding_and_collinear_points():
    # a clockwise site with a point in the middle of a side: the same area
    tri = Polygon([(X0, Y0), (X0, Y0 + 6), (X0 + 3, Y0 + 3), (X0 + 6, Y0)])   # clockwise
    assert not tri.exterior.is_ccw
    cut = box(X0 - 1, Y0 - 1, X0 + 3, Y0 + 7)
    got = pairs_area([tri], [cut])[0]
    assert got == pytest.approx(geos_area(tri, cut), abs=1e-9)
    assert got == pytest.approx(18.0 - 4.5, abs=1e-9)   # the triangle left of x = 3: 18 - 4.5


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_pairs_match_geos(seed):
    # convex sites (hulls of random points), pieces that are stars (concave), discs with
    # holes and boxes; placed to overlap, touch, share edges, nearly touch or lie apart
    rng = np.random.default_rng(seed)
    n = 3000
    sites = shapely.convex_hull(shapely.multipoints(rng.uniform(0, 100, (n, 7, 2)) + (X0, Y0)))
    sites[::3] = shapely.reverse(sites[::3])
    centre = shapely.get_coordinates(shapely.centroid(sites))
    ang = np.linspace(0, 2 * np.pi, 14, endpoint=False)
    rad = np.where(np.arange(14) % 2 == 0, 70, 25)
    star = np.stack([np.cos(ang) * rad, np.sin(ang) * rad], -1)
    shift = rng.normal(0, 60, (n, 2))
    stars = shapely.polygons(star[None] + (centre + shift)[:, None, :])
    discs = shapely.difference(shapely.buffer(shapely.points(centre + shift), 60, quad_segs=5),
                               shapely.buffer(shapely.points(centre + shift / 2), 12, quad_segs=3))
    b = shapely.bounds(sites)
    # boxes sharing the site's box edge (and so, often, a side), or just off it
    gap = rng.choice([0.0, 0.0, 1e-7, 5.0], n)
    boxes = shapely.box(b[:, 2] + gap - 30, b[:, 1] - 10, b[:, 2] + gap + 40, b[:, 3] + 10)
    kind = rng.integers(0, 3, n)
    pieces = np.where(kind == 0, stars, np.where(kind == 1, discs, boxes))
    got = pairs_area(sites, pieces)
    want = geos_area(sites, pieces)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6 * shapely.area(sites).max())
    assert (want > 0).sum() > n // 2 and (want == 0).sum() > 10   # both kinds were tried


def test_convex_sites():
    square, tri = box(0, 0, 1, 1), Polygon([(0, 0), (2, 0), (1, 1)])
    ell = Polygon([(0, 0), (2, 0), (2, 1), (1, 1), (1, 2), (0, 2)])
    collinear = Polygon([(0, 0), (1, 0), (2, 0), (2, 2), (0, 2)])
    holed = box(0, 0, 4, 4).difference(box(1, 1, 2, 2))
    multi = MultiPolygon([box(0, 0, 1, 1), box(2, 2, 3, 3)])
    many = shapely.buffer(shapely.Point(0, 0), 10, quad_segs=16)   # 64 sides
    empty, flat = Polygon(), Polygon([(0, 0), (1, 1), (2, 2)])
    got = convex_sites(np.array([square, tri.reverse(), ell, collinear, holed, multi, many, empty, flat,
                                 square], dtype=object))
    assert got.tolist() == [True, True, False, True, False, False, False, False, False, True]
    assert shapely.get_num_coordinates(many) - 1 > MAX_SIDES


def test_convex_sites_agree_with_their_hulls_on_random_polygons():
    """Convex hulls of random points (some with extra points along their sides), random
    star shapes that bend inwards, in mixed order with a bent one first and last: a site
    is convex when its convex hull adds no area."""
    rng = np.random.default_rng(3)
    n = 3000
    c = rng.uniform(0, 5000, (n, 2)) + (X0, Y0)
    hulls = shapely.convex_hull(shapely.multipoints(c[:, None, :] + rng.uniform(-50, 50, (n, 7, 2))))
    lined = shapely.segmentize(hulls, 30.0)                      # collinear points on the sides
    angle = np.sort(rng.uniform(0, 2 * np.pi, (n, 7)), axis=1)
    radius = rng.uniform(5, 60, (n, 7))
    stars = shapely.polygons(c[:, None, :] + np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=2))
    stars = stars[shapely.is_valid(stars)]
    sites = np.concatenate([stars[:1], rng.permutation(np.concatenate([hulls, lined, stars[1:-1]])), stars[-1:]])
    got = convex_sites(sites)
    few = shapely.get_num_coordinates(sites) <= MAX_SIDES + 1
    want = few & (shapely.area(shapely.convex_hull(sites)) - shapely.area(sites) <= 1e-9 * shapely.area(sites))
    np.testing.assert_array_equal(got, want)
    assert want.sum() > 2000 and (~want & few).sum() > 1000 and not got[0] and not got[-1]


def test_covered_area_mixes_convex_and_other_sites():
    # sites of every shape against a union with holes: the same as GEOS's intersection
    rng = np.random.default_rng(7)
    n = 4000
    pts = rng.uniform(0, 3000, (n, 2)) + (X0, Y0)
    hulls = shapely.convex_hull(shapely.multipoints(pts[:, None, :] + rng.uniform(-40, 40, (n, 6, 2))))
    ells = shapely.difference(shapely.buffer(shapely.points(pts), 30, cap_style="square"),
                              shapely.box(pts[:, 0], pts[:, 1], pts[:, 0] + 40, pts[:, 1] + 40))
    sites = np.where(rng.random(n) < 0.6, hulls, ells)
    zones = shapely.buffer(shapely.points(rng.uniform(0, 3000, (60, 2)) + (X0, Y0)),
                           rng.uniform(100, 400, 60), quad_segs=6)
    union = shapely.union_all(zones)
    got = criteria.covered_area(sites, zones)
    want = shapely.area(shapely.intersection(sites, union))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    convex = convex_sites(sites)
    assert convex.sum() > 1000 and (~convex).sum() > 1000
    crossing = (want > 0) & (want < shapely.area(sites) - 1e-6)
    assert (crossing & convex).sum() > 50 and (crossing & ~convex).sum() > 50


def test_dissolved_is_the_union():
    # clusters apart, one blob of overlapping discs, and touching squares: the same
    # region as a plain union, whichever way GEOS groups them
    rng = np.random.default_rng(3)
    apart = shapely.buffer(shapely.points(rng.uniform(0, 50_000, (300, 2)) + (X0, Y0)), 200, quad_segs=4)
    blob = shapely.buffer(shapely.points(rng.uniform(0, 500, (200, 2)) + (X0, Y0)), 60, quad_segs=4)
    grid = shapely.box(X0 + np.arange(20) * 10.0, Y0, X0 + np.arange(20) * 10.0 + 10, Y0 + 10)
    for polys in (apart, blob, grid, np.concatenate([apart, blob, grid])):
        got, want = criteria.dissolved(polys), shapely.union_all(polys)
        assert got.area == pytest.approx(want.area, rel=1e-12)
        assert shapely.symmetric_difference(got, want).area < 1e-6
    assert criteria.dissolved(grid).area == pytest.approx(200 * 10.0, rel=1e-12)   # by hand
