"""The web console in a real headless Chromium, with every request to another host aborted,
as its users would use it: sign in, change filters, click, download, publish, sign out.

Each role signs in through the form. The analyst's map and table must show the counts the
API gives for the same filters, at every level (whose sums agree); the map must be drawn
(polygons in the page, coloured pixels in a screenshot); downloads are read back; an admin
publishes an embed and a page of another origin shows it; a grid worker and a street
dispatcher get no analyst page; sign-out ends the session.
"""

from __future__ import annotations

import http.server
import io
import json
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pandas as pd
import pytest

from api import create_app
from gridsvc import users
from gridsvc.service import Gridsvc
from gridsvc.settings import EmbedSettings
from tests.e2e.test_maps_browser import _coloured_pixels, _free_port, serving
from tests.worlds import import_generated
from web.labels import ZH_CN

playwright_sync = pytest.importorskip("playwright.sync_api")

PASSWORD = "correct horse battery"
ACCOUNTS = {
    "ana": {"role": "analyst", "display_name": "分析员小李"},
    "boss": {"role": "admin"},
    "gw": {"role": "grid_worker", "scope_code": "320102002001"},
    "street": {"role": "dispatcher", "scope_code": "320102002"},
}
WINDOW = "period=custom&from=2026-10-01&to=2026-11-29"


