"""Event lists in time order with a keyset cursor (issue #24): the order is exactly
``(occurred_at DESC, id DESC)``, ties included; following ``next`` covers the selection with
no event twice and none missing, also when events are stored between two pages; a cursor
survives its round trip and a malformed or edited one is refused."""

from __future__ import annotations

import base64
import dataclasses
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from gridsvc.errors import InvalidInput
from gridsvc.events import keyset, store
from gridsvc.events.generate import BEIJING, DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.events.keyset import ListPosition
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from tests.core.test_events import _point, _report

TIMES = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(TIMES, st.integers(min_value=1, max_value=2**63 - 1))
@example(datetime(1970, 1, 1, tzinfo=UTC), 1)
@example(datetime(1900, 1, 1, tzinfo=UTC), 2**63 - 1)
def test_a_cursor_round_trips_and_is_url_safe(when: datetime, event_id: int) -> None:
    token = keyset.encode(ListPosition(when, event_id))
    assert len(token) == 28 and set(token) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert keyset.decode(token, "after") == ListPosition(when, event_id)


def test_a_cursor_keeps_the_instant_whatever_the_zone() -> None:
    beijing = datetime(2026, 11, 20, 8, 30, 0, 123456, tzinfo=BEIJING)
    back = keyset.decode(keyset.encode(ListPosition(beijing, 7)), "after")
    assert back.occurred_at == beijing and back.id == 7


def _edited(token: str) -> list[str]:
    """``token`` with each character in turn replaced by another base64url character."""
    out = []
    for i, ch in enumerate(token):
        other = "A" if ch != "A" else "B"
        out.append(token[:i] + other + token[i + 1 :])
    return out


def _forged(version: int, micros: int, event_id: int) -> str:
    body = keyset._BODY.pack(version, micros, event_id)
    return base64.urlsafe_b64encode(body + keyset._check(body)).rstrip(b"=").decode()


def test_a_malformed_or_edited_cursor_is_refused_naming_the_field() -> None:
    good = keyset.encode(ListPosition(datetime(2026, 11, 20, tzinfo=UTC), 12345))
    bad = [
        "",
        "12345",  # the id cursor of before
        "not a cursor!",
        good[:-1],
        good[:-4],
        good + "A",
        good + "=",
        "x" * 65,
        base64.urlsafe_b64encode(b"\x01" * 21).decode(),  # right length, wrong check
        _forged(2, 0, 1),  # another version, its check right
        _forged(1, 0, 0),  # no event has id 0
        _forged(1, 2**62, 1),  # an instant no datetime holds
        *_edited(good),
    ]
    for token in bad:
        with pytest.raises(InvalidInput) as caught:
            keyset.decode(token, "cursor")
        assert caught.value.message_id == "event.bad_cursor", token
        assert caught.value.field == "cursor"
        assert caught.value.to_dict("zh")["message"].startswith("翻页位置")


def _all_pages(svc: Gridsvc, flt: store.EventFilter) -> list[list[dict[str, Any]]]:
    pages = []
    while True:
        page, nxt = store.list_events(svc, flt)
        pages.append(page)
        if nxt is None:
            return pages
        flt = dataclasses.replace(flt, after=nxt)


def _expected(svc: Gridsvc, where: str = "TRUE", params: Any = None) -> list[int]:
    """Every event's id in list order, read by a plain SQL sort (the oracle)."""
    rows = svc.db.cursor_fetchall(
        f"SELECT id FROM event WHERE {where} ORDER BY occurred_at DESC, id DESC",  # noqa: S608
        params,
    )
    return [int(r[0]) for r in rows]


def _store(svc: Gridsvc, key: str, occurred_at: str, **extra: Any) -> int:
    p = _point(svc, "320105001001")
    report = _report(svc, client_event_id=key, occurred_at=occurred_at, lon=p.x, lat=p.y, **extra)
    return int(store.create_event(svc, report).event["id"])


def test_the_order_is_exact_with_ties_and_ids_out_of_time_order(svc: Gridsvc) -> None:
    # stored out of time order (a late report of an old event gets a high id), five of them
    # at the same instant: the list follows occurred_at, then the id downwards
    times = [
        "2026-11-20T08:00:00+08:00",
        "2026-11-18T08:00:00+08:00",
        "2026-11-19T08:00:00+08:00",
        "2026-11-19T08:00:00+08:00",
        "2026-11-21T08:00:00+08:00",
        "2026-11-19T08:00:00+08:00",
        "2026-11-17T08:00:00+08:00",
        "2026-11-19T00:00:00Z",  # the same instant as 08:00 in Beijing
        "2026-11-19T08:00:00.000001+08:00",
        "2026-11-19T08:00:00+08:00",
    ]
    ids = [_store(svc, f"tie-{i}", t) for i, t in enumerate(times)]
    expected = sorted(
        ids, key=lambda i: (datetime.fromisoformat(times[ids.index(i)]), i), reverse=True
    )
    assert expected == _expected(svc)
    assert expected != sorted(ids, reverse=True)  # the id order of before would differ
    for limit in (1, 2, 3, 4, 10, 11):
        pages = _all_pages(svc, store.EventFilter(limit=limit))
        assert [e["id"] for p in pages for e in p] == expected, limit
        assert all(len(p) == limit for p in pages[:-1]) and 0 < len(pages[-1]) <= limit
    # the page that ends in the middle of the five equal times goes on with the rest of them
    first, nxt = store.list_events(svc, store.EventFilter(limit=4))
    assert nxt is not None and nxt.id == first[-1]["id"]
    assert nxt.occurred_at == datetime.fromisoformat("2026-11-19T08:00:00+08:00")
    rest, _ = store.list_events(svc, store.EventFilter(limit=100, after=nxt))
    assert [e["id"] for e in first + rest] == expected


