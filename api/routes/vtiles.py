"""Vector tiles (``gridsvc.vtiles``): ``/tiles`` lists the layers, ``/tiles/{layer}.json`` is
a layer's TileJSON 3.0.0, ``/tiles/{layer}/{z}/{x}/{y}.mvt`` a tile (Web Mercator, XYZ).

Outside ``/v1`` (the paths tile clients expect) but with its rules: a caller is required
(bearer token or console session), unknown query parameters are refused. Grid layers are
for every signed-in role; the events layer takes the event list's filters (the same
dependency, :func:`api.filters.event_filter`) and shows each caller what the list
shows it. Tiles have an ETag (hash of the body), ``Cache-Control: private, max-age=60`` and
answer a matching ``If-None-Match`` with 304; an empty tile is ``204 No Content``, as Martin
answers (pg_tileserv sends an empty 200; MapLibre takes either).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.caching import PAGE_CACHE, IfNoneMatch, cached
from api.deps import Caller, Service
from api.filters import EventSelection
from api.params import reject_unknown_query
from api.schemas import ERROR_RESPONSES
from gridsvc import vtiles
from gridsvc.errors import InvalidInput

router = APIRouter(
    prefix="/tiles",
    tags=["tiles"],
    responses=ERROR_RESPONSES,
    dependencies=[Depends(reject_unknown_query)],
)


class MVTResponse(Response):
    media_type = vtiles.MEDIA_TYPE


TILE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {vtiles.MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "description": "the tile (Mapbox Vector Tile 2.1)",
    },
    204: {"description": "an empty tile: nothing of the layer lies in it"},
    304: {"description": "not modified: the If-None-Match ETag still holds"},
}


class VectorLayerOut(BaseModel):
    id: str
    description: str
    minzoom: int
    maxzoom: int
    fields: dict[str, str] = Field(description="property name: String, Number or Boolean")


class TileJSONOut(BaseModel):
    """TileJSON 3.0.0 (https://github.com/mapbox/tilejson-spec/tree/master/3.0.0)."""

    tilejson: str
    name: str
    description: str
    scheme: str
    tiles: list[str] = Field(description="URL templates, filters of this request carried on")
    minzoom: int
    maxzoom: int
    bounds: list[float] = Field(description="west, south, east, north (WGS-84 degrees)")
    center: list[float] = Field(description="longitude, latitude, zoom")
    vector_layers: list[VectorLayerOut]


class LayerOut(BaseModel):
    id: str
    kind: str = Field(description="grid or events")
    title: str = Field(description="the layer's name for people (Chinese)")
    minzoom: int
    maxzoom: int
    units: int | None = Field(description="units of a grid layer in the active grid version")
    tilejson: str
    tiles: str


class LayersOut(BaseModel):
    layers: list[LayerOut]


LayerName = Annotated[
    str,
    Path(
        description="district, sector, street, community, grid (when the active version has "
        "units of that level) or events",
        max_length=100,
    ),
]
Zoom = Annotated[int, Path(description="zoom, 0-22")]
Column = Annotated[int, Path(description="column from the west, 0 to 2^z - 1")]
Row = Annotated[int, Path(description="row from the north, 0 to 2^z - 1 (XYZ, not TMS)")]


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _tiles_url(request: Request, layer: str) -> str:
    url = f"{_base(request)}/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt"
    return f"{url}?{request.url.query}" if request.url.query else url


def _no_filters(request: Request, found: vtiles.Layer) -> None:
    if found.kind == "grid" and request.url.query:
        raise InvalidInput(
            "tile.grid_no_filters",
            field=next(iter(request.query_params)),
            layer=found.id,
            names=sorted(set(request.query_params)),
        )


@router.get("", response_model=LayersOut)
def list_layers(svc: Service, caller: Caller, request: Request) -> LayersOut:
    """The tile layers there are now: each grid level with units in the active grid version,
    and the events."""
    base = _base(request)
    return LayersOut(
        layers=[
            LayerOut(
                id=found.id,
                kind=found.kind,
                title=found.title,
                minzoom=found.minzoom,
                maxzoom=found.maxzoom,
                units=found.units,
                tilejson=f"{base}/tiles/{found.id}.json",
                tiles=f"{base}/tiles/{found.id}/{{z}}/{{x}}/{{y}}.mvt",
            )
            for found in vtiles.layers(svc)
        ]
    )


@router.get("/{layer}.json", response_model=TileJSONOut)
def layer_tilejson(
    svc: Service, caller: Caller, selection: EventSelection, request: Request, layer: LayerName
) -> dict[str, Any]:
    """The layer's TileJSON 3.0.0: tile URL template (absolute, with this request's event
    filters), zooms, the city's bounds and centre, and the MVT layers with their fields."""
    found = vtiles.layer(svc, layer)
    _no_filters(request, found)
    return vtiles.tilejson(svc, found, _tiles_url(request, found.id))


@router.get(
    "/{layer}/{z}/{x}/{y}.mvt",
    response_class=MVTResponse,
    responses=TILE_RESPONSES,
)
def vector_tile(
    svc: Service,
    caller: Caller,
    selection: EventSelection,
    request: Request,
    layer: LayerName,
    z: Zoom,
    x: Column,
    y: Row,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One tile. Grid layers: the units of that level (code, name, level, parent_code,
    sector_code). Events: the events the filters select that the caller may see, as points
    (MVT layer ``events``) or, below zoom 12 or past 4,000 events, counted in bins (MVT
    layer ``event_bins``); no events layer below zoom 10."""
    tile = vtiles.tile_xyz(z, x, y)
    found = vtiles.layer(svc, layer)
    _no_filters(request, found)
    if found.kind == "grid":
        body = vtiles.grid_tile(svc, found, tile)
    else:
        body = vtiles.events_tile(svc, tile, selection).mvt
    if not body:
        return Response(status_code=204, headers={"Cache-Control": PAGE_CACHE})
    return cached(body, vtiles.MEDIA_TYPE, PAGE_CACHE, if_none_match)
