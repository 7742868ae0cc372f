"""gridsvc.crs against published vectors, round trips, and its input checks.

Published vectors are cited next to each value (repository and path, or page). Only the
numbers are taken, reordered to (lon, lat) where the source gives (lat, lon). Tolerances
follow how many decimals each source published.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from gridsvc.crs import (
    CONVERGENCE_TOL_DEG,
    GCJ02_BBOX,
    Crs,
    bd09_to_gcj02,
    bd09_to_wgs84,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    in_gcj02_bbox,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from gridsvc.errors import InvalidCoordinate, UnknownCrs

EARTH_MEAN_RADIUS_M = 6_371_008.8
ROUND_TRIP_TOLERANCE_M = 0.01
# Published with every digit of a float64: allow only for last-bit differences between libms.
FULL_PRECISION_TOL_DEG = 1e-11
# Published with 6 decimals: half a unit of rounding, plus float noise.
SIX_DECIMALS_TOL_DEG = 0.5e-6 + 1e-12

Pair = tuple[float, float]
Transform = Callable[..., Any]
ALL_TRANSFORMS: list[Transform] = [
    wgs84_to_gcj02,
    gcj02_to_wgs84,
    gcj02_to_bd09,
    bd09_to_gcj02,
    wgs84_to_bd09,
    bd09_to_wgs84,
]


def distance_m(lon_a: Any, lat_a: Any, lon_b: Any, lat_b: Any) -> Any:
    """Haversine distance in metres on the mean-radius sphere (0.5% is plenty here)."""
    phi_a, phi_b = np.radians(lat_a), np.radians(lat_b)
    dphi = phi_b - phi_a
    dlmb = np.radians(np.asarray(lon_b) - np.asarray(lon_a))
    h = np.sin(dphi / 2) ** 2 + np.cos(phi_a) * np.cos(phi_b) * np.sin(dlmb / 2) ** 2
    return 2 * EARTH_MEAN_RADIUS_M * np.arcsin(np.sqrt(h))


def assert_pair_close(actual: Pair, expected: Pair, tol_deg: float) -> None:
    assert abs(actual[0] - expected[0]) <= tol_deg, (actual, expected)
    assert abs(actual[1] - expected[1]) <= tol_deg, (actual, expected)


# --- published vectors ----------------------------------------------------------------------

# googollee/eviltransform, go/transform_test.go (same numbers in python/test.py,
# javascript/test.js, csharp/EvilTransformUnitTest.cs), published as (lat, lng).
EVILTRANSFORM_WGS84_GCJ02: list[tuple[str, Pair, Pair]] = [
    ("shanghai", (121.5272106, 31.1774276), (121.531541859215, 31.17530398364597)),
    ("shenzhen", (113.912316, 22.543847), (113.9171764808363, 22.540796131694766)),
    ("beijing", (116.377817, 39.911954), (116.38404722455657, 39.91334545536069)),
]
# wandergis/coordtransform, README.md ("result" block): forward transforms of (116.404, 39.915).
WANDERGIS_INPUT: Pair = (116.404, 39.915)
WANDERGIS_WGS84_TO_GCJ02: Pair = (116.41024449916938, 39.91640428150164)
WANDERGIS_GCJ02_TO_BD09: Pair = (116.41036949371029, 39.92133699351021)
# Same README: its inverses are the one-step approximations, not exact.
WANDERGIS_BD09_TO_GCJ02_APPROX: Pair = (116.39762729119315, 39.90865673957631)
WANDERGIS_GCJ02_TO_WGS84_APPROX: Pair = (116.39775550083061, 39.91359571849836)
# Glatzel/pyxis, python/tests/test_crypto.py: one point in all three systems. Its GCJ-02 scales
# the offset with the WGS-84 semi-major axis (6378137 m) instead of Krasovsky's 6378245 m, which
# moves the point 8 mm; its BD-09 is exactly gcj02_to_bd09 of its GCJ-02.
PYXIS_WGS84: Pair = (121.0917077, 30.6107779)
PYXIS_GCJ02: Pair = (121.09626935575027, 30.608604331756705)
PYXIS_BD09: Pair = (121.10271732371203, 30.61484572185035)
# Alibaba Cloud Address Purification docs, TransferCoord API, response example at
# help.aliyun.com/zh/address-purification/addrpapi/developer-reference/coordinate-system-conversion
# GCJ-02 input and its BD09, WGS84 and CGCS2000 outputs, 6 decimals. It gives the same value for
# WGS84 and CGCS2000, as gridsvc does; that value is the one-step approximation of the inverse,
# 1.7 m from the exact one.
ALIYUN_GCJ02: Pair = (120.026268, 30.279164)
ALIYUN_BD09: Pair = (120.032768, 30.285238)
ALIYUN_WGS84_APPROX: Pair = (120.021519, 30.281543)
# Not used: eviltransform's python/test.py TESTS_bd pairs (BD-09 -> WGS-84 near 120.02E 29.2N)
# are 10 m and 41 m away from what the BD-09 and GCJ-02 formulas give, even with
# eviltransform's own approximate inverses, so they cannot pin these formulas.


@pytest.mark.parametrize(
    ("wgs84", "gcj02"),
    [pytest.param(w, g, id=name) for name, w, g in EVILTRANSFORM_WGS84_GCJ02]
    + [pytest.param(WANDERGIS_INPUT, WANDERGIS_WGS84_TO_GCJ02, id="wandergis-beijing")],
)
def test_wgs84_to_gcj02_matches_published_vectors(wgs84: Pair, gcj02: Pair) -> None:
    assert_pair_close(wgs84_to_gcj02(*wgs84), gcj02, FULL_PRECISION_TOL_DEG)


@pytest.mark.parametrize(
    ("wgs84", "gcj02"), [pytest.param(w, g, id=name) for name, w, g in EVILTRANSFORM_WGS84_GCJ02]
)
def test_gcj02_to_wgs84_recovers_published_wgs84(wgs84: Pair, gcj02: Pair) -> None:
    lon, lat = gcj02_to_wgs84(*gcj02)
    assert distance_m(lon, lat, *wgs84) < 1e-3


@pytest.mark.parametrize(
    ("gcj02", "bd09"),
    [
        pytest.param(WANDERGIS_INPUT, WANDERGIS_GCJ02_TO_BD09, id="wandergis-beijing"),
        pytest.param(PYXIS_GCJ02, PYXIS_BD09, id="pyxis-shanghai"),
    ],
)
def test_gcj02_to_bd09_matches_published_vectors(gcj02: Pair, bd09: Pair) -> None:
    assert_pair_close(gcj02_to_bd09(*gcj02), bd09, FULL_PRECISION_TOL_DEG)
    lon, lat = bd09_to_gcj02(*bd09)
    assert distance_m(lon, lat, *gcj02) < 1e-3


def test_pyxis_vector_within_its_semi_major_axis_difference() -> None:
    lon, lat = wgs84_to_gcj02(*PYXIS_WGS84)
    assert distance_m(lon, lat, *PYXIS_GCJ02) < 0.015
    lon, lat = wgs84_to_bd09(*PYXIS_WGS84)
    assert distance_m(lon, lat, *PYXIS_BD09) < 0.015
    lon, lat = bd09_to_wgs84(*PYXIS_BD09)
    assert distance_m(lon, lat, *PYXIS_WGS84) < 0.015


def test_aliyun_documented_example() -> None:
    assert_pair_close(gcj02_to_bd09(*ALIYUN_GCJ02), ALIYUN_BD09, SIX_DECIMALS_TOL_DEG)
    wgs84 = gcj02_to_wgs84(*ALIYUN_GCJ02)
    assert from_wgs84(*wgs84, Crs.CGCS2000) == wgs84
    assert_pair_close(wgs84_to_gcj02(*wgs84), ALIYUN_GCJ02, CONVERGENCE_TOL_DEG + 1e-13)
    # Its WGS84/CGCS2000 output is the one-step inverse: see the test below.


@pytest.mark.parametrize(
    ("forward", "inverse", "target", "published_inverse"),
    [
        pytest.param(
            gcj02_to_bd09,
            bd09_to_gcj02,
            WANDERGIS_INPUT,
            WANDERGIS_BD09_TO_GCJ02_APPROX,
            id="wandergis-bd09",
        ),
        pytest.param(
            wgs84_to_gcj02,
            gcj02_to_wgs84,
            WANDERGIS_INPUT,
            WANDERGIS_GCJ02_TO_WGS84_APPROX,
            id="wandergis-gcj02",
        ),
        pytest.param(
            wgs84_to_gcj02, gcj02_to_wgs84, ALIYUN_GCJ02, ALIYUN_WGS84_APPROX, id="aliyun-gcj02"
        ),
    ],
)
def test_inverses_are_exact_where_published_approximations_miss(
    forward: Transform, inverse: Transform, target: Pair, published_inverse: Pair
) -> None:
    """The one-step inverses others publish miss by centimetres to metres; ours by ~0."""
    lon, lat = inverse(*target)
    lon_back, lat_back = forward(lon, lat)
    assert distance_m(lon_back, lat_back, *target) < 1e-4
    lon_missed, lat_missed = forward(*published_inverse)
    assert 0.03 < distance_m(lon_missed, lat_missed, *target) < 3.0
    assert distance_m(lon, lat, *published_inverse) > 0.03


# --- property tests: round trips ------------------------------------------------------------

# Nanjing municipality, with a margin: 118.35-119.25E, 31.22-32.62N.
nanjing_lons = st.floats(118.35, 119.25)
nanjing_lats = st.floats(31.22, 32.62)
# GCJ02_BBOX shrunk by 0.02 degree, more than the largest offset, so that a point and its
# transform are both inside.
china_lons = st.floats(GCJ02_BBOX[0] + 0.02, GCJ02_BBOX[2] - 0.02)
china_lats = st.floats(GCJ02_BBOX[1] + 0.02, GCJ02_BBOX[3] - 0.02)


def pin_published_points(test: Callable[..., None]) -> Callable[..., None]:
    """@example the published WGS-84 points, plus 105E where the offset has a sqrt kink."""
    for _, (lon, lat), _ in EVILTRANSFORM_WGS84_GCJ02:
        test = example(lon, lat)(test)
    test = example(*WANDERGIS_INPUT)(test)
    test = example(*PYXIS_WGS84)(test)
    test = example(*ALIYUN_WGS84_APPROX)(test)
    # Input (without published output) of ipcjs/coordtransform,
    # src/test/java/me/demo/util/geo/test/CoordinateTransformUtilTest.java.
    test = example(118.3013077, 32.2719040)(test)
    test = example(105.0, 35.0)(test)
    return test


@settings(deadline=None)
@given(nanjing_lons, nanjing_lats)
@example(118.7969, 32.0603)  # Xinjiekou, central Nanjing
@pin_published_points
def test_round_trip_gcj02_nanjing(lon_wgs84: float, lat_wgs84: float) -> None:
    lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon_wgs84, lat_wgs84))
    assert distance_m(lon, lat, lon_wgs84, lat_wgs84) < ROUND_TRIP_TOLERANCE_M


@settings(deadline=None, max_examples=300)
@given(china_lons, china_lats)
@pin_published_points
def test_round_trip_gcj02_china(lon_wgs84: float, lat_wgs84: float) -> None:
    lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon_wgs84, lat_wgs84))
    assert distance_m(lon, lat, lon_wgs84, lat_wgs84) < ROUND_TRIP_TOLERANCE_M


@settings(deadline=None, max_examples=300)
@given(china_lons, china_lats)
@pin_published_points
def test_gcj02_inverse_meets_its_convergence_criterion(lon_gcj02: float, lat_gcj02: float) -> None:
    lon, lat = wgs84_to_gcj02(*gcj02_to_wgs84(lon_gcj02, lat_gcj02))
    assert_pair_close((lon, lat), (lon_gcj02, lat_gcj02), CONVERGENCE_TOL_DEG + 1e-13)


@settings(deadline=None)
@given(nanjing_lons, nanjing_lats)
@example(118.7969, 32.0603)
@example(*PYXIS_GCJ02)
@example(*WANDERGIS_INPUT)
@example(*ALIYUN_GCJ02)
def test_round_trip_bd09_nanjing(lon_gcj02: float, lat_gcj02: float) -> None:
    lon, lat = bd09_to_gcj02(*gcj02_to_bd09(lon_gcj02, lat_gcj02))
    assert distance_m(lon, lat, lon_gcj02, lat_gcj02) < ROUND_TRIP_TOLERANCE_M


@settings(deadline=None, max_examples=300)
@given(china_lons, china_lats)
@example(*PYXIS_GCJ02)
@example(*WANDERGIS_INPUT)
@example(*ALIYUN_GCJ02)
def test_round_trip_bd09_china(lon_gcj02: float, lat_gcj02: float) -> None:
    lon, lat = bd09_to_gcj02(*gcj02_to_bd09(lon_gcj02, lat_gcj02))
    assert distance_m(lon, lat, lon_gcj02, lat_gcj02) < ROUND_TRIP_TOLERANCE_M
    lon_bd09, lat_bd09 = gcj02_to_bd09(lon, lat)
    bd09 = gcj02_to_bd09(lon_gcj02, lat_gcj02)
    assert_pair_close((lon_bd09, lat_bd09), bd09, CONVERGENCE_TOL_DEG + 1e-13)


@settings(deadline=None)
@given(nanjing_lons, nanjing_lats)
@example(118.7969, 32.0603)
@pin_published_points
def test_round_trip_wgs84_bd09_nanjing(lon_wgs84: float, lat_wgs84: float) -> None:
    lon, lat = bd09_to_wgs84(*wgs84_to_bd09(lon_wgs84, lat_wgs84))
    assert distance_m(lon, lat, lon_wgs84, lat_wgs84) < ROUND_TRIP_TOLERANCE_M


@settings(deadline=None, max_examples=300)
@given(china_lons, china_lats)
@pin_published_points
def test_round_trip_wgs84_bd09_china(lon_wgs84: float, lat_wgs84: float) -> None:
    lon, lat = bd09_to_wgs84(*wgs84_to_bd09(lon_wgs84, lat_wgs84))
    assert distance_m(lon, lat, lon_wgs84, lat_wgs84) < ROUND_TRIP_TOLERANCE_M


@settings(deadline=None)
@given(china_lons, china_lats, st.sampled_from(list(Crs)))
@example(*PYXIS_WGS84, Crs.BD09)
def test_to_wgs84_undoes_from_wgs84(lon_wgs84: float, lat_wgs84: float, crs: Crs) -> None:
    lon, lat = to_wgs84(*from_wgs84(lon_wgs84, lat_wgs84, crs), crs)
    assert distance_m(lon, lat, lon_wgs84, lat_wgs84) < ROUND_TRIP_TOLERANCE_M


def test_round_trips_over_many_points_of_china() -> None:
    """The vectorised path over the whole box, with enough points to find the worst case."""
    rng = np.random.default_rng(20240601)
    lon_wgs84 = rng.uniform(GCJ02_BBOX[0] + 0.02, GCJ02_BBOX[2] - 0.02, 200_000)
    lat_wgs84 = rng.uniform(GCJ02_BBOX[1] + 0.02, GCJ02_BBOX[3] - 0.02, 200_000)
    lon_bd09, lat_bd09 = wgs84_to_bd09(lon_wgs84, lat_wgs84)
    lon, lat = bd09_to_wgs84(lon_bd09, lat_bd09)
    assert np.max(distance_m(lon, lat, lon_wgs84, lat_wgs84)) < ROUND_TRIP_TOLERANCE_M
    lon, lat = gcj02_to_wgs84(*wgs84_to_gcj02(lon_wgs84, lat_wgs84))
    assert np.max(distance_m(lon, lat, lon_wgs84, lat_wgs84)) < ROUND_TRIP_TOLERANCE_M


# --- the size of the offsets ----------------------------------------------------------------


def test_gcj02_shift_in_nanjing_is_about_half_a_kilometre() -> None:
    lon_wgs84, lat_wgs84 = np.meshgrid(
        np.linspace(118.35, 119.25, 40), np.linspace(31.22, 32.62, 40)
    )
    lon_gcj02, lat_gcj02 = wgs84_to_gcj02(lon_wgs84, lat_wgs84)
    shift_m = distance_m(lon_wgs84, lat_wgs84, lon_gcj02, lat_gcj02)
    assert shift_m.min() > 450
    assert shift_m.max() < 650
    lon_bd09, lat_bd09 = wgs84_to_bd09(lon_wgs84, lat_wgs84)
    bd09_shift_m = distance_m(lon_wgs84, lat_wgs84, lon_bd09, lat_bd09)
    assert bd09_shift_m.min() > 1000
    assert bd09_shift_m.max() < 1400


# --- outside China --------------------------------------------------------------------------

any_lons = st.floats(-180.0, 180.0)
any_lats = st.floats(-90.0, 90.0)
outside_china = st.one_of(
    st.tuples(st.floats(-180.0, GCJ02_BBOX[0], exclude_max=True), any_lats),
    st.tuples(st.floats(GCJ02_BBOX[2], 180.0, exclude_min=True), any_lats),
    st.tuples(any_lons, st.floats(-90.0, GCJ02_BBOX[1], exclude_max=True)),
    st.tuples(any_lons, st.floats(GCJ02_BBOX[3], 90.0, exclude_min=True)),
)


@given(outside_china)
@example((139.6917, 35.6895))  # Tokyo, east of the box
@example((0.0, 0.0))
@example((180.0, -90.0))
@example((GCJ02_BBOX[0] - 1e-9, 30.0))
def test_identity_outside_china(point: Pair) -> None:
    for transform in ALL_TRANSFORMS:
        assert transform(*point) == point
    for crs in Crs:
        assert to_wgs84(*point, crs) == point
        assert from_wgs84(*point, crs) == point


def test_bbox_edges_are_inside() -> None:
    lon_min, lat_min, lon_max, lat_max = GCJ02_BBOX
    lons = np.array([lon_min, lon_max, lon_min, lon_max, lon_min - 1e-9, lon_max + 1e-9])
    lats = np.array([lat_min, lat_max, lat_max, lat_min, 30.0, 30.0])
    assert in_gcj02_bbox(lons, lats).tolist() == [True, True, True, True, False, False]


# --- CGCS2000 ------------------------------------------------------------------------------

CGCS2000_TO_WGS84 = Transformer.from_crs("EPSG:4490", "EPSG:4326", always_xy=True)


@given(any_lons, any_lats)
@example(118.7969, 32.0603)
def test_cgcs2000_is_wgs84_as_in_pyproj(lon: float, lat: float) -> None:
    lon_pyproj, lat_pyproj = CGCS2000_TO_WGS84.transform(lon, lat)
    assert (lon_pyproj, lat_pyproj) == (lon, lat)
    assert to_wgs84(lon, lat, Crs.CGCS2000) == (lon, lat)
    assert from_wgs84(lon, lat, Crs.CGCS2000) == (lon, lat)


# --- arrays and scalars ---------------------------------------------------------------------

points_anywhere = st.lists(
    st.one_of(st.tuples(china_lons, china_lats), st.tuples(any_lons, any_lats)),
    min_size=1,
    max_size=40,
)


@settings(deadline=None)
@given(points_anywhere)
@example([(lon, lat) for _, (lon, lat), _ in EVILTRANSFORM_WGS84_GCJ02] + [(0.0, 0.0)])
def test_arrays_give_exactly_the_scalar_results(points: list[Pair]) -> None:
    lons = np.array([lon for lon, _ in points])
    lats = np.array([lat for _, lat in points])
    for transform in ALL_TRANSFORMS:
        lon_out, lat_out = transform(lons, lats)
        scalar_out = [transform(lon, lat) for lon, lat in points]
        assert lon_out.tolist() == [lon for lon, _ in scalar_out], transform.__name__
        assert lat_out.tolist() == [lat for _, lat in scalar_out], transform.__name__


@pytest.mark.parametrize("transform", ALL_TRANSFORMS)
def test_result_types_follow_the_input(transform: Transform) -> None:
    lon, lat = transform(118.7969, 32.0603)
    assert type(lon) is float and type(lat) is float
    lon_np, lat_np = transform(np.float64(118.7969), np.float64(32.0603))
    assert (type(lon_np), type(lat_np)) == (float, float)
    assert (lon_np, lat_np) == (lon, lat)

    lons_in = np.array([[118.7969, 0.0], [118.8, 32.0]])
    lats_in = np.array([[32.0603, 0.0], [32.1, 29.5]])
    before = (lons_in.copy(), lats_in.copy())
    lons, lats = transform(lons_in, lats_in)
    assert lons.shape == lats.shape == (2, 2)
    assert lons.dtype == lats.dtype == np.float64
    assert (lons[0, 0], lats[0, 0]) == (lon, lat)
    np.testing.assert_array_equal(lons_in, before[0])  # input untouched
    np.testing.assert_array_equal(lats_in, before[1])

    lons_list, _ = transform([118.7969], [32.0603])
    assert isinstance(lons_list, np.ndarray)
    lon_0d, _ = transform(np.array(118.7969), np.array(32.0603))
    assert isinstance(lon_0d, np.ndarray) and lon_0d.shape == ()
    empty_lon, empty_lat = transform(np.array([]), np.array([]))
    assert empty_lon.shape == empty_lat.shape == (0,)


@pytest.mark.parametrize("crs", list(Crs))
def test_to_and_from_wgs84_dispatch_to_the_named_transform(crs: Crs) -> None:
    lons, lats = np.array([118.7969, 121.5, 2.35]), np.array([32.0603, 31.2, 48.85])
    expected_to = {
        Crs.WGS84: (lons, lats),
        Crs.CGCS2000: (lons, lats),
        Crs.GCJ02: gcj02_to_wgs84(lons, lats),
        Crs.BD09: bd09_to_wgs84(lons, lats),
    }[crs]
    expected_from = {
        Crs.WGS84: (lons, lats),
        Crs.CGCS2000: (lons, lats),
        Crs.GCJ02: wgs84_to_gcj02(lons, lats),
        Crs.BD09: wgs84_to_bd09(lons, lats),
    }[crs]
    for actual, expected in (
        (to_wgs84(lons, lats, crs), expected_to),
        (from_wgs84(lons, lats, crs), expected_from),
    ):
        np.testing.assert_array_equal(actual[0], expected[0])
        np.testing.assert_array_equal(actual[1], expected[1])
    # Never hands back the caller's own array, even when nothing changes.
    assert to_wgs84(lons, lats, crs)[0] is not lons


# --- invalid coordinates --------------------------------------------------------------------

BAD_VALUES = [math.nan, math.inf, -math.inf]


@pytest.mark.parametrize("transform", [*ALL_TRANSFORMS, to_wgs84, from_wgs84])
@pytest.mark.parametrize("bad", BAD_VALUES, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("axis", ["lon", "lat"])
def test_non_finite_coordinates_are_rejected(transform: Transform, bad: float, axis: str) -> None:
    args: list[Any] = [118.7969, 32.0603]
    args[0 if axis == "lon" else 1] = bad
    extra = [Crs.GCJ02] if transform in (to_wgs84, from_wgs84) else []
    with pytest.raises(InvalidCoordinate) as scalar_error:
        transform(*args, *extra)
    assert scalar_error.value.field == axis
    assert "finite" in scalar_error.value.message

    lons = np.array([118.7969, 118.8, 118.9])
    lats = np.array([32.0603, 32.1, 32.2])
    (lons if axis == "lon" else lats)[1] = bad
    with pytest.raises(InvalidCoordinate) as array_error:
        transform(lons, lats, *extra)
    assert array_error.value.details == {"index": 1, "invalid_count": 1}
    assert array_error.value.message.startswith("Point 1:")


@pytest.mark.parametrize(
    ("lon", "lat", "field"),
    [(200.0, 32.0, "lon"), (-180.5, 32.0, "lon"), (118.8, 90.5, "lat"), (32.06, 118.79, "lat")],
)
def test_out_of_range_coordinates_are_rejected(lon: float, lat: float, field: str) -> None:
    with pytest.raises(InvalidCoordinate) as error:
        to_wgs84(lon, lat, Crs.WGS84)
    assert error.value.field == field
    assert error.value.hint is not None and "swapped" in error.value.hint


def test_non_numbers_and_unpaired_arrays_are_rejected() -> None:
    with pytest.raises(InvalidCoordinate) as error:
        wgs84_to_gcj02("east", 32.0)  # type: ignore[call-overload]
    assert error.value.field == "lon"
    with pytest.raises(InvalidCoordinate):
        wgs84_to_gcj02(np.array([118.0, 119.0, 120.0]), np.array([32.0, 33.0]))


# --- Crs.parse ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "crs"),
    [
        ("wgs84", Crs.WGS84),
        ("WGS84", Crs.WGS84),
        ("wgs-84", Crs.WGS84),
        ("WGS 84", Crs.WGS84),
        ("EPSG:4326", Crs.WGS84),
        ("4326", Crs.WGS84),
        ("gps", Crs.WGS84),
        ("cgcs2000", Crs.CGCS2000),
        ("CGCS-2000", Crs.CGCS2000),
        ("epsg:4490", Crs.CGCS2000),
        ("4490", Crs.CGCS2000),
        ("gcj02", Crs.GCJ02),
        ("GCJ-02", Crs.GCJ02),
        ("gcj_02", Crs.GCJ02),
        ("amap", Crs.GCJ02),
        ("Gaode", Crs.GCJ02),
        ("tencent", Crs.GCJ02),
        ("bd09", Crs.BD09),
        ("BD-09", Crs.BD09),
        ("bd09ll", Crs.BD09),
        ("  Baidu ", Crs.BD09),
        (Crs.GCJ02, Crs.GCJ02),
    ],
)
def test_parse_accepts_names_and_aliases(name: str, crs: Crs) -> None:
    assert Crs.parse(name) is crs
    assert Crs(name) is crs  # aliases also work where an Enum is built from its value


@pytest.mark.parametrize("name", ["", "wgs85", "bd09mc", "epsg:3857", "mercator", "gcj03"])
def test_parse_rejects_unknown_names_listing_accepted_values(name: str) -> None:
    with pytest.raises(UnknownCrs) as error:
        Crs.parse(name)
    message = error.value.message
    for accepted in ("wgs84", "cgcs2000", "gcj02", "bd09", "epsg:4326", "amap", "baidu"):
        assert accepted in message
    assert error.value.field == "crs"
    assert error.value.details["accepted"] == ["wgs84", "cgcs2000", "gcj02", "bd09"]
    with pytest.raises(ValueError):
        Crs(name)


def test_parse_message_quotes_at_most_40_characters_of_the_input() -> None:
    with pytest.raises(UnknownCrs) as error:
        Crs.parse("x" * 500)
    assert "x" * 41 not in error.value.message
