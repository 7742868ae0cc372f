"""Bulk import of event reports: CSV, GeoJSON or NDJSON, streamed in batches.

Each batch is checked and assigned by :func:`gridsvc.events.rules.prepare`, COPYed into a
temporary table and inserted with ``ON CONFLICT DO NOTHING`` together with its rollup counts,
in one transaction per batch. Invalid rows are not stored; each is recorded in
``import_rejection`` with its row number (1 = the first data row), the message id, the reason
and the hint: those a report sent alone gets for the same mistake.

Re-running a file stores nothing twice: rows carry their ``client_event_id``, or get one made
of the file's SHA-256 and the row number, so an import cut off half-way (client gone, server
killed) is completed by running it again. Memory stays bounded by the batch size.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import json
import logging
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pandas as pd
import psycopg2.extras

from gridsvc import crs as crs_mod
from gridsvc.dates import CITY_TZ, local_iso
from gridsvc.errors import InvalidInput, NotFound
from gridsvc.events.rows import INPUT_COLUMNS, Defaults, Prepared, Rejection
from gridsvc.events.rules import REQUIRED, prepare
from gridsvc.events.stage import copy_stage, stage_csv
from gridsvc.events.store import taxonomy_of
from gridsvc.export import excel_csv
from gridsvc.messages import Lang, Msg
from gridsvc.service import Gridsvc
from gridsvc.sql import query

log = logging.getLogger("gridsvc.events.importer")

FORMATS = ("csv", "geojson", "ndjson")
_MAINTAIN_AFTER_ROWS = 5_000
_FIRST_BATCH_ROWS = 5_000
"""The first batch is at most this long: nothing is written while it is checked (~35 µs a
row), and the next, full batch is checked while it is written (issue #24)."""


@dataclass
class ImportReport:
    import_id: int
    filename: str
    format: str
    rows_read: int = 0
    stored: int = 0
    already_stored: int = 0
    rejected: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    seconds: float = 0.0
    lang: Lang = "en"
    """The language of the reasons kept with the import."""

    def to_dict(self, *, max_rejections: int = 100, lang: Lang = "en") -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "filename": self.filename,
            "format": self.format,
            "rows_read": self.rows_read,
            "stored": self.stored,
            "already_stored": self.already_stored,
            "rejected": self.rejected,
            "ignored_columns": self.ignored_columns,
            "rejections": [r.to_dict(lang) for r in self.rejections[:max_rejections]],
            "rejections_truncated": len(self.rejections) > max_rejections,
            "seconds": round(self.seconds, 3),
        }


def detect_format(filename: str, explicit: str | None = None) -> str:
    if explicit:
        fmt = explicit.lower()
        if fmt not in FORMATS:
            raise InvalidInput(
                "import.unknown_format", field="format", format=explicit, formats=FORMATS
            )
        return fmt
    suffix = Path(filename).suffix.lower()
    by_suffix = {
        ".csv": "csv",
        ".txt": "csv",
        ".geojson": "geojson",
        ".json": "geojson",
        ".ndjson": "ndjson",
        ".jsonl": "ndjson",
    }
    if suffix not in by_suffix:
        raise InvalidInput("import.format_of_name", field="format", name=Path(filename).name)
    return by_suffix[suffix]


def file_sha256(stream: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: stream.read(1 << 20), b""):
        digest.update(block)
    stream.seek(0)
    return digest.hexdigest()


def _text_stream(stream: IO[bytes], encoding: str) -> io.TextIOWrapper:
    # utf-8-sig drops a BOM (Excel writes one); errors surface as InvalidInput below
    codec = "utf-8-sig" if encoding.lower().replace("-", "") in ("utf8", "utf8sig") else encoding
    try:
        codecs.lookup(codec)
    except LookupError:
        raise InvalidInput("import.unknown_encoding", field="encoding", encoding=encoding) from None
    return io.TextIOWrapper(stream, encoding=codec, newline="")


def _csv_batches(
    text: IO[str], size: int, report: ImportReport, bad_rows: list[Rejection]
) -> Iterator[pd.DataFrame]:
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("import.empty", field="file") from None
    columns = [h.strip().lower() for h in header]
    report.ignored_columns = [c for c in columns if c not in INPUT_COLUMNS]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise InvalidInput("import.header_lacks", field="header", missing=missing, columns=columns)
    width = len(columns)
    rows: list[list[str]] = []
    numbers: list[int] = []
    number = 0
    limit = min(size, _FIRST_BATCH_ROWS)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            number += 1
            bad_rows.append(Rejection(number, None, Msg("import.malformed_csv", {"error": exc})))
            continue
        number += 1
        if not record or (len(record) == 1 and not record[0].strip()):
            bad_rows.append(Rejection(number, None, Msg("import.empty_row")))
            continue
        if len(record) != width:
            wrong = Msg("import.row_width", {"count": len(record), "width": width})
            bad_rows.append(Rejection(number, None, wrong))
            continue
        rows.append(record)
        numbers.append(number)
        if len(rows) >= limit:
            yield _frame(columns, rows, numbers)
            rows, numbers, limit = [], [], size
    if rows:
        yield _frame(columns, rows, numbers)
    report.rows_read = number


