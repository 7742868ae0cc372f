"""Open311 GeoReport v2 (docs/open311.md): ``/open311/v2/…``, JSON or XML by the path's
extension, every error as the spec's array of ``{code, description}``.

The routes take raw parameters (strings, the request itself), so FastAPI's validation never
answers before them in gridsvc's own error shape; whatever goes wrong is caught here and
answered in the spec's shape and the request's language, with the statuses of
:mod:`api.errors` but where the spec says otherwise: a service code that is not a service is
404, any other refused input 400 (not 422). A missing or unknown ``api_key`` is 401, not
the spec's 403: the per-address limit of failed tokens (:mod:`api.security`) counts 401
answers.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

import psycopg2
from fastapi import APIRouter, Depends, Path, Query, Request, Response, Security
from fastapi.routing import APIRoute
from fastapi.security import APIKeyQuery, HTTPBearer
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from api.deps import Service, Writer
from api.errors import request_language, status_for
from gridsvc import open311
from gridsvc.access import Principal, authenticate, cached_principal, require_role
from gridsvc.errors import GridsvcError, InvalidInput, NotFound, Unauthenticated, UnknownCategory
from gridsvc.events import store
from gridsvc.messages import CONTENT_LANGUAGE, Msg
from gridsvc.service import Gridsvc

log = logging.getLogger("gridsvc.api")

router = APIRouter(prefix="/open311", tags=["open311"])

MEDIA_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


# --- what the document says ------------------------------------------------------------------


class Open311ErrorOut(BaseModel):
    code: int = Field(description="the HTTP status")
    description: str = Field(description="what was wrong and how to fix it")


class ServiceOut(BaseModel):
    service_code: str = Field(description="a category code, e.g. hazard.fire")
    service_name: str = Field(description="its Chinese name")
    description: str
    metadata: bool = Field(description="true: the category has fields (see services/{code})")
    type: Literal["realtime", "batch", "blackbox"]
    keywords: str = Field(description="English name and pinyin initials, comma-separated")
    group: str = Field(description="the Chinese name of the category's group")


class AttributeValueOut(BaseModel):
    key: str
    name: str


class AttributeOut(BaseModel):
    variable: bool
    code: str
    datatype: Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValueOut] | None = None


class ServiceDefinitionOut(BaseModel):
    service_code: str
    attributes: list[AttributeOut]


class RequestOut(BaseModel):
    service_request_id: int
    status: Literal["open", "closed"]
    status_notes: str | None = Field(description="the note of the last workflow step")
    service_name: str
    service_code: str
    description: str | None = Field(description="null for analysts")
    agency_responsible: str | None = Field(description="the departments dispatched to")
    service_notice: str | None
    requested_datetime: str = Field(description="when the event occurred (start/end_date)")
    updated_datetime: str | None
    expected_datetime: str | None = Field(description="the resolve deadline, once dispatched")
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float
    long: float
    media_url: str | None
    extended_attributes: dict[str, Any] | None = Field(
        default=None, description="extensions=true: grid units, workflow state, fields"
    )


class RequestCreatedOut(BaseModel):
    service_request_id: int
    service_notice: str | None
    account_id: str | None


class TokenOut(BaseModel):
    service_request_id: int
    token: str


_XML = {"text/xml": {"schema": {"type": "string", "description": "the spec's XML"}}}
_ERRORS: dict[int | str, str] = {
    400: "a value is wrong; the description names it",
    401: "no api_key (or bearer token), or an unknown or revoked one",
    403: "the token's role or scope does not allow this",
    404: "no such service, request or path",
    503: "the database is away; retry after Retry-After",
    "default": "any other error, in the same shape",
}


def _responses(
    status: int, model: Any, description: str, more: dict[int | str, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    out: dict[int | str, dict[str, Any]] = {
        status: {"model": model, "description": description, "content": _XML}
    }
    errors: dict[int | str, str] = {**_ERRORS, **(more or {})}
    for code, text in errors.items():
        out[code] = {"model": list[Open311ErrorOut], "description": text, "content": _XML}
    return out


Format = Annotated[
    str,
    Path(description="`json` or `xml`", json_schema_extra={"enum": ["json", "xml"]}),
]
ApiKey = Annotated[
    str | None,
    Security(
        APIKeyQuery(
            name="api_key",
            auto_error=False,
            description="a gridsvc token (`gridsvc token create`); or send it as "
            "`Authorization: Bearer <token>`",
        )
    ),
]
# documents the header alternative; the header itself is read in _caller
BearerDoc = Annotated[
    Any, Security(HTTPBearer(auto_error=False, description="a token from `gridsvc token create`"))
]
Jurisdiction = Annotated[
    str | None, Query(description="accepted and ignored: gridsvc serves one city")
]


async def _key_of_a_get(
    api_key: ApiKey = None,
    _bearer: BearerDoc = None,
    jurisdiction_id: Jurisdiction = None,
) -> str | None:
    """What every GET takes besides its own parameters: the key (query ``api_key`` or the
    bearer header, read in :func:`_caller`) and the ignored ``jurisdiction_id``."""
    return api_key


GetKey = Annotated[str | None, Depends(_key_of_a_get)]


# --- answers ---------------------------------------------------------------------------------


def _answer(
    fmt: str, status: int, root: str, body: Any, headers: dict[str, str] | None = None
) -> Response:
    content = (
        open311.to_xml(root, body)
        if fmt == "xml"
        else json.dumps(body, ensure_ascii=False).encode()
    )
    return Response(content, status_code=status, media_type=MEDIA_TYPES[fmt], headers=headers)


def _status(exc: GridsvcError) -> int:
    if isinstance(exc, UnknownCategory):
        return 404  # the spec: a service_code that was not found
    status = status_for(exc)
    return 400 if status == 422 else status  # the spec: 400 for any other refused request


def _error(request: Request, fmt: str, status: int, msg: Msg, hint: Msg | None = None) -> Response:
    """The spec's error array, in the request's language (``Accept-Language``)."""
    lang = request_language(request)
    text = msg.render(lang) + (" " + hint.render(lang) if hint is not None else "")
    headers = {"Content-Language": CONTENT_LANGUAGE[lang]}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    elif status == 503:
        headers["Retry-After"] = "5"
    return _answer(fmt, status, "errors", open311.errors(status, text), headers)


def _failure(request: Request, fmt: str, exc: Exception) -> Response:
    """Any exception raised under /open311/ as the spec's error array."""
    if isinstance(exc, HTTPException):  # a body Starlette cannot parse
        exc = InvalidInput("open311.unreadable_form", field="body", error=str(exc.detail))
    elif isinstance(exc, psycopg2.DataError):
        log.warning("data error on %s: %s", request.url.path, str(exc).strip().splitlines()[:1])
        exc = InvalidInput("http.unstorable")
    request_id = getattr(request.state, "request_id", "?")
    if not isinstance(exc, GridsvcError):
        log.exception("request %s failed", request_id, exc_info=exc)
        internal = Msg("http.internal", {"request_id": request_id})
        return _error(request, fmt, 500, internal, internal.own_hint())
    status = _status(exc)
    if status >= 500:
        log.warning("request %s: %s %s", request_id, type(exc).__name__, exc.message)
    return _error(request, fmt, status, exc.msg, exc.hint_msg)


