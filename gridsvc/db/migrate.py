"""Apply the numbered SQL migrations of :mod:`gridsvc.sql` in order.

Each migration runs in its own transaction and is recorded in ``schema_migration`` with a
checksum; a session-level advisory lock keeps two processes from migrating at once. Running
again applies only what is missing. A recorded migration whose file has since changed is an
error: released migrations are never edited, a new numbered file is added instead.

A hand-written runner rather than a library: the whole job is ~50 lines over plain SQL
files, and the well-kept libraries (alembic, yoyo) bring an ORM or their own file formats.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from gridsvc.db.pool import Database
from gridsvc.errors import SetupError
from gridsvc.sql import migrations

_LOCK_KEY = 0x67726964  # "grid"


@dataclass(frozen=True)
class MigrationResult:
    applied: list[str]
    current_version: int


def migrate(db: Database) -> MigrationResult:
    """Bring the schema up to date; returns what was applied now."""
    applied: list[str] = []
    with db.connection() as conn:
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
                cur.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migration ("
                    " version integer PRIMARY KEY, name text NOT NULL,"
                    " checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
                )
                cur.execute("SELECT version, name, checksum FROM schema_migration")
                done = {row[0]: (row[1], row[2]) for row in cur.fetchall()}
            conn.autocommit = False
            for m in migrations():
                checksum = hashlib.sha256(m.sql.encode()).hexdigest()
                if m.version in done:
                    if done[m.version][1] != checksum:
                        raise SetupError(
                            "db.migration_changed", migration=f"{m.version:04d}_{m.name}"
                        )
                    continue
                with conn.cursor() as cur:
                    # a migration may rewrite a table of millions of rows (0006: ~30 s per
                    # million events): the pool's statement timeout is for requests
                    cur.execute("SET LOCAL statement_timeout = 0")
                    cur.execute(m.sql)
                    cur.execute(
                        "INSERT INTO schema_migration (version, name, checksum) "
                        "VALUES (%s, %s, %s)",
                        (m.version, m.name, checksum),
                    )
                conn.commit()
                applied.append(f"{m.version:04d}_{m.name}")
        finally:
            conn.rollback()
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
            conn.autocommit = False
    current = max((m.version for m in migrations()), default=0)
    return MigrationResult(applied=applied, current_version=current)
