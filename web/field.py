"""The grid worker's field page (``/field``): report from a phone, offline first.

Served by the same service as the API and signed in through the same form; the page's data
comes from the ``/v1`` API with the session cookie (issue #19). ``/field/sw.js`` is the
page's service worker (``web/static/field_sw.js``): it keeps the page and its files so that
``/field`` opens with no network once it has been opened; the page itself queues reports in
IndexedDB (``web/static/field.js``).

A kept page carries the name and CSRF token of the session it was served to, and a phone may
be shared. So the page asks ``/field/whoami`` who is signed in before it sends anything, and
sign-out leaves a marker cookie (``SIGNED_OUT_COOKIE``, set by ``POST /logout`` on any page)
on which the service worker and the page drop the kept page; serving ``/field`` to a
signed-in session clears the marker.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api.deps import Service, session_of
from gridsvc.errors import Unauthenticated
from gridsvc.maps.assets import asset_text
from web.pages import forbidden, render, signed_in

router = APIRouter(include_in_schema=False)

PRECACHE = (
    "/field",
    "/static/console/console.css",
    "/static/console/field.css",
    "/static/console/common.js",
    "/static/console/field.js",
    "/static/maps/leaflet.css",
    "/static/maps/leaflet.js",
    "/v1/categories",
)
"""What the service worker keeps at once: the page, its files and the taxonomy."""
_VERSIONED = (
    "static/field.js",
    "static/field.css",
    "static/common.js",
    "static/console.css",
    "static/field_sw.js",
    "templates/field.html",
    "templates/base.html",
)
_VERSIONED_ASSETS = ("leaflet.js", "leaflet.css")
"""Leaflet, served from its package under /static/maps/: a new version is a new cache too."""

SIGNED_OUT_COOKIE = "gridsvc_signed_out"
"""Set by ``POST /logout`` (web/pages.py, which names it in its own words), readable by
scripts: the page kept for offline use belongs to a session that has ended."""


@router.get("/field")
async def field_page(svc: Service, request: Request) -> Response:
    found = await signed_in(svc, request)
    if isinstance(found, Response):
        return found
    if found.principal.role not in ("grid_worker", "admin"):
        return forbidden(request, found)
    response = render(request, "field.html", session=found)
    if SIGNED_OUT_COOKIE in request.cookies:
        response.delete_cookie(SIGNED_OUT_COOKIE, path="/")  # signed in again: this page is kept
    return response


@router.get("/field/whoami")
async def field_whoami(svc: Service, request: Request) -> Response:
    """Who this browser is signed in as, for a page that may have been kept from another
    session: ``{"user", "csrf_token"}``, both null without a session. Always 200 (a 401
    would count against the address's sign-in limit, and the page asks this while it retries).
    Same-origin only: no CORS, so another site's script cannot read the token."""
    try:
        found = await session_of(svc, request)
    except Unauthenticated:
        found = None
    body: dict[str, str | None] = {"user": None, "csrf_token": None}
    if found is not None:
        body = {"user": found.principal.name, "csrf_token": found.csrf_token}
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@cache
def service_worker() -> str:
    """The worker's script, its cache named by a digest of the page's files: a new release
    is a new cache, and the old one is dropped when the new worker takes over."""
    files = resources.files("web")
    digest = hashlib.sha256()
    for name in _VERSIONED:
        digest.update((files / name).read_bytes())
    for name in _VERSIONED_ASSETS:
        digest.update(asset_text(name).encode("utf-8"))
    script = (files / "static" / "field_sw.js").read_text("utf-8")
    return script.replace("__CACHE_NAME__", f"gridsvc-field-{digest.hexdigest()[:16]}").replace(
        "__PRECACHE__", json.dumps(list(PRECACHE))
    )


@router.get("/field/sw.js")
async def field_service_worker() -> Response:
    """No sign-in needed: the script holds no data, and the browser re-fetches it for
    updates on its own. Its scope is /field (one level above its own folder, hence
    ``Service-Worker-Allowed``); its Content-Security-Policy lets it fetch this origin."""
    return Response(
        service_worker(),
        media_type="text/javascript",
        headers={
            "Service-Worker-Allowed": "/field",
            "Cache-Control": "no-cache",
            "Content-Security-Policy": "default-src 'self'",
        },
    )