def _format(value: str) -> str:
    if value not in MEDIA_TYPES:
        raise NotFound("open311.unknown_format", format=value[:20])
    return value


def _no_nul(request: Request) -> None:
    for name, value in [*request.query_params.multi_items(), *request.path_params.items()]:
        if "\x00" in name or "\x00" in str(value):
            raise InvalidInput("http.param_nul", field=name[:40])


def _caller(svc: Gridsvc, request: Request, api_key: str | None) -> Principal:
    """The principal of ``api_key``, else of the bearer header (no console sessions here)."""
    header = f"Bearer {api_key}" if api_key else request.headers.get("authorization")
    if not header:
        raise Unauthenticated("open311.no_key")
    principal = cached_principal(header, svc.tokens) or authenticate(svc.db, header, svc.tokens)
    if not api_key:
        # api.security: a header's token that works is never throttled; an api_key is
        # counted by address, which must not be marked good for all of its clients
        request.state.authenticated = True
    return principal


def _get(
    request: Request,
    svc: Gridsvc,
    format: str,
    api_key: str | None,
    work: Callable[[Principal], tuple[str, Any]],
) -> Response:
    """A GET: format, parameters and caller checked, then ``work`` (root element, body)."""
    fmt = format if format in MEDIA_TYPES else "json"
    try:
        _format(format)
        _no_nul(request)
        root, body = work(_caller(svc, request, api_key))
        return _answer(fmt, 200, root, body)
    except Exception as exc:
        return _failure(request, fmt, exc)


# --- services --------------------------------------------------------------------------------


@router.get(
    "/v2/services.{format}",
    response_model=None,
    responses=_responses(200, list[ServiceOut], "the active categories of the taxonomy"),
)
def get_services(
    request: Request,
    svc: Service,
    format: Format,
    api_key: GetKey,
) -> Response:
    """GET Service List: one service per active category."""
    return _get(
        request,
        svc,
        format,
        api_key,
        lambda caller: ("services", open311.services(store.taxonomy_of(svc))),
    )


