"""One range of dates at every door (gridsvc.dates): 1900-01-01 to 2200-01-01.

Every statistic and map answers at both ends of the range; one day beyond either end is a
422 ``DateOutOfRange`` that names the field and the range, for query dates, reports and
imported rows alike (a statistic of the year 0244 once failed inside pandas with a 500).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api import create_app
from gridsvc.access import create_token
from gridsvc.service import Gridsvc
from tests.api.conftest import bearer

EARLY = {"from": "1900-01-01", "to": "1900-02-01"}
LATE = {"from": "2199-12-01", "to": "2200-01-01"}
EDGE_EVENT = "1900-01-01T00:00:00+08:00"  # the first instant of the range, Beijing time


def report(key: str, occurred_at: str, **extra: str) -> dict[str, object]:
    return {
        "client_event_id": key,
        "category": "hazard.fire",
        "title": "楼道堆放杂物",
        "occurred_at": occurred_at,
        "lon": 118.7840,
        "lat": 32.0410,
        **extra,
    }


@pytest.fixture(scope="module")
def client(module_svc: Gridsvc) -> Iterator[TestClient]:
    _, token = create_token(module_svc.db, role="admin", name="range-admin")
    app = create_app(module_svc.settings, service=module_svc)
    with TestClient(app, headers=bearer(token)) as c:
        stored = c.post("/v1/events", json=report("edge-1900", EDGE_EVENT))
        assert stored.status_code == 201, stored.text
        yield c


ENDPOINTS = [
    ("/v1/stats/grids", {"level": "street"}),
    ("/v1/stats/grids", {"level": "community", "format": "csv"}),
    ("/v1/stats/timeseries", {"grid": "320100", "interval": "day"}),
    ("/v1/stats/timeseries", {"grid": "320102", "interval": "week"}),
    ("/v1/stats/timeseries", {"grid": "320100", "interval": "month", "format": "csv"}),
    ("/v1/stats/hotspots", {"level": "community", "permutations": "99"}),
    ("/v1/maps/heatmap", {}),
    ("/v1/maps/choropleth", {"level": "street"}),
    ("/v1/maps/timeline", {"step": "week"}),
    ("/v1/events", {}),
]


@pytest.mark.parametrize("window", [EARLY, LATE], ids=["earliest", "latest"])
@pytest.mark.parametrize(("path", "params"), ENDPOINTS, ids=lambda v: str(v))
def test_every_statistic_and_map_works_at_both_ends(
    client: TestClient, path: str, params: dict[str, str], window: dict[str, str]
) -> None:
    if path == "/v1/events":  # event lists take times with an offset
        window = {k: f"{v}T00:00:00+08:00" for k, v in window.items()}
    response = client.get(path, params={**params, **window})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/v1/stats/compare", "/v1/maps/compare"])
def test_a_comparison_spans_the_whole_range(client: TestClient, path: str) -> None:
    response = client.get(
        path,
        params={**LATE, "base_from": EARLY["from"], "base_to": EARLY["to"], "level": "district"},
    )
    assert response.status_code == 200, response.text


def test_the_earliest_event_is_counted(client: TestClient) -> None:
    counts = client.get("/v1/stats/grids", params={"level": "city", **EARLY}).json()
    assert [unit["n"] for unit in counts["rows"]] == [1]
    series = client.get("/v1/stats/timeseries", params={"grid": "320100", **EARLY}).json()
    assert len(series["rows"]) == 31 and sum(p["n"] for p in series["rows"]) == 1
    assert series["rows"][0]["n"] == 1  # 1900-01-01, the first day
    events = client.get("/v1/events", params={"to": "1900-01-02T00:00:00+08:00"}).json()
    assert [f["properties"]["client_event_id"] for f in events["features"]] == ["edge-1900"]


def assert_out_of_range(body: dict[str, object], field: str) -> None:
    assert body["error"] == "DateOutOfRange", body
    assert body["field"] == field
    assert "1900-01-01 to 2200-01-01" in str(body["message"])


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/stats/timeseries", {"from": "0244-11-25", "grid": "320100"}, "date_from"),
        ("/v1/stats/grids", {"from": "1899-12-31"}, "date_from"),
        ("/v1/stats/grids", {"to": "2200-01-02"}, "date_to"),
        ("/v1/maps/heatmap", {"from": "1899-12-31"}, "date_from"),
        ("/v1/maps/timeline", {"to": "9999-12-31"}, "date_to"),
        (
            "/v1/stats/compare",
            {**LATE, "base_from": "1899-12-01", "base_to": "1900-01-01"},
            "date_from",
        ),
        ("/v1/events", {"from": "1899-12-31T23:59:59+08:00"}, "from"),
        ("/v1/events", {"to": "2200-01-02T00:00:00+08:00"}, "to"),
        ("/v1/events", {"from": "0001-01-01T00:00:00+08:00"}, "from"),
    ],
)
def test_one_day_beyond_either_end_is_refused_with_the_range(
    client: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 422, response.text
    assert_out_of_range(response.json(), field)


@pytest.mark.parametrize(
    ("occurred_at", "field"),
    [
        ("1899-12-31T23:59:59+08:00", "occurred_at"),
        ("0244-11-25T09:30:00+08:00", "occurred_at"),  # beyond what pandas can parse
        ("1500-01-01T00:00:00Z", "occurred_at"),
    ],
)
def test_a_report_out_of_range_is_refused_with_the_range(
    client: TestClient, occurred_at: str, field: str
) -> None:
    response = client.post("/v1/events", json=report(f"r-{occurred_at}", occurred_at))
    assert response.status_code == 422, response.text
    assert_out_of_range(response.json(), field)


def test_a_report_is_in_range_by_its_beijing_day(client: TestClient) -> None:
    # 16:00 UTC on the last day of 1899 is midnight of 1900-01-01 in Beijing
    response = client.post("/v1/events", json=report("utc-edge", "1899-12-31T16:00:00Z"))
    assert response.status_code == 201, response.text
    late = client.post(
        "/v1/events",
        json=report("rep-late", "2026-01-01T09:00:00+08:00", reported_at="2200-01-02T00:00:00Z"),
    )
    assert late.status_code == 422
    assert_out_of_range(late.json(), "reported_at")


def test_an_import_names_the_rows_out_of_range_and_keeps_the_rest(client: TestClient) -> None:
    rows = [
        "category,occurred_at,lon,lat,client_event_id",
        "hazard.fire,2026-11-01T09:00:00+08:00,118.784,32.041,imp-ok",
        "hazard.fire,0244-11-25T09:00:00+08:00,118.784,32.041,imp-0244",
        "hazard.fire,1899-06-01T09:00:00+08:00,118.784,32.041,imp-1899",
    ]
    sent = client.post(
        "/v1/imports", files={"file": ("old.csv", "\n".join(rows).encode(), "text/csv")}
    )
    assert sent.status_code == 201, sent.text
    job = sent.json()
    assert (job["stored"], job["rejected"]) == (1, 2), job
    rejections = client.get(f"/v1/imports/{job['import_id']}/rejections").text.splitlines()
    assert len(rejections) == 3
    for line, number in zip(rejections[1:], (2, 3), strict=True):
        assert line.startswith(f"{number},occurred_at,"), line
        assert "1900-01-01 to 2200-01-01" in line
