"""Many writers at once on the same events: no lost update, complete history, exact counts.

Every round releases its threads together (a barrier), so the actions really race for the
event's row lock. The pool has 8 connections; more threads wait for one, as requests do.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import shapely

from gridsvc.access import Principal
from gridsvc.errors import Conflict, StaleVersion, TransitionNotAllowed
from gridsvc.events import store
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from gridsvc.workflow.actions import ActionRequest, apply_action, history
from tests.invariants import duplicate_keys, rollup_differences

T = TypeVar("T")
ADMIN = Principal(token_id=0, name="并发测试", role="admin")
DEPARTMENT = "fire_rescue"
CONTENDERS = 4


def _point(svc: Gridsvc, code: str) -> shapely.Point:
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    point = units.set_index("code").at[code, "geometry"].representative_point()
    assert isinstance(point, shapely.Point)
    return point


def _reports(svc: Gridsvc, count: int, prefix: str) -> list[int]:
    """``count`` events with one rollup key (same community, category, day, urgency,
    source): every transition of every event moves counts between the same rollup rows."""
    p = _point(svc, "320105001001")
    ids = []
    for i in range(count):
        result = store.create_event(
            svc,
            {
                "client_event_id": f"{prefix}-{i}",
                "reporter_id": "gw-320105001001-1",
                "category": "hazard.ebike_charging",
                "title": "楼道电动车充电",
                "occurred_at": "2026-11-20T08:30:00+08:00",
                "lon": p.x,
                "lat": p.y,
                "urgency": "normal",
                "source": "grid_worker",
                "attributes": {"indoor": True},
            },
        )
        ids.append(int(result.event["id"]))
    return ids


def _race(calls: list[Callable[[], T]]) -> list[T | Exception]:
    """Run every call in its own thread, released together; results (or errors) in order."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | Exception:
        barrier.wait(timeout=30)
        try:
            return call()
        except Exception as exc:  # each outcome is asserted by the caller
            return exc

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _version(svc: Gridsvc, event_id: int) -> tuple[str, int]:
    status, version = svc.db.cursor_fetchall(
        "SELECT status, row_version FROM event WHERE id = %s", (event_id,)
    )[0]
    return str(status), int(version)


def _act(svc: Gridsvc, event_id: int, req: ActionRequest) -> Callable[[], dict[str, Any]]:
    return lambda: apply_action(svc, event_id, req, ADMIN)


STEPS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("accept", {}),
    ("dispatch", {"departments": (DEPARTMENT, "housing")}),
    ("start", {"department": DEPARTMENT}),
    ("resolve", {"department": DEPARTMENT, "note": "已清理"}),
    ("resolve", {"department": "housing", "note": "已整改"}),
    ("verify", {}),
    ("close", {}),
)


def test_of_n_actions_on_one_version_exactly_one_wins(svc: Gridsvc) -> None:
    events = _reports(svc, 6, "race")
    for step, (action, extra) in enumerate(STEPS):
        before = {eid: _version(svc, eid) for eid in events}
        calls = [
            _act(svc, eid, ActionRequest(action=action, row_version=before[eid][1], **extra))
            for eid in events
            for _ in range(CONTENDERS)
        ]
        outcomes = _race(calls)
        for n, eid in enumerate(events):
            mine = outcomes[n * CONTENDERS : (n + 1) * CONTENDERS]
            wins = [o for o in mine if isinstance(o, dict)]
            losses = [o for o in mine if not isinstance(o, dict)]
            assert len(wins) == 1, (step, action, eid, mine)
            # the losers were told why: the event moved on, or the version is stale
            assert all(isinstance(o, StaleVersion | TransitionNotAllowed) for o in losses), losses
            assert wins[0]["row_version"] == before[eid][1] + 1
            assert _version(svc, eid)[1] == before[eid][1] + 1
    for eid in events:
        rows = history(svc, eid)
        # one history row per successful action, in order, each leaving where the last arrived
        assert [r["action"] for r in rows] == [a for a, _ in STEPS]
        assert all(a["to_status"] == b["from_status"] for a, b in itertools.pairwise(rows))
        assert rows[0]["from_status"] == "reported" and rows[-1]["to_status"] == "closed"
        assert _version(svc, eid) == ("closed", 1 + len(STEPS))
    assert rollup_differences(svc.db) == {}
    (closed,) = svc.db.cursor_fetchall("SELECT sum(n) FROM event_daily WHERE status = 'closed'")[0]
    assert closed == len(events)


