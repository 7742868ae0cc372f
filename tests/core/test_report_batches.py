"""Reports stored together (issue #8, goal 4): ``store.create_events`` and the API's
``ReportWriter`` must answer every report exactly as ``store.create_event`` answers it alone:
new ones stored once with their grids, rollup and possible duplicates; replays, conflicts and
rejections as they are alone; one bad report costing the others nothing."""

from __future__ import annotations

import io
import sys
import threading
from concurrent.futures import Future
from typing import Any

import psycopg2.errors
import pytest

import gridsvc.sql
from gridsvc.errors import DatabaseUnavailable, DuplicateConflict, InvalidInput
from gridsvc.events import store
from gridsvc.events.importer import import_events
from gridsvc.events.writer import ReportWriter
from gridsvc.service import Gridsvc
from gridsvc.sql import query as real_query
from tests.core.test_events import _count, _report
from tests.invariants import batch_sizes, duplicate_keys, rollup_differences


def test_a_batch_answers_each_report_as_it_would_be_answered_alone(svc: Gridsvc) -> None:
    stored = store.create_event(svc, _report(svc, client_event_id="b-stored"))
    reports = [
        _report(svc, client_event_id="b-new-1"),
        _report(
            svc, client_event_id="b-new-2", category="hazard.fire", title="烟雾", attributes={}
        ),
        _report(svc, client_event_id="b-stored"),  # a replay
        _report(svc, client_event_id="b-stored", title="另一件事"),  # its id, other content
        _report(svc, client_event_id="b-bad", category="no.such.kind"),  # fails a check
        _report(svc, client_event_id="b-twice"),
        _report(svc, client_event_id="b-twice"),  # the same report twice in one batch
        _report(svc, client_event_id="b-twice", title="又一件"),  # and other content under it
    ]
    before = _count(svc)
    results = store.create_events(svc, reports)

    assert len(results) == len(reports)
    new_1, new_2, replay, conflict, bad, first, again, clash = results
    assert isinstance(new_1, store.CreateResult) and new_1.created
    assert isinstance(new_2, store.CreateResult) and new_2.created
    assert new_1.event["grid"]["community_code"] == "320105001001"
    assert new_2.event["category"] == "hazard.fire" and new_2.event["title"] == "烟雾"
    # a near event of the same kind, stored before the batch, is offered as a duplicate
    assert [d["id"] for d in new_1.possible_duplicates] == [stored.event["id"]]
    assert isinstance(replay, store.CreateResult) and not replay.created
    assert replay.event["id"] == stored.event["id"]
    assert isinstance(conflict, DuplicateConflict)
    assert isinstance(bad, InvalidInput) and bad.field == "category"
    assert isinstance(first, store.CreateResult) and first.created
    assert isinstance(again, store.CreateResult) and not again.created
    assert again.event["id"] == first.event["id"]
    assert isinstance(clash, DuplicateConflict)

    assert _count(svc) == before + 3
    assert duplicate_keys(svc.db) == []
    assert rollup_differences(svc.db) == {}
    # each stored event reads back as create_event's answer gave it
    for result in (new_1, new_2, first):
        assert isinstance(result, store.CreateResult)
        assert store.get_event(svc, result.event["id"]) == result.event


def test_a_batch_stores_what_the_same_reports_alone_would_store(svc: Gridsvc) -> None:
    """The stored rows are those of the one-by-one path, column by column (but id and the
    times of receipt and, when not sent, of the report)."""

    def report(prefix: str, i: int) -> dict[str, Any]:
        r = _report(svc, client_event_id=f"{prefix}-{i}", title=f"事{i}")
        if i == 3:  # the optional fields left out
            for key in ("address", "accuracy_m", "media", "description"):
                del r[key]
        return r

    alone = [store.create_event(svc, report("one", i)) for i in range(4)]
    together = store.create_events(svc, [report("all", i) for i in range(4)])
    skip = {"id", "client_event_id", "received_at", "reported_at", "deadlines"}
    for a, b in zip(alone, together, strict=True):
        assert isinstance(b, store.CreateResult)
        assert {k: v for k, v in a.event.items() if k not in skip} == {
            k: v for k, v in b.event.items() if k not in skip
        }


