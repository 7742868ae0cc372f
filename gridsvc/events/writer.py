"""Reports that arrive together, stored together.

Alone, each report cost its own checks, its own statements and its own commit (~5 ms of
server CPU and ~3.4 ms of PostgreSQL's per report on two cores, issue #8). The
:class:`ReportWriter` is one thread per server process that takes the reports waiting for it,
up to ``GRIDSVC_REPORT_BATCH_MAX``, and stores the new ones with one
:func:`~gridsvc.events.store.store_together` (one batch of checks, one transaction, one
commit). It never waits for more: a lone report is stored at once, alone, and batches form
only while the previous one is being written.

Every caller gets what :func:`~gridsvc.events.store.create_event` would give it alone: a
report the batch leaves out (it fails a check, or its key is stored already) is answered by
``create_event`` in the caller's own thread, in parallel with the others (the API's route
awaits :meth:`ReportWriter.submit`'s future without holding a thread, then takes one of its
pool for that), and so is every
report of a batch that failed for another reason than the database being away (then each
gets that error at once: retrying one by one would only wait longer). Answers come after the
commit. A report submitted after :meth:`ReportWriter.close` is answered alone.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

from gridsvc.errors import DatabaseUnavailable, QueryTimeout
from gridsvc.events import store
from gridsvc.service import Gridsvc

log = logging.getLogger("gridsvc.events.writer")

_Item = tuple[Mapping[str, Any], "Future[store.CreateResult | None]"]


class ReportWriter:
    """The reports of one server process, stored together while they arrive together."""

    def __init__(self, svc: Gridsvc, *, batch_max: int) -> None:
        self.svc = svc
        self.batch_max = batch_max
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="gridsvc-report-writer", daemon=True)
        self._thread.start()

    def submit(self, report: Mapping[str, Any]) -> Future[store.CreateResult | None]:
        """The report's future: its :class:`~gridsvc.events.store.CreateResult` once stored
        with others, None when it is to be answered alone (by :meth:`create_event`), or the
        database's error."""
        future: Future[store.CreateResult | None] = Future()
        if self._closed.is_set() or not self._thread.is_alive():
            future.set_result(None)
        else:
            self._queue.put((report, future))
        return future

    def create_event(self, report: Mapping[str, Any]) -> store.CreateResult:
        """:func:`~gridsvc.events.store.create_event`'s answer, the report stored with
        whatever arrives with it."""
        stored = self.submit(report).result()
        return stored if stored is not None else store.create_event(self.svc, report)

    def close(self) -> None:
        """Store what is queued, then stop the thread; later reports are answered alone."""
        self._closed.set()
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            items: list[_Item] = []
            if item is None:
                stop = True
            elif _take(item):
                items.append(item)
            while len(items) < self.batch_max or stop:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                elif not _take(more):
                    continue
                elif stop:
                    more[1].set_result(None)  # queued behind the end: answered alone
                else:
                    items.append(more)
            self._store(items)

    def _store(self, items: list[_Item]) -> None:
        """Resolve every future of ``items``, whatever happens."""
        if len(items) <= 1:  # alone: create_event's two statements cost less than a stage
            for _, future in items:
                future.set_result(None)
            return
        try:
            stored = store.store_together(self.svc, [report for report, _ in items])
        except (DatabaseUnavailable, QueryTimeout) as exc:
            for _, future in items:
                future.set_exception(exc)
            return
        except BaseException:
            log.exception("storing %d reports together failed; each is answered alone", len(items))
            stored = [None] * len(items)
        for (_, future), result in zip(items, stored, strict=True):
            future.set_result(result)


def _take(item: _Item) -> bool:
    """Whether the report is still awaited: a caller that gave up (its future cancelled, as
    an awaiting request's cancellation does) is left out, and one taken can no longer be
    cancelled, so its answer can always be set."""
    return item[1].set_running_or_notify_cancel()
