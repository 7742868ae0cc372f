"""Optional tile base layers, and the shift of every overlay into the tiles' coordinate system.

By default (``none``) a map has no tiles: its base layer is the grid outlines, and the page
loads nothing from another host. The other choices load tiles from the internet, so they only
work where that is reachable:

- ``osm``: OpenStreetMap's standard tiles, WGS-84 (Web Mercator);
- ``tianditu``: 天地图 vector map and its label layer, CGCS2000 (treated as WGS-84, see
  :mod:`gridsvc.crs`); needs a browser key (``GRIDSVC_TIANDITU_KEY``), which is therefore
  written into the page;
- ``amap``: 高德 street map, **GCJ-02**. With it every overlay (outlines, heat cells, unit
  polygons) is shifted from WGS-84 to GCJ-02 (~540 m in Nanjing) by
  :func:`gridsvc.crs.wgs84_to_gcj02`, so the overlays line up with Amap's streets. Statistics
  are never shifted, only what is drawn.

The tile URL templates are the only outside references such a page has;
:func:`gridsvc.maps.assets.assert_offline` is told exactly these templates and still refuses
anything else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import shapely

from gridsvc.crs import Crs, wgs84_to_gcj02
from gridsvc.errors import InvalidInput
from gridsvc.settings import MapSettings

FloatArray = npt.NDArray[np.float64]


class Basemap(StrEnum):
    """A tile base layer a map page may have."""

    NONE = "none"
    OSM = "osm"
    TIANDITU = "tianditu"
    AMAP = "amap"


@dataclass(frozen=True)
class TileSource:
    """One Leaflet tile layer: URL template (``{s}``, ``{z}``, ``{x}``, ``{y}``) and credit."""

    name: str
    url: str
    attribution: str
    subdomains: str
    max_zoom: int = 18


_TIANDITU_WMTS: Final = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)


@dataclass(frozen=True)
class Tiles:
    """The chosen base layer: its tile sources and the coordinate system they are drawn in."""

    basemap: Basemap = Basemap.NONE
    sources: tuple[TileSource, ...] = ()

    @property
    def crs(self) -> Crs:
        """The system overlays must be drawn in to line up with the tiles."""
        return Crs.GCJ02 if self.basemap is Basemap.AMAP else Crs.WGS84

    @property
    def templates(self) -> tuple[str, ...]:
        """The tile URL templates: the only outside references the page may have."""
        return tuple(s.url for s in self.sources)

    @property
    def label(self) -> str:
        """The base layer in Chinese, for the info box."""
        return _LABELS[self.basemap]

    def shift_xy(
        self, lon_wgs84: FloatArray, lat_wgs84: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """WGS-84 degrees to the tiles' system (GCJ-02 for Amap, else unchanged)."""
        lon = np.asarray(lon_wgs84, np.float64)
        lat = np.asarray(lat_wgs84, np.float64)
        if self.crs is Crs.WGS84 or lon.size == 0:
            return lon, lat
        return wgs84_to_gcj02(lon, lat)

    def shift_geometry(self, geometry: Any) -> Any:
        """Shapely geometries (array or single) from WGS-84 to the tiles' system, rounded to
        1e-5° (~1 m) as every drawn polygon is."""
        if self.crs is Crs.WGS84:
            return geometry

        def move(xy: FloatArray) -> FloatArray:
            lon, lat = self.shift_xy(xy[:, 0], xy[:, 1])
            # rounded in place: set_precision would re-node rings (other vertex order)
            moved: FloatArray = np.column_stack([lon, lat])
            return np.asarray(np.round(moved, 5), np.float64)

        return shapely.transform(geometry, move)

    def shift_features(self, features: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """GeoJSON features (WGS-84) with their geometries in the tiles' system."""
        if self.crs is Crs.WGS84:
            return features
        geoms = [
            shapely.geometry.shape(f["geometry"]) if f.get("geometry") else None for f in features
        ]
        moved = self.shift_geometry(np.array(geoms, dtype=object))
        return [
            {**f, "geometry": shapely.geometry.mapping(g) if g is not None else None}
            for f, g in zip(features, moved, strict=True)
        ]


_LABELS: Final[dict[Basemap, str]] = {
    Basemap.NONE: "无（网格边界）",
    Basemap.OSM: "OpenStreetMap",
    Basemap.TIANDITU: "天地图",
    Basemap.AMAP: "高德地图（叠加层已转换为 GCJ-02）",
}

NO_TILES: Final = Tiles()


def resolve_tiles(choice: str | None, settings: MapSettings | None = None) -> Tiles:
    """The base layer named by ``choice`` (``None``: the setting ``GRIDSVC_MAP_TILES``).

    Raises ``InvalidInput`` for an unknown name, or for ``tianditu`` without a key.
    """
    settings = settings or MapSettings.model_construct(map_tiles="none", tianditu_key=None)
    name = choice if choice is not None else settings.map_tiles
    try:
        basemap = Basemap(name)
    except ValueError:
        raise InvalidInput(
            "map.unknown_tiles", field="tiles", value=name, choices=[b.value for b in Basemap]
        ) from None
    if basemap is Basemap.NONE:
        return NO_TILES
    if basemap is Basemap.OSM:
        return Tiles(
            basemap,
            (
                TileSource(
                    "OpenStreetMap",
                    "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                    "&copy; OpenStreetMap contributors",
                    "abc",
                    19,
                ),
            ),
        )
    if basemap is Basemap.AMAP:
        return Tiles(
            basemap,
            (
                TileSource(
                    "高德地图",
                    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1"
                    "&style=8&x={x}&y={y}&z={z}",
                    "&copy; 高德地图 AutoNavi",
                    "1234",
                ),
            ),
        )
    key = settings.tianditu_key
    if not key:
        raise InvalidInput("map.tianditu_key", field="tiles")
    return Tiles(
        basemap,
        tuple(
            TileSource(
                name, _TIANDITU_WMTS.format(layer=layer, key=key), "&copy; 天地图", "01234567"
            )
            for name, layer in (("天地图", "vec"), ("天地图注记", "cva"))
        ),
    )
