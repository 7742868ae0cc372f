"""The link of a public map embed: ``/embed/{token}`` with ``token = id.expires.signature``.

``expires`` is the embed's expiry as a Unix time (whole seconds, UTC) and ``signature`` the
HMAC-SHA256 of ``gridsvc-embed:{id}:{expires}`` under the embed secret, base64url without
padding (43 characters). Verification recomputes it and compares in constant time
(:func:`hmac.compare_digest`). Anything that does not verify is :class:`NotFound`, worded the
same whether or not the embed exists, so a guessed or altered link reveals nothing.

The secret is ``GRIDSVC_EMBED_SECRET`` when set; otherwise 256 random bits made on first use
and kept in the database (``service_secret``), so that every process and every restart signs
alike. Changing it invalidates every published link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from gridsvc.errors import DatabaseUnavailable, NotFound
from gridsvc.service import Gridsvc
from gridsvc.sql import query

EMBED_PATH: Final = "/embed"
SECRET_NAME: Final = "embed_hmac_sha256"
_TOKEN: Final = re.compile(r"^([1-9][0-9]{0,17})\.([0-9]{1,11})\.([A-Za-z0-9_-]{43})$")


def not_found() -> NotFound:
    """The one answer for a link that does not verify: the same for every reason."""
    return NotFound("embed.no_map")


@dataclass(frozen=True)
class EmbedLink:
    """A signed link to embed ``embed_id``, valid until ``expires_at`` (UTC, whole
    seconds)."""

    embed_id: int
    expires_at: datetime
    signature: str

    @property
    def token(self) -> str:
        return f"{self.embed_id}.{int(self.expires_at.timestamp())}.{self.signature}"

    @property
    def path(self) -> str:
        """The public URL path, relative to the server: ``/embed/{token}``."""
        return f"{EMBED_PATH}/{self.token}"


def _signature(secret: bytes, embed_id: int, expires_unix: int) -> str:
    message = f"gridsvc-embed:{embed_id}:{expires_unix}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(secret: bytes, embed_id: int, expires_at: datetime) -> EmbedLink:
    """The link of ``embed_id`` expiring at ``expires_at`` (timezone-aware; fractions of a
    second are not allowed: the link carries whole seconds)."""
    if expires_at.tzinfo is None or expires_at.microsecond:
        raise ValueError(f"expires_at must be aware and in whole seconds: {expires_at!r}")
    expires_unix = int(expires_at.timestamp())
    return EmbedLink(
        embed_id,
        datetime.fromtimestamp(expires_unix, UTC),
        _signature(secret, embed_id, expires_unix),
    )


def verify(secret: bytes, token: str) -> EmbedLink:
    """The link ``token`` stands for, if its signature is right; raises :func:`not_found`
    otherwise. Expiry and revocation are the caller's to check (they need the database)."""
    match = _TOKEN.match(token)
    if match is None:
        raise not_found()
    embed_id, expires_unix, given = int(match.group(1)), int(match.group(2)), match.group(3)
    expected = _signature(secret, embed_id, expires_unix)
    if not hmac.compare_digest(expected.encode("ascii"), given.encode("ascii")):
        raise not_found()
    return EmbedLink(embed_id, datetime.fromtimestamp(expires_unix, UTC), given)


def embed_secret(svc: Gridsvc) -> bytes:
    """The HMAC key: ``GRIDSVC_EMBED_SECRET``, else the one kept in the database (made now,
    once, if there is none yet)."""
    configured = svc.settings.embeds.embed_secret
    if configured is not None:
        return configured.get_secret_value().encode("utf-8")
    # it never changes once stored: one read per process, not one per view
    return svc.memo(("embed_secret",), lambda: _stored_secret(svc))


def _stored_secret(svc: Gridsvc) -> bytes:
    for _attempt in range(2):  # a lost race with another process returns no row once
        rows = svc.db.cursor_fetchall(
            query("service_secret_get_or_create"),
            {"name": SECRET_NAME, "value": secrets.token_hex(32)},
        )
        if rows:
            return str(rows[0][0]).encode("ascii")
    raise DatabaseUnavailable("embed.no_secret")
