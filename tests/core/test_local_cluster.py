"""The project-managed PostGIS: create, start twice, stop, crash recovery, migrations."""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from gridsvc.db import local, pool
from gridsvc.db.local import LocalCluster
from gridsvc.db.migrate import migrate
from gridsvc.db.pool import Database
from gridsvc.errors import DatabaseUnavailable, SetupError


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    folder = Path(tempfile.mkdtemp(prefix="gridsvc-cluster-"))
    folder.chmod(0o755)
    c = LocalCluster(folder / "data")
    yield c
    c.destroy()
    shutil.rmtree(folder, ignore_errors=True)


def _query(url: str, sql: str) -> list[tuple[object, ...]]:
    conn = psycopg2.connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return list(cur.fetchall()) if cur.description else []
    finally:
        conn.commit()
        conn.close()


def test_up_creates_a_running_postgis_and_is_harmless_twice(cluster: LocalCluster) -> None:
    first = cluster.up()
    assert first.running and first.port and first.pid
    second = cluster.up()
    assert second.pid == first.pid and second.port == first.port
    url = cluster.url()
    assert url.startswith("postgresql://gridsvc:") and f":{first.port}/gridsvc" in url
    (pg_version,) = _query(url, "SHOW server_version")[0]
    assert str(pg_version).split(".")[0].isdigit()
    _query(url, "CREATE EXTENSION IF NOT EXISTS postgis")
    (postgis,) = _query(url, "SELECT postgis_lib_version()")[0]
    assert str(postgis).startswith("3.")
    # only loopback: the server was told to listen on 127.0.0.1 alone
    (listen,) = _query(url, "SHOW listen_addresses")[0]
    assert listen == "127.0.0.1"
    # PostgreSQL's cache sized to the machine (a quarter of its memory, 128 MB to 8 GB)
    (buffers,) = _query(
        url, "SELECT setting::bigint * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'"
    )[0]
    assert buffers == max(128, min(local._memory_mb() // 4, 8192))
    # the password file holding the secret is private
    assert oct(cluster.state_file.stat().st_mode & 0o777) == "0o600"


def test_down_stops_and_up_restarts_with_data_kept(cluster: LocalCluster) -> None:
    cluster.up()
    url = cluster.url()
    _query(url, "CREATE TABLE IF NOT EXISTS keep (x int); INSERT INTO keep VALUES (42)")
    assert cluster.down() is True
    assert cluster.status().running is False
    assert cluster.down() is False
    with pytest.raises(psycopg2.OperationalError):
        psycopg2.connect(url, connect_timeout=3)
    cluster.up()
    assert _query(cluster.url(), "SELECT x FROM keep") == [(42,)]


def test_killed_server_leaves_stale_files_that_up_recovers(cluster: LocalCluster) -> None:
    status = cluster.up()
    assert status.pid is not None
    os.kill(status.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while cluster.status().running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not cluster.status().running
    # a pid file pointing at a live process that is not postgres (pid reuse after a crash)
    pidfile = cluster.pgdata / "postmaster.pid"
    pidfile.write_text(f"{os.getpid()}\n{cluster.pgdata}\n")
    restarted = cluster.up()
    assert restarted.running and restarted.pid != status.pid
    assert _query(cluster.url(), "SELECT x FROM keep") == [(42,)]


def test_database_pool_turns_a_dead_server_into_database_unavailable(
    cluster: LocalCluster,
) -> None:
    cluster.up()
    db = Database(cluster.url())
    assert db.cursor_fetchall("SELECT 1") == [(1,)]
    cluster.down(mode="immediate")
    with pytest.raises(DatabaseUnavailable) as caught:
        db.cursor_fetchall("SELECT 1")
    assert "not reachable" in caught.value.message
    cluster.up()
    # the broken connection was dropped: the same pool works again without a restart
    assert db.cursor_fetchall("SELECT 1") == [(1,)]
    db.close()


def test_pool_connections_run_without_jit_and_end_after_their_age(
    cluster: LocalCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster.up()
    db = Database(cluster.url())
    try:
        # no JIT, whatever the server says: it compiled short statements for longer than
        # they ran; text as UTF-8
        assert db.cursor_fetchall("SHOW jit") == [("off",)]
        assert db.cursor_fetchall("SHOW client_encoding") == [("UTF8",)]
        (first,) = db.cursor_fetchall("SELECT pg_backend_pid()")[0]
        assert db.cursor_fetchall("SELECT pg_backend_pid()") == [(first,)]  # kept
        monkeypatch.setattr(pool, "MAX_AGE_S", 0.0)
        (second,) = db.cursor_fetchall("SELECT pg_backend_pid()")[0]  # closed when returned
        assert second == first
        (third,) = db.cursor_fetchall("SELECT pg_backend_pid()")[0]
        assert third != first  # a new one: the old one was closed past its age
    finally:
        db.close()


def test_migrations_apply_once_and_refuse_edited_history(cluster: LocalCluster) -> None:
    cluster.up()
    conn = psycopg2.connect(cluster.url("postgres"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS migr WITH (FORCE)")
        cur.execute("CREATE DATABASE migr")
    conn.close()
    db = Database(cluster.url("migr"))
    first = migrate(db)
    assert first.applied[0] == "0001_grids"
    assert migrate(db).applied == []
    rows = db.cursor_fetchall("SELECT version FROM schema_migration ORDER BY version")
    assert [r[0] for r in rows] == list(range(1, first.current_version + 1))
    tables = {
        r[0]
        for r in db.cursor_fetchall("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    }
    assert {"grid_version", "grid_unit", "grid_unit_part", "event"} <= tables
    with db.connection() as c, c.cursor() as cur:
        cur.execute("UPDATE schema_migration SET checksum = 'edited' WHERE version = 1")
    with pytest.raises(SetupError, match="changed after it was applied"):
        migrate(db)
    db.close()


def test_missing_postgres_binaries_name_what_to_install(tmp_path: Path) -> None:
    c = LocalCluster(tmp_path / "x", bindir=tmp_path / "nowhere")
    with pytest.raises(SetupError) as caught:
        c.up()
    assert "apt-get install" in (caught.value.hint or "")
