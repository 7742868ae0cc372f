"""Point → grid lookup: agreement with an independent point-in-polygon, snapping, flags, CRS."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from gridsvc import crs
from gridsvc.errors import InvalidCoordinate, OutsideAllGrids, UnknownCrs
from gridsvc.grids.default import default_dataset_path
from gridsvc.service import Gridsvc
from gridsvc.settings import GridSettings


@pytest.fixture(scope="module")
def dataset() -> gpd.GeoDataFrame:
    """The committed dataset read straight from the file, not through gridsvc's database."""
    return gpd.read_file(default_dataset_path(GridSettings()), layer="grid_unit")


@pytest.fixture(scope="module")
def communities(dataset: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return dataset[dataset["level"] == "community"].reset_index(drop=True)


def _random_points_in_city(dataset: gpd.GeoDataFrame, n: int, seed: int) -> np.ndarray:
    city = dataset[dataset["level"] == "city"].geometry.iloc[0]
    minx, miny, maxx, maxy = city.bounds
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n)])


def test_locate_agrees_with_an_independent_point_in_polygon(
    shared_svc: Gridsvc, dataset: gpd.GeoDataFrame, communities: gpd.GeoDataFrame
) -> None:
    pts = _random_points_in_city(dataset, 5000, seed=7)
    points = gpd.GeoDataFrame(geometry=shapely.points(pts), crs=4326)
    joined = gpd.sjoin(points, communities[["code", "geometry"]], predicate="within", how="left")
    expected = joined.groupby(level=0)["code"].min().reindex(range(len(pts)))
    located = shared_svc.locate_many(pts[:, 0], pts[:, 1])
    inside = expected.notna().to_numpy()
    assert inside.sum() > 1500  # the bbox of Nanjing is mostly inside the city
    got = np.array([loc.code("community") for loc in located], dtype=object)
    assert list(got[inside]) == list(expected[inside])
    # the points no polygon holds are either snapped (within 50 m) or unassigned
    for loc in np.array(located, dtype=object)[~inside]:
        assert (loc.found and loc.snapped and loc.distance_m <= 50) or not loc.found


def test_chain_runs_from_community_to_city_with_the_right_sector(
    shared_svc: Gridsvc, dataset: gpd.GeoDataFrame
) -> None:
    by_code = dataset.set_index("code")
    # 泰山街道 (320111001) is run by 江北新区, not by its district 浦口区
    street = by_code.loc["320111001"]
    community_code = dataset[
        (dataset["level"] == "community") & (dataset["parent_code"] == "320111001")
    ]["code"].iloc[0]
    point = by_code.loc[community_code].geometry.representative_point()
    found = shared_svc.locate(point.x, point.y)
    assert [u.level for u in found.units] == ["community", "street", "sector", "district", "city"]
    assert [u.code for u in found.units] == [
        community_code,
        "320111001",
        "SJBXQ",
        "320111",
        "320100",
    ]
    assert found.units[2].name == "江北新区"
    assert street["name"] == found.units[1].name


def test_points_sent_in_gcj02_and_bd09_land_in_the_same_community(
    shared_svc: Gridsvc, dataset: gpd.GeoDataFrame
) -> None:
    pts = _random_points_in_city(dataset, 400, seed=11)
    wgs = shared_svc.locate_many(pts[:, 0], pts[:, 1])
    gx, gy = crs.wgs84_to_gcj02(pts[:, 0], pts[:, 1])
    bx, by = crs.wgs84_to_bd09(pts[:, 0], pts[:, 1])
    gcj = shared_svc.locate_many(gx, gy, crs="gcj02")
    bd = shared_svc.locate_many(bx, by, crs="bd09")
    raw_gcj_as_wgs = shared_svc.locate_many(gx, gy, crs="wgs84")
    assert [a.code("community") for a in wgs] == [b.code("community") for b in gcj]
    assert [a.code("community") for a in wgs] == [b.code("community") for b in bd]
    # and the shift matters: read as WGS-84, GCJ-02 coordinates land elsewhere often
    pairs = zip(wgs, raw_gcj_as_wgs, strict=True)
    moved = sum(a.code("community") != b.code("community") for a, b in pairs)
    assert moved > 40
    for a, b in zip(wgs, gcj, strict=True):
        assert abs(a.lon_wgs84 - b.lon_wgs84) < 1e-7 and abs(a.lat_wgs84 - b.lat_wgs84) < 1e-7


