"""Staging checked rows for one INSERT … SELECT: the temporary table ``event_stage``
(``event_stage_create.sql``) filled by COPY. Bulk imports stage each batch of a file; the API
stages the reports that arrive together (:func:`gridsvc.events.store.create_events`)."""

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


def stage_rows(prepared: Prepared) -> list[tuple[Any, ...]]:
    """The prepared rows as ``event_stage`` takes them, in :data:`STAGE_COLUMNS` order:
    text for times and booleans, None for NULL."""
    columns: list[list[Any]] = []
    for name in STAGE_COLUMNS:
        values = prepared.columns[name]
        if name in ("occurred_at", "reported_at"):
            columns.append([t and t.replace("+00:00", "+00") for t in iso_utc(values)])
        elif name in ("snapped", "near_boundary"):
            columns.append(np.where(values, "t", "f").tolist())
        elif name == "accuracy_m":
            columns.append([None if x != x else x for x in values.tolist()])
        else:
            columns.append(np.asarray(values).tolist())
    return list(zip(*columns, strict=True))


def stage_csv(prepared: Prepared) -> io.StringIO:
    """The prepared rows as the CSV that ``event_stage`` is COPYed from (empty = NULL)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(stage_rows(prepared))
    buffer.seek(0)
    return buffer


def copy_stage(cur: Cursor, stage: io.StringIO) -> None:
    """COPY ``stage`` (:func:`stage_csv`) into ``event_stage``."""
    cur.copy_expert(_columns("COPY event_stage ({}) FROM STDIN WITH (FORMAT csv)", cur), stage)


def stage_insert(cur: Cursor, prepared: Prepared) -> bytes:
    """One ``INSERT … VALUES`` of the prepared rows into ``event_stage``, with its values
    bound: for the few reports that arrive together, where it can be sent with the
    statements around it in one round trip (a COPY takes two of its own)."""
    row = b"(" + b", ".join([b"%s"] * len(STAGE_COLUMNS)) + b")"
    values = b", ".join(cur.mogrify(row, values) for values in stage_rows(prepared))
    return _columns("INSERT INTO event_stage ({}) VALUES ", cur).encode() + values


def _columns(statement: str, cur: Cursor) -> str:
    return (
        sql.SQL(statement)
        .format(sql.SQL(", ").join(sql.Identifier(name) for name in STAGE_COLUMNS))
        .as_string(cur)
    )
