"""Events for the embed tests: three large streets with 3, 7 and 12 events, each all at one
point inside the street, carrying personal data that must never reach a public page."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from gridsvc.events.importer import import_events
from gridsvc.grids import store
from gridsvc.service import Gridsvc

COUNTS = (3, 7, 12)
REPORTER = "reporter-embed-7731"
DESCRIPTION = "楼道堆放杂物描述样本"
ADDRESS = "样本路8831号"


@dataclass(frozen=True)
class Seeded:
    codes: tuple[str, ...]
    """Street codes with COUNTS[i] events each."""
    names: tuple[str, ...]
    points: tuple[tuple[float, float], ...]
    """(lon_wgs84, lat_wgs84) of each street's events."""


def seed_streets(svc: Gridsvc) -> Seeded:
    units = store.read_units(svc.db, store.active_version(svc.db).id)
    streets = units[units["level"] == "street"].sort_values("area_km2", ascending=False)
    chosen = streets.iloc[[0, 2, 4]]  # large, apart enough to be separate heat cells
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(
        [
            "client_event_id",
            "category",
            "occurred_at",
            "lon",
            "lat",
            "reporter_id",
            "title",
            "description",
            "address",
        ]
    )
    points = []
    for (_, street), count in zip(chosen.iterrows(), COUNTS, strict=True):
        point = street.geometry.representative_point()
        points.append((round(point.x, 6), round(point.y, 6)))
        for i in range(count):
            writer.writerow(
                [
                    f"{street['code']}-{i}",
                    "hazard.fire",
                    "2026-11-20T10:00:00+08:00",
                    points[-1][0],
                    points[-1][1],
                    REPORTER,
                    "隐患",
                    DESCRIPTION,
                    ADDRESS,
                ]
            )
    report = import_events(
        svc, io.BytesIO(buf.getvalue().encode()), filename="embed.csv", synthetic=True
    )
    assert report.rejected == 0, report
    return Seeded(tuple(chosen["code"]), tuple(chosen["name"]), tuple(points))
