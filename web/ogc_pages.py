"""The HTML representation of the OGC API Features documents (``f=html``): the same
documents as the JSON, drawn with the console's look, in Chinese, and with a map of the
features on a page (Leaflet from the service itself, no tiles: nothing from another host)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse

from web.pages import render as render_page

PAGES = ("landing", "conformance", "collections", "collection", "items", "item")


def _property_names(features: list[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for feature in features:
        names.update(dict.fromkeys(feature.get("properties") or {}))
    return list(names)


def render(
    request: Request, page: str, body: dict[str, Any], headers: dict[str, str] | None = None
) -> HTMLResponse:
    """``body`` (a JSON document of the API) as the page ``page``."""
    assert page in PAGES
    features = body.get("features") or ([body] if page == "item" else [])
    drawable = "CRS84" in (headers or {}).get("Content-Crs", "<CRS84>")
    features_json = json.dumps(
        {"type": "FeatureCollection", "features": features if drawable else []},
        ensure_ascii=False,
    ).replace("<", "\\u003c")
    response = render_page(
        request,
        "ogc.html",
        session=getattr(request.state, "session", None),
        page=page,
        doc=body,
        features=features,
        columns=_property_names(features),
        features_json=features_json,
        ogc_url=str(request.base_url).rstrip("/") + "/ogc",
        # one link a relation, the page's own kind first (a next page as a page)
        links={
            link["rel"]: link
            for link in sorted(body.get("links", []), key=lambda ln: ln["type"] == "text/html")
        },
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
