"""The life of an event after it is reported: 立案, 派遣 (吹哨), 处置, 核查, 结案.

::

    reported ──accept──► accepted ──dispatch──► dispatched ──start──► in_progress
       │                                          ▲    └──────resolve (all depts)──┐
       └─reject──► rejected                        │                              ▼
                                fail_verification ─┴──────────────────────── resolved
    closed ◄──close── verified ◄──verify──────────────────────────────────────────┘
    any open state ──merge──► merged

``dispatch`` to several departments at once is the street's whistle (吹哨): each department's
answer is tracked on its own ``dispatch`` row and the event resolves when all have answered.
Every action runs in one transaction that locks the event row (``SELECT … FOR UPDATE``; a
merge locks both events, in id order), so concurrent actions serialise; a caller may also
pass the ``row_version`` it saw, and gets a 409 if the event changed since. Each action
appends to ``event_action`` and moves the event's count in ``event_daily`` from the old
status to the new one, taking the two rollup rows in key order (no deadlock between moves
in opposite directions).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gridsvc.access import Principal
from gridsvc.dates import CITY_TZ, local_iso, local_iso_text
from gridsvc.errors import Forbidden, InvalidInput, NotFound, StaleVersion, TransitionNotAllowed
from gridsvc.events.taxonomy_db import read_taxonomy
from gridsvc.messages import Msg
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from gridsvc.workflow.calendar import read_calendar
from gridsvc.workflow.departments import read_departments

OPEN_STATES = ("reported", "accepted", "dispatched", "in_progress", "resolved", "verified")


@dataclass(frozen=True)
class Rule:
    from_states: tuple[str, ...]
    roles: tuple[str, ...]
    needs_note: bool = False


RULES: dict[str, Rule] = {
    "accept": Rule(("reported",), ("dispatcher", "admin")),
    "reject": Rule(("reported",), ("dispatcher", "admin"), needs_note=True),
    "dispatch": Rule(("accepted",), ("dispatcher", "admin")),
    "start": Rule(("dispatched", "in_progress"), ("department", "admin")),
    "resolve": Rule(("dispatched", "in_progress"), ("department", "admin"), needs_note=True),
    "verify": Rule(("resolved",), ("grid_worker", "dispatcher", "admin")),
    "fail_verification": Rule(
        ("resolved",), ("grid_worker", "dispatcher", "admin"), needs_note=True
    ),
    "close": Rule(("verified",), ("dispatcher", "admin")),
    "merge": Rule(OPEN_STATES, ("dispatcher", "admin")),
}


def allowed_actions(status: str, role: str | None = None) -> list[str]:
    return [
        name
        for name, rule in RULES.items()
        if status in rule.from_states and (role is None or role in rule.roles)
    ]


@dataclass(frozen=True)
class ActionRequest:
    action: str
    note: str | None = None
    departments: tuple[str, ...] = ()
    department: str | None = None
    into: int | None = None
    media: tuple[str, ...] = ()
    row_version: int | None = None


def _lock(cur: Any, event_id: int) -> dict[str, Any]:
    cur.execute(query("event_lock"), {"id": event_id})
    row = cur.fetchone()
    if row is None:
        raise NotFound("event.not_found", field="id", event_id=event_id)
    keys = (
        "id",
        "status",
        "row_version",
        "category",
        "urgency",
        "source",
        "community_code",
        "street_code",
        "sector_code",
        "district_code",
        "occurred_at",
    )
    return dict(zip(keys, row, strict=True))


def _dispatched_to(cur: Any, event_id: int) -> dict[str, str]:
    cur.execute(query("dispatch_of_event"), {"event_id": event_id})
    return {row[0]: row[1] for row in cur.fetchall()}


def _visible(principal: Principal, event: dict[str, Any], depts: dict[str, str]) -> bool:
    return principal.in_scope({"grid": event}, set(depts))


def apply_action(
    svc: Gridsvc, event_id: int, req: ActionRequest, principal: Principal
) -> dict[str, Any]:
    """Apply one action; returns the event's new status and its history entry."""
    rule = RULES.get(req.action)
    if rule is None:
        raise InvalidInput("action.unknown", field="action", action=req.action, actions=list(RULES))
    if rule.needs_note and not (req.note or "").strip():
        raise InvalidInput("action.needs_note", field="note", action=req.action)
    now = svc.now()
    with svc.db.connection() as conn, conn.cursor() as cur:
        if req.action == "merge" and req.into is not None and req.into != event_id:
            # both ends, in id order: merging A into B while B goes into A must not let both
            # succeed (a cycle) nor deadlock
            cur.execute(query("event_lock_many"), {"ids": sorted((event_id, req.into))})
        event = _lock(cur, event_id)
        depts = _dispatched_to(cur, event_id)
        if not _visible(principal, event, depts):
            raise Forbidden("event.out_of_scope", event_id=event_id, who=principal.who())
        if principal.role not in rule.roles:
            raise Forbidden(
                "action.role",
                who=principal.who(),
                action=req.action,
                roles=list(rule.roles),
                details={"allowed": allowed_actions(event["status"], principal.role)},
            )
        if event["status"] not in rule.from_states:
            allowed = allowed_actions(event["status"])
            raise TransitionNotAllowed(
                "action.not_now",
                field="action",
                event_id=event_id,
                status=event["status"],
                action=req.action,
                allowed=(
                    Msg("action.next", {"actions": allowed}) if allowed else Msg("action.finished")
                ),
                details={"status": event["status"], "allowed": allowed},
            )
        if req.row_version is not None and req.row_version != event["row_version"]:
            raise StaleVersion(
                "action.stale",
                field="row_version",
                event_id=event_id,
                sent=req.row_version,
                now=event["row_version"],
                details={"row_version": event["row_version"]},
            )
        new_status, data = _transition(cur, conn, event, req, principal, depts, now)
        cur.execute(
            query("event_set_status"),
            {
                "id": event_id,
                "status": new_status,
                "merged_into": req.into if req.action == "merge" else None,
            },
        )
        if new_status != event["status"]:
            cur.execute(
                query("event_daily_move"),
                {**event, "new_status": new_status, "city_tz": CITY_TZ.key},
            )
        cur.execute(
            query("event_action_insert"),
            {
                "community_code": event["community_code"],
                "event_id": event_id,
                "action": req.action,
                "from_status": event["status"],
                "to_status": new_status,
                "actor": principal.name,
                "role": principal.role,
                "note": req.note,
                "data": json.dumps(data, ensure_ascii=False, default=str),
            },
        )
    return {
        "event_id": event_id,
        "action": req.action,
        "from_status": event["status"],
        "status": new_status,
        "row_version": event["row_version"] + 1,
        "allowed_next": allowed_actions(new_status),
        **data,
    }


