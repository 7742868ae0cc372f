"""The library's front door: one object holding settings, the database and the locator.

The API, the CLI and notebooks all do their work through :class:`Gridsvc`::

    from gridsvc.service import Gridsvc
    svc = Gridsvc.open()            # settings from GRIDSVC_* variables
    svc.locate(118.78, 32.04, crs="gcj02")
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import numpy as np

from gridsvc import crs as crs_mod
from gridsvc.access import TokenCache
from gridsvc.db.pool import Database
from gridsvc.db.replica import ReadRouter
from gridsvc.errors import GridsvcError, InvalidCoordinate, OutsideAllGrids
from gridsvc.events.rules import (
    out_of_degrees,
    outside_answer,
    swap_hint,
    swappable,
    swapped_units,
)
from gridsvc.events.taxonomy import Taxonomy
from gridsvc.grids import store
from gridsvc.grids.locate import Location, Locator
from gridsvc.messages import Msg
from gridsvc.settings import Settings, load_settings

T = TypeVar("T")


def _check_range(lon: Any, lat: Any) -> tuple[np.ndarray, np.ndarray]:
    lon_a = np.asarray(lon, dtype=np.float64).ravel()
    lat_a = np.asarray(lat, dtype=np.float64).ravel()
    if lon_a.shape != lat_a.shape:
        raise InvalidCoordinate("coord.count_mismatch")
    bad = ~(np.isfinite(lon_a) & np.isfinite(lat_a))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InvalidCoordinate(
            "coord.not_finite",
            field="lon" if not math.isfinite(lon_a[i]) else "lat",
            lon=float(lon_a[i]),
            lat=float(lat_a[i]),
            details={"index": i},
        )
    out = out_of_degrees(lon_a, lat_a)
    if out.any():
        i = int(np.flatnonzero(out)[0])
        raise InvalidCoordinate(
            "coord.out_of_range",
            field="lon" if abs(lon_a[i]) > 180 else "lat",
            lon=float(lon_a[i]),
            lat=float(lat_a[i]),
            details={"index": i},
        )
    return lon_a, lat_a


class Gridsvc:
    """Settings + database + a locator kept in step with the active grid version."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        """The primary: writes, and reads that must see them (see :attr:`read_db`)."""
        dbs = settings.db
        self.reads: ReadRouter | None = (
            ReadRouter(
                db.url,
                dbs.read_database_url,
                max_lag_s=dbs.read_max_lag_s,
                health_s=dbs.read_health_s,
                maxconn=dbs.pool_max,
                statement_timeout_ms=dbs.statement_timeout_ms,
            )
            if dbs.read_database_url
            else None
        )
        self._locator: Locator | None = None
        self._checked_at = 0.0
        self._refreshing = False
        self._lock = threading.Lock()
        self._taxonomies: dict[bool, tuple[float, Taxonomy]] = {}
        self._memo: dict[Hashable, Any] = {}
        self._memo_lock = threading.Lock()
        self.tokens = TokenCache(settings.server.token_cache_s)
        """Principals of recently used API tokens (see :class:`gridsvc.access.TokenCache`)."""
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        """The time deadlines and "now" defaults use; tests set a fixed one."""

    def now(self) -> datetime:
        return self.clock()

    @property
    def read_db(self) -> Database:
        """Where heavy read-only work reads (statistics, maps, OGC features, vector tiles):
        a healthy replica of ``GRIDSVC_READ_DATABASE_URL``, else the primary through a
        read-only pool; with no replica configured, :attr:`db` itself. Each call chooses
        anew (the health behind the choice is cached; :mod:`gridsvc.db.replica`): work whose
        queries must agree takes it once and passes it on."""
        return self.reads.database() if self.reads is not None else self.db

    def taxonomy(self, *, include_inactive: bool = False) -> Taxonomy:
        """The stored taxonomy, re-read at most every ``locator_refresh_s`` seconds (reading
        and checking it costs ~20 ms; a city changes it rarely). With ``include_inactive``,
        retired categories too, for reading events stored under them."""
        from gridsvc.events.taxonomy_db import read_taxonomy

        now = time.monotonic()
        cached = self._taxonomies.get(include_inactive)
        if cached is not None and now - cached[0] < self.settings.grids.locator_refresh_s:
            return cached[1]
        with self.db.connection() as conn:
            taxonomy = read_taxonomy(conn, include_inactive=include_inactive)
        self._taxonomies[include_inactive] = (now, taxonomy)
        return taxonomy

    @classmethod
    def open(cls, settings: Settings | None = None) -> Gridsvc:
        settings = settings or load_settings()
        return cls(settings, Database.from_settings(settings.db))

    def close(self) -> None:
        self.db.close()
        if self.reads is not None:
            self.reads.close()

    def memo(self, key: Hashable, load: Callable[[], T]) -> T:
        """A value that never changes once made, kept in this process (at most 64; the
        oldest goes first). For data keyed by what makes it immutable, such as the units of
        a grid version (a version is never edited; a change is a new version)."""
        with self._memo_lock:
            if key in self._memo:
                return self._memo[key]  # type: ignore[no-any-return]
        value = load()
        with self._memo_lock:
            if len(self._memo) >= 64:
                self._memo.pop(next(iter(self._memo)))
            self._memo[key] = value
        return value

    def warm_up(self) -> None:
        """Build the locator and read the taxonomy now, so that the first requests of a
        server process do not all wait for them. Does nothing if the database is away or
        holds no grids yet (the requests will say so)."""
        with contextlib.suppress(GridsvcError):
            self.locator()
            self.taxonomy()

    # --- grids -----------------------------------------------------------------------------

    def locator(self, *, refresh: bool = False) -> Locator:
        """The locator of the active version, rebuilt when another version was activated
        (checked at most every ``locator_refresh_s`` seconds).

        One thread checks while the others go on with the current locator: a request never
        waits for another's database round trip (only the very first build is waited for).
        """
        current = self._locator
        stale = refresh or time.monotonic() - self._checked_at >= (
            self.settings.grids.locator_refresh_s
        )
        if current is not None and not stale:
            return current
        if current is not None and not refresh:
            if not self._lock.acquire(blocking=False):
                return current  # another thread is checking
        else:
            self._lock.acquire()
        try:
            current = self._locator
            if (
                current is not None
                and not refresh
                and (time.monotonic() - self._checked_at < self.settings.grids.locator_refresh_s)
            ):
                return current  # checked by another thread meanwhile
            version = store.active_version(self.db)
            if current is None or current.version.id != version.id:
                units = store.read_units(self.db, version.id)
                current = self._locator = Locator(
                    version,
                    units,
                    snap_tolerance_m=self.settings.grids.snap_tolerance_m,
                    near_boundary_m=self.settings.grids.near_boundary_m,
                )
            self._checked_at = time.monotonic()
            return current
        finally:
            self._lock.release()

    def ready_locator(self) -> Locator | None:
        """The current locator without touching the database, for callers that must not
        block (an event loop); None when they must call :meth:`locator` in a thread (none
        built yet, or ``locator_refresh_s`` 0: a check on every call). A check that is due
        runs in a background thread meanwhile."""
        current = self._locator
        interval = self.settings.grids.locator_refresh_s
        if current is None or interval <= 0:
            return None
        if time.monotonic() - self._checked_at >= interval and not self._refreshing:
            self._refreshing = True
            threading.Thread(target=self._refresh_in_background, daemon=True).start()
        return current

    def _refresh_in_background(self) -> None:
        try:
            self.locator()
        except GridsvcError:
            # database away: keep the current locator; try again after the interval
            self._checked_at = time.monotonic()
        finally:
            self._refreshing = False

    def locate_many(
        self,
        lon: Sequence[float] | np.ndarray,
        lat: Sequence[float] | np.ndarray,
        *,
        crs: str | crs_mod.Crs = crs_mod.Crs.WGS84,
        locator: Locator | None = None,
    ) -> list[Location]:
        """Locate points given in ``crs``; answers in input order, unfound ones included.
        ``locator``: one from :meth:`ready_locator` (else :meth:`locator` is asked)."""
        system = crs if isinstance(crs, crs_mod.Crs) else crs_mod.Crs.parse(crs)
        lon_a, lat_a = _check_range(lon, lat)
        lon_w, lat_w = crs_mod.to_wgs84(lon_a, lat_a, system)
        return (locator or self.locator()).locate_many(lon_w, lat_w)

    def _swap_hint(
        self, lon: float, lat: float, system: crs_mod.Crs, locator: Locator | None
    ) -> Msg | None:
        """A hint when (lat, lon) would fall in a grid: the caller swapped the two (the
        rule a report's point is checked by, :func:`gridsvc.events.rules.swapped_units`)."""
        lon_a, lat_a = np.array([lon], dtype=np.float64), np.array([lat], dtype=np.float64)
        if not swappable(lon_a, lat_a)[0]:
            return None  # without asking for the locator (there may be no grids yet)
        systems = np.array([system.value], dtype=object)
        (unit,) = swapped_units(lon_a, lat_a, systems, locator or self.locator())
        return swap_hint(lon, lat, unit) if unit else None

    def locate(
        self,
        lon: float,
        lat: float,
        *,
        crs: str | crs_mod.Crs = "wgs84",
        locator: Locator | None = None,
    ) -> Location:
        """Locate one point; raises :class:`OutsideAllGrids` naming the nearest grid.
        ``locator``: as for :meth:`locate_many`."""
        system = crs if isinstance(crs, crs_mod.Crs) else crs_mod.Crs.parse(crs)
        try:
            found = self.locate_many([lon], [lat], crs=system, locator=locator)[0]
        except InvalidCoordinate as exc:
            hint = self._swap_hint(lon, lat, system, locator) if math.isfinite(lon + lat) else None
            if hint:
                exc.hint_msg = hint
            raise
        if found.found:
            return found
        hint = self._swap_hint(lon, lat, system, locator) or Msg("locate.check_crs")
        msg, details = outside_answer(lon, lat, system.value, locator or self.locator(), found)
        raise OutsideAllGrids(msg, hint=hint, details=details)
