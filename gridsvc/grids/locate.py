"""Point → grid lookups in process, for one grid version.

Containment is tested in EPSG:4326 (as PostGIS does on ``grid_unit_part``), so the in-process
and in-database answers agree to the bit. Distances (snapping, nearest grid, boundary
proximity) are measured in metres in the UTM zone of the dataset's centre.

Rules, in order, for each point (WGS-84):

1. inside a community (a point on a shared edge goes to the lowest code): assigned;
2. else within ``snap_tolerance_m`` of one: assigned to the nearest, flagged ``snapped``;
3. else outside: no assignment; the nearest community and its distance are reported.

``near_boundary`` is set when another community lies within ``near_boundary_m``, i.e. the
point is that close to an *internal* boundary, where GPS error may have put it on the wrong
side. A version with a ``grid`` level also gets the grid unit containing the point.

Lookups are vectorised through shapely's STRtree: cost O(n log m) for n points, m polygons.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pyproj
import shapely

from gridsvc.grids.store import GridVersion

CHAIN_LEVELS = ("grid", "community", "street", "sector", "district", "city")


@dataclass(frozen=True)
class UnitRef:
    code: str
    name: str
    level: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "level": self.level}


@dataclass(frozen=True)
class Location:
    """Where one point falls. ``units`` runs from the finest level to the city."""

    lon_wgs84: float
    lat_wgs84: float
    units: tuple[UnitRef, ...]
    snapped: bool
    near_boundary: bool
    distance_m: float
    """0 inside a community; the snapping distance when snapped; else to the nearest."""
    nearest: UnitRef | None
    """For a point outside every community: the nearest one."""

    @property
    def found(self) -> bool:
        return bool(self.units)

    def code(self, level: str) -> str | None:
        for unit in self.units:
            if unit.level == level:
                return unit.code
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "lon_wgs84": self.lon_wgs84,
            "lat_wgs84": self.lat_wgs84,
            "found": self.found,
            "snapped": self.snapped,
            "near_boundary": self.near_boundary,
            "distance_m": round(self.distance_m, 2),
            "units": [u.to_dict() for u in self.units],
            "codes": {u.level: u.code for u in self.units},
            "nearest": self.nearest.to_dict() if self.nearest else None,
        }


def _utm_for(lon: float, lat: float) -> pyproj.CRS:
    zone = int((lon + 180) // 6) + 1
    return pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)


def _first_hit(
    hit_pt: npt.NDArray[np.intp], hit_poly: npt.NDArray[np.intp], n: int
) -> npt.NDArray[np.int64]:
    """Per point (0..n-1), the lowest polygon index among its hits, or -1.

    Polygons are indexed in code order, so a point on a shared edge gets the lowest code.
    """
    found = np.full(n, -1, dtype=np.int64)
    if len(hit_pt):
        order = np.lexsort((hit_poly, hit_pt))
        hit_pt, hit_poly = hit_pt[order], hit_poly[order]
        first = np.ones(len(hit_pt), dtype=bool)
        first[1:] = hit_pt[1:] != hit_pt[:-1]
        found[hit_pt[first]] = hit_poly[first]
    return found


@dataclass(frozen=True)
class Assignment:
    """Arrays, one entry per point: indexes into the locator's communities/grids (-1: none)."""

    lon_wgs84: npt.NDArray[np.float64]
    lat_wgs84: npt.NDArray[np.float64]
    community: npt.NDArray[np.int64]
    grid: npt.NDArray[np.int64]
    snapped: npt.NDArray[np.bool_]
    near_boundary: npt.NDArray[np.bool_]
    distance_m: npt.NDArray[np.float64]
    nearest: npt.NDArray[np.int64]


