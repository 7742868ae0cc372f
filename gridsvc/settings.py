"""Settings, read from the environment (prefix ``GRIDSVC_``) only when asked.

Nothing here runs at import time: call :func:`load_settings` (the CLI and ``api.create_app``
do) or build the classes directly in tests.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Final, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from gridsvc.messages import language_of

_ENV = SettingsConfigDict(env_prefix="GRIDSVC_", extra="ignore")


def project_root() -> Path | None:
    """The checkout this package runs from, if it runs from one (editable install)."""
    root = Path(__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "gis_data").is_dir() else None


def _default_data_dir() -> Path:
    root = project_root()
    if root is not None:
        return root / ".gridsvc"
    return Path.home() / ".local" / "share" / "gridsvc"


_NEXT_URL = re.compile(r",\s*(?=postgres(?:ql)?://)")


class DatabaseSettings(BaseSettings):
    """Where the database is.

    With ``GRIDSVC_DATABASE_URL`` unset, gridsvc manages a private PostgreSQL cluster under
    ``data_dir`` (see :mod:`gridsvc.db.local`).
    """

    model_config = _ENV

    database_url: str | None = Field(
        default=None, description="postgresql:// URL of an existing PostGIS; unset = local"
    )
    data_dir: Path = Field(default_factory=_default_data_dir)
    db_port: int | None = Field(default=None, description="port of the local cluster")
    db_os_user: str = Field(
        default="postgres", description="unprivileged user that runs the local cluster as root"
    )
    pg_bindir: Path | None = Field(default=None, description="folder holding initdb, pg_ctl")
    pool_max: int = Field(default=8, ge=1)
    statement_timeout_ms: int = Field(default=30_000, ge=0)
    read_database_url: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="postgresql:// URLs of hot standbys (streaming replicas) of the database, "
        "comma-separated: statistics, maps, OGC features and vector tiles read there "
        "(gridsvc.db.replica); empty = everything on the primary",
    )
    read_max_lag_s: float = Field(
        default=30.0,
        ge=0,
        description="a replica further behind the primary than this (seconds since the last "
        "transaction it replayed, while WAL it received waits) is not read; the primary is",
    )
    read_health_s: float = Field(
        default=2.0,
        ge=0,
        description="how long a replica's health (up, a standby, lag) is trusted before it is "
        "asked again (0: every read)",
    )

    @field_validator("read_database_url", mode="before")
    @classmethod
    def _split_urls(cls, value: Any) -> Any:
        # a URL may itself hold commas (multi-host postgresql://h1:5432,h2:5432/db): split
        # only before the next URL's scheme
        if isinstance(value, str):
            value = _NEXT_URL.split(value)
        if isinstance(value, list):
            return [str(v).strip() for v in value if str(v).strip()]
        return value


class ServerSettings(BaseSettings):
    model_config = _ENV

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(
        default=1,
        ge=1,
        description="server processes for `gridsvc serve`; one per CPU core for throughput",
    )
    log_format: Literal["text", "json"] = "text"
    log_level: str = "info"
    token_cache_s: float = Field(
        default=5.0,
        ge=0,
        description="a server process remembers a working token this long (0: ask the "
        "database every request); a revoked token may work that long in other processes",
    )


class GridSettings(BaseSettings):
    model_config = _ENV

    snap_tolerance_m: float = Field(
        default=50.0, ge=0, description="points this close outside every grid are snapped in"
    )
    near_boundary_m: float = Field(
        default=5.0, ge=0, description="points this close to an internal boundary are flagged"
    )
    default_grids_path: Path | None = Field(
        default=None, description="GeoPackage loaded by `grids load-default`"
    )
    topology_tolerance_m2: float = Field(
        default=1.0, ge=0, description="overlaps, gaps and outside parts smaller are ignored"
    )
    locate_batch_max: int = Field(default=10_000, ge=1)
    locator_refresh_s: float = Field(
        default=5.0, ge=0, description="how often the API checks for a newly activated version"
    )


class EventSettings(BaseSettings):
    model_config = _ENV

    future_tolerance_min: float = Field(
        default=10.0, ge=0, description="how far occurred_at may lie ahead of the server clock"
    )
    import_batch_rows: int = Field(default=50_000, ge=1, description="rows per COPY batch")
    report_batch_max: int = Field(
        default=64,
        ge=1,
        description="reports of POST /v1/events waiting together stored in one transaction, "
        "at most (gridsvc.events.writer); 1 stores each alone",
    )
    max_body_bytes: int = Field(default=1_000_000, ge=1, description="largest JSON body")
    max_upload_bytes: int = Field(
        default=2_000_000_000, ge=1, description="largest file for POST /v1/imports"
    )
    max_geojson_bytes: int = Field(
        default=200_000_000, ge=1, description="GeoJSON imports are read whole; larger: NDJSON"
    )
    media_max_bytes: int = Field(
        default=5_000_000,
        ge=1,
        description="largest photo for POST /v1/media (JPEG, PNG or WebP; the field page sends "
        "~1600 px JPEG, a few hundred kB)",
    )

    @property
    def future_tolerance(self) -> timedelta:
        return timedelta(minutes=self.future_tolerance_min)


class MapSettings(BaseSettings):
    """Map pages: the default tile base layer and the key Tianditu requires."""

    model_config = _ENV

    map_tiles: Literal["none", "osm", "tianditu", "amap"] = Field(
        default="none",
        description="default base layer of map pages; none = the grid outlines only (offline)",
    )
    tianditu_key: str | None = Field(
        default=None,
        description="Tianditu browser key (tk), sent to the browser in pages with tiles=tianditu",
    )
    heat_sample_above: int = Field(
        default=500_000,
        ge=0,
        description="heat maps of a selection the planner estimates above this many events "
        "bin a page sample of about this many, weights scaled up, and say so on the map "
        "(0: always every event)",
    )


class SecuritySettings(BaseSettings):
    """What the API lets through: browser origins, request rates, failed logins.

    Rates are token buckets kept in the process (one uvicorn worker = one bucket set).
    """

    model_config = _ENV

    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="origins allowed to call the API from a browser, comma-separated "
        "(e.g. https://embed.example.gov.cn); empty = no cross-origin access",
    )
    rate_limit_per_s: float = Field(
        default=0.0,
        ge=0,
        description="requests per second per token (per client IP without one); 0 = no limit",
    )
    rate_limit_burst: int = Field(
        default=0, ge=0, description="bucket size of rate_limit_per_s; 0 = 10 seconds' worth"
    )
    auth_failures_per_min: float = Field(
        default=60.0,
        ge=0,
        description="401 answers per minute per client IP before it gets 429; 0 = no limit",
    )

    session_hours: float = Field(
        default=12.0,
        gt=0,
        le=24 * 90,
        description="a console sign-in lasts this long (a field phone may want days)",
    )
    login_failures_max: int = Field(
        default=5, ge=1, description="wrong passwords in a row before an account locks"
    )
    login_lock_minutes: float = Field(
        default=15.0, gt=0, description="how long a locked account stays locked"
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto",
        description="the session cookie's Secure flag: auto = when the request came over "
        "HTTPS (behind a proxy, with --proxy-headers)",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lstrip().startswith("["):
            value = json.loads(value)  # a JSON list works too
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list):
            return [str(v).strip().rstrip("/") for v in value if str(v).strip()]
        return value


_FRAME_SOURCE = re.compile(
    r"^(?:'self'|'none'|\*|https?://(?:\*\.)?[A-Za-z0-9.-]+(?::(?:[0-9]{1,5}|\*))?)$"
)


class EmbedSettings(BaseSettings):
    """Public map embeds (``/embed/{token}``, see :mod:`gridsvc.embeds`).

    Without ``GRIDSVC_EMBED_SECRET`` a random secret is made once and kept in the database
    (table ``service_secret``). Changing the secret invalidates every published link.
    """

    model_config = _ENV

    embed_secret: SecretStr | None = Field(
        default=None,
        description="HMAC-SHA256 key of embed links, at least 32 characters; unset = made once "
        "and kept in the database",
    )
    embed_min_count: int = Field(
        default=5,
        ge=1,
        description="units and heat cells with fewer events show as '<k', never the count",
    )
    embed_frame_ancestors: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["'self'"],
        description="origins whose pages may show embeds in an iframe, comma-separated "
        "(e.g. https://briefing.example.gov.cn); default 'self': this server's pages only; "
        "empty: none",
    )

    @field_validator("embed_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("embed_secret must be at least 32 characters (e.g. 64 hex digits)")
        return value

    @field_validator("embed_frame_ancestors", mode="before")
    @classmethod
    def _split_ancestors(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.replace(",", " ").split()
        if isinstance(value, list):
            cleaned = [str(v).strip().rstrip("/") for v in value if str(v).strip()]
            return [f"'{v}'" if v in ("self", "none") else v for v in cleaned]
        return value

    @field_validator("embed_frame_ancestors")
    @classmethod
    def _check_ancestors(cls, value: list[str]) -> list[str]:
        # each becomes part of a Content-Security-Policy header: no ';', spaces or paths
        bad = [v for v in value if not _FRAME_SOURCE.match(v)]
        if bad:
            raise ValueError(
                f"not a frame-ancestors source: {bad}; use origins like "
                "https://briefing.example.gov.cn[:port], 'self', 'none' or *"
            )
        return value or ["'none'"]


class CitySettings(BaseSettings):
    """The city gridsvc serves (``GRIDSVC_CITY_*``): Nanjing by default.

    The one source of the city's code and time zone. Modules need both as constants
    (:data:`gridsvc.access.CITY_CODE`, :data:`gridsvc.dates.CITY_TZ`, and through them the SQL
    that takes the zone as a parameter), so those are read once, when gridsvc is first
    imported (:data:`CITY_AT_START`): a second city sets ``GRIDSVC_CITY_CODE`` and
    ``GRIDSVC_CITY_TIME_ZONE`` for its processes (and loads its grids). Settings read later
    naming another city are refused, not half applied (restart to change city).
    ``language`` is read whenever settings are.
    """

    model_config = SettingsConfigDict(env_prefix="GRIDSVC_CITY_", extra="ignore")

    code: str = Field(default="320100", description="the city's administrative code")
    name: str = Field(default="南京市", description="the city's name, as pages show it")
    time_zone: str = Field(default="Asia/Shanghai", description="the city's IANA time zone")
    language: str = Field(
        default="zh-CN",
        description="language of messages when a request's Accept-Language names neither "
        "Chinese (zh, zh-CN, zh-Hans) nor English (en)",
    )

    @field_validator("language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if language_of(value) is None:
            raise ValueError(f"language must be Chinese (zh-CN) or English (en), not {value!r}")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"not an IANA time zone: {value!r}") from None
        return value

    @model_validator(mode="after")
    def _the_started_city(self) -> CitySettings:
        started = _started_city
        if started is None:  # reading the city at start
            return self
        for name in ("code", "time_zone"):
            if getattr(self, name) != getattr(started, name):
                raise ValueError(
                    f"{name} {getattr(self, name)!r}: this process serves {started.code} "
                    f"({started.time_zone}), as GRIDSVC_CITY_CODE and GRIDSVC_CITY_TIME_ZONE "
                    "said when it started; start it again to serve another city"
                )
        return self


_started_city: CitySettings | None = None
# the city's code, name and zone from the environment as it is now; the language is left at
# its default here (a wrong GRIDSVC_CITY_LANGUAGE is refused when settings are read, with
# the other settings, not at import)
_started_city = CitySettings(language=CitySettings.model_fields["language"].default)
CITY_AT_START: Final = _started_city
"""The city of this process, read from ``GRIDSVC_CITY_*`` when gridsvc is first imported:
the source of the constants other modules need at import (:data:`gridsvc.access.CITY_CODE`,
:data:`gridsvc.dates.CITY_TZ`)."""


class Settings(BaseModel):
    """All settings together; each part reads its own ``GRIDSVC_`` variables."""

    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    grids: GridSettings = Field(default_factory=GridSettings)
    events: EventSettings = Field(default_factory=EventSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    maps: MapSettings = Field(default_factory=MapSettings)
    embeds: EmbedSettings = Field(default_factory=EmbedSettings)
    city: CitySettings = Field(default_factory=CitySettings)


def load_settings() -> Settings:
    """Read every setting from the environment now."""
    return Settings()
