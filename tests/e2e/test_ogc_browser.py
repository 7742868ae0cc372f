"""The OGC API Features pages (``f=html``) in a real headless Chromium, every request to
another host aborted: a signed-in analyst browses from the landing page to a collection's
items, sees them drawn on the map and listed, follows the next page and opens one feature;
a browser that is not signed in is sent to the sign-in form."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api import create_app
from gridsvc import users
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from tests.e2e.test_console_browser import PASSWORD, Person
from tests.e2e.test_maps_browser import serving

pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def base(module_svc: Gridsvc) -> Iterator[str]:
    users.create_user(module_svc.db, username="ogc-ana", password=PASSWORD, role="analyst")
    with serving(create_app(module_svc.settings, service=module_svc)) as url:
        yield url


@pytest.fixture
def person(browser: Any, base: str) -> Iterator[Person]:
    p = Person(browser, base)
    try:
        yield p
    finally:
        p.close()
    assert not p.problems, p.problems


def test_an_analyst_browses_from_the_landing_page_to_a_street(
    person: Person, module_svc: Gridsvc
) -> None:
    person.sign_in("ogc-ana")
    page = person.page
    page.goto(person.base + "/ogc?f=html")
    page.click("text=数据集合")
    page.wait_for_selector("#collections")
    rows = page.locator("#collections tbody tr")
    titles = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert "街道/镇" in titles and any("事件" in t for t in titles)
    page.locator("#collections tbody tr", has_text="街道/镇").locator("text=浏览要素").click()
    page.wait_for_selector("#ogc-map[data-drawn]")
    streets = grid_store.level_counts(module_svc.db)["street"]
    assert page.locator("#ogc-map").get_attribute("data-drawn") == "100"
    assert page.locator("#features tbody tr").count() == 100
    assert f"共 {streets} 个" in page.inner_text("#counts")
    # outlines drawn: Leaflet's canvas renderer paints on a canvas inside the map
    assert page.locator("#ogc-map canvas").count() >= 1
    docs = os.environ.get("GRIDSVC_DOCS_SCREENSHOTS")
    if docs:
        page.screenshot(path=str(Path(docs) / "ogc-items-page.png"), full_page=False)
    page.click("#next")
    page.wait_for_selector("#ogc-map[data-drawn]")
    assert page.locator("#features tbody tr").count() == streets - 100
    first = page.locator("#features tbody tr").first.locator("a")
    code = first.inner_text()
    first.click()
    page.wait_for_selector("#ogc-map[data-drawn='1']")
    assert code in page.inner_text("h1")
    assert page.locator("#features tbody tr").count() == 1


def test_a_browser_without_a_session_is_asked_to_sign_in(person: Person) -> None:
    person.expected_status = {401}
    answer = person.page.goto(person.base + "/ogc/collections?f=html")
    assert answer is not None
    assert "/login" in person.page.url
