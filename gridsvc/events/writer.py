"""Reports that arrive together, stored together.

Under load each report used to cost its own checks, its own statements and its own commit
(~5 ms of server CPU and ~3.4 ms of PostgreSQL's per report on two cores, issue #8). The
:class:`ReportWriter` is one thread per process that takes the reports waiting for it, up to
``GRIDSVC_EVENTS_REPORT_BATCH_MAX``, and stores them with one
:func:`~gridsvc.events.store.create_events` (one batch of checks, one transaction, one
commit). It never waits for more: a lone report is stored at once, alone, and batches form only
while the previous one is being written. Every caller gets what
:func:`~gridsvc.events.store.create_event` would have given it alone; if the batch itself
fails (the database went away mid-way…), each of its reports is tried alone, so one cannot
fail the others.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from gridsvc.events import store
from gridsvc.service import Gridsvc

_Item = tuple[Mapping[str, Any], "Future[store.CreateResult]"]


class ReportWriter:
    def __init__(self, svc: Gridsvc, *, batch_max: int) -> None:
        self.svc = svc
        self.batch_max = batch_max
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="gridsvc-report-writer", daemon=True)
        self._thread.start()

    def submit(self, report: Mapping[str, Any]) -> Future[store.CreateResult]:
        """The report's future: its :class:`~gridsvc.events.store.CreateResult`, or the
        :class:`GridsvcError` that :func:`~gridsvc.events.store.create_event` would raise."""
        future: Future[store.CreateResult] = Future()
        self._queue.put((report, future))
        return future

    def create_event(self, report: Mapping[str, Any]) -> store.CreateResult:
        """:func:`~gridsvc.events.store.create_event`, stored with whatever arrives with it."""
        return self.submit(report).result()

    def close(self) -> None:
        """Store what is queued, then stop the thread."""
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            items = [item]
            stop = False
            while len(items) < self.batch_max:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                items.append(more)
            self._store([i for i in items if i[1].set_running_or_notify_cancel()])
            if stop:
                return

    def _store(self, items: list[_Item]) -> None:
        if not items:
            return
        try:
            if len(items) == 1:
                results: list[Any] = [_alone(self.svc, items[0][0])]
            else:
                results = store.create_events(self.svc, [report for report, _ in items])
        except Exception:  # the batch failed as a whole: each report alone
            results = [_alone(self.svc, report) for report, _ in items]
        for (_, future), result in zip(items, results, strict=True):
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)


def _alone(svc: Gridsvc, report: Mapping[str, Any]) -> store.CreateResult | Exception:
    """:func:`~gridsvc.events.store.create_event`, its error returned to be raised in the
    caller's thread (a :class:`~gridsvc.errors.GridsvcError`, or whatever else went wrong)."""
    try:
        return store.create_event(svc, report)
    except Exception as exc:
        return exc
