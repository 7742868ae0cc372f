"""The project-managed PostgreSQL + PostGIS cluster (``gridsvc db up``).

A private cluster lives under a data folder (default ``.gridsvc/`` in the checkout)::

    .gridsvc/cluster.json      port, socket folder, password, storage folder (mode 600)
    <storage>/pgdata/          the cluster (initdb)
    <storage>/postgres.log     the server's log
    <storage>/run/             the Unix socket (or a short folder under /tmp, see below)

It listens on 127.0.0.1 only, with scram-sha-256 passwords for TCP and socket alike.

Running as root: ``initdb`` and ``postgres`` refuse root, so the server runs as an unprivileged
user (``GRIDSVC_DB_OS_USER``, default ``postgres``). That user must be able to reach the
storage folder; where the data folder sits under a folder closed to it (a checkout under
``/root``), the storage goes to ``/var/lib/gridsvc/<hash of the data folder>`` instead and
``cluster.json`` says so.

Unix socket paths are limited to about 107 bytes: a deep data folder puts the socket under
``/tmp/gridsvc-<hash>``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from gridsvc.errors import SetupError
from gridsvc.messages import Msg

SUPERUSER = "gridsvc"
DATABASE = "gridsvc"
_SOCKET_PATH_MAX = 100


@dataclass(frozen=True)
class PgBinaries:
    """The PostgreSQL server programs of one installation."""

    bindir: Path
    version_major: int

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def find_binaries(bindir: Path | None = None) -> PgBinaries:
    """Find ``initdb``/``pg_ctl``: the given folder, Debian's newest, then ``PATH``."""
    candidates: list[Path] = []
    if bindir is not None:
        candidates.append(bindir)
    else:
        debian = sorted(
            Path("/usr/lib/postgresql").glob("*/bin"),
            key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
            reverse=True,
        )
        candidates.extend(debian)
        on_path = shutil.which("initdb")
        if on_path:
            candidates.append(Path(on_path).resolve().parent)
        # RHEL/PGDG and Homebrew layouts
        candidates.extend(sorted(Path("/usr").glob("pgsql-*/bin"), reverse=True))
        candidates.extend(sorted(Path("/opt/homebrew/opt").glob("postgresql@*/bin"), reverse=True))
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            out = subprocess.run(
                [str(folder / "pg_ctl"), "--version"], capture_output=True, text=True, check=True
            ).stdout
            major = int(out.split()[-1].split(".")[0])
            return PgBinaries(folder, major)
    where = str(bindir) if bindir else Msg("db.programs_default")
    raise SetupError("db.no_programs", hint="db.install", where=where)


def postgis_available(binaries: PgBinaries) -> bool:
    """Whether this installation has the PostGIS extension files."""
    pg_config = binaries.bindir / "pg_config"
    sharedirs: list[Path] = []
    if pg_config.is_file():
        out = subprocess.run([str(pg_config), "--sharedir"], capture_output=True, text=True)
        if out.returncode == 0:
            sharedirs.append(Path(out.stdout.strip()))
    sharedirs.append(Path(f"/usr/share/postgresql/{binaries.version_major}"))
    sharedirs.append(binaries.bindir.parent / "share")
    return any((d / "extension" / "postgis.control").is_file() for d in sharedirs)


@dataclass(frozen=True)
class ClusterStatus:
    running: bool
    data_dir: Path
    storage_dir: Path | None
    port: int | None
    socket_dir: Path | None
    pid: int | None
    url: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "data_dir": str(self.data_dir),
            "storage_dir": str(self.storage_dir) if self.storage_dir else None,
            "port": self.port,
            "socket_dir": str(self.socket_dir) if self.socket_dir else None,
            "pid": self.pid,
            "url": self.url,
        }


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, from the first byte (no umask window)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


