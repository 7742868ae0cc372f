"""The dispatch console over HTTP: who lands where, who may open the queue and an event's
page (the API's own scope check: another street's event is not found), and the queue's
counts endpoint, which takes the event list's filters and answers within the caller's area.
The browser tests (tests/e2e/test_dispatch_browser.py) drive the same pages in Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from gridsvc import users
from gridsvc.access import create_token
from gridsvc.service import Gridsvc
from tests.api.conftest import bearer
from tests.api.test_console import PASSWORD, sign_in
from web.labels import ZH_CN

ACCOUNTS: dict[str, dict[str, Any]] = {
    "street": {"role": "dispatcher", "scope_code": "320102002"},
    "other": {"role": "dispatcher", "scope_code": "320102003"},
    "fire": {"role": "department", "department_code": "fire_rescue"},
    "gw": {"role": "grid_worker", "scope_code": "320102002001"},
    "ana": {"role": "analyst"},
}


@pytest.fixture(scope="module")
def world(module_svc: Gridsvc) -> Iterator[dict[str, Any]]:
    svc = module_svc
    for name, rights in ACCOUNTS.items():
        users.create_user(svc.db, username=name, password=PASSWORD, **rights)
    admin = bearer(create_token(svc.db, role="admin", name="boss")[1])
    app = create_app(svc.settings, service=svc)
    with TestClient(app, follow_redirects=False) as c:
        ids = {}
        for street in ("320102002", "320102003"):
            unit = c.get(f"/v1/grids/{street}", headers=admin).json()
            lon, lat = _inside(unit)
            r = c.post(
                "/v1/events",
                headers=admin,
                json={
                    "client_event_id": f"q-{street}",
                    "reporter_id": "gw",
                    "category": "hazard.fire",
                    "title": f"楼道堆放杂物 {street}",
                    "occurred_at": "2026-11-28T09:30:00+08:00",
                    "lon": lon,
                    "lat": lat,
                },
            )
            assert r.status_code == 201, r.text
            ids[street] = r.json()["event"]["id"]
        yield {"svc": svc, "app": app, "admin": admin, "ids": ids}


def _inside(unit: dict[str, Any]) -> tuple[float, float]:
    from shapely.geometry import shape

    p = shape(unit["geometry"]).representative_point()
    return p.x, p.y


@pytest.fixture
def client(world: dict[str, Any]) -> Iterator[TestClient]:
    with TestClient(world["app"], follow_redirects=False) as c:
        yield c


@pytest.mark.parametrize(
    ("name", "home"),
    [("street", "/dispatch"), ("fire", "/dispatch"), ("gw", "/field"), ("ana", "/console/map")],
)
def test_each_role_lands_on_its_page(client: TestClient, name: str, home: str) -> None:
    answer = sign_in(client, name)
    assert answer.headers["location"] == home  # type: ignore[attr-defined]


def test_the_queue_is_for_dispatchers_and_departments(client: TestClient) -> None:
    assert client.get("/dispatch").headers["location"].startswith("/login?next=/dispatch")
    sign_in(client, "gw")
    refused = client.get("/dispatch")
    assert refused.status_code == 403 and ZH_CN["forbidden_page"] in refused.text
    for name in ("street", "fire"):
        sign_in(client, name)
        page = client.get("/dispatch")
        assert page.status_code == 200
        assert ZH_CN["dispatch_queue"] in page.text and ZH_CN["status_reported"] in page.text
        assert "/static/console/dispatch.js" in page.text


def test_another_streets_event_page_is_not_found(client: TestClient, world: dict[str, Any]) -> None:
    mine, theirs = world["ids"]["320102002"], world["ids"]["320102003"]
    sign_in(client, "street")
    assert client.get(f"/dispatch/events/{mine}").status_code == 200
    hidden = client.get(f"/dispatch/events/{theirs}")
    assert hidden.status_code == 404 and ZH_CN["event_not_visible"] in hidden.text
    assert client.get(f"/v1/events/{theirs}").status_code == 403  # the same check
    assert client.get("/dispatch/events/999999999").status_code == 404
    sign_in(client, "other")
    assert client.get(f"/dispatch/events/{theirs}").status_code == 200


def test_counts_are_of_the_callers_area(client: TestClient, world: dict[str, Any]) -> None:
    sign_in(client, "street")
    mine = client.get("/v1/events/counts").json()
    assert mine["by_status"]["reported"] == 1 and mine["open"] == 1
    assert set(mine["by_status"]) == {
        "reported",
        "accepted",
        "dispatched",
        "in_progress",
        "resolved",
        "verified",
    }
    city = client.get("/v1/events/counts", headers=world["admin"]).json()
    assert city["by_status"]["reported"] == 2
    sign_in(client, "fire")  # nothing dispatched to the fire brigade yet
    assert client.get("/v1/events/counts").json()["open"] == 0


def test_counts_take_the_lists_filters_and_refuse_bad_ones(
    client: TestClient, world: dict[str, Any]
) -> None:
    h = world["admin"]
    day = "from=2026-11-28T00:00:00%2B08:00&to=2026-11-29T00:00:00%2B08:00"
    assert client.get(f"/v1/events/counts?{day}", headers=h).json()["open"] == 2
    assert client.get("/v1/events/counts?grid=320102003", headers=h).json()["open"] == 1
    assert client.get("/v1/events/counts?category=dispute", headers=h).json()["open"] == 0
    bad = client.get("/v1/events/counts?grid=abc", headers=h)
    assert bad.status_code == 400 and bad.json()["field"] == "grid"
    assert client.get("/v1/events/counts?urgency=soon", headers=h).status_code == 400
    assert client.get("/v1/events/counts?limit=5", headers=h).status_code == 400  # not a tab's
