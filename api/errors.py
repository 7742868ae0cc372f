"""The one place where gridsvc errors become HTTP responses.

Every 4xx body says what was wrong and how to fix it (``message``, ``hint``, ``field``), in
the language the request asks for (``Accept-Language``; else ``GRIDSVC_CITY_LANGUAGE``), with
the catalogue's ``message_id`` and the machine-readable ``error`` kind unchanged; only 5xx
are logged, and their bodies never carry internals.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import psycopg2
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import Scope, Send

from gridsvc import errors
from gridsvc.messages import CONTENT_LANGUAGE, TERMS, Lang, Local, Msg, negotiate
from gridsvc.messages import setting_language as _setting_language
from gridsvc.settings import CitySettings

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


def _default_language(app: Any) -> Lang:
    state = getattr(app, "state", None)
    found: Lang | None = getattr(state, "default_language", None)
    return found or "zh"


def request_language(request: Request) -> Lang:
    """The language to answer ``request`` in: its ``Accept-Language``, else the setting."""
    return negotiate(request.headers.get("accept-language"), _default_language(request.app))


def scope_language(scope: Scope) -> Lang:
    """:func:`request_language` for pure ASGI middleware, which has the scope only."""
    header = None
    for name, value in scope.get("headers", ()):
        if name == b"accept-language":
            header = value.decode("latin-1")
            break
    return negotiate(header, _default_language(scope.get("app")))


def error_body(
    kind: str, msg: Msg, lang: Lang, *, hint: Msg | None = None, **extra: Any
) -> dict[str, Any]:
    """The JSON of an error that is not a :class:`GridsvcError` (validation, middleware):
    the same shape, ``hint`` defaulting to the entry's own."""
    shown_hint = hint or msg.own_hint()
    body: dict[str, Any] = {"error": kind, "message_id": msg.id, "message": msg.render(lang)}
    if shown_hint is not None:
        body["hint"] = shown_hint.render(lang)
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def _json(
    body: Mapping[str, Any],
    status: int,
    lang: Lang,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        dict(body),
        status_code=status,
        headers={**(headers or {}), "Content-Language": CONTENT_LANGUAGE[lang]},
    )


async def send_json_error(
    send: Send,
    scope: Scope,
    status: int,
    kind: str,
    msg: Msg,
    headers: Sequence[tuple[bytes, bytes]] = (),
    **extra: Any,
) -> None:
    """An error answer written straight to ASGI ``send``, for middleware that refuses a
    request before the app (and its exception handlers) sees it; the same JSON shape and
    language."""
    lang = scope_language(scope)
    payload = json.dumps(error_body(kind, msg, lang, **extra), ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"content-language", CONTENT_LANGUAGE[lang].encode()),
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
    lang = request_language(request)
    body = exc.to_dict(lang)
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
    return _json(body, status, lang, headers)


# pydantic's error types → catalogue ids; pydantic's own words never reach a person
_VALIDATION: dict[str, str] = {
    "missing": "validation.missing",
    "missing_argument": "validation.missing",
    "extra_forbidden": "validation.extra",
    "unexpected_keyword_argument": "validation.extra",
    "string_type": "validation.text",
    "string_sub_type": "validation.text",
    "string_unicode": "validation.text",
    "bytes_type": "validation.text",
    "int_type": "validation.integer",
    "int_parsing": "validation.integer",
    "int_parsing_size": "validation.integer",
    "int_from_float": "validation.integer",
    "float_type": "validation.number",
    "float_parsing": "validation.number",
    "decimal_type": "validation.number",
    "decimal_parsing": "validation.number",
    "finite_number": "validation.finite",
    "bool_type": "validation.boolean",
    "bool_parsing": "validation.boolean",
    "string_too_long": "validation.too_long",
    "too_short": "validation.few_items",
    "too_long": "validation.many_items",
    "greater_than": "validation.greater_than",
    "greater_than_equal": "validation.at_least",
    "less_than": "validation.less_than",
    "less_than_equal": "validation.at_most",
    "literal_error": "validation.choice",
    "enum": "validation.choice",
    "list_type": "validation.list",
    "tuple_type": "validation.list",
    "set_type": "validation.list",
    "iterable_type": "validation.list",
    "dict_type": "validation.object",
    "model_type": "validation.object",
    "model_attributes_type": "validation.object",
    "dataclass_type": "validation.object",
    "date_type": "validation.time",
    "date_parsing": "validation.time",
    "date_from_datetime_parsing": "validation.time",
    "datetime_type": "validation.time",
    "datetime_parsing": "validation.time",
    "datetime_from_date_parsing": "validation.time",
    "time_type": "validation.time",
    "time_parsing": "validation.time",
    "timezone_aware": "validation.time",
    "timezone_naive": "validation.time",
    "nul_character": "validation.nul",  # api.schemas.TextIn
}
_LIMITS = {
    "greater_than": "gt",
    "greater_than_equal": "ge",
    "less_than": "lt",
    "less_than_equal": "le",
}
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_LOCATIONS = ("body", "query", "path", "header", "cookie")


def _shown(where: str, value: Any) -> Local | str:
    """The sent value as an answer may quote it: shortened, and never the words of a field
    that may name a person (its length instead)."""
    if value is None:
        return Local("null", "空值（null）")
    if isinstance(value, dict):
        return Local("an object", "一个对象")
    if isinstance(value, list | tuple):
        return Local("a list", "一个列表")
    if isinstance(value, str):
        if where.rsplit(".", 1)[-1] in PERSONAL_FIELDS:
            return Local(f"<{len(value)} characters>", f"（{len(value)} 个字）")
        text = value if len(value) <= 80 else value[:80] + "…"
        return Local(repr(text), f"“{text}”")
    return repr(value)


