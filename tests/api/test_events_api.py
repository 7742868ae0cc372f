"""Events and imports over HTTP: status codes, bodies and content types."""

from __future__ import annotations

import csv
import io
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio.to_thread
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from api.schemas import EventCreatedOut, ImportOut
from gridsvc.service import Gridsvc
from tests.invariants import batch_sizes, duplicate_keys, rollup_differences


def _point(client: TestClient, code: str) -> shapely.Point:
    unit = client.get(f"/v1/grids/{code}").json()
    p = shape(unit["geometry"]).representative_point()
    assert isinstance(p, shapely.Point)
    return p


def _body(client: TestClient, **overrides: Any) -> dict[str, Any]:
    p = _point(client, "320104001001")
    body: dict[str, Any] = {
        "client_event_id": "a-1",
        "reporter_id": "gw-1",
        "category": "hazard.gas",
        "title": "燃气泄漏气味",
        "occurred_at": "2026-11-27T19:05:00+08:00",
        "lon": p.x,
        "lat": p.y,
    }
    body.update(overrides)
    return body


def test_post_event_201_then_replay_200_then_conflict_409(write_client: TestClient) -> None:
    r = write_client.post("/v1/events", json=_body(write_client))
    assert r.status_code == 201, r.text
    created = EventCreatedOut.model_validate(r.json())
    assert created.created and created.event["grid"]["community_code"] == "320104001001"
    again = write_client.post("/v1/events", json=_body(write_client))
    assert again.status_code == 200 and again.json()["event"]["id"] == created.event["id"]
    assert again.json()["created"] is False
    clash = write_client.post("/v1/events", json=_body(write_client, title="别的"))
    assert clash.status_code == 409
    assert clash.json()["field"] == "client_event_id"
    assert str(created.event["id"]) in clash.json()["message"]
    one = write_client.get(f"/v1/events/{created.event['id']}")
    assert one.status_code == 200 and one.json()["title"] == "燃气泄漏气味"
    assert write_client.get("/v1/events/999999").status_code == 404


