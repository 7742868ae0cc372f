"""Vector tiles: the grid levels and the events as Mapbox Vector Tiles, made by PostGIS.

Tiles are addressed in the XYZ scheme of Web Mercator (EPSG:3857; ``y`` counts down from
the north, as OSM and MapLibre count). PostGIS makes every tile (``ST_TileEnvelope``,
``ST_AsMVTGeom``, ``ST_AsMVT``; ``sql/queries/vtile_*.sql``); rows are found through the
GiST indexes in EPSG:4326 with the tile's envelope transformed once, never by transforming
every stored geometry.

Layers (:func:`layers`): one per grid level that has units in the active grid version
(``district``, ``sector``, ``street``, ``community``, ``grid``), whose features carry code,
name, level and parent codes; and ``events``, which any filter of the event list narrows
(:class:`gridsvc.events.store.EventFilter`, the caller's scope included). An events tile
holds points (MVT layer ``events``) when it has at most :data:`MAX_POINTS` of the selected
events and the zoom is at least :data:`POINTS_MIN_ZOOM`; otherwise it holds bins (MVT layer
``event_bins``): :data:`BIN_CELLS` × :data:`BIN_CELLS` cells per tile, one point per
non-empty cell with its ``count``, so a tile stays small whatever the number of events
(points cost ~50 bytes each, a full tile of bins ~40 KB). Analysts see sensitive
categories at their location rounded to 0.01°, as in event lists.

Costs (``make bench``, rows V*): a tile reads every selected event in it once, ~1.5 µs each
from cached pages; a dense tile of a large table is as slow as its events are many.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Final, Literal

from psycopg2 import sql

from gridsvc.dates import CITY_TZ
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.events import store
from gridsvc.grids.layout import grid_layout
from gridsvc.service import Gridsvc
from gridsvc.sql import query

MAX_ZOOM: Final = 22
EXTENT: Final = 4096
"""Tile coordinates per tile side (the MVT default)."""
BUFFER: Final = 64
"""Tile units drawn beyond each edge (points and polygon edges near it), 1/64 of a tile."""
MAX_POINTS: Final = 4_000
"""Most events an events tile draws as points (~200 KB); more are drawn as bins."""
POINTS_MIN_ZOOM: Final = 12
"""Below this zoom an events tile is always bins (a z11 tile is ~17 km wide at Nanjing)."""
EVENTS_MIN_ZOOM: Final = 12
"""Events tiles below this zoom are refused: a z10 or z11 tile covers most of the city and
would read most of its events (the heat map and statistics serve the whole city)."""
BIN_CELLS: Final = 16
"""Bins per tile side: cells of 256 tile units (16 px of a 256 px tile). Fixed by the SQL
functions tile_bin_column / tile_bin_row (migration 0014)."""
KEPT_BIN_ZOOMS: Final = range(12, 16)
"""Zooms whose tiles' bins are summed from the kept bins of zoom 15 (table event_tile_bin,
migration 0014): a tile of these zooms for a caller who sees every event, unfiltered, is
read from there (at most 16,384 rows per kind at zoom 12)."""
_UNNARROWED: Final = frozenset({"principal", "coarse", "limit"})
"""Fields of an EventFilter that do not narrow which events it selects by themselves."""
GRID_MAX_ZOOM: Final = 16
EVENTS_MAX_ZOOM: Final = 18
"""The highest zooms TileJSON advertises (clients overzoom beyond); tiles up to
:data:`MAX_ZOOM` are served."""
HALF_WORLD_M: Final = 20037508.342789244
"""Half the width of the Web Mercator world, metres (pi × 6378137)."""
ROUNDING_DEG: Final = 0.01
"""What a sensitive event's location is rounded to for analysts (store.redact)."""

