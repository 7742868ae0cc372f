"""Possible duplicates read through the cell index (migration 0008, issue #8 goal 4): the map
cells listed under a box are exactly the cells of its points; the duplicates are the events a
full scan finds, also across the borders of cells and with a radius of many cells, for a
report alone, for reports stored together and for a stored event; and the query, for one
point or many, can use the index."""

from __future__ import annotations

import io
import json
import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from psycopg2 import sql

from gridsvc.events import store
from gridsvc.events.importer import import_events
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from tests.core.test_events import _point, _report

CELL_DEG = 0.005  # the cell of event_cell (migration 0008): only to place test points
KINDS = ("hazard.ebike_charging", "hazard.fire")
BASE = datetime.fromisoformat("2026-11-20T08:30:00+08:00")

# What event_nearby.sql must find, said as plainly as SQL can, read without any index.
FULL_SCAN = """
SELECT id FROM event
WHERE category = %(category)s AND status NOT IN ('closed', 'rejected', 'merged')
  AND id <> %(exclude_id)s
  AND occurred_at BETWEEN %(t)s::timestamptz - %(window_h)s * interval '1 hour'
                      AND %(t)s::timestamptz + %(window_h)s * interval '1 hour'
  AND ST_DWithin(geom::geography, ST_MakePoint(%(lon)s, %(lat)s)::geography, %(radius_m)s)
ORDER BY ST_Distance(geom::geography, ST_MakePoint(%(lon)s, %(lat)s)::geography), id
LIMIT 10
"""


@contextmanager
def _cursor(svc: Gridsvc, *settings: str) -> Iterator[Any]:
    """A cursor in a transaction with ``SET LOCAL`` ``settings``, rolled back at the end."""
    with svc.db.connection() as conn, conn.cursor() as cur:
        for setting in settings:
            cur.execute(f"SET LOCAL {setting}")
        yield cur
        conn.rollback()


# --- the cells ---------------------------------------------------------------------------------

_lon = st.floats(-179.5, 179.5, allow_nan=False)
_lat = st.floats(-85.0, 85.0, allow_nan=False)
_half = st.floats(0.0, 0.05, allow_nan=False)


@given(lon=_lon, lat=_lat, half=_half, fractions=st.lists(st.floats(-1, 1), min_size=2))
@example(lon=118.8, lat=32.0, half=0.0, fractions=[0.0, 0.0])  # a corner of four cells
@example(lon=118.8, lat=32.0, half=0.005, fractions=[-1.0, 1.0])  # a box of exact cells
@example(lon=-0.0025, lat=-0.0025, half=0.0025, fractions=[-1.0, 1.0])  # around 0, 0
@example(lon=-73.99, lat=-33.45, half=0.0123, fractions=[1.0, -1.0, 0.5])  # west and south
@settings(max_examples=150, deadline=None)
def test_the_cells_under_a_box_are_exactly_the_cells_of_its_points(
    shared_svc: Gridsvc, lon: float, lat: float, half: float, fractions: list[float]
) -> None:
    # points of the box: its corners, and points inside it at the given fractions of its size
    points = [(lon + fx * half, lat + fy * half) for fx in (-1.0, 1.0) for fy in (-1.0, 1.0)]
    points += [
        (lon + fx * half, lat + fy * half)
        for fx, fy in zip(fractions, reversed(fractions), strict=True)
    ]
    ((cells, of_points),) = shared_svc.db.cursor_fetchall(
        "SELECT event_cells(%s, %s, %s),"
        " ARRAY(SELECT event_cell(x, y) FROM unnest(%s::float8[], %s::float8[]) AS p (x, y))",
        (lon, lat, half, [p[0] for p in points], [p[1] for p in points]),
    )
    assert set(of_points) <= set(cells)
    # and no more: the cells of the box's columns times its rows, each once, in order
    columns = math.floor((lon + half) / CELL_DEG) - math.floor((lon - half) / CELL_DEG) + 1
    rows = math.floor((lat + half) / CELL_DEG) - math.floor((lat - half) / CELL_DEG) + 1
    assert len(cells) == columns * rows and cells == sorted(set(cells))
    corners = {of_points[0], of_points[3]}  # (west, south) and (east, north): the extremes
    assert corners == {cells[0], cells[-1]}


# --- duplicates against the full scan ----------------------------------------------------------


def _corner(svc: Gridsvc) -> tuple[float, float]:
    """A corner shared by four cells, inside Nanjing's grids."""
    p = _point(svc, "320105001001")
    return round(p.x / CELL_DEG) * CELL_DEG, round(p.y / CELL_DEG) * CELL_DEG


def _near(rng: random.Random, corner: tuple[float, float], spread: float) -> tuple[float, float]:
    return (
        corner[0] + rng.uniform(-spread, spread),
        corner[1] + rng.uniform(-spread, spread),
    )


def _kind_report(rng: random.Random, svc: Gridsvc, n: str, at: tuple[float, float]) -> Any:
    category = rng.choice(KINDS)
    return _report(
        svc,
        client_event_id=n,
        category=category,
        attributes={"indoor": True} if category == "hazard.ebike_charging" else {},
        lon=at[0],
        lat=at[1],
        occurred_at=(BASE + timedelta(hours=rng.uniform(-120, 120))).isoformat(),
    )