def test_actions_without_a_version_serialise_on_the_row_lock(svc: Gridsvc) -> None:
    events = _reports(svc, 4, "lock")
    calls = [_act(svc, eid, ActionRequest(action="accept")) for eid in events for _ in range(6)]
    outcomes = _race(calls)
    for n, eid in enumerate(events):
        mine = outcomes[n * 6 : (n + 1) * 6]
        assert sum(isinstance(o, dict) for o in mine) == 1, mine
        assert all(isinstance(o, TransitionNotAllowed) for o in mine if not isinstance(o, dict))
        assert [r["action"] for r in history(svc, eid)] == ["accept"]
    assert rollup_differences(svc.db) == {}


def _to_dispatched(svc: Gridsvc, event_id: int) -> None:
    apply_action(svc, event_id, ActionRequest(action="accept"), ADMIN)
    apply_action(svc, event_id, ActionRequest(action="dispatch", department=DEPARTMENT), ADMIN)


def test_opposite_transitions_at_once_neither_deadlock_nor_drift(svc: Gridsvc) -> None:
    """Half the events go dispatched → resolved while the other half go resolved →
    dispatched (a failed verification), all under one rollup key: each transaction moves a
    count between the same two rollup rows in opposite directions."""
    events = _reports(svc, 16, "swap")
    for eid in events:
        _to_dispatched(svc, eid)
    resolve = ActionRequest(action="resolve", department=DEPARTMENT, note="已处理")
    fail = ActionRequest(action="fail_verification", note="现场仍有充电")
    for eid in events[::2]:
        apply_action(svc, eid, resolve, ADMIN)
    for round_ in range(6):
        calls = [
            _act(svc, eid, fail if _version(svc, eid)[0] == "resolved" else resolve)
            for eid in events
        ]
        outcomes = _race(calls)
        errors = [o for o in outcomes if isinstance(o, Exception)]
        assert errors == [], (round_, errors)
    assert rollup_differences(svc.db) == {}
    for eid in events:
        assert len(history(svc, eid)) == 2 + 6 + (1 if eid in events[::2] else 0)


def test_two_events_merged_into_each_other_at_once_make_no_cycle(svc: Gridsvc) -> None:
    events = _reports(svc, 12, "merge")
    pairs = list(zip(events[::2], events[1::2], strict=True))
    calls: list[Callable[[], dict[str, Any]]] = []
    for a, b in pairs:
        calls.append(_act(svc, a, ActionRequest(action="merge", into=b)))
        calls.append(_act(svc, b, ActionRequest(action="merge", into=a)))
    outcomes = _race(calls)
    for n, (a, b) in enumerate(pairs):
        mine = outcomes[2 * n : 2 * n + 2]
        wins = [o for o in mine if isinstance(o, dict)]
        assert len(wins) == 1, (a, b, mine)  # one merge; the other finds its target merged
        loss = next(o for o in mine if not isinstance(o, dict))
        assert isinstance(loss, Conflict), loss
        statuses = sorted(_version(svc, e)[0] for e in (a, b))
        assert statuses == ["merged", "reported"]
    assert rollup_differences(svc.db) == {}


def test_the_same_report_sent_at_once_from_many_threads_is_stored_once(svc: Gridsvc) -> None:
    p = _point(svc, "320102002001")
    report = {
        "client_event_id": "retry-storm-1",
        "reporter_id": "gw-320102002001-3",
        "category": "hazard.fire",
        "title": "烟雾",
        "occurred_at": "2026-11-21T10:00:00+08:00",
        "lon": p.x,
        "lat": p.y,
    }
    outcomes = _race([lambda: store.create_event(svc, dict(report)) for _ in range(16)])
    results = [o for o in outcomes if isinstance(o, store.CreateResult)]
    assert len(results) == 16, [o for o in outcomes if isinstance(o, Exception)]
    assert sum(r.created for r in results) == 1  # one 201, fifteen replays (200)
    assert len({r.event["id"] for r in results}) == 1
    assert duplicate_keys(svc.db) == []
    rows = svc.db.cursor_fetchall(
        "SELECT count(*) FROM event WHERE client_event_id = %s", ("retry-storm-1",)
    )
    assert rows[0][0] == 1
    assert rollup_differences(svc.db) == {}
