"""What the dispatch console's queue counts: the open events per status and the overdue ones,
in the caller's area and under the queue's filters (issue #19).

Counts per status come from ``event_status_count`` (migration 0011: per community,
category, status and urgency, no days), kept exact in the same statements as the
``event_daily`` rollup (every write and transition), so they cost the same at 10
million events as at 10 thousand and in a city's tenth year as in its first; a filter on
days or on the source reads ``event_daily`` itself. Where neither can answer (a
department's queue, which is its dispatches; a bbox, a grid below the community, a
reporter, a time that is not a Beijing midnight) the events themselves are counted with
the filter of the event list (:func:`gridsvc.events.store.filter_where`). Overdue events
are counted on the events (being overdue depends on the time of asking), up to
:data:`OVERDUE_CAP`, by the one rule of every door, the SQL function ``event_overdue``
(migration 0012), which PostgreSQL inlines: the deadlines' partial indexes serve it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time
from typing import Any, Final

from psycopg2 import sql

from gridsvc.access import CITY_CODE
from gridsvc.dates import CITY_TZ
from gridsvc.events.store import EventFilter, filter_where
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from gridsvc.workflow.actions import OPEN_STATES

OVERDUE_CAP: Final = 1000
"""Overdue events are counted up to this many; beyond, the queue says "1000+"."""


@dataclass(frozen=True)
class QueueCounts:
    by_status: dict[str, int]
    """Every open status (``OPEN_STATES``), zeros included."""
    overdue: int
    overdue_more: bool
    """True when there are more than ``overdue`` (= :data:`OVERDUE_CAP`) overdue events."""
    exact_from: str
    """``rollup`` or ``events``: where the counts per status came from."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "by_status": self.by_status,
            "open": sum(self.by_status.values()),
            "overdue": self.overdue,
            "overdue_more": self.overdue_more,
            "counted_from": self.exact_from,
        }


def _day(value: datetime | None) -> Any:
    """The Beijing day of a time that is a Beijing midnight; False for any other time."""
    if value is None:
        return None
    local = value.astimezone(CITY_TZ)
    return local.date() if local.time() == time(0) else False


def _rollup_params(flt: EventFilter) -> dict[str, Any] | None:
    """The parameters of ``queue_status_counts.sql`` (and ``…_daily.sql``) for ``flt``, or
    None where the rollups cannot answer it (see the module)."""
    p = flt.principal
    if p is not None and p.role == "department":
        return None
    if flt.bbox is not None or flt.reporter is not None or flt.overdue is not None:
        return None
    if flt.grid is not None and len(flt.grid) > 12:  # a grid below the community
        return None
    day_from, day_to = _day(flt.occurred_from), _day(flt.occurred_to)
    if day_from is False or day_to is False:
        return None
    scope = None if p is None or p.citywide else p.scope_code
    return {
        "scope": scope,
        "grid": None if flt.grid in (None, CITY_CODE) else flt.grid,
        "categories": list(flt.categories) if flt.categories else None,
        "urgency": list(flt.urgency) if flt.urgency else None,
        "source": list(flt.source) if flt.source else None,
        "day_from": day_from,
        "day_to": day_to,
        "statuses": list(OPEN_STATES),
    }


def queue_counts(svc: Gridsvc, flt: EventFilter) -> QueueCounts:
    """Open events per status and overdue events that ``flt`` selects (its ``status``,
    ``after`` and ``limit`` are ignored: the counts are the queue's tabs)."""
    flt = replace(flt, status=OPEN_STATES, after=None)
    now = svc.now()
    where, params = filter_where(flt, now)  # also checks the filter (a bad grid code: 400)
    by_status = dict.fromkeys(OPEN_STATES, 0)
    rollup = _rollup_params(flt)
    if rollup is not None:
        by_day = any(rollup[k] is not None for k in ("day_from", "day_to", "source"))
        name = "queue_status_counts_daily" if by_day else "queue_status_counts"
        stmt = sql.SQL(query(name)).format(communities=sql.SQL(query("queue_communities")))
        rows = svc.db.cursor_fetchall(stmt, rollup)
    else:
        stmt = (
            sql.SQL("SELECT e.status, count(*) FROM event AS e")
            + where
            + sql.SQL(" GROUP BY e.status")
        )
        rows = svc.db.cursor_fetchall(stmt, params)
    by_status.update({str(status): int(n) for status, n in rows})

    late_where, late_params = filter_where(replace(flt, overdue=True), now)
    late_params["cap"] = OVERDUE_CAP + 1
    stmt = (
        sql.SQL("SELECT count(*) FROM (SELECT 1 FROM event AS e")
        + late_where
        + sql.SQL(" LIMIT %(cap)s) AS late")
    )
    ((late,),) = svc.db.cursor_fetchall(stmt, late_params)
    return QueueCounts(
        by_status=by_status,
        overdue=min(int(late), OVERDUE_CAP),
        overdue_more=int(late) > OVERDUE_CAP,
        exact_from="events" if rollup is None else "rollup",
    )
