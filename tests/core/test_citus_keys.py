"""Keys ready for Citus (migration 0006, docs/scaling.md step 2): every primary key and unique
index of the tables distributed by community_code includes it, no foreign key into them goes
without it, the idempotency key lives in ``event_key``; and 0006 converts a database written
by the schema before it.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg2
import pytest
import shapely

from gridsvc.db import migrate as migrate_mod
from gridsvc.db.pool import Database
from gridsvc.db.values import to_param
from gridsvc.errors import DuplicateConflict
from gridsvc.events import store
from gridsvc.events.importer import import_events
from gridsvc.events.rows import Batch, Defaults, content_hash
from gridsvc.events.rules import prepare
from gridsvc.events.taxonomy_db import store_taxonomy
from gridsvc.events.taxonomy_file import default_taxonomy
from gridsvc.grids import store as grid_store
from gridsvc.grids.default import load_default
from gridsvc.service import Gridsvc
from gridsvc.sql import migrations
from gridsvc.workflow.actions import ActionRequest, apply_action, dispatches, history
from gridsvc.workflow.departments import default_departments, store_departments
from tests.conftest import _admin, _with_db, make_settings
from tests.invariants import duplicate_keys, key_mismatches, rollup_differences

DISTRIBUTED = ["event", "event_daily", "dispatch", "event_action"]
ADMIN_NAME = "citus-test"

UNIQUE_INDEXES = """
SELECT c.relname, i.indexrelid::regclass::text, i.indisprimary,
       array_agg(a.attname::text ORDER BY k.ord)
FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indrelid
CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k (attnum, ord)
LEFT JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indisunique AND c.relname = ANY (%(tables)s)
GROUP BY 1, 2, 3
ORDER BY 1, 2
"""

FOREIGN_KEYS = """
SELECT con.conname, con.conrelid::regclass::text, con.confrelid::regclass::text,
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k (n, o)
             JOIN pg_attribute AS a ON a.attrelid = con.conrelid AND a.attnum = k.n
             ORDER BY k.o),
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k (n, o)
             JOIN pg_attribute AS a ON a.attrelid = con.confrelid AND a.attnum = k.n
             ORDER BY k.o),
       con.confupdtype, con.confdeltype
FROM pg_constraint AS con
WHERE con.contype = 'f'
  AND (con.conrelid::regclass::text = ANY (%(tables)s)
       OR con.confrelid::regclass::text = ANY (%(tables)s))
