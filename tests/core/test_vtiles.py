"""Vector tiles from the library (gridsvc.vtiles), read back with a real MVT decoder
(mapbox-vector-tile) and checked against what shapely and pyproj compute independently
from the stored grids and events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import mapbox_vector_tile
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import example, given
from hypothesis import strategies as st
from pyproj import Transformer

from gridsvc import vtiles
from gridsvc.access import Principal
from gridsvc.dates import local_iso
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.events import store
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from tests.worlds import import_generated

TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
TO_WGS84 = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)
CENTRE_WGS84 = (118.7840, 32.0410)  # central Nanjing
COMMUNITY = "320102002001"  # a community of the default grids (the fuzz tests' grid worker)
ADMIN = Principal(0, "vt-admin", "admin")
ANALYST = Principal(0, "vt-analyst", "analyst")
EDGE_BAND = 1.0
"""Tile units around the buffer's edge where a test does not insist (ST_AsMVTGeom snaps to
whole units; the float4 boxes of `&&` are a few decimetres wide)."""


# --- helpers shared with tests/api/test_vtiles_api.py -----------------------------------------


def tile_at(lon: float, lat: float, z: int) -> vtiles.TileXYZ:
    """The tile holding a WGS-84 point, computed with pyproj (not with gridsvc.vtiles)."""
    x_m, y_m = TO_MERCATOR.transform(lon, lat)
    size = 2 * vtiles.HALF_WORLD_M / 2**z
    return vtiles.TileXYZ(
        z,
        int((x_m + vtiles.HALF_WORLD_M) // size),
        int((vtiles.HALF_WORLD_M - y_m) // size),
    )


def tile_units(tile: vtiles.TileXYZ, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Points (WGS-84) in tile units, x from the west edge, y from the north edge: (n, 2)."""
    x_m, y_m = TO_MERCATOR.transform(lon, lat)
    size = 2 * vtiles.HALF_WORLD_M / 2**tile.z
    x0 = -vtiles.HALF_WORLD_M + tile.x * size
    y0 = vtiles.HALF_WORLD_M - tile.y * size
    return np.column_stack(
        [(np.asarray(x_m) - x0) / size * 4096, (y0 - np.asarray(y_m)) / size * 4096]
    )


def decode(body: bytes) -> dict[str, Any]:
    """The tile's layers, y counted down from the north edge as in the tile itself."""
    decoded: dict[str, Any] = mapbox_vector_tile.decode(
        body, default_options={"y_coord_down": True}
    )
    return decoded


