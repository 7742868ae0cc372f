"""The one range of dates and times gridsvc accepts, at every door.

Every date or time a user sends — statistics' and maps' ``from``/``to`` and base periods,
event lists' ``from``/``to``, a report's ``occurred_at`` and ``reported_at``, an import's
rows, an embed's parameters — must lie in ``[EARLIEST_DAY, LATEST_DAY]`` (Beijing days,
both ends included; a time by its Beijing day). Outside, :class:`DateOutOfRange` names the
field and the range.

Why a range at all: pandas keeps times as ``datetime64[ns]``, which holds only the years
1677–2262, and a statistic of the year 0244 failed deep inside it. Why these ends: no event
of a city's grid service happened before 1900, and 2200-01-01 as the last ``to`` lets a
half-open range cover 2199 whole; both ends are far inside what pandas, numpy and
PostgreSQL hold, so every statistic and map works at both (``tests/api/test_date_range.py``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from gridsvc.errors import DateOutOfRange

EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2200, 1, 1)
RANGE_TEXT = f"{EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"

# Beijing days: UTC+08:00 all year (no daylight saving since 1991), as in gridsvc.stats.
BEIJING = timezone(timedelta(hours=8))


def _refuse(field: str, shown: str) -> DateOutOfRange:
    return DateOutOfRange(
        f"{field} {shown} is outside the dates gridsvc accepts ({RANGE_TEXT}).",
        hint=f"Give a date from {RANGE_TEXT}, as YYYY-MM-DD (a time with its offset).",
        field=field,
        earliest=EARLIEST_DAY.isoformat(),
        latest=LATEST_DAY.isoformat(),
    )


def in_range(day: date) -> bool:
    return EARLIEST_DAY <= day <= LATEST_DAY


def check_day(value: date, field: str) -> date:
    """``value`` itself, or :class:`DateOutOfRange` naming ``field``."""
    if not in_range(value):
        raise _refuse(field, value.isoformat())
    return value


def check_time(value: datetime, field: str) -> datetime:
    """An aware ``value`` whose Beijing day is in range, or :class:`DateOutOfRange`.

    A naive value is taken as is (its caller refuses naive times with its own message).
    """
    try:
        day = value.astimezone(BEIJING).date() if value.tzinfo else value.date()
    except OverflowError:  # 0001-01-01T00:00+08:00 has no UTC instant datetime can hold
        raise _refuse(field, value.isoformat()) from None
    if not in_range(day):
        raise _refuse(field, value.isoformat())
    return value
