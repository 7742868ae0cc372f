"""Request size limits, enforced on the bytes actually received.

A declared ``Content-Length`` over the limit is refused at once; a chunked body is counted as
it arrives and refused (413, via :class:`PayloadTooLarge`) as soon as it passes the limit, so
neither JSON bodies nor uploads can grow without bound.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import send_json_error
from gridsvc.messages import Msg
from gridsvc.settings import EventSettings


class BodyLimit:
    """Pure ASGI middleware: uploads under /v1/imports get the file limit, the rest the body
    limit."""

    def __init__(self, app: ASGIApp, settings: EventSettings) -> None:
        self.app = app
        self.settings = settings

    def _limit(self, path: str) -> int:
        if path.startswith("/v1/imports"):
            return self.settings.max_upload_bytes
        if path.startswith("/v1/media"):
            # a photo up to its own limit, and the multipart framing around it; the route
            # answers an oversized photo with the words of that limit
            return max(self.settings.max_body_bytes, self.settings.media_max_bytes + 64_000)
        return self.settings.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await _refuse(send, scope, int(declared), limit)
            return
        received = 0
        refused = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # answer 413 now; the app sees the client leave and its reply is dropped
                    refused = True
                    await _refuse(send, scope, received, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:
                await send(message)

        try:
            await self.app(scope, counted, guarded_send)
        except Exception:
            if not refused:
                raise


async def _refuse(send: Send, scope: Scope, size: int, limit: int) -> None:
    msg = Msg("limits.body", {"size": size, "limit": limit})
    await send_json_error(send, scope, 413, "PayloadTooLarge", msg)
