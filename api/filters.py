"""The query parameters that select events, declared for every door in this one module.

Two kinds of door take them: the event list and what shares its filters (the queue's
counts, OGC API items, vector tiles), through :func:`event_filter`; statistics and maps,
through :class:`StatsParams`. Both only declare the parameters (names, aliases, defaults and
descriptions are the API's contract) and hand the text to :func:`gridsvc.selection.parse`,
which parses and checks every term and builds the library's filter. A new term is one
argument of ``parse`` and one parameter here, and every route of that kind takes it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from api.deps import Caller, Service
from api.params import DAY_EXAMPLES, TIME_EXAMPLES
from gridsvc import selection
from gridsvc.access import Principal
from gridsvc.errors import Forbidden, InvalidInput
from gridsvc.events import store
from gridsvc.messages import Msg
from gridsvc.stats import StatsFilter


def event_filter(
    svc: Service,
    caller: Caller,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (WGS-84)")] = None,
    grid: Annotated[str | None, Query(description="a grid code at any level")] = None,
    category: Annotated[
        str | None,
        Query(
            description="codes, comma-separated; a group code (e.g. hazard) includes its categories"
        ),
    ] = None,
    status: Annotated[str | None, Query()] = None,
    urgency: Annotated[str | None, Query()] = None,
    source: Annotated[str | None, Query()] = None,
    occurred_from: Annotated[
        str | None,
        Query(alias="from", description="ISO 8601 with offset", openapi_examples=TIME_EXAMPLES),
    ] = None,
    occurred_to: Annotated[
        str | None,
        Query(alias="to", description="ISO 8601 with offset", openapi_examples=TIME_EXAMPLES),
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="true: only events past a deadline; false: none")
    ] = None,
    mine: Annotated[
        bool, Query(description="true: only the caller's own reports, wherever they lie")
    ] = False,
) -> store.EventFilter:
    """The selection of events a request asks for (a dependency): the event list, the
    queue's counts, OGC API items and vector tiles take the same parameters, parsed here
    once; the caller sees what its role and area allow."""
    chosen = selection.parse(
        bbox=bbox,
        grid=grid,
        category=category,
        status=status,
        urgency=urgency,
        source=source,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        overdue=overdue,
    )
    taxonomy = store.taxonomy_of(svc, include_inactive=True) if chosen.categories else None
    flt = chosen.event_filter(taxonomy, caller, reporter=caller.name if mine else None)
    return replace(flt, coarse=store.coarsened(svc, caller))


EventSelection = Annotated[store.EventFilter, Depends(event_filter)]


async def citywide(principal: Caller) -> Principal:
    """The caller, if it may select from the whole city: statistics and maps count every
    unit, so a scoped token would see counts outside its area."""
    if not principal.citywide:
        raise Forbidden("stats.citywide", who=principal.who())
    return principal


Analyst = Annotated[Principal, Depends(citywide)]


@dataclass
class StatsParams:
    """The filters every statistic and map takes (the titiler pattern: one dependency,
    typed); :meth:`to_filter` is the library's :class:`~gridsvc.stats.StatsFilter`."""

    category: Annotated[
        str | None, Query(description="codes, comma-separated; a group includes its own")
    ] = None
    status: Annotated[str | None, Query(description="comma-separated")] = None
    urgency: Annotated[str | None, Query(description="normal, urgent, critical")] = None
    source: Annotated[str | None, Query(description="grid_worker, hotline, …")] = None
    date_from: Annotated[
        date | None,
        Query(
            alias="from",
            description="first Beijing day, YYYY-MM-DD",
            openapi_examples=DAY_EXAMPLES,
        ),
    ] = None
    date_to: Annotated[
        date | None,
        Query(
            alias="to", description="day after the last, YYYY-MM-DD", openapi_examples=DAY_EXAMPLES
        ),
    ] = None
    overdue: Annotated[bool | None, Query(description="true: only events past a deadline now")] = (
        None
    )

    def to_filter(self) -> StatsFilter:
        # each field is named as the term of selection.parse it is
        return selection.parse(**asdict(self)).stats_filter()


StatsSelection = Annotated[StatsParams, Depends()]
BaseFrom = Annotated[
    date,
    Query(description="first Beijing day of the base period", openapi_examples=DAY_EXAMPLES),
]
BaseTo = Annotated[
    date, Query(description="day after the base period", openapi_examples=DAY_EXAMPLES)
]


def compared_periods(
    filters: StatsParams, base_from: date, base_to: date, what: str
) -> tuple[StatsFilter, StatsFilter]:
    """The current period (``from``–``to``, required) and the base period of a comparison,
    with the same other filters; ``what``: the catalogue id naming the request in the
    error."""
    current = filters.to_filter()
    if current.date_from is None or current.date_to is None:
        raise InvalidInput("stats.needs_period", field="from", what=Msg(what))
    return current, replace(current, date_from=base_from, date_to=base_to)
