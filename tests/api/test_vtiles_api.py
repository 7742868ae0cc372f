"""Vector tiles over HTTP: /tiles, /tiles/{layer}.json, /tiles/{layer}/{z}/{x}/{y}.mvt,
decoded with mapbox-vector-tile and compared with what /v1/events gives the same caller."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api import create_app
from gridsvc import vtiles
from gridsvc.access import create_token
from gridsvc.service import Gridsvc
from tests.api.conftest import bearer
from tests.core.test_vtiles import (
    COMMUNITY,
    TO_WGS84,
    busiest_tile,
    decode,
    event_table,
    expected_points,
    sensitive_codes,
    tile_at,
    tile_units,
)
from tests.core.test_vtiles import events_svc as events_svc

MVT = "application/vnd.mapbox-vector-tile"


@pytest.fixture(scope="module")
def api(events_svc: Gridsvc) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    roles = {
        "admin": dict(role="admin", name="vt-root"),
        "analyst": dict(role="analyst", name="vt-an"),
        "grid_worker": dict(role="grid_worker", name="vt-gw", scope_code=COMMUNITY),
    }
    headers = {k: bearer(create_token(events_svc.db, **v)[1]) for k, v in roles.items()}
    with TestClient(create_app(events_svc.settings, service=events_svc)) as client:
        yield client, headers


@pytest.fixture(scope="module")
def events(events_svc: Gridsvc) -> pd.DataFrame:
    return event_table(events_svc)


def listed(client: TestClient, headers: dict[str, str], **params: str) -> list[dict[str, Any]]:
    """Every event /v1/events gives, page after page."""
    out: list[dict[str, Any]] = []
    after: int | None = None
    while True:
        query = {**params, "limit": "1000", **({"after": str(after)} if after else {})}
        r = client.get("/v1/events", params=query, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        out.extend(body["features"])
        after = body["next"]
        if after is None:
            return out


def buffered_bbox(tile: vtiles.TileXYZ) -> str:
    """The tile and its buffer (and a unit more), WGS-84, as /v1/events' bbox."""
    pad = tile.size_m * (vtiles.BUFFER + 1) / 4096
    xmin, ymin, xmax, ymax = tile.bounds_mercator
    west, south = TO_WGS84.transform(xmin - pad, ymin - pad)
    east, north = TO_WGS84.transform(xmax + pad, ymax + pad)
    return f"{west},{south},{east},{north}"


def tile_ids(client: TestClient, headers: dict[str, str], url: str) -> dict[int, Any]:
    r = client.get(url, headers=headers)
    assert r.status_code in (200, 204), r.text
    if r.status_code == 204:
        return {}
    assert r.headers["content-type"] == MVT
    return {f["id"]: f for f in decode(r.content).get("events", {}).get("features", [])}


def same_events(
    tile: vtiles.TileXYZ, drawn: dict[int, Any], features: list[dict[str, Any]]
) -> None:
    """The tile holds the listed events that lie in it and its buffer (not insisting within a
    unit of the buffer's edge)."""
    ids = np.array([f["id"] for f in features], dtype=np.int64)
    lon = np.array([f["geometry"]["coordinates"][0] for f in features])
    lat = np.array([f["geometry"]["coordinates"][1] for f in features])
    must, may = expected_points(tile, ids, lon, lat)
    assert must and must <= set(drawn) <= must | may


def test_events_tile_holds_what_the_event_list_gives(api: Any, events: pd.DataFrame) -> None:
    client, headers = api
    tile = busiest_tile(events, 14)
    url = f"/tiles/events/{tile.z}/{tile.x}/{tile.y}.mvt"
    drawn = tile_ids(client, headers["admin"], url)
    same_events(tile, drawn, listed(client, headers["admin"], bbox=buffered_bbox(tile)))

    # filters narrow the tile as they narrow the list
    category = str(events["category"].value_counts().index[0]).split(".")[0]  # a group
    window = {"from": "2026-10-15T00:00:00+08:00", "to": "2026-11-10T00:00:00+08:00"}
    narrowed = tile_ids(
        client, headers["admin"], f"{url}?{urlencode({'category': category, **window})}"
    )
    assert narrowed and set(narrowed) < set(drawn)
    same_events(
        tile,
        narrowed,
        listed(client, headers["admin"], bbox=buffered_bbox(tile), category=category, **window),
    )


def test_a_grid_worker_sees_its_community_only(api: Any, events: pd.DataFrame) -> None:
    client, headers = api
    mine = events[events["community"] == COMMUNITY]
    tile = tile_at(mine["lon"].mean(), mine["lat"].mean(), 14)
    url = f"/tiles/events/{tile.z}/{tile.x}/{tile.y}.mvt"
    seen = tile_ids(client, headers["grid_worker"], url)
    everyone = tile_ids(client, headers["admin"], url)
    assert seen and set(seen) <= set(mine["id"]) and set(seen) < set(everyone)
    same_events(tile, seen, listed(client, headers["grid_worker"], bbox=buffered_bbox(tile)))