def test_pages_miss_nothing_and_repeat_nothing_while_reports_arrive(svc: Gridsvc) -> None:
    base = datetime(2026, 11, 1, tzinfo=BEIJING)
    ids = [
        _store(svc, f"a-{i}", (base + timedelta(hours=i % 13, minutes=i // 13)).isoformat())
        for i in range(40)
    ]
    flt = store.EventFilter(limit=7)
    seen: list[int] = []
    arrived_below: list[int] = []
    arrived_above: list[int] = []
    n = 0
    while True:
        page, nxt = store.list_events(svc, flt)
        seen += [e["id"] for e in page]
        if nxt is None:
            break
        # between pages: one report newer than the page's end (the list has passed its
        # place: the next pages do not show it), one older and one at the very same
        # instant (a higher id sorts above the cursor: not shown; so the tie is exact)
        n += 1
        arrived_above.append(
            _store(svc, f"new-{n}", (nxt.occurred_at + timedelta(minutes=1)).isoformat())
        )
        arrived_above.append(_store(svc, f"tie-{n}", nxt.occurred_at.isoformat()))
        arrived_below.append(
            _store(svc, f"old-{n}", (base - timedelta(days=1, minutes=n)).isoformat())
        )
        flt = dataclasses.replace(flt, after=nxt)
    assert len(seen) == len(set(seen))  # no event twice
    assert set(seen) == set(ids) | set(arrived_below)  # none missing, none passed shown
    assert seen == [i for i in _expected(svc) if i in set(seen)]  # in list order
    assert not set(seen) & set(arrived_above)


@pytest.fixture(scope="module")
def generated(module_svc: Gridsvc) -> Gridsvc:
    units = grid_store.read_units(module_svc.db, grid_store.active_version(module_svc.db).id)
    end = datetime(2026, 11, 15, tzinfo=BEIJING)
    buffer = io.BytesIO()
    write_events_csv(
        buffer, generate_events(units, DEFAULT_MIX, count=3_000, days=60, seed=11, end=end)
    )
    buffer.seek(0)
    assert import_events(module_svc, buffer, filename="keyset.csv").stored == 3_000
    module_svc.db.cursor_fetchall(query("analyze_events"))
    return module_svc


END = datetime(2026, 11, 15, tzinfo=BEIJING)
PAST = (END - timedelta(days=60), END - timedelta(days=45))
CASES: dict[str, tuple[store.EventFilter, str, dict[str, Any]]] = {
    "everything": (store.EventFilter(), "TRUE", {}),
    "one category, a window in the past": (
        store.EventFilter(
            categories=("environment.sanitation",), occurred_from=PAST[0], occurred_to=PAST[1]
        ),
        "category = 'environment.sanitation' AND occurred_at >= %(f)s AND occurred_at < %(t)s",
        {"f": PAST[0], "t": PAST[1]},
    ),
    "a group of categories": (
        store.EventFilter(categories=("hazard.fire", "hazard.gas", "dispute.family")),
        "category IN ('hazard.fire', 'hazard.gas', 'dispute.family')",
        {},
    ),
    "one day of every category": (
        store.EventFilter(
            occurred_from=END - timedelta(days=3), occurred_to=END - timedelta(days=2)
        ),
        "occurred_at >= %(f)s AND occurred_at < %(t)s",
        {"f": END - timedelta(days=3), "t": END - timedelta(days=2)},
    ),
    "a district since a date": (
        store.EventFilter(grid="320102", occurred_from=END - timedelta(days=30)),
        "district_code = '320102' AND occurred_at >= %(f)s",
        {"f": END - timedelta(days=30)},
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_filter_pages_exactly_its_selection_in_time_order(
    generated: Gridsvc, name: str
) -> None:
    flt, where, params = CASES[name]
    expected = _expected(generated, where, params)
    assert len(expected) > 50, name  # more than a page
    pages = _all_pages(generated, dataclasses.replace(flt, limit=50))
    assert [e["id"] for p in pages for e in p] == expected
    times = [e["occurred_at"] for p in pages for e in p]
    assert times == sorted(times, reverse=True)
