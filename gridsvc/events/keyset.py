"""The keyset cursor of event lists: where a page ended, as an opaque token.

Lists are ordered by ``(occurred_at DESC, id DESC)``; the next page is every event strictly
below the last one shown in that order. The token is the URL-safe base64 (no padding) of
21 bytes: a format version (1), ``occurred_at`` in microseconds since the Unix epoch (UTC,
signed 64-bit big-endian), the event id (64-bit) and the first 4 bytes of a BLAKE2b digest of
those 17 bytes. The digest is a checksum, not a secret: it turns a token cut short, mistyped
or edited by hand into a clear 400 instead of a silently different page. A forged token can
only move where a list starts: the filters, the caller's scope and the redaction are applied
to every page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gridsvc.errors import InvalidInput

_VERSION = 1
_BODY = struct.Struct(">Bqq")
_CHECK_BYTES = 4
_PERSON = b"gridsvc.events"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TOKEN_CHARS = 28
"""The length of every token: 21 bytes in base64, no padding."""


@dataclass(frozen=True, order=True)
class ListPosition:
    """An event's place in a list: its ``occurred_at`` (timezone-aware) and id. Pages
    continue strictly below it in ``(occurred_at DESC, id DESC)`` order."""

    occurred_at: datetime
    id: int


def _check(body: bytes) -> bytes:
    return hashlib.blake2b(body, digest_size=_CHECK_BYTES, person=_PERSON).digest()


def encode(position: ListPosition) -> str:
    """The token of ``position`` (28 URL-safe characters)."""
    micros = (position.occurred_at - _EPOCH) // timedelta(microseconds=1)
    body = _BODY.pack(_VERSION, micros, position.id)
    return base64.urlsafe_b64encode(body + _check(body)).rstrip(b"=").decode("ascii")


def decode(token: str, field: str) -> ListPosition:
    """The position of a token made by :func:`encode`; anything else (malformed, cut short,
    edited, of another version) is :class:`InvalidInput` naming ``field``."""
    refused = InvalidInput("event.bad_cursor", field=field, value=token[:40])
    if len(token) != _TOKEN_CHARS:
        raise refused
    try:
        raw = base64.b64decode(token, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise refused from None
    body, check = raw[: _BODY.size], raw[_BODY.size :]
    version, micros, event_id = _BODY.unpack(body)
    if version != _VERSION or check != _check(body) or event_id < 1:
        raise refused
    try:
        occurred_at = _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise refused from None
    return ListPosition(occurred_at, event_id)
