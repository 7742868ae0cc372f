"""Request logging: one line per request with its id, status and duration."""

from __future__ import annotations

import logging
import time
import uuid

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("gridsvc.access")


class AccessLog:
    """One log line per request (method, path, status, duration, request id) and the
    ``X-Request-ID`` header on the answer. Plain ASGI: Starlette's ``BaseHTTPMiddleware``
    would cost a task group and two memory streams per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = Headers(scope=scope).get("x-request-id", "")[:64]
        request_id = given or uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            ms = (time.perf_counter() - started) * 1000
            path = scope.get("path", "")
            method = scope.get("method", "")
            # the path only: query strings may carry coordinates of a person's report
            log.info(
                "%s %s %d %.1fms id=%s",
                method,
                path,
                status,
                ms,
                request_id,
                extra={
                    "fields": {
                        "request_id": request_id,
                        "method": method,
                        "path": path,
                        "status": status,
                        "duration_ms": round(ms, 1),
                    }
                },
            )


def install(app: FastAPI) -> None:
    app.add_middleware(AccessLog)
