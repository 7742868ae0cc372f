"""Migrations run without the pool's statement timeout: one may rewrite a large table."""

from __future__ import annotations

import pytest

from gridsvc.db import migrate as migrate_mod
from gridsvc.db.pool import Database
from gridsvc.errors import QueryTimeout
from gridsvc.sql import Migration, migrations


def test_a_slow_migration_is_not_cut_by_the_statement_timeout(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow = Migration(version=9_999, name="slow_rewrite", sql="SELECT pg_sleep(0.3)")
    monkeypatch.setattr(migrate_mod, "migrations", lambda: [*migrations(), slow])
    db = Database(db_url, maxconn=1, statement_timeout_ms=100)
    try:
        with pytest.raises(QueryTimeout):  # requests are still cut
            db.cursor_fetchall("SELECT pg_sleep(0.3)")
        assert migrate_mod.migrate(db).applied == ["9999_slow_rewrite"]
        with db.connection() as conn, conn.cursor() as cur:
            cur.execute("SHOW statement_timeout")  # and the pooled connection keeps its own
            assert cur.fetchone() == ("100ms",)
    finally:
        db.close()
