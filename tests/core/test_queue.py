"""The dispatch queue's counts (gridsvc.workflow.queue) against an oracle that reads every
event and asks Principal.in_scope, the API's own check, which events each caller may see:
counts from the rollup and from the events agree with it for every kind of caller and
filter, overdue events are judged by the service's clock, and the overdue count stops at
its cap."""

from __future__ import annotations

import io
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import psycopg2
import pytest

from gridsvc.access import Principal
from gridsvc.dates import CITY_TZ
from gridsvc.events import store
from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.events.keyset import ListPosition
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from gridsvc.workflow import queue
from gridsvc.workflow.actions import OPEN_STATES, ActionRequest, apply_action
from tests.invariants import rollup_differences

ADMIN = Principal(token_id=0, name="root", role="admin")
CALLERS = {
    "city": Principal(token_id=0, name="city", role="dispatcher", scope_code="320100"),
    "district": Principal(token_id=0, name="xw", role="dispatcher", scope_code="320102"),
    "street": Principal(token_id=0, name="my", role="dispatcher", scope_code="320102002"),
    "sector": Principal(token_id=0, name="jb", role="dispatcher", scope_code="S320102"),
    "community": Principal(token_id=0, name="gw", role="grid_worker", scope_code="320102002001"),
    "fire": Principal(token_id=0, name="fire", role="department", department_code="fire_rescue"),
}
NOW = datetime.fromisoformat("2026-11-28T12:00:00+08:00")


@pytest.fixture(scope="module")
def world(module_svc: Gridsvc) -> Iterator[Gridsvc]:
    svc = module_svc
    svc.clock = lambda: NOW
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    end = pd.Timestamp("2026-11-28T00:00:00+08:00").to_pydatetime()
    buf = io.BytesIO()
    write_events_csv(
        buf, generate_events(units, DEFAULT_MIX, count=2500, days=40, seed=11, end=end)
    )
    buf.seek(0)
    import_events(svc, buf, filename="queue.csv", synthetic=True)
    # move some along: every 3rd accepted, every 5th of those dispatched to the fire brigade
    # and housing, every 7th rejected; so every open status but the last ones is present
    ids = [e["id"] for e in everything(svc)]
    for i, event_id in enumerate(ids):
        if i % 7 == 0:
            apply_action(svc, event_id, ActionRequest("reject", note="重复"), ADMIN)
        elif i % 3 == 0:
            apply_action(svc, event_id, ActionRequest("accept"), ADMIN)
            if i % 5 == 0:
                req = ActionRequest("dispatch", departments=("fire_rescue", "housing"))
                apply_action(svc, event_id, req, ADMIN)
                if i % 2 == 0:
                    apply_action(svc, event_id, ActionRequest("start", department="housing"), ADMIN)
    yield svc


def everything(svc: Gridsvc) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    flt = store.EventFilter(limit=1000)
    while True:
        page, cursor = store.list_events(svc, flt)
        out.extend(page)
        if cursor is None:
            return out
        flt = replace(flt, after=cursor)


def oracle(
    svc: Gridsvc, principal: Principal, keep: Any = lambda e: True
) -> tuple[dict[str, int], int]:
    """Open events per status and overdue events that ``principal`` may see and ``keep``
    keeps, read one by one."""
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT event_id, department_code FROM dispatch")
        depts: dict[int, set[str]] = {}
        for event_id, dept in cur.fetchall():
            depts.setdefault(int(event_id), set()).add(dept)
    seen = [
        e
        for e in everything(svc)
        if e["status"] in OPEN_STATES
        and principal.in_scope(e, depts.get(e["id"], set()))
        and keep(e)
    ]
    by_status = dict.fromkeys(OPEN_STATES, 0)
    by_status.update(Counter(e["status"] for e in seen))
    return by_status, sum(1 for e in seen if e["deadlines"]["overdue"])


