"""A lean HTTP/1.1 keep-alive client on asyncio streams, for load runs.

httpx costs about 5 ms of client CPU per request; at 1,000 requests/s the client alone would
take most of one of the machine's two cores, and the figure would measure the client. This
one sends prepared bytes and parses only the status line, Content-Length and chunked bodies:
about 0.1 ms per request. It is a measuring tool, not a general client (no TLS, no
redirects, no compression).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


def encode_request(
    method: str,
    path: str,
    *,
    host: str,
    token: str | None = None,
    params: dict[str, Any] | None = None,
    body: Any = None,
) -> bytes:
    """The bytes of one request (JSON body if any)."""
    target = path + ("?" + urlencode(params) if params else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Accept: */*"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    payload = b""
    if body is not None:
        payload = json.dumps(body, ensure_ascii=False).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


class Connection:
    """One kept-alive connection; reopened after the server closes it."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def send(self, raw: bytes) -> Answer:
        reader, writer = await self._open()
        try:
            writer.write(raw)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            status = int(status_line.split(" ", 2)[1])
            headers = {}
            for line in header_lines:
                name, sep, value = line.partition(":")
                if sep:
                    headers[name.strip().lower()] = value.strip()
            if "content-length" in headers:
                body = await reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                body = await _chunked(reader)
            else:
                body = b""
            if headers.get("connection", "").lower() == "close":
                await self.close()
            return Answer(status, body)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
