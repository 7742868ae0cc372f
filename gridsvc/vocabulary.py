"""The words events are described and selected with, defined once.

A report's ``urgency`` and ``source``, the values a filter on them may take, the taxonomy's
``default_urgency``, the generator's mix: all take their words from here, and a filter checks
its values against them with :func:`check_choices` (the message lists the words). A grid
code's shape says its level (:func:`grid_column`); the city's own code
(:data:`gridsvc.access.CITY_CODE`) means no restriction at all.

Nothing here reads the database or the taxonomy: categories are data
(:mod:`gridsvc.events.taxonomy`), these words are code, because code branches on them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, get_args

from gridsvc.access import CITY_CODE
from gridsvc.errors import InvalidInput

Urgency = Literal["normal", "urgent", "critical"]
URGENCIES: Final[tuple[Urgency, ...]] = get_args(Urgency)
"""How urgent an event is, least urgent first (deadlines are per urgency)."""

SOURCES: Final = ("grid_worker", "public", "hotline", "video", "inspection", "superior", "import")
"""How a report arrived: a grid worker's app, the public, the 12345 hotline, video
analytics, an inspection, a superior's assignment, a bulk import."""

GRID_CODE_COLUMNS: Final = {
    6: "district_code",
    9: "street_code",
    12: "community_code",
    15: "grid_code",
}
"""The event column a numeric grid code selects on, by its number of digits; a sector code
is ``S`` and its district's digits (``S320102``, column ``sector_code``)."""


def check_choices(values: Iterable[str] | None, allowed: Iterable[str], field: str) -> None:
    """Nothing, or ``InvalidInput("common.unknown_choice")`` naming the values of ``values``
    that are not in ``allowed`` (all of them, in the order given) and the allowed ones."""
    choices = tuple(allowed)
    unknown = [v for v in values or () if v not in choices]
    if unknown:
        raise InvalidInput("common.unknown_choice", field=field, value=unknown, choices=choices)


def grid_column(code: str, field: str = "grid") -> str | None:
    """The event column that selects the events of unit ``code`` (a district, sector, street,
    community or grid code), or None for the whole city (:data:`CITY_CODE`).

    Only the shape is checked (``event.not_grid_code``), not whether the unit exists: an
    unknown unit selects no events."""
    if code == CITY_CODE:
        return None
    if code.startswith("S"):
        return "sector_code"
    column = GRID_CODE_COLUMNS.get(len(code))
    if column is None or not code.isdigit():
        raise InvalidInput("event.not_grid_code", field=field, code=code)
    return column


Bbox = tuple[float, float, float, float]
"""(minlon, minlat, maxlon, maxlat), WGS-84 degrees."""


@dataclass(frozen=True)
class EventTerms:
    """The terms every selection of events is made of, each optional: a box (WGS-84), a
    unit's code, categories, workflow states, urgencies, sources and a time window of
    instants (aware; ``occurred_to`` excluded). The request's :class:`gridsvc.selection.
    Selection` and the event list's :class:`gridsvc.events.store.EventFilter` add their own."""

    bbox: Bbox | None = None
    grid: str | None = None
    categories: tuple[str, ...] | None = None
    status: tuple[str, ...] | None = None
    urgency: tuple[str, ...] | None = None
    source: tuple[str, ...] | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None
