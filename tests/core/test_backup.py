"""`gridsvc db dump` / `db restore`: a round trip keeps every event, count and byte.

The source database gets events (a bulk import), a workflow transition and a token; it is
dumped, restored into a new database, and the two are compared: event count, rollup sum, an
md5 over every event row in id order, history and token hashes.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest
from typer.testing import CliRunner

from gridsvc.access import Principal, authenticate, create_token
from gridsvc.cli import app
from gridsvc.db import backup
from gridsvc.errors import Conflict, InvalidInput
from gridsvc.events.importer import import_events
from gridsvc.service import Gridsvc
from gridsvc.workflow.actions import ActionRequest, apply_action
from tests.conftest import make_settings

runner = CliRunner()

FINGERPRINT = {
    "events": "SELECT count(*) FROM event",
    "rollup": "SELECT coalesce(sum(n), 0) FROM event_daily",
    "events_md5": "SELECT md5(string_agg(e::text, '|' ORDER BY e.id)) FROM event e",
    "history_md5": "SELECT md5(string_agg(h::text, '|' ORDER BY h.id)) FROM event_action h",
    "tokens": "SELECT string_agg(token_sha256, ',' ORDER BY id) FROM api_token",
    "migrations": "SELECT string_agg(name, ',' ORDER BY version) FROM schema_migration",
}


def fingerprint(url: str) -> dict[str, object]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            found = {}
            for key, sql in FINGERPRINT.items():
                cur.execute(sql)
                row = cur.fetchone()
                found[key] = row[0] if row else None
            return found
    finally:
        conn.close()


def _csv(rows: int) -> bytes:
    lines = ["client_event_id,category,occurred_at,lon,lat,title,description"]
    for i in range(rows):
        lines.append(
            f"bk-{i},hazard.fire,2026-11-{1 + i % 20:02d}T09:{i % 60:02d}:00+08:00,"
            f"{118.70 + (i % 17) * 0.01:.4f},{32.00 + (i % 13) * 0.01:.4f},"
            f'"标题 {i}","描述, with a comma and ""quotes"" {i}"'
        )
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.fixture
def source(svc: Gridsvc) -> Gridsvc:
    report = import_events(svc, io.BytesIO(_csv(120)), filename="backup.csv")
    assert report.stored > 100, report.to_dict()
    _, _ = create_token(svc.db, role="analyst", name="bk-analyst")
    principal = _admin(svc)
    first = svc.db.cursor_fetchall("SELECT min(id) FROM event")[0][0]
    apply_action(svc, int(first), ActionRequest(action="accept"), principal)
    return svc


def _admin(svc: Gridsvc) -> Principal:
    _, token = create_token(svc.db, role="admin", name="bk-admin")
    return authenticate(svc.db, f"Bearer {token}")


@pytest.fixture
def empty_db(pg_server: str) -> Iterator[str]:
    """URL of a new, empty database on the test server (no PostGIS yet)."""
    name = f"restore_{uuid.uuid4().hex[:10]}"
    yield backup.create_database(pg_server, name)
    conn = psycopg2.connect(pg_server)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def _url(svc: Gridsvc) -> str:
    url = svc.settings.db.database_url
    assert url
    return url


def test_round_trip_keeps_counts_and_checksums(
    source: Gridsvc, empty_db: str, tmp_path: Path
) -> None:
    before = fingerprint(_url(source))
    assert before["events"] and int(str(before["events"])) > 100
    dump = backup.dump(_url(source), tmp_path / "gridsvc.dump")
    assert dump.stat().st_mode & 0o777 == 0o600  # personal data: owner only
    assert backup.check_dump(dump) > 10
    assert backup.user_tables(empty_db) == 0
    backup.restore(empty_db, dump)
    after = fingerprint(empty_db)
    assert after == before


def test_restore_refuses_a_database_with_tables_unless_clean(
    source: Gridsvc, tmp_path: Path
) -> None:
    url = _url(source)
    dump = backup.dump(url, tmp_path / "a.dump")
    before = fingerprint(url)
    with pytest.raises(Conflict, match="already has") as refused:
        backup.restore(url, dump)
    assert "--clean" in (refused.value.hint or "")
    # events added after the dump disappear with --clean: the database is the dump again
    import_events(source, io.BytesIO(_csv(130)), filename="later.csv")
    assert fingerprint(url)["events"] != before["events"]
    source.close()  # the pool's connections would hold locks on the tables
    backup.restore(url, dump, clean=True)
    assert fingerprint(url) == before


def test_not_a_dump_is_refused_clearly(empty_db: str, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.dump"
    bogus.write_text("this is not a dump")
    with pytest.raises(InvalidInput, match="not a gridsvc dump"):
        backup.restore(empty_db, bogus)
    with pytest.raises(InvalidInput, match="No file"):
        backup.check_dump(tmp_path / "missing.dump")


def test_password_stays_off_the_command_line() -> None:
    conn = backup.Connection.parse("postgresql://gs:s%40cret@db.example:5433/grid")
    assert conn.password == "s@cret"
    assert "cret" not in conn.url
    assert conn.url == "postgresql://gs@db.example:5433/grid"
    assert conn.database == "grid"


def test_cli_dump_and_restore_into_a_new_database(
    source: Gridsvc, pg_server: str, tmp_path: Path
) -> None:
    url = _url(source)
    env = {"GRIDSVC_DATABASE_URL": url}
    file = tmp_path / "cli.dump"
    done = runner.invoke(app, ["db", "dump", str(file)], env=env)
    assert done.exit_code == 0, done.output
    assert file.stat().st_size > 1000
    name = f"restore_cli_{uuid.uuid4().hex[:8]}"
    unconfirmed = runner.invoke(app, ["db", "restore", str(file), "--database", name], env=env)
    assert unconfirmed.exit_code == 1 and "--yes" in unconfirmed.output
    restored = runner.invoke(
        app, ["db", "restore", str(file), "--database", name, "--yes"], env=env
    )
    try:
        assert restored.exit_code == 0, restored.output
        target = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
        assert fingerprint(target) == fingerprint(url)
        again = runner.invoke(
            app, ["db", "restore", str(file), "--database", name, "--yes"], env=env
        )
        assert again.exit_code == 1 and "already has" in again.output
    finally:
        conn = psycopg2.connect(pg_server)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.close()


def test_restored_database_keeps_the_idempotency_keys(
    source: Gridsvc, empty_db: str, tmp_path: Path
) -> None:
    """event_key (migration 0006) is in the dump: the same file imported into the restored
    database stores nothing twice."""
    keys = "SELECT md5(string_agg(k::text, '|' ORDER BY k.event_id)) FROM event_key k"
    before = source.db.cursor_fetchall(keys)[0][0]
    assert before is not None
    (stored,) = source.db.cursor_fetchall("SELECT count(*) FROM event")[0]
    dump = backup.dump(_url(source), tmp_path / "keys.dump")
    backup.restore(empty_db, dump)
    restored = Gridsvc.open(make_settings(empty_db))
    try:
        assert restored.db.cursor_fetchall(keys)[0][0] == before
        again = import_events(restored, io.BytesIO(_csv(120)), filename="backup.csv")
        assert (again.stored, again.already_stored) == (0, stored)
    finally:
        restored.close()
