from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, Reporter, Service, Writer
from api.params import TIME_EXAMPLES
from api.schemas import ErrorOut, EventCreatedOut, EventIn
from gridsvc.dates import check_time
from gridsvc.errors import Forbidden, InvalidInput
from gridsvc.events import store
from gridsvc.events.rows import SOURCES, URGENCIES
from gridsvc.export import events_geopackage, excel_csv
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


def _csv_list(value: str | None) -> tuple[str, ...] | None:
    if not value:
        return None
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("event.time_not_iso", field=name, value=_short(value)) from None
    if parsed.tzinfo is None:
        raise InvalidInput("event.time_no_zone", field=name, value=_short(value))
    return check_time(parsed, name)


def _check_choice(values: tuple[str, ...] | None, allowed: tuple[str, ...], name: str) -> None:
    for v in values or ():
        if v not in allowed:
            raise InvalidInput("common.unknown_choice", field=name, value=v, choices=allowed)


def event_filter(
    svc: Service,
    caller: Caller,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS-84)")] = None,
    grid: Annotated[str | None, Query(description="a grid code at any level")] = None,
    category: Annotated[
        str | None,
        Query(
            description="codes, comma-separated; a group code (e.g. hazard) includes its categories"
        ),
    ] = None,
    status: Annotated[str | None, Query()] = None,
    urgency: Annotated[str | None, Query()] = None,
    source: Annotated[str | None, Query()] = None,
    occurred_from: Annotated[
        str | None,
        Query(alias="from", description="ISO 8601 with offset", openapi_examples=TIME_EXAMPLES),
    ] = None,
    occurred_to: Annotated[
        str | None,
        Query(alias="to", description="ISO 8601 with offset", openapi_examples=TIME_EXAMPLES),
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="true: only events past a deadline; false: none")
    ] = None,
    mine: Annotated[
        bool, Query(description="true: only the caller's own reports, wherever they lie")
    ] = False,
) -> store.EventFilter:
    """The selection of events a request asks for (a dependency): the event list and the
    queue's counts take the same parameters, parsed here once."""
    box = None
    if bbox:
        try:
            parts = tuple(float(p) for p in bbox.split(","))
        except ValueError:
            parts = ()
        if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
            raise InvalidInput("event.bbox_numbers", field="bbox", value=_short(bbox))
        if parts[0] > parts[2] or parts[1] > parts[3]:
            raise InvalidInput("event.bbox_order", field="bbox", value=_short(bbox))
        box = (parts[0], parts[1], parts[2], parts[3])
    categories = _csv_list(category)
    if categories:
        taxonomy = store.taxonomy_of(svc, include_inactive=True)
        expanded: list[str] = []
        for code in categories:
            expanded.extend(taxonomy.codes_under(code))
        categories = tuple(expanded)
    urgencies, sources = _csv_list(urgency), _csv_list(source)
    _check_choice(urgencies, URGENCIES, "urgency")
    _check_choice(sources, SOURCES, "source")
    return store.EventFilter(
        bbox=box,
        grid=grid,
        categories=categories,
        status=_csv_list(status),
        urgency=urgencies,
        source=sources,
        occurred_from=_time(occurred_from, "from"),
        occurred_to=_time(occurred_to, "to"),
        overdue=overdue,
        principal=caller,
        reporter=caller.name if mine else None,
    )


Selection = Annotated[store.EventFilter, Depends(event_filter)]


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
    selection: Selection,
    after: Annotated[int | None, Query(description="cursor: the `next` of the last page")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    format: Annotated[str, Query(pattern="^(geojson|csv|gpkg)$")] = "geojson",
) -> Response:
    """Events, newest first, as GeoJSON (default) or CSV; keyset pagination via `after`."""
    flt = replace(selection, after_id=after, limit=limit)
    events, cursor = store.list_events(svc, flt)
    if format == "csv":
        return Response(
            _events_csv(events),
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
        "next": cursor,
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


CSV_COLUMNS = (
    "id",
    "client_event_id",
    "reporter_id",
    "category",
    "title",
    "occurred_at",
    "reported_at",
    "source",
    "urgency",
    "status",
    "lon_wgs84",
    "lat_wgs84",
    "community_code",
    "street_code",
    "sector_code",
    "district_code",
    "snapped",
    "near_boundary",
    "address",
)


def _events_csv(events: list[dict[str, Any]]) -> str:
    rows = ({**e, **e["grid"], **e["location"]} for e in events)
    return excel_csv(CSV_COLUMNS, ([flat.get(c) for c in CSV_COLUMNS] for flat in rows))


@router.get("/events/counts")
def event_counts(svc: Service, selection: Selection) -> dict[str, Any]:
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
