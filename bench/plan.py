"""What one benchmark run does: sizes, repeats and the bounds of every measurement."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from gridsvc.dates import CITY_OFFSET

BEIJING = CITY_OFFSET
#: Generated events end here (not "now"), so the same seed gives the same rows on any day.
DATA_END = datetime(2026, 1, 1, tzinfo=BEIJING)
DEFAULT_EVENTS = 10_000_000
QUICK_EVENTS = 100_000
#: The per-row INSERT baseline's sample (issue #24: a stable figure needs >= 20,000 rows;
#: ~45 s per run at ~450 rows/s).
PER_ROW_BASELINE_ROWS = 20_000


@dataclass(frozen=True)
class Plan:
    """Sizes and bounds; :func:`make_plan` derives them from the command line."""

    events: int
    quick: bool
    seed: int
    days: int
    end: datetime
    runs: int
    """Repeats of every measurement; each figure is the median over them."""
    import_runs: int
    """Repeats of the import (goals 1, 1m, 7): at 10,000,000 events ~20 min each."""
    baseline_rows: int
    """Rows stored by the per-row INSERT baseline in each run (its rate is extrapolated)."""
    count_queries: int
    """Per-community count queries timed in each run (p95 over them)."""
    baseline_count_queries: int
    locate_points: int
    """Points located in process and in PostGIS, the same points for both."""
    http_clients: int
    http_workers: int
    """``gridsvc serve --workers``: one process per core."""
    http_requests: int
    """Upper bound of GET /v1/locate requests per run."""
    post_requests: int
    """Upper bound of POST /v1/events requests per run."""
    http_seconds: float
    """Upper bound of each HTTP load run, in seconds."""
    import_timeout_s: float

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["end"] = self.end.isoformat()
        return out


def make_plan(
    *,
    events: int | None,
    quick: bool,
    seed: int = 20260101,
    days: int = 365,
    runs: int | None = None,
    import_runs: int | None = None,
    now: datetime | None = None,
) -> Plan:
    """Quick mode (100,000 events by default) bounds every step to finish in minutes on two
    cores; the full mode (10,000,000) is for manual runs. A small ``events`` shrinks the
    HTTP and baseline samples with it, so a smoke test takes seconds."""
    n = events if events is not None else (QUICK_EVENTS if quick else DEFAULT_EVENTS)
    if n < 100:
        raise ValueError("--events must be at least 100")
    now = now or datetime.now(BEIJING)
    end = min(DATA_END, now.replace(minute=0, second=0, microsecond=0))
    small = n < 20_000
    return Plan(
        events=n,
        quick=quick,
        seed=seed,
        days=days,
        end=end,
        runs=runs if runs is not None else 3,
        import_runs=import_runs if import_runs is not None else (runs if runs is not None else 3),
        baseline_rows=min(n, 300 if small else PER_ROW_BASELINE_ROWS),
        count_queries=10 if small else (40 if quick else 200),
        baseline_count_queries=3 if small else 10,
        locate_points=min(n, 100_000 if quick else 1_000_000),
        http_clients=32,
        http_workers=os.cpu_count() or 1,
        http_requests=300 if small else (8_000 if quick else 50_000),
        post_requests=150 if small else (4_000 if quick else 20_000),
        http_seconds=3.0 if small else (8.0 if quick else 30.0),
        import_timeout_s=max(600.0, n / 1_000.0),
    )