def _transition(
    cur: Any,
    conn: Any,
    event: dict[str, Any],
    req: ActionRequest,
    principal: Principal,
    depts: dict[str, str],
    now: datetime,
) -> tuple[str, dict[str, Any]]:
    """The new status and what the history should record; writes dispatch rows."""
    action = req.action
    if action == "accept":
        return "accepted", {}
    if action == "reject":
        return "rejected", {}
    if action == "close":
        return "closed", {}
    if action == "verify":
        return "verified", {}
    if action == "merge":
        return "merged", _merge(cur, event, req)
    if action == "dispatch":
        return "dispatched", _dispatch(cur, conn, event, req, now)
    if action == "fail_verification":
        cur.execute(
            query("dispatch_reopen"),
            {"event_id": event["id"], "due_at": _resolve_due(conn, event, now)},
        )
        return "dispatched", {"reopened": sorted(depts)}
    department = principal.department_code if principal.role == "department" else req.department
    if not department:
        raise InvalidInput("action.needs_department", field="department", action=action)
    if department not in depts or depts[department] in ("resolved", "cancelled"):
        open_ = sorted(d for d, s in depts.items() if s in ("pending", "in_progress"))
        raise TransitionNotAllowed(
            "action.no_open_dispatch",
            field="department",
            department=department,
            event_id=event["id"],
            details={"allowed_departments": open_},
        )
    if action == "start":
        cur.execute(
            query("dispatch_set_state"),
            {
                "event_id": event["id"],
                "department": department,
                "state": "in_progress",
                "note": None,
                "media": "[]",
            },
        )
        return "in_progress", {"department": department}
    cur.execute(
        query("dispatch_set_state"),
        {
            "event_id": event["id"],
            "department": department,
            "state": "resolved",
            "note": req.note,
            "media": json.dumps(list(req.media), ensure_ascii=False),
        },
    )
    remaining = sorted(
        d for d, s in depts.items() if d != department and s in ("pending", "in_progress")
    )
    status = "in_progress" if remaining else "resolved"
    return status, {"department": department, "waiting_for": remaining}


