"""Reads on streaming replicas: the heavy read-only work (statistics, maps, OGC features,
vector tiles) goes to a hot standby when ``GRIDSVC_READ_DATABASE_URL`` names one; writes and
what must read its own writes (a report and its answer, the workflow, the dispatch queue,
sessions and tokens) stay on the primary (``Gridsvc.db``).

The seam is :attr:`gridsvc.service.Gridsvc.read_db`: a :class:`~gridsvc.db.pool.Database`
chosen per call by :class:`ReadRouter` — a healthy replica's pool, else a read-only pool on
the primary (with no replica configured, the primary's own pool, as before).

A write sent down this path cannot happen, twice over: every connection of it opens with
``default_transaction_read_only=on`` (PostgreSQL refuses INSERT, UPDATE, DDL… with SQLSTATE
25006), and a server that is not in recovery (a hot standby refuses every write whatever a
session sets) is never used as a replica.

Health (:class:`Health`) is asked at most every ``read_health_s`` seconds per replica, by
one thread while the others go on with the last answer. A replica is used when it answers,
is in recovery, and is caught up (the WAL it received is replayed) or behind by at most
``read_max_lag_s``: lag is ``now() - pg_last_xact_replay_timestamp()`` only while received WAL
waits (on an idle primary that difference grows without the replica missing anything). A
replica whose server cannot be reached when a connection is taken is marked down at once and
the primary serves that read. Each change of a replica's state is logged once (at most one
line a minute per replica, however it flaps), not once per request.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime

import psycopg2
import psycopg2.extensions

from gridsvc.db.pool import Connection, Database
from gridsvc.errors import DatabaseUnavailable, QueryTimeout
from gridsvc.sql import query

logger = logging.getLogger("gridsvc.db.replica")

READ_APPLICATION_NAME = "gridsvc-read"
"""``application_name`` of the read path's connections (replica and primary fallback alike)."""

LOG_EVERY_S = 60.0
"""At most one line a replica in this time (the first change of state always logs)."""


@dataclass(frozen=True)
class Health:
    """What a replica answered when last asked."""

    usable: bool
    reason: str
    """Why not usable ("" when usable): ``down: …``, ``not a standby``, ``lagging …``."""
    lag_s: float
    """Seconds behind the primary (0 when caught up; inf when unknown or down)."""
    checked_at: float
    """``time.monotonic()`` of the check."""


def where(url: str) -> str:
    """``host:port/dbname`` of a URL, for logs (never the password)."""
    try:
        parts = psycopg2.extensions.parse_dsn(url)
    except psycopg2.ProgrammingError:
        return "(unparsable URL)"
    return f"{parts.get('host', '')}:{parts.get('port', '5432')}/{parts.get('dbname', '')}"


def check(db: ReplicaPool, max_lag_s: float, now: Callable[[], float] = time.monotonic) -> Health:
    """Ask the replica ``db`` itself (never its fallback) how it is: one cheap statement
    that reads no table."""
    try:
        with db.direct() as conn, conn.cursor() as cur:
            cur.execute(query("replica_health"))
            rows = cur.fetchall()
    except DatabaseUnavailable as exc:
        cause = exc.details.get("cause", exc.message_id) if exc.details else exc.message_id
        return Health(False, f"down: {cause}", math.inf, now())
    except (QueryTimeout, psycopg2.Error) as exc:  # answering, but not as a replica should
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return Health(False, f"health check failed: {first}", math.inf, now())
    in_recovery, caught_up, behind_s = rows[0]
    if not in_recovery:
        return Health(False, "not a standby (pg_is_in_recovery() is false)", math.inf, now())
    lag_s = 0.0 if caught_up else (math.inf if behind_s is None else max(0.0, float(behind_s)))
    if lag_s > max_lag_s:
        shown = "unknown" if math.isinf(lag_s) else f"{lag_s:.1f} s"
        return Health(False, f"lagging {shown} > {max_lag_s:g} s", lag_s, now())
    return Health(True, "", lag_s, now())


class ReplicaPool(Database):
    """A read-only pool on one replica that, when the replica cannot be reached as a
    connection is taken, tells its router and hands out a connection of ``fallback``."""

    def __init__(
        self,
        url: str,
        *,
        fallback: Database,
        on_unavailable: Callable[[ReplicaPool, DatabaseUnavailable], None],
        maxconn: int,
        statement_timeout_ms: int,
    ) -> None:
        # probed before every use: a stopped replica must be noticed before a statement
        # fails on it (a probe is one round trip; the reads here run for milliseconds)
        super().__init__(
            url,
            maxconn=maxconn,
            statement_timeout_ms=statement_timeout_ms,
            read_only=True,
            application_name=READ_APPLICATION_NAME,
            probe_after_s=0.0,
        )
        self._fallback = fallback
        self._on_unavailable = on_unavailable

    def direct(self) -> AbstractContextManager[Connection]:
        """A connection to the replica itself, never the fallback (health checks)."""
        return super().connection()

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        with ExitStack() as stack:
            try:
                conn = stack.enter_context(super().connection())
            except DatabaseUnavailable as exc:
                if exc.message_id == "db.busy":
                    raise  # the replica is there, only all its connections are in use
                self._on_unavailable(self, exc)
                conn = stack.enter_context(self._fallback.connection())
            yield conn


