"""Goal 2 (per-community counts from the rollup vs a query-time spatial join) and the design
measurement (locating points in process vs in PostGIS)."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import psycopg2

from bench.data import Points
from bench.environment import BenchDatabase
from bench.plan import BEIJING, Plan
from bench.sql import bench_query
from bench.summary import percentile_ms
from gridsvc.events.generate import DEFAULT_MIX
from gridsvc.service import Gridsvc
from gridsvc.stats import StatsFilter, counts_by_unit
from gridsvc.stats.filters import sql_params
from gridsvc.stats.units import stats_query

WINDOW_DAYS = 30


@dataclass(frozen=True)
class CountCase:
    """One query of goal 2: a leaf category and a 30-day window of Beijing days."""

    category: str
    date_from: date

    @property
    def date_to(self) -> date:
        return self.date_from + timedelta(days=WINDOW_DAYS)

    def stats_filter(self) -> StatsFilter:
        return StatsFilter(
            categories=(self.category,), date_from=self.date_from, date_to=self.date_to
        )

    def baseline_params(self, version_id: int) -> dict[str, Any]:
        start = datetime.combine(self.date_from, datetime.min.time(), BEIJING)
        return {
            "version_id": version_id,
            "category": self.category,
            "time_from": start,
            "time_to": start + timedelta(days=WINDOW_DAYS),
        }


def count_cases(plan: Plan, count: int) -> list[CountCase]:
    """``count`` queries: categories of the generated mix (by weight) and window starts
    spread over the generated days, from a seeded generator."""
    rng = np.random.default_rng(plan.seed)
    specs = [c for c in DEFAULT_MIX if c.weight > 0]
    weights = np.array([c.weight for c in specs], dtype=np.float64)
    first_day = (plan.end - timedelta(days=plan.days)).date()
    latest_start = max(0, plan.days - WINDOW_DAYS)
    cases = []
    for _ in range(count):
        spec = specs[int(rng.choice(len(specs), p=weights / weights.sum()))]
        offset = int(rng.integers(0, latest_start + 1))
        cases.append(CountCase(spec.code, first_day + timedelta(days=offset)))
    return cases


def _timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def rollup_counts_run(svc: Gridsvc, cases: list[CountCase]) -> dict[str, Any]:
    """Time ``gridsvc.stats.counts_by_unit(svc, "community", filter)`` once per case, as an
    analyst's notebook or the API calls it (the rollup query plus the frame around it)."""
    latencies = [
        _timed(lambda c=case: counts_by_unit(svc, "community", c.stats_filter()))[0]
        for case in cases
    ]
    return {
        "queries": len(latencies),
        "p50_ms": percentile_ms(latencies, 50),
        "p95_ms": percentile_ms(latencies, 95),
        "max_ms": max(latencies) * 1000.0,
    }


def rollup_sql_run(svc: Gridsvc, bench_db: BenchDatabase, cases: list[CountCase]) -> dict[str, Any]:
    """The rollup query of ``counts_by_unit`` alone (``stats_counts_by_community.sql``) on one open
    connection: the database's share, without the library's other queries, its new
    connections and its frames."""
    taxonomy = svc.taxonomy(include_inactive=True)
    conn = psycopg2.connect(bench_db.url)
    latencies = []
    try:
        with conn.cursor() as cur:
            for case in cases:
                flt = case.stats_filter()
                statement = stats_query("stats_counts_by_community", flt).as_string(conn)
                params = {**sql_params(flt, taxonomy, svc.now()), "by_category": False}
                started = time.perf_counter()
                cur.execute(statement, params)
                cur.fetchall()
                latencies.append(time.perf_counter() - started)
            conn.rollback()
    finally:
        conn.close()
    return {
        "queries": len(latencies),
        "p50_ms": percentile_ms(latencies, 50),
        "p95_ms": percentile_ms(latencies, 95),
        "max_ms": max(latencies) * 1000.0,
    }


