from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import ConfigDict, Field

from api.deps import Caller, Service
from api.schemas import TextIn
from gridsvc.events import store
from gridsvc.workflow import actions
from gridsvc.workflow.departments import read_departments

router = APIRouter(tags=["workflow"])


class ActionIn(TextIn):
    model_config = ConfigDict(extra="forbid")

    action: str = Field(description=", ".join(actions.RULES))
    note: str | None = Field(default=None, max_length=5000)
    departments: list[str] = Field(
        default_factory=list, max_length=20, description="dispatch: one or more (a whistle, 吹哨)"
    )
    department: str | None = Field(
        default=None, description="start/resolve as admin: which department answers"
    )
    into: int | None = Field(default=None, description="merge: the event this duplicates")
    media: list[str] = Field(default_factory=list, max_length=20)
    row_version: int | None = Field(
        default=None, description="the version you saw; 409 if the event changed since"
    )


@router.post("/events/{event_id}/actions")
def act(svc: Service, caller: Caller, event_id: int, body: ActionIn) -> dict[str, Any]:
    """Move an event along its workflow; 409 with the allowed actions if not possible now."""
    req = actions.ActionRequest(
        action=body.action,
        note=body.note,
        departments=tuple(body.departments),
        department=body.department,
        into=body.into,
        media=tuple(body.media),
        row_version=body.row_version,
    )
    return actions.apply_action(svc, event_id, req, caller)


@router.get("/events/{event_id}/history")
def event_history(svc: Service, caller: Caller, event_id: int) -> dict[str, Any]:
    """Every transition (who, when, from, to, note), oldest first, and the dispatches."""
    event = store.read_event(svc, event_id, caller)
    return {
        "event_id": event_id,
        "status": event["status"],
        "allowed_next": actions.allowed_actions(event["status"], caller.role),
        "dispatches": actions.dispatches(svc, event_id),
        "history": actions.history(svc, event_id),
    }


@router.get("/departments")
def departments(svc: Service, caller: Caller) -> dict[str, Any]:
    with svc.db.connection() as conn:
        known = read_departments(conn)
    return {"departments": [d.to_dict() for d in known.values()]}
