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

from gridsvc.events.rows import Prepared, iso_utc

STAGE_COLUMNS = (
    "row_number",
    "reporter_id",
    "client_event_id",
    "content_sha256",
    "category",
    "title",
    "description",
    "occurred_at",
    "reported_at",
    "source",
    "urgency",
    "lon_wgs84",
    "lat_wgs84",
    "lon_sent",
    "lat_sent",
    "crs_sent",
    "accuracy_m",
    "address",
    "media",
    "attributes",
    "grid_version_id",
    "community_code",
    "street_code",
    "sector_code",
    "district_code",
    "grid_code",
    "snapped",
    "near_boundary",
)


def stage_columns(prepared: Prepared) -> dict[str, list[Any]]:
    """The prepared rows' values as ``event_stage`` takes them, by column
    (:data:`STAGE_COLUMNS`): text for times and booleans, None for NULL."""
    columns: dict[str, list[Any]] = {}
    for name in STAGE_COLUMNS:
        values = prepared.columns[name]
        if name in ("occurred_at", "reported_at"):
            columns[name] = [t and t.replace("+00:00", "+00") for t in iso_utc(values)]
        elif name in ("snapped", "near_boundary"):
            columns[name] = np.where(values, "t", "f").tolist()
        elif name == "accuracy_m":
            columns[name] = [None if x != x else x for x in values.tolist()]
        else:
            columns[name] = np.asarray(values).tolist()
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
