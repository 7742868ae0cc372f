"""Deadlines in natural hours, natural days or working days, days and times of the city
(:data:`gridsvc.dates.CITY_TZ`).

Working days are Monday to Friday except the days a city loads as holidays, plus the weekend
days it loads as make-up working days (调休). Nothing is assumed about a year nobody loaded:
such a year follows the Monday-to-Friday rule.

"N working days" from a moment: the same local time on the N-th working day after that
moment's local date (the day of dispatch itself does not count).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from gridsvc.dates import CITY_TZ
from gridsvc.db.pool import Connection
from gridsvc.errors import InvalidInput
from gridsvc.sql import query


@dataclass(frozen=True)
class WorkingCalendar:
    overrides: Mapping[date, bool]
    """Day → working, for the days that differ from Monday-to-Friday."""

    def is_working(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() < 5

    def add_working_days(self, start: datetime, n: int) -> datetime:
        local = start.astimezone(CITY_TZ)
        day = local.date()
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working(day):
                counted += 1
        return datetime.combine(day, local.timetz()).astimezone(CITY_TZ)

    def due(self, start: datetime, value: float, unit: str) -> datetime:
        """The deadline ``value`` ``unit`` after ``start`` (timezone-aware)."""
        if unit == "hours":
            return start + timedelta(hours=value)
        if unit == "days":
            return start + timedelta(days=value)
        if unit == "working_days":
            return self.add_working_days(start, int(value))
        raise InvalidInput("calendar.unit", unit=unit)


def read_calendar(conn: Connection) -> WorkingCalendar:
    with conn.cursor() as cur:
        cur.execute(query("calendar_all"))
        return WorkingCalendar({row[0]: bool(row[1]) for row in cur.fetchall()})


def load_calendar_file(path: Path) -> dict[date, tuple[bool, str]]:
    """A CSV with header ``date,working,note`` (working: true/false, 1/0, 是/否)."""
    truthy = {
        "true": True,
        "1": True,
        "yes": True,
        "是": True,
        "班": True,
        "false": False,
        "0": False,
        "no": False,
        "否": False,
        "休": False,
    }
    days: dict[date, tuple[bool, str]] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or not {"date", "working"} <= set(reader.fieldnames):
            raise InvalidInput("calendar.header", field="header")
        for number, row in enumerate(reader, start=1):
            try:
                day = date.fromisoformat(row["date"].strip())
            except ValueError:
                raise InvalidInput(
                    "calendar.date", field="date", row=number, value=row["date"]
                ) from None
            flag = truthy.get(row["working"].strip().lower())
            if flag is None:
                raise InvalidInput(
                    "calendar.working", field="working", row=number, value=row["working"]
                )
            days[day] = (flag, (row.get("note") or "").strip())
    return days


def store_calendar(conn: Connection, days: Mapping[date, tuple[bool, str]]) -> int:
    with conn.cursor() as cur:
        for day, (working, note) in days.items():
            cur.execute(query("calendar_upsert"), {"day": day, "working": working, "note": note})
    return len(days)
