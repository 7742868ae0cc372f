"""Which events a statistic counts: :class:`StatsFilter`, and its translation to SQL parameters.

Every field is optional; ``None`` means "no restriction". Dates are **Beijing calendar days**
(Asia/Shanghai, UTC+08:00 all year) and the range is **half-open**: ``date_from`` is the
first day counted, ``date_to`` the first day *not* counted, so ``[2026-11-01, 2026-12-01)`` is
November and consecutive ranges never count a day twice. An event belongs to the Beijing day
of its ``occurred_at``: 2026-11-01T23:59:59+08:00 is on 1 November, 16:00:00Z the same
evening is 2 November.

Categories may be groups (``hazard``) or leaves (``hazard.fire``); a group means all its
leaves (:meth:`gridsvc.events.taxonomy.Taxonomy.codes_under`), deactivated ones included,
since old events keep their categories.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from gridsvc.dates import CITY_TZ, check_day
from gridsvc.errors import InvalidInput
from gridsvc.events.taxonomy import Taxonomy
from gridsvc.vocabulary import SOURCES, URGENCIES, check_choices


def _as_tuple(name: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    values = (value,) if isinstance(value, str) else tuple(value)
    if not values:
        raise InvalidInput("stats.empty_filter", field=name)
    for v in values:
        if not isinstance(v, str) or not v:
            raise InvalidInput("stats.filter_text", field=name, value=repr(v))
    return tuple(dict.fromkeys(values))  # order kept, duplicates dropped


@dataclass(frozen=True)
class StatsFilter:
    """Filters shared by every statistic (see the module docstring for the date semantics).

    ``categories`` are taxonomy codes (groups or leaves); ``status``, ``urgency`` and
    ``source`` are the stored values (``urgency``: normal/urgent/critical; ``source``:
    :data:`gridsvc.vocabulary.SOURCES`). A single string is accepted for any of them.
    """

    categories: tuple[str, ...] | None = None
    status: tuple[str, ...] | None = None
    urgency: tuple[str, ...] | None = None
    source: tuple[str, ...] | None = None
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool | None = None
    """True: only events past a deadline now (reported and not accepted in time, or dispatched
    and not resolved in time); False: only the others. Overdue changes with the clock, so
    such counts are computed from the events, not the rollup (slower on big ranges)."""

    def __post_init__(self) -> None:
        for name in ("categories", "status", "urgency", "source"):
            object.__setattr__(self, name, _as_tuple(name, getattr(self, name)))
        check_choices(self.urgency, URGENCIES, "urgency")
        check_choices(self.source, SOURCES, "source")
        for name in ("date_from", "date_to"):
            value = getattr(self, name)
            # a datetime is a date too, but its time of day would be silently dropped
            if value is not None and (not isinstance(value, date) or hasattr(value, "hour")):
                raise InvalidInput("stats.not_a_day", field=name, value=repr(value))
            if value is not None:
                check_day(value, name)
        if (
            self.date_from is not None
            and self.date_to is not None
            and self.date_to <= self.date_from
        ):
            raise InvalidInput(
                "stats.empty_range", field="date_to", date_to=self.date_to, date_from=self.date_from
            )

    @property
    def days(self) -> int | None:
        """The number of days of ``[date_from, date_to)``, or None when either is open."""
        if self.date_from is None or self.date_to is None:
            return None
        return (self.date_to - self.date_from).days

    def same_except_dates(self, other: StatsFilter) -> bool:
        """Whether both filters select the same kind of events (they may differ in dates)."""
        return all(
            getattr(self, f.name) == getattr(other, f.name)
            for f in fields(self)
            if f.name not in ("date_from", "date_to")
        )

    def describe(self) -> dict[str, Any]:
        """The filter as plain JSON-ready values (dates ISO; the range is [from, to))."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, bool):
                out[f.name] = value
            else:
                out[f.name] = value.isoformat() if isinstance(value, date) else list(value)
        return out


def expand_categories(taxonomy: Taxonomy, codes: tuple[str, ...] | None) -> list[str] | None:
    """The leaf codes that ``codes`` (groups or leaves) stand for, in taxonomy order.

    Raises :class:`gridsvc.errors.UnknownCategory` for a code the taxonomy lacks.
    """
    if codes is None:
        return None
    wanted: set[str] = set()
    for code in codes:
        wanted.update(taxonomy.codes_under(code))
    return [c.code for c in taxonomy.leaves() if c.code in wanted]


def sql_params(flt: StatsFilter, taxonomy: Taxonomy, now: datetime) -> dict[str, Any]:
    """Parameters of the ``{daily}`` and ``{event_filter}`` fragments: lists or None (no
    restriction), dates or None (days of the city's zone, ``city_tz``); ``now`` (the
    service's clock, ``Gridsvc.now()``) is what being overdue is judged against."""
    return {
        "now": now,
        "city_tz": CITY_TZ.key,
        "categories": expand_categories(taxonomy, flt.categories),
        "status": list(flt.status) if flt.status else None,
        "urgency": list(flt.urgency) if flt.urgency else None,
        "source": list(flt.source) if flt.source else None,
        "date_from": flt.date_from,
        "date_to": flt.date_to,
        "overdue": flt.overdue,
    }
