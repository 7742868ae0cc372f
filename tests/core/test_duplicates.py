"""Possible duplicates read through the cell index (migration 0008, issue #8 goal 4): they are
the events a full scan finds, also across the borders of the index's cells, for a report
alone, for reports stored together and for a stored event; and the query can use the index."""

from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta
from typing import Any

from psycopg2 import sql

from gridsvc.events import store
from gridsvc.service import Gridsvc
from tests.core.test_events import _point, _report

CELL_DEG = 0.005  # the cell of event_cell (migration 0008)
KINDS = ("hazard.ebike_charging", "hazard.fire")
BASE = datetime.fromisoformat("2026-11-20T08:30:00+08:00")

# What event_nearby.sql must find, said as plainly as SQL can: no index can help it.
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


def _stored_around_a_corner(svc: Gridsvc, rng: random.Random) -> list[int]:
    """~120 events within ~250 m of a cell corner, of two kinds, over ten days, a few closed."""
    corner = _corner(svc)
    reports = [_kind_report(rng, svc, f"s-{i}", _near(rng, corner, 0.0025)) for i in range(120)]
    results = store.create_events(svc, reports)
    ids = [r.event["id"] for r in results if isinstance(r, store.CreateResult)]
    assert len(ids) == len(reports)
    closed = rng.sample(ids, 15)
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute("UPDATE event SET status = 'closed' WHERE id = ANY (%s)", (closed,))
    return ids


def _expected(svc: Gridsvc, report: dict[str, Any], exclude_id: int = -1) -> list[int]:
    kind = store.taxonomy_of(svc).get(report["category"])
    rows = svc.db.cursor_fetchall(
        FULL_SCAN,
        {
            "category": report["category"],
            "exclude_id": exclude_id,
            "t": report["occurred_at"],
            "window_h": kind.dedupe_window_h,
            "lon": report["lon"],
            "lat": report["lat"],
            "radius_m": kind.dedupe_radius_m,
        },
    )
    return [int(r[0]) for r in rows]


def _cell(lon: float, lat: float) -> tuple[int, int]:
    return math.floor(lon / CELL_DEG), math.floor(lat / CELL_DEG)


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
    where = {
        int(i): (float(x), float(y))
        for i, x, y in svc.db.cursor_fetchall("SELECT id, ST_X(geom), ST_Y(geom) FROM event")
    }
    across = sum(
        1
        for report, ids in zip(reports, seen, strict=True)
        for i in ids
        if _cell(*where[i]) != _cell(report["lon"], report["lat"])
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


def test_a_duplicate_just_across_a_cell_border_is_found(svc: Gridsvc) -> None:
    cx, cy = _corner(svc)
    east = store.create_event(svc, _report(svc, client_event_id="e", lon=cx + 0.0002, lat=cy))
    west = _report(svc, client_event_id="w", lon=cx - 0.0002, lat=cy)  # ~38 m west, next cell
    found = store.create_event(svc, west).possible_duplicates
    assert [d["id"] for d in found] == [east.event["id"]]
    assert 30 < found[0]["distance_m"] < 45


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _plan_nodes(child))]


def test_the_duplicates_query_can_read_the_cell_index(svc: Gridsvc) -> None:
    """With sequential scans priced out, the planner reads event_open_near by category, the
    cells under the box and the window: the query's cell expression is the index's."""
    _stored_around_a_corner(svc, random.Random(0))
    svc.db.cursor_fetchall("ANALYZE event")
    cx, cy = _corner(svc)
    statement = sql.SQL("EXPLAIN (FORMAT JSON) ") + store._nearby_statement("event_nearby_point")
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute(
            statement,
            {
                "lon_wgs84": cx,
                "lat_wgs84": cy,
                "category": "hazard.fire",
                "exclude_id": None,
                "occurred_at": BASE,
                "window_h": 72.0,
                "radius_m": 100.0,
                "box_deg": store._box_deg(cy, 100.0),
            },
        )
        (plan,) = cur.fetchone()
        conn.rollback()
    nodes = _plan_nodes((plan if isinstance(plan, list) else json.loads(plan))[0]["Plan"])
    scans = [n for n in nodes if n.get("Relation Name") == "event"]
    assert [n.get("Index Name") for n in scans] == ["event_open_near"], scans
    cond = scans[0]["Index Cond"]
    assert "category" in cond and "ANY" in cond and "occurred_at >=" in cond, cond


def test_the_cells_function_runs_without_jit(svc: Gridsvc) -> None:
    """event_cells runs once per report and is not inlined: with the server's JIT on, its
    query was compiled at every call (~4 ms each, against ~12 us)."""
    rows = svc.db.cursor_fetchall("SELECT proconfig FROM pg_proc WHERE proname = 'event_cells'")
    assert rows == [(["jit=off"],)]
