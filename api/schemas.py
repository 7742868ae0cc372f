"""Response and request bodies, as pydantic models (they also document the API)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class GridVersionOut(BaseModel):
    id: int
    name: str
    synthetic: bool = Field(description="true when boundaries below district level are made up")
    source: str
    loaded_at: str
    active: bool
    communities: int
    grids: int


class HealthOut(BaseModel):
    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unreachable"]
    postgresql: str | None = None
    postgis: str | None = None
    grid_version: GridVersionOut | None = None
    grid_units: dict[str, int] = Field(default_factory=dict)
    message: str | None = None


class UnitRefOut(BaseModel):
    code: str
    name: str
    level: str


class LocationOut(BaseModel):
    lon_wgs84: float
    lat_wgs84: float
    found: bool
    snapped: bool = Field(description="outside every grid but within the snap tolerance")
    near_boundary: bool = Field(description="within a few metres of another grid")
    distance_m: float
    units: list[UnitRefOut] = Field(description="finest level first, up to the city")
    codes: dict[str, str]
    nearest: UnitRefOut | None = None


class LocateOut(LocationOut):
    input: dict[str, Any]
    grid_version: GridVersionOut


class LocateBatchIn(BaseModel):
    crs: str = Field(default="wgs84", description="wgs84, cgcs2000, gcj02 or bd09")
    points: list[tuple[float, float]] = Field(
        description="[lon, lat] pairs in `crs`", min_length=1
    )


class LocateBatchOut(BaseModel):
    crs: str
    grid_version: GridVersionOut
    found: int
    results: list[LocationOut]


class GridUnitDetailOut(BaseModel):
    code: str
    name: str
    level: str
    parent_code: str | None
    sector_code: str | None
    kind: str | None
    synthetic: bool
    area_km2: float
    population: int | None
    parents: list[UnitRefOut]
    children: int
    geometry: dict[str, Any]
    grid_version: GridVersionOut
