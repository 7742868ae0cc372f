"""Taking events in, one at a time: assignment, idempotency, duplicates, every bad-input rule."""

from __future__ import annotations

import contextlib
import dataclasses
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import psycopg2.extensions
import pytest
import shapely

from gridsvc import crs
from gridsvc.errors import DuplicateConflict, InvalidInput
from gridsvc.events import store
from gridsvc.events.generate import BEIJING, DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.events.keyset import ListPosition
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from gridsvc.sql import query


def _point(svc: Gridsvc, code: str) -> shapely.Point:
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    point = units.set_index("code").at[code, "geometry"].representative_point()
    assert isinstance(point, shapely.Point)
    return point


def _report(svc: Gridsvc, **overrides: Any) -> dict[str, Any]:
    p = _point(svc, "320105001001")
    base: dict[str, Any] = {
        "client_event_id": "app-0001",
        "reporter_id": "gw-320105001001-1",
        "category": "hazard.ebike_charging",
        "title": "楼道电动车充电",
        "description": "3号楼楼道内有电动车充电",
        "occurred_at": "2026-11-20T08:30:00+08:00",
        "lon": p.x,
        "lat": p.y,
        "crs": "wgs84",
        "accuracy_m": 8,
        "source": "grid_worker",
        "address": "建邺区某小区3号楼",
        "media": ["https://example.invalid/1.jpg"],
        "attributes": {"indoor": True},
    }
    base.update(overrides)
    return base


def _count(svc: Gridsvc, table: str = "event") -> int:
    (n,) = svc.db.cursor_fetchall(f"SELECT count(*) FROM {table}")[0]  # noqa: S608 - fixed
    return int(n)


def test_a_report_is_stored_with_its_grids_in_one_transaction(svc: Gridsvc) -> None:
    result = store.create_event(svc, _report(svc))
    assert result.created
    event = result.event
    assert event["grid"]["community_code"] == "320105001001"
    assert event["grid"]["street_code"] == "320105001"
    assert event["grid"]["district_code"] == "320105" and event["grid"]["sector_code"] == "S320105"
    assert event["status"] == "reported"
    assert event["urgency"] == "normal"  # the category's default
    fire = store.create_event(
        svc, _report(svc, client_event_id="f1", category="hazard.fire", attributes={})
    )
    assert fire.event["urgency"] == "urgent"  # hazard.fire defaults to urgent
    assert event["occurred_at"] == "2026-11-20T08:30:00+08:00"  # shown in Asia/Shanghai
    assert event["location"]["sent"]["crs"] == "wgs84"
    # the rollup counts it on its Beijing day
    rows = svc.db.cursor_fetchall(
        "SELECT community_code, category, status, day, n FROM event_daily ORDER BY category"
    )
    assert [(r[0], r[1], r[2], str(r[3]), r[4]) for r in rows] == [
        ("320105001001", "hazard.ebike_charging", "reported", "2026-11-20", 1),
        ("320105001001", "hazard.fire", "reported", "2026-11-20", 1),
    ]


def test_a_replay_returns_the_original_and_a_changed_replay_is_a_conflict(
    svc: Gridsvc,
) -> None:
    first = store.create_event(svc, _report(svc))
    again = store.create_event(svc, _report(svc))
    assert again.created is False and again.event["id"] == first.event["id"]
    assert _count(svc) == 1
    with pytest.raises(DuplicateConflict) as caught:
        store.create_event(svc, _report(svc, title="另一件事"))
    assert caught.value.details["event_id"] == first.event["id"]
    assert _count(svc) == 1
    (n,) = svc.db.cursor_fetchall("SELECT sum(n) FROM event_daily")[0]
    assert n == 1
    # the same client id from another reporter is another report
    other = store.create_event(svc, _report(svc, reporter_id="gw-2"))
    assert other.created and _count(svc) == 2


@pytest.mark.parametrize("system", [crs.Crs.GCJ02, crs.Crs.BD09, crs.Crs.CGCS2000])
def test_events_sent_in_other_systems_land_in_the_same_community(
    svc: Gridsvc, system: crs.Crs
) -> None:
    p = _point(svc, "320106001003")
    x, y = crs.from_wgs84(p.x, p.y, system)
    result = store.create_event(
        svc, _report(svc, lon=x, lat=y, crs=system.value, client_event_id=f"c-{system.value}")
    )
    assert result.event["grid"]["community_code"] == "320106001003"
    assert abs(result.event["location"]["lon_wgs84"] - p.x) < 1e-7
    assert result.event["location"]["sent"] == {"lon": x, "lat": y, "crs": system.value}


