"""HTTP caching of what a body alone decides: an ETag (hash of the body), Cache-Control,
and 304 for a matching If-None-Match. Maps, their assets and vector tiles answer this way."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import Header
from fastapi.responses import Response

PAGE_CACHE = "private, max-age=60"
"""Pages and tiles: they depend on the caller's rights, so no shared cache keeps them."""
ASSET_CACHE = "public, max-age=86400"

IfNoneMatch = Annotated[str | None, Header()]


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or tag in tags


def cached(
    body: bytes, media_type: str, cache: str, if_none_match: str | None, **headers: str
) -> Response:
    """``body`` with its ETag and ``cache``; 304 without a body when the client has it."""
    tag = etag(body)
    common = {"ETag": tag, "Cache-Control": cache, **headers}
    if matches(if_none_match, tag):
        return Response(status_code=304, headers=common)
    return Response(body, media_type=media_type, headers=common)
