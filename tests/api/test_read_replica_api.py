"""The API with a streaming replica configured (GRIDSVC_READ_DATABASE_URL): statistics, maps,
vector tiles and OGC features are answered by the replica, and say its replay time."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from gridsvc.access import create_token
from gridsvc.dates import local, local_iso
from gridsvc.db.local import LocalCluster
from gridsvc.service import Gridsvc
from tests.api.conftest import bearer
from tests.core.test_events import _report
from tests.replica import (
    one,
    pause_replay,
    read_clients,
    replica_service,
    resume_replay,
    wait_for_replay,
)


@pytest.fixture
def api(db_url: str, pg_standby: LocalCluster) -> Iterator[tuple[TestClient, Gridsvc, str]]:
    svc, replica = replica_service(db_url, pg_standby, max_lag_s=3600.0)
    _, token = create_token(svc.db, role="admin", name="test-admin")
    with TestClient(create_app(svc.settings, service=svc), headers=bearer(token)) as client:
        yield client, svc, replica
    svc.close()


def _tile(lon_wgs84: float, lat_wgs84: float, z: int = 14) -> tuple[int, int, int]:
    """The Web Mercator (XYZ) tile holding a point at zoom ``z``."""
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat_wgs84))) / math.pi) / 2 * n
    return z, int((lon_wgs84 + 180) / 360 * n), int(y)


def _report_body(svc: Gridsvc, n: int) -> dict[str, Any]:
    body = _report(svc, client_event_id=f"api-replica-{n}")
    body.pop("reporter_id")  # the token's name
    return body


def test_statistics_and_maps_are_served_by_the_replica_at_its_replay_time(
    db_url: str, api: tuple[TestClient, Gridsvc, str]
) -> None:
    client, svc, replica = api
    for n in (1, 2):
        created = client.post("/v1/events", json=_report_body(svc, n))
        assert created.status_code == 201, created.text
    wait_for_replay(db_url, replica)
    assert read_clients(replica) == 0
    pause_replay(replica)  # its replay time holds still while the requests run
    try:
        replayed = one(replica, "SELECT pg_last_xact_replay_timestamp()")
        assert isinstance(replayed, datetime)

        r = client.get("/v1/stats/grids", params={"level": "city"})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        body = r.json()
        assert [row["n"] for row in body["rows"]] == [2]
        assert body["data_as_of"] == local_iso(replayed)
        assert read_clients(replica) >= 1  # read there, on the read path's connections

        series = client.get("/v1/stats/timeseries", params={"interval": "month"}).json()
        assert sum(row["n"] for row in series["rows"]) == 2
        assert series["data_as_of"] == local_iso(replayed)

        # a report stored now is on the primary only: the paused replica does not count it
        assert client.post("/v1/events", json=_report_body(svc, 3)).status_code == 201
        again = client.get("/v1/stats/grids", params={"level": "city"}).json()
        assert [row["n"] for row in again["rows"]] == [2]
        assert one(db_url, "SELECT count(*) FROM event") == 3

        shown = local(replayed)
        assert shown is not None
        page = client.get("/v1/maps/heatmap")
        assert page.status_code == 200
        assert f"数据截至：{shown:%Y-%m-%d %H:%M:%S}" in page.text
        assert client.get("/v1/maps/choropleth").status_code == 200
        report = _report_body(svc, 1)
        tile = client.get("/tiles/events/{}/{}/{}.mvt".format(*_tile(report["lon"], report["lat"])))
        assert tile.status_code == 200 and tile.content  # the reports' points, drawn there
        items = client.get("/ogc/collections/districts/items", params={"f": "json"})
        assert items.status_code == 200 and items.json()["numberMatched"] >= 1
    finally:
        resume_replay(replica)


def test_health_names_the_replicas_state_and_a_stopped_one_leaves_reads_to_the_primary(
    db_url: str, pg_standby: LocalCluster, api: tuple[TestClient, Gridsvc, str]
) -> None:
    client, svc, replica = api
    assert client.post("/v1/events", json=_report_body(svc, 1)).status_code == 201
    wait_for_replay(db_url, replica)
    health = client.get("/health")
    assert health.status_code == 200
    (state,) = health.json()["read_replicas"]
    assert state["in_use"] is True and 0 <= state["lag_s"] < 3600

    pg_standby.down(mode="fast")
    r = client.get("/v1/stats/grids", params={"level": "city"})
    assert r.status_code == 200 and [row["n"] for row in r.json()["rows"]] == [1]
    # the primary's time: its newest report
    newest = one(db_url, "SELECT max(received_at) FROM event")
    assert r.json()["data_as_of"] == local_iso(newest)
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert health.json()["read_replicas"] == [{"in_use": False, "lag_s": None}]


def test_health_without_replicas_lists_none(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["read_replicas"] == []
