"""Maps as HTML pages for an iframe or a briefing file: heat map and choropleth.

Citywide roles only, like statistics (a map shows every unit). Pages link Leaflet from
``/static/maps/`` (``static_router``, no token: scripts load without an Authorization
header); ``standalone=1`` inlines everything into one self-contained file. Every page has an
ETag (hash of the HTML) and answers a matching ``If-None-Match`` with 304.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query
from fastapi.responses import HTMLResponse, Response

from api.deps import Service
from api.routes.stats import Analyst, Filters
from gridsvc.errors import NotFound
from gridsvc.maps import ASSETS, asset_text, choropleth_html, heatmap_html

router = APIRouter(prefix="/maps", tags=["maps"])
static_router = APIRouter(prefix="/static/maps", tags=["maps"], include_in_schema=False)

PAGE_CACHE = "private, max-age=60"
ASSET_CACHE = "public, max-age=86400"

Standalone = Annotated[
    bool, Query(description="1: one self-contained file, every script and style inlined")
]
IfNoneMatch = Annotated[str | None, Header()]


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


def _cached(
    body: bytes, media_type: str, cache: str, if_none_match: str | None, **headers: str
) -> Response:
    etag = _etag(body)
    common = {"ETag": etag, "Cache-Control": cache, **headers}
    if _matches(if_none_match, etag):
        return Response(status_code=304, headers=common)
    return Response(body, media_type=media_type, headers=common)


def _page(html: str, if_none_match: str | None, standalone: bool, name: str) -> Response:
    extra = {"Content-Disposition": f'attachment; filename="{name}.html"'} if standalone else {}
    return _cached(
        html.encode("utf-8"), "text/html; charset=utf-8", PAGE_CACHE, if_none_match, **extra
    )


@router.get("/heatmap", response_class=HTMLResponse)
def map_heatmap(
    svc: Service,
    caller: Analyst,
    filters: Filters,
    cell_m: Annotated[
        float, Query(ge=25, le=5000, description="side of a binning cell, metres")
    ] = 200.0,
    standalone: Standalone = False,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Heat of the events the filters select, binned in PostGIS on a square lattice of
    ``cell_m`` metres (never raw points), over the district outlines."""
    html = heatmap_html(svc, filters.to_filter(), cell_m=cell_m, standalone=standalone)
    return _page(html, if_none_match, standalone, "heatmap")


@router.get("/choropleth", response_class=HTMLResponse)
def map_choropleth(
    svc: Service,
    caller: Analyst,
    filters: Filters,
    level: Annotated[
        str, Query(description="city, district, sector, street, community")
    ] = "community",
    value: Annotated[Literal["n", "density_per_km2", "rate_per_1000"], Query()] = "n",
    scheme: Annotated[Literal["quantiles", "fisher_jenks", "equal_interval"], Query()] = (
        "quantiles"
    ),
    k: Annotated[int, Query(ge=2, le=9, description="number of classes")] = 5,
    standalone: Standalone = False,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """Units of ``level`` coloured by class of ``value``, legend in Chinese naming the
    method, tooltips with name, code and value."""
    html = choropleth_html(
        svc, level, filters.to_filter(), value=value, scheme=scheme, k=k, standalone=standalone
    )
    return _page(html, if_none_match, standalone, f"choropleth-{level}")


@static_router.get("/{name}")
def map_asset(name: str, if_none_match: IfNoneMatch = None) -> Response:
    """Leaflet and its plugins, from the installed packages (see ``gridsvc.maps.assets``)."""
    asset = ASSETS.get(name)
    if asset is None:
        raise NotFound(f"No map asset '{name}'.", hint=f"Available: {', '.join(sorted(ASSETS))}.")
    body = asset_text(name).encode("utf-8")
    return _cached(body, f"{asset.media_type}; charset=utf-8", ASSET_CACHE, if_none_match)
