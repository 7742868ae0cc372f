"""Every time gridsvc shows is in the city's zone with its offset (issue 22).

The service's clock runs in UTC here, as a server's does, and the database's sessions are in
UTC too: a time that leaves gridsvc without passing :func:`gridsvc.dates.local_iso` comes
out as ``…+00:00`` or ``…Z`` and fails. One report is walked through accept, a whistle to two
departments, start, both resolutions, verification and closing; then the event, its history
and dispatches, the CSV and GeoPackage exports, an import job, the embed list, the grid
versions and a time series are searched for every time they carry.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from api import create_app
from gridsvc.access import create_token
from gridsvc.service import Gridsvc
from tests.api.conftest import bearer

# an ISO date and time anywhere in a text: what a time field looks like when shown
TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
CITY_OFFSET = "+08:00"


def times_in(value: Any, path: str = "") -> dict[str, str]:
    """Every string of ``value`` (JSON) that holds a date and time, by its path."""
    found: dict[str, str] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            found.update(times_in(item, f"{path}.{key}"))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found.update(times_in(item, f"{path}[{n}]"))
    elif isinstance(value, str) and TIME.search(value):
        found[path] = value
    return found


def assert_city_times(found: dict[str, str], *required: str) -> None:
    """Each time ends with the city's offset, and each path in ``required`` is among them
    (so a field that disappeared or became null does not pass by carrying no time)."""
    assert set(required) <= set(found), sorted(set(required) - set(found))
    wrong = {k: v for k, v in found.items() if not v.endswith(CITY_OFFSET)}
    assert not wrong, wrong


@pytest.fixture
def world(svc: Gridsvc) -> Iterator[tuple[TestClient, dict[str, str]]]:
    svc.clock = lambda: datetime(2026, 12, 5, 20, 55, tzinfo=UTC)  # 2026-12-06 04:55 in Nanjing
    _, token = create_token(svc.db, role="admin", name="test-admin")
    with TestClient(create_app(svc.settings, service=svc)) as client:
        yield client, bearer(token)


def _report(client: TestClient, h: dict[str, str]) -> int:
    unit = client.get("/v1/grids/320102002001", headers=h).json()
    p = shape(unit["geometry"]).representative_point()
    assert isinstance(p, shapely.Point)
    r = client.post(
        "/v1/events",
        headers=h,
        json={
            "client_event_id": "tz-1",
            "category": "hazard.building",
            "title": "外墙脱落",
            "occurred_at": "2026-12-05T20:30:00Z",  # sent in UTC, shown in the city's zone
            "reported_at": "2026-12-05T20:40:00Z",
            "lon": p.x,
            "lat": p.y,
        },
    )
    assert r.status_code == 201, r.text
    assert_city_times(
        times_in(r.json()["event"]),
        ".occurred_at",
        ".reported_at",
        ".received_at",
        ".deadlines.accept_due_at",
    )
    assert r.json()["event"]["occurred_at"] == "2026-12-06T04:30:00+08:00"
    return int(r.json()["event"]["id"])


def _act(client: TestClient, h: dict[str, str], eid: int, **body: Any) -> dict[str, Any]:
    r = client.post(f"/v1/events/{eid}/actions", headers=h, json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_an_event_its_history_dispatches_and_exports_are_in_city_time(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    client, h = world
    eid = _report(client, h)
    _act(client, h, eid, action="accept")
    dispatched = _act(client, h, eid, action="dispatch", departments=["housing", "fire_rescue"])
    assert_city_times(times_in(dispatched), ".due_at")
    _act(client, h, eid, action="start", department="housing")
    _act(client, h, eid, action="resolve", department="housing", note="已加固")
    _act(client, h, eid, action="resolve", department="fire_rescue", note="已排查")
    _act(client, h, eid, action="verify")
    _act(client, h, eid, action="close", note="结案")

    event = client.get(f"/v1/events/{eid}", headers=h).json()
    assert_city_times(
        times_in(event),
        ".occurred_at",
        ".reported_at",
        ".received_at",
        ".deadlines.accept_due_at",
        ".deadlines.resolve_due_at",
    )
    history = client.get(f"/v1/events/{eid}/history", headers=h).json()
    entries, dispatches = history["history"], history["dispatches"]
    assert [e["action"] for e in entries] == [
        "report",
        "accept",
        "dispatch",
        "start",
        "resolve",
        "resolve",
        "verify",
        "close",
    ][-len(entries) :]
    assert len(dispatches) == 2
    assert_city_times(
        times_in(history),
        *(f".history[{n}].at" for n in range(len(entries))),
        *(f".history[{n}].data.due_at" for n, e in enumerate(entries) if e["action"] == "dispatch"),
        *(f".dispatches[{n}].due_at" for n in range(2)),
        *(f".dispatches[{n}].responded_at" for n in range(2)),
    )

    listed = client.get("/v1/events", headers=h, params={"grid": "320102002001"})
    assert listed.status_code == 200
    assert_city_times(times_in(listed.json()), ".features[0].properties.occurred_at")

    as_csv = client.get("/v1/events", headers=h, params={"grid": "320102002001", "format": "csv"})
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
    assert len(rows) == 1
    assert_city_times(
        {f"csv.{k}": v for k, v in rows[0].items() if v and TIME.search(v)},
        "csv.occurred_at",
        "csv.reported_at",
    )

    as_gpkg = client.get("/v1/events", headers=h, params={"grid": "320102002001", "format": "gpkg"})
    assert as_gpkg.status_code == 200
    frame = gpd.read_file(io.BytesIO(as_gpkg.content), layer="events")
    assert len(frame) == 1
    shown = {f"gpkg.{c}": frame.at[0, c] for c in ("occurred_at", "reported_at")}
    assert all(isinstance(v, str) for v in shown.values()), shown  # text with its offset
    assert_city_times(shown, "gpkg.occurred_at", "gpkg.reported_at")


def test_imports_embeds_grid_versions_and_series_are_in_city_time(
    world: tuple[TestClient, dict[str, str]],
) -> None:
    client, h = world
    unit = client.get("/v1/grids/320104001001", headers=h).json()
    p = shape(unit["geometry"]).representative_point()
    data = (
        "client_event_id,reporter_id,category,occurred_at,lon,lat\n"
        f"i1,gw-1,hazard.gas,2026-11-01T01:00:00Z,{p.x},{p.y}\n"
    ).encode()
    r = client.post("/v1/imports", headers=h, files={"file": ("r.csv", data, "text/csv")})
    assert r.status_code == 201, r.text
    job = client.get(f"/v1/imports/{r.json()['import_id']}", headers=h).json()
    assert_city_times(times_in(job), ".started_at", ".finished_at")

    published = client.post(
        "/v1/embeds",
        headers=h,
        json={"kind": "choropleth", "title": "十一月", "params": {"level": "district"}},
    )
    assert published.status_code == 201, published.text
    assert published.json()["expires_at"].endswith(CITY_OFFSET)
    embeds = client.get("/v1/embeds", headers=h).json()
    assert_city_times(times_in(embeds), ".embeds[0].created_at", ".embeds[0].expires_at")

    versions = client.get("/v1/grids/versions", headers=h).json()
    assert_city_times(times_in(versions), "[0].loaded_at")

    series = client.get(
        "/v1/stats/timeseries",
        headers=h,
        params={"from": "2026-11-01", "to": "2026-11-03", "interval": "day"},
    )
    assert series.status_code == 200, series.text
    body = series.json()
    assert [row["period_start"] for row in body["rows"]] == [
        "2026-11-01T00:00:00+08:00",
        "2026-11-02T00:00:00+08:00",
    ]
    assert_city_times(times_in(body), ".grid_version.loaded_at", ".rows[0].period_start")
    assert body["rows"][0]["n"] == 1  # 01:00 UTC is 09:00 on the 1st in Nanjing
    as_csv = client.get(
        "/v1/stats/timeseries",
        headers=h,
        params={"from": "2026-11-01", "to": "2026-11-03", "format": "csv"},
    )
    rows = list(csv.DictReader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
    assert rows[0]["period_start"] == "2026-11-01T00:00:00+08:00"
