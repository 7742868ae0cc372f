"""Public map embeds: admins publish, list and revoke (``/v1/embeds``); anyone with the
signed link sees the frozen page (``/embed/{token}``, no token needed).

The public page may be framed only by ``GRIDSVC_EMBED_FRAME_ANCESTORS`` (a
``Content-Security-Policy: frame-ancestors`` of its own, which ``api.security`` leaves as
is). It is revalidated on every view (``no-cache`` with an ETag), so a revocation shows at
once. Query parameters on the public link are ignored: the filter is fixed at publish time.
"""

from __future__ import annotations

import hashlib
import html
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from api.deps import Admin, Language, Service
from api.errors import status_for
from gridsvc.embeds import DEFAULT_DAYS, KINDS, MAX_DAYS, Published, list_embeds, open_embed
from gridsvc.embeds import publish as publish_embed
from gridsvc.embeds import revoke as revoke_embed
from gridsvc.errors import Gone, NotFound
from gridsvc.messages import CONTENT_LANGUAGE, Lang, Msg
from gridsvc.settings import EmbedSettings

router = APIRouter(prefix="/embeds", tags=["embeds"])
public_router = APIRouter(prefix="/embed", tags=["embeds"])

# revalidate every time (a revoked link must stop at once); 304 when unchanged
PAGE_CACHE = "no-cache"


class EmbedIn(BaseModel):
    model_config = {"extra": "forbid"}

    kind: str = Field(description=f"the map: {', '.join(KINDS)}")
    title: str = Field(min_length=1, max_length=200, description="names the map and its page")
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="the filter and options, named as the /v1/maps query parameters, e.g. "
        '{"category": "hazard", "from": "2026-11-01", "to": "2026-12-01", "level": "street"}',
    )
    expires_in_days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS)


class EmbedOut(BaseModel):
    id: int
    kind: str
    title: str
    params: dict[str, Any] = Field(description="as stored: every option, defaults included")
    min_count: int = Field(description="units and cells with fewer events show as '<k'")
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    state: Literal["active", "expired", "revoked"]
    url: str = Field(description="the public page, relative to this server; no token needed")


class EmbedListOut(BaseModel):
    embeds: list[EmbedOut]


def _out(done: Published, now: datetime) -> EmbedOut:
    e = done.embed
    return EmbedOut(
        id=e.id,
        kind=e.kind,
        title=e.title,
        params=e.params,
        min_count=e.min_count,
        created_by=e.created_by,
        created_at=e.created_at,
        expires_at=e.expires_at,
        revoked_at=e.revoked_at,
        state=e.state(now),
        url=done.link.path,
    )


@router.post("", status_code=201, response_model=EmbedOut)
def publish(svc: Service, caller: Admin, body: EmbedIn, response: Response) -> EmbedOut:
    """Publish a map as a public, signed link valid ``expires_in_days``. The page is made now
    (frozen): units with fewer than ``GRIDSVC_EMBED_MIN_COUNT`` events show "<k", heat cells
    with fewer are dropped (cells of 500 m or more)."""
    done = publish_embed(
        svc,
        body.kind,
        body.params,
        title=body.title,
        created_by=caller.name,
        days=body.expires_in_days,
    )
    response.headers["Location"] = done.link.path
    return _out(done, svc.now())


@router.get("", response_model=EmbedListOut)
def embeds(svc: Service, caller: Admin) -> EmbedListOut:
    """Every published map, newest first, with its state and link."""
    now = svc.now()
    return EmbedListOut(embeds=[_out(done, now) for done in list_embeds(svc)])


@router.delete("/{embed_id}", status_code=204)
def revoke(svc: Service, caller: Admin, embed_id: int) -> Response:
    """Withdraw a published map: its link answers 410 Gone from now on."""
    revoke_embed(svc, embed_id)
    return Response(status_code=204)


def frame_headers(settings: EmbedSettings) -> dict[str, str]:
    """The headers of a public page: who may frame it, and nothing loaded from elsewhere."""
    ancestors = " ".join(settings.embed_frame_ancestors)
    headers = {
        "Content-Security-Policy": (
            "default-src 'none'; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
            f"form-action 'none'; frame-ancestors {ancestors}"
        ),
        "Referrer-Policy": "no-referrer",  # the link is the credential: never pass it on
        "X-Robots-Tag": "noindex",
    }
    # X-Frame-Options can say only DENY or SAMEORIGIN; with other origins, CSP alone decides
    if ancestors == "'self'":
        headers["X-Frame-Options"] = "SAMEORIGIN"
    elif ancestors == "'none'":
        headers["X-Frame-Options"] = "DENY"
    return headers


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _error_page(exc: NotFound | Gone, headers: dict[str, str], lang: Lang) -> HTMLResponse:
    # shown inside a briefing's frame: a readable page rather than JSON, in the viewer's
    # language (a Chinese browser's Accept-Language, else the city's)
    status = status_for(exc)
    heading = Msg("embed.page_gone" if status == 410 else "embed.page_missing").render(lang)
    message, hint = exc.text(lang)
    body = (
        f'<!DOCTYPE html><html lang="{CONTENT_LANGUAGE[lang]}"><head><meta charset="utf-8"/>'
        f"<title>{heading}</title></head>"
        '<body style="font:14px/1.6 sans-serif;margin:2em;color:#333">'
        f"<h1 style='font-size:18px'>{heading}</h1>"
        f"<p>{html.escape(message)}</p><p>{html.escape(hint or '')}</p></body></html>"
    )
    headers = {**headers, "Cache-Control": "no-store", "Content-Language": CONTENT_LANGUAGE[lang]}
    return HTMLResponse(body, status_code=status, headers=headers)


@public_router.get(
    "/{token}",
    response_class=HTMLResponse,
    responses={
        304: {"description": "unchanged since the ETag sent in If-None-Match"},
        404: {"description": "no map at this link (a wrong or altered link)"},
        410: {"description": "the map was revoked or its link has expired"},
    },
)
def view(
    svc: Service,
    token: str,
    lang: Language,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The published map: a full HTML page for an ``<iframe>``, scripts from
    ``/static/maps/``. No token needed; the link is signed and expires."""
    headers = frame_headers(svc.settings.embeds)
    try:
        page = open_embed(svc, token)
    except (NotFound, Gone) as exc:
        return _error_page(exc, headers, lang)
    body = page.html.encode("utf-8")
    etag = _etag(body)
    headers.update({"ETag": etag, "Cache-Control": PAGE_CACHE})
    tags = [t.strip().removeprefix("W/") for t in (if_none_match or "").split(",")]
    if etag in tags or "*" in tags:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="text/html; charset=utf-8", headers=headers)
