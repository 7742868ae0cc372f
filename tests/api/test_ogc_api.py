"""OGC API - Features over HTTP: the documents, paging, filters, CRS and access rules, each
compared with what gridsvc's own API or an independent computation gives."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from api import create_app
from gridsvc.access import create_token
from gridsvc.crs import wgs84_to_gcj02
from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from tests.api.conftest import bearer

END = pd.Timestamp("2026-11-28T00:00:00+08:00").to_pydatetime()
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"


@pytest.fixture(scope="module")
def world(module_svc: Gridsvc) -> Iterator[dict[str, Any]]:
    svc = module_svc
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    buf = io.BytesIO()
    write_events_csv(
        buf, generate_events(units, DEFAULT_MIX, count=1200, days=40, seed=11, end=END)
    )
    buf.seek(0)
    import_events(svc, buf, filename="ogc.csv", synthetic=True)
    # the grid worker's community: the one with the most events of the sample
    busiest = svc.db.cursor_fetchall(
        "SELECT community_code FROM event GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    )[0][0]
    tokens = {
        role: create_token(svc.db, role=role, name=f"ogc-{role}", **extra)[1]
        for role, extra in {
            "admin": {},
            "analyst": {},
            "grid_worker": {"scope_code": busiest},
            "dispatcher": {"scope_code": "320102"},
        }.items()
    }
    with TestClient(create_app(svc.settings, service=svc)) as client:
        yield {"svc": svc, "client": client, "tokens": tokens, "units": units, "busiest": busiest}


def get(world: dict[str, Any], path: str, role: str = "admin", **params: Any) -> Any:
    r = world["client"].get(path, params=params or None, headers=bearer(world["tokens"][role]))
    assert r.status_code == 200, r.text
    return r


def walk(world: dict[str, Any], path: str, role: str = "admin", **params: Any) -> list[Any]:
    """Every feature of a collection, following `next` links to the end."""
    page = get(world, path, role, **params).json()
    features = list(page["features"])
    seen = 1
    while (nxt := next((ln for ln in page["links"] if ln["rel"] == "next"), None)) is not None:
        page = get(world, nxt["href"].split("testserver", 1)[1], role).json()
        features += page["features"]
        seen += 1
        assert seen < 200
    return features


def v1_ids(world: dict[str, Any], role: str = "admin", **params: Any) -> list[int]:
    ids: list[int] = []
    after = None
    while True:
        extra = {"after": after} if after else {}
        body = get(world, "/v1/events", role, limit=1000, **params, **extra).json()
        ids += [f["id"] for f in body["features"]]
        if body["next"] is None:
            return ids
        after = body["next"]


def test_landing_and_conformance_are_public_and_link_the_parts(world: dict[str, Any]) -> None:
    client = world["client"]
    landing = client.get("/ogc")
    assert landing.status_code == 200 and landing.headers["content-type"] == "application/json"
    rels = {ln["rel"]: ln["href"] for ln in landing.json()["links"]}
    assert rels["service-desc"].endswith("/openapi.json")
    assert rels["conformance"].endswith("/ogc/conformance")
    assert rels["data"].endswith("/ogc/collections")
    conf = client.get("/ogc/conformance").json()["conformsTo"]
    for part in ("conf/core", "conf/geojson", "conf/html"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/{part}" in conf
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf
    # the data needs a token: the 401 says how to send it
    denied = client.get("/ogc/collections")
    assert denied.status_code == 401 and "token" in denied.json()["message"].lower()


def test_collections_follow_the_callers_role(world: dict[str, Any]) -> None:
    counts = grid_store.level_counts(world["svc"].db)
    ids = [c["id"] for c in get(world, "/ogc/collections").json()["collections"]]
    expected_grids = [
        cid
        for cid, level in (
            ("districts", "district"),
            ("sectors", "sector"),
            ("streets", "street"),
            ("communities", "community"),
            ("grids", "grid"),
        )
        if counts.get(level)
    ]
    assert ids == [*expected_grids, "events", "district_stats", "street_stats", "community_stats"]
    worker = [c["id"] for c in get(world, "/ogc/collections", "grid_worker").json()["collections"]]
    assert worker == [*expected_grids, "events"]
    r = world["client"].get(
        "/ogc/collections/community_stats/items", headers=bearer(world["tokens"]["grid_worker"])
    )
    assert r.status_code == 403
    one = get(world, "/ogc/collections/communities").json()
    assert one["id"] == "communities" and CRS84 in one["crs"] and EPSG.format(4549) in one["crs"]
    x0, y0, x1, y1 = one["extent"]["spatial"]["bbox"][0]
    assert 118.2 < x0 < x1 < 119.3 and 31.1 < y0 < y1 < 32.7  # Nanjing


def test_every_community_once_across_pages(world: dict[str, Any]) -> None:
    n = grid_store.level_counts(world["svc"].db)["community"]
    first = get(world, "/ogc/collections/communities/items", limit=400).json()
    assert first["numberMatched"] == n and first["numberReturned"] == 400
    assert first["features"][0]["geometry"]["type"] == "MultiPolygon"
    codes = [f["id"] for f in walk(world, "/ogc/collections/communities/items", limit=400)]
    units = world["units"]
    assert codes == sorted(units[units["level"] == "community"]["code"])
    # past the end: no features, the same count; a limit above the largest page is served
    # as the largest page; datetime is every collection's parameter (units have no time)
    beyond = get(world, "/ogc/collections/communities/items", offset=n + 5).json()
    assert beyond["numberReturned"] == 0 and beyond["numberMatched"] == n
    big = get(world, "/ogc/collections/communities/items", limit=50_000).json()
    assert big["numberReturned"] == n
    timed = get(world, "/ogc/collections/communities/items", datetime="2026-11-01/..").json()
    assert timed["numberMatched"] == n


def test_bbox_selects_the_units_that_intersect_it(world: dict[str, Any]) -> None:
    box = (118.76, 32.03, 118.80, 32.07)
    units = world["units"]
    communities = units[units["level"] == "community"]
    expected = sorted(communities[communities.intersects(shapely.box(*box))]["code"])
    assert 5 < len(expected) < 200
    got = walk(world, "/ogc/collections/communities/items", bbox=",".join(map(str, box)))
    assert sorted(f["id"] for f in got) == expected
    # the same box in EPSG:4326 (lat first) and in the CGCS2000 zone 120°E (northing first)
    swapped = f"{box[1]},{box[0]},{box[3]},{box[2]}"
    lat_first = walk(
        world, "/ogc/collections/communities/items", bbox=swapped, **{"bbox-crs": EPSG.format(4326)}
    )
    assert sorted(f["id"] for f in lat_first) == expected
    to_gk = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4549", always_xy=True)
    e0, n0 = to_gk.transform(box[0], box[1])
    e1, n1 = to_gk.transform(box[2], box[3])
    gk_box = f"{min(n0, n1)},{min(e0, e1)},{max(n0, n1)},{max(e0, e1)}"
    in_gk = walk(
        world, "/ogc/collections/communities/items", bbox=gk_box, **{"bbox-crs": EPSG.format(4549)}
    )
    # the projected box is not a lon/lat rectangle: it covers the same area, a unit or two
    # on its edge may differ, and every unit found intersects the box drawn in 4549
    got_gk = {f["id"] for f in in_gk}
    assert len(got_gk ^ set(expected)) <= 0.1 * len(expected)


def test_output_crs_writes_coordinates_in_the_definitions_axis_order(
    world: dict[str, Any],
) -> None:
    path = "/ogc/collections/communities/items/320102002001"
    base = get(world, path).json()
    r4326 = get(world, path, crs=EPSG.format(4326))
    assert r4326.headers["content-crs"] == f"<{EPSG.format(4326)}>"
    lon, lat = np.array(base["geometry"]["coordinates"][0][0]).T
    lat2, lon2 = np.array(r4326.json()["geometry"]["coordinates"][0][0]).T
    assert np.allclose(lon, lon2) and np.allclose(lat, lat2)
    # EPSG:4549: northing, easting in metres, as PROJ computes it in the authority's order
    gk = np.array(get(world, path, crs=EPSG.format(4549)).json()["geometry"]["coordinates"][0][0])
    authority = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4549")  # (lat, lon) -> (N, E)
    north, east = authority.transform(lat, lon)
    assert np.allclose(gk[:, 0], north, atol=0.002) and np.allclose(gk[:, 1], east, atol=0.002)
    assert 3.5e6 < gk[0, 0] < 3.6e6 and 3.5e5 < gk[0, 1] < 5e5  # Nanjing in zone 120°E
    gcj = np.array(
        get(world, path, crs="urn:gridsvc:def:crs:GCJ-02").json()["geometry"]["coordinates"][0][0]
    )
    glon, glat = wgs84_to_gcj02(lon, lat)
    assert np.allclose(gcj[:, 0], glon, atol=1e-7) and np.allclose(gcj[:, 1], glat, atol=1e-7)
    bad = world["client"].get(
        path, params={"crs": "EPSG:3857"}, headers=bearer(world["tokens"]["admin"])
    )
    assert bad.status_code == 400 and bad.json()["field"] == "crs"
    assert EPSG.format(4549) in bad.json()["hint"]


def test_events_are_the_v1_lists_events_with_its_filters(world: dict[str, Any]) -> None:
    items = "/ogc/collections/events/items"
    everything = walk(world, items, limit=500)
    assert [f["id"] for f in everything] == v1_ids(world)
    assert len(everything) > 1000
    f0 = everything[0]
    assert f0["geometry"]["type"] == "Point"
    assert f0["properties"]["occurred_at"].endswith("+08:00")
    assert f0["properties"]["community_code"] and f0["properties"]["category_name"]
    # an interval, closed at both ends, and the v1 list's [from, to)
    window = walk(
        world, items, datetime="2026-11-01T00:00:00+08:00/2026-11-10T23:59:59.999999+08:00"
    )
    v1 = v1_ids(world, **{"from": "2026-11-01T00:00:00+08:00", "to": "2026-11-11T00:00:00+08:00"})
    assert [f["id"] for f in window] == v1 and 0 < len(v1) < len(everything)
    days = walk(world, items, datetime="2026-11-01/2026-11-10")
    assert [f["id"] for f in days] == v1
    # RFC 3339 allows a space for the T: the same instants, not whole days
    spaced = walk(
        world, items, datetime="2026-11-01 00:00:00+08:00/2026-11-10 23:59:59.999999+08:00"
    )
    assert [f["id"] for f in spaced] == v1
    opened = walk(world, items, datetime="2026-11-01T00:00:00+08:00/..", category="hazard")
    v1_open = v1_ids(world, **{"from": "2026-11-01T00:00:00+08:00", "category": "hazard"})
    assert [f["id"] for f in opened] == v1_open and opened
    box = "118.70,32.00,118.85,32.10"
    assert [f["id"] for f in walk(world, items, bbox=box)] == v1_ids(world, bbox=box)
    grid = walk(world, items, grid="320102")
    assert {f["properties"]["district_code"] for f in grid} == {"320102"}
    assert [f["id"] for f in grid] == v1_ids(world, grid="320102")


def test_events_follow_scope_and_redaction(world: dict[str, Any]) -> None:
    items = "/ogc/collections/events/items"
    worker = walk(world, items, "grid_worker", limit=1000)
    assert [f["id"] for f in worker] == v1_ids(world, "grid_worker")
    assert {f["properties"]["community_code"] for f in worker} == {world["busiest"]}
    analyst = walk(world, items, "analyst", limit=1000)
    assert all(f["properties"]["description"] is None for f in analyst)
    assert all(f["properties"]["reporter_id"] is None for f in analyst)
    admin = {f["id"]: f for f in walk(world, items, limit=1000)}
    assert all(f["properties"]["reporter_id"] for f in admin.values())
    sensitive = [f for f in analyst if f["properties"]["category"] == "dispute.family"]
    assert sensitive  # the mix has family disputes
    for f in sensitive:
        lon, lat = f["geometry"]["coordinates"]
        assert round(lon, 2) == lon and round(lat, 2) == lat
        assert f["properties"]["grid_code"] is None  # a 网格 is finer than the rounding
    # a box drawn around the exact point does not find it for an analyst (who would learn
    # more than the rounded point shows), unless it holds the rounded point too
    hidden = 0
    for f in sensitive:
        lon, lat = admin[f["id"]]["geometry"]["coordinates"]
        if abs(lon - round(lon, 2)) < 0.001 or abs(lat - round(lat, 2)) < 0.001:
            continue
        box = f"{lon - 0.0005},{lat - 0.0005},{lon + 0.0005},{lat + 0.0005}"
        assert f["id"] in {g["id"] for g in walk(world, items, bbox=box)}
        assert f["id"] not in {g["id"] for g in walk(world, items, "analyst", bbox=box)}
        rlon, rlat = f["geometry"]["coordinates"]
        around = f"{rlon - 0.0005},{rlat - 0.0005},{rlon + 0.0005},{rlat + 0.0005}"
        assert f["id"] in {g["id"] for g in walk(world, items, "analyst", bbox=around)}
        hidden += 1
    assert hidden
    assert worker, "the sample has events in the worker's community"
    other = next(
        i for i, f in admin.items() if f["properties"]["community_code"] != world["busiest"]
    )
    r = world["client"].get(f"{items}/{other}", headers=bearer(world["tokens"]["grid_worker"]))
    assert r.status_code == 403
    mine = get(world, f"{items}/{worker[0]['id']}", "grid_worker").json()
    assert mine["id"] == worker[0]["id"]


def test_stats_collection_has_the_v1_statistics_numbers(world: dict[str, Any]) -> None:
    feats = walk(world, "/ogc/collections/street_stats/items", limit=50)
    props = feats[0]["properties"]
    window = {"date_from": props["date_from"], "date_to": props["date_to"]}
    assert all({k: f["properties"][k] for k in window} == window for f in feats)
    last = pd.Timestamp(props["date_to"]) + pd.Timedelta(days=1)  # the v1 end is exclusive
    v1 = get(
        world,
        "/v1/stats/grids",
        level="street",
        **{"from": props["date_from"], "to": last.date().isoformat()},
    ).json()
    v1_rows = v1["rows"] if "rows" in v1 else v1["data"]
    assert sum(r["n"] for r in v1_rows) > 0
    assert {f["id"]: f["properties"]["n"] for f in feats} == {r["code"]: r["n"] for r in v1_rows}
    one = get(world, f"/ogc/collections/street_stats/items/{feats[0]['id']}").json()
    assert one["properties"] == feats[0]["properties"]
    box = (118.76, 32.03, 118.80, 32.07)
    units = world["units"]
    streets = units[units["level"] == "street"]
    near = sorted(streets[streets.intersects(shapely.box(*box))]["code"])
    boxed = walk(world, "/ogc/collections/street_stats/items", bbox=",".join(map(str, box)))
    assert sorted(f["id"] for f in boxed) == near and 0 < len(near) < len(feats)


def test_bad_requests_say_what_to_fix(world: dict[str, Any]) -> None:
    client, token = world["client"], world["tokens"]["admin"]
    cases = {
        "/ogc/collections/nope/items": (404, "collection_id"),
        "/ogc/collections/communities/items?catgory=x": (400, "catgory"),
        "/ogc/collections/communities/items?category=hazard": (400, "category"),
        "/ogc/collections/events/items?bbox=1,2,3": (400, "bbox"),
        "/ogc/collections/events/items?datetime=yesterday": (400, "datetime"),
        "/ogc/collections/events/items?datetime=2026-11-10/2026-11-01": (400, "datetime"),
        "/ogc/collections/events/items/abc": (400, "feature_id"),
        "/ogc/collections/communities/items/999": (404, "feature_id"),
        "/ogc/collections/events/items?limit=0": (400, "limit"),
        "/ogc/collections/events/items?f=xml": (400, "f"),
        "/ogc/collections/communities/items?datetime=2026-11-01/2026-10-01": (400, "datetime"),
    }
    for path, (status, field) in cases.items():
        r = client.get(path, headers=bearer(token))
        assert r.status_code == status, (path, r.text)
        assert r.json()["field"] == field, (path, r.json())
        assert r.json()["message"], path


def test_html_pages_show_the_same_features(world: dict[str, Any]) -> None:
    r = world["client"].get(
        "/ogc/collections/streets/items",
        params={"limit": 20},
        headers={**bearer(world["tokens"]["admin"]), "Accept": "text/html"},
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    json_codes = [
        f["id"] for f in get(world, "/ogc/collections/streets/items", limit=20).json()["features"]
    ]
    for code in json_codes:
        assert f"/ogc/collections/streets/items/{code}?f=html" in r.text
    assert "下一页" in r.text
    landing = world["client"].get("/ogc", params={"f": "html"})
    assert "数据集合" in landing.text and landing.headers["content-type"].startswith("text/html")
    assert shape(
        get(world, f"/ogc/collections/streets/items/{json_codes[0]}").json()["geometry"]
    ).is_valid