@pytest.mark.parametrize("who", sorted(CALLERS))
def test_counts_per_caller_match_what_it_may_see(world: Gridsvc, who: str) -> None:
    principal = CALLERS[who]
    got = queue.queue_counts(world, store.EventFilter(principal=principal))
    by_status, overdue = oracle(world, principal)
    assert got.by_status == by_status
    assert got.overdue == min(overdue, queue.OVERDUE_CAP)
    assert got.overdue_more == (overdue > queue.OVERDUE_CAP)
    assert got.exact_from == ("events" if who == "fire" else "rollup")
    if who in ("city", "street", "fire"):
        assert sum(by_status.values()) > 0  # the comparison compares something


def test_the_queue_is_not_trivial(world: Gridsvc) -> None:
    by_status, overdue = oracle(world, CALLERS["city"])
    assert all(by_status[s] > 0 for s in ("reported", "accepted", "dispatched", "in_progress"))
    assert 0 < overdue < sum(by_status.values())


def _day(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


@pytest.mark.parametrize(
    ("filters", "keep", "source"),
    [
        (
            {"categories": ("hazard.fire", "hazard.gas"), "urgency": ("normal",)},
            lambda e: e["category"] in ("hazard.fire", "hazard.gas") and e["urgency"] == "normal",
            "rollup",
        ),
        (
            {"grid": "320102002001"},
            lambda e: e["grid"]["community_code"] == "320102002001",
            "rollup",
        ),
        (
            {"grid": "S320102"},
            lambda e: e["grid"]["sector_code"] == "S320102",
            "rollup",
        ),
        (  # Beijing days: the rollup answers
            {
                "occurred_from": _day("2026-11-10T00:00:00+08:00"),
                "occurred_to": _day("2026-11-20T00:00:00+08:00"),
            },
            lambda e: "2026-11-10" <= e["occurred_at"][:10] < "2026-11-20",
            "rollup",
        ),
        (  # the same instants written in UTC: still Beijing midnights
            {
                "occurred_from": _day("2026-11-09T16:00:00+00:00"),
                "occurred_to": _day("2026-11-19T16:00:00+00:00"),
            },
            lambda e: "2026-11-10" <= e["occurred_at"][:10] < "2026-11-20",
            "rollup",
        ),
        (  # not a midnight: the events answer
            {"occurred_from": _day("2026-11-10T12:00:00+08:00")},
            lambda e: datetime.fromisoformat(e["occurred_at"]) >= _day("2026-11-10T12:00:00+08:00"),
            "events",
        ),
        (
            {"bbox": (118.75, 32.0, 118.85, 32.1)},
            lambda e: (
                118.75 <= e["location"]["lon_wgs84"] <= 118.85
                and 32.0 <= e["location"]["lat_wgs84"] <= 32.1
            ),
            "events",
        ),
    ],
)
def test_filtered_counts_match_and_say_where_they_come_from(
    world: Gridsvc, filters: dict[str, Any], keep: Any, source: str
) -> None:
    for who in ("city", "street"):
        principal = CALLERS[who]
        flt = store.EventFilter(principal=principal, **filters)
        got = queue.queue_counts(world, flt)
        by_status, overdue = oracle(world, principal, keep)
        assert got.by_status == by_status, (who, filters)
        assert got.overdue == min(overdue, queue.OVERDUE_CAP)
        assert got.exact_from == source


def test_the_status_filter_and_the_cursor_do_not_change_the_tabs(world: Gridsvc) -> None:
    principal = CALLERS["street"]
    plain = queue.queue_counts(world, store.EventFilter(principal=principal))
    after = ListPosition(datetime(2026, 1, 1, tzinfo=UTC), 10)
    narrowed = store.EventFilter(principal=principal, status=("accepted",), after=after, limit=3)
    assert queue.queue_counts(world, narrowed) == plain


def test_overdue_follows_the_clock_and_stops_at_the_cap(
    world: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    principal = CALLERS["city"]
    flt = store.EventFilter(principal=principal)
    now_late = queue.queue_counts(world, flt).overdue
    world.clock = lambda: datetime.fromisoformat("2026-09-01T00:00:00+08:00")
    try:
        assert queue.queue_counts(world, flt).overdue == 0  # before every deadline
    finally:
        world.clock = lambda: NOW
    monkeypatch.setattr(queue, "OVERDUE_CAP", 5)
    capped = queue.queue_counts(world, flt)
    assert now_late > 5
    assert capped.overdue == 5 and capped.overdue_more
    assert capped.to_dict()["open"] == sum(capped.by_status.values())


def test_the_status_counts_stay_exact_through_imports_and_transitions(world: Gridsvc) -> None:
    # the fixture imported 2,500 events and moved hundreds through the workflow: the
    # writers kept event_status_count equal to the events, key by key
    assert rollup_differences(world.db) == {}
    (rows,) = world.db.cursor_fetchall("SELECT count(*) FROM event_status_count WHERE n > 0")[0]
    assert rows > 100


def test_a_broken_status_count_is_caught(world: Gridsvc) -> None:
    """The check above can fail: one count off by one is named by its key."""
    key = world.db.cursor_fetchall(
        "SELECT community_code, category, status, urgency FROM event_status_count"
        " WHERE n > 0 ORDER BY 1, 2, 3, 4 LIMIT 1"
    )[0]
    assert key is not None
    with world.db.connection() as conn, conn.cursor() as cur:
        cur.execute(
            "UPDATE event_status_count SET n = n + 1 WHERE (community_code, category, status,"
            " urgency) = (%s, %s, %s, %s)",
            key,
        )
    try:
        assert list(rollup_differences(world.db)) == [("status_count", *key)]
    finally:
        with world.db.connection() as conn, conn.cursor() as cur:
            cur.execute(
                "UPDATE event_status_count SET n = n - 1 WHERE (community_code, category,"
                " status, urgency) = (%s, %s, %s, %s)",
                key,
            )


def test_moves_in_opposite_directions_do_not_deadlock(svc: Gridsvc) -> None:
    """Two writers move counts in opposite directions (resolve on one day, a failed
    verification on another) under one community, category and urgency, each into a
    status-count row that may not exist yet: every writer locks its event_daily rows and
    then its event_status_count rows, each in key order, so neither waits for the other in
    a cycle (PostgreSQL would abort one with a deadlock error)."""
    rounds = 60
    # each round's first writer finds its from-row (the status it leaves) and not its
    # to-row, the second the other way round: updates and inserts mixed, as in a city
    with svc.db.connection() as conn, conn.cursor() as cur:
        for i in range(rounds):
            for status, day in (("in_progress", "2026-11-01"), ("resolved", "2026-11-02")):
                cur.execute(
                    "INSERT INTO event_daily (community_code, category, status, urgency,"
                    " source, day, n) VALUES (%s, 'hazard.fire', %s, 'normal', 'grid_worker',"
                    " %s, 1)",
                    (f"9{i:011d}", status, day),
                )
                cur.execute(
                    "INSERT INTO event_status_count (community_code, category, status,"
                    " urgency, n) VALUES (%s, 'hazard.fire', %s, 'normal', 1)",
                    (f"9{i:011d}", status),
                )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def mover(from_status: str, to_status: str, day: str) -> None:
        conn = psycopg2.connect(svc.settings.db.database_url)
        try:
            for i in range(rounds):
                params = {
                    "community_code": f"9{i:011d}",
                    "category": "hazard.fire",
                    "urgency": "normal",
                    "source": "grid_worker",
                    "occurred_at": f"{day}T10:00:00+08:00",
                    "status": from_status,
                    "new_status": to_status,
                    "city_tz": CITY_TZ.key,
                }
                barrier.wait(timeout=30)
                with conn, conn.cursor() as cur:
                    cur.execute(query("event_daily_move"), params)
                    cur.execute("SELECT pg_sleep(0.002)")  # hold the locks a little
        except BaseException as exc:  # the test fails with it below
            errors.append(exc)
            barrier.abort()
        finally:
            conn.close()

    threads = [
        threading.Thread(target=mover, args=("in_progress", "resolved", "2026-11-01")),
        threading.Thread(target=mover, args=("resolved", "in_progress", "2026-11-02")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    rows = svc.db.cursor_fetchall(
        "SELECT status, sum(n) FROM event_status_count WHERE community_code LIKE '9%%'"
        " GROUP BY status ORDER BY status"
    )
    assert rows == [("in_progress", rounds), ("resolved", rounds)]  # each move undone
