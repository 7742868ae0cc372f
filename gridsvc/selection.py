"""Which events a request selects, parsed once from the text it was given.

Every door that selects events takes the same terms: the event list and the dispatch
queue's counts (``GET /v1/events``, ``/v1/events/counts``), their CSV and GeoPackage
exports, OGC API items, vector tiles, statistics and maps. Each term is parsed and checked
here, from what an HTTP query, the CLI or a notebook gives (text, or a value already typed),
with the catalogue's messages; :func:`parse` reads them all into a :class:`Selection`, which
builds the library's filters: :meth:`Selection.event_filter` (lists, counts, items, tiles)
and :meth:`Selection.stats_filter` (statistics, maps).

The terms:

- ``bbox``: ``minlon,minlat,maxlon,maxlat``, four finite numbers, minimum before maximum,
  in WGS-84, or in the system ``bbox_crs`` names (:func:`gridsvc.features.crs.parse_crs`,
  its axis order) and then turned into the WGS-84 box that covers it;
- ``grid``: a unit code at any level (:func:`gridsvc.vocabulary.grid_column`); the city's
  code selects everything;
- ``category``: codes, comma-separated; a group means its categories (the taxonomy's
  :meth:`~gridsvc.events.taxonomy.Taxonomy.codes_under`), retired ones included;
- ``status``, ``urgency``, ``source``: comma-separated; urgency and source are checked
  against :mod:`gridsvc.vocabulary`;
- the time window: for lists ``from``/``to``, times with an offset, parsed as a report's
  ``occurred_at`` is (:func:`gridsvc.events.rows.parse_time`), so a time is accepted or
  refused alike by ``POST /v1/events`` and by ``from``; for statistics ``date_from`` and
  ``date_to``, Beijing days, half-open (:mod:`gridsvc.stats.filters`). Both lie in the range
  of :mod:`gridsvc.dates`;
- ``overdue``: true, false, or no restriction.

A term left out (None) does not restrict. An empty comma list (``","``) is an empty tuple:
lists ignore it, statistics refuse it (``stats.empty_filter``), as they always did.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any

from gridsvc.access import Principal
from gridsvc.dates import CITY_TZ, EARLIEST_DAY, LATEST_DAY, RANGE, check_time
from gridsvc.errors import DateOutOfRange, InvalidInput
from gridsvc.events import rows
from gridsvc.events.store import EventFilter
from gridsvc.events.taxonomy import Taxonomy
from gridsvc.features.crs import CRS84, bbox_to_wgs84, parse_crs
from gridsvc.stats.filters import StatsFilter, expand_categories
from gridsvc.vocabulary import SOURCES, URGENCIES, Bbox, EventTerms, check_choices, grid_column

_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

"""(minlon, minlat, maxlon, maxlat), WGS-84 degrees."""


def _short(value: str, limit: int = 80) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def csv_list(text: str | None) -> tuple[str, ...] | None:
    """``"a, b,,c"`` → ``("a", "b", "c")``; None or empty text → None (no restriction)."""
    if not text:
        return None
    return tuple(v.strip() for v in text.split(",") if v.strip())


def parse_choices(text: str | None, allowed: tuple[str, ...], field: str) -> tuple[str, ...] | None:
    """A comma list whose every value is one of ``allowed`` (``common.unknown_choice``)."""
    values = csv_list(text)
    check_choices(values, allowed, field)
    return values


def parse_bbox(text: str | None, crs: str | None = None, field: str = "bbox") -> Bbox | None:
    """``text`` as a box in WGS-84: four finite numbers, minimum before maximum
    (``event.bbox_numbers``, ``event.bbox_order``), in the axis order of ``crs`` (a URI or
    short name, :func:`~gridsvc.features.crs.parse_crs`; None: WGS-84 lon,lat)."""
    if not text:
        return None
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise InvalidInput("event.bbox_numbers", field=field, value=_short(text))
    if parts[0] > parts[2] or parts[1] > parts[3]:
        raise InvalidInput("event.bbox_order", field=field, value=_short(text))
    box = (parts[0], parts[1], parts[2], parts[3])
    system = parse_crs(crs, f"{field}-crs")
    return box if system == CRS84 else bbox_to_wgs84(box, system)


def parse_grid(text: str | None, field: str = "grid") -> str | None:
    """A unit code of any level, its shape checked (``event.not_grid_code``); None or empty
    text: no restriction."""
    if not text:
        return None
    grid_column(text, field)
    return text


def parse_time(text: str | None, field: str) -> datetime | None:
    """A time with its offset (ISO 8601), as a report's times are parsed; the instant in
    UTC. ``event.time_not_iso``, ``event.time_no_zone``, or :class:`DateOutOfRange` outside
    :mod:`gridsvc.dates`' range, naming ``field``."""
    if text is None:
        return None
    found = rows.parse_time(text)
    if found == "out_of_range":
        raise DateOutOfRange(
            "dates.out_of_range",
            field=field,
            value=_short(text),
            range=RANGE,
            details={"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()},
        )
    if found == "not_iso":
        raise InvalidInput("event.time_not_iso", field=field, value=_short(text))
    if found == "no_zone":
        raise InvalidInput("event.time_no_zone", field=field, value=_short(text))
    return found


def parse_instant(text: str, field: str, *, last: bool = False) -> datetime:
    """One end of a time range as the standards write it: a time with its offset
    (:func:`parse_time`), or a date alone, a whole city day: its first instant, or with
    ``last`` its last (the next day's start less a microsecond), for ranges whose end is
    inclusive (OGC API ``datetime``, Open311 ``end_date``)."""
    stripped = text.strip()
    if _DATE_ONLY.fullmatch(stripped):
        try:
            day = date.fromisoformat(stripped)
        except ValueError:  # 2026-02-30: a date's shape, no date
            raise InvalidInput("event.time_not_iso", field=field, value=_short(text)) from None
        start = datetime.combine(day, time(), CITY_TZ)
        bound = start + timedelta(days=1) - timedelta(microseconds=1) if last else start
        return check_time(bound, field)
    parsed = parse_time(stripped, field)
    assert parsed is not None
    return parsed


def parse_day(value: date | str | None, field: str) -> date | None:
    """A Beijing calendar day from ``YYYY-MM-DD`` text (``stats.not_a_day``); a date (or
    None) is taken as it is: :class:`StatsFilter` checks every day it is given, typed or
    not, against :mod:`gridsvc.dates`' range."""
    if not isinstance(value, str):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("stats.not_a_day", field=field, value=repr(value)) from None


def parse_flag(value: bool | str | None, field: str) -> bool | None:
    """True, False or None; text ``true``/``false``/``1``/``0`` (``validation.boolean``)."""
    if value is None or isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise InvalidInput("validation.boolean", field=field, value=_short(value, 20))


@dataclass(frozen=True)
class Selection(EventTerms):
    """The terms of one request, parsed and checked (see the module). ``categories`` are
    the codes as given, groups unexpanded; lists and statistics expand them with the
    taxonomy. A list's window is ``occurred_from``/``occurred_to`` (instants), a
    statistic's ``date_from``/``date_to`` (Beijing days); a door takes one or the other."""

    date_from: date | None = None
    date_to: date | None = None
    overdue: bool | None = None

    def event_filter(
        self,
        taxonomy: Taxonomy | None,
        principal: Principal | None = None,
        reporter: str | None = None,
    ) -> EventFilter:
        """The filter of event lists, counts, OGC items and tiles: categories expanded with
        ``taxonomy`` (retired categories included; None: only when none are asked for),
        what ``principal`` may see, ``reporter``'s reports only if given."""
        categories = self.categories
        if categories:
            if taxonomy is None:
                raise ValueError("categories are expanded with a taxonomy")
            categories = tuple(expand_categories(taxonomy, categories) or ())
        flt: EventFilter = self._into(
            EventFilter, categories=categories, principal=principal, reporter=reporter
        )
        return flt

    def stats_filter(self) -> StatsFilter:
        """The filter of statistics and maps (which count per unit of the whole city: no
        bbox, grid or instants)."""
        flt: StatsFilter = self._into(StatsFilter)
        return flt

    def _into(self, target: Any, **given: Any) -> Any:
        """``target(...)`` with the terms of its fields' names, and ``given``. A term set
        here that ``target`` has no field for is a door's mistake (``ValueError``), never
        dropped in silence."""
        names = {f.name for f in fields(target)}
        unused = [f.name for f in fields(self) if f.name not in names and getattr(self, f.name)]
        if unused:
            raise ValueError(f"{target.__name__} takes no {', '.join(unused)}")
        terms = {f.name: getattr(self, f.name) for f in fields(self) if f.name in names}
        return target(**{**terms, **given})


def parse(
    *,
    bbox: str | None = None,
    bbox_crs: str | None = None,
    grid: str | None = None,
    category: str | None = None,
    status: str | None = None,
    urgency: str | None = None,
    source: str | None = None,
    occurred_from: str | None = None,
    occurred_to: str | None = None,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    overdue: bool | str | None = None,
) -> Selection:
    """Every term of a request, parsed in this order (the first wrong one is refused);
    ``occurred_from``/``occurred_to`` are named ``from``/``to`` in messages, as in the
    query."""
    return Selection(
        bbox=parse_bbox(bbox, bbox_crs),
        categories=csv_list(category),
        urgency=parse_choices(urgency, URGENCIES, "urgency"),
        source=parse_choices(source, SOURCES, "source"),
        status=csv_list(status),
        occurred_from=parse_time(occurred_from, "from"),
        occurred_to=parse_time(occurred_to, "to"),
        date_from=parse_day(date_from, "date_from"),
        date_to=parse_day(date_to, "date_to"),
        overdue=parse_flag(overdue, "overdue"),
        grid=parse_grid(grid),
    )
