"""Grid versions in PostGIS: load a set of units as a new version, activate, read, reassign.

A *version* is one complete grid set (all levels). Loading never changes an existing version;
events keep the version they were assigned with until ``reassign`` moves them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import geopandas as gpd
import psycopg2.extras
import shapely

from gridsvc.dates import CITY_TZ, local, local_iso
from gridsvc.db.pool import Connection, Database
from gridsvc.db.values import to_param
from gridsvc.errors import NoActiveGridVersion, NotFound, UnknownGrid
from gridsvc.grids.io import parse_level
from gridsvc.sql import query

UNIT_COLUMNS = (
    "code",
    "level",
    "name",
    "parent_code",
    "sector_code",
    "kind",
    "synthetic",
    "area_km2",
    "population",
)
_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class GridVersion:
    id: int
    name: str
    synthetic: bool
    source: str
    loaded_at: datetime
    active: bool
    notes: dict[str, Any]
    communities: int = 0
    grids: int = 0

    def __post_init__(self) -> None:
        # read in the pool's UTC session; shown everywhere (API, CLI, map captions) in the
        # city's zone
        object.__setattr__(self, "loaded_at", local(self.loaded_at))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "synthetic": self.synthetic,
            "source": self.source,
            "loaded_at": local_iso(self.loaded_at),
            "active": self.active,
            "communities": self.communities,
            "grids": self.grids,
        }


def insert_version(
    conn: Connection,
    units: gpd.GeoDataFrame,
    *,
    name: str,
    synthetic: bool,
    source: str,
    notes: dict[str, Any] | None = None,
    activate: bool = False,
) -> int:
    """Store ``units`` (columns :data:`UNIT_COLUMNS` + geometry, EPSG:4326) as a new version.

    Runs inside the caller's transaction, so a failure stores nothing.
    """
    if units.crs is None or units.crs.to_epsg() != 4326:
        raise ValueError("grid units must be in EPSG:4326")
    with conn.cursor() as cur:
        cur.execute(
            query("grid_version_insert"),
            {
                "name": name,
                "synthetic": synthetic,
                "source": source,
                "notes": json.dumps(notes or {}, ensure_ascii=False),
            },
        )
        row = cur.fetchone()
        assert row is not None
        version_id = int(row[0])
        geoms = shapely.to_wkb(units.geometry.values, hex=False)
        rows = []
        for record, wkb in zip(
            units[list(UNIT_COLUMNS)].itertuples(index=False), geoms, strict=True
        ):
            values = [to_param(v) for v in record]
            rows.append((version_id, *values, psycopg2.Binary(wkb)))
        psycopg2.extras.execute_values(
            cur,
            query("grid_unit_insert"),
            rows,
            template="(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, ST_Multi(ST_GeomFromWKB(%s, 4326)))",
            page_size=200,
        )
        cur.execute(query("grid_unit_parts_build"), {"version_id": version_id})
        if activate:
            cur.execute(query("grid_version_activate"), {"version_id": version_id})
    return version_id


def list_versions(db: Database) -> list[GridVersion]:
    rows = db.cursor_fetchall(query("grid_versions"))
    return [GridVersion(*row) for row in rows]


def active_version(db: Database) -> GridVersion:
    with db.connection() as conn, conn.cursor() as cur:
        return active_version_in(cur)


def active_version_in(cur: Any) -> GridVersion:
    """The active version, read with an open cursor (inside the caller's transaction)."""
    cur.execute(query("grid_version_active"))
    row = cur.fetchone()
    if row is not None:
        return GridVersion(*row)
    raise NoActiveGridVersion("grid.no_active")


def activate(db: Database, version_id: int) -> GridVersion:
    with db.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM grid_version WHERE id = %s", (version_id,))
        if cur.fetchone() is None:
            raise NotFound("grid.version_not_found", version_id=version_id)
        cur.execute(query("grid_version_activate"), {"version_id": version_id})
    return active_version(db)


def level_counts(db: Database) -> dict[str, int]:
    """Units per level in the active version (empty when none is active)."""
    return {level: int(n) for level, n in db.cursor_fetchall(query("grid_level_counts"))}


def read_units(db: Database, version_id: int) -> gpd.GeoDataFrame:
    """Every unit of a version, all levels, as a GeoDataFrame in EPSG:4326."""
    rows = db.cursor_fetchall(query("grid_units_of_version"), {"version_id": version_id})
    frame = gpd.GeoDataFrame(
        [row[:-1] for row in rows],
        columns=list(UNIT_COLUMNS),
        geometry=shapely.from_wkb([bytes(row[-1]) for row in rows]),
        crs="EPSG:4326",
    )
    return frame


def unit_features(
    db: Database,
    version: GridVersion,
    level: str,
    *,
    with_geometry: bool = True,
    simplify_m: float = 0.0,
) -> dict[str, Any]:
    """One level of a version as a GeoJSON FeatureCollection.

    ``simplify_m`` is a tolerance in metres, applied in degrees at ~111 km per degree (it is a
    display setting: Nanjing's latitude makes east-west tolerance ~15% larger in metres).
    """
    level = parse_level(level)
    rows = db.cursor_fetchall(
        query("grid_units_features"),
        {
            "version_id": version.id,
            "level": level,
            "with_geometry": with_geometry,
            "simplify_deg": max(simplify_m, 0.0) / _METRES_PER_DEGREE,
        },
    )
    features = []
    for code, name, lvl, parent, sector, kind, synthetic, area, population, geojson in rows:
        features.append(
            {
                "type": "Feature",
                "id": code,
                "properties": {
                    "code": code,
                    "name": name,
                    "level": lvl,
                    "parent_code": parent,
                    "sector_code": sector,
                    "kind": kind,
                    "synthetic": synthetic,
                    "area_km2": round(area, 4),
                    "population": population,
                },
                "geometry": json.loads(geojson) if geojson else None,
            }
        )
    return {
        "type": "FeatureCollection",
        "grid_version": version.to_dict(),
        "features": features,
    }


def unit_detail(db: Database, version: GridVersion, code: str) -> dict[str, Any]:
    """One unit with its parent chain and the number of its direct children."""
    rows = db.cursor_fetchall(query("grid_unit_one"), {"version_id": version.id, "code": code})
    if not rows:
        raise UnknownGrid(
            "grid.unknown_code",
            field="code",
            code=code,
            version_id=version.id,
            version=version.name,
        )
    code, name, level, parent, sector, kind, synthetic, area, population, geojson, n = rows[0]
    chain = []
    seen = {code}
    parent_code = parent
    while parent_code and parent_code not in seen:
        seen.add(parent_code)
        up = db.cursor_fetchall(
            query("grid_unit_one"), {"version_id": version.id, "code": parent_code}
        )
        if not up:
            break
        chain.append({"code": up[0][0], "name": up[0][1], "level": up[0][2]})
        parent_code = up[0][3]
    return {
        "code": code,
        "name": name,
        "level": level,
        "parent_code": parent,
        "sector_code": sector,
        "kind": kind,
        "synthetic": synthetic,
        "area_km2": round(area, 4),
        "population": population,
        "parents": chain,
        "children": int(n),
        "geometry": json.loads(geojson),
        "grid_version": version.to_dict(),
    }


@dataclass(frozen=True)
class ReassignResult:
    version_id: int
    total: int
    moved: int
    outside: int

    def to_dict(self) -> dict[str, int]:
        return {
            "version_id": self.version_id,
            "total": self.total,
            "moved": self.moved,
            "outside": self.outside,
        }


def reassign(db: Database, version_id: int, *, snap_m: float, near_m: float) -> ReassignResult:
    """Move every event not on ``version_id`` to that version's grids (in the database)."""
    with db.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM grid_version WHERE id = %s", (version_id,))
        if cur.fetchone() is None:
            raise NotFound("grid.version_not_found", version_id=version_id)
        # a bulk administrative operation: not bound by the per-request statement timeout
        cur.execute("SET LOCAL statement_timeout = 0")
        cur.execute(
            query("event_reassign"),
            {
                "version_id": version_id,
                "snap_m": snap_m,
                "near_m": near_m,
                "city_tz": CITY_TZ.key,
            },
        )
        total, moved, outside = cur.fetchone() or (0, 0, 0)
    return ReassignResult(version_id, int(total), int(moved), int(outside))