def test_reports_sent_at_once_are_stored_together_each_answered_as_alone(
    write_client: TestClient, svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The route awaits the report writer (no thread held while the batch is stored): 24
    reports from 24 threads at once, 4 of them sending one report again, one with a bad
    category, with one thread in the app's pool; each gets its own answer, and reports were
    stored together."""
    sizes = batch_sizes(monkeypatch)
    bodies = [_body(write_client, client_event_id=f"t-{i}", title=f"气味{i}") for i in range(20)]
    bodies += [_body(write_client, client_event_id="t-3", title="气味3")] * 4
    bodies.append(_body(write_client, client_event_id="t-bad", category="no.such"))
    start = threading.Barrier(len(bodies))

    def send(body: dict[str, Any]) -> Any:
        start.wait()
        return write_client.post("/v1/events", json=body)

    # one thread in the app's pool: a route that held a thread while its report was stored
    # would store them one at a time, never together
    portal = write_client.portal
    assert portal is not None
    limiter = portal.call(anyio.to_thread.current_default_thread_limiter)
    tokens = limiter.total_tokens
    portal.call(setattr, limiter, "total_tokens", 1)
    try:
        with ThreadPoolExecutor(len(bodies)) as pool:
            answers = list(pool.map(send, bodies))
    finally:
        portal.call(setattr, limiter, "total_tokens", tokens)

    assert max(sizes, default=0) > 1  # some were stored together
    new, again, bad = answers[:20], answers[20:24], answers[24]
    # t-3 is created once: by its first sending or by one of the four sent again
    assert sorted(r.status_code for r in [new[3], *again]) == [200, 200, 200, 200, 201]
    assert all(r.status_code == 201 for i, r in enumerate(new) if i != 3)
    ids = [r.json()["event"]["id"] for r in new]
    assert len(set(ids)) == 20
    assert {r.json()["event"]["id"] for r in again} == {ids[3]}
    assert [r.json()["event"]["title"] for r in new] == [f"气味{i}" for i in range(20)]
    assert bad.status_code == 400 and bad.json()["field"] == "category"
    assert duplicate_keys(svc.db) == [] and rollup_differences(svc.db) == {}


def test_post_event_bad_input_names_the_field(write_client: TestClient) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"category": "hazard.gass"}, 400, "category"),
        ({"occurred_at": "2026-11-27T19:05:00"}, 400, "occurred_at"),
        ({"crs": "epsg:3857"}, 400, "crs"),
        ({"lon": "east"}, 422, "lon"),
        ({"unknown_field": 1}, 422, "unknown_field"),
        ({"lon": 118.0, "lat": 32.0}, 400, "lon"),
        ({"accuracy_m": -3}, 422, "accuracy_m"),
    ]
    for change, status, field in cases:
        r = write_client.post("/v1/events", json=_body(write_client, **change))
        assert r.status_code == status, (change, r.text)
        assert r.json()["field"] == field, (change, r.json())
        assert r.json()["message"]
    nan = write_client.post(
        "/v1/events",
        content=json.dumps(_body(write_client)).replace('"lon": ', '"lon": NaN, "x": ').encode(),
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422
    broken = write_client.post(
        "/v1/events", content=b'{"lon": 1,', headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422 and broken.json()["error"] == "InvalidInput"
    assert write_client.get("/v1/events").json()["features"] == []  # nothing stored


def test_oversized_body_is_413(write_client: TestClient) -> None:
    big = _body(write_client, description="x" * 1_100_000)
    r = write_client.post("/v1/events", json=big)
    assert r.status_code == 413 and "bytes" in r.json()["message"]


def test_list_events_as_geojson_and_csv(write_client: TestClient) -> None:
    for i in range(3):
        write_client.post("/v1/events", json=_body(write_client, client_event_id=f"l{i}"))
    r = write_client.get("/v1/events", params={"grid": "320104", "limit": 2})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    body = r.json()
    assert len(body["features"]) == 2 and body["next"] is not None
    assert body["features"][0]["geometry"]["type"] == "Point"
    rest = write_client.get("/v1/events", params={"grid": "320104", "after": body["next"]})
    assert len(rest.json()["features"]) == 1 and rest.json()["next"] is None
    by_group = write_client.get("/v1/events", params={"category": "hazard"}).json()
    assert len(by_group["features"]) == 3
    none = write_client.get("/v1/events", params={"category": "dispute"}).json()
    assert none["features"] == []
    as_csv = write_client.get("/v1/events", params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.content.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
    assert len(rows) == 3 and rows[0]["title"] == "燃气泄漏气味"
    bad = write_client.get("/v1/events", params={"from": "2026-11-01"})
    assert bad.status_code == 400 and bad.json()["field"] == "from"
    nearby = write_client.get(f"/v1/events/{body['features'][0]['id']}/nearby").json()
    assert len(nearby["possible_duplicates"]) == 2 and nearby["radius_m"] > 0


def test_categories_lists_the_taxonomy(client: TestClient) -> None:
    r = client.get("/v1/categories")
    assert r.status_code == 200
    cats = {c["code"]: c for c in r.json()["categories"]}
    assert cats["hazard.fire"]["name_zh"] and cats["hazard.fire"]["parent_code"] == "hazard"
    assert cats["dispute.family"]["sensitive"] is True
    # for search boxes: 电动自行车违规充电 is found by ddz (自行车 read as a phrase: zxc)
    assert cats["hazard.ebike_charging"]["pinyin_initials"] == "ddzxcwgcd"
    assert all(c["pinyin_initials"].isascii() for c in cats.values())


def test_import_upload_reports_rejections_by_row_and_is_idempotent(
    write_client: TestClient,
) -> None:
    p = _point(write_client, "320104001001")
    lines = [
        "client_event_id,reporter_id,category,occurred_at,lon,lat",
        f"i1,gw-1,hazard.gas,2026-11-01T09:00:00+08:00,{p.x},{p.y}",
        f"i2,gw-1,hazard.nope,2026-11-01T09:00:00+08:00,{p.x},{p.y}",
        f"i3,gw-1,hazard.gas,2026-11-01T09:00:00+08:00,abc,{p.y}",
        f"i4,gw-1,hazard.gas,2026-11-01T09:00:00+08:00,{p.x}",
        f"i5,gw-1,hazard.gas,2026-11-01T09:00:00+08:00,{p.x},{p.y}",
    ]
    data = ("\n".join(lines) + "\n").encode()
    r = write_client.post("/v1/imports", files={"file": ("reports.csv", data, "text/csv")})
    assert r.status_code == 201, r.text
    report = ImportOut.model_validate(r.json())
    assert (report.rows_read, report.stored, report.rejected) == (5, 2, 3)
    assert [x["row_number"] for x in report.rejections] == [2, 3, 4]
    assert report.rejections[0]["field"] == "category"
    assert "fields" in report.rejections[2]["reason"]
    rej = write_client.get(f"/v1/imports/{report.import_id}/rejections")
    assert rej.status_code == 200 and rej.headers["content-type"].startswith("text/csv")
    assert len(list(csv.reader(io.StringIO(rej.text.lstrip("\ufeff"))))) == 4
    job = write_client.get(f"/v1/imports/{report.import_id}").json()
    assert job["status"] == "finished" and job["stored"] == 2
    again = ImportOut.model_validate(
        write_client.post("/v1/imports", files={"file": ("reports.csv", data, "text/csv")}).json()
    )
    assert again.stored == 0 and again.already_stored == 2 and again.rejected == 3
    gbk = "category,occurred_at,lon,lat\n危险,2026-11-01T09:00:00+08:00,1,2\n".encode("gbk")
    bad = write_client.post("/v1/imports", files={"file": ("gbk.csv", gbk, "text/csv")})
    assert bad.status_code == 400 and bad.json()["field"] == "encoding"
    assert "gbk" in bad.json()["hint"]
    ok = write_client.post(
        "/v1/imports", files={"file": ("gbk.csv", gbk, "text/csv")}, data={"encoding": "gbk"}
    )
    assert ok.status_code == 201 and ok.json()["rejected"] == 1  # decoded; row is wrong


def test_a_chunked_body_over_the_limit_is_413_too(write_client: TestClient) -> None:
    def chunks() -> Any:
        yield b'{"description": "'
        for _ in range(200):
            yield b"x" * 10_000
        yield b'"}'

    r = write_client.post(
        "/v1/events", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413 and r.json()["error"] == "PayloadTooLarge"


def test_events_export_as_geopackage(write_client: TestClient, tmp_path: Any) -> None:
    import geopandas as gpd

    for i in range(2):
        write_client.post("/v1/events", json=_body(write_client, client_event_id=f"g{i}"))
    r = write_client.get("/v1/events", params={"format": "gpkg"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/geopackage+sqlite3"
    path = tmp_path / "e.gpkg"
    path.write_bytes(r.content)
    frame = gpd.read_file(path, layer="events")
    assert len(frame) == 2 and frame.crs.to_epsg() == 4326
    assert set(frame["community_code"]) == {"320104001001"}
    assert frame.geometry.iloc[0].geom_type == "Point"
