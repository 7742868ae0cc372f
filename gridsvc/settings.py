"""Settings, read from the environment (prefix ``GRIDSVC_``) only when asked.

Nothing here runs at import time: call :func:`load_settings` (the CLI and ``api.create_app``
do) or build the classes directly in tests.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class ServerSettings(BaseSettings):
    model_config = _ENV

    host: str = "127.0.0.1"
    port: int = 8000
    log_format: Literal["text", "json"] = "text"
    log_level: str = "info"


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
    max_body_bytes: int = Field(default=1_000_000, ge=1, description="largest JSON body")
    max_upload_bytes: int = Field(
        default=2_000_000_000, ge=1, description="largest file for POST /v1/imports"
    )
    max_geojson_bytes: int = Field(
        default=200_000_000, ge=1, description="GeoJSON imports are read whole; larger: NDJSON"
    )

    @property
    def future_tolerance(self) -> timedelta:
        return timedelta(minutes=self.future_tolerance_min)


class Settings(BaseModel):
    """All settings together; each part reads its own ``GRIDSVC_`` variables."""

    db: DatabaseSettings = Field(default_factory=DatabaseSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    grids: GridSettings = Field(default_factory=GridSettings)
    events: EventSettings = Field(default_factory=EventSettings)


def load_settings() -> Settings:
    """Read every setting from the environment now."""
    return Settings()
