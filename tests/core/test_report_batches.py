"""Reports stored together (issue #8, goal 4): ``store.create_events`` and the API's
``ReportWriter`` must answer every report exactly as ``store.create_event`` answers it alone:
new ones stored once with their grids, rollup and possible duplicates; replays, conflicts and
rejections as they are alone; one bad report costing the others nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from gridsvc.errors import DuplicateConflict, InvalidInput
from gridsvc.events import store
from gridsvc.events.writer import ReportWriter
from gridsvc.service import Gridsvc
from tests.core.test_events import _count, _report
from tests.invariants import duplicate_keys, rollup_differences


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
    alone = [
        store.create_event(svc, _report(svc, client_event_id=f"one-{i}", title=f"事{i}"))
        for i in range(3)
    ]
    together = store.create_events(
        svc, [_report(svc, client_event_id=f"all-{i}", title=f"事{i}") for i in range(3)]
    )
    skip = {"id", "client_event_id", "received_at", "reported_at", "deadlines"}
    for a, b in zip(alone, together, strict=True):
        assert isinstance(b, store.CreateResult)
        assert {k: v for k, v in a.event.items() if k not in skip} == {
            k: v for k, v in b.event.items() if k not in skip
        }


def test_the_writer_stores_reports_from_many_threads_once_each(
    svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    sizes: list[int] = []
    batched = store.create_events

    def counted(svc: Gridsvc, reports: Any, **kwargs: Any) -> Any:
        sizes.append(len(reports))
        return batched(svc, reports, **kwargs)

    monkeypatch.setattr(store, "create_events", counted)
    writer = ReportWriter(svc, batch_max=16)
    barrier = threading.Barrier(24)
    outcomes: list[Any] = [None] * 24

    def send(i: int) -> None:
        # 20 new reports, and 4 threads sending one report of them again at once
        report = _report(svc, client_event_id=f"w-{min(i, 20)}", title=f"件{min(i, 20)}")
        barrier.wait(timeout=30)
        try:
            outcomes[i] = writer.create_event(report)
        except Exception as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=send, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    writer.close()

    results = [o for o in outcomes if isinstance(o, store.CreateResult)]
    assert len(results) == 24, [o for o in outcomes if not isinstance(o, store.CreateResult)]
    assert sizes and max(sizes) > 1 and max(sizes) <= 16  # stored together, in batches
    assert sum(r.created for r in results) == 21  # w-0 … w-20 once each
    assert len({r.event["id"] for r in results}) == 21
    assert duplicate_keys(svc.db) == []
    assert rollup_differences(svc.db) == {}


def test_a_failing_batch_falls_back_to_one_by_one(
    svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the batch failed")

    monkeypatch.setattr(store, "create_events", broken)
    writer = ReportWriter(svc, batch_max=8)
    futures = [
        writer.submit(_report(svc, client_event_id=f"f-{i}", title=f"件{i}")) for i in range(6)
    ]
    futures.append(writer.submit(_report(svc, client_event_id="f-bad", lat=91.0)))
    writer.close()
    stored = [f.result(timeout=30) for f in futures[:-1]]
    assert all(r.created for r in stored) and len({r.event["id"] for r in stored}) == 6
    with pytest.raises(InvalidInput):
        futures[-1].result(timeout=30)
    assert rollup_differences(svc.db) == {}
