"""Reads on a real streaming replica (gridsvc.db.replica): a hot standby the suite makes with
``pg_basebackup -R`` from its private primary and starts on a second port (``pg_standby``).

Each test's database is created on the primary and reaches the standby by replication, like
every write after it; waits are for the replica's replay LSN, never a fixed sleep.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg2
import psycopg2.errors
import pytest

from gridsvc.db.local import LocalCluster
from gridsvc.db.pool import Database
from gridsvc.db.replica import ReplicaPool, data_as_of
from gridsvc.events import store
from gridsvc.maps.page import context
from gridsvc.service import Gridsvc
from gridsvc.stats import StatsFilter, counts_by_unit, timeseries
from tests.core.test_events import _report
from tests.replica import (
    one,
    pause_replay,
    read_clients,
    replica_service,
    resume_replay,
    wait_for_receipt,
    wait_for_replay,
)

LOGGER = "gridsvc.db.replica"


@pytest.fixture
def on_replica(db_url: str, pg_standby: LocalCluster) -> Iterator[tuple[Gridsvc, str]]:
    """A service over a fresh database whose reads go to the standby, and the replica URL."""
    svc, replica = replica_service(db_url, pg_standby)
    yield svc, replica
    svc.close()


def _city_count(svc: Gridsvc) -> int:
    frame = counts_by_unit(svc, "city")
    return int(frame["n"].sum())


def _report_one(svc: Gridsvc, n: int) -> None:
    assert store.create_event(svc, _report(svc, client_event_id=f"replica-{n}")).created


def test_a_report_on_the_primary_shows_in_the_replicas_statistics_after_replay(
    db_url: str, on_replica: tuple[Gridsvc, str]
) -> None:
    svc, replica = on_replica
    assert read_clients(replica) == 0
    assert _city_count(svc) == 0
    _report_one(svc, 1)  # written through svc.db: the primary
    wait_for_replay(db_url, replica)
    read = svc.read_db
    assert isinstance(read, ReplicaPool) and read.url == replica
    assert _city_count(svc) == 1
    series = timeseries(svc, "320100", "month", StatsFilter())
    assert int(series["n"].sum()) == 1
    # the statistics were read there, on the read path's own connections
    assert read_clients(replica) >= 1
    assert one(replica, "SELECT count(*) FROM event") == 1


def test_the_data_timestamp_of_a_replica_read_is_its_replay_time(
    db_url: str, on_replica: tuple[Gridsvc, str]
) -> None:
    svc, replica = on_replica
    _report_one(svc, 1)
    wait_for_replay(db_url, replica)
    pause_replay(replica)  # the replay time holds still while we compare
    try:
        replayed = one(replica, "SELECT pg_last_xact_replay_timestamp()")
        assert isinstance(replayed, datetime)
        assert data_as_of(svc.read_db) == replayed
        assert context(svc, StatsFilter()).data_as_of == replayed
        # the primary states its newest write instead, which the replica's time follows
        newest = data_as_of(svc.db)
        assert newest is not None and newest != replayed and newest <= replayed
    finally:
        resume_replay(replica)


def test_a_replica_lagging_beyond_the_setting_falls_back_to_the_primary(
    db_url: str, pg_standby: LocalCluster, caplog: pytest.LogCaptureFixture
) -> None:
    strict, replica = replica_service(db_url, pg_standby, max_lag_s=0.0)
    lenient, _ = replica_service(db_url, pg_standby, max_lag_s=3600.0)
    try:
        _report_one(strict, 1)
        wait_for_replay(db_url, replica)
        pause_replay(replica)
        _report_one(strict, 2)  # received by the replica, not replayed
        wait_for_receipt(db_url, replica)
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            # allowed an hour behind: the replica still answers, without the new report
            assert isinstance(lenient.read_db, ReplicaPool)
            assert _city_count(lenient) == 1
            # allowed no lag: the primary answers, through its read-only pool
            for _ in range(3):
                read = strict.read_db
                assert not isinstance(read, ReplicaPool) and read.read_only
                assert read is not strict.db and read.url == db_url
                assert _city_count(strict) == 2
        lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
        assert len(lines) == 1, lines  # one line, not one per read
        assert "lagging" in lines[0] and "reads go to the primary" in lines[0]
        assert "password" not in lines[0] and pg_standby.url() not in lines[0]
    finally:
        resume_replay(replica)
        strict.close()
        lenient.close()


def test_a_stopped_replica_falls_back_to_the_primary_with_one_log_line(
    db_url: str,
    pg_standby: LocalCluster,
    on_replica: tuple[Gridsvc, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    svc, replica = on_replica
    _report_one(svc, 1)
    wait_for_replay(db_url, replica)
    assert _city_count(svc) == 1
    assert isinstance(svc.read_db, ReplicaPool)
    pg_standby.down(mode="fast")  # mid-test: the pool holds connections to it
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        _report_one(svc, 2)
        for _ in range(3):
            assert _city_count(svc) == 2  # the primary's answer, and no error
        read = svc.read_db
        assert not isinstance(read, ReplicaPool) and read.read_only and read.url == db_url
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert len(lines) == 1, lines
    assert "not used (down" in lines[0] and "reads go to the primary" in lines[0]

    pg_standby.up()
    wait_for_replay(db_url, replica)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert isinstance(svc.read_db, ReplicaPool)  # back in use once it answers
        assert _city_count(svc) == 2


def _write(db: Database, statement: str) -> None:
    with db.connection() as conn, conn.cursor() as cur:
        cur.execute(statement)


def test_a_write_through_the_read_path_is_refused(
    db_url: str, pg_standby: LocalCluster, on_replica: tuple[Gridsvc, str]
) -> None:
    svc, _ = on_replica
    read = svc.read_db
    assert isinstance(read, ReplicaPool)
    for statement in ("DELETE FROM event", "CREATE TABLE stolen (id int)"):
        with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            _write(read, statement)
    # even a session that turns the read-only default off cannot write: a hot standby
    # refuses every write
    with read.connection() as conn, conn.cursor() as cur:
        cur.execute("SET default_transaction_read_only = off")
        conn.commit()
        cur.execute("SHOW default_transaction_read_only")
        assert cur.fetchone() == ("off",)
        with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.execute("UPDATE grid_version SET name = name")
    # the primary's fallback pool is read-only too
    pg_standby.down(mode="fast")
    fallback = svc.read_db
    assert not isinstance(fallback, ReplicaPool) and fallback.url == db_url
    with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
        _write(fallback, "DELETE FROM event")
    assert one(db_url, "SELECT count(*) FROM grid_version") >= 1


def test_a_server_that_is_not_a_standby_is_never_read_as_one(
    db_url: str, caplog: pytest.LogCaptureFixture, pg_standby: LocalCluster
) -> None:
    from tests.conftest import make_settings

    settings = make_settings(db_url)
    settings.db.read_database_url = [db_url]  # the primary itself, by mistake
    settings.db.read_health_s = 0.0
    svc = Gridsvc.open(settings)
    try:
        with caplog.at_level(logging.WARNING, logger=LOGGER):
            read = svc.read_db
        assert not isinstance(read, ReplicaPool)
        lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
        assert len(lines) == 1 and "not a standby" in lines[0]
    finally:
        svc.close()


def test_without_a_replica_reads_use_the_primarys_own_pool(svc: Gridsvc) -> None:
    assert svc.reads is None and svc.read_db is svc.db


def test_replica_urls_split_between_urls_only(monkeypatch: Any) -> None:
    from gridsvc.settings import DatabaseSettings

    monkeypatch.setenv(
        "GRIDSVC_READ_DATABASE_URL",
        "postgresql://u:p@r1:5432,r2:5433/gridsvc?target_session_attrs=any, "
        "postgres://u@r3/gridsvc",
    )
    assert DatabaseSettings().read_database_url == [
        "postgresql://u:p@r1:5432,r2:5433/gridsvc?target_session_attrs=any",
        "postgres://u@r3/gridsvc",
    ]