def test_an_analyst_sees_sensitive_points_rounded(
    api: Any,
    events: pd.DataFrame,
    events_svc: Gridsvc,
) -> None:
    client, headers = api
    sensitive = events[events["category"].isin(sensitive_codes(events_svc))]
    first = sensitive.iloc[0]
    tile = tile_at(round(first["lon"], 2), round(first["lat"], 2), 15)
    url = f"/tiles/events/{tile.z}/{tile.x}/{tile.y}.mvt?category={first['category']}"
    drawn = tile_ids(client, headers["analyst"], url)
    assert int(first["id"]) in drawn
    listed_here = {
        f["id"]: f for f in listed(client, headers["analyst"], category=str(first["category"]))
    }
    for event_id, feature in drawn.items():
        assert feature["properties"]["rounded"] is True
        shown = listed_here[event_id]["geometry"]["coordinates"]
        assert shown == [round(shown[0], 2), round(shown[1], 2)]  # the list rounds too
        x, y = feature["geometry"]["coordinates"]
        ex, ey = tile_units(tile, np.array([shown[0]]), np.array([shown[1]]))[0]
        assert abs(x - ex) <= 1 and abs(y - ey) <= 1


def test_grid_tile_etag_and_304(api: Any) -> None:
    client, headers = api
    tile = tile_at(118.7840, 32.0410, 13)
    url = f"/tiles/community/{tile.z}/{tile.x}/{tile.y}.mvt"
    r = client.get(url, headers=headers["analyst"])  # any signed-in role
    assert r.status_code == 200 and r.headers["content-type"] == MVT
    assert r.headers["cache-control"] == "private, max-age=60"
    etag = r.headers["etag"]
    codes = {f["properties"]["code"] for f in decode(r.content)["community"]["features"]}
    assert len(codes) > 5  # central Nanjing
    again = client.get(url, headers={**headers["analyst"], "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get(url, headers={**headers["analyst"], "If-None-Match": '"other"'})
    assert other.status_code == 200 and other.content == r.content


def test_empty_tile_is_204(api: Any) -> None:
    client, headers = api
    r = client.get("/tiles/district/12/0/0.mvt", headers=headers["admin"])
    assert r.status_code == 204 and r.content == b""
    r = client.get("/tiles/events/12/0/0.mvt", headers=headers["admin"])
    assert r.status_code == 204


@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/tiles/community/23/0/0.mvt", 400, "z"),
        ("/tiles/community/3/8/0.mvt", 400, "x"),
        ("/tiles/community/3/0/8.mvt", 400, "y"),
        ("/tiles/events/9/426/207.mvt", 400, "z"),
        ("/tiles/community/12/3399/1662.mvt?category=hazard", 400, "category"),
        ("/tiles/events/14/13597/6651.mvt?catgory=hazard", 400, "catgory"),
        ("/tiles/rivers/12/3399/1662.mvt", 404, "layer"),
        ("/tiles/rivers.json", 404, "layer"),
    ],
)
def test_bad_requests_say_what_is_wrong(api: Any, url: str, status: int, field: str) -> None:
    client, headers = api
    r = client.get(url, headers=headers["admin"])
    assert r.status_code == status, r.text
    body = r.json()
    assert body["field"] == field and body["message"] and body["hint"]


def test_tiles_need_a_caller(api: Any) -> None:
    client, _ = api
    for url in ("/tiles", "/tiles/community.json", "/tiles/community/12/3399/1662.mvt"):
        assert client.get(url).status_code == 401


def test_tilejson_is_valid_and_its_tiles_are_fetchable(api: Any, events: pd.DataFrame) -> None:
    client, headers = api
    listing = client.get("/tiles", headers=headers["admin"])
    assert listing.status_code == 200
    layers = {layer["id"]: layer for layer in listing.json()["layers"]}
    assert list(layers) == ["district", "sector", "street", "community", "events"]
    tile = busiest_tile(events, 14)
    for name in ("community", "events"):
        query = "?category=hazard" if name == "events" else ""
        r = client.get(urlsplit(layers[name]["tilejson"]).path + query, headers=headers["admin"])
        assert r.status_code == 200
        doc = r.json()
        assert doc["tilejson"] == "3.0.0" and doc["scheme"] == "xyz"
        assert 0 <= doc["minzoom"] <= doc["maxzoom"] <= 22
        west, south, east, north = doc["bounds"]
        assert (
            118 < west < doc["center"][0] < east < 120
            and 31 < south < doc["center"][1] < north < 33
        )
        ids = [layer["id"] for layer in doc["vector_layers"]]
        assert ids == ([name] if name == "community" else ["events", "event_bins"])
        assert all(layer["fields"] for layer in doc["vector_layers"])
        (template,) = doc["tiles"]
        assert template.startswith("http://testserver/tiles/") and template.endswith(query)
        url = template.format(z=tile.z, x=tile.x, y=tile.y)
        parts = urlsplit(url)
        fetched = client.get(
            parts.path + ("?" + parts.query if parts.query else ""), headers=headers["admin"]
        )
        assert fetched.status_code == 200 and fetched.headers["content-type"] == MVT
        assert decode(fetched.content)
