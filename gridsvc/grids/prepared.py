"""Grid units prepared once for every check and repair: codes, parents, usable polygons.

Invalid polygons are replaced by what `shapely.make_valid` makes of them (`GeometryRepair`
records whether that counts as a repair). Areas are measured in m² in a Lambert azimuthal
equal-area projection centred on the data, so a tolerance means the same on the ground
anywhere.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gridsvc.grids.io import derive_parent_code

MAX_REPAIR_AREA_CHANGE = 0.01
"""`make_valid` counts as a repair if the area changes by at most this share (1 %)."""

_POLYGONAL = ("Polygon", "MultiPolygon")
_REASON_LOCATION = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\]")


@dataclass(frozen=True)
class GeometryRepair:
    """What `make_valid` makes of one invalid geometry; areas in m²."""

    reason: str
    polygons: shapely.MultiPolygon
    area_before_m2: float
    area_after_m2: float
    lon_lat: tuple[float, float] | None

    @property
    def fixable(self) -> bool:
        change = abs(self.area_after_m2 - self.area_before_m2)
        return not self.polygons.is_empty and change <= MAX_REPAIR_AREA_CHANGE * self.area_after_m2

    def describe_area(self) -> str:
        return f"area {format_m2(self.area_before_m2)} → {format_m2(self.area_after_m2)}"


@dataclass(frozen=True)
class Duplicate:
    """Rows sharing one code; `fixable` when they can be merged into one unit."""

    rows: tuple[int, ...]
    fixable: bool


@dataclass(frozen=True)
class PreparedUnits:
    """The units in a form every check shares.

    `polygons` are the usable polygonal content of each row in EPSG:4326 (None when there is
    none), invalid ones replaced by their `make_valid` polygons. All overlays are computed
    in EPSG:4326, where the edges are straight as stored (and as PostGIS will see them);
    only their results are projected, to measure areas in m². Projecting first would bend
    long edges differently from the short edges of their neighbours and invent slivers.
    """

    level: str
    units: gpd.GeoDataFrame
    codes: list[str]
    names: list[str]
    parent_codes: list[str | None]
    source_rows: list[int]
    geometries: list[Any]
    polygons: np.ndarray[Any, np.dtype[np.object_]]
    repairs: dict[int, GeometryRepair]
    parent_index: dict[str, int] | None
    parent_unit_codes: list[str]
    parent_polygons: np.ndarray[Any, np.dtype[np.object_]]
    to_m: Callable[[Any], Any]

    @classmethod
    def build(
        cls, units: gpd.GeoDataFrame, level: str, parents: gpd.GeoDataFrame | None
    ) -> PreparedUnits:
        if units.crs is None:
            raise ValueError("units have no CRS; read them with read_grid_file (EPSG:4326)")
        units = units.to_crs("EPSG:4326").reset_index(drop=True)
        codes = [str(code) if code is not None else "" for code in units["code"]]
        names = [str(n) if n is not None else "" for n in units.get("name", [""] * len(codes))]
        if "parent_code" in units:
            parent_codes = [None if p is None or p != p else str(p) for p in units["parent_code"]]
        else:
            parent_codes = [derive_parent_code(code, level) for code in codes]
        if "source_row" in units:
            source_rows = [int(row) for row in units["source_row"]]
        else:
            source_rows = list(range(1, len(codes) + 1))
        geometries = list(units.geometry)

        parent_geometries: list[Any] = []
        parent_index: dict[str, int] | None = None
        parent_unit_codes: list[str] = []
        if parents is not None:
            parents = parents.to_crs("EPSG:4326").reset_index(drop=True)
            parent_unit_codes = [str(code) for code in parents["code"]]
            parent_index = {code: i for i, code in enumerate(parent_unit_codes)}
            parent_geometries = list(parents.geometry)

        forward = pyproj.Transformer.from_crs(
            "EPSG:4326", _equal_area_crs(geometries), always_xy=True
        )
        to_m = _projector(forward)
        validity = shapely.is_valid_reason(np.asarray(geometries, dtype=object))
        repairs: dict[int, GeometryRepair] = {}
        polygons: list[shapely.MultiPolygon | None] = []
        for index, (geometry, reason) in enumerate(zip(geometries, validity, strict=True)):
            if geometry is None or geometry.is_empty:
                polygons.append(None)
                continue
            if is_polygonal(geometry) and reason != "Valid Geometry":
                repaired = as_multipolygon(shapely.make_valid(geometry))
                repairs[index] = GeometryRepair(
                    reason=reason,
                    polygons=repaired,
                    area_before_m2=float(shapely.area(to_m(geometry))),
                    area_after_m2=float(shapely.area(to_m(repaired))),
                    lon_lat=_reason_location(reason),
                )
                geometry = repaired
            content = as_multipolygon(geometry)
            polygons.append(None if content.is_empty else content)
        parent_polygons = [as_multipolygon(shapely.make_valid(g)) for g in parent_geometries]
        return cls(
            level=level,
            units=units,
            codes=codes,
            names=names,
            parent_codes=parent_codes,
            source_rows=source_rows,
            geometries=geometries,
            polygons=np.asarray(polygons, dtype=object),
            repairs=repairs,
            parent_index=parent_index,
            parent_unit_codes=parent_unit_codes,
            parent_polygons=np.asarray(parent_polygons, dtype=object),
            to_m=to_m,
        )

    def label(self, index: int) -> str:
        code = self.codes[index] or "(no code)"
        return f"{self.level} {code} (row {self.source_rows[index]})"

    def is_sound(self, index: int) -> bool:
        """False if the unit's geometry is invalid and `make_valid` is no safe repair of it."""
        repair = self.repairs.get(int(index))
        return repair is None or repair.fixable

    def area_m2(self, geometries: Any) -> Any:
        """Area in m² of EPSG:4326 geometries (a scalar for one, an array for an array)."""
        return shapely.area(self.to_m(geometries))

    def point(self, geometry: BaseGeometry | None) -> tuple[float | None, float | None]:
        """A point on `geometry` (EPSG:4326) as (lon, lat), or (None, None) if it is empty."""
        if geometry is None or geometry.is_empty:
            return None, None
        point = shapely.point_on_surface(geometry)
        return float(point.x), float(point.y)

    def usable(self) -> np.ndarray[Any, np.dtype[np.intp]]:
        return np.array([i for i, p in enumerate(self.polygons) if p is not None], dtype=np.intp)

    def duplicates(self) -> list[Duplicate]:
        """Groups of rows sharing a non-empty code; mergeable if name and parent agree too."""
        by_code: dict[str, list[int]] = defaultdict(list)
        for index, code in enumerate(self.codes):
            if code:
                by_code[code].append(index)
        groups = []
        for indices in by_code.values():
            if len(indices) > 1:
                same = {(self.names[i], self.parent_codes[i]) for i in indices}
                usable = all(self.polygons[i] is not None and self.is_sound(i) for i in indices)
                groups.append(Duplicate(tuple(indices), fixable=len(same) == 1 and usable))
        return groups