def _resolve_due(conn: Any, event: dict[str, Any], now: datetime) -> datetime:
    category = read_taxonomy(conn, include_inactive=True).get(event["category"])
    limits = category.time_limits.for_urgency(event["urgency"])
    return read_calendar(conn).due(now, limits.resolve.value, limits.resolve.unit)


def _dispatch(
    cur: Any, conn: Any, event: dict[str, Any], req: ActionRequest, now: datetime
) -> dict[str, Any]:
    codes = tuple(dict.fromkeys(req.departments or ((req.department,) if req.department else ())))
    if not codes:
        raise InvalidInput("action.needs_departments", field="departments")
    known = read_departments(conn)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InvalidInput(
            "action.unknown_departments", field="departments", unknown=unknown, known=list(known)
        )
    due = _resolve_due(conn, event, now)
    for code in codes:
        cur.execute(
            query("dispatch_insert"),
            {
                "community_code": event["community_code"],
                "event_id": event["id"],
                "department": code,
                "due_at": due,
            },
        )
    cur.execute(query("event_set_resolve_due"), {"id": event["id"], "due_at": due})
    return {"departments": list(codes), "due_at": local_iso(due), "whistle": len(codes) > 1}


def _merge(cur: Any, event: dict[str, Any], req: ActionRequest) -> dict[str, Any]:
    if req.into is None:
        raise InvalidInput("action.merge_needs_into", field="into")
    if req.into == event["id"]:
        raise InvalidInput("action.merge_itself", field="into")
    cur.execute(query("event_status_of"), {"id": req.into})
    row = cur.fetchone()
    if row is None:
        raise InvalidInput("action.merge_no_target", field="into", event_id=req.into)
    if row[0] not in OPEN_STATES:
        raise TransitionNotAllowed(
            "action.merge_closed_target", field="into", event_id=req.into, status=row[0]
        )
    cur.execute(query("dispatch_cancel_all"), {"event_id": event["id"]})
    return {"into": req.into}


def history(svc: Gridsvc, event_id: int) -> list[dict[str, Any]]:
    rows = svc.db.cursor_fetchall(query("event_history"), {"event_id": event_id})
    keys = ("id", "action", "from_status", "to_status", "actor", "role", "note", "data", "at")
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        item["at"] = local_iso(item["at"])
        if isinstance(item["data"], dict) and isinstance(item["data"].get("due_at"), str):
            # entries written before times were shown in the city's zone hold UTC text
            item["data"] = {**item["data"], "due_at": local_iso_text(item["data"]["due_at"])}
        out.append(item)
    return out


def dispatches(svc: Gridsvc, event_id: int) -> list[dict[str, Any]]:
    rows = svc.db.cursor_fetchall(query("dispatch_list"), {"event_id": event_id, "now": svc.now()})
    keys = ("department", "state", "due_at", "note", "responded_at", "overdue")
    out = []
    for row in rows:
        item = dict(zip(keys, row, strict=True))
        for key in ("due_at", "responded_at"):
            item[key] = local_iso(item[key])
        out.append(item)
    return out
