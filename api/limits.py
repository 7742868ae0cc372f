"""Request size limits: a body larger than allowed is refused with 413 before it is read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from gridsvc.settings import EventSettings


def install(app: FastAPI, settings: EventSettings) -> None:
    @app.middleware("http")
    async def body_limit(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        limit = (
            settings.max_upload_bytes
            if request.url.path.startswith("/v1/imports")
            else settings.max_body_bytes
        )
        if length is not None and length.isdigit() and int(length) > limit:
            return JSONResponse(
                {
                    "error": "PayloadTooLarge",
                    "message": f"The request body has {int(length):,} bytes; at most {limit:,} "
                    "are accepted here.",
                    "hint": "Send less per request (split batches or files).",
                },
                status_code=413,
            )
        return await call_next(request)
