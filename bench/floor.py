"""Rows 1f and 1b (issue #24): what PostgreSQL itself costs for what an import keeps.

After row 1's last import, the stored rows (``event`` and ``event_key``, in id order) are
dumped once with ``COPY … TO`` (untimed): the same generated rows, already parsed, checked and
with their grids assigned. Then, timed, in batches of ``GRIDSVC_IMPORT_BATCH_ROWS`` with one
commit each, no gridsvc code in the loop (the harness hands PostgreSQL byte ranges of the
dump found beforehand):

- **1f, the floor**: ``COPY`` into ``floor_event`` and ``floor_event_key`` (exactly the
  schema, indexes and foreign key of ``event`` and ``event_key``), then one
  ``INSERT … SELECT … GROUP BY`` statement for both rollups (``floor_rollup.sql``);
- **1b, bare COPY**: the event rows alone into ``bare_event``, which has no index.

Each run starts from empty tables after a ``CHECKPOINT``, as row 1's imports do.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import cursor as Cursor

from bench.environment import BenchDatabase
from bench.sql import bench_query
from gridsvc.dates import CITY_TZ


class Counts(NamedTuple):
    """What a set of event tables holds (``floor_counts.sql``)."""

    events: int
    keys: int
    daily_rows: int
    daily_events: int
    status_count_rows: int
    status_count_events: int
    tile_bin_rows: int
    tile_bin_events: int


_STORED = {
    "event": "event",
    "event_key": "event_key",
    "daily": "event_daily",
    "status_count": "event_status_count",
    "tile_bin": "event_tile_bin",
}
"""The import's tables, by their place in ``floor_counts.sql``."""
_FLOORED = {place: f"floor_{place}" for place in _STORED}
"""The floor's copies of them (``floor_create.sql``)."""


def _counts(cur: Cursor, tables: Mapping[str, str]) -> Counts:
    identifiers = {place: sql.Identifier(table) for place, table in tables.items()}
    cur.execute(sql.SQL(bench_query("floor_counts")).format(**identifiers))
    row = cur.fetchone()
    if row is None:
        raise RuntimeError("floor_counts.sql returned no row")
    return Counts(*(int(v) for v in row))


@dataclass(frozen=True)
class Batch:
    """One batch of the dump: byte ranges in the event and key files, and its id range."""

    event_start: int
    event_bytes: int
    key_start: int
    key_bytes: int
    first_id: int
    last_id: int
    rows: int


@dataclass(frozen=True)
class Dump:
    """The stored rows as COPY text, one row per line, in id order (both files)."""

    events: Path
    keys: Path
    batches: list[Batch]
    stored: Counts
    """What the import had stored when dumped: the floor must store the same, whatever the
    service has stored since."""

    @property
    def rows(self) -> int:
        return sum(b.rows for b in self.batches)

    def remove(self) -> None:
        self.events.unlink(missing_ok=True)
        self.keys.unlink(missing_ok=True)


class _Slice:
    """``length`` bytes of an open file from its current position, as COPY reads them."""

    def __init__(self, fh: Any, length: int) -> None:
        self.fh, self.left = fh, length

    def read(self, size: int = -1) -> bytes:
        n = self.left if size < 0 else min(size, self.left)
        data: bytes = self.fh.read(n) if n > 0 else b""
        self.left -= len(data)
        return data

    readline = read


def _line_ranges(
    path: Path, batch_rows: int, first_batch_rows: int | None = None
) -> list[tuple[int, int, int, int, int]]:
    """(start, length, first id, last id, rows) per ``batch_rows`` lines of a COPY text
    file whose first field is the row's id; the first batch ``first_batch_rows`` long if
    given."""
    out: list[tuple[int, int, int, int, int]] = []
    with path.open("rb") as fh:
        start = pos = 0
        rows = 0
        first = last = 0
        for line in fh:
            row_id = int(line[: line.index(b"\t")])
            if rows == 0:
                first = row_id
            last = row_id
            rows += 1
            pos += len(line)
            if rows == (first_batch_rows if not out and first_batch_rows else batch_rows):
                out.append((start, pos - start, first, last, rows))
                start, rows = pos, 0
        if rows:
            out.append((start, pos - start, first, last, rows))
    return out