ORDER BY 1
"""


def test_every_unique_key_of_the_distributed_tables_includes_community_code(
    shared_svc: Gridsvc,
) -> None:
    rows = shared_svc.db.cursor_fetchall(UNIQUE_INDEXES, {"tables": DISTRIBUTED})
    assert {r[0] for r in rows} == set(DISTRIBUTED)  # each has at least its primary key
    for table, index, _, columns in rows:
        assert "community_code" in columns, (table, index, columns)
    primary = {r[0]: r[3] for r in rows if r[2]}
    assert primary == {
        "event": ["id", "community_code"],
        "event_daily": ["community_code", "category", "status", "urgency", "source", "day"],
        "dispatch": ["id", "community_code"],
        "event_action": ["id", "community_code"],
    }
    # the key of a report: distributed by reporter_id, not by community
    keys = shared_svc.db.cursor_fetchall(UNIQUE_INDEXES, {"tables": ["event_key"]})
    assert [(r[1], r[2], r[3]) for r in keys] == [
        ("event_key_pkey", True, ["reporter_id", "client_event_id"])
    ]
    # lookups by id alone use the primary key (id first): no second index on id
    on_id = shared_svc.db.cursor_fetchall(
        "SELECT indexrelid::regclass::text FROM pg_index"
        " WHERE indrelid = 'event'::regclass AND indkey[0] = ("
        "   SELECT attnum FROM pg_attribute"
        "   WHERE attrelid = 'event'::regclass AND attname = 'id')"
    )
    assert on_id == [("event_pkey",)]


def test_no_foreign_key_between_distributed_tables_lacks_community_code(
    shared_svc: Gridsvc,
) -> None:
    rows = shared_svc.db.cursor_fetchall(FOREIGN_KEYS, {"tables": [*DISTRIBUTED, "event_key"]})
    between = [r for r in rows if r[1] in DISTRIBUTED and r[2] in DISTRIBUTED]
    assert {(r[1], r[2]) for r in between} == {("dispatch", "event"), ("event_action", "event")}
    for name, _, _, columns, referenced, on_update, on_delete in between:
        # community_code pairs with community_code, event_id with id
        assert dict(zip(columns, referenced, strict=True)) == {
            "community_code": "community_code",
            "event_id": "id",
        }, name
        assert (on_update, on_delete) == ("c", "c"), name  # reassign's UPDATE cascades
    # the rest point at small reference tables (grid_version, department); none at event_key
    others = {(r[1], r[2]) for r in rows if r not in between}
    assert others == {("event", "grid_version"), ("dispatch", "department")}
    not_null = shared_svc.db.cursor_fetchall(
        "SELECT attrelid::regclass::text, attnotnull FROM pg_attribute"
        " WHERE attname = 'community_code' AND attrelid = ANY (%s::regclass[])",
        ([*DISTRIBUTED, "event_key"],),
    )
    assert sorted(not_null) == sorted((t, True) for t in [*DISTRIBUTED, "event_key"])


def _point(svc: Gridsvc, code: str) -> shapely.Point:
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    point = units.set_index("code").at[code, "geometry"].representative_point()
    assert isinstance(point, shapely.Point)
    return point


def _report(svc: Gridsvc, client_event_id: str, **overrides: Any) -> dict[str, Any]:
    p = _point(svc, "320102002001")
    report: dict[str, Any] = {
        "client_event_id": client_event_id,
        "reporter_id": "gw-320102002001-9",
        "category": "hazard.fire",
        "title": "烟雾",
        "occurred_at": "2026-11-21T10:00:00+08:00",
        "lon": p.x,
        "lat": p.y,
    }
    report.update(overrides)
    return report


def test_a_key_and_its_event_are_stored_together_under_races(svc: Gridsvc) -> None:
    """The same keys at once from the app (16 threads per report) and from two imports of
    one file: each key is stored once, with its event, and counted once."""
    lines = ["client_event_id,reporter_id,category,occurred_at,lon,lat"]
    p = _point(svc, "320102002001")
    lines += [
        f"race-{i},gw-race,hazard.fire,2026-11-21T10:{i % 60:02d}:00+08:00,{p.x},{p.y}"
        for i in range(300)
    ]
    data = ("\n".join(lines) + "\n").encode()
    reports = [
        {
            "client_event_id": f"race-{i}",
            "reporter_id": "gw-race",
            "category": "hazard.fire",
            "occurred_at": f"2026-11-21T10:{i % 60:02d}:00+08:00",
            "lon": p.x,
            "lat": p.y,
            "source": "import",  # as the file's rows default to: the same content digest
        }
        for i in range(0, 300, 60)
    ]
    start = threading.Barrier(2 + 16 * len(reports))
    outcomes: list[Any] = []

    def run(work: Any) -> None:
        start.wait()
        try:
            outcomes.append(work())
        except Exception as exc:  # collected and asserted below
            outcomes.append(exc)

    work: list[Any] = [
        lambda: import_events(svc, io.BytesIO(data), filename="race-a.csv"),
        lambda: import_events(svc, io.BytesIO(data), filename="race-b.csv"),
    ]
    work += [(lambda r=r: store.create_event(svc, dict(r))) for r in reports for _ in range(16)]
    threads = [threading.Thread(target=run, args=(w,)) for w in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert errors == []
    created = [o for o in outcomes if isinstance(o, store.CreateResult)]
    ids = {(o.event["client_event_id"], o.event["id"]) for o in created}
    assert len(ids) == len(reports)  # every thread got the one stored event of its key
    (stored,) = svc.db.cursor_fetchall(
        "SELECT count(*), count(DISTINCT client_event_id) FROM event WHERE reporter_id = 'gw-race'"
    )
    assert stored == (300, 300)
    assert duplicate_keys(svc.db) == []
    assert key_mismatches(svc.db) == []
    assert rollup_differences(svc.db) == {}


# --- migration 0006 on a database written by 0001-0005 ----------------------------------------

# How a report was stored before 0006 (event_report.sql now): key and hex digest on event.
OLD_INSERT = """
INSERT INTO event (reporter_id, client_event_id, content_sha256, category, title, description,
                   occurred_at, reported_at, source, urgency, geom, lon_sent, lat_sent,
                   crs_sent, accuracy_m, address, media, attributes, grid_version_id,
                   community_code, street_code, sector_code, district_code, grid_code,
                   snapped, near_boundary)
