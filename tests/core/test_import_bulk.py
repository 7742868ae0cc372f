"""The acceptance test of bulk import: 100,000 generated rows, 1% corrupted in many ways.

Exactly the valid rows are stored, exactly the corrupted ones are reported with their row
numbers, the rollup equals the raw counts, and running the same file again adds nothing.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gridsvc.cli import app
from gridsvc.events import importer
from gridsvc.events.importer import ImportReport, import_events
from gridsvc.service import Gridsvc

ROWS = 100_000
runner = CliRunner()

# Each corruption: (name, function(row: dict) -> row or None to write a broken line)
CORRUPTIONS = (
    "unknown_category",
    "lon_not_a_number",
    "lat_missing",
    "naive_time",
    "bad_time",
    "unknown_crs",
    "outside_grid",
    "swapped",
    "too_few_fields",
    "future",
    "bad_urgency",
    "nan_lon",
)


def _corrupt(kind: str, row: dict[str, str]) -> dict[str, str] | str:
    row = dict(row)
    if kind == "unknown_category":
        row["category"] = "hazard.volcano"
    elif kind == "lon_not_a_number":
        row["lon"] = "118,78"
    elif kind == "lat_missing":
        row["lat"] = ""
    elif kind == "naive_time":
        row["occurred_at"] = row["occurred_at"][:19]
    elif kind == "bad_time":
        row["occurred_at"] = "32/13/2026"
    elif kind == "unknown_crs":
        row["crs"] = "mercator"
    elif kind == "outside_grid":
        row["lon"], row["lat"], row["crs"] = "116.40", "39.90", "wgs84"  # Beijing
    elif kind == "swapped":
        row["lon"], row["lat"] = row["lat"], row["lon"]
    elif kind == "too_few_fields":
        return ",".join(list(row.values())[:5])
    elif kind == "future":
        row["occurred_at"] = "2099-01-01T00:00:00+08:00"
    elif kind == "bad_urgency":
        row["urgency"] = "whenever"
    elif kind == "nan_lon":
        row["lon"] = "nan"
    return row


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bulk") / "events.csv"
    result = runner.invoke(
        app,
        [
            "events",
            "generate",
            "--count",
            str(ROWS),
            "--days",
            "60",
            "--seed",
            "42",
            "--out",
            str(path),
        ],
    )
    assert result.exit_code == 0, result.output
    return path


def test_import_stores_exactly_the_valid_rows_and_reports_exactly_the_bad_ones(
    svc: Gridsvc, db_url: str, generated: Path, tmp_path: Path
) -> None:
    rng = np.random.default_rng(5)
    bad_rows = set(int(i) + 1 for i in rng.choice(ROWS, size=ROWS // 100, replace=False))
    kinds: dict[int, str] = {}
    out = io.StringIO()
    with generated.open(encoding="utf-8") as src:
        reader = csv.DictReader(src)
        assert reader.fieldnames is not None
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        for number, row in enumerate(reader, start=1):
            if number in bad_rows:
                kind = CORRUPTIONS[number % len(CORRUPTIONS)]
                kinds[number] = kind
                broken = _corrupt(kind, row)
                if isinstance(broken, str):
                    out.write(broken + "\n")
                    continue
                row = broken
            writer.writerow(row)
    corrupted = tmp_path / "corrupted.csv"
    corrupted.write_text(out.getvalue(), encoding="utf-8")

    env = {"GRIDSVC_DATABASE_URL": db_url}
    rejections = tmp_path / "rejections.csv"
    first = runner.invoke(
        app, ["events", "import", str(corrupted), "--rejections", str(rejections)], env=env
    )
    assert first.exit_code == 1, first.output  # rows were rejected
    report = json.loads(first.stdout.strip().splitlines()[-1])
    assert report["rows_read"] == ROWS
    assert report["stored"] == ROWS - len(bad_rows)
    assert report["rejected"] == len(bad_rows)
    with rejections.open(encoding="utf-8-sig") as fh:
        listed = {int(r["row_number"]): r for r in csv.DictReader(fh)}
    assert set(listed) == bad_rows
    # each kind of corruption is named for what it is
    expect = {
        "unknown_category": "Unknown category",
        "lon_not_a_number": "not a number",
        "lat_missing": "lat is missing",
        "naive_time": "no time zone",
        "bad_time": "ISO 8601",
        "unknown_crs": "mercator",
        "outside_grid": "outside every grid",
        "swapped": "swapped",
        "too_few_fields": "fields",
        "future": "future",
        "bad_urgency": "urgency",
        "nan_lon": "lon",
    }
    for number, kind in kinds.items():
        assert expect[kind] in listed[number]["reason"], (kind, listed[number])

    (stored,) = svc.db.cursor_fetchall("SELECT count(*) FROM event")[0]
    assert stored == ROWS - len(bad_rows)
    # the rollup equals the raw events on every key, days taken in Beijing time
    raw = svc.db.cursor_fetchall(
        "SELECT coalesce(community_code, ''), category, status, urgency, source,"
        " (occurred_at AT TIME ZONE 'Asia/Shanghai')::date, count(*) FROM event"
        " GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
    )
    rolled = svc.db.cursor_fetchall(
        "SELECT community_code, category, status, urgency, source, day, n FROM event_daily"
        " WHERE n <> 0 ORDER BY 1, 2, 3, 4, 5, 6"
    )
    assert len(raw) > 10_000
    assert raw == rolled

    again = runner.invoke(app, ["events", "import", str(corrupted)], env=env)
    second = json.loads(again.stdout.strip().splitlines()[-1])
    assert second["stored"] == 0
    assert second["already_stored"] == ROWS - len(bad_rows)
    (still,) = svc.db.cursor_fetchall("SELECT count(*) FROM event")[0]
    assert still == stored


# --- maintenance after a big import ------------------------------------------------------------

MAINTAIN_ROWS = 6_000  # above importer._MAINTAIN_AFTER_ROWS


def _rollup_pages(svc: Gridsvc) -> tuple[int, int]:
    """(pages of event_daily, pages its last vacuum marked all-visible)."""
    pages, visible = svc.db.cursor_fetchall(
        "SELECT pg_relation_size(oid) / current_setting('block_size')::int, relallvisible"
        " FROM pg_class WHERE relname = 'event_daily'"
    )[0]
    return int(pages), int(visible)


def _import_generated(svc: Gridsvc, tmp_path: Path) -> ImportReport:
    path = tmp_path / "events.csv"
    arguments = ["events", "generate", "--count", str(MAINTAIN_ROWS), "--seed", "7"]
    generated = runner.invoke(app, [*arguments, "--out", str(path)])
    assert generated.exit_code == 0, generated.output
    with path.open("rb") as fh:
        return import_events(svc, fh, filename="events.csv")


def test_a_big_import_leaves_the_rollup_readable_by_index_alone(
    svc: Gridsvc, tmp_path: Path
) -> None:
    # autovacuum off for the rollup: only the import's own vacuum can mark its pages
    svc.db.cursor_fetchall("ALTER TABLE event_daily SET (autovacuum_enabled = off)")
    assert _import_generated(svc, tmp_path).stored == MAINTAIN_ROWS
    pages, visible = _rollup_pages(svc)
    # (not always every page: VACUUM leaves the few with dead line pointers when it skips
    # index cleanup)
    assert pages > 0 and visible >= 0.95 * pages


def test_failed_maintenance_leaves_the_import_stored_and_finished(
    svc: Gridsvc, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_query = importer.query

    def broken(name: str) -> str:
        return "VACUUM no_such_table" if name == "vacuum_rollup" else real_query(name)

    monkeypatch.setattr(importer, "query", broken)
    with caplog.at_level(logging.WARNING, logger="gridsvc.events.importer"):
        report = _import_generated(svc, tmp_path)
    assert report.stored == MAINTAIN_ROWS
    assert importer.import_job(svc, report.import_id)["status"] == "finished"
    assert any("maintenance after the import failed" in r.getMessage() for r in caplog.records)
    # the pool's connections were not touched by the maintenance connection
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone() == ("30s",) and conn.autocommit is False
