"""Staging checked rows for one INSERT … SELECT: the temporary table ``event_stage``
(``event_stage_create.sql``, one per pooled connection, emptied at each commit). Bulk imports
COPY each batch of a file into it (:func:`stage_csv`, :func:`copy_stage`); the API inserts
the reports that arrive together with ``event_stage_insert.sql``, one array per column
(:func:`stage_columns`; :func:`gridsvc.events.store.store_together`)."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
from psycopg2 import sql
from psycopg2.extensions import cursor as Cursor

from gridsvc.events.columns import STAGED
from gridsvc.events.rows import Prepared, iso_utc

STAGE_COLUMNS = tuple(c.name for c in STAGED)
"""The columns of ``event_stage`` that the staged rows fill, as COPY and
``event_stage_insert.sql`` list them (:data:`gridsvc.events.columns.STAGED`)."""


def stage_columns(prepared: Prepared) -> dict[str, list[Any]]:
    """The prepared rows' values as ``event_stage`` takes them, by column
    (:data:`STAGE_COLUMNS`), by each column's type there: text for times and booleans,
    None for NULL (a NaN ``real``)."""
    columns: dict[str, list[Any]] = {}
    for column in STAGED:
        values = prepared.columns[column.name]
        if column.stage == "timestamptz":
            columns[column.name] = [t and t.replace("+00:00", "+00") for t in iso_utc(values)]
        elif column.stage == "boolean":
            columns[column.name] = np.where(values, "t", "f").tolist()
        elif column.stage == "real":
            columns[column.name] = [None if x != x else x for x in values.tolist()]
        else:
            columns[column.name] = np.asarray(values).tolist()
    return columns


def stage_csv(prepared: Prepared) -> io.StringIO:
    """The prepared rows as the CSV that ``event_stage`` is COPYed from (empty = NULL)."""
    columns = stage_columns(prepared)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        zip(*(columns[name] for name in STAGE_COLUMNS), strict=True)
    )
    buffer.seek(0)
    return buffer


def copy_stage(cur: Cursor, stage: io.StringIO) -> None:
    """COPY ``stage`` (:func:`stage_csv`) into ``event_stage``."""
    statement = sql.SQL("COPY event_stage ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.SQL(", ").join(sql.Identifier(name) for name in STAGE_COLUMNS)
    )
    cur.copy_expert(statement.as_string(cur), stage)
