"""The console's and the field page's scripts ask for the server's messages in Chinese,
whatever the browser's own language (a headless Chromium says en-US), so an error a page
shows is in the page's language. The server here answers in English by default (the tests'
setting): only the pages' own Accept-Language turns the answers Chinese."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from api import create_app
from gridsvc import users
from gridsvc.service import Gridsvc
from tests.e2e.test_maps_browser import serving

playwright_sync = pytest.importorskip("playwright.sync_api")

PASSWORD = "correct horse battery"
CJK = re.compile(r"[\u4e00-\u9fff]")
# what a script saw of a refused request: the status, message id and message, or "ok"
REFUSED = "(p) => p.then(() => 'ok', (e) => [e.status, e.body.message_id, e.body.message])"


@pytest.fixture(scope="module")
def site(module_svc: Gridsvc) -> Iterator[str]:
    users.create_user(module_svc.db, username="ana", password=PASSWORD, role="analyst")
    users.create_user(
        module_svc.db,
        username="gw",
        password=PASSWORD,
        role="grid_worker",
        scope_code="320102002001",
    )
    with serving(create_app(module_svc.settings, service=module_svc)) as base:
        yield base


def _signed_in(browser: Any, base: str, name: str, page_path: str) -> Any:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_load_state("networkidle")
    page.goto(base + page_path)
    page.wait_for_load_state("networkidle")
    return page


def test_the_console_asks_for_chinese(browser: Any, site: str) -> None:
    page = _signed_in(browser, site, "ana", "/console/map")
    said = page.evaluate(f"({REFUSED})(api('/v1/events?urgency=high'))")
    assert said[:2] == [400, "common.unknown_choice"] and CJK.search(said[2]), said
    # the same browser without the page's header: the server's default, English here
    plain = page.evaluate("fetch('/v1/events?urgency=high').then((r) => r.json())")
    assert plain["message_id"] == "common.unknown_choice" and not CJK.search(plain["message"])
    page.context.close()


def test_the_field_page_asks_for_chinese(browser: Any, site: str) -> None:
    page = _signed_in(browser, site, "gw", "/field")
    bad = "{client_event_id: 'x', category: 'hazard.fier', occurred_at: 'x', lon: 1, lat: 2}"
    said = page.evaluate(f"({REFUSED})(call('/v1/events', {{method: 'POST', json: {bad}}}))")
    assert said[:2] == [400, "report.unknown_category"] and CJK.search(said[2]), said
    assert "您是否要选" in said[2]
    page.context.close()