VALUES (%(reporter_id)s, %(client_event_id)s, %(content_sha256)s, %(category)s, %(title)s,
        %(description)s, %(occurred_at)s, %(reported_at)s, %(source)s, %(urgency)s,
        ST_SetSRID(ST_MakePoint(%(lon_wgs84)s, %(lat_wgs84)s), 4326), %(lon_sent)s,
        %(lat_sent)s, %(crs_sent)s, %(accuracy_m)s, %(address)s, %(media)s::jsonb,
        %(attributes)s::jsonb, %(grid_version_id)s, %(community_code)s, %(street_code)s,
        %(sector_code)s, %(district_code)s, %(grid_code)s, %(snapped)s, %(near_boundary)s)
ON CONFLICT ON CONSTRAINT event_idempotency DO NOTHING
RETURNING id
"""
OLD_ROLLUP = """
INSERT INTO event_daily AS d (community_code, category, status, urgency, source, day, n)
VALUES (coalesce(%(community_code)s, ''), %(category)s, 'reported', %(urgency)s, %(source)s,
        (%(occurred_at)s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date, 1)
ON CONFLICT (community_code, category, status, urgency, source, day)
DO UPDATE SET n = d.n + excluded.n
"""


@pytest.fixture
def v5_svc(pg_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gridsvc]:
    """A new database at schema version 5 (the migrations before 0006) with the default
    grids, taxonomy and departments."""
    name = f"v5_{uuid.uuid4().hex[:10]}"
    _admin(pg_server, f'CREATE DATABASE "{name}"')
    url = _with_db(pg_server, name)
    with monkeypatch.context() as m:
        m.setattr(migrate_mod, "migrations", lambda: [x for x in migrations() if x.version <= 5])
        db = Database(url)
        try:
            assert migrate_mod.migrate(db).applied[-1] == "0005_one_category_index"
        finally:
            db.close()
    svc = Gridsvc.open(make_settings(url))
    _load_reference_data(svc)
    yield svc
    svc.close()
    _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _load_reference_data(svc: Gridsvc) -> None:
    """What ``gridsvc init`` loaded at schema version 5: grids, taxonomy, departments
    (``initialise`` itself now also makes the console's first account, whose table came in
    0009)."""
    assert load_default(svc.db, svc.settings.grids, if_empty=True) is not None
    with svc.db.connection() as conn:
        store_taxonomy(conn, default_taxonomy())
        store_departments(conn, default_departments())


def _store_the_old_way(svc: Gridsvc, report: dict[str, Any], *, outside: bool = False) -> int:
    """Store ``report`` as the code before 0006 did; ``outside``: as an event outside every
    grid (community NULL, as the old reassign left them)."""
    batch = Batch.of([report])
    defaults = Defaults(future_tolerance=svc.settings.events.future_tolerance, now=svc.now())
    hashes = content_hash(batch, defaults)
    prepared = prepare(
        batch, taxonomy=svc.taxonomy(), locator=svc.locator(), defaults=defaults, hashes=hashes
    )
    assert not prepared.rejections
    params = {k: to_param(v) for k, v in prepared.records()[0].items()}
    if outside:
        for column in ("community_code", "street_code", "sector_code", "district_code"):
            params[column] = None
        params["grid_code"] = None
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(OLD_INSERT, params)
        row = cur.fetchone()
        assert row is not None
        cur.execute(OLD_ROLLUP, params)
    return int(row[0])


def test_migration_0006_converts_a_database_of_the_old_schema(v5_svc: Gridsvc) -> None:
    svc = v5_svc
    inside = _store_the_old_way(svc, _report(svc, "old-inside"))
    outside = _store_the_old_way(svc, _report(svc, "old-outside"), outside=True)
    with svc.db.connection() as conn, conn.cursor() as cur:
        # a dispatch and its history, as the workflow wrote them before 0006
        for eid in (inside, outside):
            cur.execute(
                "INSERT INTO dispatch (event_id, department_code, due_at)"
                " VALUES (%s, 'fire_rescue', now() + interval '1 day')",
                (eid,),
            )
            cur.execute(
                "INSERT INTO event_action (event_id, action, from_status, to_status, actor, role)"
                " VALUES (%s, 'accept', 'reported', 'accepted', 'old', 'admin')",
                (eid,),
            )
            cur.execute("UPDATE event SET status = 'accepted' WHERE id = %s", (eid,))
        cur.execute(
            "UPDATE event_daily SET status = 'accepted' WHERE status = 'reported'"
        )  # both moved together: the rollup stays exact
    before = svc.db.cursor_fetchall(
        "SELECT id, content_sha256, reporter_id, client_event_id FROM event ORDER BY id"
    )

    applied = migrate_mod.migrate(svc.db).applied
    assert applied == [f"{m.version:04d}_{m.name}" for m in migrations() if m.version >= 6]
    assert applied[0] == "0006_citus_keys"

    rows = svc.db.cursor_fetchall("SELECT id, community_code FROM event ORDER BY id")
    assert rows[1] == (outside, "")  # NULL became ''
    assert rows[0][1] == "320102002001"
    keys = svc.db.cursor_fetchall(
        "SELECT event_id, encode(content_sha256, 'hex'), reporter_id, client_event_id"
        " FROM event_key ORDER BY event_id"
    )
    assert keys == before  # the key and the digest moved to event_key unchanged
    assert key_mismatches(svc.db) == []
    for filled in (
        svc.db.cursor_fetchall("SELECT event_id, community_code FROM dispatch ORDER BY event_id"),
        svc.db.cursor_fetchall(
            "SELECT event_id, community_code FROM event_action ORDER BY event_id"
        ),
    ):
        assert filled == [(inside, "320102002001"), (outside, "")]
    assert rollup_differences(svc.db) == {}

    # the code of today works on the converted rows: replays, conflicts, reads, actions
    again = store.create_event(svc, _report(svc, "old-inside"))
    assert (again.created, again.event["id"]) == (False, inside)
    old_outside = store.create_event(svc, _report(svc, "old-outside"))
    assert (old_outside.created, old_outside.event["id"]) == (False, outside)
    assert old_outside.event["grid"]["community_code"] is None  # '' is shown as null
    assert store.get_event(svc, outside)["grid"]["community_code"] is None
    with pytest.raises(DuplicateConflict):
        store.create_event(svc, _report(svc, "old-inside", title="别的"))
    principal = _principal(svc)
    apply_action(
        svc, outside, ActionRequest(action="dispatch", department="fire_rescue"), principal
    )
    assert [h["action"] for h in history(svc, outside)] == ["accept", "dispatch"]
    assert len(dispatches(svc, outside)) == 2
    new = store.create_event(svc, _report(svc, "new-after-0006"))
    assert new.created and new.event["id"] > outside
    assert duplicate_keys(svc.db) == []
    assert key_mismatches(svc.db) == []
    assert rollup_differences(svc.db) == {}


def _principal(svc: Gridsvc) -> Any:
    from gridsvc.access import authenticate, create_token

    _, token = create_token(svc.db, role="admin", name=ADMIN_NAME)
    return authenticate(svc.db, f"Bearer {token}")


def test_event_action_stays_append_only(svc: Gridsvc) -> None:
    """The history may follow its event to another community, and nothing else."""
    created = store.create_event(svc, _report(svc, "append-only"))
    eid = int(created.event["id"])
    apply_action(svc, eid, ActionRequest(action="accept"), _principal(svc))
    url = svc.settings.db.database_url
    assert url
    for statement in (
        "UPDATE event_action SET note = 'changed' WHERE event_id = %s",
        "UPDATE event_action SET community_code = '', note = 'x' WHERE event_id = %s",
        "DELETE FROM event_action WHERE event_id = %s",
    ):
        conn = psycopg2.connect(url)
        try:
            with (
                pytest.raises(psycopg2.errors.RaiseException, match="append-only"),
                conn.cursor() as cur,
            ):
                cur.execute(statement, (eid,))
        finally:
            conn.close()
