"""The event list's keyset cursor over HTTP (issue #24): ``/v1/events`` and the OGC API
``events`` items page in ``(occurred_at DESC, id DESC)`` order by following ``next`` (the
token unchanged, or the ``next`` link), cover the selection exactly, and answer a malformed
or edited cursor with a 400 in the caller's language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.schemas import ErrorOut
from gridsvc.access import create_token
from gridsvc.service import Gridsvc
from tests.api.conftest import bearer
from tests.api.test_events_api import _body

TIMES = [  # out of the order they are stored in; three at one instant
    "2026-11-20T08:00:00+08:00",
    "2026-11-18T08:00:00+08:00",
    "2026-11-19T08:00:00+08:00",
    "2026-11-21T08:00:00+08:00",
    "2026-11-19T08:00:00+08:00",
    "2026-11-17T08:00:00+08:00",
    "2026-11-19T00:00:00Z",
    "2026-11-16T08:00:00+08:00",
]


@pytest.fixture(scope="module")
def listed(module_svc: Gridsvc) -> Iterator[tuple[TestClient, list[int]]]:
    token = create_token(module_svc.db, role="admin", name="cursor-admin")[1]
    with TestClient(create_app(module_svc.settings, service=module_svc)) as client:
        client.headers.update(bearer(token))
        ids = []
        for i, when in enumerate(TIMES):
            r = client.post(
                "/v1/events", json=_body(client, client_event_id=f"c{i}", occurred_at=when)
            )
            assert r.status_code == 201, r.text
            ids.append(int(r.json()["event"]["id"]))
        yield client, ids


def _oracle(svc: Gridsvc) -> list[int]:
    rows = svc.db.cursor_fetchall("SELECT id FROM event ORDER BY occurred_at DESC, id DESC")
    return [int(r[0]) for r in rows]


def test_next_round_trips_through_after_in_time_order(
    listed: tuple[TestClient, list[int]], module_svc: Gridsvc
) -> None:
    client, ids = listed
    expected = _oracle(module_svc)
    assert sorted(expected) == sorted(ids) and expected != sorted(ids, reverse=True)
    seen: list[int] = []
    params: dict[str, Any] = {"limit": 3}
    tokens = []
    while True:
        r = client.get("/v1/events", params=params)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
        body = r.json()
        assert 0 < len(body["features"]) <= 3
        seen += [f["id"] for f in body["features"]]
        if body["next"] is None:
            break
        assert isinstance(body["next"], str) and len(body["next"]) == 28
        tokens.append(body["next"])
        params = {"limit": 3, "after": body["next"]}
    assert seen == expected and len(tokens) == 2
    # the same cursor gives the same page again (a reload), in CSV too
    again = client.get("/v1/events", params={"limit": 3, "after": tokens[0]}).json()
    assert [f["id"] for f in again["features"]] == expected[3:6]
    csv = client.get("/v1/events", params={"limit": 3, "after": tokens[0], "format": "csv"})
    assert csv.status_code == 200
    assert [int(line.split(",")[0]) for line in csv.text.splitlines()[1:]] == expected[3:6]


@pytest.mark.parametrize(
    ("lang", "header", "words"),
    [("zh", "zh-CN", "翻页位置"), ("en", "en", "page cursor")],
)
def test_a_bad_cursor_is_a_400_in_the_callers_language(
    listed: tuple[TestClient, list[int]], lang: str, header: str, words: str
) -> None:
    client, _ = listed
    good = client.get("/v1/events", params={"limit": 1}).json()["next"]
    edited = good[:5] + ("A" if good[5] != "A" else "B") + good[6:]
    for bad in ("12345", edited, good[:-2], "%%%"):
        r = client.get("/v1/events", params={"after": bad}, headers={"Accept-Language": header})
        assert r.status_code == 400, (bad, r.text)
        body = ErrorOut.model_validate(r.json())
        assert body.error == "InvalidInput" and body.message_id == "event.bad_cursor"
        assert body.field == "after" and words in body.message and body.hint
    too_long = client.get("/v1/events", params={"after": "A" * 65})
    assert too_long.status_code == 422  # the parameter's own bound


def test_ogc_items_follow_the_next_link_in_time_order(
    listed: tuple[TestClient, list[int]], module_svc: Gridsvc
) -> None:
    client, _ = listed
    url: str | None = "/ogc/collections/events/items?limit=3&f=json"
    seen: list[int] = []
    while url is not None:
        r = client.get(url)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [f["id"] for f in body["features"]]
        nxt = [
            link["href"]
            for link in body["links"]
            if link["rel"] == "next" and link["type"] == "application/geo+json"
        ]
        url = nxt[0].replace(str(client.base_url), "") if nxt else None
    assert seen == _oracle(module_svc)
    bad = client.get(
        "/ogc/collections/events/items",
        params={"cursor": "12345", "f": "json"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert bad.status_code == 400 and bad.json()["field"] == "cursor"
    assert bad.json()["message_id"] == "event.bad_cursor"
