"""Vector tiles (issue #20): time per tile and the largest tile, on the bench's events.

Tiles are sampled where the events are, the same on every run of the same data: the tiles,
per zoom, of every k-th event by id (first seen first, so dense areas come first as a map
user's requests would), up to ``tiles_per_zoom`` per zoom. Each tile is made by the library
as the API makes it (``gridsvc.vtiles``) in this process, for three callers: an admin (every
event, no rounding: row V1), an analyst (every event, sensitive categories rounded: V1a),
and an admin asking for the commonest category over the last 30 days of the data (a filter:
the tile is read from its events, V1f, no goal). One warm-up pass (plans, caches) first;
each run's figure is the p95 over all sampled tiles of the zooms.

Baselines, on the same tiles and one open psycopg2 connection: the tile query as the
PostGIS documentation writes it (``bench/sql/baseline_vtile_*.sql``): every event of the
tile as a point with its id, no filter, no bins; the communities with their codes, no
simplification. What PostgreSQL alone spends on the plainest tile.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from pyproj import Transformer

from bench.environment import BenchDatabase
from bench.report import Baseline, Row, Target
from bench.sql import bench_query
from bench.summary import summarise
from gridsvc import vtiles
from gridsvc.access import Principal
from gridsvc.db.pool import Database
from gridsvc.events import store
from gridsvc.events.generate import DEFAULT_MIX
from gridsvc.events.store import EventFilter

EVENT_ZOOMS = (12, 13, 14, 15, 16)
GRID_ZOOMS = (10, 11, 12, 13, 14, 15, 16)
SIZE_ZOOMS: tuple[int, ...] = ()
"""Events zooms whose tiles (bins) count for the largest tile but not for the time goal
(none since events tiles start at zoom 12, vtiles.EVENTS_MIN_ZOOM)."""
GOAL_EVENTS_MS = 50.0
GOAL_GRID_MS = 20.0
GOAL_BYTES = 500_000
ADMIN = Principal(0, "bench-tiles", "admin")
ANALYST = Principal(0, "bench-tiles-analyst", "analyst")
FILTER_DAYS = 30
_TO_MERCATOR = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


def sample_tiles(
    bench_db: BenchDatabase, events: int, zooms: tuple[int, ...], per_zoom: int
) -> dict[int, list[vtiles.TileXYZ]]:
    """Per zoom, up to ``per_zoom`` tiles holding events, from every k-th event by id."""
    points = bench_db.execute(
        bench_query("vtile_sample_points"), {"every": max(1, events // 5_000), "n": 5_000}
    )
    x_m, y_m = _TO_MERCATOR.transform(
        np.array([p[0] for p in points]), np.array([p[1] for p in points])
    )
    out: dict[int, list[vtiles.TileXYZ]] = {}
    for z in zooms:
        size = 2 * vtiles.HALF_WORLD_M / 2**z
        seen: dict[tuple[int, int], None] = {}
        for x, y in zip(x_m, y_m, strict=True):
            seen.setdefault(
                (int((x + vtiles.HALF_WORLD_M) // size), int((vtiles.HALF_WORLD_M - y) // size))
            )
            if len(seen) >= per_zoom:
                break
        out[z] = [vtiles.tile_xyz(z, x, y) for x, y in seen]
    return out


def _p95(times_ms: list[float]) -> float:
    return float(np.percentile(np.asarray(times_ms), 95)) if times_ms else math.nan


def callers(svc: Any, end: datetime) -> dict[str, EventFilter]:
    """The filters of the three callers (module docstring), by name."""
    commonest = max(DEFAULT_MIX, key=lambda c: c.weight).code
    return {
        "admin": EventFilter(principal=ADMIN),
        "analyst": EventFilter(principal=ANALYST, coarse=store.coarsened(svc, ANALYST)),
        "filtered": EventFilter(
            principal=ADMIN,
            categories=(commonest,),
            occurred_from=end - timedelta(days=FILTER_DAYS),
            occurred_to=end,
        ),
    }


def _events_pass(
    svc: Any, events: dict[int, list[vtiles.TileXYZ]], flt: EventFilter
) -> dict[str, Any]:
    """Each sampled events tile made once for ``flt``: p95 over the timed zooms, per zoom,
    the kinds drawn and each tile's size."""
    times: list[float] = []
    per_zoom: dict[str, float] = {}
    kinds = {"points": 0, "bins": 0}
    sizes: dict[str, int] = {}
    for z, tiles in events.items():
        zoom_ms = []
        for tile in tiles:
            started = time.perf_counter()
            made = vtiles.events_tile(svc, tile, flt)
            zoom_ms.append((time.perf_counter() - started) * 1000.0)
            kinds[made.kind] += 1
            sizes[f"events {tile.z}/{tile.x}/{tile.y}"] = len(made.mvt)
        if z not in SIZE_ZOOMS:
            times.extend(zoom_ms)
            per_zoom[f"z{z} p95 ms"] = _p95(zoom_ms)
    return {"p95_ms": _p95(times), "kinds": kinds, "per_zoom": per_zoom, "sizes": sizes}


