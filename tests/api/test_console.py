"""The console over HTTP: sign-in and its cookie, CSRF, the lock, sign-out, rights that are
the role's, security headers, and the admin's user form (messages in Chinese by the field).
The browser tests (tests/e2e/test_console_browser.py) drive the same pages in Chromium."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient

from api import create_app
from gridsvc import users
from gridsvc.errors import Unauthenticated
from gridsvc.logs import JsonFormatter
from gridsvc.service import Gridsvc
from gridsvc.settings import SecuritySettings, ServerSettings
from web.field import SIGNED_OUT_COOKIE
from web.labels import ZH_CN

PASSWORD = "correct horse battery"
ACCOUNTS = {
    "ana": {"role": "analyst"},
    "boss": {"role": "admin"},
    "gw": {"role": "grid_worker", "scope_code": "320102002001"},
    "street": {"role": "dispatcher", "scope_code": "320102002"},
}


@pytest.fixture(scope="module")
def console_svc(module_svc: Gridsvc) -> Gridsvc:
    for name, rights in ACCOUNTS.items():
        users.create_user(module_svc.db, username=name, password=PASSWORD, **rights)  # type: ignore[arg-type]
    return module_svc


def app_for(svc: Gridsvc, **security: object) -> object:
    settings = svc.settings.model_copy(
        update={
            "security": SecuritySettings(**security),  # type: ignore[arg-type]
            "server": ServerSettings(log_format="json", log_level="debug"),
        }
    )
    return create_app(settings, service=svc)


@pytest.fixture
def client(console_svc: Gridsvc) -> Iterator[TestClient]:
    with TestClient(app_for(console_svc), follow_redirects=False) as c:  # type: ignore[arg-type]
        yield c


def nonce_of(page: str) -> str:
    match = re.search(r'name="nonce" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def sign_in(c: TestClient, name: str, password: str = PASSWORD, next: str = "") -> object:
    form = c.get("/login")
    return c.post(
        "/login",
        data={"username": name, "password": password, "nonce": nonce_of(form.text), "next": next},
    )


def cookie(c: TestClient) -> str:
    return next(k.value for k in c.cookies.jar if k.name == "gridsvc_session")  # type: ignore[return-value]


def plant(c: TestClient, value: str) -> None:
    """Replace the browser's session cookie with ``value`` (as another site's script or an
    old copy of the cookie would)."""
    c.cookies.clear()
    c.cookies.set("gridsvc_session", value, domain="testserver.local", path="/")


def csrf_of(c: TestClient, page: str = "/console/home") -> str:
    text = c.get(page).text
    match = re.search(r'name="csrf-token" content="([^"]+)"', text)
    assert match, text[:300]
    return match.group(1)


def test_pages_send_a_stranger_to_the_sign_in_form(client: TestClient) -> None:
    assert client.get("/").headers["location"] == "/login"
    answer = client.get("/console/map?level=street")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/console/map%3Flevel%3Dstreet"
    page = client.get("/login")
    assert page.status_code == 200 and "登录" in page.text
    assert page.headers["content-type"].startswith("text/html")
    assert client.get("/v1/events").status_code == 401  # no cookie, no token


def test_sign_in_sets_a_strict_cookie_and_lands_on_the_roles_page(client: TestClient) -> None:
    answer = sign_in(client, "ana")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/map"  # type: ignore[attr-defined]
    cookie = next(
        h
        for h in answer.headers.get_list("set-cookie")
        if h.startswith("gridsvc_session=")  # type: ignore[attr-defined]
    )
    flags = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= flags
    assert "samesite=lax" in cookie.lower() and "secure" not in flags  # plain http here
    page = client.get("/console/map")
    assert page.status_code == 200 and "地图与统计" in page.text
    assert sign_in(client, "gw").headers["location"] == "/field"  # type: ignore[attr-defined]
    assert sign_in(client, "street").headers["location"] == "/dispatch"  # type: ignore[attr-defined]
    back = sign_in(client, "ana", next="/console/map?level=district")
    assert back.headers["location"] == "/console/map?level=district"  # type: ignore[attr-defined]
    elsewhere = sign_in(client, "ana", next="//evil.example/phish")
    assert elsewhere.headers["location"] == "/console/map"  # type: ignore[attr-defined]


def test_over_https_the_cookie_is_secure(console_svc: Gridsvc) -> None:
    app = app_for(console_svc)
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as c:  # type: ignore[arg-type]
        answer = sign_in(c, "ana")
        cookie = answer.headers["set-cookie"]  # type: ignore[attr-defined]
        assert "gridsvc_session=" in cookie and "secure" in cookie.lower()


def test_a_new_session_id_at_every_sign_in_and_the_old_one_ends(client: TestClient) -> None:
    sign_in(client, "ana")
    first = cookie(client)
    sign_in(client, "ana")
    second = cookie(client)
    assert first != second
    plant(client, first)
    assert client.get("/v1/categories").status_code == 401
    # a value planted before sign-in is never kept
    plant(client, "planted-by-someone-else")
    sign_in(client, "ana")
    assert cookie(client) not in ("planted-by-someone-else", first, second)


def test_the_sign_in_form_needs_its_own_nonce(client: TestClient) -> None:
    answer = client.post(
        "/login", data={"username": "ana", "password": PASSWORD, "nonce": "guessed"}
    )
    assert answer.status_code == 400 and ZH_CN["login_form_stale"] in answer.text
    assert "gridsvc_session" not in client.cookies


def test_wrong_or_missing_input_is_explained_in_chinese(client: TestClient) -> None:
    wrong = sign_in(client, "ana", "not the password")
    assert wrong.status_code == 401 and ZH_CN["login_failed"] in wrong.text  # type: ignore[attr-defined]
    assert 'value="ana"' in wrong.text  # type: ignore[attr-defined]  # the name is kept
    blank = client.post(
        "/login",
        data={"username": "", "password": "", "nonce": nonce_of(client.get("/login").text)},
    )
    assert blank.status_code == 400
    assert (
        len(
            re.findall(
                f'class="field-error" id="[a-z]+-error">{ZH_CN["field_required"]}', blank.text
            )
        )
        == 2
    )
    assert 'id="username-error"' in blank.text and 'id="password-error"' in blank.text


def test_five_wrong_passwords_lock_the_account(console_svc: Gridsvc, client: TestClient) -> None:
    users.create_user(console_svc.db, username="locky", password=PASSWORD, role="analyst")
    for _ in range(5):
        assert sign_in(client, "locky", "not the password").status_code == 401  # type: ignore[attr-defined]
    locked = sign_in(client, "locky")
    assert locked.status_code == 401 and ZH_CN["login_locked"] in locked.text  # type: ignore[attr-defined]


def test_failed_sign_ins_count_towards_the_per_address_limit(console_svc: Gridsvc) -> None:
    app = app_for(console_svc, auth_failures_per_min=3)
    with TestClient(app, follow_redirects=False) as c:  # type: ignore[arg-type]
        # a session that works from this address lifts nothing for the sign-in form
        sign_in(c, "ana")
        assert c.get("/v1/categories").status_code == 200
        page, statuses = c.get("/login"), []
        for _ in range(5):
            data = {
                "username": "nobody",
                "password": "nothing at all",
                "nonce": nonce_of(page.text),
            }
            answer = c.post("/login", data=data)
            statuses.append(answer.status_code)
            if answer.status_code == 429:
                break
            page = answer  # the form again, with a new nonce
    assert statuses == [401, 401, 401, 429]


def test_state_changes_through_a_session_need_its_csrf_token(client: TestClient) -> None:
    sign_in(client, "boss")
    body = {"kind": "heatmap", "title": "CSRF 测试", "params": {}}
    assert client.post("/v1/embeds", json=body).status_code == 403
    assert (
        client.post("/v1/embeds", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
    )
    token = csrf_of(client)
    made = client.post("/v1/embeds", json=body, headers={"X-CSRF-Token": token})
    assert made.status_code == 201, made.text
    assert client.get("/v1/embeds").status_code == 200  # reading needs no token
    # sign-out is a state change too
    assert client.post("/logout", data={"csrf_token": "wrong"}).status_code == 403
    assert client.get("/v1/embeds").status_code == 200
    out = client.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=1"


def test_a_signed_out_session_is_refused_everywhere(client: TestClient) -> None:
    sign_in(client, "ana")
    old = cookie(client)
    client.post("/logout", data={"csrf_token": csrf_of(client)})
    plant(client, old)
    assert client.get("/v1/stats/grids", params={"level": "district"}).status_code == 401
    page = client.get("/console/map")
    assert page.status_code == 303 and "expired=1" in page.headers["location"]


def test_sign_out_marks_the_field_page_kept_offline_as_stale(client: TestClient) -> None:
    """The field page's service worker keeps /field (with the session's name and token):
    /field/whoami says who the browser's session is now, and sign-out (from any page)
    leaves a marker cookie scripts can read, cleared when /field is served signed in again.
    Clear-Site-Data "storage" would also wipe the reports queued in IndexedDB."""
    sign_in(client, "gw")
    who = client.get("/field/whoami")
    assert who.status_code == 200 and who.headers["cache-control"] == "no-store"
    assert who.json() == {"user": "gw", "csrf_token": csrf_of(client)}
    out = client.post("/logout", data={"csrf_token": csrf_of(client)})
    assert out.status_code == 303
    (marker,) = [h for h in out.headers.get_list("set-cookie") if SIGNED_OUT_COOKIE in h]
    assert "httponly" not in marker.lower() and "Path=/" in marker
    assert "storage" not in out.headers.get("clear-site-data", "")
    assert client.cookies.get(SIGNED_OUT_COOKIE) == "1"
    gone = client.get("/field/whoami")  # 200, not 401: not counted as a failed sign-in
    assert gone.status_code == 200 and gone.json() == {"user": None, "csrf_token": None}
    sign_in(client, "gw")
    page = client.get("/field")
    assert page.status_code == 200
    assert SIGNED_OUT_COOKIE not in client.cookies


def test_a_session_has_exactly_its_roles_rights(client: TestClient) -> None:
    sign_in(client, "gw")
    assert client.get("/v1/stats/grids", params={"level": "street"}).status_code == 403
    page = client.get("/console/map")
    assert page.status_code == 403 and ZH_CN["forbidden_page"] in page.text
    assert client.get("/console/users").status_code == 403
    sign_in(client, "street")
    assert client.get("/v1/maps/heatmap").status_code == 403  # a street is not citywide
    assert client.get("/console/map").status_code == 403
    assert client.get("/v1/events").status_code == 200
    sign_in(client, "ana")
    assert client.get("/v1/stats/grids", params={"level": "district"}).status_code == 200
    assert client.get("/console/users").status_code == 403  # admins only
    token = csrf_of(client, "/console/map")
    refused = client.post(
        "/v1/embeds", json={"kind": "heatmap", "title": "x"}, headers={"X-CSRF-Token": token}
    )
    assert refused.status_code == 403  # an analyst may not publish, session or token alike


def test_console_pages_carry_the_security_headers(client: TestClient) -> None:
    sign_in(client, "boss")
    for path in ("/login", "/console/map", "/console/users", "/console/embeds", "/console/home"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["cache-control"] == "no-store"
    assert client.get("/static/console/map.js").status_code == 200


def test_no_password_or_session_id_reaches_the_log(console_svc: Gridsvc) -> None:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.DEBUG)
    try:
        with TestClient(app_for(console_svc), follow_redirects=False) as c:  # type: ignore[arg-type]
            sign_in(c, "ana", "a wrong password 42")
            sign_in(c, "ana")
            session_id = cookie(c)
            c.get("/console/map")
            c.get("/v1/stats/grids", params={"level": "district"})
            c.post("/logout", data={"csrf_token": csrf_of(c)})
    finally:
        root.removeHandler(handler)
        root.setLevel(old)
    log = buffer.getvalue()
    assert "/login" in log and "/console/map" in log  # the requests were logged
    for secret in (PASSWORD, "a wrong password 42", session_id):
        assert secret not in log


def test_the_admin_creates_users_and_bad_input_is_explained_by_the_field(
    client: TestClient, console_svc: Gridsvc
) -> None:
    sign_in(client, "boss")
    token = csrf_of(client, "/console/users")
    form = {
        "csrf_token": token,
        "username": "new-gw",
        "display_name": "新网格员",
        "password": PASSWORD,
        "role": "grid_worker",
        "scope": "320102002001",
    }
    cases = [
        ({"username": "x"}, "username", ZH_CN["err_username"]),
        ({"password": "short"}, "password", ZH_CN["err_password"]),
        ({"scope": ""}, "scope", ZH_CN["err_scope"]),
        ({"username": "ana"}, "username", ZH_CN["err_username_taken"]),
    ]
    for change, field, message in cases:
        answer = client.post("/console/users", data={**form, **change})
        assert answer.status_code == 400
        assert f'id="u-{field}-error">{message}</p>' in answer.text, (field, answer.text[-3000:])
        assert 'value="新网格员"' in answer.text  # what was typed stays
        assert PASSWORD not in answer.text  # but never the password
    assert client.post("/console/users", data={**form, "csrf_token": "wrong"}).status_code == 403
    made = client.post("/console/users", data=form)
    assert made.status_code == 200 and ZH_CN["user_created"] in made.text
    assert 'data-username="new-gw"' in made.text
    signed = users.sign_in(console_svc.db, "new-gw", PASSWORD, ttl_s=60)
    assert (signed.principal.role, signed.principal.scope_code) == ("grid_worker", "320102002001")
    assert (
        client.post("/console/users/new-gw/disable", data={"csrf_token": token}).status_code == 303
    )
    with pytest.raises(Unauthenticated):
        users.sign_in(console_svc.db, "new-gw", PASSWORD, ttl_s=60)


def test_the_statistics_download_as_a_geopackage(client: TestClient, tmp_path: object) -> None:
    sign_in(client, "ana")
    params = {"level": "district", "from": "2026-01-01", "to": "2026-12-01"}
    gpkg = client.get("/v1/stats/grids", params={**params, "format": "gpkg"})
    assert gpkg.status_code == 200
    assert gpkg.headers["content-type"] == "application/geopackage+sqlite3"
    path = tmp_path / "stats.gpkg"  # type: ignore[operator]
    path.write_bytes(gpkg.content)
    frame = gpd.read_file(path)
    rows = client.get("/v1/stats/grids", params=params).json()["rows"]
    assert sorted(zip(frame["code"], frame["n"], strict=True)) == sorted(
        (r["code"], r["n"]) for r in rows
    )
    assert len(frame) == 11 and frame.crs.to_epsg() == 4326
