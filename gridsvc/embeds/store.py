"""Publishing, listing, revoking and opening public map embeds.

An embed's page is **frozen at publish time**: rendered once, with counts below
``GRIDSVC_EMBED_MIN_COUNT`` suppressed, and stored in ``map_embed``. Why not live:

- the numbers a briefing quotes stay the numbers its map shows, whatever is reported later;
- the public, unauthenticated link never runs a statistics query, so it cannot be used to
  load the database, and the viewer cannot change the filter (the page has none to change);
- what is public is exactly what the admin looked at when publishing.

To show newer data, publish again and revoke the old link.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

import psycopg2.extras

from gridsvc.dates import local
from gridsvc.embeds.kinds import canonical_params, embed_kind, parse_params
from gridsvc.embeds.signing import EmbedLink, embed_secret, not_found, sign, verify
from gridsvc.errors import Gone, InvalidInput, NotFound
from gridsvc.service import Gridsvc
from gridsvc.sql import query

DEFAULT_DAYS: Final = 30
MAX_DAYS: Final = 365
TITLE_MAX: Final = 200
MAX_ID: Final = 2**63 - 1
"""Largest id a bigint holds; larger ones name no embed."""
_TITLE_ELEMENT: Final = re.compile(r"<title>.*?</title>", re.DOTALL)

State = Literal["active", "expired", "revoked"]


@dataclass(frozen=True)
class Embed:
    """A published map, without its page."""

    id: int
    kind: str
    title: str
    params: dict[str, Any]
    min_count: int
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Embed:
        id_, kind, title, params, min_count, created_by, created_at, expires_at, revoked_at = row
        return cls(
            int(id_),
            kind,
            title,
            params,
            int(min_count),
            created_by,
            local(created_at),
            local(expires_at),
            local(revoked_at),
        )

    def state(self, now: datetime) -> State:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"


@dataclass(frozen=True)
class Published:
    """An embed and its public link."""

    embed: Embed
    link: EmbedLink


def _title(title: str) -> str:
    title = title.strip()
    if "\x00" in title:
        raise InvalidInput("embed.title_nul", field="title")
    if not title or len(title) > TITLE_MAX:
        raise InvalidInput("embed.title_length", field="title", limit=TITLE_MAX, length=len(title))
    return title


def _expiry(now: datetime, days: int) -> datetime:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InvalidInput(
            "embed.days",
            field="expires_in_days",
            limit=MAX_DAYS,
            value=repr(days),
            default=DEFAULT_DAYS,
        )
    return (now + timedelta(days=days)).replace(microsecond=0)


def _retitled(page: str, title: str) -> str:
    # the document's own <title> names the map kind; a briefing's frame shows the admin's
    return _TITLE_ELEMENT.sub(lambda _m: f"<title>{html.escape(title)}</title>", page, count=1)


def publish(
    svc: Gridsvc,
    kind: str,
    params: Mapping[str, Any] | None = None,
    *,
    title: str,
    created_by: str,
    days: int = DEFAULT_DAYS,
) -> Published:
    """Render the map ``kind`` with ``params`` (names as the ``/v1/maps`` query parameters,
    see :mod:`gridsvc.embeds.kinds`), counts below ``GRIDSVC_EMBED_MIN_COUNT`` suppressed,
    store it, and return its signed link, valid for ``days`` days from ``svc.now()``.

    Raises ``InvalidInput`` for an unknown kind, parameter or value, a bad title or expiry.
    """
    chosen = embed_kind(kind)
    flt, options = parse_params(chosen, params or {})
    title = _title(title)
    now = svc.now()
    expires_at = _expiry(now, days)
    min_count = svc.settings.embeds.embed_min_count
    page = _retitled(chosen.render(svc, flt, options, min_count), title)
    stored = canonical_params(flt, options)
    rows = svc.db.cursor_fetchall(
        query("embed_insert"),
        {
            "kind": chosen.name,
            "title": title,
            "params": psycopg2.extras.Json(stored),
            "min_count": min_count,
            "page": page,
            "created_by": created_by,
            "created_at": now,
            "expires_at": expires_at,
        },
    )
    embed = Embed(
        int(rows[0][0]),
        chosen.name,
        title,
        stored,
        min_count,
        created_by,
        local(now),
        local(expires_at),
        None,
    )
    return Published(embed, sign(embed_secret(svc), embed.id, expires_at))


def list_embeds(svc: Gridsvc) -> list[Published]:
    """Every embed, newest first, with its link (revoked and expired ones too)."""
    secret = embed_secret(svc)
    embeds = [Embed.from_row(row) for row in svc.db.cursor_fetchall(query("embed_list"))]
    return [Published(e, sign(secret, e.id, e.expires_at)) for e in embeds]


def revoke(svc: Gridsvc, embed_id: int) -> None:
    """Stop embed ``embed_id``: its link answers "gone" from now on."""
    rows: list[tuple[Any, ...]] = []
    if 1 <= embed_id <= MAX_ID:
        rows = svc.db.cursor_fetchall(query("embed_revoke"), {"id": embed_id, "at": svc.now()})
    if not rows:
        raise NotFound("embed.not_found", embed_id=embed_id)


@dataclass(frozen=True)
class EmbedPage:
    html: str
    title: str
    expires_at: datetime


def open_embed(svc: Gridsvc, token: str) -> EmbedPage:
    """The frozen page behind a public link.

    Raises ``NotFound`` (one wording for every case) when the token's signature is wrong or
    names no embed, and ``Gone`` when the embed was revoked or has expired (by
    ``svc.now()``).
    """
    link = verify(embed_secret(svc), token)
    rows = svc.db.cursor_fetchall(query("embed_page"), {"id": link.embed_id})
    # a right signature over another expiry cannot happen with this secret; be strict anyway
    if not rows or rows[0][0] != link.expires_at:
        raise not_found()
    expires_at, revoked_at, page, title = rows[0]
    if revoked_at is not None:
        raise Gone("embed.withdrawn")
    if expires_at <= svc.now():
        raise Gone("embed.expired", when=f"{local(expires_at):%Y-%m-%d %H:%M}")
    return EmbedPage(page, title, local(expires_at))
