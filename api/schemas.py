"""Response and request bodies, as pydantic models (they also document the API)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, FiniteFloat, field_validator
from pydantic_core import PydanticCustomError


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class TextIn(BaseModel):
    """A request body: no text in it may hold a NUL character (PostgreSQL text cannot)."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if _has_nul(value):
            # its own error type: api.errors says it in the reader's words
            raise PydanticCustomError("nul_character", "text must not contain NUL characters")
        return value


class GridVersionOut(BaseModel):
    id: int
    name: str
    synthetic: bool = Field(description="true when boundaries below district level are made up")
    source: str
    loaded_at: str
    active: bool
    communities: int
    grids: int


class ReadReplicaOut(BaseModel):
    in_use: bool
    """Whether reads go there now (else to the primary: down, not a standby, or lagging)."""
    lag_s: float | None
    """Seconds behind the primary when last asked (0: caught up; null: unknown or down)."""


class HealthOut(BaseModel):
    status: Literal["ok", "no_grids", "unavailable"]
    """ok; no_grids: the database answers but no grid version is active (503, ``message``
    says what to run); unavailable: the database cannot be reached (503)."""
    database: Literal["ok", "unreachable"]
    postgresql: str | None = None
    postgis: str | None = None
    grid_version: GridVersionOut | None = None
    grid_units: dict[str, int] = Field(default_factory=dict)
    read_replicas: list[ReadReplicaOut] = Field(default_factory=list)
    """Each of ``GRIDSVC_READ_DATABASE_URL`` in order (none configured: empty). A replica
    out of use does not make the service unhealthy: the primary answers its reads."""
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


class LocateBatchIn(TextIn):
    crs: str = Field(default="wgs84", max_length=20, description="wgs84, cgcs2000, gcj02 or bd09")
    points: list[tuple[FiniteFloat, FiniteFloat]] = Field(
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


class EventIn(TextIn):
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
    category: str = Field(
        max_length=100, description="a leaf code of GET /v1/categories, e.g. hazard.fire"
    )
    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=5000)
    occurred_at: str = Field(
        max_length=50, description="ISO 8601 with a UTC offset, e.g. 2026-11-28T09:30:00+08:00"
    )
    reported_at: str | None = Field(
        default=None, max_length=50, description="ISO 8601; default: now"
    )
    lon: float = Field(allow_inf_nan=False, description="longitude in `crs`")
    lat: float = Field(allow_inf_nan=False, description="latitude in `crs`")
    crs: str = Field(default="wgs84", max_length=20, description="wgs84, cgcs2000, gcj02 or bd09")
    accuracy_m: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    source: str = Field(default="grid_worker", max_length=50)
    urgency: str | None = Field(
        default=None,
        max_length=20,
        description="normal, urgent or critical; default: the category's",
    )
    address: str | None = Field(default=None, max_length=500)
    media: list[Annotated[str, Field(max_length=2000)]] = Field(default_factory=list, max_length=20)
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


class ErrorOut(BaseModel):
    """Every 4xx and 5xx body: what was wrong and how to fix it, in words an app can show,
    in Chinese or English by the request's Accept-Language (header Content-Language)."""

    error: str = Field(description="the kind, e.g. InvalidInput, Unauthenticated, NotFound")
    message_id: str | None = Field(
        default=None,
        description="the message's id in gridsvc's catalogue, e.g. event.not_found: the same "
        "in every language",
    )
    message: str = Field(
        description="what was wrong, in the language of Accept-Language (zh-CN or en; "
        "default: GRIDSVC_CITY_LANGUAGE), with fields named as a form labels them"
    )
    hint: str | None = Field(default=None, description="how to fix it, in the same language")
    field: str | None = Field(
        default=None, description="the input that was wrong: its machine name, e.g. occurred_at"
    )
    details: dict[str, Any] | None = None
    retry_after_s: int | None = Field(default=None, description="429: seconds to wait")


def _error(description: str) -> dict[str, Any]:
    # the schema inline, not as a model: FastAPI would document a model under the route's
    # own media type (text/html for map pages), but errors are always JSON
    return {
        "description": description,
        "content": {"application/json": {"schema": ErrorOut.model_json_schema()}},
    }


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("a value is wrong; the body names it and the fix"),
    401: _error("no token, or an unknown or revoked one"),
    403: _error("the token's role or scope does not allow this"),
    404: _error("no such thing"),
    409: _error("conflicts with the stored state"),
    413: _error("the body or file is over the size limit"),
    422: _error("the request does not fit its schema"),
    429: _error("too many requests; see Retry-After"),
    503: _error("the database is away; retry after Retry-After"),
}
