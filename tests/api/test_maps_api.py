"""Maps over HTTP: HTML pages, standalone files, ETag/304, static assets, access."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api import create_app
from api.routes import maps
from gridsvc.access import create_token
from gridsvc.maps import assert_offline
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from tests.api.conftest import bearer
from tests.worlds import import_generated


def maps_app(svc: Gridsvc) -> FastAPI:
    """The app, with the maps routers added when ``create_app`` does not include them yet."""
    app = create_app(svc.settings, service=svc)
    paths = {getattr(r, "path", "") for r in app.routes}
    if "/v1/maps/heatmap" not in paths:
        app.include_router(maps.router, prefix="/v1")
    if "/static/maps/{name}" not in paths:
        app.include_router(maps.static_router)
    return app


@pytest.fixture(scope="module")
def world(module_svc: Gridsvc) -> Iterator[dict[str, Any]]:
    svc = module_svc
    import_generated(svc, count=2000, days=60, seed=5, filename="m.csv")
    tokens = {
        role: create_token(svc.db, role=role, name=role, **extra)[1]
        for role, extra in (
            ("analyst", {}),
            ("grid_worker", {"scope_code": "320102002"}),
        )
    }
    with TestClient(maps_app(svc)) as client:
        yield {"client": client, "h": {k: bearer(v) for k, v in tokens.items()}}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/maps/heatmap", {"category": "hazard", "from": "2026-11-01", "to": "2026-11-28"}),
        ("/v1/maps/choropleth", {"level": "street", "value": "density_per_km2"}),
    ],
)
def test_pages_are_html_with_etag_and_304(
    world: dict[str, Any], path: str, params: dict[str, str]
) -> None:
    client, h = world["client"], world["h"]
    r = client.get(path, params=params, headers=h["analyst"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "private, max-age=60"
    etag = r.headers["etag"]
    assert etag.startswith('"') and len(etag) == 34
    assert r.text.startswith("<!DOCTYPE html>") and "/static/maps/leaflet.js" in r.text
    assert_offline(r.text)
    again = client.get(path, params=params, headers={**h["analyst"], "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    other = client.get(path, params=params, headers={**h["analyst"], "If-None-Match": '"x"'})
    assert other.status_code == 200


def test_standalone_inlines_everything(world: dict[str, Any]) -> None:
    client, h = world["client"], world["h"]
    r = client.get("/v1/maps/choropleth", params={"standalone": "1"}, headers=h["analyst"])
    assert r.status_code == 200
    assert "/static/maps/" not in r.text and "L.heatLayer" not in r.text
    assert 'filename="choropleth-community.html"' in r.headers["content-disposition"]
    assert len(r.content) <= 1_500_000
    assert_offline(r.text)


def test_static_assets_are_served_without_a_token(world: dict[str, Any]) -> None:
    client = world["client"]
    for name, media in (
        ("leaflet.js", "text/javascript"),
        ("leaflet.css", "text/css"),
        ("leaflet_heat.min.js", "text/javascript"),
    ):
        r = client.get(f"/static/maps/{name}")
        assert r.status_code == 200, name
        assert r.headers["content-type"].startswith(media)
        assert r.headers["cache-control"] == "public, max-age=86400" and r.headers["etag"]
    assert client.get("/static/maps/../app.py").status_code == 404
    assert client.get("/static/maps/jquery.js").status_code == 404


def test_access_and_bad_parameters(world: dict[str, Any]) -> None:
    client, h = world["client"], world["h"]
    for path in ("/v1/maps/heatmap", "/v1/maps/choropleth"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=h["grid_worker"]).status_code == 403
    r = client.get("/v1/maps/choropleth", params={"scheme": "natural"}, headers=h["analyst"])
    assert r.status_code == 422
    r = client.get("/v1/maps/choropleth", params={"level": "grid"}, headers=h["analyst"])
    assert r.status_code in (400, 422) and "community" in r.text
    r = client.get("/v1/maps/heatmap", params={"category": "nope"}, headers=h["analyst"])
    assert r.status_code in (400, 422)


COMPARE = {"from": "2026-11-01", "to": "2026-11-28", "base_from": "2026-10-01",
           "base_to": "2026-10-28"}  # fmt: skip


@pytest.mark.parametrize(
    ("path", "params", "title"),
    [
        ("/v1/maps/timeline", {"step": "week", "category": "hazard"}, "事件热力时间序列（按周）"),
        ("/v1/maps/timeline", {"step": "day", "from": "2026-11-01", "to": "2026-11-28"}, "按日"),
        ("/v1/maps/compare", {**COMPARE, "level": "street"}, "街道/镇事件两期对比"),
        ("/v1/maps/choropleth", {"level": "community", "hotspots": "1"}, "热点分析（Gi*）"),
    ],
)
def test_new_pages_are_html_with_etag_and_304(
    world: dict[str, Any], path: str, params: dict[str, str], title: str
) -> None:
    client, h = world["client"], world["h"]
    r = client.get(path, params=params, headers=h["analyst"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert title in r.text and "合成数据" in r.text
    assert_offline(r.text)
    etag = r.headers["etag"]
    again = client.get(path, params=params, headers={**h["analyst"], "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    standalone = client.get(path, params={**params, "standalone": "1"}, headers=h["analyst"])
    assert standalone.status_code == 200 and "/static/maps/" not in standalone.text
    assert "attachment" in standalone.headers["content-disposition"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/maps/heatmap", {"category": "hazard"}),
        ("/v1/maps/choropleth", {"level": "street", "hotspots": "1", "permutations": "199"}),
        ("/v1/maps/timeline", {"step": "month"}),
        ("/v1/maps/compare", COMPARE),
    ],
)
def test_png_with_etag_and_304(world: dict[str, Any], path: str, params: dict[str, str]) -> None:
    from PIL import Image

    from gridsvc.maps.png import PNG_SIZE_PX

    client, h = world["client"], world["h"]
    r = client.get(path, params={**params, "format": "png"}, headers=h["analyst"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert r.content.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(r.content)).size == PNG_SIZE_PX
    etag = r.headers["etag"]
    headers = {**h["analyst"], "If-None-Match": etag}
    again = client.get(path, params={**params, "format": "png"}, headers=headers)
    assert again.status_code == 304 and again.headers["etag"] == etag


def test_tiles_parameter(world: dict[str, Any]) -> None:
    from gridsvc.maps import resolve_tiles
    from gridsvc.maps.assets import tile_layer_urls

    client, h = world["client"], world["h"]
    amap = resolve_tiles("amap")
    r = client.get("/v1/maps/heatmap", params={"tiles": "amap"}, headers=h["analyst"])
    assert r.status_code == 200 and tile_layer_urls(r.text) == list(amap.templates)
    assert_offline(r.text, tile_urls=amap.templates)
    r = client.get("/v1/maps/timeline", params={"tiles": "osm"}, headers=h["analyst"])
    assert r.status_code == 200 and len(tile_layer_urls(r.text)) == 1
    r = client.get("/v1/maps/choropleth", params={"tiles": "none"}, headers=h["analyst"])
    assert r.status_code == 200 and tile_layer_urls(r.text) == []
    # no key in the settings: refused with what to set
    r = client.get("/v1/maps/heatmap", params={"tiles": "tianditu"}, headers=h["analyst"])
    assert r.status_code == 400 and "GRIDSVC_TIANDITU_KEY" in r.json()["hint"]
    r = client.get("/v1/maps/heatmap", params={"tiles": "google"}, headers=h["analyst"])
    assert r.status_code == 422
    r = client.get(
        "/v1/maps/heatmap", params={"tiles": "osm", "format": "png"}, headers=h["analyst"]
    )
    assert r.status_code == 400 and "tiles" in r.json()["hint"]


def test_new_maps_access_and_bad_parameters(world: dict[str, Any]) -> None:
    client, h = world["client"], world["h"]
    for path, params in (("/v1/maps/timeline", {}), ("/v1/maps/compare", COMPARE)):
        assert client.get(path, params=params).status_code == 401
        r = client.get(path, params=params, headers=h["grid_worker"])
        assert r.status_code == 403, r.text
        r = client.get(path, params={**params, "format": "png"}, headers=h["grid_worker"])
        assert r.status_code == 403
    bad: list[tuple[str, dict[str, str], int, str]] = [
        ("/v1/maps/timeline", {"step": "year"}, 422, "step"),
        ("/v1/maps/timeline", {"step": "day", "from": "2026-01-01", "to": "2026-11-28"}, 400,
         "step=week"),
        ("/v1/maps/timeline", {"cell_m": "5"}, 422, "cell_m"),
        ("/v1/maps/compare", {"from": "2026-11-01", "to": "2026-11-28"}, 422, "base_from"),
        ("/v1/maps/compare", {"base_from": "2026-10-01", "base_to": "2026-10-28"}, 400,
         "from=2026-11-01"),
        ("/v1/maps/compare", {**COMPARE, "base_from": "2026-11-10", "base_to": "2026-11-20"},
         400, "do not overlap"),
        ("/v1/maps/choropleth", {"level": "district", "hotspots": "1"}, 400, "street"),
        ("/v1/maps/choropleth", {"hotspots": "1", "permutations": "99999"}, 422, "permutations"),
        ("/v1/maps/heatmap", {"format": "pdf"}, 422, "format"),
    ]  # fmt: skip
    for path, params, status, said in bad:
        r = client.get(path, params=params, headers=h["analyst"])
        assert r.status_code == status, (path, params, r.text)
        assert said in r.text, (path, params, r.text)


def test_heatmap_of_a_large_selection_says_it_is_sampled(
    world: dict[str, Any], module_svc: Gridsvc
) -> None:
    # GRIDSVC_HEAT_SAMPLE_ABOVE below the 2,000 events stored: the page is drawn from a sample
    # (the decision reads the planner's estimate: fresh statistics, whatever ran before)
    with module_svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(query("analyze_events"))
    maps_settings = module_svc.settings.maps.model_copy(update={"heat_sample_above": 700})
    sampler = Gridsvc.open(module_svc.settings.model_copy(update={"maps": maps_settings}))
    try:
        with TestClient(maps_app(sampler)) as client:
            h = world["h"]["analyst"]
            r = client.get("/v1/maps/heatmap", params={"cell_m": "1000"}, headers=h)
            assert r.status_code == 200, r.text
            assert "抽样估计" in r.text
            assert_offline(r.text)
            png = client.get(
                "/v1/maps/heatmap", params={"cell_m": "1000", "format": "png"}, headers=h
            )
            assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
            # a narrow selection (estimated below the threshold) stays exact
            narrow = client.get(
                "/v1/maps/heatmap",
                params={"cell_m": "1000", "category": "hazard.fire"},
                headers=h,
            )
            assert narrow.status_code == 200 and "抽样" not in narrow.text
    finally:
        sampler.close()
    plain = world["client"].get("/v1/maps/heatmap", params={"cell_m": "1000"}, headers=h)
    assert plain.status_code == 200 and "抽样" not in plain.text
