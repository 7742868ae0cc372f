"""What the statistics modules share: the levels they cover, their SQL, a consistent snapshot.

Statistics read the ``event_daily`` rollup, which is kept per community; so they reach from
the city down to communities, not to grids (网格). A query names the fragments it uses as
``{member}`` (community → unit of a level, ``stats_member.sql``), ``{daily}`` (the rollup
rows a filter selects, ``stats_daily.sql``, or for a filter on being overdue the same rows
counted from the events, ``stats_daily_events.sql``) and ``{event_filter}`` (the filter on
the events themselves, ``stats_event_filter.sql``, also used by the map binning);
:func:`stats_query` fills them in with ``psycopg2.sql`` (so no ``{`` may stand in their SQL
comments), so every statistic filters and rolls up in exactly the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Final

from psycopg2 import sql
from psycopg2.extensions import cursor as Cursor

from gridsvc.db.pool import Database
from gridsvc.errors import InvalidInput
from gridsvc.grids.io import parse_level
from gridsvc.sql import query
from gridsvc.stats.filters import StatsFilter

STATS_LEVELS: Final[tuple[str, ...]] = ("city", "district", "sector", "street", "community")


def parse_stats_level(level: str) -> str:
    """The canonical level name; :class:`UnknownLevel` for a non-level, :class:`InvalidInput`
    for ``grid`` (the rollup is per community)."""
    name = parse_level(level)
    if name not in STATS_LEVELS:
        raise InvalidInput("stats.level", field="level", level=name, levels=STATS_LEVELS)
    return name


def stats_query(
    name: str, flt: StatsFilter | None = None, **fragments: sql.Composable
) -> sql.Composed:
    """``gridsvc/sql/queries/<name>.sql`` with its ``{member}``/``{daily}``/``{event_filter}``
    fragments filled, and any other ``{fragment}`` it names from ``fragments``.

    ``{daily}`` reads the rollup (``stats_daily.sql``), or the events themselves
    (``stats_daily_events.sql``) when ``flt`` filters on being overdue; a query that names
    ``{daily}`` needs ``flt`` (``ValueError`` without), the filter its parameters come from."""
    text = query(name)
    if "{daily}" in text and flt is None:
        raise ValueError(f"{name} counts through {{daily}}: compose it with its filter")
    event_filter = sql.SQL(query("stats_event_filter"))
    from_events = flt is not None and flt.overdue is not None
    daily = sql.SQL(query("stats_daily_events" if from_events else "stats_daily")).format(
        event_filter=event_filter
    )
    return sql.SQL(text).format(
        member=sql.SQL(query("stats_member")),
        daily=daily,
        event_filter=event_filter,
        **fragments,
    )


@contextmanager
def snapshot(db: Database) -> Iterator[Cursor]:
    """A cursor in a read-only REPEATABLE READ transaction: the queries of one statistic see
    the same data even while events are being written."""
    with db.connection() as conn, conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield cur


def fetch(cur: Cursor, statement: str | sql.Composable, params: dict[str, Any]) -> list[Any]:
    cur.execute(statement, params)
    return list(cur.fetchall())