def _stored_around_a_corner(
    svc: Gridsvc, rng: random.Random, *, n: int = 120, spread: float = 0.0025
) -> list[int]:
    """``n`` events within ``spread`` degrees of a cell corner, of two kinds, over ten days,
    an eighth of them closed."""
    corner = _corner(svc)
    reports = [_kind_report(rng, svc, f"s-{i}", _near(rng, corner, spread)) for i in range(n)]
    results = store.create_events(svc, reports)
    ids = [r.event["id"] for r in results if isinstance(r, store.CreateResult)]
    assert len(ids) == len(reports)
    closed = rng.sample(ids, n // 8)
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute("UPDATE event SET status = 'closed' WHERE id = ANY (%s)", (closed,))
    return ids


def _expected(
    svc: Gridsvc,
    report: dict[str, Any],
    exclude_id: int = -1,
    radius_m: float | None = None,
) -> list[int]:
    kind = store.taxonomy_of(svc).get(report["category"])
    params = {
        "category": report["category"],
        "exclude_id": exclude_id,
        "t": report["occurred_at"],
        "window_h": kind.dedupe_window_h,
        "lon": report["lon"],
        "lat": report["lat"],
        "radius_m": kind.dedupe_radius_m if radius_m is None else radius_m,
    }
    off = ("enable_indexscan = off", "enable_bitmapscan = off", "enable_indexonlyscan = off")
    with _cursor(svc, *off) as cur:
        cur.execute(FULL_SCAN, params)
        return [int(r[0]) for r in cur.fetchall()]


def _cells_of(svc: Gridsvc, ids: list[int]) -> dict[int, int]:
    rows = svc.db.cursor_fetchall(
        "SELECT id, event_cell(ST_X(geom), ST_Y(geom)) FROM event WHERE id = ANY (%s)", (ids,)
    )
    return {int(i): int(c) for i, c in rows}


def _cells_at(svc: Gridsvc, reports: list[dict[str, Any]]) -> list[int]:
    """The cell of each report's point, in order (one query)."""
    ((cells,),) = svc.db.cursor_fetchall(
        "SELECT ARRAY(SELECT event_cell(x, y) FROM unnest(%s::float8[], %s::float8[])"
        " WITH ORDINALITY AS p (x, y, i) ORDER BY i)",
        ([r["lon"] for r in reports], [r["lat"] for r in reports]),
    )
    return [int(c) for c in cells]


def test_duplicates_are_what_a_full_scan_finds_across_cell_borders(svc: Gridsvc) -> None:
    rng = random.Random(8)
    stored = _stored_around_a_corner(svc, rng)
    corner = _corner(svc)
    reports = [_kind_report(rng, svc, f"q-{i}", _near(rng, corner, 0.002)) for i in range(40)]

    # a report alone: each is stored in turn, so each later one may list the earlier ones
    seen: list[list[int]] = []
    for report in reports[:20]:
        expected = _expected(svc, report)
        found = store.create_event(svc, report).possible_duplicates
        assert [d["id"] for d in found] == expected
        seen.append(expected)
    # reports stored together: each finds what was stored before the batch
    expected_together = [_expected(svc, r) for r in reports[20:]]
    together = store.create_events(svc, reports[20:])
    assert [
        [d["id"] for d in r.possible_duplicates]
        for r in together
        if isinstance(r, store.CreateResult)
    ] == expected_together
    seen.extend(expected_together)

    # the comparison means something: most reports have duplicates, many in another cell
    assert sum(1 for ids in seen if ids) > 25
    cells = _cells_of(svc, [i for ids in seen for i in ids])
    across = sum(
        1
        for here, ids in zip(_cells_at(svc, reports), seen, strict=True)
        for i in ids
        if cells[i] != here
    )
    assert across > 10

    # a stored event's duplicates leave itself out
    for event_id in stored[:10]:
        event = store.get_event(svc, event_id)
        kind = store.taxonomy_of(svc).get(event["category"])
        found = store.possible_duplicates(
            svc, event, radius_m=kind.dedupe_radius_m, window_h=kind.dedupe_window_h
        )
        report = {
            "category": event["category"],
            "occurred_at": event["occurred_at"],
            "lon": event["location"]["lon_wgs84"],
            "lat": event["location"]["lat_wgs84"],
        }
        assert [d["id"] for d in found] == _expected(svc, report, exclude_id=event_id)


def _column_row(lon: float, lat: float) -> tuple[int, int]:
    return math.floor(lon / CELL_DEG), math.floor(lat / CELL_DEG)


def test_a_radius_of_many_cells_finds_what_a_full_scan_finds(svc: Gridsvc) -> None:
    """1.5 km: a box of ~7 x 7 cells, over events spread across ~6 km."""
    rng = random.Random(15)
    _stored_around_a_corner(svc, rng, n=200, spread=0.03)
    corner = _corner(svc)
    far = 0
    for i in range(20):
        report = _kind_report(rng, svc, f"r-{i}", _near(rng, corner, 0.02))
        kind = store.taxonomy_of(svc).get(report["category"])
        with svc.db.connection() as conn, conn.cursor() as cur:
            found = store._nearby_at(
                cur,
                lon=report["lon"],
                lat=report["lat"],
                category=report["category"],
                occurred_at=report["occurred_at"],
                exclude_id=None,
                radius_m=1500.0,
                window_h=kind.dedupe_window_h,
            )
        expected = _expected(svc, report, radius_m=1500.0)
        assert [d["id"] for d in found] == expected
        # found two or more cells away: not in a fixed neighbourhood of the report's cell
        column, row = _column_row(report["lon"], report["lat"])
        far += sum(
            1
            for x, y in svc.db.cursor_fetchall(
                "SELECT ST_X(geom), ST_Y(geom) FROM event WHERE id = ANY (%s)", (expected,)
            )
            if max(abs(a - b) for a, b in zip(_column_row(x, y), (column, row), strict=True)) >= 2
        )
    assert far > 5


def test_a_duplicate_just_across_a_cell_border_is_found(svc: Gridsvc) -> None:
    cx, cy = _corner(svc)
    east = store.create_event(svc, _report(svc, client_event_id="e", lon=cx + 0.0002, lat=cy))
    west = _report(svc, client_event_id="w", lon=cx - 0.0002, lat=cy)  # ~38 m west, next cell
    found = store.create_event(svc, west).possible_duplicates
    assert [d["id"] for d in found] == [east.event["id"]]
    assert 30 < found[0]["distance_m"] < 45


# --- the plan ----------------------------------------------------------------------------------


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _plan_nodes(child))]


