"""The collections gridsvc offers as OGC API Features, and their items as GeoJSON features.

- one collection per grid level of the active version that has units (``districts``,
  ``sectors``, ``streets``, ``communities``, ``grids``): polygons, id = the unit's code;
- ``events``: points, id = the event's id, with the same filters, scope and redaction as
  ``GET /v1/events`` (:class:`gridsvc.events.store.EventFilter`), latest occurred_at first;
- ``{level}_stats`` for districts, streets and communities: each unit's polygon with its
  counts over :data:`STATS_DAYS` whole days up to yesterday (city time), the numbers
  ``/v1/stats/grids`` gives for the same dates. Citywide roles only, like every statistic.

Geometries leave here in the requested :class:`~gridsvc.features.crs.OutputCrs`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely

from gridsvc.access import Principal
from gridsvc.dates import local
from gridsvc.errors import Forbidden, NotFound
from gridsvc.events import keyset
from gridsvc.events import store as event_store
from gridsvc.features.crs import CRS84, OutputCrs, to_crs
from gridsvc.grids import store as grid_store
from gridsvc.grids.layout import grid_layout
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from gridsvc.stats.filters import StatsFilter
from gridsvc.stats.grids import counts_by_unit

STATS_DAYS = 30
"""The window of the statistics collections: the last 30 whole days, today excluded."""

GRID_LEVELS = {
    "districts": ("district", "区", "Districts"),
    "sectors": ("sector", "板块", "Sectors"),
    "streets": ("street", "街道/镇", "Streets and towns"),
    "communities": ("community", "社区（社区网格）", "Communities (community grids)"),
    "grids": ("grid", "网格", "Grids"),
}
STATS_LEVELS = {
    "district_stats": ("district", "区事件统计（近 30 天）"),
    "street_stats": ("street", "街道事件统计（近 30 天）"),
    "community_stats": ("community", "社区事件统计（近 30 天）"),
}
EVENTS = "events"


@dataclass(frozen=True)
class Collection:
    id: str
    kind: str  # "grid", "events" or "stats"
    title: str
    description: str
    level: str | None
    bbox_wgs84: tuple[float, float, float, float] | None
    item_type: str = "feature"


def collections(svc: Gridsvc, principal: Principal) -> list[Collection]:
    """What ``principal`` may read, in a fixed order: grid levels that have units, events,
    then (citywide callers only) the statistics."""
    version = grid_store.active_version(svc.read_db)
    synthetic = "；区以下边界为合成数据，非官方边界" if version.synthetic else ""
    layout = grid_layout(svc)
    city_box = layout.bounds_wgs84
    found: list[Collection] = []
    for cid, (level, title, _en) in GRID_LEVELS.items():
        n = layout.units.get(level, 0)
        if n == 0:
            continue
        box = layout.extents[level]
        found.append(
            Collection(
                cid,
                "grid",
                title,
                f"{title}：{n} 个单元，网格版本 {version.name}{synthetic}。",
                level,
                box,
            )
        )
    found.append(
        Collection(
            EVENTS,
            "events",
            "事件（上报的事件和隐患）",
            "网格员上报的事件和安全隐患，最新在前；可按 datetime、category、status、urgency、"
            "source、grid 筛选。只含您有权查看的事件；分析员看不到上报人、描述和地址。",
            None,
            city_box,
        )
    )
    if principal.citywide:
        for cid, (level, title) in STATS_LEVELS.items():
            found.append(
                Collection(
                    cid,
                    "stats",
                    title,
                    f"每个单元近 {STATS_DAYS} 天（不含今天）的事件数、每平方公里密度、"
                    "每千人发生率；与 /v1/stats/grids 同一时间段的数字一致。",
                    level,
                    city_box,
                )
            )
    return found


def find(svc: Gridsvc, principal: Principal, collection_id: str) -> Collection:
    """The collection ``collection_id``; NotFound naming the ones there are, Forbidden for a
    statistics collection asked for by a caller who is not citywide."""
    if collection_id in STATS_LEVELS and not principal.citywide:
        raise Forbidden("ogc.stats_citywide", who=principal.who())
    available = collections(svc, principal)
    for c in available:
        if c.id == collection_id:
            return c
    raise NotFound(
        "ogc.no_collection",
        field="collection_id",
        collection=collection_id[:80],
        available=[c.id for c in available],
    )


@dataclass(frozen=True)
class Page:
    """One page of features, ``next_cursor`` (events) or ``next_offset`` (units) set when
    there is a next page; ``matched`` when it is known cheaply (units, statistics)."""

    features: list[dict[str, Any]]
    matched: int | None = None
    next_cursor: str | None = None
    next_offset: int | None = None


def _features(
    ids: list[Any], props: list[dict[str, Any]], geoms: np.ndarray, crs: OutputCrs
) -> list[dict[str, Any]]:
    shown = to_crs(geoms, crs)
    texts = shapely.to_geojson(shown)
    return [
        {"type": "Feature", "id": i, "geometry": json.loads(t) if t else None, "properties": p}
        for i, p, t in zip(ids, props, texts, strict=True)
    ]


@dataclass(frozen=True)
class UnitQuery:
    """Which units of a grid or statistics collection a page holds, in code order:
    ``code`` alone (one unit), those meeting the WGS-84 ``bbox_wgs84``, or all; written in
    ``crs``."""

    bbox_wgs84: tuple[float, float, float, float] | None = None
    code: str | None = None
    limit: int = 100
    offset: int = 0
    crs: OutputCrs = CRS84


def unit_items(svc: Gridsvc, c: Collection, want: UnitQuery) -> Page:
    """A page of a grid or statistics collection."""
    if c.kind == "grid":
        return _grid_items(svc, c, want)
    return _stats_items(svc, c, want)


def _grid_count(svc: Gridsvc, version_id: int, level: str, want: UnitQuery) -> int:
    first = _grid_rows(svc, version_id, level, UnitQuery(want.bbox_wgs84, want.code, 1, 0))
    return int(first[0][-1]) if first else 0


def _grid_rows(svc: Gridsvc, version_id: int, level: str, want: UnitQuery) -> list[Any]:
    x0, y0, x1, y1 = want.bbox_wgs84 or (None, None, None, None)
    return svc.read_db.cursor_fetchall(
        query("ogc_grid_items"),
        {
            "version_id": version_id,
            "level": level,
            "code": want.code,
            "x0": x0,
            "y0": y0,
            "x1": x1,
            "y1": y1,
            "limit": want.limit,
            "offset": want.offset,
        },
    )


def _grid_items(svc: Gridsvc, c: Collection, want: UnitQuery) -> Page:
    assert c.kind == "grid" and c.level is not None
    version = grid_store.active_version(svc.read_db)
    rows = _grid_rows(svc, version.id, c.level, want)
    matched = int(rows[0][-1]) if rows else 0
    if not rows and want.offset > 0:  # past the end: the window count needs a row
        return Page([], _grid_count(svc, version.id, c.level, want))
    props = [
        {
            "code": r[0],
            "name": r[1],
            "level": r[2],
            "parent_code": r[3],
            "sector_code": r[4],
            "kind": r[5],
            "synthetic": bool(r[6]),
            "area_km2": round(float(r[7]), 4),
            "population": r[8],
        }
        for r in rows
    ]
    geoms = shapely.from_wkb([bytes(r[9]) for r in rows])
    features = _features([p["code"] for p in props], props, geoms, want.crs)
    more = want.offset + len(rows) < matched
    return Page(features, matched, next_offset=want.offset + len(rows) if more else None)


# the event's fields as flat properties (OGC clients such as QGIS want one value a column)
def event_properties(event: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    grid = event["grid"]
    loc = event["location"]
    deadlines = event["deadlines"]
    return {
        "id": event["id"],
        "category": event["category"],
        "category_name": names.get(event["category"], event["category"]),
        "title": event["title"],
        "description": event["description"],
        "status": event["status"],
        "urgency": event["urgency"],
        "source": event["source"],
        "occurred_at": event["occurred_at"],
        "reported_at": event["reported_at"],
        "reporter_id": event["reporter_id"],
        "address": loc["address"],
        "district_code": grid["district_code"],
        "sector_code": grid["sector_code"],
        "street_code": grid["street_code"],
        "community_code": grid["community_code"],
        "grid_code": grid["grid_code"],
        "accept_due_at": deadlines["accept_due_at"],
        "resolve_due_at": deadlines["resolve_due_at"],
        "overdue": deadlines["overdue"],
        "synthetic": event["synthetic"],
    }


def _category_names(svc: Gridsvc) -> dict[str, str]:
    taxonomy = event_store.taxonomy_of(svc, include_inactive=True)
    return {c.code: c.name_zh for c in taxonomy.categories}


def _event_features(
    svc: Gridsvc, events: list[dict[str, Any]], crs: OutputCrs
) -> list[dict[str, Any]]:
    names = _category_names(svc)
    lon = np.array([e["location"]["lon_wgs84"] for e in events], dtype=float)
    lat = np.array([e["location"]["lat_wgs84"] for e in events], dtype=float)
    points = shapely.points(lon, lat) if events else np.empty(0, dtype=object)
    props = [event_properties(e, names) for e in events]
    return _features([e["id"] for e in events], props, points, crs)


def event_items(svc: Gridsvc, flt: event_store.EventFilter, crs: OutputCrs = CRS84) -> Page:
    """A page of events, latest ``occurred_at`` first (``flt.after`` is where the page
    before ended, ``flt.limit`` the size; ``next_cursor`` the token of
    :mod:`gridsvc.events.keyset`); ``flt.principal`` decides what is seen and redacted."""
    events, nxt = event_store.list_events(svc, flt)
    cursor = keyset.encode(nxt) if nxt is not None else None
    return Page(_event_features(svc, events, crs), next_cursor=cursor)


def event_item(
    svc: Gridsvc, event_id: int, principal: Principal, crs: OutputCrs = CRS84
) -> dict[str, Any]:
    """One event as a feature; NotFound or Forbidden as ``GET /v1/events/{id}``."""
    return _event_features(svc, [event_store.read_event(svc, event_id, principal)], crs)[0]


def stats_window(today: date) -> StatsFilter:
    """The statistics collections' dates: [today - STATS_DAYS, today), city days."""
    return StatsFilter(date_from=today - timedelta(days=STATS_DAYS), date_to=today)


