"""Event lists (issue #24): a page of ``GET /v1/events`` in time order with its keyset
cursor, for the windows people page through, beside the id-ordered list of before.

Three windows, each a first page and a later page (the 11th, following ``next`` from the
first; the last page where the selection has fewer), 100 events a page as the API's default:

- **recent**: every event, newest first (the list without a filter);
- **a month a year back**: one category, the first 30 days of the data (a year before its
  end), categories drawn by the generator's weights;
- **one day**: every category, one day of the city drawn across the data.

Each figure is a p95 over ``repeats`` pages per window and page kind, by the library as the
API calls it (``store.list_events``, an admin's filter), after one warm-up run (plans,
caches). The cursors of the later pages are found once, before the clock starts.

The baseline is the list of before on the same data and the same pages, on one open
connection: newest id first, the cursor the last id, with the planner trick of
``store._list_order`` at 6db2fca (``bench/sql/baseline_list_*.sql``), run in a transaction
that puts back the indexes of before (the BRIN on ``occurred_at`` instead of migration
0015's btrees) and is rolled back. It builds the events' dicts as the library does, but on
one open connection, without the pool's checkout and commit per page: if anything the
baseline is favoured.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from psycopg2 import sql
from psycopg2.extensions import cursor as Cursor

from bench.environment import BenchDatabase
from bench.plan import Plan
from bench.report import Baseline, Row, Target
from bench.sql import bench_query
from bench.summary import summarise
from gridsvc.access import Principal
from gridsvc.db.pool import Database
from gridsvc.events import columns, store
from gridsvc.events.generate import DEFAULT_MIX

PAGE = 100
LATER = 10
"""Pages followed before the later page is timed (it is the 11th)."""
GOAL_MS = 100.0
ADMIN = Principal(0, "bench-lists", "admin")
_ID = [c.name for c in columns.READ].index("id")
WINDOWS = {
    "recent": "recent events (no filter)",
    "month": "one category, a month a year back",
    "day": "one day of every category",
}


@dataclass(frozen=True)
class Case:
    window: str
    flt: store.EventFilter


def cases(plan: Plan, repeats: int, seed: int = 24) -> list[Case]:
    """``repeats`` filters per window, the same for the same plan."""
    rng = random.Random(seed)
    start = (plan.end - timedelta(days=plan.days)).replace(hour=0, minute=0, second=0)
    weights = [c.weight for c in DEFAULT_MIX]
    out = []
    for _ in range(repeats):
        out.append(Case("recent", store.EventFilter(principal=ADMIN, limit=PAGE)))
        category = rng.choices([c.code for c in DEFAULT_MIX], weights)[0]
        month = store.EventFilter(
            principal=ADMIN,
            limit=PAGE,
            categories=(category,),
            occurred_from=start,
            occurred_to=start + timedelta(days=30),
        )
        out.append(Case("month", month))
        day = start + timedelta(days=rng.randrange(1, plan.days - 1))
        out.append(
            Case(
                "day",
                store.EventFilter(
                    principal=ADMIN,
                    limit=PAGE,
                    occurred_from=day,
                    occurred_to=day + timedelta(days=1),
                ),
            )
        )
    return out


# --- the list of before (the baseline) ---------------------------------------------------------


def _old_order(cur: Cursor, flt: store.EventFilter, after_id: int | None) -> str:
    """``store._list_order`` at 6db2fca: ``e.id + 0`` when the planner's histogram puts
    fewer events in the window than after it (and a later page does not start inside)."""
    if flt.occurred_to is None:
        return "e.id"
    if after_id is not None:
        cur.execute(bench_query("baseline_list_time_below"), {"after_id": after_id})
        below = cur.fetchone()
        if below is None or below[0] < flt.occurred_to:
            return "e.id"
    window = {"occurred_from": flt.occurred_from, "occurred_to": flt.occurred_to}
    cur.execute(bench_query("baseline_list_time_shares"), window)
    row = cur.fetchone()
    assert row is not None
    inside, after = row
    return "e.id + 0" if inside < after else "e.id"


def _old_page(cur: Cursor, flt: store.EventFilter, after_id: int | None, now: datetime) -> int:
    """One page of the list of before; the id to continue from (0: the last page)."""
    order = _old_order(cur, flt, after_id)
    stmt = sql.SQL(bench_query("baseline_list_by_id")).format(
        columns=sql.SQL(columns.SELECT), order=sql.SQL(order)
    )
    cur.execute(
        stmt,
        {
            "categories": list(flt.categories) if flt.categories else None,
            "occurred_from": flt.occurred_from,
            "occurred_to": flt.occurred_to,
            "after_id": after_id,
            "lim": flt.limit + 1,
            "now": now,
        },
    )
    rows = cur.fetchall()
    # what list_events did with the rows then and does now (the caller is an admin: no
    # redaction)
    [columns.event_dict(r) for r in rows[: flt.limit]]
    return int(rows[flt.limit - 1][_ID]) if len(rows) > flt.limit else 0


# --- timing -------------------------------------------------------------------------------------


def _p95(times_ms: list[float]) -> float:
    return float(np.percentile(np.asarray(times_ms), 95)) if times_ms else math.nan


def _timed(fn: Callable[..., Any], *args: Any) -> float:
    started = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - started) * 1000.0


def _new_later(svc: Any, flt: store.EventFilter) -> tuple[store.EventFilter, bool]:
    """The filter of the later page: ``LATER`` pages followed (fewer if the list ends), and
    whether it is the 11th page."""
    for _ in range(LATER):
        _, nxt = store.list_events(svc, flt)
        if nxt is None:
            return flt, False
        flt = replace(flt, after=nxt)
    return flt, True


def _old_later(cur: Cursor, flt: store.EventFilter, now: datetime) -> int | None:
    """The ``after_id`` of the same later page in the id order of before, found once with
    today's indexes (the window read first, ``e.id + 0``): the last id of the 10th page, or
    of the page before the last where the selection has fewer."""
    stmt = sql.SQL(bench_query("baseline_list_by_id")).format(
        columns=sql.SQL("SELECT e.id "), order=sql.SQL("e.id + 0" if flt.occurred_to else "e.id")
    )
    cur.execute(
        stmt,
        {
            "categories": list(flt.categories) if flt.categories else None,
            "occurred_from": flt.occurred_from,
            "occurred_to": flt.occurred_to,
            "after_id": None,
            "lim": LATER * PAGE + 1,
            "now": now,
        },
    )
    ids = [int(r[0]) for r in cur.fetchall()]
    pages = min(LATER, (len(ids) - 1) // PAGE)  # pages followed before the timed one
    return ids[pages * PAGE - 1] if pages > 0 else None


def _new_pass(svc: Any, todo: list[Case], later: list[store.EventFilter]) -> dict[str, Any]:
    times: dict[str, list[float]] = {}
    for case, flt in zip(todo, later, strict=True):
        times.setdefault(f"{case.window} first", []).append(
            _timed(store.list_events, svc, case.flt)
        )
        times.setdefault(f"{case.window} later", []).append(_timed(store.list_events, svc, flt))
    return {k: _p95(v) for k, v in times.items()}


def _old_pass(
    cur: Cursor, todo: list[Case], later: list[int | None], now: datetime
) -> dict[str, Any]:
    times: dict[str, list[float]] = {}
    for case, after in zip(todo, later, strict=True):
        times.setdefault(f"{case.window} first", []).append(
            _timed(_old_page, cur, case.flt, None, now)
        )
        times.setdefault(f"{case.window} later", []).append(
            _timed(_old_page, cur, case.flt, after, now)
        )
    return {k: _p95(v) for k, v in times.items()}


def measure(bench_db: BenchDatabase, plan: Plan, runs: int, repeats: int) -> dict[str, Any]:
    """Per run, the p95 of each window's first and later pages, new and before; each run
    measures the new lists, then the old ones in their transaction (rolled back). One
    warm-up run first, not counted."""
    todo = cases(plan, repeats)
    svc = bench_db.service()
    db = Database(bench_db.url, maxconn=1)
    new_runs: list[dict[str, float]] = []
    old_runs: list[dict[str, float]] = []
    schema_s: list[float] = []
    eleventh: dict[str, int] = {}
    try:
        now = svc.now()
        new_later = []
        for case in todo:
            flt, is_11th = _new_later(svc, case.flt)
            new_later.append(flt)
            eleventh[case.window] = eleventh.get(case.window, 0) + is_11th
        with db.connection() as conn, conn.cursor() as cur:
            old_later = [_old_later(cur, case.flt, now) for case in todo]
        for run in range(runs + 1):
            new = _new_pass(svc, todo, new_later)
            with db.connection() as conn, conn.cursor() as cur:
                started = time.perf_counter()
                cur.execute(bench_query("baseline_list_schema"))
                schema_s.append(round(time.perf_counter() - started, 2))
                old = _old_pass(cur, todo, old_later, now)
                conn.rollback()
            if run > 0:
                new_runs.append(new)
                old_runs.append(old)
    finally:
        svc.close()
        db.close()
    return {
        "new_runs": new_runs,
        "old_runs": old_runs,
        "repeats": repeats,
        "eleventh_pages": eleventh,
        "baseline_schema_s": schema_s,
    }


def rows(measured: dict[str, Any]) -> list[Row]:
    """Rows L1-L3 (first pages) and L1p-L3p (later pages) of the bench table."""
    new_runs = measured.get("new_runs", [])
    old_runs = measured.get("old_runs", [])
    repeats = measured.get("repeats", 0)
    eleventh = measured.get("eleventh_pages", {})
    out = []
    for n, (window, label) in enumerate(WINDOWS.items(), start=1):
        for kind, suffix in (("first", ""), ("later", "p")):
            key = f"{window} {kind}"
            page = "first page" if kind == "first" else "11th page"
            notes = [
                f"p95 of {repeats} pages of {PAGE} per run (store.list_events, admin), "
                "after a warm-up pass"
            ]
            if kind == "later":
                notes.append(
                    f"{eleventh.get(window, 0)} of {repeats} selections have 11 pages; "
                    "the others' last page is timed"
                )
            out.append(
                Row(
                    f"L{n}{suffix}",
                    f"event list, {label}: {page}, p95",
                    "ms",
                    summarise([r.get(key, math.nan) for r in new_runs] or [math.nan]),
                    higher_is_better=False,
                    target=Target("<=", GOAL_MS),
                    baseline=Baseline(
                        "the id-ordered list of before, its indexes",
                        summarise([r.get(key, math.nan) for r in old_runs] or [math.nan]),
                    ),
                    notes=notes,
                    details={"runs": new_runs, "baseline_runs": old_runs},
                )
            )
    return out
