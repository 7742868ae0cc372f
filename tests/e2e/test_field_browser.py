"""The grid worker's field page (/field) in a real headless Chromium on a phone's screen, with
every request to another host aborted and recorded.

A grid worker signs in and lands on /field; the emulated GPS position is named as the
community /v1/locate gives, and a point outside the worker's scope is explained before
sending; bad input is explained next to its field; a report with a photo (shrunk in the
browser to 1600 px) is stored and its photo read back by the street's dispatcher. Then the
server goes away and the browser offline: the page reloads from its service worker, three
reports and one at a point outside the city are queued (in IndexedDB, with a photo), the
page reloads again and still holds them; the server and the network come back and the page
sends the queue by itself: the three are stored exactly once, the fourth is refused with its
reason and kept for correction, and once corrected it is stored. The worker verifies a
resolved event of its community (only the service's own photo addresses shown as pictures).
Two workers share one phone in turn: each one's queue goes with that one's session only.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import Request, urlopen
from zoneinfo import ZoneInfo

import pytest
import shapely
import xstatic.pkg.leaflet as xstatic_leaflet

from api import create_app
from gridsvc import users
from gridsvc.access import Principal, create_token
from gridsvc.events import store
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from gridsvc.workflow.actions import ActionRequest, apply_action
from tests.e2e.test_maps_browser import _free_port, serving
from web.field import SIGNED_OUT_COOKIE
from web.labels import ZH_CN

playwright_sync = pytest.importorskip("playwright.sync_api")
PIL = pytest.importorskip("PIL.Image")

PASSWORD = "correct horse battery"
COMMUNITY = "320102002001"  # the worker's scope, in street 320102002
STREET = "320102002"
OUTSIDE_CITY = (117.0, 30.5)  # WGS-84, ~150 km south-west of Nanjing: in no grid
PHONE = {"width": 390, "height": 800}


def _point(units: Any, code: str) -> tuple[float, float]:
    p = units.set_index("code").at[code, "geometry"].representative_point()
    assert isinstance(p, shapely.Point)
    return (round(p.x, 6), round(p.y, 6))


class Server:
    """The app under uvicorn on a fixed port, stopped and started again on the same port
    (a real outage: nothing answers in between)."""

    def __init__(self, svc: Gridsvc) -> None:
        self.svc = svc
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._stack: ExitStack | None = None

    def start(self) -> None:
        self._stack = ExitStack()
        self._stack.enter_context(
            serving(create_app(self.svc.settings, service=self.svc), self.port)
        )

    def stop(self) -> None:
        assert self._stack is not None
        self._stack.close()
        self._stack = None


@pytest.fixture(scope="module")
def world(module_svc: Gridsvc) -> Iterator[dict[str, Any]]:
    svc = module_svc
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    street_units = units[(units["level"] == "community") & (units["parent_code"] == STREET)]
    neighbour = sorted(c for c in street_units["code"] if c != COMMUNITY)[0]
    users.create_user(
        svc.db, username="gw", password=PASSWORD, role="grid_worker", scope_code=COMMUNITY
    )
    _, street_token = create_token(svc.db, role="dispatcher", name="street", scope_code=STREET)
    server = Server(svc)
    server.start()
    try:
        yield {
            "svc": svc,
            "server": server,
            "home": _point(units, COMMUNITY),
            "neighbour": _point(units, neighbour),
            "street_token": street_token,
        }
    finally:
        if server._stack is not None:
            server.stop()


class Phone:
    """One worker's phone: a browser context at a phone's size with an emulated GPS; requests
    to other hosts aborted and recorded, as are script errors; every POST /v1/events the
    page makes is counted with its answer."""

    def __init__(self, browser: Any, base: str, where: tuple[float, float]) -> None:
        self.base = base
        self.context = browser.new_context(
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            geolocation={"longitude": where[0], "latitude": where[1], "accuracy": 12},
            permissions=["geolocation"],
        )
        self.problems: list[str] = []
        self.posts: list[str] = []  # POST /v1/events, in order, retries included
        self.answers: list[int] = []  # their statuses, as the page got them
        self.lose_answers = 0  # answers of POST /v1/events to drop on the way back
        self.lost: list[int] = []  # the statuses the page never got
        self.busy = 0  # POST /v1/events to answer 503 without passing them on
        self.spoil_csrf = 0  # POST /v1/events to pass on with a wrong X-CSRF-Token
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.problems.append(f"script error {e}"))
        self.page.on("request", self._request)
        self.page.on("response", self._response)

    def _route(self, route: Any) -> None:
        parts = urlsplit(route.request.url)
        if self.lose_answers and route.request.method == "POST" and parts.path == "/v1/events":
            # the report reaches the server, its answer never reaches the phone
            self.lost.append(route.fetch().status)
            self.lose_answers -= 1
            route.abort("connectionreset")
        elif self.busy and route.request.method == "POST" and parts.path == "/v1/events":
            self.busy -= 1
            body = {"error": "DatabaseUnavailable", "message": "busy", "hint": "later"}
            route.fulfill(status=503, content_type="application/json", body=json.dumps(body))
        elif self.spoil_csrf and route.request.method == "POST" and parts.path == "/v1/events":
            self.spoil_csrf -= 1
            route.continue_(headers={**route.request.headers, "x-csrf-token": "stale"})
        elif parts.scheme in ("data", "about", "blob") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.problems.append(f"outside request {route.request.url}")
            route.abort()

    def _request(self, r: Any) -> None:
        if r.method == "POST" and urlsplit(r.url).path == "/v1/events":
            self.posts.append(r.post_data or "")

    def _response(self, r: Any) -> None:
        if r.request.method == "POST" and urlsplit(r.url).path == "/v1/events":
            self.answers.append(r.status)

    def move_to(self, where: tuple[float, float]) -> None:
        self.context.set_geolocation({"longitude": where[0], "latitude": where[1], "accuracy": 12})

    def sign_in(self, name: str) -> None:
        self.page.goto(self.base + "/")
        self.page.fill("#username", name)
        self.page.fill("#password", PASSWORD)
        self.page.click("#sign-in")
        self.page.wait_for_url(self.base + "/field")
        self.ready()

    def sign_in_elsewhere(self, name: str) -> None:
        """Sign in as ``name`` in this browser (its cookies) without touching the open page,
        as another tab would: the page's session is no longer the browser's."""
        form = self.context.request.get(self.base + "/login")
        nonce = re.search(r'name="nonce" value="([^"]+)"', form.text())
        assert nonce, form.text()[:300]
        answer = self.context.request.post(
            self.base + "/login",
            form={"username": name, "password": PASSWORD, "nonce": nonce.group(1)},
            max_redirects=0,
        )
        assert answer.status == 303, answer.text()[:300]

    def ready(self) -> None:
        self.page.wait_for_function("() => window.fieldReady === true", timeout=20_000)

    def place(self, where: tuple[float, float]) -> str:
        """The place's text once the page has named the point ``where`` (WGS-84), or said
        that it cannot (offline, outside every grid)."""
        self.page.wait_for_function(
            """([lon, lat]) => {
              const p = document.getElementById('f-place').dataset;
              return Math.abs(Number(p.lon) - lon) < 1e-6 && Math.abs(Number(p.lat) - lat) < 1e-6
                && !!p.located;
            }""",
            arg=list(where),
            timeout=20_000,
        )
        return str(self.page.text_content("#f-place"))

    def wait_kept(self, user: str) -> None:
        """Until the service worker controls the page and keeps ``user``'s page and files."""
        self.page.wait_for_function(
            """async (user) => {
              for (const n of await caches.keys()) {
                const c = await caches.open(n);
                const page = await c.match('/field');
                if (page && (await page.text()).includes(`data-user="${user}"`)
                    && await c.match('/static/console/field.js')
                    && await c.match('/static/maps/leaflet.js') && await c.match('/v1/categories'))
                  return navigator.serviceWorker.controller !== null;
              }
              return false;
            }""",
            arg=user,
            timeout=30_000,
        )

    def records(self) -> list[list[str]]:
        """Every report in the phone's queue (IndexedDB), whoever's: [owner, state, title]."""
        found: list[list[str]] = self.page.evaluate(
            """() => new Promise((resolve, reject) => {
              const open = indexedDB.open('gridsvc-field');
              open.onerror = () => reject(open.error);
              open.onsuccess = () => {
                const all = open.result.transaction('reports').objectStore('reports').getAll();
                all.onsuccess = () => resolve(
                  all.result.map((r) => [r.owner, r.state, r.report.title]).sort());
              };
            })"""
        )
        return found

    def fill_report(self, title: str, photo: bytes | None = None) -> None:
        page = self.page
        page.fill("#f-cat-search", "充电")  # filters to 电动自行车违规充电, chosen as the only one
        page.wait_for_selector("#f-attr-indoor")
        assert page.input_value("#f-category") == "hazard.ebike_charging"
        page.select_option("#f-attr-indoor", "true")
        page.fill("#f-attr-count", "3")
        page.fill("#f-title", title)
        page.fill("#f-description", "楼道内充电，" + title)
        if photo is not None:
            page.set_input_files(
                "#f-photos", files=[{"name": "p.png", "mimeType": "image/png", "buffer": photo}]
            )
            page.wait_for_selector("#f-previews img")

    def queue(self) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = self.page.eval_on_selector_all(
            "#f-queue li",
            "items => items.map(i => ({id: i.dataset.id, state: i.dataset.state, "
            "text: i.textContent}))",
        )
        return rows

    def wait_queue(self, states: dict[str, int]) -> None:
        want = json.dumps(states, sort_keys=True, separators=(",", ":"))
        try:
            self._wait_queue(want)
        except Exception:
            print("QUEUE", self.queue(), self.posts, self.answers, self.problems)
            raise

    def _wait_queue(self, want: str) -> None:
        self.page.wait_for_function(
            f"""() => {{
              const n = {{}};
              for (const li of document.querySelectorAll('#f-queue li'))
                n[li.dataset.state] = (n[li.dataset.state] || 0) + 1;
              return JSON.stringify(Object.fromEntries(Object.entries(n).sort())) === '{want}';
            }}""",
            timeout=30_000,
        )

    def close(self) -> None:
        self.context.close()