def _library_pass(
    svc: Any,
    events: dict[int, list[vtiles.TileXYZ]],
    grids: dict[int, list[vtiles.TileXYZ]],
    others: dict[str, EventFilter],
) -> dict[str, Any]:
    community = vtiles.layer(svc, "community")
    admin = _events_pass(svc, events, EventFilter(principal=ADMIN))
    grid_ms: list[float] = []
    sizes: dict[str, int] = dict(admin["sizes"])
    per_zoom = {f"events {k}": v for k, v in admin["per_zoom"].items()}
    for z, tiles in grids.items():
        times = []
        for tile in tiles:
            started = time.perf_counter()
            body = vtiles.grid_tile(svc, community, tile)
            times.append((time.perf_counter() - started) * 1000.0)
            sizes[f"community {tile.z}/{tile.x}/{tile.y}"] = len(body)
        grid_ms.extend(times)
        per_zoom[f"community z{z} p95 ms"] = _p95(times)
    largest = max(sizes, key=lambda k: sizes[k]) if sizes else ""
    return {
        "callers": {
            name: {k: v for k, v in _events_pass(svc, events, other).items() if k != "sizes"}
            for name, other in others.items()
        },
        "events_p95_ms": admin["p95_ms"],
        "grid_p95_ms": _p95(grid_ms),
        "largest_bytes": sizes.get(largest, 0),
        "largest_tile": largest,
        "kinds": admin["kinds"],
        "per_zoom": per_zoom,
    }


def _baseline_pass(
    url: str, events: dict[int, list[vtiles.TileXYZ]], grids: dict[int, list[vtiles.TileXYZ]]
) -> dict[str, Any]:
    db = Database(url, maxconn=1)
    out: dict[str, Any] = {}
    try:
        with db.connection() as conn, conn.cursor() as cur:
            for key, name, tiles_by_zoom in (
                ("events", "baseline_vtile_events", events),
                ("grid", "baseline_vtile_grid", grids),
            ):
                times, largest = [], 0
                for z, tiles in tiles_by_zoom.items():
                    if key == "events" and z in SIZE_ZOOMS:
                        continue
                    for tile in tiles:
                        started = time.perf_counter()
                        cur.execute(bench_query(name), {"z": tile.z, "x": tile.x, "y": tile.y})
                        row = cur.fetchone()
                        times.append((time.perf_counter() - started) * 1000.0)
                        largest = max(largest, len(bytes(row[0])) if row and row[0] else 0)
                out[f"{key}_p95_ms"] = _p95(times)
                out[f"{key}_largest_bytes"] = largest
    finally:
        db.close()
    return out


def measure(
    bench_db: BenchDatabase, events: int, runs: int, per_zoom: int, end: datetime
) -> dict[str, Any]:
    """The library's and the baseline's passes over the sampled tiles, ``runs`` times each,
    after one warm-up pass of each (not counted). ``end``: where the generated events end
    (the filtered caller's window ends there)."""
    event_tiles = sample_tiles(bench_db, events, (*SIZE_ZOOMS, *EVENT_ZOOMS), per_zoom)
    grid_tiles = sample_tiles(bench_db, events, GRID_ZOOMS, per_zoom)
    svc = bench_db.service()
    try:
        others = {k: v for k, v in callers(svc, end).items() if k != "admin"}
        _library_pass(svc, event_tiles, grid_tiles, others)
        _baseline_pass(bench_db.url, event_tiles, grid_tiles)
        library = [_library_pass(svc, event_tiles, grid_tiles, others) for _ in range(runs)]
        baseline = [_baseline_pass(bench_db.url, event_tiles, grid_tiles) for _ in range(runs)]
    finally:
        svc.close()
    return {
        "runs": library,
        "baseline_runs": baseline,
        "tiles": {
            "events": {z: len(t) for z, t in event_tiles.items()},
            "community": {z: len(t) for z, t in grid_tiles.items()},
        },
    }


