"""Connections: a thread-safe psycopg2 pool that survives the server going away.

``Database.connection()`` hands out a connection inside a transaction: committed when the block
ends, rolled back on any exception. A connection broken by a server restart is discarded,
not returned to the pool, and the failure becomes :class:`DatabaseUnavailable`, so callers
(and the API's 503) never see a raw driver error; the next request connects afresh.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.pool

from gridsvc.errors import DatabaseUnavailable, SetupError
from gridsvc.settings import DatabaseSettings

Connection = psycopg2.extensions.connection


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
    return DatabaseUnavailable(
        "The database is not reachable right now; nothing was stored by this request.",
        hint="Retry in a moment. Operators: check `gridsvc db status`.",
        cause=first_line,
    )


class Database:
    """A pool of connections to one database URL (created lazily; nothing connects yet)."""

    def __init__(self, url: str, *, maxconn: int = 8, statement_timeout_ms: int = 30_000) -> None:
        self.url = url
        self._maxconn = maxconn
        self._options = f"-c statement_timeout={statement_timeout_ms} -c timezone=UTC"
        self._pool: psycopg2.pool.ThreadedConnectionPool | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> Database:
        try:
            url = resolve_database_url(settings)
        except SetupError:
            raise
        return cls(
            url, maxconn=settings.pool_max, statement_timeout_ms=settings.statement_timeout_ms
        )

    def _get_pool(self) -> psycopg2.pool.ThreadedConnectionPool:
        with self._lock:
            if self._pool is None:
                self._pool = psycopg2.pool.ThreadedConnectionPool(
                    0,
                    self._maxconn,
                    self.url,
                    options=self._options,
                    connect_timeout=5,
                    application_name="gridsvc",
                )
            return self._pool

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A pooled connection in a transaction: commit on success, rollback on error."""
        pool = self._get_pool()
        try:
            conn = pool.getconn()
        except psycopg2.OperationalError as exc:
            raise _unavailable(exc) from exc
        except psycopg2.pool.PoolError as exc:
            raise DatabaseUnavailable(
                "All database connections are busy.", hint="Retry in a moment."
            ) from exc
        broken = False
        try:
            yield conn
            conn.commit()
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            broken = True
            _safe_rollback(conn)
            raise _unavailable(exc) from exc
        except BaseException:
            _safe_rollback(conn)
            broken = bool(conn.closed)
            raise
        finally:
            pool.putconn(conn, close=broken or bool(conn.closed))

    def cursor_fetchall(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Run one query in its own transaction and return its rows."""
        with self.connection() as conn, conn.cursor() as cur:
            cur.execute(query, params)
            return list(cur.fetchall())

    def close(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.closeall()
                self._pool = None


def _safe_rollback(conn: Connection) -> None:
    if conn.closed:
        return
    try:
        conn.rollback()
    except psycopg2.Error:
        conn.close()
