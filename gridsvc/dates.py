"""The one range of dates and times gridsvc accepts, at every door.

Every date or time a user sends — statistics' and maps' ``from``/``to`` and base periods,
event lists' ``from``/``to``, a report's ``occurred_at`` and ``reported_at``, an import's
rows, an embed's parameters — must lie in ``[EARLIEST_DAY, LATEST_DAY]`` (days of the city,
both ends included; a time by its day in :data:`CITY_OFFSET`). Outside,
:class:`DateOutOfRange` names the field and the range. The city's time zone is here too
(:data:`CITY_TZ`), taken from :class:`gridsvc.settings.CitySettings`.

Why a range at all: pandas keeps times as ``datetime64[ns]``, which holds only the years
1677–2262, and a statistic of the year 0244 failed deep inside it. Why these ends: no event
of a city's grid service happened before 1900, and 2200-01-01 as the last ``to`` lets a
half-open range cover 2199 whole; both ends are far inside what pandas, numpy and
PostgreSQL hold, so every statistic and map works at both (``tests/api/test_date_range.py``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Final, overload
from zoneinfo import ZoneInfo

from gridsvc.errors import DateOutOfRange
from gridsvc.messages import Msg
from gridsvc.settings import CITY_AT_START

EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2200, 1, 1)
RANGE_TEXT = f"{EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"
RANGE = Msg("dates.range", {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()})
"""The range in the reader's words, for messages."""

CITY_TZ: Final = ZoneInfo(CITY_AT_START.time_zone)
"""The city's time zone: every time gridsvc shows (API, exports, maps, pages, CLI) is in it,
with its offset (``+08:00``); the database keeps ``timestamptz`` and the pool's sessions run
in UTC, so a time read from it must pass :func:`local` or :func:`local_iso` on its way out.
The zone, not the fixed offset, so the few past times of China's daylight saving
(1986–1991) show the offset they had."""


def _standard_offset(zone: ZoneInfo) -> timedelta:
    on = datetime(2000, 1, 1)
    return (zone.utcoffset(on) or timedelta()) - (zone.dst(on) or timedelta())


CITY_OFFSET: Final = timezone(_standard_offset(CITY_TZ))
"""The city's standard offset as a fixed zone (UTC+08:00 for Nanjing, no daylight saving since
1991): the range's days are judged by it, so its first day does not move with the local mean
time (+08:05:43) the zone gives 1900."""


@overload
def local(ts: datetime) -> datetime: ...
@overload
def local(ts: None) -> None: ...
def local(ts: datetime | None) -> datetime | None:
    """``ts`` (timezone-aware) as the same instant in :data:`CITY_TZ`; None stays None.

    A naive ``ts`` is refused with ``ValueError``: gridsvc never makes one, and guessing its
    zone would show a wrong time with a right-looking offset."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        raise ValueError(f"a naive time has no zone to convert from: {ts!r}")
    return ts.astimezone(CITY_TZ)


def local_iso(ts: datetime | None) -> str | None:
    """ISO 8601 of ``ts`` in :data:`CITY_TZ` with its offset (``2026-12-06T04:55:00+08:00``);
    None for None."""
    shown = local(ts)
    return shown.isoformat() if shown is not None else None


def local_iso_text(value: str | None) -> str | None:
    """An ISO time already stored as text (a history entry's ``data``) shown in
    :data:`CITY_TZ`; text that is not an aware ISO time is returned as it is."""
    if not value:
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return local_iso(parsed) if parsed.tzinfo is not None else value


def _refuse(field: str, shown: str) -> DateOutOfRange:
    return DateOutOfRange(
        "dates.out_of_range",
        field=field,
        value=shown,
        range=RANGE,
        details={"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()},
    )


def in_range(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def check_day(value: date, field: str) -> date:
    """``value`` itself, or :class:`DateOutOfRange` naming ``field``."""
    if not in_range(value):
        raise _refuse(field, value.isoformat())
    return value


def check_time(value: datetime, field: str) -> datetime:
    """An aware ``value`` whose day (in :data:`CITY_OFFSET`) is in range, or
    :class:`DateOutOfRange`.

    A naive value is taken as is (its caller refuses naive times with its own message).
    """
    try:
        day = value.astimezone(CITY_OFFSET).date() if value.tzinfo else value.date()
    except OverflowError:  # 0001-01-01T00:00+08:00 has no UTC instant datetime can hold
        raise _refuse(field, value.isoformat()) from None
    if not in_range(day):
        raise _refuse(field, value.isoformat())
    return value
