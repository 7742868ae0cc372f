"""The import's pipeline (issue #24): while batch k is inserted, the helper thread checks
batch k+1 and COPYs it into the stage of a second pooled connection.

With two connections or one (``GRIDSVC_DB_POOL_MAX=1``: the stage is COPYed by the main
thread) the same file stores the same events, in file order, with the same rollup; an import
stopped between batches keeps the committed ones, rolls the batch staged ahead back, leaves
no connection in a transaction, and running it again completes the file.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
import pytest

from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids.default import default_dataset_path
from gridsvc.service import Gridsvc
from gridsvc.settings import GridSettings
from tests.conftest import make_settings

ROWS = 230
BATCH = 40  # six batches, the last one short


@pytest.fixture(scope="module")
def csv_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    units = gpd.read_file(default_dataset_path(GridSettings()), layer="grid_unit")
    path = Path(tmp_path_factory.mktemp("pipeline")) / "events.csv"
    write_events_csv(path, generate_events(units, DEFAULT_MIX, count=ROWS, days=30, seed=24))
    return path.read_bytes()


def _service(db_url: str, pool_max: int) -> Gridsvc:
    settings = make_settings(db_url)
    settings = settings.model_copy(
        update={
            "db": settings.db.model_copy(update={"pool_max": pool_max}),
            "events": settings.events.model_copy(update={"import_batch_rows": BATCH}),
        }
    )
    return Gridsvc.open(settings)


def _stored(svc: Gridsvc) -> list[tuple[object, ...]]:
    """The stored events in id order: key, community, deadline, and the rollup's total."""
    return svc.db.cursor_fetchall(
        "SELECT e.client_event_id, e.community_code, e.category, e.accept_due_at,"
        " k.event_id = e.id FROM event AS e"
        " JOIN event_key AS k ON (k.reporter_id, k.client_event_id)"
        " = (e.reporter_id, e.client_event_id) ORDER BY e.id"
    )


def _file_keys(csv_bytes: bytes) -> list[str]:
    return [row["client_event_id"] for row in csv.DictReader(io.StringIO(csv_bytes.decode()))]


def _in_transaction(svc: Gridsvc) -> int:
    rows = svc.db.cursor_fetchall(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND state LIKE 'idle in transaction%%'"
    )
    return int(rows[0][0])


def _rollup_total(svc: Gridsvc) -> tuple[int, int]:
    rows = svc.db.cursor_fetchall(
        "SELECT (SELECT coalesce(sum(n), 0) FROM event_daily),"
        " (SELECT coalesce(sum(n), 0) FROM event_status_count)"
    )
    return int(rows[0][0]), int(rows[0][1])


def test_two_connections_store_what_one_stores(db_url: str, csv_bytes: bytes) -> None:
    stored: dict[int, list[tuple[object, ...]]] = {}
    for pool_max in (8, 1):
        svc = _service(db_url, pool_max)
        try:
            svc.db.cursor_fetchall(
                "TRUNCATE event, event_key, event_daily, event_status_count,"
                " import_rejection, import_job CASCADE"
            )
            report = import_events(svc, io.BytesIO(csv_bytes), filename="events.csv")
            assert report.stored + report.rejected == ROWS and report.stored > ROWS - 5
            rows = _stored(svc)
            assert len(rows) == report.stored
            assert all(row[4] for row in rows)  # each key names its own event
            # ids in file order, batch after batch
            where = {key: i for i, key in enumerate(_file_keys(csv_bytes))}
            positions = [where[str(row[0])] for row in rows]
            assert positions == sorted(positions)
            assert _rollup_total(svc) == (report.stored, report.stored)
            assert _in_transaction(svc) == 0
            stored[pool_max] = rows
        finally:
            svc.close()
    assert stored[8] == stored[1]


class _Stop(Exception):
    pass


def test_a_stopped_import_rolls_back_the_batch_staged_ahead(db_url: str, csv_bytes: bytes) -> None:
    svc = _service(db_url, 8)
    try:

        def stop_after_first(rows_read: int) -> None:
            raise _Stop(rows_read)

        with pytest.raises(_Stop) as stopped:
            import_events(
                svc, io.BytesIO(csv_bytes), filename="events.csv", progress=stop_after_first
            )
        # checked while the traceback still holds the import's frame (and so the batch
        # staged ahead): rolled back by the import itself, not by the garbage collector
        assert stopped.traceback and _in_transaction(svc) == 0
        first = _stored(svc)
        assert 0 < len(first) <= BATCH  # the first batch only; the one staged ahead is gone
        assert _rollup_total(svc) == (len(first), len(first))

        again = import_events(svc, io.BytesIO(csv_bytes), filename="events.csv")
        assert again.already_stored == len(first)
        everything = _stored(svc)
        assert len(everything) == len(first) + again.stored
        assert everything[: len(first)] == first
        assert _rollup_total(svc) == (len(everything), len(everything))
    finally:
        svc.close()
