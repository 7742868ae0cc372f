"""The dispatch console's first page (issue #19): the requests ``web/static/dispatch.js``
makes when a dispatcher opens ``/dispatch``, timed end to end over HTTP.

The page asks for the queue's counts (``GET /v1/events/counts``) and, meanwhile, the first
page of new reports and then the first page of the other open events (two ``GET
/v1/events``, 50 each). Measured here one after another (an upper bound of the page's own
time), for a street dispatcher (梅园新村街道, in the old city) and a citywide one; each run's
figure is the p95 of ``REPEATS`` first pages.

The baseline is the same counts by status counted on the events at query time (``count(*)
… GROUP BY status`` over the street's open events), the way a queue without the rollup
would count them.
"""

from __future__ import annotations

import math
import time
from typing import Any

import httpx
import numpy as np

from bench import load
from bench.environment import BenchDatabase
from bench.report import Baseline, Row, Target
from bench.summary import summarise
from gridsvc.access import create_token
from gridsvc.db.pool import Database

STREET = "320102002"
REPEATS = 20
OPEN = "accepted,dispatched,in_progress,resolved,verified"


def _first_page(client: httpx.Client) -> float:
    started = time.perf_counter()
    for path, params in (
        ("/v1/events/counts", {}),
        ("/v1/events", {"status": "reported", "limit": "50"}),
        ("/v1/events", {"status": OPEN, "limit": "50"}),
    ):
        client.get(path, params=params).raise_for_status()
    return (time.perf_counter() - started) * 1000.0


def queue_runs(base_url: str, token: str, runs: int) -> list[dict[str, Any]]:
    out = []
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=300
    ) as client:
        first = _first_page(client)  # cold for this caller: not counted in the p95
        for _ in range(runs):
            times = [_first_page(client) for _ in range(REPEATS)]
            out.append({"p95_ms": float(np.percentile(times, 95)), "first_ms": first})
    return out


def baseline_runs(url: str, runs: int) -> list[dict[str, Any]]:
    """The street's open events counted per status at query time, ``runs`` times."""
    db = Database(url, maxconn=1)
    out = []
    try:
        for _ in range(runs):
            started = time.perf_counter()
            db.cursor_fetchall(
                "SELECT status, count(*) FROM event WHERE street_code = %s"
                " AND status = ANY(%s) GROUP BY status",
                (STREET, ["reported", *OPEN.split(",")]),
            )
            out.append({"ms": (time.perf_counter() - started) * 1000.0})
    finally:
        db.close()
    return out


def measure(bench_db: BenchDatabase, server: load.Server, runs: int) -> dict[str, Any]:
    db = Database(bench_db.url, maxconn=1)
    try:
        street = create_token(db, role="dispatcher", name="bench-street", scope_code=STREET)[1]
        city = create_token(db, role="dispatcher", name="bench-city", scope_code="320100")[1]
    finally:
        db.close()
    return {
        "queue_street_runs": queue_runs(server.base_url, street, runs),
        "queue_city_runs": queue_runs(server.base_url, city, runs),
        "queue_baseline_runs": baseline_runs(bench_db.url, runs),
    }


def rows(measured: dict[str, Any]) -> list[Row]:
    """Rows Q1 (a street dispatcher) and Q2 (citywide) of the bench table."""
    baseline = Baseline(
        "the street's counts per status by count(*) on the events",
        summarise([r["ms"] for r in measured.get("queue_baseline_runs", [])] or [math.nan]),
    )
    out = []
    for row_id, key, who in (
        ("Q1", "queue_street_runs", "a street dispatcher"),
        ("Q2", "queue_city_runs", "a citywide dispatcher"),
    ):
        runs = measured.get(key, [])
        out.append(
            Row(
                row_id,
                f"dispatch queue's first page (counts + 2 lists of 50), {who}: p95",
                "ms",
                summarise([r["p95_ms"] for r in runs] or [math.nan]),
                higher_is_better=False,
                target=Target("<=", 1_000),
                baseline=baseline if row_id == "Q1" else None,
                notes=[
                    f"p95 of {REPEATS} first pages per run, after one cold page "
                    f"({', '.join(format(r['first_ms'], '.0f') for r in runs)} ms)",
                ],
                details={"runs": runs},
            )
        )
    return out
