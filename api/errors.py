"""The one place where gridsvc errors become HTTP responses.

Every 4xx body says what was wrong and how to fix it (``message``, ``hint``, ``field``);
only 5xx are logged, and their bodies never carry internals.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

import psycopg2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import Send

from gridsvc import errors

log = logging.getLogger("gridsvc.api")

STATUS: tuple[tuple[type[errors.GridsvcError], int], ...] = (
    (errors.PayloadTooLarge, 413),
    (errors.UnsupportedMedia, 415),
    (errors.InvalidGridData, 422),
    (errors.DateOutOfRange, 422),
    (errors.InvalidInput, 400),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Gone, 410),
    (errors.Conflict, 409),
    (errors.DatabaseUnavailable, 503),
    (errors.QueryTimeout, 503),
    (errors.NoActiveGridVersion, 503),
    (errors.SetupError, 503),
)


# free text that may name or describe a person: error answers give its length, not its words
PERSONAL_FIELDS = frozenset(
    {"title", "description", "address", "note", "reporter_id", "name", "phone"}
)


async def send_json_error(
    send: Send,
    status: int,
    body: dict[str, Any],
    headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """An error answer written straight to ASGI ``send``, for middleware that refuses a
    request before the app (and its exception handlers) sees it; the same JSON shape."""
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def status_for(exc: errors.GridsvcError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


async def _gridsvc_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.GridsvcError)
    status = status_for(exc)
    body = exc.to_dict()
    if isinstance(exc, errors.NoActiveGridVersion):
        # a state of the set-up, not a failure: one warning line each, no stack
        log.warning("request %s: %s", request.state.request_id, exc.message)
        body.pop("details", None)
    elif status >= 500:
        log.error(
            "request %s failed: %s %s",
            request.state.request_id,
            type(exc).__name__,
            exc.details.get("cause", exc.message),
        )
        body.pop("details", None)
    headers = {"Retry-After": "5"} if status == 503 else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(body, status_code=status, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    broken = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
    if broken is not None:
        loc = broken.get("loc", ())
        at = f" at character {loc[-1]}" if loc and isinstance(loc[-1], int) else ""
        reason = (broken.get("ctx") or {}).get("error", "")
        return JSONResponse(
            {
                "error": "InvalidInput",
                "message": f"The body is not valid JSON{at}" + (f": {reason}." if reason else "."),
                "hint": "Send one JSON object, UTF-8, with Content-Type: application/json.",
                "field": "body",
            },
            status_code=422,
        )
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
        value = err.get("input")
        shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
        if isinstance(value, str) and len(value) > 80:
            shown = repr(value[:80] + "…")
        if where.rsplit(".", 1)[-1] in PERSONAL_FIELDS and isinstance(value, str):
            shown = f"<{len(value)} characters>"  # never echo what may name a person
        problems.append({"field": where, "message": err.get("msg", ""), "value": shown})
    first = problems[0] if problems else {"field": "", "message": "invalid request"}
    return JSONResponse(
        {
            "error": "InvalidInput",
            "message": f"{first['field'] or 'request'}: {first['message']}"
            + (f" (got {first['value']})" if first.get("value") not in (None, "None") else ""),
            "hint": "Fix the listed fields and send the request again; see /docs.",
            "field": first["field"],
            "details": {"problems": problems},
        },
        status_code=422,
    )


_HTTP_ERRORS = {
    400: (
        "InvalidInput",
        "The request body could not be read (not JSON, form data or UTF-8 as declared).",
        "Send UTF-8 JSON with Content-Type: application/json, or a file as multipart/form-data.",
    ),
    404: ("NotFound", "There is no such path.", "See /docs for the endpoints."),
    405: ("MethodNotAllowed", "This path does not take that method.", "See the Allow header."),
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Errors raised by Starlette and FastAPI themselves (unknown path, wrong method, an
    unreadable body), in the same shape as every other error."""
    assert isinstance(exc, HTTPException)
    kind, message, hint = _HTTP_ERRORS.get(
        exc.status_code, ("HTTPError", str(exc.detail), "See /docs.")
    )
    if exc.status_code == 404:
        message = f"There is no path {request.url.path}."
    if exc.status_code not in (400, 405) and exc.detail != HTTPStatus(exc.status_code).phrase:
        message = str(exc.detail)  # a route's own words
    return JSONResponse(
        {"error": kind, "message": message, "hint": hint},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _nul_in_text(request: Request, exc: Exception) -> JSONResponse:
    """The last guard for text with NUL characters that reached the database driver (a form
    field, a file): a 400 instead of a 500. Any other ValueError stays a 500."""
    if "NUL (0x00)" not in str(exc):
        raise exc
    return JSONResponse(
        {
            "error": "InvalidInput",
            "message": "The request holds text with a NUL (\\u0000) character.",
            "hint": "Send text without control characters.",
        },
        status_code=400,
    )


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """PostgreSQL's class 22 (data exception: a value out of range, a NUL byte, bad
    encoding) is always caused by a value that was sent: a 400, not a 500. Validation should
    catch these first; this is the guard for what it misses."""
    # PostgreSQL's text quotes the value, which may be personal: it goes to the log only
    log.warning("data error on %s: %s", request.url.path, str(exc).strip().splitlines()[:1])
    return JSONResponse(
        {
            "error": "InvalidInput",
            "message": "A value in the request cannot be stored (out of range, or a control "
            "character or byte sequence text cannot hold).",
            "hint": "Check the values for control characters and out-of-range numbers.",
        },
        status_code=400,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("request %s failed", getattr(request.state, "request_id", "?"))
    return JSONResponse(
        {
            "error": "InternalError",
            "message": "Something went wrong on the server.",
            "hint": f"Report request id {getattr(request.state, 'request_id', '?')}.",
        },
        status_code=500,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.GridsvcError, _gridsvc_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ValueError, _nul_in_text)
    app.add_exception_handler(psycopg2.DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected)
