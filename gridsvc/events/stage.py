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


def stage_csv(prepared: Prepared) -> io.StringIO:
    """The prepared rows as the CSV that ``event_stage`` is COPYed from (empty = NULL)."""
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
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(zip(*columns, strict=True))
    buffer.seek(0)
    return buffer


def copy_stage(cur: Cursor, stage: io.StringIO) -> None:
    """COPY ``stage`` (:func:`stage_csv`) into ``event_stage``."""
    statement = sql.SQL("COPY event_stage ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.SQL(", ").join(sql.Identifier(name) for name in STAGE_COLUMNS)
    )
    cur.copy_expert(statement.as_string(cur), stage)
