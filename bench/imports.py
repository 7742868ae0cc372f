"""Goal 1 (bulk import, its memory, its per-row INSERT baseline) and goal 7 (storage)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import psycopg2

from bench.environment import BenchDatabase, gridsvc_command, run_measured
from bench.sql import bench_query
from gridsvc import crs as crs_mod


def reset_events(bench_db: BenchDatabase) -> None:
    """Empty the event tables and checkpoint, so a timed import starts from a clean state
    and does not pay for the previous run's dirty pages."""
    bench_db.execute(bench_query("reset_events"))
    bench_db.execute("CHECKPOINT")


def import_once(bench_db: BenchDatabase, csv_path: Path, *, timeout_s: float) -> dict[str, Any]:
    """One end-to-end import of ``csv_path`` into empty tables, as an operator runs it
    (``gridsvc events import FILE``, a fresh process): wall time and peak RSS of that
    process, and the import's own report."""
    reset_events(bench_db)
    child = run_measured(
        gridsvc_command("events", "import", str(csv_path), "--synthetic"),
        env=bench_db.child_env(),
        timeout_s=timeout_s,
    )
    lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
    if child.returncode not in (0, 1) or not lines:
        raise RuntimeError(
            f"import failed (exit {child.returncode}): {child.stderr.strip()[-2000:]}"
        )
    report = json.loads(lines[-1])
    stored = int(report["stored"])
    if stored == 0:
        raise RuntimeError(f"import stored nothing: {report}")
    return {
        "events_stored": stored,
        "rows_rejected": int(report["rejected"]),
        "wall_s": child.wall_s,
        "events_per_s": stored / child.wall_s,
        "importer_seconds": float(report["seconds"]),
        "importer_events_per_s": stored / float(report["seconds"]) if report["seconds"] else None,
        "max_rss_bytes": child.max_rss_bytes,
    }


def storage(bench_db: BenchDatabase) -> dict[str, Any]:
    """Bytes per stored event: the event table with TOAST and every index (after VACUUM
    ANALYZE, as autovacuum would leave it); the rollup apart."""
    bench_db.execute("VACUUM ANALYZE event")
    bench_db.execute("VACUUM ANALYZE event_daily")
    (row,) = bench_db.execute(bench_query("event_storage"))
    events, total, heap, toast, indexes, rollup, rollup_rows = (int(v) for v in row)
    return {
        "events": events,
        "bytes_per_event": total / events if events else float("nan"),
        "total_bytes": total,
        "heap_bytes": heap,
        "toast_and_maps_bytes": toast,
        "index_bytes": indexes,
        "indexes": {
            name: int(size) for name, size in bench_db.execute(bench_query("event_index_sizes"))
        },
        "rollup_bytes": rollup,
        "rollup_rows": rollup_rows,
        "rollup_bytes_per_event": rollup / events if events else float("nan"),
        **storage_split(bench_db, total),
    }


def storage_split(bench_db: BenchDatabase, total: int) -> dict[str, Any]:
    """Row 7's split (issue #24), in bytes per event: the reports' own text, the rest of the
    heap (event and event_key), each index, the rollups; and everything but the text."""
    (row,) = bench_db.execute(bench_query("event_storage_split"))
    events, text, heap, daily, status_count, tile_bins = (int(v) for v in row)
    if not events:
        return {}
    indexes = bench_db.execute(bench_query("event_index_sizes"))
    return {
        "text_bytes_per_event": text / events,
        "rest_of_heap_bytes_per_event": (heap - text) / events,
        "index_bytes_per_event": {name: int(size) / events for name, size in indexes},
        "event_daily_bytes_per_event": daily / events,
        "event_status_count_bytes_per_event": status_count / events,
        "event_tile_bin_bytes_per_event": tile_bins / events,
        "all_but_text_bytes_per_event": (total - text) / events,
    }


def compact_storage(bench_db: BenchDatabase) -> dict[str, Any]:
    """Row 7c: :func:`storage` after every index of ``event`` and ``event_key`` is rebuilt
    (VACUUM first, so no dead row is indexed; then REINDEX: each index built at once, its
    pages filled to the default fillfactor, 90 %), what a rebuild makes of the same rows
    (issue #24, part 3). The last step of a run: reads after it would find other indexes.
    ``rebuilt``: the indexes whose file the REINDEX replaced (all of them)."""
    bench_db.execute("VACUUM event")
    bench_db.execute("VACUUM event_key")
    before = dict(bench_db.execute(bench_query("event_index_files")))
    bench_db.execute("REINDEX TABLE event")
    bench_db.execute("REINDEX TABLE event_key")
    after = dict(bench_db.execute(bench_query("event_index_files")))
    rebuilt = sorted(name for name, node in after.items() if before.get(name) != node)
    return {**storage(bench_db), "indexes_before": sorted(before), "rebuilt": rebuilt}


def _version_id(bench_db: BenchDatabase) -> int:
    (row,) = bench_db.execute("SELECT id FROM grid_version WHERE active")
    return int(row[0])


def per_row_baseline(
    bench_db: BenchDatabase, rows: list[dict[str, str]], *, run: int
) -> dict[str, Any]:
    """Store ``rows`` one INSERT (and one commit) at a time, each finding its community by
    an ST_Contains subquery (``bench/sql/baseline_insert_row.sql``). The rows get their own
    ``client_event_id`` so they are new events next to the imported ones."""
    version_id = _version_id(bench_db)
    statement = bench_query("baseline_insert_row")
    conn = psycopg2.connect(bench_db.url)
    try:
        conn.autocommit = True  # the naive loader: every row is its own transaction
        with conn.cursor() as cur:
            started = time.perf_counter()
            for i, row in enumerate(rows):
                system = crs_mod.Crs.parse(row.get("crs") or "wgs84")
                lon_sent, lat_sent = float(row["lon"]), float(row["lat"])
                lon, lat = crs_mod.to_wgs84(lon_sent, lat_sent, system)
                cur.execute(
                    statement,
                    {
                        "version_id": version_id,
                        "reporter_id": row.get("reporter_id") or "import:baseline",
                        "client_event_id": f"baseline-{run}-{i}",
                        "content_sha256": hashlib.sha256(
                            "\x1f".join(row.values()).encode()
                        ).hexdigest(),
                        "category": row["category"],
                        "title": row.get("title") or "",
                        "description": row.get("description") or "",
                        "occurred_at": row["occurred_at"],
                        "reported_at": row.get("reported_at") or row["occurred_at"],
                        "source": row.get("source") or "import",
                        "urgency": row.get("urgency") or "normal",
                        "lon_wgs84": lon,
                        "lat_wgs84": lat,
                        "lon_sent": lon_sent,
                        "lat_sent": lat_sent,
                        "crs_sent": system.value,
                        "accuracy_m": float(row["accuracy_m"]) if row.get("accuracy_m") else None,
                        "address": row.get("address") or None,
                        "attributes": row.get("attributes") or "{}",
                    },
                )
            seconds = time.perf_counter() - started
    finally:
        conn.close()
    return {"rows": len(rows), "seconds": seconds, "events_per_s": len(rows) / seconds}
