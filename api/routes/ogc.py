"""OGC API - Features (Part 1 Core with GeoJSON, HTML and OpenAPI 3.0; Part 2 CRS by
reference) at ``/ogc``: what QGIS, ArcGIS, GDAL/OGR and other standard clients read.

The collections and their items come from :mod:`gridsvc.features`; this module makes the
documents and their links, and picks JSON or HTML (``f=json|html``, else the Accept header).
The landing page and the conformance declaration are public; collections and items need the
same token (or console session) as ``/v1``, and an event is seen and redacted as in
``GET /v1/events``. Clients that cannot send a bearer header (QGIS 3.22's "Basic"
authentication) send the token as the Basic password (:mod:`gridsvc.access`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import SESSION_COOKIE, Service, get_principal
from api.filters import event_filter
from gridsvc.access import Principal
from gridsvc.dates import local_iso
from gridsvc.errors import InvalidInput, NotFound, Unauthenticated
from gridsvc.events import keyset
from gridsvc.features import collections as fc
from gridsvc.features.crs import CRS84, SUPPORTED, OutputCrs, parse_crs
from gridsvc.selection import parse_bbox, parse_instant
from web import ogc_pages

router = APIRouter(prefix="/ogc", tags=["ogc-features"])

# No oas30: FastAPI writes its API definition in OpenAPI 3.1, which the landing page's
# service-desc link says; the class for OpenAPI 3.0 is not claimed (docs/standards.md).
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
GEOJSON = "application/geo+json"
MAX_LIMIT = 10_000
"""The largest page; a larger ``limit`` is served as this many (Part 1 lets a server
return fewer than asked)."""
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

Format = Annotated[
    str | None,
    Query(
        pattern="^(json|html)$",
        description="json or html; without it, the Accept header decides (JSON by default)",
    ),
]
DOC_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/html": {}}},
}
ITEMS_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {}, "text/html": {}}},
}


async def _maybe_caller(svc: Service, request: Request) -> Principal | None:
    """The caller, or None for a browser that is not signed in (its page is the sign-in
    form, see :func:`_signed_in`); a bad token is still refused."""
    if "authorization" not in request.headers and SESSION_COOKIE not in request.cookies:
        return None
    return await get_principal(svc, request)


MaybeCaller = Annotated[Principal | None, Depends(_maybe_caller)]


def _signed_in(caller: Principal | None, request: Request, html: bool) -> Principal | Response:
    """``caller``; without one, a page answers with the sign-in form (which comes back here)
    and an app gets Unauthenticated, as on ``/v1``."""
    if caller is not None:
        return caller
    if html:
        target = request.url.path + ("?" + request.url.query if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    raise Unauthenticated("ogc.needs_token")


def _wants_html(request: Request, f: str | None) -> bool:
    if f is not None:
        return f == "html"
    accept = request.headers.get("accept", "")
    return "text/html" in accept and "json" not in accept.split("text/html")[0]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/ogc"


def _link(href: str, rel: str, kind: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": kind, "title": title}


def _self_links(request: Request, html: bool) -> list[dict[str, str]]:
    """self and alternate links of the request's own URL, in JSON and HTML."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "f"]
    url = str(request.url.remove_query_params("f")).split("?")[0]

    def with_f(f: str) -> str:
        return url + "?" + urlencode([*params, ("f", f)])

    json_kind = GEOJSON if request.url.path.endswith("/items") else "application/json"
    links = [
        _link(with_f("json"), "self" if not html else "alternate", json_kind, "JSON"),
        _link(with_f("html"), "self" if html else "alternate", "text/html", "HTML"),
    ]
    return links


