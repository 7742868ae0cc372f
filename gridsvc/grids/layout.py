"""What the active grid version holds, level by level: how many units and where (lon/lat
extents, EPSG:4326). Read once per version and kept (``Gridsvc.memo``); the vector tiles'
layers and TileJSON bounds and the OGC collections and their extents are built on it."""

from __future__ import annotations

from dataclasses import dataclass

from gridsvc.service import Gridsvc
from gridsvc.sql import query

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class GridLayout:
    """Units per level and each level's (west, south, east, north) in degrees; ``bounds_wgs84``
    covers every level."""

    version_id: int
    units: dict[str, int]
    extents: dict[str, Box]

    @property
    def bounds_wgs84(self) -> Box:
        boxes = list(self.extents.values())
        return (
            min(b[0] for b in boxes),
            min(b[1] for b in boxes),
            max(b[2] for b in boxes),
            max(b[3] for b in boxes),
        )


def grid_layout(svc: Gridsvc) -> GridLayout:
    """The layout of the active version (NoActiveGridVersion without one), read once per
    version."""
    version_id = svc.locator().version.id

    def load() -> GridLayout:
        rows = svc.db.cursor_fetchall(query("grid_level_extents"), {"version_id": version_id})
        return GridLayout(
            version_id,
            {str(r[0]): int(r[1]) for r in rows},
            {str(r[0]): (float(r[2]), float(r[3]), float(r[4]), float(r[5])) for r in rows},
        )

    return svc.memo(("grids.layout", version_id), load)