def test_possible_duplicates_are_offered_on_create(svc: Gridsvc) -> None:
    p = _point(svc, "320105001001")
    first = store.create_event(svc, _report(svc))
    near = store.create_event(
        svc, _report(svc, client_event_id="app-0002", lon=p.x + 0.0003, lat=p.y)
    )  # ~30 m east
    assert [d["id"] for d in near.possible_duplicates] == [first.event["id"]]
    assert 20 < near.possible_duplicates[0]["distance_m"] < 40
    other_kind = store.create_event(
        svc, _report(svc, client_event_id="app-0003", category="hazard.fire", attributes={})
    )
    assert other_kind.possible_duplicates == []
    later = store.create_event(
        svc, _report(svc, client_event_id="app-0004", occurred_at="2026-11-25T08:30:00+08:00")
    )
    assert later.possible_duplicates == []  # outside the 72 h window


def _rejected(svc: Gridsvc, **overrides: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        store.create_event(svc, _report(svc, **overrides))
    assert _count(svc) == 0 and _count(svc, "event_daily") == 0  # nothing partial stored
    return caught.value


def test_bad_reports_name_the_field_the_value_and_what_is_expected(svc: Gridsvc) -> None:
    e = _rejected(svc, category="hazard.fir")
    assert e.field == "category" and "hazard.fire" in e.message
    e = _rejected(svc, occurred_at="2026-11-20 08:30:00")
    assert e.field == "occurred_at" and "no time zone" in e.message
    future = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    e = _rejected(svc, occurred_at=future)
    assert e.field == "occurred_at" and "future" in e.message
    e = _rejected(svc, occurred_at="yesterday")
    assert e.field == "occurred_at" and "ISO 8601" in e.message
    e = _rejected(svc, crs="utm50")
    assert e.field == "crs" and "gcj02" in e.message
    e = _rejected(svc, urgency="very")
    assert e.field == "urgency" and "critical" in e.message
    e = _rejected(svc, source="twitter")
    assert e.field == "source" and "hotline" in e.message
    e = _rejected(svc, lon=118.0, lat=32.0)
    assert e.field == "lon" and "outside every grid" in e.message and "m away" in e.message
    p = _point(svc, "320105001001")
    e = _rejected(svc, lon=p.y, lat=p.x)
    assert "swapped" in (e.hint or "") + e.message
    e = _rejected(svc, attributes={"colour": "red"})
    assert e.field == "attributes.colour"
    e = _rejected(svc, title="长" * 201)
    assert e.field == "title" and "200" in e.message
    e = _rejected(svc, lon="abc")
    assert e.field == "lon" and "not a number" in e.message


def test_listing_filters_by_grid_category_time_and_pages_by_keyset(svc: Gridsvc) -> None:
    codes = ["320105001001", "320106001003", "320111001005"]
    ids = {}
    for i in range(9):
        code = codes[i % 3]
        p = _point(svc, code)
        category = "hazard.fire" if i % 2 else "dispute.neighbour"
        ids[i] = store.create_event(
            svc,
            _report(
                svc,
                client_event_id=f"k{i}",
                lon=p.x,
                lat=p.y,
                category=category,
                attributes={},
                occurred_at=f"2026-11-{10 + i:02d}T10:00:00+08:00",
            ),
        ).event["id"]
    page, cursor = store.list_events(svc, store.EventFilter(limit=4))
    seen = [e["id"] for e in page]
    while cursor is not None:
        page, cursor = store.list_events(svc, store.EventFilter(limit=4, after=cursor))
        seen += [e["id"] for e in page]
    assert seen == sorted(ids.values(), reverse=True)  # occurred_at follows the ids here
    by_grid = store.list_events(svc, store.EventFilter(grid="320106"))[0]
    assert sorted(e["id"] for e in by_grid) == [ids[1], ids[4], ids[7]]
    by_sector = store.list_events(svc, store.EventFilter(grid="SJBXQ"))[0]
    assert sorted(e["id"] for e in by_sector) == [ids[2], ids[5], ids[8]]
    by_cat = store.list_events(svc, store.EventFilter(categories=("hazard.fire",)))[0]
    assert sorted(e["id"] for e in by_cat) == [ids[1], ids[3], ids[5], ids[7]]
    window = store.EventFilter(
        occurred_from=datetime.fromisoformat("2026-11-12T00:00:00+08:00"),
        occurred_to=datetime.fromisoformat("2026-11-14T00:00:00+08:00"),
    )
    assert sorted(e["id"] for e in store.list_events(svc, window)[0]) == [ids[2], ids[3]]
    with pytest.raises(InvalidInput, match="not a grid code"):
        store.list_events(svc, store.EventFilter(grid="32010"))


def test_a_replay_is_answered_even_after_the_taxonomy_changed(svc: Gridsvc) -> None:
    from gridsvc.events.taxonomy_db import store_taxonomy
    from gridsvc.events.taxonomy_file import default_taxonomy, parse_taxonomy

    first = store.create_event(svc, _report(svc))
    smaller = default_taxonomy().to_dict()
    smaller["categories"] = [
        c for c in smaller["categories"] if not c["code"].startswith("hazard.ebike")
    ]
    with svc.db.connection() as conn:
        store_taxonomy(conn, parse_taxonomy(smaller, origin="test"))
    again = store.create_event(svc, _report(svc))  # the category is retired now
    assert again.created is False and again.event["id"] == first.event["id"]
    with pytest.raises(InvalidInput, match="Unknown category"):
        store.create_event(svc, _report(svc, client_event_id="new-one"))


def test_the_same_report_sent_by_the_app_and_in_a_file_is_one_event(svc: Gridsvc) -> None:
    import io

    from gridsvc.events.importer import import_events

    report = _report(svc, attributes={"indoor": True}, media=[])
    first = store.create_event(svc, report)
    header = (
        "client_event_id,reporter_id,category,title,description,occurred_at,lon,lat,"
        "crs,accuracy_m,source,address,attributes"
    )
    row = (
        f"{report['client_event_id']},{report['reporter_id']},{report['category']},"
        f"{report['title']},{report['description']},{report['occurred_at']},"
        f"{report['lon']},{report['lat']},wgs84,{report['accuracy_m']},grid_worker,"
        f'{report["address"]},"{{""indoor"": true}}"'
    )
    result = import_events(
        svc, io.BytesIO((header + "\n" + row + "\n").encode()), filename="same.csv"
    )
    assert result.already_stored == 1 and result.stored == 0 and result.rejected == 0
    assert _count(svc) == 1 and first.created


def test_the_rollup_day_is_the_beijing_day(svc: Gridsvc) -> None:
    # 23:30 UTC on the 19th is 07:30 on the 20th in Beijing; 15:59:59 UTC is 23:59:59
    for cid, when in (
        ("d1", "2026-11-19T23:30:00Z"),
        ("d2", "2026-11-20T15:59:59Z"),
        ("d3", "2026-11-20T16:00:00Z"),
    ):
        store.create_event(svc, _report(svc, client_event_id=cid, occurred_at=when))
    rows = svc.db.cursor_fetchall(
        "SELECT day::text, sum(n) FROM event_daily GROUP BY day ORDER BY day"
    )
    assert rows == [("2026-11-20", 2), ("2026-11-21", 1)]


class _RecordingCursor(psycopg2.extensions.cursor):
    """A cursor that keeps the text of every statement it ran."""

    statements: ClassVar[list[str]] = []

    def execute(self, query: Any, vars: Any = None) -> None:
        super().execute(query, vars)
        assert self.query is not None
        _RecordingCursor.statements.append(self.query.decode())


def test_a_list_of_a_past_window_is_one_index_range_and_pages_exactly(
    svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A window in the past and a recent one are listed alike: ordered by the time the
    events occurred (``event_category_time_id`` for one category, migration 0015); either way
    the pages are exactly the window's events, latest first (checked against a reading of
    every event)."""
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    end = datetime(2026, 11, 15, tzinfo=BEIJING)
    past = store.EventFilter(
        occurred_from=end - timedelta(days=60), occurred_to=end - timedelta(days=45)
    )
    recent = store.EventFilter(occurred_from=end - timedelta(days=10), occurred_to=end)
    buffer = io.BytesIO()
    write_events_csv(
        buffer, generate_events(units, DEFAULT_MIX, count=3_000, days=60, seed=11, end=end)
    )
    buffer.seek(0)
    assert import_events(svc, buffer, filename="window.csv").stored == 3_000
    svc.db.cursor_fetchall(query("analyze_events"))  # the planner's statistics
    rows = svc.db.cursor_fetchall("SELECT id, category, occurred_at FROM event")
    category = "environment.sanitation"

    # list_events runs one statement, ordered by the time and then the id
    real_connection = svc.db.connection

    @contextlib.contextmanager
    def recording() -> Iterator[Any]:
        with real_connection() as conn:
            conn.cursor_factory = _RecordingCursor
            try:
                yield conn
            finally:
                conn.cursor_factory = psycopg2.extensions.cursor

    monkeypatch.setattr(svc.db, "connection", recording)
    for flt in (past, recent):
        _RecordingCursor.statements.clear()
        store.list_events(svc, dataclasses.replace(flt, categories=(category,)))
        (statement,) = _RecordingCursor.statements
        assert "ORDER BY e.occurred_at DESC, e.id DESC" in statement
        assert f"\"category\" = '{category}'" in statement  # one category: "=", not ANY
    monkeypatch.undo()

    for window in (past, recent):
        expected = [
            i
            for t, i, c in sorted(((t, i, c) for i, c, t in rows), reverse=True)
            if c == category and window.occurred_from <= t < window.occurred_to  # type: ignore[operator]
        ]
        assert len(expected) > 60  # more than one page
        seen: list[int] = []
        cursor: ListPosition | None = None
        while True:
            flt = store.EventFilter(
                categories=(category,),
                occurred_from=window.occurred_from,
                occurred_to=window.occurred_to,
                limit=50,
                after=cursor,
            )
            page, cursor = store.list_events(svc, flt)
            seen += [e["id"] for e in page]
            if cursor is None:
                break
        assert seen == expected