@router.get(
    "/v2/services/{service_code}.{format}",
    response_model=None,
    responses=_responses(200, ServiceDefinitionOut, "the category's fields as attributes"),
)
def get_service_definition(
    request: Request,
    svc: Service,
    service_code: Annotated[str, Path(openapi_examples={"a category": {"value": "hazard.fire"}})],
    format: Format,
    api_key: GetKey,
) -> Response:
    """GET Service Definition: the category's fields (``attribute[code]`` in a POST)."""
    return _get(
        request,
        svc,
        format,
        api_key,
        lambda caller: (
            "service_definition",
            open311.service_definition(store.taxonomy_of(svc), service_code),
        ),
    )


# --- requests --------------------------------------------------------------------------------

_FILTERS = ("service_request_id", "service_code", "start_date", "end_date", "status")


def _extensions(value: str | None) -> bool:
    text = (value or "").strip().lower()
    if text in ("", "false", "0"):
        return False
    if text in ("true", "1"):
        return True
    raise InvalidInput("validation.boolean", field="extensions", value=text[:20])


@router.get(
    "/v2/requests.{format}",
    response_model=None,
    responses=_responses(200, list[RequestOut], "events the caller may see, newest first"),
)
def get_requests(
    request: Request,
    svc: Service,
    format: Format,
    api_key: GetKey,
    service_request_id: Annotated[
        str | None, Query(description="ids, comma-separated; overrides the other filters")
    ] = None,
    service_code: Annotated[str | None, Query(description="codes, comma-separated")] = None,
    start_date: Annotated[
        str | None, Query(description="w3 time with offset; default: 90 days before end_date")
    ] = None,
    end_date: Annotated[
        str | None, Query(description="w3 time with offset, included; at most 90 days on")
    ] = None,
    status: Annotated[str | None, Query(description="open, closed or both")] = None,
    extensions: Annotated[
        str | None, Query(description="true: each request with its extended_attributes")
    ] = None,
) -> Response:
    """GET Service Requests: at most 1,000, newest first, within 90 days of
    ``occurred_at`` (the last 90 days by default), as the caller's role and scope may see
    them on ``/v1/events``. Repeated parameters are read as one comma list."""

    def work(caller: Principal) -> tuple[str, Any]:
        params = {n: ",".join(request.query_params.getlist(n)) or None for n in _FILTERS}
        taxonomy = store.taxonomy_of(svc, include_inactive=True)
        q = open311.request_query(params, taxonomy, svc.now())
        events = open311.find(svc, caller, q)
        body = open311.service_requests(
            svc, events, base_url=str(request.base_url), extensions=_extensions(extensions)
        )
        return "service_requests", body

    return _get(request, svc, format, api_key, work)


@router.get(
    "/v2/requests/{service_request_id}.{format}",
    response_model=None,
    responses=_responses(200, list[RequestOut], "the request, as a list of one"),
)
def get_request(
    request: Request,
    svc: Service,
    service_request_id: str,
    format: Format,
    api_key: GetKey,
    extensions: Annotated[
        str | None, Query(description="true: with its extended_attributes")
    ] = None,
) -> Response:
    """GET Service Request: one event, if the caller may see it (403 otherwise)."""

    def work(caller: Principal) -> tuple[str, Any]:
        event = open311.one(svc, caller, service_request_id)
        body = open311.service_requests(
            svc, [event], base_url=str(request.base_url), extensions=_extensions(extensions)
        )
        return "service_requests", body

    return _get(request, svc, format, api_key, work)


@router.get(
    "/v2/tokens/{token}.{format}",
    response_model=None,
    responses=_responses(200, list[TokenOut], "the request sent with this client_event_id"),
)
def get_token(
    request: Request,
    svc: Service,
    token: str,
    format: Format,
    api_key: GetKey,
) -> Response:
    """GET service_request_id from a token: requests are realtime (POST answers with the id),
    so a token is the ``attribute[client_event_id]`` of the caller's own POST, for a client
    whose answer was lost."""
    return _get(
        request,
        svc,
        format,
        api_key,
        lambda caller: ("service_requests", [open311.token(svc, caller, token)]),
    )


