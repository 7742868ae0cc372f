"""Where the benchmark runs: a throwaway PostGIS, and what is recorded about the machine.

:func:`throwaway_database` starts a private cluster (the same manager as ``gridsvc db up``)
in a temporary folder, migrates it and loads what ``gridsvc init`` loads (the Nanjing grids,
the taxonomy, the departments, an admin token); on leaving, the cluster is stopped and the
folder deleted, whatever happened.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg2

from gridsvc.db.local import LocalCluster
from gridsvc.db.migrate import migrate
from gridsvc.db.pool import Database
from gridsvc.events.cli import initialise
from gridsvc.service import Gridsvc
from gridsvc.settings import DatabaseSettings, Settings

#: PostgreSQL settings recorded with every result (``SHOW``).
PG_SETTINGS = (
    "shared_buffers",
    "work_mem",
    "maintenance_work_mem",
    "effective_cache_size",
    "max_wal_size",
    "checkpoint_timeout",
    "synchronous_commit",
    "fsync",
    "full_page_writes",
    "wal_level",
    "wal_compression",
    "max_connections",
    "max_worker_processes",
    "max_parallel_workers",
    "max_parallel_workers_per_gather",
    "random_page_cost",
    "effective_io_concurrency",
    "jit",
    "huge_pages",
    "autovacuum",
)
_LIBRARIES = ("numpy", "pandas", "shapely", "pyproj", "psycopg2-binary", "fastapi", "uvicorn")


@dataclass(frozen=True)
class BenchDatabase:
    """The throwaway database: its URL and the data folder (admin token) of the service."""

    url: str
    folder: Path

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def settings(self) -> Settings:
        return Settings(db=DatabaseSettings(database_url=self.url, data_dir=self.data_dir))

    def service(self, *, heat_sample_above: int | None = None) -> Gridsvc:
        """A service on this database; ``heat_sample_above`` overrides the setting
        (``GRIDSVC_HEAT_SAMPLE_ABOVE``; 0: heat maps bin every event)."""
        settings = self.settings()
        if heat_sample_above is not None:
            maps = settings.maps.model_copy(update={"heat_sample_above": heat_sample_above})
            settings = settings.model_copy(update={"maps": maps})
        return Gridsvc(settings, Database(self.url, maxconn=settings.db.pool_max))

    def admin_token(self) -> str:
        return (self.data_dir / "admin-token").read_text().strip()

    def child_env(self) -> dict[str, str]:
        """Environment for gridsvc child processes: this database, nothing inherited from
        the caller's ``GRIDSVC_*`` variables."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDSVC_")}
        env.update(GRIDSVC_DATABASE_URL=self.url, GRIDSVC_DATA_DIR=str(self.data_dir))
        return env

    def execute(self, statement: Any, params: Any = None) -> list[tuple[Any, ...]]:
        """One statement outside any transaction (VACUUM, CHECKPOINT may not run in one)."""
        conn = psycopg2.connect(self.url)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(statement, params)
                return list(cur.fetchall()) if cur.description else []
        finally:
            conn.close()


@contextmanager
def throwaway_database(
    workdir: Path | None = None, *, initialised: bool = True
) -> Iterator[BenchDatabase]:
    """A migrated, initialised private PostGIS in a temporary folder under ``workdir``
    (default: the system's temporary folder); destroyed on exit. ``initialised=False``:
    migrated only, no grids, taxonomy or token loaded (a service's very first state)."""
    folder = Path(tempfile.mkdtemp(prefix="gridsvc-bench-", dir=workdir))
    folder.chmod(0o755)  # as root, the server's unprivileged user must reach it
    cluster = LocalCluster(folder / "db")
    try:
        cluster.up()
        bench_db = BenchDatabase(url=cluster.url(), folder=folder)
        db = Database(bench_db.url)
        try:
            migrate(db)
        finally:
            db.close()
        if initialised:
            svc = bench_db.service()
            try:
                initialise(svc)
            finally:
                svc.close()
        yield bench_db
    finally:
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class ChildRun:
    """A finished child process: exit code, wall time, peak resident memory, output."""

    returncode: int
    wall_s: float
    max_rss_bytes: int
    stdout: str
    stderr: str


def run_measured(args: Sequence[str], *, env: dict[str, str], timeout_s: float) -> ChildRun:
    """Run ``args`` and measure its wall time and peak RSS.

    The RSS is the child's own ``ru_maxrss`` from ``wait4`` (Linux reports KiB), so other
    children of the harness (the API server) do not blur it.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(args), env=env, stdout=out, stderr=err, cwd=os.getcwd())
        deadline = started + timeout_s
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ChildRun(
            returncode=proc.returncode,
            wall_s=wall,
            max_rss_bytes=int(usage.ru_maxrss) * 1024,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def gridsvc_command(*args: str) -> list[str]:
    """The ``gridsvc`` CLI run by this interpreter (no reliance on PATH or the venv's bin)."""
    return [sys.executable, "-c", "from gridsvc.cli import main; main()", *args]


def _meminfo_bytes(key: str) -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _git_revision() -> dict[str, Any]:
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            # --no-optional-locks: read only, not even the index's stat cache is refreshed
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None, "modified": None}
    return {"commit": head, "modified": bool(dirty)}


def machine_info() -> dict[str, Any]:
    """The machine, operating system, Python and library versions of this run."""
    import shapely

    libraries: dict[str, str | None] = {}
    for name in _LIBRARIES:
        try:
            libraries[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            libraries[name] = None
    libraries["geos (shapely)"] = shapely.geos_version_string
    return {
        "nproc": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": _cpu_model(),
        "memory_bytes": _meminfo_bytes("MemTotal"),
        "memory_available_bytes": _meminfo_bytes("MemAvailable"),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "libraries": libraries,
        "gridsvc": _git_revision(),
    }


def postgres_info(bench_db: BenchDatabase) -> dict[str, Any]:
    """PostgreSQL and PostGIS versions and the settings of :data:`PG_SETTINGS`."""
    (row,) = bench_db.execute(
        "SELECT current_setting('server_version'), version(), postgis_lib_version(), "
        "postgis_full_version()"
    )
    settings: dict[str, str] = {}
    conn = psycopg2.connect(bench_db.url)
    try:
        with conn.cursor() as cur:
            for name in PG_SETTINGS:
                cur.execute("SELECT current_setting(%s, true)", (name,))
                value = cur.fetchone()
                settings[name] = value[0] if value else ""
    finally:
        conn.close()
    return {
        "server_version": row[0],
        "version": row[1],
        "postgis_version": row[2],
        "postgis_full_version": row[3],
        "settings": settings,
        "cluster": "throwaway private cluster started by gridsvc.db.local.LocalCluster",
    }


def cpu_busy_seconds() -> tuple[float, float]:
    """Machine-wide (busy, total) CPU seconds since boot, from /proc/stat; (0, 0) elsewhere."""
    try:
        first = Path("/proc/stat").read_text().splitlines()[0].split()
    except OSError:
        return 0.0, 0.0
    ticks = [int(v) for v in first[1:]]
    hz = os.sysconf("SC_CLK_TCK")
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its living descendants (uvicorn's worker
    processes), from /proc; 0 elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields after the command: state is index 0, utime 11, stime 12
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(process_cpu_seconds(child) for child in _children(pid))


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            text = Path(f"/proc/{pid}/task/{task}/children").read_text()
            children.extend(int(c) for c in text.split())
    except OSError:
        return []
    return children
