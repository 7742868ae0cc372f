"""Every column of an event, written once: how it is read, staged, shown, exported and hidden.

A :class:`Column` says, for one name:

- how every event read selects it: an SQL expression on ``event AS e`` (fixed text; values
  only as parameters, e.g. ``%(now)s``), or none for a column only staged;
- its type in ``event_stage``, if the staged reports carry it (``event_stage_create.sql``);
- where it stands in the event the API shows (a path into nested dicts) and how a database
  value is turned into what is shown (times in the city's zone);
- which exports carry it (CSV, GeoPackage; their columns in the order of the registry);
- whether it is personal data, which analysts never see.

Built from :data:`COLUMNS`: the SELECT of every event read (:data:`SELECT`, used by
``store.event_select`` and filled into the ``{event_columns}`` of ``event_report.sql`` and
``event_staged.sql``), the API's event (:func:`event_dict`), the analysts' redaction
(:func:`hide_personal`), the COPY column list and the arrays of ``event_stage``
(:data:`STAGED`), and the exports' columns (:data:`CSV`, :data:`GPKG`, :func:`export_row`).
Adding a column is one entry here (and its migration).

"Overdue" is defined once, by the SQL function ``event_overdue`` (migration 0012):
:data:`OVERDUE_SQL` is the only call of it on ``event AS e``, shared by the SELECT and the
filters (``store.filter_where``); ``stats_event_filter.sql`` calls the same function.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Final, Literal

from gridsvc.dates import local_iso

Export = Literal["csv", "gpkg"]

OVERDUE_SQL: Final = "event_overdue(e.status, e.accept_due_at, e.resolve_due_at, %(now)s)"
"""Whether the event ``e`` is overdue at ``%(now)s`` (the service's clock); NULL when the
deadline it waits on is NULL (migration 0012)."""


STORED: Final = "e.<name>"
"""A column read as stored: ``e.<its name>``."""


@dataclass(frozen=True)
class Column:
    name: str
    read: str | None = STORED
    """The SQL expression on ``event AS e`` that every event read selects (None: not read,
    only staged)."""
    under: tuple[str, ...] = ()
    """The part of the API's event it stands in (``("location",)``; none: the top)."""
    key: str | None = None
    """Its key there (None: its name)."""
    shown: bool = True
    """Whether the API's event has it at all."""
    show: Callable[[Any], Any] | None = None
    """What the API shows for a database value (None: the value itself)."""
    stage: str | None = None
    """Its SQL type in ``event_stage``; None: the staged reports do not carry it."""
    exports: frozenset[Export] = frozenset()
    personal: bool = False
    """Personal data: analysts see None in its place (an empty list for a list)."""

    @cached_property
    def path(self) -> tuple[str, ...]:
        """Its path in the API's event (``("location", "sent", "lon")``); () if not shown.
        Cached: every event of a list page reads every column's path."""
        return (*self.under, self.key or self.name) if self.shown else ()

    @property
    def select_sql(self) -> str:
        """Its item of the SELECT list (only for a column that is read)."""
        if self.read == STORED:
            return f"e.{self.name}"
        return f"{self.read} AS {self.name}"


_CSV: Final[frozenset[Export]] = frozenset({"csv"})
_GPKG: Final[frozenset[Export]] = frozenset({"gpkg"})
_BOTH: Final[frozenset[Export]] = frozenset({"csv", "gpkg"})
_LOCATION, _SENT, _GRID, _DEADLINES = ("location",), ("location", "sent"), ("grid",), ("deadlines",)

COLUMNS: Final[tuple[Column, ...]] = (
    Column("row_number", read=None, shown=False, stage="bigint"),  # of the report in its batch
    Column("id", exports=_BOTH),
    Column("client_event_id", stage="text", exports=_BOTH),
    Column("reporter_id", stage="text", exports=_BOTH, personal=True),
    Column("content_sha256", read=None, shown=False, stage="text"),  # goes into event_key
    Column("category", stage="text", exports=_BOTH),
    Column("title", stage="text", exports=_BOTH),
    Column("description", stage="text", exports=_GPKG, personal=True),
    Column("occurred_at", show=local_iso, stage="timestamptz", exports=_BOTH),
    Column("reported_at", show=local_iso, stage="timestamptz", exports=_BOTH),
    Column("received_at", show=local_iso),
    Column("source", stage="text", exports=_BOTH),
    Column("urgency", stage="text", exports=_BOTH),
    Column("status", exports=_BOTH),
    Column("lon_wgs84", read="ST_X(e.geom)", under=_LOCATION, stage="float8", exports=_CSV),
    Column("lat_wgs84", read="ST_Y(e.geom)", under=_LOCATION, stage="float8", exports=_CSV),
    Column("lon_sent", under=_SENT, key="lon", stage="float8"),
    Column("lat_sent", under=_SENT, key="lat", stage="float8"),
    Column("crs_sent", under=_SENT, key="crs", stage="text"),
    Column("accuracy_m", under=_LOCATION, stage="real"),
    Column("media", stage="jsonb", personal=True),
    Column("attributes", stage="jsonb"),
    Column("grid_version_id", under=_GRID, key="version_id", stage="integer"),
    # an event outside every grid is stored under community '' (a key column), shown as NULL
    Column(
        "community_code",
        read="NULLIF(e.community_code, '')",
        under=_GRID,
        stage="text",
        exports=_BOTH,
    ),
    Column("street_code", under=_GRID, stage="text", exports=_BOTH),
    Column("sector_code", under=_GRID, stage="text", exports=_BOTH),
    Column("district_code", under=_GRID, stage="text", exports=_BOTH),
    Column("grid_code", under=_GRID, stage="text"),
    Column("snapped", under=_GRID, stage="boolean", exports=_BOTH),
    Column("near_boundary", under=_GRID, stage="boolean", exports=_BOTH),
    Column("address", under=_LOCATION, stage="text", exports=_CSV, personal=True),
    Column("row_version"),
    Column("import_id", shown=False),
    Column("accept_due_at", under=_DEADLINES, show=local_iso),
    Column("resolve_due_at", under=_DEADLINES, show=local_iso),
    Column("merged_into"),
    Column("overdue", read=OVERDUE_SQL, under=_DEADLINES, show=bool, exports=_GPKG),
    Column(
        "synthetic",
        read="coalesce((SELECT j.synthetic FROM import_job AS j WHERE j.id = e.import_id), false)",
        show=bool,
        exports=_GPKG,
    ),
)
"""Every column, in the order of the SELECT, of the API's event and of the exports."""

READ: Final[tuple[Column, ...]] = tuple(c for c in COLUMNS if c.read is not None)
"""The columns of every event read, in the order of its rows."""

SELECT: Final = "SELECT " + ",\n       ".join(c.select_sql for c in READ) + "\n"
"""The SELECT list of every event read, of events aliased ``e`` (binds ``%(now)s``): followed
by ``FROM event AS e`` and a WHERE clause (``store.event_select``), or, in ``event_report.sql``,
by the row a report just inserted, or, in ``event_staged.sql``, by more columns and the join
of the staged reports to their events."""

STAGED: Final[tuple[Column, ...]] = tuple(c for c in COLUMNS if c.stage is not None)
"""The columns of ``event_stage`` that staged reports fill: the COPY of an import's batch and
the arrays of ``event_stage_insert.sql``."""

PERSONAL: Final[tuple[Column, ...]] = tuple(c for c in READ if c.personal)

CSV: Final[tuple[Column, ...]] = tuple(c for c in COLUMNS if "csv" in c.exports)
GPKG: Final[tuple[Column, ...]] = tuple(c for c in COLUMNS if "gpkg" in c.exports)


def event_dict(row: Sequence[Any]) -> dict[str, Any]:
    """An event row (the columns of :data:`READ`) as the API shows it: nested by each
    column's path, times in the city's zone."""
    event: dict[str, Any] = {}
    for column, value in zip(READ, row, strict=True):
        if not column.path:
            continue
        *parents, key = column.path
        target = event
        for parent in parents:
            target = target.setdefault(parent, {})
        target[key] = value if column.show is None else column.show(value)
    return event


def value_of(event: Mapping[str, Any], column: Column) -> Any:
    """The value of ``column`` in an event of :func:`event_dict` (None where a part on its
    path is missing or None, e.g. the ``sent`` point of a redacted sensitive event)."""
    value: Any = event
    for key in column.path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def export_row(event: Mapping[str, Any], columns: Iterable[Column]) -> list[Any]:
    """The values of ``columns`` in an event of :func:`event_dict`, in their order."""
    return [value_of(event, c) for c in columns]


def hide_personal(event: dict[str, Any]) -> dict[str, Any]:
    """``event`` (of :func:`event_dict`) with its personal data (:data:`PERSONAL`) emptied,
    as analysts see it; a copy (the nested parts it changes are copied too)."""
    out = dict(event)
    for column in PERSONAL:
        *parents, key = column.path
        target = out
        for parent in parents:
            target[parent] = dict(target[parent])
            target = target[parent]
        target[key] = [] if isinstance(target.get(key), list) else None
    return out