def dump_stored(
    bench_db: BenchDatabase, folder: Path, batch_rows: int, *, first_batch_rows: int | None = None
) -> Dump:
    """The stored events, as COPY text files under ``folder`` (untimed), in batches of
    ``batch_rows``; the first ``first_batch_rows`` long if given (rows loaded beforehand)."""
    events, keys = folder / "floor-events.copy", folder / "floor-keys.copy"
    conn = psycopg2.connect(bench_db.url)
    conn.set_session(isolation_level="REPEATABLE READ", readonly=True)  # one snapshot
    try:
        with conn.cursor() as cur:
            with events.open("wb") as fh:
                cur.copy_expert("COPY (SELECT * FROM event ORDER BY id) TO STDOUT", fh)
            with keys.open("wb") as fh:
                cur.copy_expert("COPY (SELECT * FROM event_key ORDER BY event_id) TO STDOUT", fh)
            stored = _counts(cur, _STORED)
        conn.rollback()
    finally:
        conn.close()
    by_event = _line_ranges(events, batch_rows, first_batch_rows)
    by_key = _line_ranges(keys, batch_rows, first_batch_rows)
    if [(b[2], b[3], b[4]) for b in by_event] != [(b[2], b[3], b[4]) for b in by_key]:
        raise RuntimeError("event and event_key do not hold one key per event")
    batches = [
        Batch(e[0], e[1], k[0], k[1], e[2], e[3], e[4])
        for e, k in zip(by_event, by_key, strict=True)
    ]
    return Dump(events, keys, batches, stored)


def _fresh_tables(bench_db: BenchDatabase) -> None:
    bench_db.execute(bench_query("floor_create"))
    bench_db.execute("CHECKPOINT")


def floor_once(bench_db: BenchDatabase, dump: Dump, *, untimed: int = 0) -> dict[str, Any]:
    """Row 1f: the dump COPYed into empty tables shaped as ``event``/``event_key``, with
    the rollups per batch; wall time of the loop (connect to last commit). The first
    ``untimed`` batches are loaded before, then a CHECKPOINT (a table of that many rows)."""
    _fresh_tables(bench_db)
    rollup = bench_query("floor_rollup")
    started = time.perf_counter()
    conn = psycopg2.connect(bench_db.url)
    timed = dump.batches[untimed:]
    try:
        with conn.cursor() as cur, dump.events.open("rb") as ev, dump.keys.open("rb") as ky:
            for i, b in enumerate(dump.batches):
                if i == untimed and untimed:
                    bench_db.execute("CHECKPOINT")
                    started = time.perf_counter()
                ev.seek(b.event_start)
                cur.copy_expert("COPY floor_event FROM STDIN", _Slice(ev, b.event_bytes))
                ky.seek(b.key_start)
                cur.copy_expert("COPY floor_event_key FROM STDIN", _Slice(ky, b.key_bytes))
                cur.execute(
                    rollup, {"first_id": b.first_id, "last_id": b.last_id, "city_tz": CITY_TZ.key}
                )
                conn.commit()
        seconds = time.perf_counter() - started
        with conn.cursor() as cur:
            floored = _counts(cur, _FLOORED)
        conn.rollback()
    finally:
        conn.close()
    if floored != dump.stored:
        pairs = zip(floored._asdict().items(), dump.stored, strict=True)
        differ = {k: (a, b) for (k, a), b in pairs if a != b}
        raise RuntimeError(
            f"the floor did not store what the import stored (floor, import): {differ}"
        )
    rows = sum(b.rows for b in timed)
    return {"rows": rows, "seconds": seconds, "events_per_s": rows / seconds}


def bare_once(bench_db: BenchDatabase, dump: Dump, *, untimed: int = 0) -> dict[str, Any]:
    """Row 1b: the event rows of the dump COPYed into an unindexed table, same batches
    (the first ``untimed`` ones before the clock starts, as :func:`floor_once`)."""
    _fresh_tables(bench_db)
    started = time.perf_counter()
    conn = psycopg2.connect(bench_db.url)
    timed = dump.batches[untimed:]
    try:
        with conn.cursor() as cur, dump.events.open("rb") as ev:
            for i, b in enumerate(dump.batches):
                if i == untimed and untimed:
                    bench_db.execute("CHECKPOINT")
                    started = time.perf_counter()
                ev.seek(b.event_start)
                cur.copy_expert("COPY bare_event FROM STDIN", _Slice(ev, b.event_bytes))
                conn.commit()
        seconds = time.perf_counter() - started
    finally:
        conn.close()
    rows = sum(b.rows for b in timed)
    return {"rows": rows, "seconds": seconds, "events_per_s": rows / seconds}


def drop_tables(bench_db: BenchDatabase) -> None:
    bench_db.execute(bench_query("floor_drop"))
