"""Maps as HTML pages for an iframe or a briefing file: heat map, choropleth (with an
optional hot-spot layer), timeline and two-period comparison.

Citywide roles only, like statistics (a map shows every unit). Pages link Leaflet from
``/static/maps/`` (``static_router``, no token: scripts load without an Authorization
header); ``standalone=1`` inlines everything into one self-contained file; ``format=png``
returns an image drawn on the server (no tiles). ``tiles=osm|tianditu|amap`` adds a tile base
layer (default: the ``GRIDSVC_MAP_TILES`` setting, ``none``). Every response has an ETag
(hash of the body) and answers a matching ``If-None-Match`` with 304.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from api.caching import ASSET_CACHE, PAGE_CACHE, IfNoneMatch, cached
from api.deps import Service
from api.filters import Analyst, BaseFrom, BaseTo, StatsSelection, compared_periods
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.maps import ASSETS, asset_text, choropleth_html, heatmap_html, png
from gridsvc.maps.compare import compare_html
from gridsvc.maps.hotspot_layer import DEFAULT_PERMUTATIONS, MAX_PERMUTATIONS
from gridsvc.maps.timeline import DEFAULT_CELL_M, timeline_html

router = APIRouter(prefix="/maps", tags=["maps"])
static_router = APIRouter(prefix="/static/maps", tags=["maps"], include_in_schema=False)

# documented so that clients (and the fuzz tests) know every answer a page may give
PAGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}}, "description": "the page, or an image with format=png"},
    304: {"description": "not modified: the If-None-Match ETag still holds"},
}

Standalone = Annotated[
    bool, Query(description="1: one self-contained file, every script and style inlined")
]
Format = Annotated[
    Literal["html", "png"], Query(description="html: a page; png: an image for Word/PowerPoint")
]
TileChoice = Annotated[
    Literal["none", "osm", "tianditu", "amap"] | None,
    Query(
        description="tile base layer (internet needed, except none); amap shifts the overlays "
        "to GCJ-02; default: the GRIDSVC_MAP_TILES setting"
    ),
]


def _png(body: bytes, if_none_match: str | None, name: str) -> Response:
    return cached(
        body,
        "image/png",
        PAGE_CACHE,
        if_none_match,
        **{"Content-Disposition": f'inline; filename="{name}.png"'},
    )


def _page(html: str, if_none_match: str | None, standalone: bool, name: str) -> Response:
    extra = {"Content-Disposition": f'attachment; filename="{name}.html"'} if standalone else {}
    return cached(
        html.encode("utf-8"), "text/html; charset=utf-8", PAGE_CACHE, if_none_match, **extra
    )


@dataclass(frozen=True)
class PageOptions:
    """What every map route takes besides its own parameters: the output and the cache
    check. ``answer`` builds the page or the image and the response around it."""

    standalone: bool
    format: str
    tiles: str | None
    if_none_match: str | None

    def answer(self, name: str, html: Callable[[], str], png: Callable[[], bytes]) -> Response:
        if self.format == "png":
            return _png(png(), self.if_none_match, name)
        return _page(html(), self.if_none_match, self.standalone, name)


def page_options(
    standalone: Standalone = False,
    format: Format = "html",
    tiles: TileChoice = None,
    if_none_match: IfNoneMatch = None,
) -> PageOptions:
    if format == "png" and tiles not in (None, "none"):
        raise InvalidInput("map.png_tiles", field="tiles")
    return PageOptions(standalone, format, tiles, if_none_match)


Page = Annotated[PageOptions, Depends(page_options)]


@router.get("/heatmap", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def map_heatmap(
    svc: Service,
    caller: Analyst,
    filters: StatsSelection,
    page: Page,
    cell_m: Annotated[
        float | None,
        Query(
            ge=25,
            le=5000,
            description="side of a binning cell, metres; left out: 200, or 600, 1800… "
            "when the events fill more than 30,000 cells",
        ),
    ] = None,
) -> Response:
    """Heat of the events the filters select, binned in PostGIS on a square lattice of
    ``cell_m`` metres (never raw points), over the district outlines."""
    flt = filters.to_filter()
    return page.answer(
        "heatmap",
        html=lambda: heatmap_html(
            svc, flt, cell_m=cell_m, standalone=page.standalone, tiles=page.tiles
        ),
        png=lambda: png.heatmap_png(svc, flt, cell_m=cell_m),
    )


@router.get("/choropleth", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def map_choropleth(
    svc: Service,
    caller: Analyst,
    filters: StatsSelection,
    page: Page,
    level: Annotated[
        str, Query(description="city, district, sector, street, community")
    ] = "community",
    value: Annotated[
        Literal["n", "density_per_km2", "rate_per_1000"],
        Query(
            description="what colours the units: events per km² (default: large rural units "
            "are not darkest merely for their size), per 1,000 residents, or the count `n`"
        ),
    ] = "density_per_km2",
    scheme: Annotated[Literal["quantiles", "fisher_jenks", "equal_interval"], Query()] = (
        "quantiles"
    ),
    k: Annotated[int, Query(ge=2, le=9, description="number of classes")] = 5,
    hotspots: Annotated[
        bool, Query(description="1: add the Gi* hot and cold spots as a layer (30+ units)")
    ] = False,
    permutations: Annotated[
        int,
        Query(ge=99, le=MAX_PERMUTATIONS, description="permutations of the hot-spot test"),
    ] = DEFAULT_PERMUTATIONS,
) -> Response:
    """Units of ``level`` coloured by class of ``value``, legend in Chinese naming the
    method, tooltips with name, code and value; ``hotspots=1`` adds a switchable layer of
    Getis-Ord Gi* hot and cold spots (90/95/99%, FDR-corrected)."""
    flt = filters.to_filter()
    options: dict[str, Any] = {
        "value": value,
        "scheme": scheme,
        "k": k,
        "hotspots": hotspots,
        "permutations": permutations,
    }
    return page.answer(
        f"choropleth-{level}",
        html=lambda: choropleth_html(
            svc, level, flt, standalone=page.standalone, tiles=page.tiles, **options
        ),
        png=lambda: png.choropleth_png(svc, level, flt, **options),
    )


@router.get("/timeline", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def map_timeline(
    svc: Service,
    caller: Analyst,
    filters: StatsSelection,
    page: Page,
    step: Annotated[
        Literal["day", "week", "month"],
        Query(description="period: Beijing day, week from Monday, calendar month"),
    ] = "week",
    cell_m: Annotated[
        float, Query(ge=25, le=5000, description="side of a binning cell, metres")
    ] = DEFAULT_CELL_M,
) -> Response:
    """Heat of the events per period (at most 120 periods), a slider and a play button to
    move through them; as PNG, the last 12 periods side by side."""
    flt = filters.to_filter()
    return page.answer(
        f"timeline-{step}",
        html=lambda: timeline_html(
            svc, flt, step=step, cell_m=cell_m, standalone=page.standalone, tiles=page.tiles
        ),
        png=lambda: png.timeline_png(svc, flt, step=step, cell_m=cell_m),
    )


@router.get("/compare", response_class=HTMLResponse, responses=PAGE_RESPONSES)
def map_compare(
    svc: Service,
    caller: Analyst,
    filters: StatsSelection,
    page: Page,
    base_from: BaseFrom,
    base_to: BaseTo,
    level: Annotated[
        str, Query(description="city, district, sector, street, community")
    ] = "street",
    fdr: Annotated[bool, Query(description="significance after Benjamini-Hochberg")] = False,
) -> Response:
    """The change from the base period (``base_from``–``base_to``) to the current one
    (``from``–``to``) per unit: rate ratio on a diverging scale, significant changes (exact
    Poisson-rate test, as ``/v1/stats/compare``) outlined; tooltips with both counts, the
    change, p and q. Not side by side: folium's DualMap needs a CDN script."""
    current, base = compared_periods(filters, base_from, base_to, "stats.what_compare_map")
    return page.answer(
        f"compare-{level}",
        html=lambda: compare_html(
            svc, level, current, base, fdr=fdr, standalone=page.standalone, tiles=page.tiles
        ),
        png=lambda: png.compare_png(svc, level, current, base, fdr=fdr),
    )


@static_router.get("/{name}")
def map_asset(name: str, if_none_match: IfNoneMatch = None) -> Response:
    """Leaflet and its plugins, from the installed packages (see ``gridsvc.maps.assets``)."""
    asset = ASSETS.get(name)
    if asset is None:
        raise NotFound("map.no_asset", name=name, available=sorted(ASSETS))
    body = asset_text(name).encode("utf-8")
    return cached(body, f"{asset.media_type}; charset=utf-8", ASSET_CACHE, if_none_match)
