"""The dispatch console (``/dispatch``): the queue of dispatchers and departments, an
event's page with its actions (issue #19).

The page's data comes from the ``/v1`` API with the session cookie: the queue is
``GET /v1/events`` with the user's filters, the actions ``POST /v1/events/{id}/actions`` with
the ``row_version`` the page showed, so two dispatchers acting at once cannot both win.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.deps import Service
from gridsvc.errors import Forbidden, NotFound
from gridsvc.events import store
from web.labels import labels
from web.pages import forbidden, render, signed_in

router = APIRouter(include_in_schema=False)

DISPATCH_ROLES = ("dispatcher", "department", "admin")


@router.get("/dispatch")
async def dispatch_page(svc: Service, request: Request) -> Response:
    found = await signed_in(svc, request)
    if isinstance(found, Response):
        return found
    if found.principal.role not in DISPATCH_ROLES:
        return forbidden(request, found)
    return render(request, "dispatch.html", session=found)


@router.get("/dispatch/events/{event_id}")
async def event_page(svc: Service, request: Request, event_id: int) -> Response:
    """One event's page. Whether the user may see it is asked of the same check as
    ``GET /v1/events/{id}``, so a typed address of another area's event shows nothing."""
    found = await signed_in(svc, request)
    if isinstance(found, Response):
        return found
    if found.principal.role not in DISPATCH_ROLES:
        return forbidden(request, found)
    try:
        await run_in_threadpool(store.read_event, svc, event_id, found.principal)
    except (Forbidden, NotFound):
        t = labels()
        return render(
            request, "error.html", status=404, session=found, message=t["event_not_visible"]
        )
    return render(request, "dispatch_event.html", session=found, event_id=event_id)
