"""Photos attached to reports: stored once by content, read back under the events' rights.

A file is kept under the SHA-256 of its bytes (64 hex digits), so the same photo sent twice
— a retry over a bad network, or two people — is one row; each sender is noted. Its URL,
``/v1/media/<id>``, is what a report's ``media`` list holds.

Only JPEG, PNG and WebP are taken, judged by decoding the content with Pillow (never by the
file's name or declared type). Who may read a file back:

* whoever sent it (by principal name: the ``reporter_id`` of that caller's reports);
* anyone who may see an event whose ``media`` lists its URL (the same scope rules as
  events: a grid worker or dispatcher in the event's area, the department it was dispatched
  to, admins);
* never analysts: their event views carry no personal data, and a photo may show people.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import warnings
from dataclasses import dataclass
from typing import Any, Final

from PIL import Image, UnidentifiedImageError
from psycopg2 import sql

from gridsvc.access import Principal
from gridsvc.db.pool import Database
from gridsvc.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMedia
from gridsvc.events.store import scope_condition
from gridsvc.sql import query

URL_PREFIX: Final = "/v1/media/"
CONTENT_TYPES: Final[dict[str, str]] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
}
"""Pillow's format name → the content type served; nothing else is accepted."""
MAX_PIXELS: Final = 50_000_000  # a phone's photo is ~12-50 MP; more is a decompression bomb
_ID = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StoredMedia:
    """A file as stored; ``created`` is False when the same bytes were stored before."""

    id: str
    content_type: str
    width_px: int
    height_px: int
    size_bytes: int
    created: bool

    @property
    def url(self) -> str:
        return URL_PREFIX + self.id

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "content_type": self.content_type,
            "width_px": self.width_px,
            "height_px": self.height_px,
            "size_bytes": self.size_bytes,
            "created": self.created,
        }


@dataclass(frozen=True)
class MediaFile:
    """A file's bytes as served."""

    id: str
    content_type: str
    data: bytes


def media_id(data: bytes) -> str:
    """The id of a file: the SHA-256 of its bytes, in lowercase hex."""
    return hashlib.sha256(data).hexdigest()


def inspect_image(data: bytes) -> tuple[str, int, int]:
    """(content type, width px, height px) of an accepted image; UnsupportedMedia for
    anything else: not an image, another kind, truncated, or over ``MAX_PIXELS``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=tuple(CONTENT_TYPES)) as image:
                kind = image.format or ""
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                image.load()  # decodes every pixel: a truncated or broken file fails here
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UnsupportedMedia(
            "media.not_a_photo", field="file", accepted=list(CONTENT_TYPES), pixels=MAX_PIXELS
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise UnsupportedMedia("media.damaged", field="file") from None
    return CONTENT_TYPES[kind], int(width), int(height)


def store_media(db: Database, data: bytes, *, uploader: str, max_bytes: int) -> StoredMedia:
    """Check and store one image sent by ``uploader`` (a principal's name). Idempotent: the
    same bytes again store nothing new (``created`` False) and note the sender."""
    if not data:
        raise InvalidInput("media.empty", field="file")
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            "media.too_large",
            field="file",
            size=len(data),
            limit=max_bytes,
            details={"size_bytes": len(data), "max_bytes": max_bytes},
        )
    content_type, width, height = inspect_image(data)
    digest = media_id(data)
    rows = db.cursor_fetchall(
        query("media_insert"),
        {
            "id": digest,
            "content_type": content_type,
            "width_px": width,
            "height_px": height,
            "size_bytes": len(data),
            "data": data,
            "uploader": uploader,
        },
    )
    return StoredMedia(digest, content_type, width, height, len(data), bool(rows[0][0]))


def id_of_url(url: str) -> str | None:
    """The file id in a ``/v1/media/<id>`` URL (relative or absolute), or None."""
    at = url.find(URL_PREFIX)
    if at < 0:
        return None
    found = url[at + len(URL_PREFIX) :]
    return found if _ID.match(found) else None


def read_media(db: Database, file_id: str, principal: Principal) -> MediaFile:
    """The file ``file_id`` if ``principal`` may see it (module docstring); NotFound for an
    unknown id, Forbidden for a file it may not see."""
    if not _ID.match(file_id):
        raise NotFound("media.bad_id", field="id", value=file_id[:80])
    rows = db.cursor_fetchall(query("media_get"), {"id": file_id, "uploader": principal.name})
    if not rows:
        raise NotFound("media.not_found", field="id", media_id=file_id)
    content_type, _, _, _, data, sent_by_caller = rows[0]
    if principal.role == "analyst":
        raise Forbidden("media.analyst")
    if not sent_by_caller and not _listed_in_visible_event(db, file_id, principal):
        raise Forbidden("media.not_visible", media_id=file_id[:12], who=principal.who())
    return MediaFile(file_id, str(content_type), bytes(data))


def _listed_in_visible_event(db: Database, file_id: str, principal: Principal) -> bool:
    stmt: sql.Composable = sql.SQL(query("media_events"))
    scope = scope_condition(principal)
    if scope is not None:
        stmt = stmt + sql.SQL(" AND ") + scope
    stmt = stmt + sql.SQL(" LIMIT 1")
    with db.connection() as conn, conn.cursor() as cur:
        cur.execute(
            stmt,
            {
                "url_list": json.dumps([URL_PREFIX + file_id]),
                "scope_code": principal.scope_code,
                "scope_department": principal.department_code,
            },
        )
        return cur.fetchone() is not None