# Several points at once, as a relation the query joins laterally, like the staged reports
# (event_nearby_staged.sql): their values are not constants to the planner.
_POINTS = """
SELECT v.row_number, v.lon_wgs84, v.lat_wgs84, v.category, v.occurred_at, v.window_h,
       v.radius_m, v.box_deg, NULL::bigint AS exclude_id
FROM unnest(%(rows)s::bigint[], %(lon)s::float8[], %(lat)s::float8[], %(category)s::text[],
            %(occurred_at)s::timestamptz[], %(window_h)s::float8[], %(radius_m)s::float8[],
            %(box_deg)s::float8[])
     AS v (row_number, lon_wgs84, lat_wgs84, category, occurred_at, window_h, radius_m, box_deg)
"""


@pytest.mark.parametrize("points", ["one", "many"])
def test_the_duplicates_query_can_read_the_cell_index(svc: Gridsvc, points: str) -> None:
    """The planner reads event_open_near by category, the cells under the box and the
    window: the query's cell expression is the index's. The events are spread over ~10 km,
    as a city's are: the category's window holds many more than the cells under a box, or
    the planner rightly reads the window alone."""
    rng = random.Random(0)
    cx, cy = _corner(svc)
    lines = ["client_event_id,reporter_id,category,title,occurred_at,lon,lat"]
    for i in range(1500):
        at = (BASE + timedelta(hours=rng.uniform(-120, 120))).isoformat()
        lon, lat = _near(rng, (cx, cy), 0.05)
        lines.append(f"p-{i},gw-1,hazard.fire,事件,{at},{lon:.7f},{lat:.7f}")
    imported = import_events(svc, io.BytesIO("\n".join(lines).encode()), filename="p.csv")
    assert imported.stored == 1500
    svc.db.cursor_fetchall("ANALYZE event")
    cx, cy = _corner(svc)
    box = store._box_deg(cy, 100.0)
    if points == "one":
        statement = store._nearby_statement("event_nearby_point")
        params: dict[str, Any] = {
            "lon_wgs84": cx,
            "lat_wgs84": cy,
            "category": "hazard.fire",
            "exclude_id": None,
            "occurred_at": BASE,
            "window_h": 72.0,
            "radius_m": 100.0,
            "box_deg": box,
        }
    else:
        statement = sql.SQL(query("event_nearby")).format(points=sql.SQL(_POINTS))
        params = {
            "rows": [1, 2, 3],
            "lon": [cx, cx + 0.001, cx - 0.002],
            "lat": [cy, cy - 0.001, cy + 0.001],
            "category": ["hazard.fire"] * 3,
            "occurred_at": [BASE, BASE, BASE],
            "window_h": [72.0] * 3,
            "radius_m": [100.0] * 3,
            "box_deg": [box] * 3,
        }
    with _cursor(svc) as cur:
        cur.execute(sql.SQL("EXPLAIN (FORMAT JSON) ") + statement, params)
        (plan,) = cur.fetchone()
    nodes = _plan_nodes((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
    # every read of event is through event_open_near (an index scan, or a bitmap of it alone)
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], nodes
    reads = [n for n in nodes if "Index Name" in n]
    assert [n["Index Name"] for n in reads] == ["event_open_near"], reads
    cond = reads[0]["Index Cond"]
    assert "category" in cond and "ANY" in cond and "occurred_at >=" in cond, cond