class Briefing:
    """A page of another origin (another port) that frames an embed, as a briefing would."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.httpd.shutdown()


@pytest.fixture(scope="module")
def world(
    module_svc: Gridsvc, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    svc = module_svc
    import_generated(svc, count=3000, days=60, seed=5, filename="console.csv")
    for name, rights in ACCOUNTS.items():
        users.create_user(svc.db, username=name, password=PASSWORD, **rights)  # type: ignore[arg-type]
    briefing = Briefing(tmp_path_factory.mktemp("briefing"))
    # embeds read who may frame them from the service's settings
    embeds = EmbedSettings(embed_frame_ancestors=["'self'", briefing.origin])
    framed = Gridsvc.open(svc.settings.model_copy(update={"embeds": embeds}))
    try:
        with serving(create_app(framed.settings, service=framed)) as base:
            yield {"base": base, "briefing": briefing}
    finally:
        framed.close()
        briefing.close()


class Person:
    """One browser context (one person's browser): outside requests aborted and recorded,
    as are failed requests, error answers (but those a test expects) and script errors."""

    def __init__(self, browser: Any, base: str, viewport: tuple[int, int] = (1366, 768)) -> None:
        self.base = base
        self.context = browser.new_context(
            viewport={"width": viewport[0], "height": viewport[1]},
            accept_downloads=True,
            locale="zh-CN",
        )
        self.problems: list[str] = []
        self.expected_status: set[int] = set()
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed {r.url}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"script error {e}"))
        self.page.on("response", self._response)

    def _route(self, route: Any) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in ("data", "about", "blob") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.problems.append(f"outside request {route.request.url}")
            route.abort()

    def _response(self, r: Any) -> None:
        if r.status >= 400 and r.status not in self.expected_status:
            self.problems.append(f"{r.status} {r.url}")

    def sign_in(self, name: str, password: str = PASSWORD) -> None:
        self.page.goto(self.base + "/")
        self.page.fill("#username", name)
        self.page.fill("#password", password)
        self.page.click("#sign-in")
        self.page.wait_for_load_state("networkidle")

    def api(self, path: str) -> Any:
        """The API as this person's session sees it (the context shares the cookie)."""
        answer = self.context.request.get(self.base + path)
        assert answer.ok, (path, answer.status, answer.text()[:300])
        return answer.json()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def person(browser: Any, world: dict[str, Any]) -> Iterator[Person]:
    p = Person(browser, world["base"])
    yield p
    p.close()
    assert p.problems == []


def wait_table(page: Any, rows: int) -> None:
    page.wait_for_function(
        f"() => document.querySelectorAll('#stats tbody tr[data-code]').length === {rows}",
        timeout=30_000,
    )


def table(page: Any) -> dict[str, int]:
    cells = page.eval_on_selector_all(
        "#stats tbody tr[data-code]",
        "rows => rows.map(r => [r.dataset.code, r.children[2].textContent])",
    )
    return {code: int(n.replace(",", "")) for code, n in cells}


def plan(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("() => window.currentPlan")
    return result


def api_counts(person: Person, level: str, p: dict[str, Any]) -> dict[str, int]:
    q = f"level={level}&from={p['from']}&to={p['to']}"
    if p["common"].get("category"):
        q += f"&category={p['common']['category']}"
    return {r["code"]: r["n"] for r in person.api(f"/v1/stats/grids?{q}")["rows"]}


def map_frame(page: Any) -> Any:
    frame = page.frame_locator("#map")
    return frame


def wait_polygons(page: Any, at_least: int) -> None:
    page.wait_for_function(
        f"""() => {{
          const d = document.getElementById('map').contentDocument;
          return d && d.querySelectorAll('path.leaflet-interactive').length >= {at_least};
        }}""",
        timeout=30_000,
    )


def map_pixels(page: Any) -> int:
    page.evaluate(
        """() => {
          const d = document.getElementById('map').contentDocument;
          const s = d.createElement('style');
          s.textContent = '.gs-info, .gs-legend { display: none !important; }';
          d.head.append(s);
        }"""
    )
    return _coloured_pixels(page.locator("#map").screenshot())


def test_the_analyst_sees_the_map_and_the_apis_counts(person: Person) -> None:
    person.sign_in("ana")
    page = person.page
    assert page.url.startswith(person.base + "/console/map")
    assert page.locator("#who-name").inner_text() == "分析员小李"
    wait_table(page, 1255)  # communities, the default level
    wait_polygons(page, 1255)
    p = plan(page)
    assert p["kind"] == "choropleth" and "value=density_per_km2" in p["mapUrl"]
    assert p["to"] > p["from"]  # the last 30 days, whatever today is
    expected = api_counts(person, "community", p)
    assert table(page) == expected
    total = int(page.locator("#total-n").inner_text().replace(",", ""))
    assert total == sum(expected.values()) > 0
    assert map_pixels(page) > 2000


def test_every_filter_redraws_the_map_and_table_to_the_apis_counts(person: Person) -> None:
    person.sign_in("ana")
    page = person.page
    page.goto(f"{person.base}/console/map?{WINDOW}&level=street")
    wait_table(page, 101)
    totals = {}
    for level, rows in (("district", 11), ("community", 1255), ("sector", 12), ("city", 1)):
        page.select_option("#f-level", level)
        wait_table(page, rows)
        p = plan(page)
        assert (p["from"], p["to"], p["level"]) == ("2026-10-01", "2026-11-29", level)
        assert table(page) == api_counts(person, level, p)
        totals[level] = sum(table(page).values())
    assert len(set(totals.values())) == 1, totals  # every level sums to the same events

    page.select_option("#f-level", "district")
    page.select_option("#f-category", "hazard")
    wait_table(page, 11)
    page.wait_for_function("() => window.currentPlan.common.category === 'hazard'")
    page.wait_for_timeout(500)
    hazard = table(page)
    assert hazard == api_counts(person, "district", plan(page))
    assert sum(hazard.values()) < totals["district"]
    # the URL holds the view: opening it again shows the same
    query = parse_qs(urlsplit(page.url).query)
    assert query["category"] == ["hazard"] and query["level"] == ["district"]
    page.goto(page.url)
    wait_table(page, 11)
    page.wait_for_timeout(500)
    assert page.locator("#f-category").input_value() == "hazard"
    assert table(page) == hazard

    page.select_option("#f-kind", "heatmap")
    page.wait_for_function(
        "() => { const d = document.getElementById('map').contentDocument;"
        " return d && d.querySelector('canvas.leaflet-heatmap-layer'); }",
        timeout=30_000,
    )
    assert "heatmap" in plan(page)["mapUrl"]
    page.select_option("#f-kind", "compare")
    wait_polygons(page, 11)
    assert "/v1/maps/compare" in plan(page)["mapUrl"]
    page.select_option("#f-kind", "timeline")
    page.wait_for_function(
        "() => { const d = document.getElementById('map').contentDocument;"
        " return d && d.querySelector('input[type=range]'); }",
        timeout=30_000,
    )
    page.select_option("#f-kind", "choropleth")
    assert page.locator("#f-hotspots").is_disabled()  # Gi* needs 30 units: not districts
    assert page.locator("#hotspots-hint").is_visible()
    page.select_option("#f-level", "street")
    page.check("#f-hotspots")
    wait_polygons(page, 101)
    assert "hotspots=1" in plan(page)["mapUrl"]


def test_a_unit_clicked_in_the_table_is_framed_and_its_series_drawn(person: Person) -> None:
    person.sign_in("ana")
    page = person.page
    page.goto(f"{person.base}/console/map?{WINDOW}&level=district")
    wait_table(page, 11)
    wait_polygons(page, 11)
    row = page.locator("#stats tbody tr[data-code]").first
    code = row.get_attribute("data-code")
    n = table(page)[code]
    row.click()
    page.wait_for_selector("#series-chart svg[data-total]")
    assert int(page.locator("#series-chart svg").get_attribute("data-total")) == n
    page.wait_for_function(
        "() => { const w = document.getElementById('map').contentWindow;"
        " return Object.values(w).some(v => v && v._gridsvcSelected); }"
    )
    # sorting by a column header
    page.click("#stats th button[data-sort='n']")
    values = list(table(page).values())
    assert values in (sorted(values), sorted(values, reverse=True))


def test_every_download_is_what_the_page_shows(person: Person, tmp_path: Path) -> None:
    person.sign_in("ana")
    page = person.page
    page.goto(f"{person.base}/console/map?{WINDOW}&level=district")
    wait_table(page, 11)
    shown = table(page)
    files = {}
    for link in ("dl-csv", "dl-geojson", "dl-gpkg", "dl-html", "dl-png"):
        with page.expect_download() as caught:
            page.click(f"#{link}")
        path = tmp_path / caught.value.suggested_filename
        caught.value.save_as(path)
        files[link] = path
    raw = files["dl-csv"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads the Chinese names
    csv = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype={"code": str})
    assert dict(zip(csv["code"], csv["n"], strict=True)) == shown
    assert "玄武区" in set(csv["name"])
    geo = json.loads(files["dl-geojson"].read_text(encoding="utf-8"))
    assert {f["properties"]["code"]: f["properties"]["n"] for f in geo["features"]} == shown
    gpkg = gpd.read_file(files["dl-gpkg"])
    assert dict(zip(gpkg["code"], gpkg["n"], strict=True)) == shown
    html = files["dl-html"].read_text(encoding="utf-8")
    assert "L.map(" in html and "/static/maps/" not in html  # standalone: nothing to fetch
    assert files["dl-png"].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_an_admin_publishes_an_embed_that_another_origin_frames(
    person: Person, world: dict[str, Any]
) -> None:
    person.sign_in("boss")
    page = person.page
    page.goto(f"{person.base}/console/map?{WINDOW}&level=district")
    wait_table(page, 11)
    page.click("#p-submit")  # no title yet
    assert page.locator("#p-title-error").inner_text() == ZH_CN["field_required"]
    page.fill("#p-title", "11月安全隐患")
    page.click("#p-submit")
    page.wait_for_selector("#published:not([hidden])")
    snippet = page.locator("#p-snippet").input_value()
    assert snippet.startswith(f'<iframe src="{person.base}/embed/')
    briefing: Briefing = world["briefing"]
    (briefing.folder / "briefing.html").write_text(
        f"<!doctype html><meta charset=utf-8><h1>简报</h1>{snippet}", encoding="utf-8"
    )
    page.goto(f"{briefing.origin}/briefing.html")
    frame = page.frame_locator("iframe")
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)
    assert frame.locator("path.leaflet-interactive").count() >= 11

    page.goto(f"{person.base}/console/embeds")
    status = page.locator("#embed-list tbody tr .status").first
    status.wait_for()
    assert status.inner_text() == ZH_CN["embed_active"]
    page.click("#embed-list tbody tr button")
    page.wait_for_function(
        "() => document.querySelector('#embed-list tbody tr .status').textContent"
        f" === '{ZH_CN['embed_revoked']}'"
    )
    embed_url = snippet.split('"')[1]
    assert person.context.request.get(embed_url).status == 410


@pytest.mark.parametrize("name", ["gw", "street"])
def test_a_grid_worker_or_street_dispatcher_gets_no_analyst_page(person: Person, name: str) -> None:
    person.sign_in(name)
    page = person.page
    assert page.url == person.base + ("/field" if name == "gw" else "/dispatch")  # their page
    assert page.locator("nav a[href='/console/map']").count() == 0
    person.expected_status = {403}
    page.goto(person.base + "/console/map")
    assert ZH_CN["forbidden_page"] in page.locator("main").inner_text()
    answer = person.context.request.get(person.base + "/v1/stats/grids?level=street")
    assert answer.status == 403


def test_bad_input_is_explained_next_to_the_field(person: Person) -> None:
    person.expected_status = {400, 401}
    page = person.page
    page.goto(person.base + "/login")
    page.click("#sign-in")
    assert page.locator("#username-error").inner_text() == ZH_CN["field_required"]
    assert page.locator("#password-error").inner_text() == ZH_CN["field_required"]
    person.sign_in("ana", "wrong password!")
    assert page.locator("#login-error").inner_text() == ZH_CN["login_failed"]
    assert page.locator("#username").input_value() == "ana"
    person.sign_in("ana")
    page.goto(f"{person.base}/console/map?{WINDOW}&level=district")
    wait_table(page, 11)
    page.fill("#f-to", "2026-09-01")  # before the start
    page.dispatch_event("#f-to", "change")
    assert page.locator("#dates-error").is_visible()
    assert table(page) != {}  # what was shown stays


def test_sign_out_ends_the_session(person: Person) -> None:
    person.sign_in("ana")
    page = person.page
    page.click("#sign-out")
    page.wait_for_url("**/login?signed_out=1")
    assert ZH_CN["signed_out"] in page.locator("main").inner_text()
    page.goto(person.base + "/console/map")
    assert urlsplit(page.url).path == "/login"
    person.expected_status = {401}
    assert person.context.request.get(person.base + "/v1/categories").status == 401
