from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, Reporter, Service, Writer
from api.filters import EventSelection
from api.schemas import ErrorOut, EventCreatedOut, EventIn
from gridsvc.errors import Forbidden
from gridsvc.events import keyset, store
from gridsvc.export import events_csv, events_geopackage
from gridsvc.workflow.queue import queue_counts

router = APIRouter(tags=["events"])


@router.post(
    "/events",
    response_model=EventCreatedOut,
    status_code=201,
    responses={
        200: {
            "model": EventCreatedOut,
            "description": "a replay: the report was stored before; nothing new was stored",
        },
        409: {"model": ErrorOut, "description": "the client_event_id was used for other content"},
        400: {"model": ErrorOut, "description": "a field is wrong; the body names it"},
    },
)
async def create_event(
    svc: Service, caller: Reporter, body: EventIn, writer: Writer
) -> JSONResponse:
    """Store one report, assigned to its grids in the same transaction. The reporter is the
    token's name; only dispatchers and admins may report on someone else's behalf."""
    report = body.model_dump()
    if report["reporter_id"] is None:
        report["reporter_id"] = caller.name
    elif report["reporter_id"] != caller.name and caller.role == "grid_worker":
        raise Forbidden(
            "event.reports_as",
            who=caller.who(),
            name=caller.name,
            reporter_id=report["reporter_id"],
        )
    # stored with the reports that arrive with it (one transaction), awaited here without
    # holding a thread of the pool; or alone (see ReportWriter.submit), in the pool
    result = await asyncio.wrap_future(writer.submit(report)) if writer else None
    if result is None:
        result = await run_in_threadpool(store.create_event, svc, report)
    payload = EventCreatedOut(
        created=result.created, event=result.event, possible_duplicates=result.possible_duplicates
    )
    return JSONResponse(payload.model_dump(), status_code=201 if result.created else 200)


@router.get(
    "/events",
    responses={
        200: {
            "content": {
                "application/geo+json": {},
                "text/csv": {},
                "application/geopackage+sqlite3": {},
            }
        }
    },
)
def list_events(
    svc: Service,
    selection: EventSelection,
    after: Annotated[
        str | None,
        Query(
            max_length=64,
            description="the page cursor: the `next` of the page before, unchanged (an opaque "
            "token; a malformed or edited one is a 400)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    format: Annotated[str, Query(pattern="^(geojson|csv|gpkg)$")] = "geojson",
) -> Response:
    """Events, latest `occurred_at` first (ties: highest id first), as GeoJSON (default),
    CSV or GeoPackage; keyset pagination: pass a page's `next` as `after` for the next page
    (`next` is null on the last page)."""
    position = keyset.decode(after, "after") if after is not None else None
    flt = replace(selection, after=position, limit=limit)
    events, nxt = store.list_events(svc, flt)
    if format == "csv":
        return Response(
            events_csv(events),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="events.csv"'},
        )
    if format == "gpkg":
        return Response(
            events_geopackage(events),
            media_type="application/geopackage+sqlite3",
            headers={"Content-Disposition": 'attachment; filename="events.gpkg"'},
        )
    body = {
        "type": "FeatureCollection",
        "features": [_feature(e) for e in events],
        "next": keyset.encode(nxt) if nxt is not None else None,
    }
    return JSONResponse(body, media_type="application/geo+json")


def _feature(event: dict[str, Any]) -> dict[str, Any]:
    loc = event["location"]
    props = {k: v for k, v in event.items() if k != "id"}
    return {
        "type": "Feature",
        "id": event["id"],
        "geometry": {"type": "Point", "coordinates": [loc["lon_wgs84"], loc["lat_wgs84"]]},
        "properties": props,
    }


@router.get("/events/counts")
def event_counts(svc: Service, selection: EventSelection) -> dict[str, Any]:
    """The dispatch queue's tabs: open events per status (zeros included) and the overdue
    ones (counted up to 1,000; ``overdue_more`` beyond) that the filters select in the
    caller's area. The list's filters, less ``status``; counted from the exact daily rollup
    where it can answer (``counted_from``)."""
    return queue_counts(svc, selection).to_dict()


@router.get("/events/{event_id}")
def get_event(svc: Service, caller: Caller, event_id: int) -> dict[str, Any]:
    return store.read_event(svc, event_id, caller)


@router.get("/events/{event_id}/nearby")
def nearby(svc: Service, caller: Caller, event_id: int) -> dict[str, Any]:
    """Open events of the same category within its radius and time window, of those the
    caller may see."""
    store.read_event(svc, event_id, caller)  # 403 outside the caller's scope
    event = store.get_event(svc, event_id)
    category = store.taxonomy_of(svc, include_inactive=True).get(event["category"])
    found = store.possible_duplicates(
        svc, event, radius_m=category.dedupe_radius_m, window_h=category.dedupe_window_h
    )
    if not caller.citywide:
        ids = [d["id"] for d in found]
        visible = store.visible_ids(svc, caller, ids)
        found = [d for d in found if d["id"] in visible]
    return {
        "event_id": event_id,
        "radius_m": category.dedupe_radius_m,
        "window_h": category.dedupe_window_h,
        "possible_duplicates": found,
    }
