"""Checks of what the fault, concurrency and load tests must leave intact."""

from __future__ import annotations

from collections import Counter
from typing import Any

from gridsvc.db.pool import Database

# the rollup's key, computed from the events as the insert statements compute it
RAW_COUNTS = """
SELECT coalesce(community_code, ''), category, status, urgency, source,
       (occurred_at AT TIME ZONE 'Asia/Shanghai')::date, count(*)
FROM event
GROUP BY 1, 2, 3, 4, 5, 6
"""
ROLLUP_COUNTS = """
SELECT community_code, category, status, urgency, source, day, n
FROM event_daily
WHERE n <> 0
"""


# the dispatch queue's rollup (migration 0011): per community, category, status, urgency
STATUS_COUNTS = """
SELECT community_code, category, status, urgency, n
FROM event_status_count
WHERE n <> 0
"""

# the events tiles' bins (migration 0014): per zoom 15 tile, bin and kind
RAW_TILE_BINS = """
SELECT c.x, c.y, c.i, c.j, c.kind, count(*)
FROM event AS e
LEFT JOIN category AS k ON k.code = e.category
CROSS JOIN LATERAL event_tile_cells(ST_X(e.geom), ST_Y(e.geom), coalesce(k.sensitive, false))
    AS c
GROUP BY 1, 2, 3, 4, 5
"""
TILE_BINS = """
SELECT x, y, i, j, kind, n
FROM event_tile_bin
WHERE n <> 0
"""


def rollup_differences(db: Database) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Rollup keys whose count differs from the events: key -> (raw count, rollup count).
    Empty when ``event_daily`` and ``event_status_count`` are exact (the latter's keys,
    without day and source, are marked ``"status_count"``, and ``event_tile_bin``'s
    ``"tile_bin"``). Read in one snapshot."""
    with db.connection() as conn, conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cur.execute(RAW_COUNTS)
        raw = {tuple(r[:6]): int(r[6]) for r in cur.fetchall()}
        cur.execute(ROLLUP_COUNTS)
        rollup = {tuple(r[:6]): int(r[6]) for r in cur.fetchall()}
        cur.execute(STATUS_COUNTS)
        status_rollup = {("status_count", *r[:4]): int(r[4]) for r in cur.fetchall()}
        cur.execute(RAW_TILE_BINS)
        tile_raw = {("tile_bin", *r[:5]): int(r[5]) for r in cur.fetchall()}
        cur.execute(TILE_BINS)
        tile_rollup = {("tile_bin", *r[:5]): int(r[5]) for r in cur.fetchall()}
    status_raw: Counter[tuple[Any, ...]] = Counter()
    for (community, category, status, urgency, _source, _day), n in raw.items():
        status_raw["status_count", community, category, status, urgency] += n
    raw.update(status_raw)
    raw.update(tile_raw)
    rollup.update(status_rollup)
    rollup.update(tile_rollup)
    return {
        key: (raw.get(key, 0), rollup.get(key, 0))
        for key in raw.keys() | rollup.keys()
        if raw.get(key, 0) != rollup.get(key, 0)
    }


def duplicate_keys(db: Database) -> list[tuple[Any, ...]]:
    """(reporter_id, client_event_id) stored more than once (the unique key forbids it)."""
    rows = db.cursor_fetchall(
        "SELECT reporter_id, client_event_id, count(*) FROM event GROUP BY 1, 2 HAVING count(*) > 1"
    )
    return [tuple(r) for r in rows]


def stored_keys(db: Database, reporter_like: str) -> Counter[str]:
    """client_event_id -> how many events carry it, for reporters matching a LIKE pattern."""
    rows = db.cursor_fetchall(
        "SELECT client_event_id FROM event WHERE reporter_id LIKE %s", (reporter_like,)
    )
    return Counter(str(r[0]) for r in rows)


def key_mismatches(db: Database) -> list[tuple[Any, ...]]:
    """Events without their ``event_key`` row (same id, community, reporter and
    client_event_id) and keys without their event, as (event id, key's event id): empty when
    every event was stored with its key and every key with its event."""
    rows = db.cursor_fetchall(
        "SELECT e.id, k.event_id FROM event AS e FULL JOIN event_key AS k"
        " ON k.event_id = e.id AND k.community_code = e.community_code"
        " AND k.reporter_id = e.reporter_id AND k.client_event_id = e.client_event_id"
        " WHERE e.id IS NULL OR k.event_id IS NULL"
    )
    return [tuple(r) for r in rows]


def batch_sizes(monkeypatch: Any) -> list[int]:
    """The sizes of the batches ``store.store_together`` is called with from now on (the
    report writer's batches), as a list that fills as they come."""
    from gridsvc.events import store

    sizes: list[int] = []
    together = store.store_together

    def counted(svc: Any, reports: Any, **kwargs: Any) -> Any:
        sizes.append(len(reports))
        return together(svc, reports, **kwargs)

    monkeypatch.setattr(store, "store_together", counted)
    return sizes