def _zooms(runs: list[dict[str, Any]], caller: str) -> str:
    if not runs:
        return "-"
    zooms = runs[-1]["callers"][caller]["per_zoom"]
    return ", ".join(f"{k.split()[0]} {v:,.1f} ms" for k, v in zooms.items())


def rows(measured: dict[str, Any]) -> list[Row]:
    """Rows V1, V1a, V1f (events tiles), V2 (community tiles), V3 (the largest tile)."""
    runs = measured.get("runs", [])
    base = measured.get("baseline_runs", [])
    tiles = measured.get("tiles", {})

    def figure(key: str, source: list[dict[str, Any]]) -> Any:
        return summarise([float(r[key]) for r in source] or [math.nan])

    sampled = ", ".join(f"z{z}: {n}" for z, n in tiles.get("events", {}).items())
    return [
        Row(
            "V1",
            "vector tiles, events z12-z16: p95 per tile",
            "ms",
            figure("events_p95_ms", runs),
            higher_is_better=False,
            target=Target("<=", GOAL_EVENTS_MS),
            baseline=Baseline(
                "bare ST_AsMVT of every point (PostGIS docs' tile query)",
                figure("events_p95_ms", base),
            ),
            notes=[
                f"gridsvc.vtiles.events_tile in process, every event (an admin), tiles where "
                f"the events are ({sampled}); points up to {vtiles.MAX_POINTS:,} per tile, "
                "else bins (zooms 12-15 from the kept bins, table event_tile_bin)",
                "tiles drawn as points / bins in the last run: "
                + (", ".join(f"{k} {v}" for k, v in runs[-1]["kinds"].items()) if runs else "-"),
            ],
            details={"runs": runs, "baseline_runs": base, "tiles": tiles},
        ),
        Row(
            "V1a",
            "vector tiles, events z12-z16, an analyst (sensitive categories rounded): p95",
            "ms",
            summarise([float(r["callers"]["analyst"]["p95_ms"]) for r in runs] or [math.nan]),
            higher_is_better=False,
            target=Target("<=", GOAL_EVENTS_MS),
            notes=[
                "the same tiles as V1 for an analyst: every event, a sensitive category's "
                "rounded to 0.01°; p95 per zoom of the last run: " + _zooms(runs, "analyst")
            ],
        ),
        Row(
            "V1f",
            f"vector tiles, events z12-z16, one category over {FILTER_DAYS} days: p95 (no goal)",
            "ms",
            summarise([float(r["callers"]["filtered"]["p95_ms"]) for r in runs] or [math.nan]),
            higher_is_better=False,
            notes=[
                "the same tiles for an admin asking for the commonest category over the last "
                f"{FILTER_DAYS} days: a filtered tile is made from its events (only tiles of "
                "every event a caller sees are kept counted); p95 per zoom of the last run: "
                + _zooms(runs, "filtered")
            ],
        ),
        Row(
            "V2",
            "vector tiles, communities z10-z16: p95 per tile",
            "ms",
            figure("grid_p95_ms", runs),
            higher_is_better=False,
            target=Target("<=", GOAL_GRID_MS),
            baseline=Baseline(
                "bare ST_AsMVT of the communities, no simplification",
                figure("grid_p95_ms", base),
            ),
            notes=["gridsvc.vtiles.grid_tile, layer community, the same kind of sample"],
        ),
        Row(
            "V3",
            "vector tiles: the largest tile (events z10-z16, communities z10-z16)",
            "bytes",
            figure("largest_bytes", runs),
            higher_is_better=False,
            target=Target("<=", GOAL_BYTES),
            baseline=Baseline(
                "bare ST_AsMVT of every point, events z12-z16",
                figure("events_largest_bytes", base),
            ),
            notes=[
                "largest tile of the last run: "
                + (f"{runs[-1]['largest_tile']} ({runs[-1]['largest_bytes']:,} B)" if runs else "-")
            ],
        ),
    ]
