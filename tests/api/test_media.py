"""Photos over HTTP: POST /v1/media (multipart) and GET /v1/media/{id}, with their rights;
a report that names the photo; the reporter filter of GET /v1/events (mine=true)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import random
from collections.abc import Iterator
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from PIL import Image as PIL

from api import create_app
from api.routes.media import MediaOut
from gridsvc.access import create_token
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from tests.api.conftest import bearer

COMMUNITY = "320105001001"  # street 320105001
TOKENS = {
    "gw": ("grid_worker", "320105001"),
    "gw_far": ("grid_worker", "320102002001"),
    "street": ("dispatcher", "320105001"),
    "other_street": ("dispatcher", "320102002"),
    "ana": ("analyst", None),
    "boss": ("admin", None),
}


def photo(colour: str = "blue", kind: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    PIL.new("RGB", size, colour).save(buf, format=kind)
    return buf.getvalue()


@pytest.fixture
def api(svc: Gridsvc) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    headers = {}
    for name, (role, scope) in TOKENS.items():
        _, token = create_token(svc.db, role=role, name=name, scope_code=scope)
        headers[name] = bearer(token)
    with TestClient(create_app(svc.settings, service=svc)) as client:
        yield client, headers


def upload(client: TestClient, h: dict[str, str], data: bytes, name: str = "p.jpg") -> Any:
    return client.post("/v1/media", headers=h, files={"file": (name, data, "image/jpeg")})


def test_a_photo_is_stored_once_and_read_back_by_its_sender(api: Any) -> None:
    client, h = api
    data = photo()
    r = upload(client, h["gw"], data)
    assert r.status_code == 201, r.text
    body = MediaOut.model_validate(r.json())
    assert body.id == hashlib.sha256(data).hexdigest() and body.created
    assert body.url == f"/v1/media/{body.id}" == r.headers["location"]
    assert (body.content_type, body.width_px, body.height_px, body.size_bytes) == (
        "image/jpeg",
        64,
        48,
        len(data),
    )
    again = upload(client, h["gw"], data, name="another-name.jpeg")
    assert again.status_code == 200 and again.json()["id"] == body.id
    assert not again.json()["created"]
    got = client.get(body.url, headers=h["gw"])
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-type"] == "image/jpeg"
    assert "private" in got.headers["cache-control"]
    png = upload(client, h["gw"], photo(kind="PNG"), name="x.png")
    assert png.status_code == 201 and png.json()["content_type"] == "image/png"


def test_a_file_that_is_not_a_photo_is_refused_by_its_content(api: Any) -> None:
    client, h = api
    for data in (b"GIF89a not really" * 10, b"%PDF-1.4 renamed to photo.jpg\n" * 30):
        r = upload(client, h["gw"], data, name="photo.jpg")
        assert r.status_code == 415, r.text
        body = r.json()
        assert body["error"] == "UnsupportedMedia" and body["field"] == "file"
        assert "JPEG" in body["message"] and body["hint"]
    r = client.post("/v1/media", headers=h["gw"], data={"nothing": "here"})
    assert r.status_code == 422 and r.json()["field"] == "file"
    assert upload(client, h["gw"], b"").status_code == 400


def test_a_photo_over_the_limit_is_413_saying_the_limit(svc: Gridsvc) -> None:
    events = svc.settings.events.model_copy(update={"media_max_bytes": 2_000})
    settings = svc.settings.model_copy(update={"events": events})
    _, token = create_token(svc.db, role="grid_worker", name="gw", scope_code=COMMUNITY)
    small_limit = Gridsvc.open(settings)  # routes read the service's settings
    with (
        TestClient(create_app(settings, service=small_limit), headers=bearer(token)) as client,
        contextlib.closing(small_limit),
    ):
        big = _noisy_png()  # noise does not compress
        assert len(big) > 2_000
        r = upload(client, {}, big, name="big.png")
        assert r.status_code == 413, r.text
        assert "2,000" in r.json()["message"] and r.json()["field"] == "file"
        small = photo(size=(8, 8))
        assert len(small) <= 2_000
        assert upload(client, {}, small).status_code == 201


def test_a_photo_larger_than_a_json_body_goes_in_up_to_its_own_limit(api: Any) -> None:
    """The body limit of JSON requests (1 MB) does not cap photos: they have their own."""
    client, h = api
    big = _noisy_png(side=700)  # ~1.5 MB
    assert 1_000_000 < len(big) < 5_000_000
    r = upload(client, h["gw"], big, name="big.png")
    assert r.status_code == 201, r.text
    assert r.json()["size_bytes"] == len(big)


def _noisy_png(side: int = 60) -> bytes:
    rnd = random.Random(1)
    image = PIL.new("RGB", (side, side))
    image.putdata([tuple(rnd.randrange(256) for _ in range(3)) for _ in range(side * side)])
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def _point(svc: Gridsvc) -> shapely.Point:
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    p = units.set_index("code").at[COMMUNITY, "geometry"].representative_point()
    assert isinstance(p, shapely.Point)
    return p


def test_who_may_see_a_photo_named_by_a_report(svc: Gridsvc, api: Any) -> None:
    client, h = api
    url = upload(client, h["gw"], photo("green")).json()["url"]
    # before any report names it, only its sender sees it
    assert {n: client.get(url, headers=h[n]).status_code for n in TOKENS} == {
        "gw": 200,
        "gw_far": 403,
        "street": 403,
        "other_street": 403,
        "ana": 403,
        "boss": 403,
    }
    p = _point(svc)
    report = {
        "client_event_id": "with-photo",
        "category": "hazard.ebike_charging",
        "title": "楼道电动车充电",
        "occurred_at": "2026-11-20T08:30:00+08:00",
        "lon": p.x,
        "lat": p.y,
        "media": [url],
        "attributes": {"indoor": True},
    }
    r = client.post("/v1/events", headers=h["gw"], json=report)
    assert r.status_code == 201, r.text
    assert r.json()["event"]["media"] == [url]
    assert {n: client.get(url, headers=h[n]).status_code for n in TOKENS} == {
        "gw": 200,
        "gw_far": 403,  # the event is outside its community
        "street": 200,
        "other_street": 403,
        "ana": 403,  # analysts never see photos
        "boss": 200,
    }
    forbidden = client.get(url, headers=h["ana"]).json()
    assert forbidden["error"] == "Forbidden" and forbidden["message"]
    event_id = r.json()["event"]["id"]
    assert client.get(f"/v1/events/{event_id}", headers=h["ana"]).json()["media"] == []
    assert client.get(f"/v1/events/{event_id}", headers=h["street"]).json()["media"] == [url]
    assert client.get("/v1/media/" + "0" * 64, headers=h["boss"]).status_code == 404
    assert client.get(url).status_code == 401


def test_mine_lists_the_callers_own_reports_wherever_they_lie(svc: Gridsvc, api: Any) -> None:
    client, h = api
    p = _point(svc)
    base = {
        "category": "hazard.ebike_charging",
        "title": "楼道电动车充电",
        "occurred_at": "2026-11-20T08:30:00+08:00",
        "lon": p.x,
        "lat": p.y,
        "attributes": {"indoor": True},
    }
    ids = {}
    for who in ("gw_far", "gw"):
        r = client.post("/v1/events", headers=h[who], json={**base, "client_event_id": "m1"})
        assert r.status_code == 201, r.text
        ids[who] = r.json()["event"]["id"]
    far = client.get("/v1/events?mine=true", headers=h["gw_far"]).json()
    assert [f["id"] for f in far["features"]] == [ids["gw_far"]]  # outside its scope, its own
    assert client.get("/v1/events", headers=h["gw_far"]).json()["features"] == []
    local = client.get("/v1/events?mine=true", headers=h["gw"]).json()
    assert [f["id"] for f in local["features"]] == [ids["gw"]]
    every = client.get("/v1/events", headers=h["gw"]).json()
    assert sorted(f["id"] for f in every["features"]) == sorted(ids.values())
