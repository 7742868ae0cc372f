"""Security: token storage and comparison, personal data kept out of logs and error
answers, CORS, security headers, rate limits (429 + Retry-After) and body limits (413)."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from api import create_app
from api.security import HTML_POLICY, TokenBuckets
from gridsvc.access import authenticate, create_token, hash_token
from gridsvc.errors import Unauthenticated
from gridsvc.logs import JsonFormatter
from gridsvc.service import Gridsvc
from gridsvc.settings import (
    EventSettings,
    SecuritySettings,
    ServerSettings,
    Settings,
    load_settings,
)
from tests.api.conftest import bearer

XUANWU = (118.7840, 32.0410)


def _app(svc: Gridsvc, **changes: Any) -> FastAPI:
    settings: Settings = svc.settings.model_copy(update=changes)
    return create_app(settings, service=svc)


# --- tokens ----------------------------------------------------------------------------------


def test_only_the_sha256_of_a_token_is_stored(module_svc: Gridsvc) -> None:
    token_id, token = create_token(module_svc.db, role="analyst", name="sec-hash")
    rows = module_svc.db.cursor_fetchall(
        "SELECT token_sha256, row_to_json(t)::text FROM api_token t WHERE id = %s", (token_id,)
    )
    stored, whole_row = rows[0]
    assert stored == hashlib.sha256(token.encode()).hexdigest() == hash_token(token)
    assert token not in whole_row and token.removeprefix("gsk_") not in whole_row
    everything = module_svc.db.cursor_fetchall("SELECT json_agg(t)::text FROM api_token t")[0][0]
    assert token.removeprefix("gsk_") not in everything


def test_lookup_compares_in_constant_time(
    module_svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, token = create_token(module_svc.db, role="analyst", name="sec-ct")
    calls: list[tuple[str, str]] = []
    original = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # the module gridsvc.access uses
    principal = authenticate(module_svc.db, f"Bearer {token}")
    assert principal.name == "sec-ct"
    assert calls == [(hash_token(token), hash_token(token))]
    with pytest.raises(Unauthenticated):
        authenticate(module_svc.db, f"Bearer {token}x")


# --- personal data ---------------------------------------------------------------------------

PHONE = "13912345678"
DESCRIPTION = f"王小明家门口漏水，联系电话{PHONE}，身份证320102199001011234"
ADDRESS = "玄武区北京东路41号3单元502室"


@pytest.fixture
def json_log(module_svc: Gridsvc) -> Iterator[tuple[TestClient, io.StringIO, str]]:
    _, token = create_token(module_svc.db, role="admin", name="sec-logs")
    app = _app(module_svc, server=ServerSettings(log_format="json", log_level="debug"))
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("gridsvc")
    root.addHandler(handler)
    try:
        with TestClient(app, headers=bearer(token)) as client:
            yield client, buffer, token
    finally:
        root.removeHandler(handler)


def test_no_personal_data_in_logs_or_error_answers(
    json_log: tuple[TestClient, io.StringIO, str],
) -> None:
    client, buffer, token = json_log
    report = {
        "client_event_id": "sec-pii-1",
        "reporter_id": "王小明",
        "category": "dispute.family",
        "title": f"电话{PHONE}",
        "description": DESCRIPTION,
        "address": ADDRESS,
        "occurred_at": "2026-11-20T09:30:00+08:00",
        "lon": XUANWU[0],
        "lat": XUANWU[1],
    }
    stored = client.post("/v1/events", json=report)
    assert stored.status_code == 201, stored.text
    other = {**report, "client_event_id": "sec-pii-2"}
    answers = [
        client.post("/v1/events", json={**other, "category": "no.such"}),  # 400
        client.post("/v1/events", json={**other, "description": DESCRIPTION * 200}),  # 422
        client.post("/v1/events", json={**other, "title": "x" + DESCRIPTION * 10}),  # 422
        client.post("/v1/events", json={**other, "lon": "east"}),  # 422
        client.post("/v1/events", json={**report, "lat": 32.0}),  # 409: same id, other content
        client.get("/v1/locate", params={"lon": XUANWU[0], "lat": XUANWU[1]}),
        client.get("/v1/events", headers={"Authorization": f"Bearer {token}-wrong"}),  # 401
        client.get("/v1/events", headers={"Authorization": f"Basic {token}"}),  # 401
    ]
    assert [a.status_code for a in answers] == [400, 422, 422, 422, 409, 200, 401, 401]
    for answer in answers[:5] + answers[6:]:
        for secret in (PHONE, "身份证", ADDRESS, token):
            assert secret not in answer.text, (secret, answer.text)
    logged = buffer.getvalue()
    lines = [json.loads(line) for line in logged.splitlines()]
    assert len(lines) >= 9 and all("request_id" in line for line in lines if "status" in line)
    for secret in (PHONE, "王小明", "身份证", ADDRESS, token, token.removeprefix("gsk_")):
        assert secret not in logged, secret
    # coordinates of a report are in the query string, which is never logged
    assert str(XUANWU[0]) not in logged


# --- CORS ------------------------------------------------------------------------------------


def _preflight(client: TestClient, origin: str) -> Any:
    return client.options(
        "/v1/events",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def test_cors_is_closed_by_default(client: TestClient) -> None:
    r = client.get("/v1/categories", headers={"Origin": "https://evil.example"})
    assert r.status_code == 200
    assert "access-control-allow-origin" not in r.headers
    pre = _preflight(client, "https://evil.example")
    assert "access-control-allow-origin" not in pre.headers
    assert pre.status_code in (401, 405)  # no CORS layer: the API itself answers


def test_cors_origins_are_configurable(module_svc: Gridsvc) -> None:
    allowed = "https://embed.example.gov.cn"
    app = _app(module_svc, security=SecuritySettings(cors_origins=[allowed]))
    _, token = create_token(module_svc.db, role="analyst", name="sec-cors")
    with TestClient(app) as c:
        pre = _preflight(c, allowed)
        assert pre.status_code == 200
        assert pre.headers["access-control-allow-origin"] == allowed
        assert "authorization" in pre.headers["access-control-allow-headers"].lower()
        r = c.get("/v1/categories", headers={"Origin": allowed, **bearer(token)})
        assert r.headers["access-control-allow-origin"] == allowed
        assert "Retry-After" in r.headers["access-control-expose-headers"]
        other = _preflight(c, "https://evil.example")
        assert other.status_code == 400
        assert "access-control-allow-origin" not in other.headers
        r = c.get("/v1/categories", headers={"Origin": "https://evil.example", **bearer(token)})
        assert "access-control-allow-origin" not in r.headers


def test_cors_origins_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDSVC_CORS_ORIGINS", "https://a.example, https://b.example/")
    assert load_settings().security.cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("GRIDSVC_CORS_ORIGINS", '["https://c.example"]')
    assert load_settings().security.cors_origins == ["https://c.example"]
    monkeypatch.delenv("GRIDSVC_CORS_ORIGINS")
    assert load_settings().security.cors_origins == []


# --- headers ---------------------------------------------------------------------------------


def _assert_base_headers(r: Any) -> None:
    assert r.headers["x-content-type-options"] == "nosniff"
    # pages tell tile servers their origin (OSM's policy, Tianditu's domain-bound keys), and
    # only that; nothing else sends a referrer at all
    html = r.headers.get("content-type", "").startswith("text/html")
    want = "strict-origin-when-cross-origin" if html else "no-referrer"
    assert r.headers["referrer-policy"] == want


def test_security_headers_on_json_and_errors(client: TestClient) -> None:
    for r in (
        client.get("/v1/categories"),
        client.get("/health"),
        client.get("/v1/events/999999"),
        client.get("/v1/categories", headers={"Authorization": "Bearer nope"}),
        client.get("/no/such/path"),
    ):
        _assert_base_headers(r)
        assert r.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
        assert r.headers["x-frame-options"] == "DENY"
    assert client.get("/no/such/path").json()["error"] == "NotFound"


def test_html_pages_get_a_policy_that_lets_the_maps_run(client: TestClient) -> None:
    page = client.get("/v1/maps/heatmap")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    _assert_base_headers(page)
    policy = page.headers["content-security-policy"]
    assert policy == HTML_POLICY
    assert "script-src 'self' 'unsafe-inline'" in policy  # folium's inline scripts
    assert "frame-ancestors 'none'" in policy and page.headers["x-frame-options"] == "DENY"
    assert "<script>" in page.text or "<script " in page.text  # the page does use inline JS
    docs = client.get("/docs")
    assert docs.headers["content-security-policy"] == HTML_POLICY


def test_a_route_own_frame_policy_is_kept(module_svc: Gridsvc) -> None:
    app = _app(module_svc)
    own = "frame-ancestors https://portal.example.gov.cn"

    @app.get("/test-own-frame")
    def framed() -> HTMLResponse:
        return HTMLResponse("<p>embed</p>", headers={"Content-Security-Policy": own})

    @app.get("/test-own-xfo")
    def sameorigin() -> HTMLResponse:
        return HTMLResponse("<p>x</p>", headers={"X-Frame-Options": "SAMEORIGIN"})

    with TestClient(app) as c:
        r = c.get("/test-own-frame")
        assert r.headers["content-security-policy"] == own
        assert "x-frame-options" not in r.headers
        _assert_base_headers(r)
        r = c.get("/test-own-xfo")
        assert r.headers["x-frame-options"] == "SAMEORIGIN"
        assert r.headers["content-security-policy"] == HTML_POLICY


# --- rates and sizes -------------------------------------------------------------------------


def test_token_bucket_refills_at_its_rate() -> None:
    buckets = TokenBuckets(rate_per_s=2.0, burst=3)
    assert [buckets.take("k", now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("k", now=100.0) == pytest.approx(0.5)
    assert buckets.take("other", now=100.0) == 0.0  # keys are separate
    assert buckets.take("k", now=100.5) == 0.0  # one token back after 1/rate seconds
    assert buckets.take("k", now=100.5) == pytest.approx(0.5)
    assert buckets.take("k", now=200.0) == 0.0  # never more than the burst
    small = TokenBuckets(rate_per_s=1.0, burst=1, max_keys=2)
    for key in ("a", "b", "c"):
        small.take(key, now=0.0)
    assert len(small._buckets) == 2


def test_rate_limit_per_token_answers_429_with_retry_after(module_svc: Gridsvc) -> None:
    app = _app(module_svc, security=SecuritySettings(rate_limit_per_s=0.5, rate_limit_burst=3))
    _, one = create_token(module_svc.db, role="analyst", name="sec-rate-1")
    _, two = create_token(module_svc.db, role="analyst", name="sec-rate-2")
    with TestClient(app) as c:
        statuses = [c.get("/v1/categories", headers=bearer(one)).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        r = c.get("/v1/categories", headers=bearer(one))
        assert r.status_code == 429
        assert r.headers["retry-after"] == "2"
        body = r.json()
        assert body["error"] == "TooManyRequests" and "Retry-After" in body["hint"]
        _assert_base_headers(r)
        assert c.get("/v1/categories", headers=bearer(two)).status_code == 200
        assert c.get("/health").status_code == 200  # probes are never throttled


def test_random_tokens_do_not_each_get_a_fresh_allowance(module_svc: Gridsvc) -> None:
    # a token not seen working yet also spends its address's allowance
    app = _app(module_svc, security=SecuritySettings(rate_limit_per_s=0.5, rate_limit_burst=3))
    with TestClient(app) as c:
        statuses = [
            c.get("/v1/categories", headers=bearer(f"gsk_random{i}")).status_code for i in range(4)
        ]
    assert statuses == [401, 401, 401, 429]


def test_repeated_bad_tokens_are_throttled_but_working_tokens_pass(module_svc: Gridsvc) -> None:
    app = _app(module_svc, security=SecuritySettings(auth_failures_per_min=3))
    _, good = create_token(module_svc.db, role="analyst", name="sec-guess")
    with TestClient(app) as c:
        assert c.get("/v1/categories", headers=bearer(good)).status_code == 200
        guesses = [
            c.get("/v1/categories", headers=bearer(f"gsk_guess{i}")).status_code for i in range(5)
        ]
        assert guesses == [401, 401, 401, 429, 429]
        r = c.get("/v1/categories", headers=bearer("gsk_guess9"))
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "token" in r.json()["message"]
        assert c.get("/v1/categories", headers=bearer(good)).status_code == 200


def test_defaults_do_not_throttle_normal_use() -> None:
    defaults = SecuritySettings()
    assert defaults.rate_limit_per_s == 0  # off unless configured
    assert defaults.auth_failures_per_min == 60
    assert defaults.cors_origins == []


def test_body_limits_answer_413_with_the_limit(module_svc: Gridsvc) -> None:
    app = _app(module_svc, events=EventSettings(max_body_bytes=5_000, max_upload_bytes=20_000))
    _, token = create_token(module_svc.db, role="admin", name="sec-size")
    with TestClient(app, headers=bearer(token)) as c:
        r = c.post(
            "/v1/events",
            content=b"{" + b" " * 6_000 + b"}",
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 413 and "5,000" in r.json()["message"]
        _assert_base_headers(r)
        r = c.post(
            "/v1/locate",
            content=b"{" + b" " * 4_000 + b"}",
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 422  # under the limit: read, and refused for its content
        up = c.post("/v1/imports", files={"file": ("a.csv", b"x" * 30_000)})
        assert up.status_code == 413 and "20,000" in up.json()["message"]