_FORM_FIELDS: dict[str, dict[str, Any]] = {
    "api_key": {"type": "string", "description": "a gridsvc token (or the bearer header)"},
    "jurisdiction_id": {"type": "string", "description": "accepted and ignored"},
    "service_code": {"type": "string", "example": "hazard.fire"},
    "lat": {"type": "number", "description": "WGS-84", "example": 32.041},
    "long": {"type": "number", "description": "WGS-84", "example": 118.784},
    "address_string": {"type": "string", "description": "kept as the address; not located"},
    "address_id": {"type": "string", "description": "not kept"},
    "email": {"type": "string", "description": "not kept"},
    "device_id": {"type": "string", "description": "not kept"},
    "account_id": {"type": "string", "description": "not kept; echoed in the answer"},
    "first_name": {"type": "string", "description": "not kept"},
    "last_name": {"type": "string", "description": "not kept"},
    "phone": {"type": "string", "description": "not kept"},
    "description": {"type": "string", "maxLength": open311.MAX_DESCRIPTION},
    "media_url": {"type": "string", "description": "e.g. the url of POST /v1/media"},
    "attribute[client_event_id]": {
        "type": "string",
        "description": "extension: a key of the client's; a resend stores nothing new",
    },
    "attribute[occurred_at]": {
        "type": "string",
        "description": "extension: ISO 8601 with offset; default: now",
    },
}
_FORM_BODY = {
    "requestBody": {
        "required": True,
        "description": "application/x-www-form-urlencoded, as the spec sends it; the "
        "category's fields as attribute[code]=value (see services/{code})",
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": _FORM_FIELDS,
                    "required": ["service_code", "lat", "long"],
                }
            }
        },
    }
}


async def _form(request: Request) -> dict[str, list[str]]:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise InvalidInput("open311.not_form", field="body")
    fields: dict[str, list[str]] = {}
    for key, value in (await request.form()).multi_items():
        if not isinstance(value, str):
            raise InvalidInput("open311.file_field", field=key[:40])
        if "\x00" in key or "\x00" in value:
            raise InvalidInput("validation.nul", field=key[:40])
        fields.setdefault(key, []).append(value)
    return fields


def _report(svc: Gridsvc, request: Request, key: str | None, form: open311.Form) -> dict[str, Any]:
    caller = _caller(svc, request, key)
    require_role(caller, "grid_worker", "dispatcher", "admin", action="access.act_report")
    return open311.report_of(svc, store.taxonomy_of(svc), caller.name, form)


@router.post(
    "/v2/requests.{format}",
    status_code=201,
    response_model=None,
    responses={
        **_responses(
            201,
            list[RequestCreatedOut],
            "stored and assigned to its grids",
            {409: "attribute[client_event_id] was used for other content"},
        ),
        200: {
            "model": list[RequestCreatedOut],
            "description": "a resend of attribute[client_event_id]: nothing new was stored",
            "content": _XML,
        },
    },
    openapi_extra=_FORM_BODY,
)
async def post_request(
    request: Request,
    svc: Service,
    writer: Writer,
    format: Format,
    api_key: ApiKey = None,
    _bearer: BearerDoc = None,
) -> Response:
    """POST Service Request: stored as ``POST /v1/events`` stores a report (same checks,
    grids, duplicates, deadlines), reported by the token's name, source ``public``,
    occurring now unless ``attribute[occurred_at]`` says when. lat/long are required:
    gridsvc does not geocode addresses."""
    fmt = format if format in MEDIA_TYPES else "json"
    try:
        _format(format)
        _no_nul(request)
        form = await _form(request)
        key = api_key or open311.value_of(form, "api_key")
        report = await run_in_threadpool(_report, svc, request, key, form)
        # as POST /v1/events: stored with the reports arriving with it, or alone
        result = await asyncio.wrap_future(writer.submit(report)) if writer else None
        if result is None:
            result = await run_in_threadpool(store.create_event, svc, report)
        body = [open311.created(result, open311.value_of(form, "account_id"))]
        return _answer(fmt, 201 if result.created else 200, "service_requests", body)
    except Exception as exc:
        return _failure(request, fmt, exc)


# --- anything else under /open311/ -----------------------------------------------------------

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]


@router.api_route("/{rest:path}", methods=_METHODS, include_in_schema=False)
async def elsewhere(request: Request, rest: str) -> Response:
    """A path or method no route above takes: 404 or 405, in the spec's error shape."""
    fmt = "xml" if rest.endswith(".xml") else "json"
    path = request.scope["path"]
    allowed = sorted(
        {
            method
            for route in router.routes
            if isinstance(route, APIRoute)
            and route.endpoint is not elsewhere
            and route.path_regex.match(path)
            for method in route.methods or ()
        }
    )
    if allowed:
        wrong = Msg("open311.method", {"path": path, "method": request.method, "allowed": allowed})
        answer = _error(request, fmt, 405, wrong)
        answer.headers["Allow"] = ", ".join(allowed)
        return answer
    missing = Msg("open311.no_resource", {"path": path})
    return _error(request, fmt, 404, missing, missing.own_hint())
