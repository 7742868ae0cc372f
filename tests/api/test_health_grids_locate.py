"""The HTTP API: health, grid units and point lookups, through TestClient."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from api.schemas import GridUnitDetailOut, HealthOut, LocateBatchOut, LocateOut
from gridsvc import crs
from gridsvc.db.pool import Database
from gridsvc.service import Gridsvc
from gridsvc.settings import DatabaseSettings, GridSettings, ServerSettings, Settings


def test_health_reports_database_versions_and_units(client: TestClient) -> None:
    r = client.get("/health")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = HealthOut.model_validate(r.json())
    assert body.database == "ok" and body.status == "ok"
    assert body.postgis and body.postgis.startswith("3.")
    assert body.postgresql and int(body.postgresql.split(".")[0]) >= 13
    assert body.grid_units["community"] == 1255
    assert body.grid_version is not None and body.grid_version.synthetic is True
    assert r.headers["x-request-id"]


def test_health_is_503_with_a_message_when_the_database_is_unreachable() -> None:
    from api import create_app

    settings = Settings(
        db=DatabaseSettings(database_url="postgresql://x:y@127.0.0.1:1/none"),
        server=ServerSettings(),
        grids=GridSettings(),
    )
    svc = Gridsvc(settings, Database(settings.db.database_url or ""))
    with TestClient(create_app(settings, service=svc)) as c:
        r = c.get("/health", headers={"Accept-Language": "en"})  # the default is zh-CN
    assert r.status_code == 503
    body = HealthOut.model_validate(r.json())
    assert body.database == "unreachable" and "not reachable" in (body.message or "")
    assert r.headers["retry-after"] == "5"


def test_grids_level_as_geojson_with_and_without_geometry(client: TestClient) -> None:
    r = client.get("/v1/grids", params={"level": "street", "geometry": "false"})
    assert r.status_code == 200
    body = r.json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 101
    first = body["features"][0]
    assert first["geometry"] is None
    assert {"code", "name", "level", "parent_code"} <= set(first["properties"])
    assert body["grid_version"]["synthetic"] is True
    full = client.get("/v1/grids", params={"level": "district"}).json()
    assert len(full["features"]) == 11
    assert full["features"][0]["geometry"]["type"] == "MultiPolygon"
    simple = client.get("/v1/grids", params={"level": "district", "simplify_m": 200}).content
    assert len(simple) < len(json.dumps(full)) * 0.9
    assert (
        client.get("/v1/grids", params={"level": "sector", "geometry": "false"}).json()["features"][
            0
        ]["properties"]["level"]
        == "sector"
    )


def test_grids_unknown_level_says_which_levels_exist(client: TestClient) -> None:
    r = client.get("/v1/grids", params={"level": "province"})
    assert r.status_code == 400
    assert "community" in r.json()["hint"] and r.json()["field"] == "level"


def test_one_grid_unit_with_parents_and_children(client: TestClient) -> None:
    r = client.get("/v1/grids/320102002")
    assert r.status_code == 200
    unit = GridUnitDetailOut.model_validate(r.json())
    assert unit.name == "梅园新村街道" and unit.level == "street"
    assert [p.code for p in unit.parents] == ["320102", "320100"]
    assert unit.children > 0
    missing = client.get("/v1/grids/999")
    assert missing.status_code == 404 and "999" in missing.json()["message"]


def _inside_point(client: TestClient) -> tuple[float, float, str]:
    import shapely
    from shapely.geometry import shape

    unit = client.get("/v1/grids/320102002001").json()
    p = shape(unit["geometry"]).representative_point()
    assert isinstance(p, shapely.Point)
    return p.x, p.y, unit["code"]


def test_locate_returns_the_whole_chain(client: TestClient) -> None:
    x, y, code = _inside_point(client)
    r = client.get("/v1/locate", params={"lon": x, "lat": y})
    assert r.status_code == 200
    body = LocateOut.model_validate(r.json())
    assert body.codes["community"] == code
    assert [u.level for u in body.units] == ["community", "street", "sector", "district", "city"]
    assert body.codes["district"] == "320102" and body.codes["city"] == "320100"
    assert body.found and not body.snapped


@pytest.mark.parametrize("system", ["gcj02", "bd09", "cgcs2000"])
def test_locate_in_other_coordinate_systems(client: TestClient, system: str) -> None:
    x, y, code = _inside_point(client)
    sx, sy = crs.from_wgs84(x, y, crs.Crs(system))
    r = client.get("/v1/locate", params={"lon": sx, "lat": sy, "crs": system})
    assert r.status_code == 200
    body = r.json()
    assert body["codes"]["community"] == code
    assert abs(body["lon_wgs84"] - x) < 1e-7 and abs(body["lat_wgs84"] - y) < 1e-7


def test_locate_outside_every_grid_is_404_naming_the_nearest(client: TestClient) -> None:
    r = client.get("/v1/locate", params={"lon": 118.0, "lat": 32.0})
    assert r.status_code == 404
    body = r.json()
    assert body["error"] == "OutsideAllGrids"
    assert body["details"]["nearest"]["code"] in body["message"]
    assert body["details"]["distance_m"] > 1000


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"lon": "abc", "lat": 32}, 422, "lon"),
        ({"lat": 32}, 422, "lon"),
        ({"lon": "nan", "lat": 32}, 400, "lon"),
        ({"lon": 500, "lat": 32}, 400, "lon"),
        ({"lon": 118.7, "lat": 32, "crs": "utm"}, 400, "crs"),
    ],
)
def test_locate_bad_input_names_the_field(
    client: TestClient, params: dict[str, object], status: int, field: str
) -> None:
    r = client.get("/v1/locate", params=params)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["field"] == field and body["message"]


def test_locate_batch_answers_in_order(client: TestClient) -> None:
    x, y, code = _inside_point(client)
    pts = [[x, y], [118.0, 32.0], [x, y]]
    r = client.post("/v1/locate", json={"points": pts})
    assert r.status_code == 200
    body = LocateBatchOut.model_validate(r.json())
    assert body.found == 2
    assert [res.codes.get("community") for res in body.results] == [code, None, code]
    assert body.results[1].nearest is not None


def test_locate_batch_refuses_more_than_the_limit(client: TestClient) -> None:
    r = client.post("/v1/locate", json={"points": [[118.8, 32.0]] * 10_001})
    assert r.status_code == 400
    assert "10000" in r.json()["message"] and r.json()["field"] == "points"
    r = client.post(
        "/v1/locate", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["error"] == "InvalidInput"


def test_openapi_docs_are_served_without_a_cdn(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn." not in docs.text and "/static-offline-docs/swagger-ui-bundle.js" in docs.text
    asset = client.get("/static-offline-docs/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000
    spec = client.get("/openapi.json").json()
    assert {"/health", "/v1/locate", "/v1/grids", "/v1/grids/{code}"} <= set(spec["paths"])
