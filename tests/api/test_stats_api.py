"""Statistics over HTTP: formats, access, and agreement with the raw events."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api import create_app
from gridsvc.access import create_token
from gridsvc.service import Gridsvc
from tests.api.conftest import bearer
from tests.worlds import import_generated


@pytest.fixture
def world(svc: Gridsvc) -> Iterator[dict[str, Any]]:
    import_generated(svc, count=3000, days=60, seed=9, filename="s.csv")
    tokens = {
        role: create_token(svc.db, role=role, name=role, **extra)[1]
        for role, extra in (
            ("analyst", {}),
            ("admin", {}),
            ("grid_worker", {"scope_code": "320102002"}),
        )
    }
    with TestClient(create_app(svc.settings, service=svc)) as client:
        yield {"svc": svc, "client": client, "h": {k: bearer(v) for k, v in tokens.items()}}


def _raw(svc: Gridsvc) -> pd.DataFrame:
    rows = svc.db.cursor_fetchall(
        "SELECT district_code, category, (occurred_at AT TIME ZONE 'Asia/Shanghai')::date"
        " FROM event"
    )
    return pd.DataFrame(rows, columns=["district", "category", "day"])


def test_district_counts_equal_the_raw_events(world: dict[str, Any]) -> None:
    client, h = world["client"], world["h"]
    r = client.get(
        "/v1/stats/grids",
        headers=h["analyst"],
        params={
            "level": "district",
            "category": "hazard",
            "from": "2026-10-15",
            "to": "2026-11-15",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    got = {row["code"]: row["n"] for row in body["rows"]}
    raw = _raw(world["svc"])
    mask = (
        raw["category"].str.startswith("hazard.")
        & (raw["day"] >= pd.Timestamp("2026-10-15").date())
        & (raw["day"] < pd.Timestamp("2026-11-15").date())
    )
    expected = raw[mask].groupby("district").size().to_dict()
    assert len(got) == 11  # every district, zeros included
    assert got == {code: expected.get(code, 0) for code in got}
    assert body["grid_version"]["synthetic"] is True and body["filter"]["date_from"]


def test_formats_csv_and_geojson(world: dict[str, Any]) -> None:
    client, h = world["client"], world["h"]
    r = client.get(
        "/v1/stats/grids", headers=h["analyst"], params={"level": "street", "format": "csv"}
    )
    assert r.headers["content-type"].startswith("text/csv") and r.text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert len(rows) == 101 and {"code", "n", "density_per_km2"} <= set(rows[0])
    g = client.get(
        "/v1/stats/grids", headers=h["analyst"], params={"level": "district", "format": "geojson"}
    )
    assert g.headers["content-type"].startswith("application/geo+json")
    assert len(g.json()["features"]) == 11
    assert g.json()["features"][0]["geometry"]["type"] in ("Polygon", "MultiPolygon")


def test_timeseries_compare_and_hotspots(world: dict[str, Any]) -> None:
    client, h = world["client"], world["h"]
    ts = client.get(
        "/v1/stats/timeseries",
        headers=h["analyst"],
        params={"grid": "320100", "interval": "week", "from": "2026-10-05", "to": "2026-11-02"},
    ).json()
    assert [row["period_start"][:10] for row in ts["rows"]] == [
        "2026-10-05",
        "2026-10-12",
        "2026-10-19",
        "2026-10-26",
    ]
    raw = _raw(world["svc"])
    in_range = raw[
        (raw["day"] >= pd.Timestamp("2026-10-05").date())
        & (raw["day"] < pd.Timestamp("2026-11-02").date())
    ]
    assert sum(row["n"] for row in ts["rows"]) == len(in_range)
    cmp = client.get(
        "/v1/stats/compare",
        headers=h["analyst"],
        params={
            "level": "district",
            "from": "2026-11-01",
            "to": "2026-11-28",
            "base_from": "2026-10-01",
            "base_to": "2026-10-28",
        },
    ).json()
    assert len(cmp["rows"]) == 11 and "binom" in cmp["rows"][0]["method"].lower()
    missing = client.get(
        "/v1/stats/compare",
        headers=h["analyst"],
        params={"base_from": "2026-10-01", "base_to": "2026-10-28"},
    )
    assert missing.status_code == 400 and missing.json()["field"] == "from"
    hot = client.get(
        "/v1/stats/hotspots", headers=h["analyst"], params={"level": "street", "permutations": 199}
    ).json()
    assert len(hot["rows"]) == 101
    assert {row["hotspot_class"] for row in hot["rows"]} <= {
        "hot_99",
        "hot_95",
        "hot_90",
        "not_significant",
        "cold_90",
        "cold_95",
        "cold_99",
    }


def test_statistics_are_for_citywide_roles(world: dict[str, Any]) -> None:
    client, h = world["client"], world["h"]
    r = client.get("/v1/stats/grids", headers=h["grid_worker"])
    assert r.status_code == 403 and "statistics" in r.json()["message"]
    assert client.get("/v1/stats/grids").status_code == 401
    bad = client.get("/v1/stats/grids", headers=h["analyst"], params={"level": "planet"})
    assert bad.status_code == 400


def test_overdue_counts_follow_the_deadlines(world: dict[str, Any]) -> None:
    client, h, svc = world["client"], world["h"], world["svc"]
    # every generated event is still 'reported'; its accept deadline (hours) is long past
    all_hazards = client.get(
        "/v1/stats/grids", headers=h["analyst"], params={"level": "city", "category": "hazard"}
    ).json()
    overdue = client.get(
        "/v1/stats/grids",
        headers=h["analyst"],
        params={"level": "city", "category": "hazard", "overdue": "true"},
    ).json()
    n_all, n_overdue = all_hazards["rows"][0]["n"], overdue["rows"][0]["n"]
    (raw,) = svc.db.cursor_fetchall(
        "SELECT count(*) FROM event WHERE category LIKE 'hazard.%' AND status = 'reported'"
        " AND accept_due_at < now()"
    )[0]
    assert n_overdue == raw and 0 < n_overdue <= n_all
    assert overdue["filter"]["overdue"] is True
    # accepting an event stops its accept clock: it leaves the overdue count
    (event_id,) = svc.db.cursor_fetchall(
        "SELECT id FROM event WHERE category LIKE 'hazard.%' AND status = 'reported' "
        "AND accept_due_at < now() AND community_code <> '' LIMIT 1"
    )[0]
    r = client.post(f"/v1/events/{event_id}/actions", headers=h["admin"], json={"action": "accept"})
    assert r.status_code == 200
    after = client.get(
        "/v1/stats/grids",
        headers=h["analyst"],
        params={"level": "city", "category": "hazard", "overdue": "true"},
    ).json()["rows"][0]["n"]
    assert after == n_overdue - 1
