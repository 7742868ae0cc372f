"""The full life of an event through the API: 立案, a whistle (吹哨) to three departments,
deadlines on the working-day calendar, a failed verification, closing, and a merge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from api import create_app
from gridsvc.access import create_token
from gridsvc.service import Gridsvc
from gridsvc.workflow.calendar import store_calendar
from tests.api.conftest import bearer

BEIJING = "+08:00"


class Clock:
    def __init__(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso)

    def __call__(self) -> datetime:
        return self.now

    def set(self, iso: str) -> None:
        self.now = datetime.fromisoformat(iso)


@pytest.fixture
def world(svc: Gridsvc) -> Iterator[dict[str, Any]]:
    clock = Clock(f"2026-09-30T10:00:00{BEIJING}")  # a Wednesday before National Day
    svc.clock = clock
    # National Day 2026-10-01..07 off; Saturday 10-10 a make-up working day (调休)
    days = {datetime.fromisoformat(f"2026-10-0{d}").date(): (False, "国庆节") for d in range(1, 8)}
    days[datetime.fromisoformat("2026-10-10").date()] = (True, "调休上班")
    with svc.db.connection() as conn:
        store_calendar(conn, days)
    tokens = {
        "worker": create_token(svc.db, role="grid_worker", name="gw-张三", scope_code="320102002")[
            1
        ],
        "dispatcher": create_token(svc.db, role="dispatcher", name="玄武调度", scope_code="320102")[
            1
        ],
        **{
            d: create_token(svc.db, role="department", name=d, department_code=d)[1]
            for d in ("fire_rescue", "housing", "urban_management")
        },
    }
    app = create_app(svc.settings, service=svc)
    with TestClient(app) as client:
        yield {
            "svc": svc,
            "clock": clock,
            "client": client,
            "h": {k: bearer(v) for k, v in tokens.items()},
        }


def _report(w: dict[str, Any], cid: str) -> int:
    client, h = w["client"], w["h"]
    unit = client.get("/v1/grids/320102002001", headers=h["worker"]).json()
    p = shape(unit["geometry"]).representative_point()
    assert isinstance(p, shapely.Point)
    r = client.post(
        "/v1/events",
        headers=h["worker"],
        json={
            "client_event_id": cid,
            "category": "hazard.building",
            "title": "外墙脱落",
            "occurred_at": f"2026-09-30T09:30:00{BEIJING}",
            "lon": p.x,
            "lat": p.y,
            "urgency": "normal",
        },
    )
    assert r.status_code == 201, r.text
    event = r.json()["event"]
    assert event["reporter_id"] == "gw-张三"
    # accepting is due within the category's 24 h (urgent: 4 h) of the report
    assert event["deadlines"]["accept_due_at"] is not None
    return int(event["id"])


def _act(
    w: dict[str, Any], who: str, event_id: int, status: int = 200, **body: Any
) -> dict[str, Any]:
    r = w["client"].post(f"/v1/events/{event_id}/actions", headers=w["h"][who], json=body)
    assert r.status_code == status, r.text
    return dict(r.json())


def test_the_full_life_of_an_event(world: dict[str, Any]) -> None:
    w = world
    client, h = w["client"], w["h"]
    eid = _report(w, "life-1")
    _act(w, "dispatcher", eid, action="accept")
    whistle = _act(
        w,
        "dispatcher",
        eid,
        action="dispatch",
        departments=["fire_rescue", "housing", "urban_management"],
    )
    assert whistle["whistle"] is True and whistle["status"] == "dispatched"
    # 5 working days after Wed 09-30: Oct 1-7 are holidays, Sat 10-10 works, Sun 10-11 not:
    # 10-08 (1), 10-09 (2), 10-10 (3), 10-12 (4), 10-13 (5)
    assert whistle["due_at"] == f"2026-10-13T10:00:00{BEIJING}"

    w["clock"].set(f"2026-10-13T09:59:00{BEIJING}")
    assert (
        client.get("/v1/events", headers=h["dispatcher"], params={"overdue": "true"}).json()[
            "features"
        ]
        == []
    )
    w["clock"].set(f"2026-10-13T10:01:00{BEIJING}")
    overdue = client.get("/v1/events", headers=h["dispatcher"], params={"overdue": "true"})
    assert [f["id"] for f in overdue.json()["features"]] == [eid]

    # each department answers on its own; the event resolves when all three have
    _act(w, "fire_rescue", eid, action="start")
    first = _act(w, "fire_rescue", eid, action="resolve", note="已清理")
    assert first["status"] == "in_progress"
    assert first["waiting_for"] == ["housing", "urban_management"]
    _act(w, "housing", eid, action="resolve", note="已加固")
    done = _act(w, "urban_management", eid, action="resolve", note="已设围挡")
    assert done["status"] == "resolved"
    # the grid worker checks on site and finds it not fixed: back to every department
    failed = _act(w, "worker", eid, action="fail_verification", note="外墙仍有松动")
    assert failed["status"] == "dispatched"
    history = client.get(f"/v1/events/{eid}/history", headers=h["dispatcher"]).json()
    assert {d["state"] for d in history["dispatches"]} == {"pending"}
    for dept in ("fire_rescue", "housing", "urban_management"):
        _act(w, dept, eid, action="resolve", note="复查整改")
    _act(w, "worker", eid, action="verify")
    closed = _act(w, "dispatcher", eid, action="close", note="结案")
    assert closed["status"] == "closed" and closed["allowed_next"] == []
    refused = _act(w, "dispatcher", eid, 409, action="accept")
    assert refused["details"]["allowed"] == [] and "closed" in refused["message"]

    history = client.get(f"/v1/events/{eid}/history", headers=h["dispatcher"]).json()
    steps = [(x["action"], x["from_status"], x["to_status"]) for x in history["history"]]
    assert steps == [
        ("accept", "reported", "accepted"),
        ("dispatch", "accepted", "dispatched"),
        ("start", "dispatched", "in_progress"),
        ("resolve", "in_progress", "in_progress"),
        ("resolve", "in_progress", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("fail_verification", "resolved", "dispatched"),
        ("resolve", "dispatched", "in_progress"),
        ("resolve", "in_progress", "in_progress"),
        ("resolve", "in_progress", "resolved"),
        ("verify", "resolved", "verified"),
        ("close", "verified", "closed"),
    ]
    assert history["history"][0]["actor"] == "玄武调度"
    assert history["history"][6]["note"] == "外墙仍有松动"

    # the rollup follows every status change
    svc = w["svc"]
    rows = svc.db.cursor_fetchall(
        "SELECT status, sum(n) FROM event_daily GROUP BY status HAVING sum(n) <> 0"
    )
    assert rows == [("closed", 1)]


def test_transitions_outside_the_graph_are_409_with_the_allowed_actions(
    world: dict[str, Any],
) -> None:
    w = world
    eid = _report(w, "g-1")
    r = _act(w, "dispatcher", eid, 409, action="close")
    assert r["details"]["allowed"] == ["accept", "reject", "merge"]
    r = _act(w, "dispatcher", eid, 400, action="reject")
    assert r["field"] == "note"
    r = _act(w, "dispatcher", eid, 400, action="fly")
    assert r["field"] == "action"
    r = _act(w, "worker", eid, 403, action="accept")
    assert "grid_worker" in r["message"]
    _act(w, "dispatcher", eid, action="accept")
    r = _act(w, "dispatcher", eid, 400, action="dispatch", departments=["nobody"])
    assert "nobody" in r["message"]
    # optimistic versioning: an action based on an old read is refused
    r = _act(w, "dispatcher", eid, 409, action="dispatch", departments=["housing"], row_version=1)
    assert r["error"] == "StaleVersion" and r["details"]["row_version"] == 2
    _act(w, "dispatcher", eid, action="dispatch", departments=["housing"], row_version=2)
    r = _act(w, "fire_rescue", eid, 403, action="resolve", note="x")  # not dispatched to it


def test_a_duplicate_is_merged_into_the_original(world: dict[str, Any]) -> None:
    w = world
    original, duplicate = _report(w, "m-1"), _report(w, "m-2")
    merged = _act(w, "dispatcher", duplicate, action="merge", into=original)
    assert merged["status"] == "merged" and merged["into"] == original
    r = _act(w, "dispatcher", original, 400, action="merge", into=original)
    assert "itself" in r["message"]
    got = w["client"].get(f"/v1/events/{duplicate}", headers=w["h"]["dispatcher"]).json()
    assert got["merged_into"] == original and got["status"] == "merged"