class LocalCluster:
    """A private PostgreSQL cluster under ``data_dir``; every method is safe to repeat."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        os_user: str = "postgres",
        bindir: Path | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self._port_wanted = port
        self._os_user_name = os_user
        self._bindir = bindir
        self._binaries: PgBinaries | None = None

    # --- paths and state -----------------------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.data_dir / "cluster.json"

    def _state(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.state_file.read_text())
        except FileNotFoundError:
            return {}
        return data

    def _save_state(self, state: dict[str, Any]) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        _write_private(tmp, json.dumps(state, indent=2))
        tmp.replace(self.state_file)

    @property
    def log_file(self) -> Path:
        """The server's log (``<storage>/postgres.log``)."""
        return self._storage_dir() / "postgres.log"

    @property
    def binaries(self) -> PgBinaries:
        if self._binaries is None:
            self._binaries = find_binaries(self._bindir)
        return self._binaries

    def _run_as(self) -> pwd.struct_passwd | None:
        """The account the server runs under: None when we are not root (run as ourselves)."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(self._os_user_name)
        except KeyError as exc:
            raise SetupError("db.no_os_user", user=self._os_user_name) from exc

    def _run(
        self,
        args: Sequence[str],
        *,
        check: bool = True,
        timeout: float = 120,
        env_extra: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        user = self._run_as()
        kwargs: dict[str, Any] = {}
        env = dict(os.environ, **(env_extra or {}))
        if user is not None:
            kwargs = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
            env.update(HOME=user.pw_dir, USER=user.pw_name, LOGNAME=user.pw_name)
        env.pop("PGDATA", None)
        proc = subprocess.run(
            list(args),
            capture_output=True,
            text=True,
            env=env,
            cwd="/",
            timeout=timeout,
            **kwargs,
        )
        if check and proc.returncode != 0:
            raise SetupError(
                "db.program_failed",
                program=Path(args[0]).name,
                code=proc.returncode,
                output=(proc.stderr or proc.stdout).strip()[-2000:],
                log=self._storage_dir() / "postgres.log",
            )
        return proc

    def _reachable_by(self, user: pwd.struct_passwd, folder: Path) -> bool:
        """Whether ``user`` can reach ``folder`` (traverse it and every parent); root creates
        and hands over what is inside."""
        proc = subprocess.run(
            ["test", "-x", str(folder)],
            user=user.pw_uid,
            group=user.pw_gid,
            extra_groups=[],
            cwd="/",
        )
        return proc.returncode == 0

    def _storage_dir(self) -> Path:
        stored = self._state().get("storage_dir")
        if stored:
            return Path(stored)
        user = self._run_as()
        if user is None:
            return self.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self._reachable_by(user, self.data_dir):
            return self.data_dir
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path("/var/lib/gridsvc") / digest

    def _socket_dir(self, storage: Path) -> Path:
        """``<storage>/run``, or, where that path is too long for a Unix socket, a private
        folder made with mkdtemp under /tmp (never a predictable name another user could
        create first), remembered in ``cluster.json``."""
        run = storage / "run"
        if len(str(run)) + len("/.s.PGSQL.65535") <= _SOCKET_PATH_MAX:
            run.mkdir(parents=True, exist_ok=True, mode=0o700)
            return run
        previous = self._state().get("socket_dir")
        if previous and previous != str(run):
            info = os.lstat(previous) if os.path.lexists(previous) else None
            if (
                info is not None
                and stat.S_ISDIR(info.st_mode)
                and info.st_uid
                in (os.geteuid(), *(u.pw_uid for u in [self._run_as()] if u is not None))
            ):
                return Path(previous)
        return Path(tempfile.mkdtemp(prefix="gridsvc-", dir="/tmp"))

    @property
    def pgdata(self) -> Path:
        return self._storage_dir() / "pgdata"

    # --- the server's process ---------------------------------------------------------------

    def _pid(self) -> int | None:
        """The postmaster's pid if one runs for this cluster; removes a stale pid file."""
        pidfile = self.pgdata / "postmaster.pid"
        try:
            first = pidfile.read_text().splitlines()[0]
        except (FileNotFoundError, IndexError, PermissionError):
            return None
        pid = int(first)
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except FileNotFoundError:
            cmdline = b""
        if b"postgres" in cmdline or b"postmaster" in cmdline:
            return pid
        if not Path("/proc").is_dir():  # no procfs: trust pg_ctl
            proc = self._run(
                [self.binaries.tool("pg_ctl"), "status", "-D", str(self.pgdata)], check=False
            )
            return pid if proc.returncode == 0 else None
        # The server died without removing its pid file (a crash, kill -9, power loss):
        # postgres would refuse to start if the pid had been reused by another process.
        with contextlib.suppress(FileNotFoundError):
            pidfile.unlink()
        return None

    def status(self) -> ClusterStatus:
        state = self._state()
        storage = Path(state["storage_dir"]) if "storage_dir" in state else None
        pid = self._pid() if storage else None
        running = pid is not None
        return ClusterStatus(
            running=running,
            data_dir=self.data_dir,
            storage_dir=storage,
            port=state.get("port"),
            socket_dir=Path(state["socket_dir"]) if "socket_dir" in state else None,
            pid=pid,
            url=self.url() if "port" in state else None,
        )

    def url(self, database: str = DATABASE) -> str:
        state = self._state()
        if "port" not in state:
            raise SetupError("db.no_local", folder=self.data_dir)
        password = quote(state["password"], safe="")
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{state['port']}/{database}"

    def _chown(self, path: Path, user: pwd.struct_passwd | None) -> None:
        if user is not None:
            os.chown(path, user.pw_uid, user.pw_gid)

    def _init(self) -> None:
        binaries = self.binaries
        if not postgis_available(binaries):
            raise SetupError(
                "db.no_postgis",
                major=binaries.version_major,
                bindir=binaries.bindir,
                install=Msg("db.install"),
            )
        user = self._run_as()
        storage = self._storage_dir()
        storage.mkdir(parents=True, exist_ok=True, mode=0o700)
        storage.chmod(0o700)  # an existing folder keeps its mode otherwise
        self._chown(storage, user)
        state = self._state()
        password = state.get("password") or secrets.token_urlsafe(24)
        pwfile = storage / ".pwfile"
        _write_private(pwfile, password + "\n")
        self._chown(pwfile, user)
        try:
            self._run(
                [
                    binaries.tool("initdb"),
                    "-D",
                    str(storage / "pgdata"),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth-local=scram-sha-256",
                    "--auth-host=scram-sha-256",
                    "--encoding=UTF8",
                    "--no-locale",
                    "--no-instructions",
                ],
                timeout=300,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        conf = storage / "pgdata" / "postgresql.conf"
        with conf.open("a") as fh:
            fh.write("\n# gridsvc: settings managed by `gridsvc db up`\n")
            fh.write("include_if_exists = 'gridsvc.conf'\n")
        state.update(
            password=password,
            storage_dir=str(storage),
            postgres_version=binaries.version_major,
            created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        self._save_state(state)

    def _choose_port(self) -> int:
        if self._port_wanted is not None:
            if not _port_free(self._port_wanted):
                raise SetupError("db.port_taken", port=self._port_wanted)
            return self._port_wanted
        previous = self._state().get("port")
        if isinstance(previous, int) and _port_free(previous):
            return previous
        return _free_port()

    def up(self, *, timeout_s: float = 60) -> ClusterStatus:
        """Create the cluster if needed, start it if stopped, and create the database."""
        if not (self.pgdata / "PG_VERSION").is_file():
            self._init()
        current = self.status()
        if not current.running:
            self._start(timeout_s)
        self._ensure_database()
        return self.status()

    def up_standby(self, primary: LocalCluster, *, timeout_s: float = 120) -> ClusterStatus:
        """Make this cluster a hot standby of ``primary`` and start it: ``pg_basebackup -R``
        copies the primary's files (seconds for a small cluster) and writes how to follow its
        WAL by streaming replication, which the primary allows as initdb set it up
        (``wal_level = replica``, ten WAL senders, ``host replication`` lines in
        ``pg_hba.conf``). Safe to repeat: an existing standby is only started if stopped.
        The standby refuses every write; ``hot_standby_feedback`` keeps the primary's
        vacuum from cancelling its long reads."""
        if not (self.pgdata / "PG_VERSION").is_file():
            self._clone(primary, timeout_s)
        if not self.status().running:
            self._start(timeout_s)
        return self.status()

    def _clone(self, primary: LocalCluster, timeout_s: float) -> None:
        source = primary._state()
        if "port" not in source:
            raise SetupError("db.no_local", folder=primary.data_dir)
        user = self._run_as()
        storage = self._storage_dir()
        storage.mkdir(parents=True, exist_ok=True, mode=0o700)
        storage.chmod(0o700)
        self._chown(storage, user)
        self._run(
            [
                self.binaries.tool("pg_basebackup"),
                "-D",
                str(storage / "pgdata"),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                "-d",
                f"host=127.0.0.1 port={source['port']} user={SUPERUSER} "
                "application_name=gridsvc-standby",
            ],
            timeout=timeout_s,
            env_extra={"PGPASSWORD": source["password"]},  # not on the command line
        )
        state = self._state()
        state.update(
            password=source["password"],
            storage_dir=str(storage),
            postgres_version=self.binaries.version_major,
            standby_of=str(primary.data_dir),
            created_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        self._save_state(state)

    def _start(self, timeout_s: float) -> None:
        user = self._run_as()
        storage = self._storage_dir()
        port = self._choose_port()
        sockdir = self._socket_dir(storage)
        self._chown(sockdir, user)
        # No postmaster of ours runs (checked by the caller) and the socket folder is ours
        # alone: lock files left by a killed server are stale. Postgres itself would keep
        # them while the dead server's pid lingers as an unreaped zombie.
        for stale in sockdir.glob(".s.PGSQL.*"):
            stale.unlink(missing_ok=True)
        settings = {
            "port": str(port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{sockdir}'",
            "max_connections": "100",
            "shared_buffers": f"'{_shared_buffers_mb()}MB'",
            "effective_cache_size": f"'{_memory_mb() // 2}MB'",
            "work_mem": "'32MB'",
            "maintenance_work_mem": "'256MB'",
            "max_wal_size": "'2GB'",
            "logging_collector": "off",
            "log_min_messages": "warning",
            "timezone": "'UTC'",
        }
        if "standby_of" in self._state():
            settings["hot_standby_feedback"] = "on"
        conf = storage / "pgdata" / "gridsvc.conf"
        conf.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()))
        self._chown(conf, user)
        state = self._state()
        state.update(port=port, socket_dir=str(sockdir))
        self._save_state(state)
        log = storage / "postgres.log"
        self._run(
            [
                self.binaries.tool("pg_ctl"),
                "start",
                "-D",
                str(storage / "pgdata"),
                "-l",
                str(log),
                "-w",
                "-t",
                str(int(timeout_s)),
            ],
            timeout=timeout_s + 30,
        )

    def _ensure_database(self) -> None:
        import psycopg2
        from psycopg2 import sql

        conn = psycopg2.connect(self.url("postgres"), connect_timeout=10)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
                if cur.fetchone() is None:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        finally:
            conn.close()

    def down(self, *, mode: str = "fast") -> bool:
        """Stop the server; returns whether one was running."""
        if not self._state() or self._pid() is None:
            return False
        self._run(
            [self.binaries.tool("pg_ctl"), "stop", "-D", str(self.pgdata), "-m", mode, "-w"],
            timeout=120,
        )
        return True

    def destroy(self) -> None:
        """Stop the server and delete the cluster and its state (tests use this)."""
        with contextlib.suppress(SetupError):
            self.down(mode="immediate")
        storage = self._state().get("storage_dir")
        if storage:
            shutil.rmtree(storage, ignore_errors=True)
            sock = self._state().get("socket_dir")
            if sock and str(sock).startswith("/tmp/gridsvc-"):
                shutil.rmtree(sock, ignore_errors=True)
        self.state_file.unlink(missing_ok=True)


def _memory_mb() -> int:
    """The machine's memory in MB."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20


def _shared_buffers_mb() -> int:
    """PostgreSQL's own cache: a quarter of the machine's memory, as its manual advises for a
    server of its own, between 128 MB and 8 GB. At 10 million events the tables and indexes
    hold ~10 GB; with 256 MB, every report's writes and duplicate lookups went to the
    operating system's cache for most of their pages (issue #8). The memory is taken as it
    is used, so a small database costs little."""
    return max(128, min(_memory_mb() // 4, 8192))
