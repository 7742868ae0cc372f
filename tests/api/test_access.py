"""The access matrix: every role × endpoint × in-scope and out-of-scope data.

Two events: A in community 320102002001 (玄武区, street 320102002), B in 320111001005
(浦口区 but 江北新区). A is dispatched to `housing`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from api import create_app
from gridsvc.access import create_token
from gridsvc.service import Gridsvc
from tests.api.conftest import bearer

ROLES = {
    "worker_in": dict(role="grid_worker", name="gw-a", scope_code="320102002001"),
    "worker_street": dict(role="grid_worker", name="gw-s", scope_code="320102002"),
    "worker_out": dict(role="grid_worker", name="gw-b", scope_code="320111001005"),
    "dispatcher_district": dict(role="dispatcher", name="d-xw", scope_code="320102"),
    "dispatcher_sector": dict(role="dispatcher", name="d-jb", scope_code="SJBXQ"),
    "dispatcher_city": dict(role="dispatcher", name="d-nj", scope_code="320100"),
    "dept_in": dict(role="department", name="housing", department_code="housing"),
    "dept_out": dict(role="department", name="police", department_code="police"),
    "analyst": dict(role="analyst", name="an"),
    "admin": dict(role="admin", name="root"),
}


@pytest.fixture(scope="module")
def matrix(module_svc: Gridsvc) -> Iterator[dict[str, Any]]:
    svc = module_svc
    tokens = {k: create_token(svc.db, **v)[1] for k, v in ROLES.items()}
    with TestClient(create_app(svc.settings, service=svc)) as client:

        def point(code: str) -> shapely.Point:
            unit = client.get(f"/v1/grids/{code}", headers=bearer(tokens["admin"])).json()
            p = shape(unit["geometry"]).representative_point()
            assert isinstance(p, shapely.Point)
            return p

        ids = {}
        for name, code, category in (
            ("A", "320102002001", "dispute.family"),
            ("B", "320111001005", "hazard.gas"),
        ):
            p = point(code)
            r = client.post(
                "/v1/events",
                headers=bearer(tokens["admin"]),
                json={
                    "client_event_id": f"matrix-{name}",
                    "reporter_id": "gw-x",
                    "category": category,
                    "title": "t",
                    "description": "家里的私事 电话13800000000",
                    "occurred_at": "2026-11-20T10:00:00+08:00",
                    "lon": p.x,
                    "lat": p.y,
                },
            )
            assert r.status_code in (200, 201), r.text
            ids[name] = r.json()["event"]["id"]
        admin = bearer(tokens["admin"])
        client.post(f"/v1/events/{ids['A']}/actions", headers=admin, json={"action": "accept"})
        client.post(
            f"/v1/events/{ids['A']}/actions",
            headers=admin,
            json={"action": "dispatch", "departments": ["housing"]},
        )
        yield {"client": client, "h": {k: bearer(v) for k, v in tokens.items()}, "ids": ids}


# which events each role sees, listing or by id
SEES = {
    "worker_in": {"A"},
    "worker_street": {"A"},
    "worker_out": {"B"},
    "dispatcher_district": {"A"},
    "dispatcher_sector": {"B"},
    "dispatcher_city": {"A", "B"},
    "dept_in": {"A"},
    "dept_out": set(),
    "analyst": {"A", "B"},
    "admin": {"A", "B"},
}


@pytest.mark.parametrize("who", sorted(ROLES))
def test_lists_and_reads_hold_only_what_is_in_scope(matrix: dict[str, Any], who: str) -> None:
    client, h, ids = matrix["client"], matrix["h"], matrix["ids"]
    listed = client.get("/v1/events", headers=h[who], params={"limit": 1000})
    assert listed.status_code == 200
    mine = {i for i in (f["id"] for f in listed.json()["features"]) if i in ids.values()}
    assert mine == {ids[n] for n in SEES[who]}
    as_csv = client.get("/v1/events", headers=h[who], params={"format": "csv"}).text
    for name, event_id in ids.items():
        in_csv = any(line.startswith(f"{event_id},") for line in as_csv.splitlines())
        assert in_csv == (name in SEES[who]), (who, name)
        r = client.get(f"/v1/events/{event_id}", headers=h[who])
        assert r.status_code == (200 if name in SEES[who] else 403), (who, name, r.text)
        if r.status_code == 403:
            assert "outside the scope" in r.json()["message"]
        h_r = client.get(f"/v1/events/{event_id}/history", headers=h[who])
        assert h_r.status_code == (200 if name in SEES[who] else 403)


def test_analysts_never_see_personal_data_and_sensitive_points_are_coarse(
    matrix: dict[str, Any],
) -> None:
    client, h, ids = matrix["client"], matrix["h"], matrix["ids"]
    a = client.get(f"/v1/events/{ids['A']}", headers=h["analyst"]).json()
    assert a["reporter_id"] is None and a["description"] is None
    assert a["location"]["address"] is None and a["location"]["sent"] is None
    assert a["location"]["lon_wgs84"] == round(a["location"]["lon_wgs84"], 2)
    assert "13800000000" not in client.get("/v1/events", headers=h["analyst"]).text
    full = client.get(f"/v1/events/{ids['A']}", headers=h["dispatcher_district"]).json()
    assert full["description"].startswith("家里") and full["reporter_id"] == "gw-x"
    b = client.get(f"/v1/events/{ids['B']}", headers=h["analyst"]).json()
    assert b["location"]["lon_wgs84"] != round(b["location"]["lon_wgs84"], 2)  # not sensitive


# (role, method, path, body) → expected status, for write and admin endpoints
@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("worker_in", 403),
        ("dispatcher_district", 403),
        ("analyst", 403),
        ("dept_in", 403),
        ("admin", 201),
    ],
)
def test_only_admins_import(matrix: dict[str, Any], who: str, expected: int) -> None:
    body = b"category,occurred_at,lon,lat\n"
    r = matrix["client"].post(
        "/v1/imports", headers=matrix["h"][who], files={"file": ("x.csv", body, "text/csv")}
    )
    assert r.status_code == expected, r.text


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("worker_in", 201),
        ("worker_out", 201),
        ("dispatcher_sector", 201),
        ("admin", 201),
        ("analyst", 403),
        ("dept_in", 403),
    ],
)
def test_who_may_report(matrix: dict[str, Any], who: str, expected: int) -> None:
    client, h = matrix["client"], matrix["h"]
    r = client.post(
        "/v1/events",
        headers=h[who],
        json={
            "client_event_id": f"rep-{who}",
            "category": "environment.sanitation",
            "occurred_at": "2026-11-20T10:00:00+08:00",
            "lon": 118.784,
            "lat": 32.041,
        },
    )
    assert r.status_code in ((expected, 200) if expected == 201 else (expected,)), r.text
    if expected == 201:
        assert r.json()["event"]["reporter_id"] == ROLES[who]["name"]
    if who == "worker_in":
        other = client.post(
            "/v1/events",
            headers=h[who],
            json={
                "client_event_id": "rep-spoof",
                "reporter_id": "someone-else",
                "category": "environment.sanitation",
                "occurred_at": "2026-11-20T10:00:00+08:00",
                "lon": 118.784,
                "lat": 32.041,
            },
        )
        assert other.status_code == 403 and "reports as" in other.json()["message"]


@pytest.mark.parametrize(
    ("who", "event", "expected"),
    [
        ("dispatcher_district", "B", 403),  # out of scope
        ("analyst", "A", 403),  # read-only role
        ("dept_out", "A", 403),  # not dispatched to it
        ("worker_in", "A", 403),  # wrong role for dispatch-level actions
        ("dept_in", "A", 200),  # housing starts its dispatch
    ],
)
def test_actions_respect_role_and_scope(
    matrix: dict[str, Any], who: str, event: str, expected: int
) -> None:
    client, h, ids = matrix["client"], matrix["h"], matrix["ids"]
    action = "start" if who.startswith("dept") else "accept"
    r = client.post(f"/v1/events/{ids[event]}/actions", headers=h[who], json={"action": action})
    assert r.status_code == expected, r.text


@pytest.mark.parametrize(
    "path",
    [
        "/v1/events",
        "/v1/locate?lon=118.78&lat=32.04",
        "/v1/grids?level=district&geometry=false",
        "/v1/categories",
        "/v1/departments",
        "/v1/grids/versions",
    ],
)
def test_no_token_is_401_and_a_bad_token_is_401(matrix: dict[str, Any], path: str) -> None:
    client = matrix["client"]
    r = client.get(path)
    assert r.status_code == 401 and "token" in r.json()["message"]
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.get(path, headers=bearer("gsk_not-a-real-token"))
    assert r.status_code == 401 and "not valid" in r.json()["message"]
    assert client.get(path, headers=matrix["h"]["analyst"]).status_code == 200


def test_public_endpoints_need_no_token(matrix: dict[str, Any]) -> None:
    client = matrix["client"]
    assert client.get("/health").status_code == 200
    assert client.get("/docs").status_code == 200
    assert client.get("/openapi.json").status_code == 200


def test_a_revoked_token_stops_working(module_svc: Gridsvc, matrix: dict[str, Any]) -> None:
    from gridsvc.access import revoke_token

    token_id, token = create_token(module_svc.db, role="analyst", name="temp")
    client = matrix["client"]
    assert client.get("/v1/categories", headers=bearer(token)).status_code == 200
    revoke_token(module_svc.db, token_id, module_svc.tokens)
    assert client.get("/v1/categories", headers=bearer(token)).status_code == 401
    stored = module_svc.db.cursor_fetchall(
        "SELECT token_sha256 FROM api_token WHERE id = %s", (token_id,)
    )[0][0]
    assert token not in stored and len(stored) == 64  # only the hash is kept


def test_a_token_revoked_by_another_process_stops_within_the_cache_time(
    module_svc: Gridsvc,
) -> None:
    import time

    from gridsvc.access import TokenCache, authenticate, revoke_token
    from gridsvc.errors import Unauthenticated

    token_id, token = create_token(module_svc.db, role="analyst", name="temp-cached")
    cache = TokenCache(ttl_s=0.3)  # this server process's memory of working tokens
    header = f"Bearer {token}"
    assert authenticate(module_svc.db, header, cache).role == "analyst"
    revoke_token(module_svc.db, token_id)  # as the CLI does, in another process
    assert authenticate(module_svc.db, header, cache).role == "analyst"  # still remembered
    time.sleep(0.35)
    with pytest.raises(Unauthenticated):
        authenticate(module_svc.db, header, cache)
    with pytest.raises(Unauthenticated):  # an unknown token is never remembered
        authenticate(module_svc.db, header, TokenCache(ttl_s=60))