def _stats_items(svc: Gridsvc, c: Collection, want: UnitQuery) -> Page:
    """Each unit's polygon with its counts of :func:`stats_window`."""
    assert c.kind == "stats" and c.level is not None
    window = stats_window(local(svc.now()).date())
    frame = counts_by_unit(svc, c.level, window, with_geometry=True)
    if want.code is not None:
        frame = frame[frame["code"] == want.code]
    if want.bbox_wgs84 is not None:
        frame = frame[frame.intersects(shapely.box(*want.bbox_wgs84))]
    matched = len(frame)
    page = frame.iloc[want.offset : want.offset + want.limit]
    assert window.date_from is not None and window.date_to is not None
    props = [
        {
            "code": r.code,
            "name": r.name,
            "level": r.level,
            "parent_code": r.parent_code,
            "n": int(r.n),
            "density_per_km2": round(float(r.density_per_km2), 4),
            "rate_per_1000": None if pd.isna(r.rate_per_1000) else round(float(r.rate_per_1000), 4),
            "population": None if pd.isna(r.population) else int(r.population),
            "area_km2": round(float(r.area_km2), 4),
            "date_from": window.date_from.isoformat(),
            "date_to": (window.date_to - timedelta(days=1)).isoformat(),
        }
        for r in page.itertuples()
    ]
    features = _features(
        [p["code"] for p in props], props, np.asarray(page.geometry.values, dtype=object), want.crs
    )
    more = want.offset + len(page) < matched
    return Page(features, matched, next_offset=want.offset + len(page) if more else None)