def _equal_area_crs(geometries: Sequence[Any]) -> pyproj.CRS:
    """Lambert azimuthal equal-area centred on the middle of the geometries' extent."""
    present = [g for g in geometries if g is not None and not g.is_empty]
    lon_0, lat_0 = 0.0, 0.0
    if present:
        min_x, min_y, max_x, max_y = shapely.total_bounds(present)
        if np.isfinite([min_x, min_y, max_x, max_y]).all():
            lon_0, lat_0 = (min_x + max_x) / 2, (min_y + max_y) / 2
    return pyproj.CRS.from_proj4(
        f"+proj=laea +lat_0={lat_0:.6f} +lon_0={lon_0:.6f} +datum=WGS84 +units=m +no_defs"
    )


def _projector(transformer: pyproj.Transformer) -> Callable[[Any], Any]:
    def project(geometries: Any) -> Any:
        return shapely.transform(geometries, transformer.transform, interleaved=False)

    return project


def is_polygonal(geometry: Any) -> bool:
    return geometry is not None and geometry.geom_type in _POLYGONAL


def as_multipolygon(geometry: Any) -> shapely.MultiPolygon:
    """The polygonal parts of `geometry` as one MultiPolygon (empty if there are none)."""
    if geometry is None or geometry.is_empty:
        return shapely.MultiPolygon()
    if geometry.geom_type == "MultiPolygon":
        return geometry
    if geometry.geom_type == "Polygon":
        return shapely.MultiPolygon([geometry])
    if geometry.geom_type != "GeometryCollection":
        return shapely.MultiPolygon()
    parts: list[shapely.Polygon] = []
    for part in shapely.get_parts(geometry):
        parts.extend(as_multipolygon(part).geoms)
    return shapely.MultiPolygon(parts)


def _reason_location(reason: str) -> tuple[float, float] | None:
    match = _REASON_LOCATION.search(reason)
    if match is None:
        return None
    return float(match.group(1)), float(match.group(2))


def format_m2(area_m2: float) -> str:
    return f"{area_m2:,.1f} m²" if area_m2 < 10 else f"{area_m2:,.0f} m²"


def format_rows(data: PreparedUnits, indices: Iterable[int]) -> str:
    return ", ".join(str(data.source_rows[i]) for i in indices)
