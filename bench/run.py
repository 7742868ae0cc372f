"""``python -m bench.run``: measure every goal against its baseline, write JSON, print a table.

    python -m bench.run --quick                 # 100,000 events, a few minutes on 2 cores
    python -m bench.run                         # 10,000,000 events (BENCH_EVENTS), for hours
    python -m bench.run --events 2000 --quick   # the smoke test's size, well under a minute

Steps, all against a throwaway PostGIS destroyed at the end (see ``bench/README.md``):

1. generate ``--events`` events with a fixed seed and end date (``gridsvc events generate``'s
   generator) into a CSV file;
2. goal 1 and 7: import that file ``--runs`` times into empty tables with
   ``gridsvc events import`` (a fresh process: wall time, peak RSS), measuring storage after
   each; the last import's data stays for the next steps;
3. goal 2: per-community counts of one category in 30-day windows via ``gridsvc.stats``,
   and the same counts by a spatial join at query time;
4. the design measurement: ``Locator.assign`` vs PostGIS on the same points;
5. goals 3 and 4: ``gridsvc serve`` under 32 concurrent clients; goal 6 and the console
   (C1, C2) in headless Chromium against the same server;
6. goal 1's baseline last (it adds rows): one INSERT per row with an ST_Contains subquery.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from bench import console, field, floor, imports, indexuse, lists, load, maps, queries, queue
from bench import explain as explain_mod
from bench import replica as replica_bench
from bench import vtiles as tiles_bench
from bench.data import generate_csv, read_points, read_rows
from bench.environment import BenchDatabase, machine_info, postgres_info, throwaway_database
from bench.lists import rows as lists_rows
from bench.plan import Plan, make_plan
from bench.queue import rows as queue_rows
from bench.report import Baseline, Row, Target, markdown_table, print_table
from bench.summary import summarise

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"
GB = 1_000_000_000
IMPORT_GOAL_EVENTS_PER_S = 40_000
IMPORT_GOAL_SHARE_OF_FLOOR = 0.7
err = Console(stderr=True)
T = TypeVar("T")


def _step(name: str, fn: Callable[[], T]) -> T:
    started = time.perf_counter()
    err.print(f"[bold]{name}[/] …", highlight=False)
    result = fn()
    err.print(f"  done in {time.perf_counter() - started:,.1f} s", highlight=False)
    return result


def _repeat(plan: Plan, name: str, fn: Callable[[int], T]) -> list[T]:
    out = []
    for run in range(plan.runs):

        def once(run: int = run) -> T:
            return fn(run)

        out.append(_step(f"{name} (run {run + 1}/{plan.runs})", once))
    return out


def _strip(d: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in keys}


def _import_phase(plan: Plan, bench_db: BenchDatabase, csv_path: Path) -> dict[str, Any]:
    """Goals 1 and 7: each run imports into empty tables, then the storage is measured;
    then rows 1f and 1b on the rows of the last import (``bench/floor.py``), in the state
    row 1 ran in (right after an import)."""
    workdir = csv_path.parent
    imported, stored = [], []
    for run in range(plan.import_runs):
        imported.append(
            _step(
                f"goal 1: import (run {run + 1}/{plan.import_runs})",
                lambda: imports.import_once(bench_db, csv_path, timeout_s=plan.import_timeout_s),
            )
        )
        stored.append(_step("goal 7: storage", lambda: imports.storage(bench_db)))
    batch_rows = bench_db.settings().events.import_batch_rows
    dump = _step(
        "1f/1b: dump the stored rows", lambda: floor.dump_stored(bench_db, workdir, batch_rows)
    )
    try:
        floored = [
            _step(
                f"1f: COPY floor (run {run + 1}/{plan.import_runs})",
                lambda: floor.floor_once(bench_db, dump),
            )
            for run in range(plan.import_runs)
        ]
        bare = [
            _step(
                f"1b: bare COPY (run {run + 1}/{plan.import_runs})",
                lambda: floor.bare_once(bench_db, dump),
            )
            for run in range(plan.import_runs)
        ]
    finally:
        floor.drop_tables(bench_db)
        dump.remove()
    return {"imported": imported, "stored": stored, "floored": floored, "bare": bare}


def _query_phase(plan: Plan, bench_db: BenchDatabase, csv_path: Path) -> dict[str, Any]:
    """Goal 2 and the design measurement, on the data of the last import."""
    svc = bench_db.service()
    try:
        cases = queries.count_cases(plan, plan.count_queries)
        baseline_cases = cases[: plan.baseline_count_queries]
        # warm, untimed: taxonomy, plans, and the rollup's pages these cases read (rows 1f
        # and 1b just wrote ~20 GB at 10 million events; warmed by 3 cases, row 2 read its
        # rollup cold: 134 ms instead of 25 ms)
        queries.rollup_counts_run(svc, cases)
        queries.baseline_counts_run(bench_db, baseline_cases)  # warmed alike
        rollup = _repeat(
            plan, "goal 2: counts from the rollup", lambda _: queries.rollup_counts_run(svc, cases)
        )
        rollup_sql = _repeat(
            plan,
            "goal 2: the rollup query alone",
            lambda _: queries.rollup_sql_run(svc, bench_db, cases),
        )
        joined = _repeat(
            plan,
            "goal 2: counts by spatial join",
            lambda _: queries.baseline_counts_run(bench_db, baseline_cases),
        )
        agreement = queries.counts_agreement(svc, bench_db, cases[0])

        points = read_points(csv_path, plan.locate_points)
        svc.locator()  # built once, as a running service has it
        in_process = _repeat(
            plan, "design: locate in process", lambda _: queries.locate_in_process_run(svc, points)
        )
        in_db = _repeat(
            plan,
            "design: locate in PostGIS",
            lambda _: queries.locate_postgis_run(bench_db, points),
        )
    finally:
        svc.close()
    return {
        "rollup": rollup,
        "rollup_sql": rollup_sql,
        "joined": joined,
        "agreement": agreement,
        "locate_same": queries.locate_agreement(in_process[-1], in_db[-1]),
        "in_process": [_strip(r, "codes", "found", "snapped") for r in in_process],
        "in_db": [_strip(r, "codes") for r in in_db],
    }


def _maps_phase(plan: Plan, bench_db: BenchDatabase) -> dict[str, Any]:
    """Goal 5: the pages over every event, and the raw-point page folium would make."""
    svc = bench_db.service()
    exact = bench_db.service(heat_sample_above=0)
    try:
        maps.pages_run(svc, exact)  # warm: taxonomy, units, plans
        pages = _repeat(plan, "goal 5: map pages", lambda _: maps.pages_run(svc, exact))
        raw = _step(
            "goal 5 baseline: folium HeatMap of raw points",
            lambda: maps.raw_points_baseline(svc, plan.events),
        )
    finally:
        exact.close()
        svc.close()
    return {"pages": pages, "raw_points": raw}


def _tiles_phase(plan: Plan, bench_db: BenchDatabase) -> dict[str, Any]:
    """Vector tiles (issue #20): time per tile and the largest tile, on the same data."""
    per_zoom = 6 if plan.events < 20_000 else (25 if plan.quick else 50)
    tiles = _step(
        "vector tiles: events and communities",
        lambda: tiles_bench.measure(bench_db, plan.events, plan.runs, per_zoom, plan.end),
    )
    return {"tiles": tiles}


def _lists_phase(plan: Plan, bench_db: BenchDatabase) -> dict[str, Any]:
    """Event lists in time order with a keyset cursor (issue #24), beside the id order."""
    repeats = 8 if plan.events < 20_000 else (20 if plan.quick else 30)
    page_lists = _step(
        "event lists: first and later pages",
        lambda: lists.measure(bench_db, plan, plan.runs, repeats),
    )
    return {"lists": page_lists}


def _http_phase(
    plan: Plan, bench_db: BenchDatabase, sample: list[dict[str, str]]
) -> dict[str, Any]:
    """Goals 3 and 4 against ``gridsvc serve``; a short warm-up before each (not counted)."""
    with load.api_server(bench_db, workers=plan.http_workers) as server:
        token = bench_db.admin_token()

        def drive(
            make: Callable[[int], load.Request], status: int, max_requests: int
        ) -> load.LoadResult:
            return load.run_load(
                server,
                token,
                make,
                expected=frozenset({status}),
                clients=plan.http_clients,
                max_requests=max_requests,
                max_seconds=plan.http_seconds,
            )

        locate_make = load.locate_requests(sample)
        drive(locate_make, 200, 4 * plan.http_clients)
        locate_runs = _repeat(
            plan, "goal 3: GET /v1/locate", lambda _: drive(locate_make, 200, plan.http_requests)
        )
        drive(load.post_requests(sample, "bench-warm"), 201, 2 * plan.http_clients)
        post_runs = _repeat(
            plan,
            "goal 4: POST /v1/events",
            lambda run: drive(
                load.post_requests(sample, f"bench-post-{run}"), 201, plan.post_requests
            ),
        )
        threads = load.server_threads(server.pid)
        paint: list[dict[str, Any]] = []
        if maps.available():
            try:
                paint = _step(
                    "goal 6: first paint in Chromium",
                    lambda: maps.first_paint_runs(server.base_url, token, plan.runs),
                )
            except Exception as exc:  # the browser itself failed: the row says n/a
                err.print(f"  goal 6 not measured: {exc!r}"[:300], highlight=False)
        page: dict[str, Any] = {"console_runs": [], "console_api_runs": [], "field_page": None}
        if maps.available():
            page = _step(
                "console: the analyst's page in Chromium",
                lambda: console.measure(bench_db, server, plan.runs),
            )
            page["field_page"] = _step(
                "the field page's first load in Chromium",
                lambda: field.measure(bench_db.url, server.base_url),
            )
        queue_page = _step(
            "the dispatch queue's first page", lambda: queue.measure(bench_db, server, plan.runs)
        )
    replica = _step(
        "goal 4r: POST /v1/events under an analysts' load, one server and a read replica",
        lambda: replica_bench.measure(plan, bench_db, sample),
    )
    return {
        "replica": replica,
        **page,
        "queue": queue_page,
        "locate_runs": [r.to_dict() for r in locate_runs],
        "post_runs": [r.to_dict() for r in post_runs],
        "server_threads": threads,
        "paint_runs": paint,
    }


def measure(
    plan: Plan, workdir: Path | None, *, explain: bool = False
) -> tuple[dict[str, Any], list[Row]]:
    """Run every measurement of ``plan``: the result document (without rows) and the rows.
    ``explain``: the plans of the measured reads are logged and summed up in ``doc["explain"]``
    (``bench/explain.py``; the figures then pay for the logging)."""
    started = datetime.now(UTC)
    doc: dict[str, Any] = {"plan": plan.to_dict(), "machine": machine_info()}
    with throwaway_database(workdir) as bench_db:
        doc["postgres"] = postgres_info(bench_db)
        settings = bench_db.settings()
        doc["gridsvc_settings"] = {
            "pool_max": settings.db.pool_max,
            "import_batch_rows": settings.events.import_batch_rows,
            "statement_timeout_ms": settings.db.statement_timeout_ms,
            "server": f"gridsvc serve --workers {plan.http_workers}, default thread pool",
        }
        csv_path = bench_db.folder / "events.csv"
        doc["data"] = _step(
            f"generate {plan.events:,} events", lambda: generate_csv(csv_path, plan)
        )
        sample = read_rows(csv_path, max(plan.baseline_rows, 5_000))
        scans: dict[str, indexuse.Counts] = {}
        last = indexuse.snapshot(bench_db)

        def scanned(step: str) -> None:
            nonlocal last
            now = indexuse.snapshot(bench_db)
            scans[step], last = indexuse.used(last, now), now

        measured = _import_phase(plan, bench_db, csv_path)
        scanned("import (rows 1, 7; the dump for 1f)")
        if explain:
            explain_mod.enable(bench_db)
        measured |= _query_phase(plan, bench_db, csv_path)
        scanned("counts (2, 2q) and locate (D)")
        measured |= _maps_phase(plan, bench_db)
        scanned("map pages (5, 5t, 5c)")
        measured |= _tiles_phase(plan, bench_db)
        scanned("vector tiles (V1-V3)")
        measured |= _lists_phase(plan, bench_db)
        scanned("event lists (L1-L3p)")
        measured |= _http_phase(plan, bench_db, sample)
        scanned("HTTP: locate, reports, first paint, console, field page, queue (3, 4, 6, C, F, Q)")
        if explain:
            explain_mod.disable(bench_db)
            doc["explain"] = explain_mod.plans_by_query(explain_mod.log_file(bench_db))
        # after the reads: it adds rows to the tables they read
        measured["per_row"] = _repeat(
            plan,
            f"goal 1 baseline: {plan.baseline_rows:,} rows, one INSERT each",
            lambda run: imports.per_row_baseline(bench_db, sample[: plan.baseline_rows], run=run),
        )
        scanned("per-row INSERT baseline")
        measured["compact"] = _step(
            "7c: storage with every index rebuilt", lambda: imports.compact_storage(bench_db)
        )
        measured["index_use"] = indexuse.summary(scans, last)
    doc["started_at"] = started.isoformat()
    doc["finished_at"] = datetime.now(UTC).isoformat()
    return doc, build_rows(plan, **measured)


def _sample_note(pages: list[dict[str, Any]]) -> str:
    """How the heat map of goal 5 was binned, and what binning every event took."""
    percent = pages[0].get("heatmap_sample_percent")
    every = summarise([r["heatmap_every_event_build_s"] * 1000.0 for r in pages]).median
    how = (
        f"binned from a {percent:g}% page sample (GRIDSVC_HEAT_SAMPLE_ABOVE), counts scaled "
        "up and the map saying so"
        if percent
        else "every event binned (no sample)"
    )
    return (
        f"{how}; the same page with every event binned (GRIDSVC_HEAT_SAMPLE_ABOVE=0): "
        f"median {every:,.0f} ms, {pages[0]['heatmap_every_event_bytes']:,} B"
    )


def _cpu_note(runs: list[dict[str, Any]]) -> str:
    """Who used the CPU during a load: the client shares the machine with the server."""

    def median(key: str) -> float:
        return summarise([r[key] for r in runs]).median

    client = median("client_cpu_fraction_of_one_core")
    server = median("server_cpu_fraction_of_one_core")
    cores = os.cpu_count() or 1
    rest = max(0.0, median("machine_busy_fraction") * cores - client - server)
    note = (
        f"CPU in cores (median): load client {client:.2f}, API server {server:.2f}, the rest "
        f"(PostgreSQL) {rest:.2f}, of {cores}"
    )
    if client > 0.8:
        note += "; the client saturated a core, so the figure is a lower bound"
    return note


def build_rows(
    plan: Plan,
    *,
    imported: list[dict[str, Any]],
    stored: list[dict[str, Any]],
    floored: list[dict[str, Any]],
    bare: list[dict[str, Any]],
    per_row: list[dict[str, Any]],
    index_use: dict[str, Any] | None = None,
    compact: dict[str, Any] | None = None,
    rollup: list[dict[str, Any]],
    rollup_sql: list[dict[str, Any]],
    joined: list[dict[str, Any]],
    agreement: dict[str, Any],
    in_process: list[dict[str, Any]],
    in_db: list[dict[str, Any]],
    locate_same: dict[str, Any],
    locate_runs: list[dict[str, Any]],
    post_runs: list[dict[str, Any]],
    server_threads: int | None,
    pages: list[dict[str, Any]],
    raw_points: dict[str, Any],
    paint_runs: list[dict[str, Any]],
    console_runs: list[dict[str, Any]],
    console_api_runs: list[dict[str, Any]],
    queue: dict[str, Any] | None = None,
    field_page: dict[str, Any] | None = None,
    tiles: dict[str, Any] | None = None,
    lists: dict[str, Any] | None = None,
    replica: dict[str, Any] | None = None,
) -> list[Row]:
    """The table's rows, one figure and one goal each (see the issue for the goals)."""
    runs = f"median of {plan.runs} runs"
    import_runs = f"median of {len(imported)} runs"
    per_row_label = f"per-row INSERT + ST_Contains, {plan.baseline_rows:,}-row sample"
    import_rate = summarise([r["events_per_s"] for r in imported])
    floor_rate = summarise([r["events_per_s"] for r in floored])
    # issue #24: >= 40,000 events/s or >= 70 % of the floor measured in the same run,
    # whichever is lower
    import_goal = min(IMPORT_GOAL_EVENTS_PER_S, IMPORT_GOAL_SHARE_OF_FLOOR * floor_rate.median)
    of_floor = import_rate.median / floor_rate.median
    rows = [
        Row(
            "1",
            f"bulk import of {plan.events:,} events, end to end",
            "events/s",
            import_rate,
            higher_is_better=True,
            target=Target(">=", import_goal),
            baseline=Baseline(
                per_row_label,
                summarise([r["events_per_s"] for r in per_row]),
                notes=(
                    f"rate measured on {plan.baseline_rows:,} rows per run and extrapolated to "
                    f"{plan.events:,}: the per-row cost does not fall with size",
                ),
            ),
            notes=[
                f"{import_runs}; `gridsvc events import FILE` in a fresh process, wall time from "
                "start to exit (interpreter start-up included), into empty tables",
                f"target: {IMPORT_GOAL_EVENTS_PER_S:,} events/s or "
                f"{IMPORT_GOAL_SHARE_OF_FLOOR:.0%} of row 1f, whichever is lower; row 1 is "
                f"{of_floor:.0%} of row 1f",
                f"baseline rate measured on a {plan.baseline_rows:,}-row sample per run, "
                "extrapolated",
            ],
            details={"imports": imported, "baseline_runs": per_row},
        ),
        Row(
            "1f",
            f"import floor: the stored rows COPYed into event's schema, indexes, keys and "
            f"rollups (row 1 is {of_floor:.0%} of it)",
            "events/s",
            floor_rate,
            higher_is_better=True,
            notes=[
                f"median of {len(floored)} runs; the rows of row 1's last import (parsed, "
                "checked, grids assigned), COPYed in row 1's batches (one commit each) into "
                "empty copies of event and event_key (every index, the foreign key), both "
                "rollups by one INSERT … SELECT … GROUP BY per batch; no gridsvc code",
            ],
            details={"runs": floored},
        ),
        Row(
            "1b",
            "bare COPY of the same event rows into a table without indexes",
            "events/s",
            summarise([r["events_per_s"] for r in bare]),
            higher_is_better=True,
            notes=[
                f"median of {len(bare)} runs; same batches and commits as row 1f, no index, "
                "no key, no rollup: the disk and COPY path's limit"
            ],
            details={"runs": bare},
        ),
        Row(
            "1m",
            "bulk import: peak RSS of the import process",
            "bytes",
            summarise([float(r["max_rss_bytes"]) for r in imported]),
            higher_is_better=False,
            target=Target("<=", GB),
            notes=[f"{import_runs}; ru_maxrss of the import process (wait4)"],
        ),
        Row(
            "2",
            "per-community counts, 1 category, 30 days: p95",
            "ms",
            summarise([r["p95_ms"] for r in rollup]),
            higher_is_better=False,
            target=Target("<=", 50),
            baseline=Baseline(
                "ST_Contains join at query time",
                summarise([r["p95_ms"] for r in joined]),
                notes=(f"{plan.baseline_count_queries} queries per run",),
            ),
            ratio_target=50,
            notes=[
                f"{runs}; p95 of {plan.count_queries} calls of gridsvc.stats.counts_by_unit"
                "(svc, 'community', filter) per run (varied category and window); baseline "
                f"p95 of the first {plan.baseline_count_queries} of the same queries",
                f"agreement on one query: rollup {agreement['rollup_events']:,} events, "
                f"spatial join {agreement['spatial_join_events']:,} "
                f"({agreement['communities_differing']} communities differ; snapped events "
                "count in the rollup only)",
            ],
            details={"rollup_runs": rollup, "baseline_runs": joined, "agreement": agreement},
        ),
        Row(
            "2q",
            "the same counts: rollup SQL alone, p95 (no goal)",
            "ms",
            summarise([r["p95_ms"] for r in rollup_sql]),
            higher_is_better=False,
            baseline=Baseline(
                "ST_Contains join at query time", summarise([r["p95_ms"] for r in joined])
            ),
            notes=[
                "stats_counts_by_community.sql (the rollup summed per community) on one open "
                "connection, same queries as goal 2: "
                "what the database spends; goal 2 minus this is the library's share"
            ],
            details={"runs": rollup_sql},
        ),
        Row(
            "3",
            f"GET /v1/locate, {plan.http_clients} clients: throughput",
            "req/s",
            summarise([r["ok_per_s"] for r in locate_runs]),
            higher_is_better=True,
            target=Target(">=", 1_000),
            notes=[
                f"{runs}; at most {plan.http_requests:,} requests or {plan.http_seconds:g} s "
                "per run",
                f"errors: {sum(r['errors'] for r in locate_runs)} over all runs",
                _cpu_note(locate_runs),
            ],
            details={"runs": locate_runs, "server_threads": server_threads},
        ),
        Row(
            "3p",
            f"GET /v1/locate, {plan.http_clients} clients: p99",
            "ms",
            summarise([r["p99_ms"] for r in locate_runs]),
            higher_is_better=False,
            target=Target("<=", 50),
        ),
        Row(
            "4",
            f"POST /v1/events, {plan.http_clients} clients: throughput",
            "events/s",
            summarise([r["ok_per_s"] for r in post_runs]),
            higher_is_better=True,
            target=Target(">=", 500),
            notes=[
                f"{runs}; at most {plan.post_requests:,} requests or {plan.http_seconds:g} s "
                "per run, each a new report (201)",
                _cpu_note(post_runs),
            ],
            details={"runs": post_runs},
        ),
        Row(
            "4p",
            f"POST /v1/events, {plan.http_clients} clients: p99",
            "ms",
            summarise([r["p99_ms"] for r in post_runs]),
            higher_is_better=False,
            target=Target("<=", 100),
        ),
        Row(
            "4e",
            "POST /v1/events: errors (not 201), all runs",
            "count",
            summarise([float(sum(r["errors"] for r in post_runs))]),
            higher_is_better=False,
            target=Target("<=", 0),
        ),
        *storage_rows(stored, index_use or {}, compact),
        Row(
            "5",
            f"heat map page of all {plan.events:,} events: HTML size",
            "bytes",
            summarise([float(r["heatmap_bytes"]) for r in pages]),
            higher_is_better=False,
            target=Target("<=", 3_000_000),
            baseline=Baseline(
                "folium HeatMap fed the raw points",
                summarise([raw_points["extrapolated_bytes"]]),
                notes=(
                    f"built for {raw_points['sample_points']:,} of the points "
                    f"({raw_points['sample_bytes']:,} B) and extrapolated at "
                    f"{raw_points['bytes_per_point']:.1f} B per point",
                ),
            ),
            notes=[
                f"{runs}; gridsvc.maps.heatmap_html(svc): every event (or a page sample of "
                "them, row 5t), binned in PostGIS on 200 m cells, or 600 m, 1,800 m… past "
                "30,000 cells (cell size in the JSON); the baseline is the size the raw-point "
                "page would reach"
            ],
            details={"runs": pages, "raw_points": raw_points},
        ),
        Row(
            "5t",
            "heat map page of all events: build time",
            "ms",
            summarise([r["heatmap_build_s"] * 1000.0 for r in pages]),
            higher_is_better=False,
            target=Target("<=", 2_000),
            notes=[
                f"{runs}; binning query, folium page and inlined data, in process",
                _sample_note(pages),
            ],
        ),
        Row(
            "5c",
            "citywide community choropleth page: HTML size",
            "bytes",
            summarise([float(r["choropleth_bytes"]) for r in pages]),
            higher_is_better=False,
            target=Target("<=", 1_500_000),
            notes=[
                f"{runs}; gridsvc.maps.choropleth_html(svc, 'community'), 1,255 communities; "
                "build time median "
                f"{summarise([r['choropleth_build_s'] * 1000.0 for r in pages]).median:,.0f} ms"
            ],
        ),
        Row(
            "6",
            "heat map page in headless Chromium: time until the heat is drawn",
            "ms",
            summarise([r["heat_drawn_ms"] for r in paint_runs] or [math.nan]),
            higher_is_better=False,
            target=Target("<=", 2_000),
            notes=[
                f"{len(paint_runs)} page loads, each in a fresh browser context (empty cache), "
                "from the running API server, every other host blocked; time from navigation "
                "start until the heat canvas holds pixels",
                "first contentful paint, median: "
                + (
                    f"{summarise([r['first_contentful_paint_ms'] for r in paint_runs]).median:,.0f}"
                    " ms"
                    if paint_runs
                    else "n/a (no Chromium)"
                ),
                f"failed requests: {sum(len(r['failed_requests']) for r in paint_runs)}",
            ],
            details={"runs": paint_runs},
        ),
        Row(
            "D",
            f"design: locate {plan.locate_points:,} points in process",
            "points/s",
            summarise([r["points_per_s"] for r in in_process]),
            higher_is_better=True,
            baseline=Baseline(
                "PostGIS grid_unit_part, COPY + query",
                summarise([r["points_per_s"] for r in in_db]),
            ),
            notes=[
                "in process also snaps, flags near_boundary (a metric dwithin) and finds the "
                "grid level; PostGIS does containment only; same points",
                f"agreement: {locate_same['same_community']:,} of "
                f"{locate_same['points_inside']:,} points inside a community get the same "
                "community from both",
            ],
            details={
                "in_process_runs": in_process,
                "postgis_runs": in_db,
                "agreement": locate_same,
            },
        ),
        *console.rows(console_runs, console_api_runs),
        *queue_rows(queue or {}),
        *field.rows(field_page),
        *tiles_bench.rows(tiles or {}),
        *lists_rows(lists or {}),
        *replica_bench.rows(plan, replica or {}),
    ]
    return rows


def storage_rows(
    stored: list[dict[str, Any]],
    index_use: dict[str, Any],
    compact: dict[str, Any] | None = None,
) -> list[Row]:
    """Row 7 (bytes per event, no goal since issue #24) and its split: the reports' own text,
    the rest of the heap, the indexes (each named in the notes, with the steps that scanned
    it), the rollups; the goal on everything but the text; and, with ``compact``, the same
    after every index is rebuilt (row 7c)."""
    import_runs = f"median of {len(stored)} runs, after each import and VACUUM ANALYZE"
    last = stored[-1]
    steps: dict[str, dict[str, int]] = index_use.get("steps", {})

    def readers(index: str) -> str:
        names = [
            step for step, counts in steps.items() if any(k.endswith(f".{index}") for k in counts)
        ]
        return "; ".join(names) if names else "no measured step"

    index_notes = [
        f"{name}: {per_event:,.1f} B/event, scanned by: {readers(name)}"
        for name, per_event in last["index_bytes_per_event"].items()
    ]
    never = index_use.get("never_scanned", [])
    return [
        Row(
            "7",
            "storage per event (table, TOAST, indexes)",
            "bytes",
            summarise([r["bytes_per_event"] for r in stored]),
            higher_is_better=False,
            notes=[
                f"{import_runs}; event and event_key; rollups apart (row 7r); the goal is row 7g"
            ],
            details={"runs": stored},
        ),
        Row(
            "7t",
            "storage per event: the reports' own text (title, description, address, media, "
            "attributes)",
            "bytes",
            summarise([r["text_bytes_per_event"] for r in stored]),
            higher_is_better=False,
            notes=["pg_column_size of each stored value (compressed or TOASTed as it is)"],
        ),
        Row(
            "7h",
            "storage per event: the rest of the heap (event, event_key, TOAST, maps)",
            "bytes",
            summarise([r["rest_of_heap_bytes_per_event"] for r in stored]),
            higher_is_better=False,
            notes=["tuple headers, every other column, padding, free space"],
        ),
        Row(
            "7i",
            f"storage per event: the {len(last['index_bytes_per_event'])} indexes of event and "
            "event_key",
            "bytes",
            summarise([sum(r["index_bytes_per_event"].values()) for r in stored]),
            higher_is_better=False,
            notes=[
                *index_notes,
                "no measured step scanned: " + (", ".join(never) if never else "(none)"),
            ],
            details=index_use,
        ),
        Row(
            "7r",
            "storage per event: the rollups (event_daily, event_status_count, event_tile_bin)",
            "bytes",
            summarise(
                [
                    r["event_daily_bytes_per_event"]
                    + r["event_status_count_bytes_per_event"]
                    + r["event_tile_bin_bytes_per_event"]
                    for r in stored
                ]
            ),
            higher_is_better=False,
            notes=[
                f"event_daily {last['event_daily_bytes_per_event']:,.1f} B/event "
                f"({last['rollup_rows']:,} rows), event_status_count "
                f"{last['event_status_count_bytes_per_event']:,.1f} B/event, event_tile_bin "
                f"{last['event_tile_bin_bytes_per_event']:,.1f} B/event; not in row 7"
            ],
        ),
        Row(
            "7g",
            "storage per event: everything but the reports' own text (row 7 - 7t)",
            "bytes",
            summarise([r["all_but_text_bytes_per_event"] for r in stored]),
            higher_is_better=False,
            target=Target("<=", 500),
            notes=[import_runs],
        ),
        *([] if compact is None else [_compact_row(compact)]),
    ]


def _compact_row(compact: dict[str, Any]) -> Row:
    """Row 7c: row 7g once every index of event and event_key is rebuilt at the end of the
    run (``imports.compact_storage``)."""
    largest = compact["index_bytes_per_event"].items()  # largest first
    return Row(
        "7c",
        "storage per event: everything but the reports' own text, every index rebuilt "
        "(REINDEX, default fillfactor; no goal)",
        "bytes",
        summarise([compact["all_but_text_bytes_per_event"]]),
        higher_is_better=False,
        notes=[
            f"at the end of the run ({compact['events']:,} events): the rest of the heap "
            f"{compact['rest_of_heap_bytes_per_event']:,.1f} B/event, indexes "
            f"{sum(compact['index_bytes_per_event'].values()):,.1f} B/event ("
            + ", ".join(f"{name} {b:,.1f}" for name, b in largest if b >= 1)
            + ")"
        ],
        details={"compact": compact},
    )


def _clean(value: Any) -> Any:
    """JSON-safe: NaN and infinities become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--events",
        type=int,
        default=int(os.environ["BENCH_EVENTS"]) if os.environ.get("BENCH_EVENTS") else None,
        help="events to generate (default: BENCH_EVENTS, else 10,000,000; --quick: 100,000)",
    )
    parser.add_argument("--quick", action="store_true", help="the CI-sized run (100,000 events)")
    parser.add_argument("--runs", type=int, default=None, help="repeats of each measurement (3)")
    parser.add_argument(
        "--import-runs",
        type=int,
        default=None,
        help="repeats of the import (goals 1, 1m, 7; default: --runs); ~20 min each at 10M",
    )
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--days", type=int, default=365, help="days the events span")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="result JSON")
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where the throwaway cluster and CSV go"
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="log the plan of every statement after the import and list the indexes each "
        "query used (doc['explain']); the figures then pay for the logging",
    )
    args = parser.parse_args(argv)
    plan = make_plan(
        events=args.events,
        quick=args.quick,
        seed=args.seed,
        days=args.days,
        runs=args.runs,
        import_runs=args.import_runs,
    )
    if plan.runs < 1 or plan.import_runs < 1:
        parser.error("--runs and --import-runs must be at least 1")
    err.print(f"gridsvc benchmark: {plan.events:,} events, {plan.runs} runs each", highlight=False)
    doc, rows = measure(plan, args.workdir, explain=args.explain)
    doc["rows"] = [r.to_dict() for r in rows]
    doc["goals_not_met"] = [r.id for r in rows if r.met is False]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(_clean(doc), indent=2, ensure_ascii=False) + "\n")
    table = args.out.with_suffix(".md")
    table.write_text(markdown_table(rows))
    print_table(rows, Console(width=max(160, Console().width)))
    for name, used in doc.get("explain", {}).items():
        err.print(f"{name}: {used}", highlight=False)
    err.print(f"wrote {args.out} and {table}", highlight=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
