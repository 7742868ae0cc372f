"""The default Nanjing grid dataset built in ``gis_data/`` (synthetic below district level)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd

from gridsvc.db.pool import Database
from gridsvc.errors import SetupError
from gridsvc.grids import store
from gridsvc.settings import GridSettings, project_root

DATASET_FILE = "nanjing_grids.gpkg"


def default_dataset_path(settings: GridSettings) -> Path:
    if settings.default_grids_path is not None:
        return settings.default_grids_path
    root = project_root()
    if root is None:
        raise SetupError("grid.dataset_not_installed")
    return root / "gis_data" / DATASET_FILE


def read_default(path: Path) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    if not path.is_file():
        raise SetupError("grid.dataset_missing", path=path)
    units = gpd.read_file(path, layer="grid_unit")
    meta_path = path.with_name(path.stem + ".meta.json")
    meta: dict[str, Any] = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if units.crs is None or units.crs.to_epsg() != 4326:
        units = units.to_crs(4326)
    return units, meta


def load_default(db: Database, settings: GridSettings, *, if_empty: bool = True) -> int | None:
    """Load the default dataset as a new active version; with ``if_empty``, only when no
    version exists yet. Returns the new version id, or None when nothing was loaded."""
    if if_empty and store.list_versions(db):
        return None
    path = default_dataset_path(settings)
    units, meta = read_default(path)
    activate = not any(v.active for v in store.list_versions(db))
    with db.connection() as conn:
        return store.insert_version(
            conn,
            units,
            name=str(meta.get("name", path.stem)),
            synthetic=bool(meta.get("synthetic", units["synthetic"].any())),
            source=str(meta.get("source", path.name)),
            notes={k: v for k, v in meta.items() if k not in ("name", "synthetic", "source")},
            activate=activate or not if_empty,
        )