class ReadRouter:
    """Chooses the database of each read: a healthy replica (in turn when there are
    several), else a read-only pool on the primary."""

    def __init__(
        self,
        primary_url: str,
        replica_urls: Sequence[str],
        *,
        max_lag_s: float,
        health_s: float,
        maxconn: int,
        statement_timeout_ms: int,
    ) -> None:
        self.max_lag_s = max_lag_s
        self.health_s = health_s
        self.primary = Database(
            primary_url,
            maxconn=maxconn,
            statement_timeout_ms=statement_timeout_ms,
            read_only=True,
            application_name=READ_APPLICATION_NAME,
        )
        """The fallback: the primary, read-only like the replicas (connects only when used)."""
        self.replicas = [
            ReplicaPool(
                url,
                fallback=self.primary,
                on_unavailable=self._unavailable,
                maxconn=maxconn,
                statement_timeout_ms=statement_timeout_ms,
            )
            for url in replica_urls
        ]
        self._health: dict[int, Health] = {}
        self._checking: dict[int, threading.Lock] = {i: threading.Lock() for i in self._ids()}
        self._logged: dict[int, tuple[bool, float]] = {}  # replica -> (usable, when logged)
        self._log_lock = threading.Lock()
        self._turn = itertools.count()

    def _ids(self) -> range:
        return range(len(self.replicas))

    def database(self) -> Database:
        """The database to read from now: a usable replica, else the primary (read-only)."""
        usable = [i for i in self._ids() if self.health(i).usable]
        if not usable:
            return self.primary
        return self.replicas[usable[next(self._turn) % len(usable)]]

    def health(self, i: int) -> Health:
        """Replica ``i``'s health, asked again when older than ``health_s`` (by one thread;
        the others meanwhile go on with the last answer)."""
        known = self._health.get(i)
        if known is not None and time.monotonic() - known.checked_at < self.health_s:
            return known
        lock = self._checking[i]
        if known is not None and not lock.acquire(blocking=False):
            return known
        if known is None:
            lock.acquire()
        try:
            known = self._health.get(i)
            if known is None or time.monotonic() - known.checked_at >= self.health_s:
                known = check(self.replicas[i], self.max_lag_s)
                self._record(i, known)
            return known
        finally:
            lock.release()

    def states(self) -> list[Health]:
        """Every replica's health, in the order of ``GRIDSVC_READ_DATABASE_URL``."""
        return [self.health(i) for i in self._ids()]

    def _unavailable(self, pool: ReplicaPool, exc: DatabaseUnavailable) -> None:
        i = self.replicas.index(pool)
        cause = exc.details.get("cause", exc.message_id) if exc.details else exc.message_id
        self._record(i, Health(False, f"down: {cause}", math.inf, time.monotonic()))

    def _record(self, i: int, health: Health) -> None:
        self._health[i] = health
        now = time.monotonic()
        with self._log_lock:
            last = self._logged.get(i)  # (usable, when logged) of the state last logged
            if last is None:
                self._logged[i] = (health.usable, -math.inf)
                if health.usable:
                    return  # in use from the start: nothing to say
            elif last[0] == health.usable or now - last[1] < LOG_EVERY_S:
                return  # no change, or a flapping one: said again after LOG_EVERY_S
            self._logged[i] = (health.usable, now)
        name = where(self.replicas[i].url)
        if health.usable:
            logger.warning("read replica %s back in use (lag %.1f s)", name, health.lag_s)
        else:
            logger.warning(
                "read replica %s not used (%s): reads go to the primary", name, health.reason
            )

    def close(self) -> None:
        for pool in self.replicas:
            pool.close()
        self.primary.close()


def data_as_of(db: Database) -> datetime | None:
    """The time the data read from ``db`` stands at: on a replica, the commit time of the
    last transaction it replayed (every write of the primary up to then is there); on the
    primary, the newest stored event or workflow action. None before any."""
    rows = db.cursor_fetchall(query("read_data_as_of"))
    value = rows[0][0] if rows else None
    return value if isinstance(value, datetime) else None
