"""Connections: a small thread-safe pool of psycopg2 connections that survives the server
going away.

``Database.connection()`` hands out a connection inside a transaction: committed when the block
ends, rolled back on any exception. ``Database.run_maintenance()`` runs one statement that
cannot run in a transaction (``VACUUM``) on a connection of its own, outside the pool.

- Connections are kept and reused (opening one costs ~10 ms of password login and a server
  process; psycopg2's own pool closes every connection above ``minconn`` when it is returned,
  and a ``minconn`` above zero would connect eagerly at start, which must work with the
  database down). At most ``maxconn`` exist; callers wait (up to ``wait_s``) for one.
- A connection idle for a while is probed (``SELECT 1``) before use, so the first request
  after a database restart does not fail on a stale socket. When a connection turns out
  broken, every idle one is dropped too: they were opened to the same server, and the
  restart that broke one broke them all (else each would fail one more request).
- A connection is closed when it is returned after an hour (:data:`MAX_AGE_S`): a temporary
  table kept by a connection (the reports' ``event_stage``) holds back the database's
  frozen transaction id as long as it lives, which autovacuum cannot help.
- Every connection runs without JIT (``jit=off``): gridsvc's statements are short, and their
  estimated costs grow with the data until JIT compiles them for longer than they run (a
  batch of reports' duplicates query: ~27 ms of compiling at 1 million events). Text goes
  as UTF-8 whatever the server's default client encoding.
- A pool may be read-only (``read_only``): its connections open with
  ``default_transaction_read_only=on`` (the read path of :mod:`gridsvc.db.replica`).
- Only a broken connection (SQLSTATE class 08, admin shutdown 57P01-57P03, or a closed
  socket) becomes :class:`DatabaseUnavailable` and is discarded; a statement timeout becomes
  :class:`QueryTimeout`; other database errors propagate unchanged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extensions

from gridsvc.errors import DatabaseUnavailable, QueryTimeout
from gridsvc.settings import DatabaseSettings


class Connection(psycopg2.extensions.connection):
    """A psycopg2 connection that knows when it was opened (:data:`MAX_AGE_S`)."""

    opened_at: float = 0.0


_PROBE_AFTER_S = 2.0
MAX_AGE_S = 3600.0
_BROKEN_SQLSTATES = ("57P01", "57P02", "57P03")


def resolve_database_url(settings: DatabaseSettings) -> str:
    """``GRIDSVC_DATABASE_URL`` when set, else the URL of the project-managed local cluster."""
    if settings.database_url:
        return settings.database_url
    from gridsvc.db.local import LocalCluster

    cluster = LocalCluster(
        settings.data_dir,
        port=settings.db_port,
        os_user=settings.db_os_user,
        bindir=settings.pg_bindir,
    )
    return cluster.url()


def _unavailable(exc: Exception) -> DatabaseUnavailable:
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DatabaseUnavailable("db.unavailable", details={"cause": first_line})


def _is_broken(conn: Connection, exc: BaseException) -> bool:
    if conn.closed:
        return True
    code = getattr(exc, "pgcode", None)
    if code is None:
        # no SQLSTATE: the client library lost the server (socket closed, server gone)
        return isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError)
    return code.startswith("08") or code in _BROKEN_SQLSTATES


# Every connection's session settings: times in UTC and written in ISO (what psycopg2 parses;
# text round trips of times stay exact), no JIT (docs/design.md, "Events").
_SESSION = "-c timezone=UTC -c datestyle=ISO -c jit=off"


class Database:
    """A pool of connections to one database URL (created lazily; nothing connects yet)."""

    def __init__(
        self,
        url: str,
        *,
        maxconn: int = 8,
        statement_timeout_ms: int = 30_000,
        wait_s: float = 10.0,
        read_only: bool = False,
        application_name: str = "gridsvc",
        probe_after_s: float = _PROBE_AFTER_S,
    ) -> None:
        """``read_only``: every connection opens with ``default_transaction_read_only=on``,
        so a statement that writes fails (SQLSTATE 25006) instead of writing.
        ``application_name`` names the connections in ``pg_stat_activity``.
        ``probe_after_s``: a connection idle this long is probed before use (0: always)."""
        self.url = url
        self.read_only = read_only
        self._maxconn = maxconn
        self._wait_s = wait_s
        self._application_name = application_name
        self._probe_after_s = probe_after_s
        read_only_option = " -c default_transaction_read_only=on" if read_only else ""
        self._options = f"-c statement_timeout={statement_timeout_ms} {_SESSION}{read_only_option}"
        self._idle: list[tuple[Connection, float]] = []  # (connection, when returned)
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(maxconn)

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> Database:
        return cls(
            resolve_database_url(settings),
            maxconn=settings.pool_max,
            statement_timeout_ms=settings.statement_timeout_ms,
        )

    def _connect(
        self, options: str | None = None, application_name: str | None = None
    ) -> Connection:
        """A new connection with the pool's settings, or with ``options`` instead."""
        try:
            conn = psycopg2.connect(
                self.url,
                connection_factory=Connection,
                options=options or self._options,
                connect_timeout=5,
                application_name=application_name or self._application_name,
                client_encoding="UTF8",
            )
        except psycopg2.OperationalError as exc:
            raise _unavailable(exc) from exc
        conn.opened_at = time.monotonic()
        return conn

    def _checkout(self) -> Connection:
        """A live connection: a kept one (probed if idle a while: the server may have
        restarted), else a new one."""
        while True:
            with self._lock:
                conn, since = self._idle.pop() if self._idle else (None, 0.0)
            if conn is None:
                return self._connect()
            if conn.closed:
                continue
            if time.monotonic() - since < self._probe_after_s:
                return conn
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT 1")
                conn.rollback()
                return conn
            except psycopg2.Error:
                conn.close()  # stale after a restart; try the next one or connect anew

    def _return(self, conn: Connection, *, discard: bool) -> None:
        now = time.monotonic()
        if discard or conn.closed or now - conn.opened_at > MAX_AGE_S:
            if not conn.closed:
                conn.close()
            if discard:
                self.close()  # the idle ones were opened to the same, now gone, server
            return
        with self._lock:
            self._idle.append((conn, now))

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled connection in a transaction: commit on success, rollback on error."""
        if not self._slots.acquire(timeout=self._wait_s):
            raise DatabaseUnavailable("db.busy", count=self._maxconn, wait_s=self._wait_s)
        try:
            conn = self._checkout()
            broken = False
            try:
                yield conn
                conn.commit()
            except psycopg2.Error as exc:
                broken = _is_broken(conn, exc)
                _safe_rollback(conn)
                if broken:
                    raise _unavailable(exc) from exc
                if getattr(exc, "pgcode", None) == "57014":
                    raise QueryTimeout("db.timeout") from exc
                raise
            except BaseException:
                _safe_rollback(conn)
                broken = bool(conn.closed)
                raise
            finally:
                self._return(conn, discard=broken)
        finally:
            self._slots.release()

    def cursor_fetchall(self, query: str | Any, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one statement in its own transaction and return its rows (none: [])."""
        with self.connection() as conn, conn.cursor() as cur:
            cur.execute(query, params)
            return list(cur.fetchall()) if cur.description else []

    def run_maintenance(self, statement: str, *, timeout_s: float = 600.0) -> None:
        """One maintenance statement (``VACUUM`` cannot run in a transaction) on a connection
        of its own, in autocommit mode, closed afterwards: nothing it sets reaches the pool.
        It waits at most 5 s for a lock and runs at most ``timeout_s``."""
        conn = self._connect(
            f"-c statement_timeout={int(timeout_s * 1000)} -c lock_timeout=5000 {_SESSION}",
            "gridsvc-maintenance",
        )
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn, _ in idle:
            conn.close()


def _safe_rollback(conn: Connection) -> None:
    if conn.closed:
        return
    try:
        conn.rollback()
    except psycopg2.Error:
        conn.close()