def photo_png(size: tuple[int, int] = (2000, 1500)) -> bytes:
    image = PIL.new("RGB", size, "white")
    image.paste(PIL.new("RGB", (size[0] // 2, size[1] // 2), "red"), (0, 0))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def as_dispatcher(world: dict[str, Any], path: str) -> tuple[int, str, bytes]:
    request = Request(
        world["server"].base + path, headers={"Authorization": f"Bearer {world['street_token']}"}
    )
    with urlopen(request, timeout=30) as answer:
        return answer.status, answer.headers["content-type"], answer.read()


def stored_reports(svc: Gridsvc, reporter: str = "gw") -> list[tuple[str, str]]:
    rows = svc.db.cursor_fetchall(
        "SELECT client_event_id, title FROM event WHERE reporter_id = %(r)s ORDER BY id",
        {"r": reporter},
    )
    return [(str(a), str(b)) for a, b in rows]


def beijing(iso: str) -> str:
    """An ISO 8601 instant as the page shows times: Beijing time, 2026/11/28 09:30."""
    instant = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return instant.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y/%m/%d %H:%M")


def locate_as(phone: Phone, where: tuple[float, float]) -> dict[str, Any]:
    answer = phone.context.request.get(
        f"{phone.base}/v1/locate?lon={where[0]}&lat={where[1]}&crs=wgs84"
    )
    assert answer.ok, answer.text()
    found: dict[str, Any] = answer.json()
    return found


def community_of(found: dict[str, Any]) -> dict[str, str]:
    unit: dict[str, str] = next(u for u in found["units"] if u["level"] == "community")
    return unit


@pytest.fixture
def phone(browser: Any, world: dict[str, Any]) -> Iterator[Phone]:
    p = Phone(browser, world["server"].base, world["home"])
    yield p
    p.close()
    assert p.problems == []


def test_reports_online_offline_refused_and_corrected(phone: Phone, world: dict[str, Any]) -> None:
    svc, server, page = world["svc"], world["server"], phone.page
    phone.sign_in("gw")

    # the GPS position is named as /v1/locate names it; in the worker's own community
    home = community_of(locate_as(phone, world["home"]))
    assert home["code"] == COMMUNITY
    assert home["name"] in phone.place(world["home"])
    assert page.get_attribute("#f-place", "data-community") == COMMUNITY
    assert page.is_hidden("#f-place-warning")

    # bad input is explained next to its field, in Chinese, and nothing is sent
    page.click("#f-submit")
    playwright_sync.expect(page.locator("#f-title-error")).to_be_visible()
    assert page.text_content("#f-category-error") == ZH_CN["field_choose_category"]
    assert page.text_content("#f-title-error") == ZH_CN["field_required"]
    page.fill("#f-cat-search", "充电")
    page.wait_for_selector("#f-attr-indoor")
    page.fill("#f-attr-count", "0")  # below the taxonomy's minimum of 1
    page.click("#f-submit")
    playwright_sync.expect(page.locator("#f-attr-count-error")).to_be_visible()
    assert page.text_content("#f-attr-indoor-error") == ZH_CN["field_required"]
    assert "1" in str(page.text_content("#f-attr-count-error"))
    assert page.get_attribute("#f-attr-count", "aria-invalid") == "true"
    assert phone.posts == []

    # a point in another community of the street: named, and explained before sending
    phone.move_to(world["neighbour"])
    page.click("#f-locate")
    neighbour = community_of(locate_as(phone, world["neighbour"]))
    page.wait_for_function(
        f"() => document.getElementById('f-place').dataset.community === '{neighbour['code']}'"
    )
    assert neighbour["name"] in str(page.text_content("#f-place"))
    assert page.text_content("#f-place-warning") == ZH_CN["field_outside_scope"]
    phone.move_to(world["home"])
    page.click("#f-locate")
    page.wait_for_function(
        f"() => document.getElementById('f-place').dataset.community === '{COMMUNITY}'"
    )

    # online: a report with a photo is sent at once; its answer is lost on the way back, so
    # the page keeps it waiting and, on its own a few seconds later, sends it again: stored
    # once (the retry is a replay, 200)
    phone.lose_answers = 1
    phone.fill_report("在线上报", photo_png())
    page.click("#f-submit")
    for _ in range(300):
        if phone.lost:
            break
        page.wait_for_timeout(100)
    phone.wait_queue({"waiting": 1})
    assert phone.lost == [201] and len(phone.posts) == 1 and phone.answers == []
    phone.wait_queue({"sent": 1})
    # its time in the queue is Beijing time, as every time the page shows
    shown = page.eval_on_selector(
        "#f-queue li time", "t => [t.getAttribute('datetime'), t.textContent]"
    )
    assert shown[1] == beijing(shown[0]) and shown[0].endswith("Z")
    assert [t for _, t in stored_reports(svc)] == ["在线上报"]
    assert len(phone.posts) == 2 and phone.answers == [200]
    assert phone.posts[0] == phone.posts[1]  # the same client_event_id and content
    status, _, body = as_dispatcher(world, f"/v1/events?grid={COMMUNITY}")
    (feature,) = json.loads(body)["features"]
    props = feature["properties"]
    assert props["attributes"] == {"indoor": True, "count": 3}
    assert props["location"]["accuracy_m"] == 12
    assert abs(feature["geometry"]["coordinates"][0] - world["home"][0]) < 1e-6
    (url,) = props["media"]
    status, kind, data = as_dispatcher(world, url)
    assert (status, kind) == (200, "image/jpeg")
    shrunk = PIL.open(io.BytesIO(data))
    assert (shrunk.format, shrunk.size) == ("JPEG", (1600, 1200))  # from 2000 × 1500
    assert shrunk.getpixel((10, 10))[0] > 200 and shrunk.getpixel((10, 10))[1] < 60  # red

    # the service worker keeps the page: wait until it holds the page and its files
    phone.wait_kept("gw")

    # a real outage: nothing answers, and the browser is offline
    server.stop()
    phone.context.set_offline(True)
    reloaded = page.reload()
    assert reloaded is not None and reloaded.from_service_worker
    phone.ready()
    assert page.is_visible("#f-form")
    assert page.text_content("#f-net") == ZH_CN["field_offline"]
    assert page.locator("#f-category option").count() > 30  # the taxonomy, from the cache
    assert ZH_CN["field_locate_offline"] in str(page.text_content("#f-place-warning"))

    for i in (1, 2, 3):
        phone.fill_report(f"离线上报{i}", photo_png((300, 200)) if i == 2 else None)
        page.click("#f-submit")
        playwright_sync.expect(page.locator("#f-submitted")).to_have_text(
            ZH_CN["field_queued_offline"]
        )
    # a fourth where the GPS says: outside the city (the page cannot check it offline)
    phone.move_to(OUTSIDE_CITY)
    page.click("#f-locate")
    phone.place(OUTSIDE_CITY)
    phone.fill_report("城外上报")
    page.click("#f-submit")
    phone.wait_queue({"sent": 1, "waiting": 4})

    page.reload()  # still offline: the queue is in IndexedDB, photos too
    phone.ready()
    phone.wait_queue({"sent": 1, "waiting": 4})
    assert page.text_content("#f-queue-count") == "4"
    assert len(phone.posts) == 2  # nothing was tried while offline

    # the server and the network come back: the page sends the queue by itself
    server.start()
    phone.context.set_offline(False)
    phone.wait_queue({"refused": 1, "sent": 4})
    titles = [t for _, t in stored_reports(svc)]
    assert sorted(titles) == ["在线上报", "离线上报1", "离线上报2", "离线上报3"]
    assert len(set(cid for cid, _ in stored_reports(svc))) == 4
    # one POST per queued report: three stored (201), the outside one refused (400, lon)
    assert len(phone.posts) == 6
    assert sorted(phone.answers) == [200, 201, 201, 201, 400]
    sent_titles = [json.loads(p)["title"] for p in phone.posts]
    assert sorted(sent_titles[2:]) == ["城外上报", "离线上报1", "离线上报2", "离线上报3"]

    # the photo queued offline arrived with its report
    status, _, body = as_dispatcher(world, f"/v1/events?grid={COMMUNITY}")
    by_title = {f["properties"]["title"]: f["properties"] for f in json.loads(body)["features"]}
    (queued_photo,) = by_title["离线上报2"]["media"]
    status, kind, data = as_dispatcher(world, queued_photo)
    assert (status, kind) == (200, "image/jpeg")
    assert PIL.open(io.BytesIO(data)).size == (300, 200)

    # the refused report shows the server's reason and stays for correction, also on reload
    (refused,) = [q for q in phone.queue() if q["state"] == "refused"]
    assert ZH_CN["field_state_refused"] in refused["text"]
    assert ZH_CN["field_refused_outside"] in refused["text"]
    assert "的任何网格内" in refused["text"]  # the server's own words, in the page's language
    page.reload()
    phone.ready()
    phone.wait_queue({"refused": 1, "sent": 4})

    # corrected: the form holds the report again; moved back home, it is stored once
    page.click("#tab-queue")
    page.click(f"#f-queue li[data-id='{refused['id']}'] .f-fix")
    playwright_sync.expect(page.locator("#f-title")).to_have_value("城外上报")
    playwright_sync.expect(page.locator("#f-attr-indoor")).to_have_value("true")
    assert page.is_visible("#f-editing")
    phone.move_to(world["home"])
    page.click("#f-locate")
    page.wait_for_function(
        f"() => document.getElementById('f-place').dataset.community === '{COMMUNITY}'"
    )
    page.click("#f-submit")
    phone.wait_queue({"sent": 5})
    assert len(stored_reports(svc)) == 5
    assert refused["id"] in {cid for cid, _ in stored_reports(svc)}  # the same client id
    assert len(phone.posts) == 7 and phone.answers.count(201) == 4

    # my reports: the five, with their status in Chinese
    page.click("#tab-mine")
    page.wait_for_function("() => document.querySelectorAll('#f-mine li').length === 5")
    statuses = page.eval_on_selector_all("#f-mine li", "l => l.map(i => i.dataset.status)")
    assert statuses == ["reported"] * 5
    times = page.eval_on_selector_all(
        "#f-mine li time", "ts => ts.map(t => [t.getAttribute('datetime'), t.textContent])"
    )
    assert len(times) == 5 and all(text == beijing(iso) for iso, text in times)
    first = str(page.locator("#f-mine li").first.text_content())
    assert first.startswith(ZH_CN["status_reported"])


def test_the_worker_verifies_or_fails_resolved_events_of_its_community(
    phone: Phone, world: dict[str, Any]
) -> None:
    svc = world["svc"]
    admin = Principal(0, "boss", "admin")
    photo = "/v1/media/" + "ab" * 32
    ids = []
    for n in (1, 2):
        event = store.create_event(
            svc,
            {
                "client_event_id": f"to-verify-{n}",
                "reporter_id": "someone",
                "category": "environment.sanitation",
                "title": f"待核查{n}",
                "occurred_at": "2026-11-20T08:30:00+08:00",
                "lon": world["home"][0],
                "lat": world["home"][1],
                # only the service's own photo address is shown as a picture
                "media": [photo, "/v1/media/../../field/whoami", "/v1/media/AB" + "0" * 62],
            },
        ).event
        for action in ("accept", "dispatch", "resolve"):
            req = ActionRequest(
                action,
                note="已清理" if action == "resolve" else None,
                department=None if action == "accept" else _department_for(svc),
            )
            apply_action(svc, event["id"], req, admin)
        ids.append(event["id"])
    phone.sign_in("gw")
    page = phone.page
    page.set_viewport_size({"width": 360, "height": 640})  # the smallest phone we serve
    wide = "() => document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(wide), "the page scrolls sideways at 360 px"
    box = page.locator("#f-submit").bounding_box()
    assert box is not None and box["height"] >= 44  # a thumb's target
    page.click("#tab-verify")
    for event_id in ids:
        page.wait_for_selector(f"#f-verify li[data-id='{event_id}']")
        images = page.eval_on_selector_all(
            f"#f-verify li[data-id='{event_id}'] img", "l => l.map(i => i.getAttribute('src'))"
        )
        assert images == [photo]
    page.click(f"#f-verify li[data-id='{ids[0]}'] .f-verify")
    page.wait_for_selector(f"#f-verify li[data-id='{ids[0]}'] .notice")
    item = f"#f-verify li[data-id='{ids[1]}']"
    page.click(f"{item} .f-fail")  # first shows the note box
    page.click(f"{item} .f-fail")  # without a note: explained, not sent
    assert page.text_content(f"{item} .field-error") == ZH_CN["field_fail_note_required"]
    page.fill(f"{item} textarea", "仍有垃圾堆放")
    page.click(f"{item} .f-fail")
    page.wait_for_selector(f"{item} .notice")
    status = {i: store.get_event(svc, i)["status"] for i in ids}
    assert status == {ids[0]: "verified", ids[1]: "dispatched"}


def _department_for(svc: Gridsvc) -> str:
    rows = svc.db.cursor_fetchall("SELECT code FROM department ORDER BY code LIMIT 1")
    return str(rows[0][0])


def test_the_service_worker_is_served_for_the_field_scope(world: dict[str, Any]) -> None:
    with urlopen(world["server"].base + "/field/sw.js", timeout=30) as answer:
        script = answer.read().decode()
        assert answer.headers["Service-Worker-Allowed"] == "/field"
        assert answer.headers["content-type"].startswith("text/javascript")
        assert "'self'" in answer.headers["content-security-policy"]
    assert re.search(r'const CACHE = "gridsvc-field-[0-9a-f]{16}"', script)
    assert '"/static/console/field.js"' in script and "__PRECACHE__" not in script


def test_the_first_load_bench_counts_what_the_page_fetched(world: dict[str, Any]) -> None:
    """bench/field.py: its count holds at least the page's own files, each once by the page,
    and nothing from another host."""
    from bench.field import first_load_bytes

    users.create_user(
        world["svc"].db,
        username="gw-bench",
        password=PASSWORD,
        role="grid_worker",
        scope_code=COMMUNITY,
    )
    # a thread of its own: this module's browser holds the sync API's loop in this thread
    with ThreadPoolExecutor(1) as pool:
        found = pool.submit(first_load_bytes, world["server"].base, "gw-bench", PASSWORD).result()
    print("FIRST LOAD", json.dumps({k: v for k, v in found.items() if k != "largest"}))
    print("LARGEST", found["largest"])
    leaflet = Path(xstatic_leaflet.BASE_DIR, "leaflet.js").stat().st_size
    assert found["outside_requests"] == []
    assert found["bytes_page"] > leaflet  # leaflet.js alone is this large, uncompressed
    assert found["bytes_total"] == found["bytes_page"] + found["bytes_service_worker"]
    urls = [r["url"] for r in found["largest"]]
    assert "/static/maps/leaflet.js" in urls


def test_two_workers_share_one_phone(browser: Any, world: dict[str, Any]) -> None:
    """One browser, two workers in turn: a busy server is retried on a timer; a stale CSRF
    token is renewed, not held against the report; after sign-out (on another page) the kept
    page is gone; a page of one worker open while another signs in reloads as the other's,
    and each one's queued reports go with that one's session only; a report whose id the
    server holds with other content is sent again under a new id once corrected."""
    svc = world["svc"]
    for name in ("gw-a", "gw-b"):
        users.create_user(
            svc.db, username=name, password=PASSWORD, role="grid_worker", scope_code=COMMUNITY
        )
    phone = Phone(browser, world["server"].base, world["home"])
    page = phone.page
    try:
        phone.sign_in("gw-a")
        phone.place(world["home"])
        phone.wait_kept("gw-a")

        # a busy server (503): the report waits and is sent again on a timer, unasked
        phone.busy = 1
        phone.fill_report("甲一")
        page.click("#f-submit")
        phone.wait_queue({"sent": 1})
        assert phone.answers == [503, 201]

        # a stale token (403 for CSRF): renewed and sent, never 被退回
        phone.spoil_csrf = 1
        phone.fill_report("甲二")
        page.click("#f-submit")
        phone.wait_queue({"sent": 2})
        assert phone.answers[2:] == [403, 201]
        # a new session of the same worker (another tab): the page takes its token
        token = page.get_attribute("meta[name=csrf-token]", "content")
        phone.sign_in_elsewhere("gw-a")
        phone.fill_report("甲三")
        page.click("#f-submit")
        phone.wait_queue({"sent": 3})
        assert phone.answers[4:] == [201]
        assert page.get_attribute("meta[name=csrf-token]", "content") != token
        assert page.input_value("input[name=csrf_token]") != token  # sign-out works too

        # the server stays busy; A's fourth report waits; A signs out on another page
        phone.busy = 1000
        phone.fill_report("甲待发")
        page.click("#f-submit")
        phone.wait_queue({"sent": 3, "waiting": 1})
        page.goto(world["server"].base + "/console/home")
        page.click("#sign-out")
        page.wait_for_url("**/login?signed_out=1")
        assert SIGNED_OUT_COOKIE in {c["name"] for c in phone.context.cookies()}
        # no network: A's kept page (A's name and token) opens for nobody
        phone.context.set_offline(True)
        with pytest.raises(playwright_sync.Error):
            page.goto(world["server"].base + "/field")
        phone.context.set_offline(False)

        # B signs in on the same phone: B's page, B's (empty) queue; A's report kept for A
        phone.sign_in("gw-b")
        assert page.get_attribute("#field", "data-user") == "gw-b"
        assert phone.queue() == []
        assert ["gw-a", "waiting", "甲待发"] in phone.records()
        assert SIGNED_OUT_COOKIE not in {c["name"] for c in phone.context.cookies()}
        phone.wait_kept("gw-b")
        phone.fill_report("乙待发")
        page.click("#f-submit")
        phone.wait_queue({"waiting": 1})

        # A signs in in another tab while B's page is open; the server is back: B's page
        # finds another worker signed in and reloads as A's, which sends A's report only
        phone.sign_in_elsewhere("gw-a")
        phone.busy = 0
        page.click("#tab-queue")
        page.click("#f-send-now")
        page.wait_for_selector("#field[data-user='gw-a']", timeout=20_000)
        phone.ready()
        phone.wait_queue({"sent": 4})
        assert [t for _, t in stored_reports(svc, "gw-a")] == ["甲一", "甲二", "甲三", "甲待发"]
        assert stored_reports(svc, "gw-b") == []
        assert ["gw-b", "waiting", "乙待发"] in phone.records()

        # B again: B's report goes with B's session
        page.click("#sign-out")
        page.wait_for_url("**/login?signed_out=1")
        phone.sign_in("gw-b")
        phone.wait_queue({"sent": 1})
        assert [t for _, t in stored_reports(svc, "gw-b")] == ["乙待发"]

        # a report whose id the server already holds with other content (409): explained,
        # and once corrected sent under a new id
        phone.busy = 1000
        phone.fill_report("乙重号")
        page.click("#f-submit")
        phone.wait_queue({"sent": 1, "waiting": 1})
        (queued,) = [q for q in phone.queue() if q["state"] == "waiting"]
        taken = phone.context.request.post(
            world["server"].base + "/v1/events",
            headers={"X-CSRF-Token": str(page.get_attribute("meta[name=csrf-token]", "content"))},
            data={
                "client_event_id": queued["id"],
                "category": "environment.sanitation",
                "title": "另一条",
                "occurred_at": "2026-11-20T08:30:00+08:00",
                "lon": world["home"][0],
                "lat": world["home"][1],
                "crs": "wgs84",
            },
        )
        assert taken.status == 201, taken.text()
        phone.busy = 0
        page.click("#tab-queue")
        page.click("#f-send-now")
        phone.wait_queue({"refused": 1, "sent": 1})
        (refused,) = [q for q in phone.queue() if q["state"] == "refused"]
        assert ZH_CN["field_refused_duplicate"] in refused["text"]
        page.click(f"#f-queue li[data-id='{queued['id']}'] .f-fix")
        playwright_sync.expect(page.locator("#f-title")).to_have_value("乙重号")
        phone.place(world["home"])
        page.click("#f-submit")
        playwright_sync.expect(page.locator("#f-submitted")).to_contain_text(
            ZH_CN["field_resent_as_new"]
        )
        phone.wait_queue({"sent": 2})
        stored = dict(stored_reports(svc, "gw-b"))
        assert stored[queued["id"]] == "另一条"
        assert sorted(stored.values()) == ["乙待发", "乙重号", "另一条"]
        assert queued["id"] not in {q["id"] for q in phone.queue()}
    finally:
        phone.close()
    assert phone.problems == []


def test_a_file_that_is_not_a_photo_is_refused_next_to_the_field(phone: Phone) -> None:
    """A file the phone cannot read as a picture (here text named .jpg) is explained where
    photos are chosen, and nothing is added to the report."""
    phone.sign_in("gw")
    page = phone.page
    page.set_input_files(
        "#f-photos",
        files=[{"name": "scan.jpg", "mimeType": "image/jpeg", "buffer": b"not a picture\n" * 50}],
    )
    error = page.locator("#f-photos-error")
    error.wait_for(state="visible")
    assert error.inner_text() == ZH_CN["field_not_a_photo"].replace("{name}", "scan.jpg")
    assert page.locator("#f-previews li").count() == 0


def test_categories_are_found_by_pinyin_initials(phone: Phone) -> None:
    phone.sign_in("gw")
    page = phone.page
    page.fill("#f-cat-search", "ddz")  # 电动自…
    page.wait_for_selector("#f-attr-indoor")  # the only match is chosen, its fields shown
    assert page.input_value("#f-category") == "hazard.ebike_charging"
    assert page.locator("#f-category option").count() == 1
    page.fill("#f-cat-search", "rqaq")  # 燃气安全…
    names = page.eval_on_selector_all("#f-category option", "o => o.map(x => x.textContent)")
    assert names == ["燃气安全隐患"]