class Locator:
    """An in-memory index of one grid version's communities (and grids, if any)."""

    def __init__(
        self,
        version: GridVersion,
        units: gpd.GeoDataFrame,
        *,
        snap_tolerance_m: float,
        near_boundary_m: float,
    ) -> None:
        self.version = version
        self.snap_tolerance_m = snap_tolerance_m
        self.near_boundary_m = near_boundary_m
        self._refs: dict[str, UnitRef] = {}
        self._parent: dict[str, str | None] = {}
        self._sector: dict[str, str | None] = {}
        for row in units[["code", "name", "level", "parent_code", "sector_code"]].itertuples(
            index=False
        ):
            self._refs[row.code] = UnitRef(row.code, row.name, row.level)
            self._parent[row.code] = row.parent_code
            self._sector[row.code] = row.sector_code
        communities = units[units["level"] == "community"].sort_values("code")
        if communities.empty:
            raise ValueError(f"grid version {version.id} has no community units")
        self._codes = communities["code"].to_numpy(dtype=object)
        self._names = [str(n) for n in communities["name"]]
        geoms = communities.geometry.to_numpy()
        shapely.prepare(geoms)
        self._tree = shapely.STRtree(geoms)
        centre = shapely.union_all(shapely.envelope(geoms)).centroid
        self._to_metric = pyproj.Transformer.from_crs(
            "EPSG:4326", _utm_for(centre.x, centre.y), always_xy=True
        )
        metric = shapely.transform(geoms, self._project, interleaved=False)
        self._tree_m = shapely.STRtree(metric)
        grids = units[units["level"] == "grid"].sort_values("code")
        self._grid_codes = grids["code"].to_numpy(dtype=object)
        community_index = {str(c): i for i, c in enumerate(self._codes)}
        self._grid_parent = np.array(
            [community_index.get(str(p), -1) for p in grids["parent_code"]], dtype=np.int64
        )
        self._grid_tree = shapely.STRtree(grids.geometry.to_numpy()) if len(grids) else None
        self._chains: dict[str, tuple[UnitRef, ...]] = {}
        self._level_codes: dict[str, npt.NDArray[np.object_]] = {
            level: np.array([self._chain_code(str(c), level) for c in self._codes], dtype=object)
            for level in ("community", "street", "sector", "district")
        }

    def _chain_code(self, community_code: str, level: str) -> str | None:
        return next((u.code for u in self.chain(community_code) if u.level == level), None)

    def _project(
        self, x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        mx, my = self._to_metric.transform(x, y)
        return np.asarray(mx), np.asarray(my)

    @property
    def community_count(self) -> int:
        return len(self._codes)

    @property
    def community_codes(self) -> npt.NDArray[np.object_]:
        """Community codes in index order (the indexes :class:`Assignment` holds)."""
        codes: npt.NDArray[np.object_] = self._codes
        return codes

    @property
    def community_names(self) -> list[str]:
        return self._names

    def chain(self, code: str) -> tuple[UnitRef, ...]:
        """The unit and its ancestors, finest first: grid?, community, street, sector,
        district, city."""
        cached = self._chains.get(code)
        if cached is not None:
            return cached
        refs: list[UnitRef] = []
        current: str | None = code
        sector_added = False
        while current is not None and current in self._refs:
            ref = self._refs[current]
            refs.append(ref)
            sector = self._sector.get(current)
            if ref.level == "street" and sector and sector in self._refs and not sector_added:
                refs.append(self._refs[sector])
                sector_added = True
            current = self._parent.get(current)
        result = tuple(refs)
        self._chains[code] = result
        return result

    def assign(self, lon_wgs84: npt.ArrayLike, lat_wgs84: npt.ArrayLike) -> Assignment:
        """Vectorised assignment of n WGS-84 points; see :class:`Assignment`."""
        lon = np.asarray(lon_wgs84, dtype=np.float64).ravel()
        lat = np.asarray(lat_wgs84, dtype=np.float64).ravel()
        n = len(lon)
        # (coordinates as one (n, 2) array: shapely 2.1+ checks separate x, y arguments for
        # deprecated positional use, ~8 µs a call, as long as a one-point query)
        points = shapely.points(np.column_stack((lon, lat)))
        hit_pt, hit_poly = self._tree.query(points, predicate="intersects")
        community = _first_hit(hit_pt, hit_poly, n)
        distance = np.zeros(n)
        snapped = np.zeros(n, dtype=bool)
        nearest = np.full(n, -1, dtype=np.int64)
        outside = np.flatnonzero(community < 0)
        need_metric = len(outside) or self.near_boundary_m > 0
        points_m = (
            shapely.points(np.column_stack(self._project(lon, lat))) if need_metric else points
        )
        if len(outside):
            (idx_pt, idx_poly), dist = self._tree_m.query_nearest(
                points_m[outside], return_distance=True, all_matches=False
            )
            pts = outside[idx_pt]
            nearest[pts] = idx_poly
            distance[pts] = dist
            close = dist <= self.snap_tolerance_m
            community[pts[close]] = idx_poly[close]
            snapped[pts[close]] = True
        near = np.zeros(n, dtype=bool)
        if self.near_boundary_m > 0:
            near_pt, _near_poly = self._tree_m.query(
                points_m, predicate="dwithin", distance=self.near_boundary_m
            )
            if len(near_pt):
                near = (np.bincount(near_pt, minlength=n) > 1) & (community >= 0)
        grid = np.full(n, -1, dtype=np.int64)
        if self._grid_tree is not None:
            # only the grids of the community the point was assigned to (edges, snapping)
            g_pt, g_poly = self._grid_tree.query(points, predicate="intersects")
            ok = self._grid_parent[g_poly] == community[g_pt]
            grid = _first_hit(g_pt[ok], g_poly[ok], n)
        return Assignment(lon, lat, community, grid, snapped, near, distance, nearest)

    def codes(self, assignment: Assignment) -> dict[str, npt.NDArray[np.object_]]:
        """Per point, the code at each level (None where unassigned), as object arrays."""
        table = self._level_codes
        idx = assignment.community
        found = idx >= 0
        out: dict[str, npt.NDArray[np.object_]] = {}
        for level, column in table.items():
            values = np.full(len(idx), None, dtype=object)
            values[found] = column[idx[found]]
            out[level] = values
        grid = np.full(len(idx), None, dtype=object)
        has_grid = assignment.grid >= 0
        grid[has_grid] = self._grid_codes[assignment.grid[has_grid]]
        out["grid"] = grid
        return out

    def locate_many(self, lon_wgs84: npt.ArrayLike, lat_wgs84: npt.ArrayLike) -> list[Location]:
        """Locate n points (WGS-84 degrees), answers in input order."""
        a = self.assign(lon_wgs84, lat_wgs84)
        lon, lat, n = a.lon_wgs84, a.lat_wgs84, len(a.lon_wgs84)
        community, grid, snapped, near = a.community, a.grid, a.snapped, a.near_boundary
        distance, nearest = a.distance_m, a.nearest
        results = []
        for i in range(n):
            units: tuple[UnitRef, ...] = ()
            if community[i] >= 0:
                units = self.chain(str(self._codes[community[i]]))
                if grid[i] >= 0:
                    units = (self._refs[str(self._grid_codes[grid[i]])], *units)
            near_ref = None
            if not units and nearest[i] >= 0:
                near_ref = self._refs[str(self._codes[nearest[i]])]
            results.append(
                Location(
                    lon_wgs84=float(lon[i]),
                    lat_wgs84=float(lat[i]),
                    units=units,
                    snapped=bool(snapped[i]),
                    near_boundary=bool(near[i]),
                    distance_m=float(distance[i]),
                    nearest=near_ref,
                )
            )
        return results

    def locate(self, lon_wgs84: float, lat_wgs84: float) -> Location:
        return self.locate_many([lon_wgs84], [lat_wgs84])[0]
