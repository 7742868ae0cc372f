"""Row 4r: the reports' POST p99 (goal 4) while analysts load statistics and maps, with the
reads on a streaming replica, beside the same load with everything on one server.

The replica is made as ``docs/scaling.md`` says: ``pg_basebackup -R`` of the bench's primary
(:meth:`gridsvc.db.local.LocalCluster.up_standby`), a hot standby on a second port of the
same machine. Both configurations run in the same way, one after the other: ``gridsvc serve``
(``--workers`` as goal 4), warmed up, then, per run, ``analysts`` clients cycling through
heavy statistics and map requests (:func:`analyst_requests`) from a thread of their own while
32 clients POST new reports as goal 4 does; the analysts start first and stop after the
reports. Only the configuration differs: ``GRIDSVC_READ_DATABASE_URL`` set to the replica, or
not.

On this machine the replica shares the two cores with the primary, the API server and the
load client: it takes the analysts' queries off the primary's connections and locks, not off
the CPU. The row shows what that is worth here; on a replica of its own hardware the
analysts' CPU leaves the primary too.
"""

from __future__ import annotations

import math
import os
import threading
from datetime import timedelta
from typing import Any

import psycopg2

from bench import load
from bench.environment import BenchDatabase
from bench.plan import Plan
from bench.report import Baseline, Row, Target
from bench.summary import summarise
from gridsvc.db.local import LocalCluster
from gridsvc.db.replica import READ_APPLICATION_NAME

ANALYSTS = 4
"""Analyst clients during each POST run."""


def analyst_requests(plan: Plan) -> list[load.Request]:
    """What the analysts ask in turn: the last generated month per community, a district's
    days over the year, the year's heat map and the streets' choropleth (``plan.end`` ends
    the generated data, so the month holds events whatever day the bench runs)."""
    last = plan.end.date()
    month = {"from": str(last - timedelta(days=30)), "to": str(last + timedelta(days=1))}
    year = {"from": str(last - timedelta(days=365)), "to": str(last + timedelta(days=1))}
    return [
        load.Request("GET", "/v1/stats/grids", {"level": "community", **month}),
        load.Request("GET", "/v1/stats/timeseries", {"grid": "320102", "interval": "day", **year}),
        load.Request("GET", "/v1/maps/heatmap", {"cell_m": 500, **year}),
        load.Request("GET", "/v1/maps/choropleth", {"level": "street", **month}),
    ]


def _under_load(
    plan: Plan,
    bench_db: BenchDatabase,
    sample: list[dict[str, str]],
    replica_url: str | None,
    tag: str,
) -> list[dict[str, Any]]:
    """``plan.runs`` POST runs, each while the analysts run; their results, with the
    analysts' figures under ``analysts``. ``replica_url``: reads go there."""
    asks = analyst_requests(plan)
    env_extra = {"GRIDSVC_READ_DATABASE_URL": replica_url} if replica_url else {}
    with load.api_server(bench_db, workers=plan.http_workers, env_extra=env_extra) as server:
        token = bench_db.admin_token()
        # warm-up, not counted: a process's first map and statistics build caches
        load.run_load(
            server,
            token,
            lambda i: asks[i % len(asks)],
            expected=frozenset({200}),
            clients=1,
            max_requests=2 * len(asks) * plan.http_workers,
            max_seconds=120.0,
        )
        load.run_load(
            server,
            token,
            load.post_requests(sample, f"bench-4r-{tag}-warm"),
            expected=frozenset({201}),
            clients=plan.http_clients,
            max_requests=2 * plan.http_clients,
            max_seconds=plan.http_seconds,
        )
        runs = []
        for run in range(plan.runs):
            analysts: dict[str, Any] = {}

            def analyse(out: dict[str, Any] = analysts) -> None:
                result = load.run_load(
                    server,
                    token,
                    lambda i: asks[i % len(asks)],
                    expected=frozenset({200}),
                    clients=ANALYSTS,
                    max_requests=1_000_000,
                    max_seconds=plan.http_seconds + 2.0,
                )
                out.update(result.to_dict())

            thread = threading.Thread(target=analyse, daemon=True)
            thread.start()
            posted = load.run_load(
                server,
                token,
                load.post_requests(sample, f"bench-4r-{tag}-{run}"),
                expected=frozenset({201}),
                clients=plan.http_clients,
                max_requests=plan.post_requests,
                max_seconds=plan.http_seconds,
            )
            thread.join()
            runs.append({**posted.to_dict(), "analysts": analysts})
        if replica_url:  # proof that the reads went there: the read path's connections
            read_clients = _read_clients(replica_url)
            for r in runs:
                r["read_connections_on_replica"] = read_clients
    return runs


def _read_clients(url: str) -> int:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                (READ_APPLICATION_NAME,),
            )
            row = cur.fetchone()
            return int(row[0]) if row else 0
    finally:
        conn.close()


def measure(plan: Plan, bench_db: BenchDatabase, sample: list[dict[str, str]]) -> dict[str, Any]:
    """Row 4r's runs: ``one_server`` (no replica) and ``replica`` (reads on a standby)."""
    primary = LocalCluster(bench_db.folder / "db")
    standby = LocalCluster(bench_db.folder / "standby")
    try:
        standby.up_standby(primary, timeout_s=max(600.0, plan.events / 5_000))
        one_server = _under_load(plan, bench_db, sample, None, "one")
        on_replica = _under_load(plan, bench_db, sample, standby.url(), "replica")
    finally:
        standby.destroy()
    return {"one_server_runs": one_server, "replica_runs": on_replica}


def rows(plan: Plan, measured: dict[str, Any]) -> list[Row]:
    """Row 4r: the POST p99 with the analysts on the replica; baseline: on one server."""
    mine = measured.get("replica_runs", [])
    theirs = measured.get("one_server_runs", [])

    def figure(key: str, source: list[dict[str, Any]]) -> Any:
        return summarise([float(r[key]) for r in source] or [math.nan])

    def analysts(source: list[dict[str, Any]]) -> str:
        done = figure("ok_per_s", [r["analysts"] for r in source]).median
        p99 = figure("p99_ms", [r["analysts"] for r in source]).median
        errors = sum(r["analysts"]["errors"] + r["errors"] for r in source)
        return f"analysts {done:,.1f} req/s (p99 {p99:,.0f} ms), errors {errors}"

    return [
        Row(
            "4r",
            f"POST /v1/events, {plan.http_clients} clients, while {ANALYSTS} analysts load "
            "statistics and maps on a read replica: p99",
            "ms",
            figure("p99_ms", mine),
            higher_is_better=False,
            target=Target("<=", 100),
            baseline=Baseline(
                "the same load, everything on one server (no replica)", figure("p99_ms", theirs)
            ),
            notes=[
                f"median of {len(mine)} runs each; the replica: pg_basebackup -R of the bench's "
                "primary, a hot standby on the same machine (GRIDSVC_READ_DATABASE_URL)",
                f"POST throughput {figure('ok_per_s', mine).median:,.0f} events/s on the "
                f"replica set-up, {figure('ok_per_s', theirs).median:,.0f} on one server",
                f"with the replica: {analysts(mine)}; one server: {analysts(theirs)}",
                f"with the replica: {_cpu_note(mine)}",
            ],
            details={"replica_runs": mine, "one_server_runs": theirs},
        )
    ]


def _cpu_note(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "-"
    busy = summarise([r["machine_busy_fraction"] for r in runs]).median
    return f"machine busy {busy:.0%} of {os.cpu_count() or 1} cores during the POST runs"
