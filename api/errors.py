"""The one place where gridsvc errors become HTTP responses.

Every 4xx body says what was wrong and how to fix it (``message``, ``hint``, ``field``);
only 5xx are logged, and their bodies never carry internals.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from gridsvc import errors

log = logging.getLogger("gridsvc.api")

STATUS: tuple[tuple[type[errors.GridsvcError], int], ...] = (
    (errors.PayloadTooLarge, 413),
    (errors.InvalidGridData, 422),
    (errors.InvalidInput, 400),
    (errors.Unauthenticated, 401),
    (errors.Forbidden, 403),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.DatabaseUnavailable, 503),
    (errors.QueryTimeout, 503),
    (errors.NoActiveGridVersion, 503),
    (errors.SetupError, 503),
)


def status_for(exc: errors.GridsvcError) -> int:
    for kind, status in STATUS:
        if isinstance(exc, kind):
            return status
    return 500


async def _gridsvc_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.GridsvcError)
    status = status_for(exc)
    body = exc.to_dict()
    if status >= 500:
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
    problems = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query"))
        value = err.get("input")
        shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
        if isinstance(value, str) and len(value) > 80:
            shown = repr(value[:80] + "…")
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
    app.add_exception_handler(Exception, _unexpected)