def _answer(
    request: Request,
    html: bool,
    body: dict[str, Any],
    page: str,
    media_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Response:
    if html:
        return ogc_pages.render(request, page, body, headers=headers)
    return JSONResponse(body, media_type=media_type, headers=headers)


def _features_answer(
    request: Request,
    html: bool,
    body: dict[str, Any],
    c: fc.Collection,
    page: str,
    crs: OutputCrs,
) -> Response:
    """Features as GeoJSON naming their CRS, or as the page ``page`` (which also shows the
    collection's title and links)."""
    shown = {**body, "collection": _collection_doc(request, c)} if html else body
    return _answer(request, html, shown, page, GEOJSON, {"Content-Crs": f"<{crs.uri}>"})


@router.get("", responses=DOC_RESPONSES)
def landing(request: Request, f: Format = None) -> Response:
    """The landing page: links to the API definition, the conformance declaration and the
    collections."""
    html = _wants_html(request, f)
    base = _base(request)
    root = str(request.base_url).rstrip("/")
    body = {
        "title": "gridsvc 网格化社会治理 OGC API - Features",
        "description": "网格 (区、板块、街道、社区、网格) 和上报事件，按 OGC API - Features "
        "标准提供，QGIS、ArcGIS 和 GDAL 可直接读取。",
        "links": [
            *_self_links(request, html),
            _link(
                root + "/openapi.json",
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.1",
                "API 定义 (OpenAPI 3.1)",
            ),
            _link(root + "/docs", "service-doc", "text/html", "API 文档"),
            _link(base + "/conformance", "conformance", "application/json", "符合的标准"),
            _link(base + "/collections", "data", "application/json", "数据集合"),
        ],
    }
    return _answer(request, html, body, "landing")


@router.get("/conformance", responses=DOC_RESPONSES)
def conformance(request: Request, f: Format = None) -> Response:
    """The conformance classes this API implements."""
    html = _wants_html(request, f)
    body = {"links": _self_links(request, html), "conformsTo": CONFORMANCE}
    return _answer(request, html, body, "conformance")


def _collection_doc(request: Request, c: fc.Collection) -> dict[str, Any]:
    base = f"{_base(request)}/collections/{c.id}"
    doc: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": c.item_type,
        "links": [
            _link(base, "self", "application/json", c.title),
            _link(base + "?f=html", "alternate", "text/html", c.title),
            _link(base + "/items", "items", GEOJSON, "要素 (GeoJSON)"),
            _link(base + "/items?f=html", "items", "text/html", "要素 (网页)"),
        ],
        "crs": [crs.uri for crs in SUPPORTED],
        "storageCrs": CRS84.uri,
    }
    if c.bbox_wgs84 is not None:
        doc["extent"] = {"spatial": {"bbox": [list(c.bbox_wgs84)], "crs": CRS84.uri}}
        if c.kind == "events":
            doc["extent"]["temporal"] = {
                "interval": [[None, None]],
                "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
            }
    return doc


@router.get("/collections", responses=DOC_RESPONSES)
async def collection_list(
    svc: Service, maybe: MaybeCaller, request: Request, f: Format = None
) -> Response:
    """The collections the caller may read."""
    html = _wants_html(request, f)
    caller = _signed_in(maybe, request, html)
    if isinstance(caller, Response):
        return caller
    found = await run_in_threadpool(fc.collections, svc, caller)
    body = {
        "links": _self_links(request, html),
        "collections": [_collection_doc(request, c) for c in found],
        "crs": [crs.uri for crs in SUPPORTED],
    }
    return _answer(request, html, body, "collections")


async def _items_query_here(
    datetime_: Annotated[str | None, Query(alias="datetime")] = None,
    category: Annotated[str | None, Query()] = None,
    status: Annotated[str | None, Query()] = None,
    urgency: Annotated[str | None, Query()] = None,
    source: Annotated[str | None, Query()] = None,
    grid: Annotated[str | None, Query()] = None,
) -> None:
    """The items' filters, taken (and not used) by a collection's description: GDAL opens a
    collection URL that carries an items query (``OAPIF:…/collections/events?datetime=…``),
    asks the description with it, then sends it with every items request."""


@router.get(
    "/collections/{collection_id}",
    responses=DOC_RESPONSES,
    dependencies=[Depends(_items_query_here)],
)
async def collection(
    svc: Service, maybe: MaybeCaller, request: Request, collection_id: str, f: Format = None
) -> Response:
    """One collection's description: its extent, coordinate systems and links. The items'
    filters are accepted here and ignored (see the items)."""
    html = _wants_html(request, f)
    caller = _signed_in(maybe, request, html)
    if isinstance(caller, Response):
        return caller
    c = await run_in_threadpool(fc.find, svc, caller, collection_id)
    return _answer(request, html, _collection_doc(request, c), "collection")


def _bbox(value: str | None, bbox_crs: str | None) -> tuple[float, float, float, float] | None:
    """The standard's bbox in WGS-84: parsed as every door parses one, heights of a 3D box
    (six numbers) dropped, since features here have none."""
    if value is not None and value.count(",") == 5:
        parts = value.split(",")
        value = ",".join((parts[0], parts[1], parts[3], parts[4]))
    return parse_bbox(value, bbox_crs)


def _instant(text: str, end: bool) -> datetime | None:
    """One end of an RFC 3339 interval (``..`` or empty: open), as a filter's bound: the
    interval's end is inclusive, the filter's exclusive."""
    if text in ("", ".."):
        return None
    if end:
        return parse_instant(text, "datetime", last=True) + timedelta(microseconds=1)
    return parse_instant(text, "datetime")


def _datetime(value: str | None) -> tuple[datetime | None, datetime | None]:
    if value is None:
        return None, None
    if "/" in value:
        first, _, last = value.partition("/")
        start, stop = _instant(first, False), _instant(last, True)
        if start is not None and stop is not None and stop <= start:
            raise InvalidInput("ogc.datetime_order", field="datetime", value=value[:80])
        return start, stop
    return _instant(value, False), _instant(value, True)


def _next_links(request: Request, **changes: Any) -> list[dict[str, str]]:
    """The next page's links, as GeoJSON and as a page: the request's own query with the
    cursor or offset of ``changes``."""
    params = {k: v for k, v in request.query_params.items() if k not in ("offset", "cursor", "f")}
    params.update({k: str(v) for k, v in changes.items()})
    url = str(request.url).split("?")[0] + "?" + urlencode(params)
    return [
        _link(url + "&f=json", "next", GEOJSON, "下一页"),
        _link(url + "&f=html", "next", "text/html", "下一页"),
    ]