def _frame(columns: list[str], rows: list[list[Any]], numbers: list[int]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame["row_number"] = numbers
    return frame


def _json_records(text: IO[str], fmt: str) -> Iterator[tuple[int, Any]]:
    """(row number, the item) of a GeoJSON or NDJSON file; a :class:`Msg` for a line that
    is no JSON."""
    if fmt == "ndjson":
        for number, line in enumerate(text, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, Msg("import.malformed_json", {"error": exc.msg, "column": exc.colno})
        return
    try:
        data = json.load(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "import.not_json", field="file", error=exc.msg, line=exc.lineno, column=exc.colno
        ) from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InvalidInput("import.not_collection", field="file")
    for number, feature in enumerate(data.get("features") or [], start=1):
        yield number, feature


def _json_batches(
    text: IO[str], fmt: str, size: int, report: ImportReport, bad_rows: list[Rejection]
) -> Iterator[pd.DataFrame]:
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    ignored: set[str] = set()
    number = 0
    limit = min(size, _FIRST_BATCH_ROWS)
    for number, item in _json_records(text, fmt):
        if isinstance(item, Msg):
            bad_rows.append(Rejection(number, None, item))
            continue
        record = _record_of(item, fmt)
        if isinstance(record, Msg):
            bad_rows.append(Rejection(number, None, record))
            continue
        ignored.update(k for k in record if k not in INPUT_COLUMNS)
        rows.append({k: record.get(k) for k in INPUT_COLUMNS})
        numbers.append(number)
        if len(rows) >= limit:
            yield _dict_frame(rows, numbers)
            rows, numbers, limit = [], [], size
    if rows:
        yield _dict_frame(rows, numbers)
    report.rows_read = number
    report.ignored_columns = sorted(ignored)


def _record_of(item: Any, fmt: str) -> dict[str, Any] | Msg:
    """The report of one item, or why it is none."""
    if fmt == "ndjson":
        return item if isinstance(item, dict) else Msg("import.line_not_object")
    if not isinstance(item, dict) or item.get("type") != "Feature":
        return Msg("import.not_feature")
    props = dict(item.get("properties") or {})
    geom = item.get("geometry") or {}
    if geom.get("type") != "Point":
        return Msg("import.not_point", {"kind": geom.get("type")})
    coords = geom.get("coordinates") or []
    if len(coords) < 2:
        return Msg("import.point_coordinates")
    props["lon"], props["lat"] = coords[0], coords[1]
    return props


def _dict_frame(rows: list[dict[str, Any]], numbers: list[int]) -> pd.DataFrame:
    for row in rows:
        for key in ("media", "attributes"):
            if isinstance(row.get(key), dict | list):
                row[key] = json.dumps(row[key], ensure_ascii=False)
    frame = pd.DataFrame(rows, columns=list(INPUT_COLUMNS), dtype=object)
    frame["row_number"] = numbers
    return frame


class _Staged:
    """A pooled connection in its transaction, with a batch's rows COPYed into its
    ``event_stage`` (none for a batch without rows): entered, the connection; left, the
    transaction commits (or rolls back on an error) and the connection goes back."""

    def __init__(self, svc: Gridsvc, stage: io.StringIO | None) -> None:
        self._context = svc.db.connection()
        self.conn = self._context.__enter__()
        try:
            if stage is not None:
                with self.conn.cursor() as cur:
                    cur.execute(query("event_stage_create"))
                    copy_stage(cur, stage)
        except BaseException:
            self._context.__exit__(*sys.exc_info())
            raise

    def __enter__(self) -> Any:
        return self.conn

    def __exit__(self, *exc: Any) -> None:
        self._context.__exit__(*exc)

    def discard(self) -> None:
        """Roll back, unused (the import stopped before this batch)."""
        with contextlib.suppress(Exception):
            self._context.__exit__(RuntimeError, RuntimeError("import stopped"), None)


@dataclass
class _Checked:
    """One batch ready to store: its rows, the rows refused before it (malformed CSV…), the
    rows staged on a connection of their own (or the CSV to COPY), and the last row number
    read."""

    prepared: Prepared
    pre_rejected: list[Rejection]
    stage: io.StringIO | None
    last_row: int
    staged: _Staged | None = None

    def discard(self) -> None:
        if self.staged is not None:
            self.staged.discard()


def _store_batch(
    svc: Gridsvc,
    import_id: int,
    prepared: Prepared,
    report: ImportReport,
    pre_rejected: list[Rejection],
    stage: io.StringIO | None = None,
    staged: _Staged | None = None,
) -> None:
    rejections = list(pre_rejected) + list(prepared.rejections)
    if staged is None:
        staged = _Staged(svc, (stage or stage_csv(prepared)) if len(prepared) else None)
    with staged as conn, conn.cursor() as cur:
        if len(prepared):
            # stored first: a row whose key is taken (ON CONFLICT DO NOTHING) is left out
            # there, and only when some were left out are they looked up, to say why; a new
            # file's batch never reads its 50,000 keys back (issue #24)
            cur.execute(
                query("event_insert_stage"),
                {"import_id": import_id, "skip_rows": [], "city_tz": CITY_TZ.key},
            )
            row = cur.fetchone()
            stored = int(row[0]) if row else 0
            report.stored += stored
            left_out = _left_out(cur, import_id) if stored < len(prepared) else []
            for row_number, client_id, event_id, same, same_import in left_out:
                if same and not same_import:
                    report.already_stored += 1
                elif same_import:
                    earlier = Msg("import.id_earlier", {"value": client_id})
                    rejections.append(
                        Rejection(int(row_number), "client_event_id", earlier, client_id)
                    )
                else:
                    used = Msg("import.id_used", {"value": client_id, "event_id": event_id})
                    rejections.append(
                        Rejection(int(row_number), "client_event_id", used, client_id)
                    )
        if rejections:
            psycopg2.extras.execute_values(
                cur,
                query("import_rejection_insert"),
                [
                    (
                        import_id,
                        r.row_number,
                        r.field,
                        r.msg.id,
                        r.msg.render(report.lang),
                        r.hint_text(report.lang),
                        r.value,
                    )
                    for r in rejections
                ],
            )
        report.rejected += len(rejections)
        report.rejections.extend(rejections)
        cur.execute(
            query("import_job_progress"),
            {
                "id": import_id,
                "rows_read": report.rows_read,
                "stored": report.stored,
                "already_stored": report.already_stored,
                "rejected": report.rejected,
            },
        )


def _left_out(cur: Any, import_id: int) -> list[tuple[Any, ...]]:
    """The staged rows not stored because their key is another event's (stored before, by
    an earlier batch of this file, or meanwhile by another writer), with that event."""
    cur.execute(query("event_stage_existing"), {"import_id": import_id})
    return list(cur.fetchall())


def import_events(
    svc: Gridsvc,
    stream: IO[bytes],
    *,
    filename: str,
    fmt: str | None = None,
    crs: str | crs_mod.Crs = crs_mod.Crs.WGS84,
    source: str = "import",
    reporter_id: str | None = None,
    encoding: str = "utf-8",
    progress: Callable[[int], None] | None = None,
    synthetic: bool = False,
    lang: Lang = "en",
) -> ImportReport:
    """Import every valid row of ``stream`` (a seekable binary file); see the module doc.
    ``lang``: the language of the rejections' reasons kept with the import (its CSV of
    rejections is read later, by the same person)."""
    started = time.monotonic()
    fmt = detect_format(filename, fmt)
    system = crs if isinstance(crs, crs_mod.Crs) else crs_mod.Crs.parse(crs)
    size_bytes = stream.seek(0, io.SEEK_END)
    stream.seek(0)
    limit = svc.settings.events.max_geojson_bytes
    if fmt == "geojson" and size_bytes > limit:
        raise InvalidInput("import.geojson_too_big", field="file", size=size_bytes, limit=limit)
    # everything that can fail before the first row is checked before a job is recorded
    taxonomy = taxonomy_of(svc)
    locator = svc.locator()
    sha = file_sha256(stream)
    text = _text_stream(stream, encoding)
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(
            query("import_job_start"),
            {
                "sha": sha,
                "filename": Path(filename).name[:255],
                "format": fmt,
                "source": source,
                "crs": system.value,
                "synthetic": synthetic,
            },
        )
        row = cur.fetchone()
        assert row is not None
        import_id = int(row[0])
    report = ImportReport(import_id=import_id, filename=Path(filename).name, format=fmt, lang=lang)
    defaults = Defaults(
        crs=system,
        source=source,
        reporter_id=reporter_id or f"import:{source}",
        id_prefix=sha[:16],
        future_tolerance=svc.settings.events.future_tolerance,
        now=svc.now(),
    )
    size = svc.settings.events.import_batch_rows
    bad_rows: list[Rejection] = []
    batches = (
        _csv_batches(text, size, report, bad_rows)
        if fmt == "csv"
        else _json_batches(text, fmt, size, report, bad_rows)
    )

    # with two connections to spare, the helper also COPYs its batch into a stage of its
    # own, so that COPY runs beside the INSERT of the batch before (issue #24: ~15 % of the
    # database's time per row); ids are still taken in file order, at the COPY
    stage_ahead = svc.settings.db.pool_max >= 2

    def check_next() -> _Checked | None:
        # runs in the helper thread: reads and checks batch k+1 while batch k is written
        batch = next(batches, None)
        if batch is None:
            return None
        pre = list(bad_rows)  # the rows refused while reading this batch
        bad_rows.clear()
        prepared = prepare(batch, taxonomy=taxonomy, locator=locator, defaults=defaults)
        stage = stage_csv(prepared) if len(prepared) else None
        checked = _Checked(prepared, pre, stage, int(batch["row_number"].iloc[-1]))
        if stage_ahead and stage is not None:
            checked.staged, checked.stage = _Staged(svc, stage), None
        return checked

    try:
        # Python checks the next batch on one core while PostgreSQL writes this one on the
        # other (psycopg2 releases the GIL while it waits); one batch ahead at most
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-check") as ahead:
            pending = ahead.submit(check_next)
            try:
                while (checked := pending.result()) is not None:
                    # before the helper runs again: at the file's end it sets the final count
                    report.rows_read = max(report.rows_read, checked.last_row)
                    pending = ahead.submit(check_next)
                    _store_batch(
                        svc,
                        import_id,
                        checked.prepared,
                        report,
                        checked.pre_rejected,
                        checked.stage,
                        checked.staged,
                    )
                    if progress:
                        progress(report.rows_read)
            except BaseException:
                # a batch staged ahead is rolled back and its connection returned
                with contextlib.suppress(BaseException):
                    ahead_batch = pending.result()
                    if ahead_batch is not None:
                        ahead_batch.discard()
                raise
        if bad_rows:
            _store_batch(svc, import_id, Prepared(), report, bad_rows)
    except UnicodeDecodeError as exc:
        _finish(svc, report, "failed", f"not {encoding}: {exc.reason}")
        raise InvalidInput(
            "import.bad_encoding", field="encoding", encoding=encoding, position=exc.start
        ) from None
    except InvalidInput as exc:
        _finish(svc, report, "failed", exc.message)
        raise
    except BaseException as exc:
        # interrupted (client gone, Ctrl-C, database away): committed batches stay stored,
        # and running the same file again completes it
        with contextlib.suppress(Exception):
            _finish(svc, report, "failed", f"interrupted: {type(exc).__name__}")
        raise
    finally:
        text.detach()
    report.rejections.sort(key=lambda r: r.row_number)
    report.seconds = time.monotonic() - started
    _finish(svc, report, "finished", None)
    if report.stored >= _MAINTAIN_AFTER_ROWS:
        _maintain(svc)
    return report


def _maintain(svc: Gridsvc) -> None:
    """After a big import, best effort (the import is stored and finished already): fresh
    planner statistics (stale ones made the statistics queries scan event_daily once per
    community), and the rollup vacuumed, so the statistics read it by index alone before
    autovacuum comes (docs/design.md, Statistics)."""
    try:
        svc.db.cursor_fetchall(query("analyze_events"))
        svc.db.run_maintenance(query("vacuum_rollup"))
    except Exception:
        log.warning("maintenance after the import failed; autovacuum will do it", exc_info=True)


def _finish(svc: Gridsvc, report: ImportReport, status: str, message: str | None) -> None:
    svc.db.cursor_fetchall(
        query("import_job_finish"),
        {
            "id": report.import_id,
            "status": status,
            "message": message,
            "rows_read": report.rows_read,
            "stored": report.stored,
            "already_stored": report.already_stored,
            "rejected": report.rejected,
        },
    )


def import_job(svc: Gridsvc, import_id: int) -> dict[str, Any]:
    rows = svc.db.cursor_fetchall(query("import_job_get"), {"id": import_id})
    if not rows:
        raise NotFound("import.not_found", field="import_id", import_id=import_id)
    keys = (
        "import_id",
        "filename",
        "format",
        "source",
        "crs",
        "status",
        "rows_read",
        "stored",
        "already_stored",
        "rejected",
        "message",
        "started_at",
        "finished_at",
    )
    job = dict(zip(keys, rows[0], strict=True))
    for key in ("started_at", "finished_at"):
        job[key] = local_iso(job[key])
    return job


def rejections_csv(svc: Gridsvc, import_id: int) -> str:
    """The rejected rows of an import as CSV (UTF-8 with BOM, so Excel shows Chinese): row
    number, field, reason, value, hint and message id (reason and hint in the language of the
    import; none for rows of imports made before migration 0013)."""
    import_job(svc, import_id)
    rows = svc.db.cursor_fetchall(query("import_rejections"), {"id": import_id})
    return excel_csv(("row_number", "field", "reason", "value", "hint", "message_id"), rows)
