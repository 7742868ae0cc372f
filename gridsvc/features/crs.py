"""The coordinate systems OGC API Features output may be asked for, by URI (Part 2).

Stored geometries are WGS-84 (EPSG:4326, x = lon). A request's ``crs`` names the system of the
answer and ``bbox-crs`` the system of its ``bbox``; both are URIs. Axis order follows the
definition, as Part 2 requires: CRS84 and GCJ-02 are (lon, lat); EPSG:4326 and EPSG:4490 are
(lat, lon); the CGCS2000 Gauss-Krüger zones (EPSG:4547/4548/4549, central meridians 114°E,
117°E, 120°E; Nanjing lies across the 117°E and 120°E zones, mostly in 120°E) are
(northing, easting) in metres, with no zone number prefixed to the easting.

GCJ-02 has no EPSG code and no official URI; map SDKs that draw on AMap or Tencent need it, so
it is offered under :data:`GCJ02_URI`, a name of gridsvc's own, in (lon, lat) order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import pyproj
import shapely

from gridsvc.crs import gcj02_to_wgs84, wgs84_to_gcj02
from gridsvc.errors import InvalidInput

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
GCJ02_URI = "urn:gridsvc:def:crs:GCJ-02"
"""gridsvc's name for GCJ-02 (no authority defines one): lon, lat in degrees."""

Coords = npt.NDArray[np.float64]


@dataclass(frozen=True)
class OutputCrs:
    """One system features can be written in. ``epsg`` None: CRS84 or GCJ-02 (lon, lat)."""

    uri: str
    label: str
    epsg: int | None
    lat_first: bool
    """The definition's first axis is latitude (or northing): coordinates are swapped."""
    decimals: int
    """Digits kept: 7 for degrees (~1 cm), 3 for metres."""

    @property
    def is_gcj02(self) -> bool:
        return self.uri == GCJ02_URI


def _epsg(code: int, label: str, decimals: int) -> OutputCrs:
    return OutputCrs(EPSG_URI.format(code), label, code, True, decimals)


CRS84 = OutputCrs(CRS84_URI, "WGS-84 经纬度 (CRS84，经度在前)", None, False, 7)
GCJ02 = OutputCrs(GCJ02_URI, "GCJ-02 火星坐标 (高德/腾讯，经度在前)", None, False, 7)
SUPPORTED: tuple[OutputCrs, ...] = (
    CRS84,
    _epsg(4326, "WGS-84 (EPSG:4326，纬度在前)", 7),
    _epsg(4490, "CGCS2000 (EPSG:4490，纬度在前)", 7),
    _epsg(4547, "CGCS2000 3度带 中央经线114°E (EPSG:4547)", 3),
    _epsg(4548, "CGCS2000 3度带 中央经线117°E (EPSG:4548)", 3),
    _epsg(4549, "CGCS2000 3度带 中央经线120°E (EPSG:4549)", 3),
    GCJ02,
)
_BY_URI = {c.uri: c for c in SUPPORTED}
# the short spellings clients also send
_ALIASES = {
    "CRS84": CRS84,
    "OGC:CRS84": CRS84,
    "urn:ogc:def:crs:OGC:1.3:CRS84": CRS84,
    "[OGC:CRS84]": CRS84,
    "GCJ-02": GCJ02,
    "GCJ02": GCJ02,
}
for _c in SUPPORTED:
    if _c.epsg is not None:
        for _alias in (
            f"EPSG:{_c.epsg}",
            f"[EPSG:{_c.epsg}]",
            f"urn:ogc:def:crs:EPSG::{_c.epsg}",
            f"https://www.opengis.net/def/crs/EPSG/0/{_c.epsg}",
        ):
            _ALIASES[_alias] = _c
_ALIASES["https://www.opengis.net/def/crs/OGC/1.3/CRS84"] = CRS84


def parse_crs(value: str | None, field: str) -> OutputCrs:
    """The system a URI names (None: CRS84); InvalidInput naming the accepted URIs."""
    if value is None or not value.strip():
        return CRS84
    found = _BY_URI.get(value.strip()) or _ALIASES.get(value.strip())
    if found is None:
        raise InvalidInput(
            "ogc.unknown_crs", field=field, value=value[:120], uris=[c.uri for c in SUPPORTED]
        )
    return found


@cache
def _transformer(epsg: int, inverse: bool) -> pyproj.Transformer:
    # always_xy: (lon, lat) / (easting, northing) in and out; the swap is done here, once
    src, dst = ("EPSG:4326", f"EPSG:{epsg}")
    if inverse:
        src, dst = dst, src
    return pyproj.Transformer.from_crs(src, dst, always_xy=True)


def _from_wgs84(crs: OutputCrs) -> Callable[[Coords], Coords]:
    def apply(xy: Coords) -> Coords:
        if crs.is_gcj02:
            x, y = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        elif crs.epsg is not None and crs.epsg not in (4326, 4490):
            x, y = _transformer(crs.epsg, False).transform(xy[:, 0], xy[:, 1])
        else:  # CGCS2000 and WGS-84 differ by centimetres: the same numbers (see gridsvc.crs)
            x, y = xy[:, 0], xy[:, 1]
        out = np.column_stack([y, x] if crs.lat_first else [x, y])
        return np.round(out, crs.decimals)

    return apply


def to_crs(geometries: npt.NDArray[np.object_], crs: OutputCrs) -> npt.NDArray[np.object_]:
    """WGS-84 shapely geometries written in ``crs`` (axis order of its definition, rounded to
    its precision); a new array, the input is unchanged."""
    if len(geometries) == 0:
        return geometries
    out: npt.NDArray[np.object_] = shapely.transform(geometries, _from_wgs84(crs))
    return out


def bbox_to_wgs84(
    bbox: tuple[float, float, float, float], crs: OutputCrs
) -> tuple[float, float, float, float]:
    """A bbox given in ``crs`` (min values then max values, in the definition's axis order)
    as (minlon, minlat, maxlon, maxlat) in WGS-84, the box that covers it."""
    a0, a1, b0, b1 = bbox
    if crs.lat_first:  # (minlat, minlon, maxlat, maxlon) or (minN, minE, maxN, maxE)
        x0, y0, x1, y1 = a1, a0, b1, b0
    else:
        x0, y0, x1, y1 = a0, a1, b0, b1
    if crs.is_gcj02:
        # the offset is smooth: the corners and edge midpoints bound the box to centimetres
        xs = np.array([x0, x1, x0, x1, (x0 + x1) / 2, (x0 + x1) / 2, x0, x1])
        ys = np.array([y0, y0, y1, y1, y0, y1, (y0 + y1) / 2, (y0 + y1) / 2])
        lon, lat = gcj02_to_wgs84(xs, ys)
        return float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max())
    if crs.epsg is not None and crs.epsg not in (4326, 4490):
        w, s, e, n = _transformer(crs.epsg, True).transform_bounds(x0, y0, x1, y1, densify_pts=21)
        return float(w), float(s), float(e), float(n)
    return x0, y0, x1, y1
