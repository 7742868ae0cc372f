"""Helpers for tests against the streaming replica (fixture ``pg_standby`` in conftest):
a service reading there, waiting for replay, pausing it."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import psycopg2

from gridsvc.db.local import LocalCluster
from gridsvc.service import Gridsvc
from tests.conftest import make_settings


def one(url: str, statement: str, params: Any = None) -> Any:
    """The first column of the first row of ``statement`` (autocommit)."""
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(statement, params)
            row = cur.fetchone()
            return row[0] if row else None
    finally:
        conn.close()


def standby_url(standby: LocalCluster, primary_url: str) -> str:
    """The URL of ``primary_url``'s database on the standby."""
    return standby.url(urlsplit(primary_url).path.lstrip("/"))


def wait_for_replay(primary_url: str, replica_url: str, *, timeout_s: float = 60.0) -> None:
    """Return once the replica has replayed every WAL record the primary wrote so far."""
    lsn = one(primary_url, "SELECT pg_current_wal_lsn()::text")
    _wait(replica_url, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", lsn, timeout_s)


def wait_for_receipt(primary_url: str, replica_url: str, *, timeout_s: float = 60.0) -> None:
    """Return once the replica has received (not necessarily replayed) the primary's WAL."""
    lsn = one(primary_url, "SELECT pg_current_wal_lsn()::text")
    _wait(replica_url, "SELECT pg_last_wal_receive_lsn() >= %s::pg_lsn", lsn, timeout_s)


def _wait(replica_url: str, condition: str, lsn: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if one(replica_url, condition, (lsn,)):
                return
        except psycopg2.OperationalError:
            pass  # the database is not replayed yet: it cannot be connected to
        if time.monotonic() > deadline:
            raise TimeoutError(f"the replica did not reach WAL {lsn} in {timeout_s} s")
        time.sleep(0.05)


def pause_replay(replica_url: str) -> None:
    one(replica_url, "SELECT pg_wal_replay_pause()")
    # pausing is asked, then takes effect: wait until it has
    deadline = time.monotonic() + 30
    while one(replica_url, "SELECT pg_get_wal_replay_pause_state()") != "paused":
        if time.monotonic() > deadline:
            raise TimeoutError("replay did not pause")
        time.sleep(0.02)


def resume_replay(replica_url: str) -> None:
    one(replica_url, "SELECT pg_wal_replay_resume()")


def replica_service(
    primary_url: str, standby: LocalCluster, *, max_lag_s: float = 30.0
) -> tuple[Gridsvc, str]:
    """A service on ``primary_url`` reading from its copy on ``standby`` (health asked on
    every read, so that a test sees each change at once), and the replica's URL; returns
    once the replica holds the database."""
    replica = standby_url(standby, primary_url)
    wait_for_replay(primary_url, replica)
    settings = make_settings(primary_url)
    settings.db.read_database_url = [replica]
    settings.db.read_max_lag_s = max_lag_s
    settings.db.read_health_s = 0.0
    return Gridsvc.open(settings), replica


def read_clients(replica_url: str) -> int:
    """Connections of gridsvc's read path to the replica's copy of the database."""
    name = urlsplit(replica_url).path.lstrip("/")
    return int(
        one(
            replica_url,
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE application_name = 'gridsvc-read' AND datname = %s",
            (name,),
        )
    )
