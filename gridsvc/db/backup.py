"""Backups: ``gridsvc db dump FILE`` and ``gridsvc db restore FILE``.

A dump is ``pg_dump --format=custom`` of the whole database (schema, migrations table,
grids, events, rollups, history, tokens as hashes): compressed, and restorable table by
table with ``pg_restore``. The programs come from the same installation the local cluster
uses (``GRIDSVC_PG_BINDIR``, Debian's newest ``/usr/lib/postgresql/*/bin``, then ``PATH``);
they must be at least as new as the server.

The password never goes on a command line (other users could read it in ``ps``): it is
passed in ``PGPASSWORD``. A dump is written to a temporary file next to ``FILE`` and renamed
when complete, mode 600 — it holds reporters' names and descriptions.

A restore goes into a database without tables of its own (a new one, or one just created),
or, with ``clean=True``, replaces what the database holds. Either way the statistics are
refreshed afterwards (``ANALYZE``) so queries plan well at once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

from gridsvc.db.local import find_binaries
from gridsvc.errors import BackupFailed, Conflict, InvalidInput, SetupError
from gridsvc.sql import query

_TIMEOUT_S = 24 * 3600


@dataclass(frozen=True)
class Connection:
    """A database URL split into what the PostgreSQL programs take: a URL without the
    password, and the password for ``PGPASSWORD``."""

    url: str
    password: str | None
    database: str

    @classmethod
    def parse(cls, url: str) -> Connection:
        parts = urlsplit(url)
        if parts.scheme not in ("postgresql", "postgres"):
            raise InvalidInput("backup.not_postgresql", scheme=parts.scheme)
        password = unquote(parts.password) if parts.password is not None else None
        netloc = parts.hostname or ""
        if parts.username:
            netloc = f"{parts.username}@{netloc}"
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        return cls(
            url=urlunsplit(parts._replace(netloc=netloc)),
            password=password,
            database=parts.path.lstrip("/") or "postgres",
        )


def tool(name: str, bindir: Path | None = None) -> str:
    """The path of ``pg_dump``/``pg_restore``: next to the server programs gridsvc uses,
    else on ``PATH``."""
    try:
        folder = find_binaries(bindir).bindir
        if (folder / name).is_file():
            return str(folder / name)
    except SetupError:
        pass
    found = shutil.which(name)
    if found:
        return found
    raise SetupError("backup.no_tool", hint="db.install", name=name)


def _run(args: list[str], conn: Connection) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if conn.password is not None:
        env["PGPASSWORD"] = conn.password
    proc = subprocess.run(args, capture_output=True, text=True, env=env, timeout=_TIMEOUT_S)
    if proc.returncode != 0:
        said = (proc.stderr or proc.stdout).strip()[-1500:]
        raise BackupFailed(
            "backup.failed",
            hint="backup.version_mismatch" if "version mismatch" in said else None,
            program=Path(args[0]).name,
            code=proc.returncode,
            output=said,
        )
    return proc


def dump(url: str, path: Path, *, bindir: Path | None = None) -> Path:
    """Write the whole database at ``url`` to ``path`` (custom format); returns the path."""
    conn = Connection.parse(url)
    path = path.resolve()
    if not path.parent.is_dir():
        raise InvalidInput("backup.no_folder", field="file", folder=path.parent)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        _run(
            [
                tool("pg_dump", bindir),
                "--format=custom",
                "--no-password",
                f"--file={partial}",
                f"--dbname={conn.url}",
            ],
            conn,
        )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def check_dump(path: Path, *, bindir: Path | None = None) -> int:
    """The number of entries in the dump's table of contents; InvalidInput if ``path`` is
    not a custom-format dump."""
    if not path.is_file():
        raise InvalidInput("backup.no_file", field="file", path=path)
    proc = subprocess.run(
        [tool("pg_restore", bindir), "--list", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        raise InvalidInput(
            "backup.not_a_dump", field="file", path=path, output=proc.stderr.strip()[-300:]
        )
    return sum(1 for line in proc.stdout.splitlines() if line and not line.startswith(";"))


def user_tables(url: str) -> int:
    """How many tables of its own the database at ``url`` has (extensions' not counted)."""
    with psycopg2.connect(url, connect_timeout=10) as conn, conn.cursor() as cur:
        cur.execute(query("backup_user_tables"))
        row = cur.fetchone()
    conn.close()
    return int(row[0]) if row else 0


def create_database(url: str, name: str) -> str:
    """Create database ``name`` on the server of ``url`` if missing; returns its URL."""
    maintenance = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    conn = psycopg2.connect(maintenance, connect_timeout=10)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def restore(url: str, path: Path, *, clean: bool = False, bindir: Path | None = None) -> None:
    """Restore a dump of :func:`dump` into the database at ``url``.

    Without ``clean`` the database must have no tables of its own (Conflict otherwise);
    with it, every object in the dump is dropped first and recreated. Ownership and grants
    are not restored: the objects belong to the user of ``url``.
    """
    check_dump(path, bindir=bindir)
    conn = Connection.parse(url)
    if not clean:
        tables = user_tables(url)
        if tables:
            raise Conflict("backup.not_empty", database=conn.database, tables=tables)
    args = [
        tool("pg_restore", bindir),
        "--no-owner",
        "--no-privileges",
        "--no-password",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={conn.url}",
    ]
    if clean:
        args += ["--clean", "--if-exists"]
    _run([*args, str(path)], conn)
    with psycopg2.connect(url, connect_timeout=10) as db, db.cursor() as cur:
        cur.execute("ANALYZE")
    db.close()