GRID_LEVELS: Final = ("district", "sector", "street", "community", "grid")
EVENTS: Final = "events"
LEVEL_TITLES: Final[dict[str, str]] = {
    "district": "区",
    "sector": "板块",
    "street": "街道/镇",
    "community": "社区",
    "grid": "网格",
    EVENTS: "事件",
}
MEDIA_TYPE: Final = "application/vnd.mapbox-vector-tile"


@dataclass(frozen=True)
class TileXYZ:
    """One tile of the XYZ scheme over Web Mercator: zoom ``z``, column ``x`` from the west,
    row ``y`` from the north; both in ``0 .. 2**z - 1``."""

    z: int
    x: int
    y: int

    @property
    def size_m(self) -> float:
        """The tile's side in Web Mercator metres."""
        return 2 * HALF_WORLD_M / (1 << self.z)

    @property
    def bounds_mercator(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in EPSG:3857 metres."""
        size = self.size_m
        xmin = -HALF_WORLD_M + self.x * size
        ymax = HALF_WORLD_M - self.y * size
        return (xmin, ymax - size, xmin + size, ymax)

    @property
    def bounds_wgs84(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) in degrees of WGS-84 longitude and latitude."""
        xmin, ymin, xmax, ymax = self.bounds_mercator
        return (
            _lon_deg(xmin),
            _lat_deg(ymin),
            _lon_deg(xmax),
            _lat_deg(ymax),
        )


def _lon_deg(x_m: float) -> float:
    return math.degrees(x_m / 6378137.0)


def _lat_deg(y_m: float) -> float:
    return math.degrees(math.atan(math.sinh(y_m / 6378137.0)))


def tile_xyz(z: int, x: int, y: int) -> TileXYZ:
    """The tile ``z/x/y``, or :class:`InvalidInput` naming what is out of range."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput("tile.zoom_range", field="z", z=z, max_zoom=MAX_ZOOM)
    last = (1 << z) - 1
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value <= last:
            raise InvalidInput("tile.xy_range", field=name, value=value, z=z, last=last)
    return TileXYZ(z, x, y)


@dataclass(frozen=True)
class Layer:
    """A layer of vector tiles: a grid level, or the events."""

    id: str
    kind: Literal["grid", "events"]
    title: str
    """The layer's name for people (Chinese)."""
    minzoom: int
    maxzoom: int
    units: int | None = None
    """Units of a grid layer in the active version."""

    @property
    def vector_layers(self) -> list[dict[str, Any]]:
        """The MVT layers its tiles hold, as TileJSON 3.0.0 ``vector_layers``."""
        if self.kind == "grid":
            return [
                {
                    "id": self.id,
                    "description": f"{self.title}: grid units of level {self.id}",
                    "minzoom": self.minzoom,
                    "maxzoom": self.maxzoom,
                    "fields": {
                        "code": "String",
                        "name": "String",
                        "level": "String",
                        "parent_code": "String",
                        "sector_code": "String",
                    },
                }
            ]
        return [
            {
                "id": "events",
                "description": f"events as points, in tiles of zoom {POINTS_MIN_ZOOM}+ holding at "
                f"most {MAX_POINTS:,} of them; occurred_at in Beijing time; rounded: a "
                "sensitive category's point rounded to 0.01°",
                "minzoom": POINTS_MIN_ZOOM,
                "maxzoom": self.maxzoom,
                # the event's id is the feature id (ST_AsMVT's id column), not a property
                "fields": {
                    "category": "String",
                    "status": "String",
                    "urgency": "String",
                    "occurred_at": "String",
                    "rounded": "Boolean",
                },
            },
            {
                "id": "event_bins",
                "description": f"events counted per cell of 1/{BIN_CELLS} tile, at their mean "
                "position: in tiles below zoom "
                f"{POINTS_MIN_ZOOM} or holding more than {MAX_POINTS:,} events",
                "minzoom": self.minzoom,
                "maxzoom": self.maxzoom,
                "fields": {"count": "Number"},
            },
        ]


def layers(svc: Gridsvc) -> list[Layer]:
    """The layers offered now: each grid level with units in the active version, then
    ``events``. Raises :class:`NoActiveGridVersion` without grids."""
    layout = grid_layout(svc)
    found = [
        Layer(level, "grid", LEVEL_TITLES[level], 0, GRID_MAX_ZOOM, layout.units[level])
        for level in GRID_LEVELS
        if layout.units.get(level)
    ]
    found.append(Layer(EVENTS, "events", LEVEL_TITLES[EVENTS], EVENTS_MIN_ZOOM, EVENTS_MAX_ZOOM))
    return found


def layer(svc: Gridsvc, name: str) -> Layer:
    """The layer ``name``, or :class:`NotFound` listing those there are."""
    offered = layers(svc)
    for candidate in offered:
        if candidate.id == name:
            return candidate
    shown = name if len(name) <= 40 else name[:39] + "…"
    raise NotFound("tile.no_layer", field="layer", layer=shown, available=[c.id for c in offered])


def bounds_wgs84(svc: Gridsvc) -> tuple[float, float, float, float]:
    """(west, south, east, north) of the active grid version, degrees."""
    return grid_layout(svc).bounds_wgs84


@dataclass(frozen=True)
class EventsTile:
    """An events tile and what it holds."""

    mvt: bytes
    kind: Literal["points", "bins"]
    events: int
    """Events drawn: points, or the sum of the bins' counts."""


def _tile_params(tile: TileXYZ) -> dict[str, Any]:
    return {"tile_z": tile.z, "tile_x": tile.x, "tile_y": tile.y, "extent": EXTENT}


def _box_params(
    prefix: str, tile: TileXYZ, margin_units: float, rounding_deg: float
) -> dict[str, Any]:
    """Lon/lat boxes of ``vtile_events.sql``: the tile widened by ``margin_units`` tile
    units (``{prefix}_w`` …), and that box widened by ``rounding_deg`` degrees, where
    rounded positions are searched (``{prefix}_search_w`` …)."""
    xmin, ymin, xmax, ymax = tile.bounds_mercator
    pad = tile.size_m * margin_units / EXTENT
    box = {
        "w": _lon_deg(xmin - pad),
        "s": _lat_deg(ymin - pad),
        "e": _lon_deg(xmax + pad),
        "n": _lat_deg(ymax + pad),
    }
    sign = {"w": -1.0, "s": -1.0, "e": 1.0, "n": 1.0}
    return {
        **{f"{prefix}_{k}": v for k, v in box.items()},
        **{f"{prefix}_search_{k}": v + sign[k] * rounding_deg for k, v in box.items()},
    }


def grid_tile(svc: Gridsvc, level: Layer, tile: TileXYZ) -> bytes:
    """The tile of a grid layer (b"" when no unit of the level reaches into it). Units are
    simplified by a quarter of a tile pixel before they are clipped to the tile."""
    if level.kind != "grid":
        raise ValueError(f"{level.id} is not a grid layer")
    version = svc.locator().version
    pixel_deg = 360.0 / ((1 << tile.z) * EXTENT)
    params = {
        **_tile_params(tile),
        "margin": BUFFER / EXTENT,
        "buffer": BUFFER,
        "layer": level.id,
        "level": level.id,
        "version_id": version.id,
        "simplify_deg": pixel_deg / 4,
    }
    rows = svc.read_db.cursor_fetchall(query("vtile_grid"), params)
    return bytes(rows[0][0]) if rows and rows[0][0] is not None else b""


def events_tile(svc: Gridsvc, tile: TileXYZ, flt: store.EventFilter) -> EventsTile:
    """The events tile of the events ``flt`` selects: points, or bins (module docstring),
    in one statement. ``flt.principal`` decides what the caller may see and whether
    sensitive categories are rounded (analysts). Below :data:`EVENTS_MIN_ZOOM`,
    :class:`InvalidInput`."""
    if tile.z < EVENTS_MIN_ZOOM:
        raise InvalidInput("tile.events_min_zoom", field="z", z=tile.z, min_zoom=EVENTS_MIN_ZOOM)
    analyst = flt.principal is not None and flt.principal.role == "analyst"
    kinds = _kept_kinds(tile, flt, analyst)
    if kinds is not None:
        shift = KEPT_BIN_ZOOMS[-1] - tile.z
        ((total, mvt),) = svc.db.cursor_fetchall(
            query("vtile_event_bins"),
            {
                **_tile_params(tile),
                "kinds": kinds,
                "max_points": _max_points(tile),
                "shift": shift,
                "columns": list(range(tile.x << shift, (tile.x + 1) << shift)),
                "row_first": tile.y << shift,
                "row_last": ((tile.y + 1) << shift) - 1,
                "first_i": tile.x * BIN_CELLS,
                "first_j": tile.y * BIN_CELLS,
            },
        )
        if mvt is not None:
            return EventsTile(bytes(mvt), "bins", int(total))
        # few enough to be points: drawn from the events themselves, below
    where, params = store.filter_where(flt, svc.now())
    rounded = sorted(store.sensitive_categories(svc)) if analyst else []
    # a rounded point may lie up to half a rounding step from the stored one
    rounding_deg = ROUNDING_DEG / 2 + 1e-9 if rounded else 0.0
    params |= {
        **_tile_params(tile),
        "rounded": rounded,
        "exact_positions": not rounded,
        "tz": str(CITY_TZ),
        "buffer": BUFFER,
        "max_points": _max_points(tile),
        # points: the tile and its buffer, and a unit more (ST_AsMVTGeom clips exactly)
        **_box_params("near", tile, BUFFER + 1, rounding_deg),
        # bins: the tile and a unit more, so that no event is lost to rounding; which tile
        # an event is in is decided by the number of its cell
        **_box_params("in", tile, 1, rounding_deg),
        "first_i": tile.x * BIN_CELLS,
        "first_j": tile.y * BIN_CELLS,
    }
    stmt = sql.SQL(query("vtile_events")).format(event_filter=where)
    kind, mvt, drawn = svc.read_db.cursor_fetchall(stmt, params)[0]
    return EventsTile(bytes(mvt) if mvt is not None else b"", kind, int(drawn))


def _max_points(tile: TileXYZ) -> int:
    return MAX_POINTS if tile.z >= POINTS_MIN_ZOOM else -1


def _kept_kinds(tile: TileXYZ, flt: store.EventFilter, analyst: bool) -> list[int] | None:
    """The kinds of event_tile_bin rows that make this tile for ``flt`` (0: events of other
    categories; 1: sensitive ones where they are; 2: sensitive ones rounded, as analysts see
    them), or None when the tile must be read from the events: a zoom not kept, a filter
    that narrows the selection, or a caller who does not see every event (a scope, a
    department's dispatches)."""
    if tile.z not in KEPT_BIN_ZOOMS:
        return None
    for f in fields(flt):
        if f.name not in _UNNARROWED and getattr(flt, f.name) != f.default:
            return None
    if flt.principal is not None and store.scope_condition(flt.principal) is not None:
        return None
    return [0, 2] if analyst else [0, 1]


def tilejson(svc: Gridsvc, found: Layer, tiles_url: str) -> dict[str, Any]:
    """The TileJSON 3.0.0 document of a layer whose tiles are at ``tiles_url`` (a template
    with ``{z}``, ``{x}``, ``{y}``)."""
    west, south, east, north = bounds_wgs84(svc)
    return {
        "tilejson": "3.0.0",
        "name": found.id,
        "description": found.title,
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": found.minzoom,
        "maxzoom": found.maxzoom,
        "bounds": [west, south, east, north],
        "center": [(west + east) / 2, (south + north) / 2, max(found.minzoom, 10)],
        "vector_layers": found.vector_layers,
    }
