"""Which indexes of the event tables each step of the benchmark reads (issue #24).

The statistics collector counts the scans of every index; a snapshot before and after a step
gives the indexes that step used (reads, and the unique checks of ``ON CONFLICT``). An index
that no measured step scans is a candidate to drop (``docs/scaling.md``). Backends flush their
counters when idle, at most once a second: :func:`snapshot` waits for that first.
"""

from __future__ import annotations

import time
from typing import Any

from bench.environment import BenchDatabase
from bench.sql import bench_query

Counts = dict[str, int]
FLUSH_WAIT_S = 2.0


def snapshot(bench_db: BenchDatabase) -> Counts:
    """``table.index`` → index scans so far."""
    time.sleep(FLUSH_WAIT_S)
    return {
        f"{table}.{index}": int(scans or 0)
        for index, table, scans in bench_db.execute(bench_query("index_scans"))
    }


def used(before: Counts, after: Counts) -> Counts:
    """The indexes scanned between two snapshots, and how often."""
    return {k: n - before.get(k, 0) for k, n in after.items() if n - before.get(k, 0) > 0}


def summary(steps: dict[str, Counts], every: Counts) -> dict[str, Any]:
    """Per step the indexes it scanned; and the indexes no step scanned."""
    scanned = {name for counts in steps.values() for name in counts}
    return {"steps": steps, "never_scanned": sorted(set(every) - scanned)}
