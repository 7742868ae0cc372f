"""Public map embeds over HTTP: admin-only publish/list/revoke, the public page without a
token, 404 for altered links, 410 once revoked or expired, frame-ancestors headers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from api.routes.embeds import EmbedListOut, EmbedOut
from gridsvc.access import create_token
from gridsvc.maps import assert_offline
from gridsvc.service import Gridsvc
from gridsvc.settings import EmbedSettings, MapSettings
from tests.api.conftest import bearer
from tests.embed_data import ADDRESS, DESCRIPTION, REPORTER, seed_streets

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
BRIEFING = "https://briefing.example.gov.cn"
BODY = {
    "kind": "choropleth",
    "title": "十一月消防隐患",
    "params": {"level": "street", "category": "hazard.fire", "from": "2026-11-01"},
}


@pytest.fixture(scope="module")
def world(module_svc: Gridsvc) -> Iterator[dict[str, Any]]:
    # the module's database, with frame ancestors configured and a server default of OSM
    # tiles, which embeds must not follow (they work offline)
    settings = module_svc.settings.model_copy(
        update={
            "embeds": EmbedSettings(embed_frame_ancestors=[BRIEFING, "http://127.0.0.1:9"]),
            "maps": MapSettings(map_tiles="osm"),
        }
    )
    svc = Gridsvc(settings, module_svc.db)
    svc.clock = lambda: NOW
    seeded = seed_streets(svc)
    tokens = {
        role: create_token(svc.db, role=role, name=f"{role}-1", **extra)[1]
        for role, extra in (
            ("admin", {}),
            ("analyst", {}),
            ("grid_worker", {"scope_code": "320102002"}),
        )
    }
    with TestClient(create_app(settings, service=svc)) as client:
        yield {
            "client": client,
            "svc": svc,
            "seeded": seeded,
            "h": {k: bearer(v) for k, v in tokens.items()},
        }


def _publish(world: dict[str, Any], **changes: Any) -> EmbedOut:
    r = world["client"].post("/v1/embeds", json={**BODY, **changes}, headers=world["h"]["admin"])
    assert r.status_code == 201, r.text
    return EmbedOut.model_validate(r.json())


def test_publish_list_revoke(world: dict[str, Any]) -> None:
    client, h = world["client"], world["h"]
    r = client.post("/v1/embeds", json=BODY, headers=h["admin"])
    assert r.status_code == 201, r.text
    out = EmbedOut.model_validate(r.json())
    assert r.headers["location"] == out.url and out.url.startswith(f"/embed/{out.id}.")
    assert out.expires_at == NOW + timedelta(days=30) and out.state == "active"
    assert out.created_by == "admin-1" and out.min_count == 5
    assert out.params["category"] == ["hazard.fire"] and out.params["scheme"] == "quantiles"

    listed = EmbedListOut.model_validate(client.get("/v1/embeds", headers=h["admin"]).json())
    assert out in listed.embeds

    page = client.get(out.url)
    assert page.status_code == 200
    assert client.delete(f"/v1/embeds/{out.id}", headers=h["admin"]).status_code == 204
    gone = client.get(out.url)
    assert gone.status_code == 410
    assert "withdrawn" in gone.text and gone.headers["content-type"].startswith("text/html")
    assert client.delete(f"/v1/embeds/{out.id}", headers=h["admin"]).status_code == 404
    assert client.delete(f"/v1/embeds/{2**70}", headers=h["admin"]).status_code == 404
    listed = EmbedListOut.model_validate(client.get("/v1/embeds", headers=h["admin"]).json())
    assert {e.id: e.state for e in listed.embeds}[out.id] == "revoked"


def test_only_admins_publish_list_and_revoke(world: dict[str, Any]) -> None:
    client, h = world["client"], world["h"]
    out = _publish(world)
    for who in ("analyst", "grid_worker"):
        assert client.post("/v1/embeds", json=BODY, headers=h[who]).status_code == 403
        assert client.get("/v1/embeds", headers=h[who]).status_code == 403
        assert client.delete(f"/v1/embeds/{out.id}", headers=h[who]).status_code == 403
    assert client.post("/v1/embeds", json=BODY).status_code == 401
    assert client.get("/v1/embeds").status_code == 401
    assert client.delete(f"/v1/embeds/{out.id}").status_code == 401
    assert client.get(out.url).status_code == 200  # still published


def test_public_page_needs_no_token_and_shows_aggregates_only(world: dict[str, Any]) -> None:
    client = world["client"]
    out = _publish(world)
    r = client.get(out.url)  # no Authorization header
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>十一月消防隐患</title>" in r.text
    assert "/static/maps/leaflet.js" in r.text and "少于5件" in r.text
    assert '"value_text": "\\u003c5"' in r.text or '"value_text": "<5"' in r.text
    assert '"value_text": "3"' not in r.text and '"value_text": "7"' in r.text
    assert "openstreetmap" not in r.text.lower()
    assert_offline(r.text)
    for personal in (REPORTER, DESCRIPTION, ADDRESS):
        assert personal not in r.text
    for name in ("leaflet.js", "leaflet.css"):  # its scripts need no token either
        assert client.get(f"/static/maps/{name}").status_code == 200


def test_frame_ancestors_and_caching_headers(world: dict[str, Any]) -> None:
    client = world["client"]
    out = _publish(world)
    r = client.get(out.url)
    policy = r.headers["content-security-policy"]
    assert f"frame-ancestors {BRIEFING} http://127.0.0.1:9" in policy
    assert "default-src 'none'" in policy
    # another origin may frame it: X-Frame-Options (DENY/SAMEORIGIN only) must not say no
    assert "x-frame-options" not in r.headers
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["cache-control"] == "no-cache"
    again = client.get(out.url, headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert "frame-ancestors" in again.headers["content-security-policy"]


def test_default_policy_is_same_origin_only(module_svc: Gridsvc) -> None:
    svc = Gridsvc(module_svc.settings, module_svc.db)
    _, token = create_token(svc.db, role="admin", name="default-admin")
    with TestClient(create_app(svc.settings, service=svc)) as client:
        r = client.post(
            "/v1/embeds", json={**BODY, "kind": "heatmap", "params": {}}, headers=bearer(token)
        )
        assert r.status_code == 201, r.text
        page = client.get(r.json()["url"])
    assert page.status_code == 200
    assert page.headers["content-security-policy"].endswith("frame-ancestors 'self'")
    assert page.headers["x-frame-options"] == "SAMEORIGIN"


def test_viewer_parameters_are_ignored(world: dict[str, Any]) -> None:
    client = world["client"]
    out = _publish(world)
    plain = client.get(out.url)
    tried = client.get(
        out.url,
        params={"level": "community", "category": "hazard", "min_count": "0", "from": "2020-01-01"},
    )
    assert tried.status_code == 200 and tried.content == plain.content


def test_altered_links_are_404_and_expired_ones_410(world: dict[str, Any]) -> None:
    client, svc = world["client"], world["svc"]
    out = _publish(world, expires_in_days=2)
    prefix, _, signature = out.url.rpartition(".")
    altered = prefix + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    other_id = out.url.replace(f"/embed/{out.id}.", f"/embed/{out.id + 1000}.")
    bodies = []
    for url in (altered, other_id, "/embed/nothing", out.url[:-1]):
        r = client.get(url)
        assert r.status_code == 404, url
        bodies.append(r.text)
    assert len(set(bodies)) == 1  # the same words whatever was wrong
    try:
        svc.clock = lambda: NOW + timedelta(days=2)
        r = client.get(out.url)
        assert r.status_code == 410 and "expired" in r.text
        assert "frame-ancestors" in r.headers["content-security-policy"]
    finally:
        svc.clock = lambda: NOW
    assert client.get(out.url).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({**BODY, "kind": "pie"}, 400, "kind"),
        ({**BODY, "params": {"cell_m": 200}, "kind": "heatmap"}, 400, "cell_m"),
        ({**BODY, "params": {"levle": "street"}}, 400, "levle"),
        ({**BODY, "expires_in_days": 366}, 422, "expires_in_days"),
        ({**BODY, "title": ""}, 422, "title"),
        ({**BODY, "standalone": True}, 422, "standalone"),
        ({**BODY, "title": "a\x00b"}, 400, "title"),
        ({**BODY, "params": {"status": "reported\x00"}}, 400, "status"),
    ],
)
def test_bad_requests_name_the_field(
    world: dict[str, Any], body: dict[str, Any], status: int, field: str
) -> None:
    r = world["client"].post("/v1/embeds", json=body, headers=world["h"]["admin"])
    assert r.status_code == status, r.text
    assert r.json()["field"] == field