def _choice(code: str) -> Local:
    term = TERMS.get(code)
    return Local(f"'{code}'", f"{term['zh']}（{code}）" if term else code)


def _translate(err: Mapping[str, Any]) -> tuple[str, Msg]:
    """One pydantic error as (field, catalogue message)."""
    loc = [p for p in err.get("loc", ()) if p not in _LOCATIONS]
    where = ".".join(str(p) for p in loc)
    kind = str(err.get("type", ""))
    ctx: Mapping[str, Any] = err.get("ctx") or {}
    value = err.get("input")
    shown = _shown(where, value) if "input" in err else None
    params: dict[str, Any] = {"field": where or "body", "value": shown}
    msg_id = _VALIDATION.get(kind, "validation.invalid")
    if kind == "string_too_short":
        msg_id = "validation.empty" if ctx.get("min_length") == 1 else "validation.too_short"
    if kind in ("string_too_long", "too_long", "too_short", "string_too_short"):
        params["length"] = len(value) if isinstance(value, str | list | tuple | dict) else 0
        params.update({k: ctx[k] for k in ("min_length", "max_length") if k in ctx})
    if kind in _LIMITS:
        limit = ctx.get(_LIMITS[kind])
        # 0 rather than 0.0: a float field's limit as a person writes it
        whole = isinstance(limit, float) and limit.is_integer()
        params["limit"] = int(limit) if whole and limit is not None else limit
    if kind in ("literal_error", "enum"):
        params["choices"] = [_choice(c) for c in _QUOTED.findall(str(ctx.get("expected", "")))]
    return where, Msg(msg_id, params)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    lang = request_language(request)
    broken = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
    if broken is not None:
        loc = broken.get("loc", ())
        at = loc[-1] if loc and isinstance(loc[-1], int) else None
        msg = Msg("validation.json", {"position": at if at is not None else "?"})
        return _json(error_body("InvalidInput", msg, lang, field="body"), 422, lang)
    problems = []
    first: tuple[str, Msg] | None = None
    for err in exc.errors():
        where, msg = _translate(err)
        first = first or (where, msg)
        shown = _shown(where, err["input"]) if "input" in err else None
        problems.append(
            {
                "field": where,
                "message_id": msg.id,
                "message": msg.render(lang),
                "value": None if shown is None else str(shown),
            }
        )
    where, msg = first or ("", Msg("validation.request"))
    body = error_body(
        "InvalidInput",
        msg,
        lang,
        hint=msg.own_hint() or Msg("validation.hint"),
        field=where,
        details={"problems": problems},
    )
    # OGC API Features answers an invalid parameter with 400 (/req/core/query-param-invalid)
    status = 400 if request.url.path.startswith("/ogc") else 422
    return _json(body, status, lang)


_HTTP_KINDS = {400: "InvalidInput", 404: "NotFound", 405: "MethodNotAllowed"}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Errors raised by Starlette and FastAPI themselves (unknown path, wrong method, an
    unreadable body), in the same shape as every other error."""
    assert isinstance(exc, HTTPException)
    lang = request_language(request)
    status = exc.status_code
    if status == 400:
        msg = Msg("http.unreadable_body")
    elif status == 404:
        msg = Msg("http.no_path", {"path": request.url.path})
    elif status == 405:
        msg = Msg("http.method", {"method": request.method})
    else:
        phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
        msg = Msg("http.other", {"status": status, "phrase": phrase})
    body = error_body(_HTTP_KINDS.get(status, "HTTPError"), msg, lang)
    return _json(body, status, lang, exc.headers)


async def _nul_in_text(request: Request, exc: Exception) -> JSONResponse:
    """The last guard for text with NUL characters that reached the database driver (a form
    field, a file): a 400 instead of a 500. Any other ValueError stays a 500."""
    if "NUL (0x00)" not in str(exc):
        raise exc
    lang = request_language(request)
    return _json(error_body("InvalidInput", Msg("http.nul"), lang), 400, lang)


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """PostgreSQL's class 22 (data exception: a value out of range, a NUL byte, bad
    encoding) is always caused by a value that was sent: a 400, not a 500. Validation should
    catch these first; this is the guard for what it misses."""
    # PostgreSQL's text quotes the value, which may be personal: it goes to the log only
    log.warning("data error on %s: %s", request.url.path, str(exc).strip().splitlines()[:1])
    lang = request_language(request)
    return _json(error_body("InvalidInput", Msg("http.unstorable"), lang), 400, lang)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    request_id = getattr(request.state, "request_id", "?")
    log.exception("request %s failed", request_id)
    lang = request_language(request)
    msg = Msg("http.internal", {"request_id": request_id})
    return _json(error_body("InternalError", msg, lang), 500, lang)


def install(app: FastAPI, city: CitySettings | None = None) -> None:
    """The handlers of every error; ``city.language``: the language of answers to requests
    whose ``Accept-Language`` names neither Chinese nor English."""
    app.state.default_language = _setting_language((city or CitySettings()).language)
    app.add_exception_handler(errors.GridsvcError, _gridsvc_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(ValueError, _nul_in_text)
    app.add_exception_handler(psycopg2.DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected)
