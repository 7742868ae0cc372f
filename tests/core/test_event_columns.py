"""The event's columns written once (gridsvc.events.columns) and "overdue" defined once (the
SQL function event_overdue, migration 0012): what the database reads and stages is what the
registry says, the API's event and the exports keep their shape, analysts lose exactly the
personal columns, and every door judges "overdue" alike, by a function PostgreSQL inlines."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from itertools import product
from typing import Any

import geopandas as gpd
import pytest
from psycopg2 import sql

from gridsvc.access import Principal
from gridsvc.events import columns, store
from gridsvc.events.stage import STAGE_COLUMNS
from gridsvc.export import events_csv, events_geopackage
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from gridsvc.stats.filters import StatsFilter
from gridsvc.stats.grids import counts_by_unit
from tests.core.test_events import _report

NOW = datetime.fromisoformat("2026-11-28T12:00:00+08:00")
PAST, FUTURE = NOW - timedelta(hours=1), NOW + timedelta(hours=1)
STATUSES = ("reported", "accepted", "dispatched", "in_progress", "resolved", "closed", "merged")
ADMIN = Principal(token_id=0, name="root", role="admin")
ANALYST = Principal(token_id=0, name="ana", role="analyst")


def _overdue_rule(status: str, accept: datetime | None, resolve: datetime | None) -> bool | None:
    """The rule as the issue states it, SQL's NULL as None: waiting to be accepted past
    accept_due_at, or to be resolved past resolve_due_at; unknown when that deadline is."""
    waits_on = {"reported": accept, "dispatched": resolve, "in_progress": resolve}
    if status not in waits_on:
        return False
    deadline = waits_on[status]
    return None if deadline is None else deadline < NOW


def test_event_overdue_is_the_rule_for_every_status_and_deadline(svc: Gridsvc) -> None:
    cases = list(product(STATUSES, (None, PAST, FUTURE, NOW), (None, PAST, FUTURE, NOW)))
    rows = svc.db.cursor_fetchall(
        "SELECT event_overdue(s, a, r, %(now)s) FROM unnest("
        "%(s)s::text[], %(a)s::timestamptz[], %(r)s::timestamptz[]) WITH ORDINALITY AS c (s, a, r)"
        " ORDER BY ordinality",
        {
            "now": NOW,
            "s": [c[0] for c in cases],
            "a": [c[1] for c in cases],
            "r": [c[2] for c in cases],
        },
    )
    assert [r[0] for r in rows] == [_overdue_rule(*c) for c in cases]


@pytest.fixture
def deadlines(svc: Gridsvc) -> Iterator[tuple[Gridsvc, dict[str, int]]]:
    """Events whose deadlines cover every case of the rule (set in the table: the workflow
    is not what is tested here), judged at NOW."""
    svc.clock = lambda: NOW
    cases: dict[str, tuple[str, datetime | None, datetime | None]] = {
        "late_accept": ("reported", PAST, None),
        "in_time": ("reported", FUTURE, None),
        "no_accept_deadline": ("reported", None, None),
        "late_resolve": ("dispatched", PAST, PAST),
        "resolving_in_time": ("in_progress", PAST, FUTURE),
        "no_resolve_deadline": ("dispatched", PAST, None),
        "resolved_late": ("resolved", PAST, PAST),
    }
    ids = {}
    for name, (status, accept, resolve) in cases.items():
        created = store.create_event(svc, _report(svc, client_event_id=name))
        ids[name] = created.event["id"]
        with svc.db.connection() as conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE event SET status = %s, accept_due_at = %s, resolve_due_at = %s"
                " WHERE id = %s",
                (status, accept, resolve, ids[name]),
            )
    yield svc, ids


def test_every_door_judges_overdue_alike(deadlines: tuple[Gridsvc, dict[str, int]]) -> None:
    svc, ids = deadlines
    late = {ids["late_accept"], ids["late_resolve"]}
    # the event read: its column (an unknown deadline shown as not overdue)
    shown = {i for i in ids.values() if store.get_event(svc, i)["deadlines"]["overdue"]}
    assert shown == late
    # the event lists (and the queue's count, which is built on the same WHERE clause)
    flt = store.EventFilter(limit=100, principal=ADMIN)
    listed = {e["id"] for e in store.list_events(svc, replace(flt, overdue=True))[0]}
    assert listed == late
    # a list of the events that are not overdue leaves out those whose deadline is unknown
    not_late = {e["id"] for e in store.list_events(svc, replace(flt, overdue=False))[0]}
    unknown = {ids["no_accept_deadline"], ids["no_resolve_deadline"]}
    assert not_late == set(ids.values()) - late - unknown
    # statistics count an unknown deadline as not overdue
    for overdue, expected in ((True, len(late)), (False, len(ids) - len(late))):
        counted = counts_by_unit(svc, "city", StatsFilter(overdue=overdue))
        assert int(counted["n"].sum()) == expected, overdue


# the rule as event lists, the SELECT and statistics each wrote it before migration 0012
WRITTEN_OUT = (
    "(e.status = 'reported' AND e.accept_due_at < %(now)s)"
    " OR (e.status IN ('dispatched', 'in_progress') AND e.resolve_due_at < %(now)s)"
)


@pytest.mark.parametrize("overdue", [True, False])
def test_event_overdue_is_inlined_and_plans_as_written_out(svc: Gridsvc, overdue: bool) -> None:
    """Inlined, a filter on the function plans exactly as the expression written out (no call
    of event_overdue left in the plan), so the deadlines' partial indexes (migration 0003)
    serve it as before: plans stay as they were."""
    where, params = store.filter_where(store.EventFilter(overdue=overdue), NOW)
    before = sql.SQL(" WHERE " + ("" if overdue else "NOT ") + "(" + WRITTEN_OUT + ")")
    plans = []
    with svc.db.connection() as conn, conn.cursor() as cur:
        for clause in (where, before):
            cur.execute(
                sql.SQL("EXPLAIN (VERBOSE, COSTS OFF) SELECT e.id FROM event AS e") + clause,
                params,
            )
            plans.append("\n".join(r[0] for r in cur.fetchall()))
    assert "event_overdue" not in plans[0], plans[0]
    assert plans[0] == plans[1]


def test_the_select_reads_the_registry_columns_in_order(svc: Gridsvc) -> None:
    store.create_event(svc, _report(svc))
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(store.event_select() + " LIMIT 1", {"now": NOW})
        names = [d.name for d in cur.description]
    assert names == [c.name for c in columns.READ]
    # the queries that embed the same columns
    assert "{event_columns}" in query("event_report")
    assert "{event_columns}" in query("event_staged")


def test_the_stage_is_the_registry_staged_columns(svc: Gridsvc) -> None:
    """``event_stage`` (event_stage_create.sql) has every staged column with the registry's
    type, and event_stage_insert.sql fills each of them from the array of its name."""
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(query("event_stage_create"))
        cur.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 'pg_temp.event_stage'::regclass AND attnum > 0"
            " AND NOT attisdropped AND attname <> 'event_id' ORDER BY attnum"
        )
        table = dict(cur.fetchall())
        cur.execute(
            "SELECT c.name, format_type(c.type::regtype, NULL) FROM unnest("
            "%(names)s::text[], %(types)s::text[]) AS c (name, type)",
            {
                "names": [c.name for c in columns.STAGED],
                "types": [c.stage for c in columns.STAGED],
            },
        )
        registry = dict(cur.fetchall())
        conn.rollback()
    assert table == registry
    assert tuple(registry) == STAGE_COLUMNS
    insert = query("event_stage_insert")
    listed = re.search(r"INSERT INTO event_stage \(([^)]*)\)", insert)
    assert listed is not None
    names = [n.strip() for n in listed.group(1).split(",")]
    arrays = re.findall(r"%\((\w+)\)s::([a-z0-9]+)\[\]", insert)
    assert [a[0] for a in arrays] == names  # each column from the array of its name
    assert set(names) == set(STAGE_COLUMNS)


def _shape(value: Any) -> Any:
    """The keys of nested dicts, in order (values left out)."""
    if isinstance(value, dict):
        return [(k, _shape(v)) for k, v in value.items()]
    return None


# the API's event as it has always been: names, nesting and order
EVENT_SHAPE = [
    *[(k, None) for k in ("id", "client_event_id", "reporter_id", "category", "title")],
    *[(k, None) for k in ("description", "occurred_at", "reported_at", "received_at")],
    *[(k, None) for k in ("source", "urgency", "status")],
    (
        "location",
        [
            ("lon_wgs84", None),
            ("lat_wgs84", None),
            ("sent", [("lon", None), ("lat", None), ("crs", None)]),
            ("accuracy_m", None),
            ("address", None),
        ],
    ),
    ("media", None),
    ("attributes", None),
    (
        "grid",
        [
            (k, None)
            for k in (
                *("version_id", "community_code", "street_code", "sector_code"),
                *("district_code", "grid_code", "snapped", "near_boundary"),
            )
        ],
    ),
    ("row_version", None),
    ("deadlines", [("accept_due_at", None), ("resolve_due_at", None), ("overdue", None)]),
    ("merged_into", None),
    ("synthetic", None),
]


def test_the_api_event_keeps_its_shape_and_values(svc: Gridsvc) -> None:
    svc.clock = lambda: NOW
    report = _report(svc)
    event = store.create_event(svc, report).event
    assert _shape({**event, "attributes": None}) == EVENT_SHAPE  # (its own keys aside)
    assert event == store.get_event(svc, event["id"])  # the report's answer is its read
    assert event["occurred_at"] == report["occurred_at"]  # in the city's zone
    assert event["location"]["address"] == report["address"]
    assert event["location"]["sent"] == {"lon": report["lon"], "lat": report["lat"], "crs": "wgs84"}
    assert event["media"] == report["media"] and event["attributes"] == report["attributes"]
    assert event["deadlines"]["overdue"] is False and event["synthetic"] is False
    assert event["deadlines"]["accept_due_at"].endswith("+08:00")


def test_analysts_lose_exactly_the_personal_columns(svc: Gridsvc) -> None:
    event = store.create_event(svc, _report(svc)).event
    before = repr(event)
    seen = store.redact(event, ANALYST, sensitive=set())
    assert repr(event) == before  # the caller's event is not changed
    assert seen["reporter_id"] is None and seen["description"] is None
    assert seen["location"]["address"] is None and seen["media"] == []
    personal = {c.path for c in columns.PERSONAL}
    for column in columns.READ:
        if column.path and column.path not in personal:
            assert columns.value_of(seen, column) == columns.value_of(event, column), column
    assert store.redact(event, ADMIN, sensitive=set()) == event


def test_the_exports_keep_their_columns(svc: Gridsvc) -> None:
    event = store.create_event(svc, _report(svc)).event
    rows = list(csv.reader(io.StringIO(events_csv([event]).lstrip("\ufeff"))))
    assert rows[0] == [
        *("id", "client_event_id", "reporter_id", "category", "title", "occurred_at"),
        *("reported_at", "source", "urgency", "status", "lon_wgs84", "lat_wgs84"),
        *("community_code", "street_code", "sector_code", "district_code", "snapped"),
        *("near_boundary", "address"),
    ]
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["id"] == str(event["id"]) and row["address"] == event["location"]["address"]
    assert row["community_code"] == event["grid"]["community_code"]
    assert float(row["lon_wgs84"]) == event["location"]["lon_wgs84"]
    frame = gpd.read_file(io.BytesIO(events_geopackage([event])), layer="events")
    assert list(frame.columns) == [
        *("id", "client_event_id", "reporter_id", "category", "title", "description"),
        *("occurred_at", "reported_at", "source", "urgency", "status", "community_code"),
        *("street_code", "sector_code", "district_code", "snapped", "near_boundary"),
        *("overdue", "synthetic", "geometry"),
    ]
    assert frame.at[0, "description"] == event["description"]
    assert bool(frame.at[0, "overdue"]) is event["deadlines"]["overdue"]