def expected_points(
    tile: vtiles.TileXYZ, ids: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> tuple[set[int], set[int]]:
    """Events a points tile must hold (inside the buffer by more than EDGE_BAND) and those
    it may hold (inside it by less, or just beyond)."""
    pos = tile_units(tile, lon, lat)
    lo, hi = -vtiles.BUFFER, 4096 + vtiles.BUFFER
    inner = np.all((pos > lo + EDGE_BAND) & (pos < hi - EDGE_BAND), axis=1)
    outer = np.all((pos > lo - EDGE_BAND) & (pos < hi + EDGE_BAND), axis=1)
    return {int(i) for i in ids[inner]}, {int(i) for i in ids[outer & ~inner]}


def in_tile(tile: vtiles.TileXYZ, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Which points lie in the tile itself (no buffer), a tile's half-open square."""
    pos = tile_units(tile, lon, lat)
    inside: np.ndarray = np.all((pos >= 0) & (pos < 4096), axis=1)
    return inside


def sensitive_codes(svc: Gridsvc) -> list[str]:
    return sorted(store.sensitive_categories(svc))


def event_table(svc: Gridsvc) -> pd.DataFrame:
    rows = svc.db.cursor_fetchall(
        "SELECT id, category, community_code, occurred_at, ST_X(geom), ST_Y(geom) FROM event"
    )
    return pd.DataFrame(rows, columns=["id", "category", "community", "occurred_at", "lon", "lat"])


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def events_svc(module_svc: Gridsvc) -> Iterator[Gridsvc]:
    """3,000 generated events over 60 days (the console tests' world), read-only after."""
    import_generated(module_svc, count=3000, days=60, seed=5, filename="vtiles.csv")
    yield module_svc


@pytest.fixture(scope="module")
def events(events_svc: Gridsvc) -> pd.DataFrame:
    return event_table(events_svc)


def busiest_tile(events: pd.DataFrame, z: int) -> vtiles.TileXYZ:
    """The tile of zoom z holding the most events (ties: the smallest x, then y)."""
    tiles = [tile_at(lon, lat, z) for lon, lat in zip(events["lon"], events["lat"], strict=True)]
    counts = pd.Series([(t.x, t.y) for t in tiles]).value_counts()
    best = max(counts.index, key=lambda xy: (counts[xy], -xy[0], -xy[1]))
    return vtiles.TileXYZ(z, *best)


# --- tile math ------------------------------------------------------------------------------


@given(
    z=st.integers(0, vtiles.MAX_ZOOM),
    fx=st.floats(0, 1, exclude_max=True),
    fy=st.floats(0, 1, exclude_max=True),
)
@example(z=0, fx=0.0, fy=0.0)
@example(z=12, fx=3399 / 4096, fy=1662 / 4096)  # central Nanjing
def test_tile_bounds_agree_with_pyproj(z: int, fx: float, fy: float) -> None:
    n = 2**z
    tile = vtiles.tile_xyz(z, int(fx * n), int(fy * n))
    xmin, ymin, xmax, ymax = tile.bounds_mercator
    assert xmax - xmin == pytest.approx(tile.size_m) == pytest.approx(ymax - ymin)
    west, south = TO_WGS84.transform(xmin, ymin)
    east, north = TO_WGS84.transform(xmax, ymax)
    assert tile.bounds_wgs84 == pytest.approx((west, south, east, north), abs=1e-9)
    # a point inside the tile is found in it again
    lon, lat = (west + east) / 2, (south + north) / 2
    assert tile_at(lon, lat, z) == tile


@pytest.mark.parametrize(
    ("z", "x", "y", "field"),
    [(23, 0, 0, "z"), (-1, 0, 0, "z"), (3, 8, 0, "x"), (3, 0, 8, "y"), (0, 0, -1, "y")],
)
def test_tile_out_of_range_is_invalid_input(z: int, x: int, y: int, field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        vtiles.tile_xyz(z, x, y)
    assert caught.value.field == field
    assert str(z) in caught.value.message and caught.value.hint


# --- layers ---------------------------------------------------------------------------------


def test_layers_are_the_levels_with_units_and_the_events(shared_svc: Gridsvc) -> None:
    counts = grid_store.level_counts(shared_svc.db)
    offered = {layer.id: layer for layer in vtiles.layers(shared_svc)}
    expected = [lvl for lvl in vtiles.GRID_LEVELS if counts.get(lvl)]
    assert list(offered) == [*expected, "events"]
    assert "grid" not in offered  # the default dataset has no grids below communities
    assert offered["community"].units == counts["community"] == 1255
    with pytest.raises(NotFound) as caught:
        vtiles.layer(shared_svc, "city_walls")
    assert "community" in (caught.value.hint or "")


# --- grid tiles -----------------------------------------------------------------------------


@pytest.mark.parametrize("z", [11, 13, 15])
def test_grid_tile_holds_the_communities_that_intersect_it(shared_svc: Gridsvc, z: int) -> None:
    version = grid_store.active_version(shared_svc.db)
    units = grid_store.read_units(shared_svc.db, version.id)
    communities = units[units["level"] == "community"].set_index("code")
    tile = tile_at(*CENTRE_WGS84, z)
    layer = vtiles.layer(shared_svc, "community")
    features = decode(vtiles.grid_tile(shared_svc, layer, tile))["community"]["features"]
    drawn = {f["properties"]["code"]: f for f in features}

    # independently: the polygons in Web Mercator against the tile and its buffer
    merc = shapely.transform(
        communities.geometry.values,
        lambda xy: np.column_stack(TO_MERCATOR.transform(xy[:, 0], xy[:, 1])),
    )
    xmin, ymin, xmax, ymax = tile.bounds_mercator
    unit_m = tile.size_m / 4096
    pad = vtiles.BUFFER * unit_m
    buffered = shapely.box(xmin - pad, ymin - pad, xmax + pad, ymax + pad)
    area = shapely.area(shapely.intersection(merc, buffered)) / unit_m**2
    must = set(communities.index[area >= 4])  # at least a few tile units² inside
    may = set(communities.index[area > 0])
    assert must and must <= set(drawn) <= may
    for code, feature in drawn.items():
        props = feature["properties"]
        unit = communities.loc[code]
        assert props["name"] == unit["name"] and props["level"] == "community"
        assert props["parent_code"] == unit["parent_code"]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_grid_tile_outside_the_city_is_empty(shared_svc: Gridsvc) -> None:
    far = vtiles.tile_xyz(12, 0, 0)  # the Bering Strait
    assert vtiles.grid_tile(shared_svc, vtiles.layer(shared_svc, "district"), far) == b""


# --- events tiles ---------------------------------------------------------------------------


@pytest.mark.parametrize("z", [14, 16])
def test_points_tile_holds_the_events_in_it_and_its_buffer(
    events_svc: Gridsvc, events: pd.DataFrame, z: int
) -> None:
    tile = busiest_tile(events, z)
    got = vtiles.events_tile(events_svc, tile, store.EventFilter(principal=ADMIN))
    assert got.kind == "points"
    features = decode(got.mvt)["events"]["features"]
    ids = {f["id"] for f in features}
    must, may = expected_points(
        tile, events["id"].to_numpy(), events["lon"].to_numpy(), events["lat"].to_numpy()
    )
    assert len(must) >= 5
    assert must <= ids <= must | may
    assert got.events == len(ids)
    # properties as the event list shows them
    for feature in features[:25]:
        event = store.get_event(events_svc, feature["id"])
        props = feature["properties"]
        assert "id" not in props  # the feature id
        assert props["category"] == event["category"]
        assert props["status"] == event["status"] and props["urgency"] == event["urgency"]
        assert props["occurred_at"] == event["occurred_at"]
        assert "rounded" not in props
        x, y = feature["geometry"]["coordinates"]
        expected = tile_units(
            tile,
            np.array([event["location"]["lon_wgs84"]]),
            np.array([event["location"]["lat_wgs84"]]),
        )[0]
        assert abs(x - expected[0]) <= 1 and abs(y - expected[1]) <= 1


@pytest.mark.parametrize("z", [12, 13])
def test_bins_add_up_to_the_events_in_the_tile(
    events_svc: Gridsvc, events: pd.DataFrame, z: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vtiles, "MAX_POINTS", 50)  # the sample is small: bins from 51 events
    tile = busiest_tile(events, z)
    got = vtiles.events_tile(events_svc, tile, store.EventFilter(principal=ADMIN))
    assert got.kind == "bins"
    bins = decode(got.mvt)["event_bins"]["features"]
    inside = in_tile(tile, events["lon"].to_numpy(), events["lat"].to_numpy())
    assert sum(f["properties"]["count"] for f in bins) == got.events == int(inside.sum()) > 100
    cell = 4096 / vtiles.BIN_CELLS
    assert len(bins) <= vtiles.BIN_CELLS**2
    assert all(0 <= c <= 4096 for f in bins for c in f["geometry"]["coordinates"])
    # one bin per occupied cell of the lattice, with that cell's count
    pos = tile_units(tile, events["lon"].to_numpy(), events["lat"].to_numpy())[inside]
    occupied = pd.Series([(int(x // cell), int(y // cell)) for x, y in pos]).value_counts()
    assert len(bins) == len(occupied)
    assert sorted(f["properties"]["count"] for f in bins) == sorted(occupied.tolist())


def test_a_zoom_s_bins_count_every_event_once(
    events_svc: Gridsvc, events: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vtiles, "MAX_POINTS", -1)  # every tile as bins
    tiles = {tile_at(lon, lat, 12) for lon, lat in zip(events["lon"], events["lat"], strict=True)}
    total = sum(
        vtiles.events_tile(events_svc, t, store.EventFilter(principal=ADMIN)).events for t in tiles
    )
    assert total == len(events)


def test_a_crowded_tile_is_drawn_as_bins(
    events_svc: Gridsvc, events: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    tile = busiest_tile(events, 14)
    flt = store.EventFilter(principal=ADMIN)
    points = vtiles.events_tile(events_svc, tile, flt)
    monkeypatch.setattr(vtiles, "MAX_POINTS", 10)
    binned = vtiles.events_tile(events_svc, tile, flt)
    assert points.kind == "points" and points.events > 10
    assert binned.kind == "bins" and list(decode(binned.mvt)) == ["event_bins"]
    inside = in_tile(tile, events["lon"].to_numpy(), events["lat"].to_numpy())
    assert binned.events == int(inside.sum())


def test_filters_narrow_a_tile_as_they_narrow_the_list(
    events_svc: Gridsvc, events: pd.DataFrame
) -> None:
    tile = busiest_tile(events, 14)
    category = events["category"].value_counts().index[0]
    start = events["occurred_at"].min() + timedelta(days=20)
    stop = start + timedelta(days=20)
    flt = store.EventFilter(
        categories=(category,), occurred_from=start, occurred_to=stop, principal=ADMIN
    )
    ids = {
        f["id"] for f in decode(vtiles.events_tile(events_svc, tile, flt).mvt)["events"]["features"]
    }
    chosen = events[
        (events["category"] == category)
        & (events["occurred_at"] >= start)
        & (events["occurred_at"] < stop)
    ]
    must, may = expected_points(
        tile, chosen["id"].to_numpy(), chosen["lon"].to_numpy(), chosen["lat"].to_numpy()
    )
    assert must and must <= ids <= must | may


def test_a_grid_worker_sees_only_its_community(events_svc: Gridsvc, events: pd.DataFrame) -> None:
    worker = Principal(0, "vt-gw", "grid_worker", scope_code=COMMUNITY)
    mine = events[events["community"] == COMMUNITY]
    assert len(mine) >= 3
    lon, lat = mine["lon"].mean(), mine["lat"].mean()
    tile = tile_at(lon, lat, 14)
    seen = vtiles.events_tile(events_svc, tile, store.EventFilter(principal=worker))
    everyone = vtiles.events_tile(events_svc, tile, store.EventFilter(principal=ADMIN))
    seen_ids = {f["id"] for f in decode(seen.mvt)["events"]["features"]}
    all_ids = {f["id"] for f in decode(everyone.mvt)["events"]["features"]}
    assert seen_ids and seen_ids <= set(mine["id"]) and seen_ids < all_ids


def test_an_analyst_sees_sensitive_events_rounded(
    events_svc: Gridsvc, events: pd.DataFrame
) -> None:
    sensitive = events[events["category"].isin(sensitive_codes(events_svc))]
    assert len(sensitive) >= 5
    # the tile of a rounded position: the one the analyst's tile must hold it in
    first = sensitive.iloc[0]
    r_lon, r_lat = round(first["lon"], 2), round(first["lat"], 2)
    tile = tile_at(r_lon, r_lat, 15)
    flt = store.EventFilter(categories=(first["category"],))
    analyst = decode(vtiles.events_tile(events_svc, tile, replace(flt, principal=ANALYST)).mvt)
    features = {f["id"]: f for f in analyst["events"]["features"]}
    assert int(first["id"]) in features
    rounded_here = 0
    for event_id, feature in features.items():
        row = events[events["id"] == event_id].iloc[0]
        assert feature["properties"]["rounded"] is True
        x, y = feature["geometry"]["coordinates"]
        expected = tile_units(
            tile, np.array([round(row["lon"], 2)]), np.array([round(row["lat"], 2)])
        )[0]
        assert abs(x - expected[0]) <= 1 and abs(y - expected[1]) <= 1
        rounded_here += 1
    # an admin sees the same category where it happened
    admin = decode(vtiles.events_tile(events_svc, tile, replace(flt, principal=ADMIN)).mvt)
    for feature in admin.get("events", {}).get("features", []):
        assert "rounded" not in feature["properties"]
    assert rounded_here >= 1


def test_events_below_the_minimum_zoom_are_refused(events_svc: Gridsvc) -> None:
    with pytest.raises(InvalidInput) as caught:
        vtiles.events_tile(events_svc, vtiles.tile_xyz(9, 426, 207), store.EventFilter())
    assert caught.value.field == "z"


def test_occurred_at_is_written_as_local_iso(svc: Gridsvc) -> None:
    """Beijing time with its offset, also at the ends of the date range, in the summers of
    China's daylight saving (+09:00) and with microseconds, as the event list writes it."""
    lon, lat = CENTRE_WGS84
    utc = UTC
    times = [
        datetime(2026, 11, 20, 1, 30, tzinfo=utc),
        datetime(1988, 7, 1, 12, 0, tzinfo=utc),  # daylight saving time: +09:00
        datetime(2026, 3, 1, 0, 0, 0, 123456, tzinfo=utc),
        datetime(1900, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=8))),  # local mean time
    ]
    svc.clock = lambda: datetime(2026, 12, 1, tzinfo=utc)
    made = []
    for i, when in enumerate(times):
        report = {
            "client_event_id": f"vt-time-{i}",
            "reporter_id": "vt",
            "category": "hazard.fire",
            "title": "楼道堆放杂物",
            "occurred_at": when.isoformat(),
            "lon": lon + i * 1e-5,
            "lat": lat,
        }
        made.append(store.create_event(svc, report).event)
    tile = tile_at(lon, lat, 14)
    features = decode(vtiles.events_tile(svc, tile, store.EventFilter()).mvt)["events"]["features"]
    shown = {f["id"]: f["properties"]["occurred_at"] for f in features}
    for event in made:
        assert (
            shown[event["id"]]
            == event["occurred_at"]
            == local_iso(datetime.fromisoformat(event["occurred_at"]))
        )
    assert any(v.endswith("+09:00") for v in shown.values())
    assert any(".123456+08:00" in v for v in shown.values())


# --- the kept bins (event_tile_bin, migration 0014) -----------------------------------------


def _bins(body: bytes) -> list[tuple[int, int, int]]:
    """(count, x, y) of an events tile's bins."""
    return [
        (f["properties"]["count"], *f["geometry"]["coordinates"])
        for f in decode(body).get("event_bins", {}).get("features", [])
    ]


def _same_bins(kept: list[tuple[int, int, int]], read: list[tuple[int, int, int]]) -> bool:
    """Whether two tiles hold the same bins: equal counts at positions within one tile unit
    (a mean summed in another order may round to the next unit)."""
    left = sorted(read)
    for count, x, y in sorted(kept):
        match = next(
            (b for b in left if b[0] == count and abs(b[1] - x) <= 1 and abs(b[2] - y) <= 1), None
        )
        if match is None:
            return False
        left.remove(match)
    return not left


def _read_from_events(flt: store.EventFilter, events: pd.DataFrame) -> store.EventFilter:
    """The same selection as ``flt`` through a filter that narrows nothing (a start before
    the first event), so the tile is made from the events themselves."""
    return replace(flt, occurred_from=events["occurred_at"].min() - timedelta(days=1))


@pytest.mark.parametrize("z", [12, 13, 14, 15])
@pytest.mark.parametrize("who", [ADMIN, ANALYST], ids=["admin", "analyst"])
def test_kept_bins_are_the_bins_of_the_events(
    events_svc: Gridsvc,
    events: pd.DataFrame,
    z: int,
    who: Principal,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(vtiles, "MAX_POINTS", 5)  # the sample is small: bins from 6 events
    tile = busiest_tile(events, z)
    flt = store.EventFilter(principal=who, coarse=store.coarsened(events_svc, who))
    kept = vtiles.events_tile(events_svc, tile, flt)
    read = vtiles.events_tile(events_svc, tile, _read_from_events(flt, events))
    assert kept.kind == read.kind == "bins"
    assert kept.events == read.events > 5
    assert _same_bins(_bins(kept.mvt), _bins(read.mvt))


def test_a_tile_of_every_event_is_read_from_the_kept_bins(
    svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_generated(svc, count=400, days=10, seed=8, filename="bins.csv")
    events = event_table(svc)
    tile = busiest_tile(events, 12)
    monkeypatch.setattr(vtiles, "MAX_POINTS", -1)  # bins, however few
    flt = store.EventFilter(principal=ADMIN)
    before = vtiles.events_tile(svc, tile, flt)
    assert before.kind == "bins" and before.events > 10
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM event_tile_bin")
        conn.commit()
    # the kept bins are gone, the events are not: only a filtered tile still finds them
    assert vtiles.events_tile(svc, tile, flt).events == 0
    assert vtiles.events_tile(svc, tile, _read_from_events(flt, events)).events == before.events
    # a scoped caller's tile is always made from the events
    here = events[in_tile(tile, events["lon"].to_numpy(), events["lat"].to_numpy())]
    worker = Principal(0, "vt-gw", "grid_worker", scope_code=here["community"].iloc[0])
    assert vtiles.events_tile(svc, tile, store.EventFilter(principal=worker)).events > 0


def test_a_category_made_sensitive_moves_its_kept_bins(
    svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridsvc.events.taxonomy_db import store_taxonomy
    from tests.invariants import rollup_differences

    import_generated(svc, count=600, days=10, seed=9, filename="sens.csv")
    events = event_table(svc)
    assert rollup_differences(svc.db) == {}
    taxonomy = store.taxonomy_of(svc, include_inactive=True)
    common = events["category"].value_counts().index[0]
    assert common not in store.sensitive_categories(svc)
    flipped = type(taxonomy)(
        tuple(replace(c, sensitive=c.sensitive or c.code == common) for c in taxonomy.categories)
    )
    with svc.db.connection() as conn:
        store_taxonomy(conn, flipped)
        conn.commit()
    svc._taxonomies.clear()  # the service's cache of the taxonomy, re-read now
    assert common in store.sensitive_categories(svc)
    assert rollup_differences(svc.db) == {}
    # the partial index of the sensitive categories' events now holds this one's too
    ((indexdef,),) = svc.db.cursor_fetchall(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'event_sensitive_geom'"
    )
    assert all(f"'{code}'" in indexdef for code in store.sensitive_categories(svc))
    monkeypatch.setattr(vtiles, "MAX_POINTS", 5)
    flt = store.EventFilter(principal=ANALYST, coarse=store.coarsened(svc, ANALYST))
    for z in (12, 14):
        tile = busiest_tile(events, z)
        kept = vtiles.events_tile(svc, tile, flt)
        read = vtiles.events_tile(svc, tile, _read_from_events(flt, events))
        assert kept.events == read.events > 5
        assert _same_bins(_bins(kept.mvt), _bins(read.mvt))
    # and back: the bins are those of the events under the old flags again
    with svc.db.connection() as conn:
        store_taxonomy(conn, taxonomy)
        conn.commit()
    assert rollup_differences(svc.db) == {}
    ((indexdef,),) = svc.db.cursor_fetchall(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'event_sensitive_geom'"
    )
    assert f"'{common}'" not in indexdef