def _edge_point(dataset: gpd.GeoDataFrame, level: str = "city") -> shapely.Point:
    city = dataset[dataset["level"] == level].geometry.iloc[0]
    westmost = min(shapely.get_coordinates(city), key=lambda c: c[0])
    return shapely.Point(westmost)


def test_a_point_just_outside_the_city_is_snapped_and_far_ones_are_refused(
    shared_svc: Gridsvc, dataset: gpd.GeoDataFrame
) -> None:
    edge = _edge_point(dataset)
    deg_per_m = 1 / (111_320 * np.cos(np.radians(edge.y)))
    near = shared_svc.locate(edge.x - 20 * deg_per_m, edge.y)
    assert near.found and near.snapped
    assert 15 < near.distance_m <= 25
    with pytest.raises(OutsideAllGrids) as caught:
        shared_svc.locate(edge.x - 2000 * deg_per_m, edge.y)
    exc = caught.value
    assert exc.details["nearest"]["level"] == "community"
    assert 1900 < exc.details["distance_m"] < 2100
    assert exc.details["nearest"]["name"] in exc.message and "m away" in exc.message


def test_points_near_an_internal_boundary_are_flagged(
    shared_svc: Gridsvc, communities: gpd.GeoDataFrame
) -> None:
    a, b = communities.iloc[0], None
    for _, other in communities.iloc[1:].iterrows():
        shared = a.geometry.intersection(other.geometry)
        if shared.length > 0.001:
            b = other
            break
    assert b is not None
    mid = shared.interpolate(0.5, normalized=True)
    deg_per_m = 1 / 111_320
    inside_a = a.geometry.representative_point()
    # walk from the shared edge towards the inside of a: 1 m in is near, 200 m in is not
    direction = np.array([inside_a.x - mid.x, inside_a.y - mid.y])
    direction /= np.linalg.norm(direction)
    for metres, expect_near in ((1.0, True), (200.0, False)):
        p = np.array([mid.x, mid.y]) + direction * metres * deg_per_m
        if not a.geometry.contains(shapely.Point(p)):
            continue
        found = shared_svc.locate(p[0], p[1])
        assert found.near_boundary is expect_near, metres


def test_a_swapped_lat_lon_is_named_in_the_error(
    shared_svc: Gridsvc, communities: gpd.GeoDataFrame
) -> None:
    p = communities.geometry.iloc[10].representative_point()
    with pytest.raises(InvalidCoordinate) as caught:
        shared_svc.locate(p.y, p.x)
    assert "swapped" in (caught.value.hint or "")
    assert communities["code"].iloc[10] in (caught.value.hint or "")


def test_bad_coordinates_say_what_to_fix(shared_svc: Gridsvc) -> None:
    with pytest.raises(InvalidCoordinate, match="not a finite number"):
        shared_svc.locate(float("nan"), 32.0)
    with pytest.raises(InvalidCoordinate, match="out of range"):
        shared_svc.locate(200.0, 32.0)
    with pytest.raises(UnknownCrs):
        shared_svc.locate(118.78, 32.04, crs="mercator")


def test_a_non_blocking_caller_gets_a_new_version_from_a_background_check(
    db_url: str,
) -> None:
    # the API's event loop asks ready_locator(): never the database, yet a version activated
    # elsewhere arrives within the refresh interval
    import time

    from gridsvc.grids import store
    from gridsvc.grids.default import load_default
    from tests.conftest import make_settings

    settings = make_settings(db_url)
    settings.grids.locator_refresh_s = 0.05
    svc = Gridsvc.open(settings)
    try:
        assert svc.ready_locator() is None  # nothing built yet: the caller must use a thread
        first = svc.locator().version.id
        assert svc.ready_locator() is not None
        second = load_default(svc.db, settings.grids, if_empty=False)
        assert second is not None and second != first
        store.activate(svc.db, second)
        time.sleep(0.06)
        locator = svc.ready_locator()  # the check is due: the old one now, the new one soon
        assert locator is not None and locator.version.id == first
        deadline = time.monotonic() + 10
        while (svc.ready_locator() or locator).version.id != second:
            assert time.monotonic() < deadline, "the background check never finished"
            time.sleep(0.02)
    finally:
        svc.close()
