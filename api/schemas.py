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
    points: list[tuple[float, float]] = Field(description="[lon, lat] pairs in `crs`", min_length=1)


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


class EventIn(BaseModel):
    """One report from a grid worker's app (or another channel)."""

    model_config = {"extra": "forbid"}

    client_event_id: str = Field(
        min_length=1,
        max_length=100,
        description="set by the app, unique per reporter: a retry with the same id is stored once",
    )
    reporter_id: str | None = Field(
        default=None, min_length=1, max_length=100, description="default: the token's name"
    )
    category: str = Field(description="a leaf code of GET /v1/categories, e.g. hazard.fire")
    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=5000)
    occurred_at: str = Field(
        description="ISO 8601 with a UTC offset, e.g. 2026-11-28T09:30:00+08:00"
    )
    reported_at: str | None = Field(default=None, description="ISO 8601; default: now")
    lon: float = Field(allow_inf_nan=False, description="longitude in `crs`")
    lat: float = Field(allow_inf_nan=False, description="latitude in `crs`")
    crs: str = Field(default="wgs84", description="wgs84, cgcs2000, gcj02 or bd09")
    accuracy_m: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    source: str = "grid_worker"
    urgency: str | None = Field(
        default=None, description="normal, urgent or critical; default: the category's"
    )
    address: str | None = Field(default=None, max_length=500)
    media: list[str] = Field(default_factory=list, max_length=20)
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="the category's extra fields"
    )


class EventCreatedOut(BaseModel):
    created: bool = Field(description="false when this was a replay of a stored report")
    event: dict[str, Any]
    possible_duplicates: list[dict[str, Any]] = Field(
        description="open events of the same category nearby in space and time"
    )


class ImportOut(BaseModel):
    import_id: int
    filename: str
    format: str
    rows_read: int
    stored: int
    already_stored: int
    rejected: int
    ignored_columns: list[str]
    rejections: list[dict[str, Any]]
    rejections_truncated: bool
    seconds: float