Bbox = Annotated[
    str | None,
    Query(description="minimum then maximum values in the axis order of bbox-crs (CRS84: lon,lat)"),
]
BboxCrs = Annotated[
    str | None, Query(alias="bbox-crs", description="URI of the bbox's CRS (default CRS84)")
]
CrsParam = Annotated[
    str | None, Query(description="URI of the CRS of the answer's geometries (default CRS84)")
]


@router.get("/collections/{collection_id}/items", responses=ITEMS_RESPONSES)
def items(
    svc: Service,
    maybe: MaybeCaller,
    request: Request,
    collection_id: str,
    limit: Annotated[
        int, Query(ge=1, le=2**31 - 1, description=f"at most {MAX_LIMIT:,} are served")
    ] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="grids and statistics")] = 0,
    cursor: Annotated[
        str | None,
        Query(max_length=64, description="events: the next page's cursor (from its link)"),
    ] = None,
    bbox: Bbox = None,
    bbox_crs: BboxCrs = None,
    crs: CrsParam = None,
    datetime_: Annotated[
        str | None,
        Query(alias="datetime", description="events: an instant or interval (RFC 3339, ../..)"),
    ] = None,
    category: Annotated[str | None, Query(description="events: category or group codes")] = None,
    status: Annotated[str | None, Query(description="events: workflow states")] = None,
    urgency: Annotated[str | None, Query(description="events: normal, urgent, critical")] = None,
    source: Annotated[str | None, Query(description="events: how reports arrived")] = None,
    grid: Annotated[str | None, Query(description="events: a grid code at any level")] = None,
    f: Format = None,
) -> Response:
    """A page of a collection's features (GeoJSON or HTML), with a `next` link while there
    are more. Events are newest first and take the same filters as `/v1/events`."""
    html = _wants_html(request, f)
    caller = _signed_in(maybe, request, html)
    if isinstance(caller, Response):
        return caller
    out_crs = parse_crs(crs, "crs")
    box = _bbox(bbox, bbox_crs)
    c = fc.find(svc, caller, collection_id)
    limit = min(limit, MAX_LIMIT)
    # datetime is every collection's parameter (Part 1); units have no time and ignore it
    event_only = {
        "category": category,
        "status": status,
        "urgency": urgency,
        "source": source,
        "grid": grid,
        "cursor": cursor,
    }
    start, stop = _datetime(datetime_)
    if c.kind == "events":
        flt = event_filter(
            svc,
            caller,
            grid=grid,
            category=category,
            status=status,
            urgency=urgency,
            source=source,
        )
        after = keyset.decode(cursor, "cursor") if cursor is not None else None
        flt = replace(
            flt, bbox=box, occurred_from=start, occurred_to=stop, after=after, limit=limit
        )
        page = fc.event_items(svc, flt, out_crs)
        nxt = _next_links(request, cursor=page.next_cursor) if page.next_cursor else []
    else:
        given = [k for k, v in event_only.items() if v is not None]
        if given:
            raise InvalidInput("ogc.events_only", field=given[0], collection=c.id)
        want = fc.UnitQuery(bbox_wgs84=box, limit=limit, offset=offset, crs=out_crs)
        page = fc.unit_items(svc, c, want)
        nxt = _next_links(request, offset=page.next_offset) if page.next_offset else []
    links = [*_self_links(request, html), *nxt]
    body: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": page.features,
        "links": links,
        "timeStamp": local_iso(svc.now()),
        "numberReturned": len(page.features),
    }
    if page.matched is not None:
        body["numberMatched"] = page.matched
    return _features_answer(request, html, body, c, "items", out_crs)


@router.get("/collections/{collection_id}/items/{feature_id}", responses=ITEMS_RESPONSES)
def item(
    svc: Service,
    maybe: MaybeCaller,
    request: Request,
    collection_id: str,
    feature_id: str,
    crs: CrsParam = None,
    f: Format = None,
) -> Response:
    """One feature: an event by its id, a unit by its code."""
    html = _wants_html(request, f)
    caller = _signed_in(maybe, request, html)
    if isinstance(caller, Response):
        return caller
    out_crs = parse_crs(crs, "crs")
    c = fc.find(svc, caller, collection_id)
    if c.kind == "events":
        if not feature_id.isdigit() or len(feature_id) > 18:
            raise InvalidInput("ogc.not_event_id", field="feature_id", value=feature_id[:40])
        feature = fc.event_item(svc, int(feature_id), caller, out_crs)
    else:
        page = fc.unit_items(svc, c, fc.UnitQuery(code=feature_id, limit=1, crs=out_crs))
        if not page.features:
            raise NotFound(
                "ogc.no_unit", field="feature_id", collection=c.id, value=feature_id[:40]
            )
        feature = page.features[0]
    base = f"{_base(request)}/collections/{c.id}"
    feature["links"] = [
        *_self_links(request, html),
        _link(base, "collection", "application/json", c.title),
    ]
    return _features_answer(request, html, feature, c, "item", out_crs)