def baseline_counts_run(bench_db: BenchDatabase, cases: list[CountCase]) -> dict[str, Any]:
    """Time the same counts by a spatial join at query time
    (``bench/sql/baseline_counts_contains.sql``)."""
    version_id = _active_version(bench_db)
    statement = bench_query("baseline_counts_contains")
    conn = psycopg2.connect(bench_db.url)
    latencies = []
    try:
        with conn.cursor() as cur:
            for case in cases:
                started = time.perf_counter()
                cur.execute(statement, case.baseline_params(version_id))
                cur.fetchall()
                latencies.append(time.perf_counter() - started)
            conn.rollback()
    finally:
        conn.close()
    return {
        "queries": len(latencies),
        "p50_ms": percentile_ms(latencies, 50),
        "p95_ms": percentile_ms(latencies, 95),
        "max_ms": max(latencies) * 1000.0,
    }


def counts_agreement(svc: Gridsvc, bench_db: BenchDatabase, case: CountCase) -> dict[str, Any]:
    """Whether the rollup and the spatial join count the same events for one case. They may
    differ by snapped events (outside every polygon, within the snap tolerance: the rollup
    counts them, ST_Contains does not) and points exactly on an edge."""
    frame = counts_by_unit(svc, "community", case.stats_filter())
    rollup = {str(c): int(n) for c, n in zip(frame["code"], frame["n"], strict=True) if n}
    rows = bench_db.execute(
        bench_query("baseline_counts_contains"), case.baseline_params(_active_version(bench_db))
    )
    joined = {str(code): int(n) for code, n in rows}
    differing = sorted(c for c in set(rollup) | set(joined) if rollup.get(c) != joined.get(c))
    return {
        "category": case.category,
        "date_from": case.date_from.isoformat(),
        "date_to": case.date_to.isoformat(),
        "rollup_events": sum(rollup.values()),
        "spatial_join_events": sum(joined.values()),
        "communities_with_events": len(set(rollup) | set(joined)),
        "communities_differing": len(differing),
    }


def _active_version(bench_db: BenchDatabase) -> int:
    (row,) = bench_db.execute("SELECT id FROM grid_version WHERE active")
    return int(row[0])


def locate_in_process_run(svc: Gridsvc, points: Points) -> dict[str, Any]:
    """``Locator.assign`` over the points (containment, snapping, near_boundary, grid level:
    everything an import does per point)."""
    locator = svc.locator()
    seconds, assignment = _timed(lambda: locator.assign(points.lon_wgs84, points.lat_wgs84))
    return {
        "points": len(points.lon_wgs84),
        "seconds": seconds,
        "points_per_s": len(points.lon_wgs84) / seconds,
        "codes": locator.community_codes[assignment.community],
        "found": assignment.community >= 0,
        "snapped": assignment.snapped,
    }


def locate_postgis_run(bench_db: BenchDatabase, points: Points) -> dict[str, Any]:
    """The same points located in PostGIS against ``grid_unit_part``: COPYed into a
    temporary table, then one query (containment only: no snapping or near_boundary). The
    time includes sending the points and fetching the answers, as a caller would pay."""
    version_id = _active_version(bench_db)
    n = len(points.lon_wgs84)
    buffer = io.StringIO()
    np.savetxt(
        buffer,
        np.column_stack([np.arange(n), points.lon_wgs84, points.lat_wgs84]),
        fmt=("%d", "%.10f", "%.10f"),
        delimiter="\t",
    )
    conn = psycopg2.connect(bench_db.url)
    try:
        with conn.cursor() as cur:
            started = time.perf_counter()
            buffer.seek(0)
            cur.execute(bench_query("bench_point_create"))
            cur.copy_expert("COPY bench_point (i, lon, lat) FROM STDIN", buffer)
            copied = time.perf_counter()
            cur.execute(bench_query("locate_points_postgis"), {"version_id": version_id})
            rows = cur.fetchall()
            seconds = time.perf_counter() - started
            query_seconds = time.perf_counter() - copied
            conn.commit()
    finally:
        conn.close()
    codes = np.array([code for _, code in rows], dtype=object)
    return {
        "points": n,
        "seconds": seconds,
        "query_seconds": query_seconds,
        "points_per_s": n / seconds,
        "codes": codes,
    }


def locate_agreement(in_process: dict[str, Any], postgis: dict[str, Any]) -> dict[str, Any]:
    """Points inside a community (not snapped) on which both paths name the same one."""
    inside = in_process["found"] & ~in_process["snapped"]
    same = in_process["codes"][inside] == postgis["codes"][inside]
    return {
        "points_inside": int(inside.sum()),
        "same_community": int(same.sum()),
        "snapped_or_outside": int((~inside).sum()),
    }