def test_the_writer_stores_reports_from_many_threads_once_each(
    svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes = batch_sizes(monkeypatch)
    writer = ReportWriter(svc, batch_max=16)
    # 20 new reports queued at once (the writer thread waits for the GIL meanwhile), and
    # threads sending one of them again while they are being stored
    reports = [_report(svc, client_event_id=f"w-{i}", title=f"件{i}") for i in range(20)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1.0)
    try:
        futures = [(i, writer.submit(report)) for i, report in enumerate(reports)]
    finally:
        sys.setswitchinterval(interval)
    again: list[Any] = []
    threads = [
        threading.Thread(
            target=lambda: again.append(
                writer.create_event(_report(svc, client_event_id="w-3", title="件3"))
            )
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    results = []
    for i, future in futures:
        stored = future.result(timeout=60)
        results.append(stored if stored is not None else writer.create_event(reports[i]))
    for t in threads:
        t.join(timeout=60)
    writer.close()

    assert sizes and max(sizes) > 1 and max(sizes) <= 16  # stored together, in batches
    # each report stored once: w-3 by the batch or by one of the threads sending it again
    assert len(again) == 4 and sum(r.created for r in [*results, *again]) == 20
    assert len({r.event["id"] for r in results}) == 20
    assert {r.event["id"] for r in again} == {results[3].event["id"]}
    assert duplicate_keys(svc.db) == []
    assert rollup_differences(svc.db) == {}


def _items(svc: Gridsvc, prefix: str, n: int) -> list[Any]:
    return [(_report(svc, client_event_id=f"{prefix}-{i}"), Future()) for i in range(n)]


def test_a_batch_that_fails_leaves_each_report_to_be_answered_alone(
    svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = ReportWriter(svc, batch_max=8)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the batch failed")

    monkeypatch.setattr(store, "store_together", broken)
    items = _items(svc, "f", 4)
    writer._store(items)  # what the writer thread does with a batch
    assert [future.result(timeout=5) for _, future in items] == [None] * 4
    answers = [writer.create_event(report) for report, _ in items]  # …then the callers
    assert all(a.created for a in answers) and rollup_differences(svc.db) == {}

    def away(*args: Any, **kwargs: Any) -> Any:
        raise DatabaseUnavailable("db.unavailable")

    monkeypatch.setattr(store, "store_together", away)
    items = _items(svc, "g", 3)
    writer._store(items)  # the database away: each gets that at once, not a retry alone
    for _, future in items:
        with pytest.raises(DatabaseUnavailable):
            future.result(timeout=5)
    writer.close()
    # after close, a report is answered alone, not left waiting
    late = writer.create_event(_report(svc, client_event_id="late-1"))
    assert late.created


def test_closing_answers_what_is_queued(svc: Gridsvc) -> None:
    writer = ReportWriter(svc, batch_max=4)
    reports = [_report(svc, client_event_id=f"c-{i}", title=f"件{i}") for i in range(10)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1.0)
    try:
        futures = [writer.submit(report) for report in reports]
        writer.close()
    finally:
        sys.setswitchinterval(interval)
    outcomes = [f.result(timeout=0) for f in futures]  # all resolved by close()
    stored = [o for o in outcomes if o is not None]
    assert stored and all(o.created for o in stored)  # batches of up to 4 were stored
    assert len({o.event["id"] for o in stored}) == len(stored)


def test_the_stage_outlives_batches_and_failures_on_its_connection(
    svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``event_stage`` lives as long as its pooled connection and is emptied at each commit:
    on one connection, batches after batches, a batch whose transaction failed (a stage
    created in it goes with it) and a bulk import each store exactly their own rows."""
    one = Gridsvc.open(
        svc.settings.model_copy(update={"db": svc.settings.db.model_copy(update={"pool_max": 1})})
    )
    try:
        (pid,) = one.db.cursor_fetchall("SELECT pg_backend_pid()")[0]

        def failing(name: str) -> str:
            return "SELECT 1 / 0" if name == "event_insert_stage" else real_query(name)

        monkeypatch.setattr(gridsvc.sql, "query", failing)
        with pytest.raises(psycopg2.errors.DivisionByZero):
            store.store_together(one, [_report(svc, client_event_id=f"x-{i}") for i in range(3)])
        monkeypatch.setattr(gridsvc.sql, "query", real_query)
        stage = "SELECT to_regclass('pg_temp.event_stage')::oid"
        assert one.db.cursor_fetchall(stage) == [(None,)]  # gone with the failed transaction
        oids = set()
        for batch in range(3):
            reports = [_report(svc, client_event_id=f"s{batch}-{i}") for i in range(4)]
            results = store.store_together(one, reports)
            assert all(r is not None and r.created for r in results)
            assert [r.event["client_event_id"] for r in results if r] == [
                f"s{batch}-{i}" for i in range(4)
            ]
            oids.update(one.db.cursor_fetchall(stage))
        imported = import_events(one, io.BytesIO(_CSV.encode()), filename="more.csv")
        assert imported.stored == 2 and imported.rejected == 0
        again = store.store_together(one, [_report(svc, client_event_id="s-last")])
        assert again[0] is not None and again[0].created
        assert one.db.cursor_fetchall("SELECT pg_backend_pid()")[0] == (pid,)  # one connection
        oids.update(one.db.cursor_fetchall(stage))
        assert len(oids) == 1 and None not in oids  # created once, kept between transactions
        with one.db.connection() as conn:  # neither batches nor imports say it exists already
            assert [n for n in conn.notices if "event_stage" in n] == []
    finally:
        one.close()
    assert _count(svc) == 3 * 4 + 2 + 1  # the failed batch stored nothing
    assert duplicate_keys(svc.db) == [] and rollup_differences(svc.db) == {}


_CSV = """client_event_id,reporter_id,category,title,occurred_at,lon,lat
imp-1,gw-1,hazard.fire,烟雾,2026-11-20T09:00:00+08:00,118.7200,32.0000
imp-2,gw-1,hazard.fire,烟雾,2026-11-20T09:10:00+08:00,118.7210,32.0010
"""


def test_a_report_whose_caller_gave_up_is_left_out_and_the_writer_lives_on(
    svc: Gridsvc,
) -> None:
    """An awaiting request's cancellation cancels its future (``asyncio.wrap_future``): the
    writer leaves that report out and goes on answering the others."""
    writer = ReportWriter(svc, batch_max=8)
    reports = [_report(svc, client_event_id=f"k-{i}") for i in range(3)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1.0)  # the writer thread waits for the GIL: all queued first
    try:
        futures = [writer.submit(report) for report in reports]
        assert futures[1].cancel()
    finally:
        sys.setswitchinterval(interval)
    answers = [futures[i].result(timeout=30) for i in (0, 2)]
    assert all(a is not None and a.created for a in answers)
    later = writer.create_event(_report(svc, client_event_id="k-later"))
    assert later.created and writer._thread.is_alive()
    writer.close()
    rows = svc.db.cursor_fetchall("SELECT client_event_id FROM event ORDER BY 1")
    assert rows == [("k-0",), ("k-2",), ("k-later",)]  # the cancelled one was not stored
