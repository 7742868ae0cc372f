"""The grid worker's field page (``/field``, issue #19): bytes transferred by its first load.

A field phone is often on a weak or metered network, so what the page costs to open the
first time is its budget (goal: at most ``GOAL_BYTES``). Measured in headless Chromium at a
phone's size, every other host blocked: the worker signs in through the form in one browser
context (not counted); a fresh context (empty HTTP cache, no service worker) gets the
session cookie and opens ``/field``. Counted until the page is ready (categories loaded, the
emulated GPS point named) and its service worker has kept the page for offline use: every
response's headers and body as they came over the wire (Playwright's ``Request.sizes()``,
compressed size when compressed), split into what the page fetched and what its service
worker fetched to keep (its first fill mostly repeats the page's own files).
"""

from __future__ import annotations

import argparse
import json
from typing import Any, cast
from urllib.parse import urlsplit

from bench.maps import CHROMIUM, CHROMIUM_ARGS, PAGE_TIMEOUT_MS

GOAL_BYTES = 500_000
PHONE: Any = {"width": 390, "height": 800}  # a playwright ViewportSize
POINT_WGS84 = (118.7840, 32.0410)  # central Nanjing (the README's /v1/locate example)

_KEPT = """async () => {
  if (!navigator.serviceWorker || !navigator.serviceWorker.controller) return false;
  for (const name of await caches.keys()) {
    const c = await caches.open(name);
    if (await c.match('/field') && await c.match('/static/console/field.js')) return true;
  }
  return false;
}"""


def first_load_bytes(base_url: str, username: str, password: str) -> dict[str, Any]:
    """Sign in as ``username`` (a grid worker or admin) and measure the first load of
    ``/field``: bytes in total, by the page and by its service worker, requests, the largest
    files, and whether the total is within ``GOAL_BYTES``."""
    from playwright.sync_api import sync_playwright

    host = urlsplit(base_url).hostname
    outside: list[str] = []

    def note_outside(request: Any) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname != host:
            outside.append(request.url)

    # Other hosts are blocked by a proxy that does not exist (loopback bypasses proxies),
    # not by Playwright's request routing: routing turns the HTTP cache off, and the service
    # worker's first fill would then fetch again what the page has just loaded.
    args = [*CHROMIUM_ARGS, "--proxy-server=http://127.0.0.1:9"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            signing = browser.new_context(viewport=PHONE)
            page = signing.new_page()
            # signed in to another page, so that /field is first opened by the measured context
            page.goto(base_url + "/login?next=/console/home", timeout=PAGE_TIMEOUT_MS)
            page.fill("#username", username)
            page.fill("#password", password)
            page.click("#sign-in")
            page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
            cookies = signing.cookies()
            signing.close()
            if not any(c["name"] == "gridsvc_session" for c in cookies):
                raise RuntimeError(f"could not sign in as {username!r} at {base_url}")

            context = browser.new_context(
                viewport=PHONE,
                is_mobile=True,
                locale="zh-CN",
                geolocation={"longitude": POINT_WGS84[0], "latitude": POINT_WGS84[1]},
                permissions=["geolocation"],
            )
            context.add_cookies(cast(Any, cookies))  # what cookies() gives, add_cookies takes
            context.on("request", note_outside)
            finished: list[Any] = []
            context.on("requestfinished", lambda r: finished.append(r))
            page = context.new_page()
            page.goto(base_url + "/field", timeout=PAGE_TIMEOUT_MS)
            page.wait_for_function("() => window.fieldReady === true", timeout=PAGE_TIMEOUT_MS)
            page.wait_for_function(
                "() => /社区|不在/.test(document.getElementById('f-place').textContent + "
                "document.getElementById('f-place-warning').textContent)",
                timeout=PAGE_TIMEOUT_MS,
            )
            page.wait_for_function(_KEPT, timeout=PAGE_TIMEOUT_MS, polling=200)
            page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
            rows = []
            for request in finished:
                sizes = request.sizes()
                rows.append(
                    {
                        "url": urlsplit(request.url).path,
                        "by": "service_worker" if request.service_worker else "page",
                        "bytes": sizes["responseHeadersSize"] + sizes["responseBodySize"],
                        "sent_bytes": sizes["requestHeadersSize"] + sizes["requestBodySize"],
                    }
                )
            context.close()
        finally:
            browser.close()
    page_bytes = sum(r["bytes"] for r in rows if r["by"] == "page")
    worker_bytes = sum(r["bytes"] for r in rows if r["by"] == "service_worker")
    total = page_bytes + worker_bytes
    return {
        "bytes_total": total,
        "bytes_page": page_bytes,
        "bytes_service_worker": worker_bytes,
        "bytes_sent": sum(r["sent_bytes"] for r in rows),
        "requests": len(rows),
        "largest": sorted(rows, key=lambda r: -r["bytes"])[:8],
        "outside_requests": outside,
        "goal_bytes": GOAL_BYTES,
        "within_goal": total <= GOAL_BYTES,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    args = parser.parse_args()
    print(json.dumps(first_load_bytes(args.base_url, args.username, args.password), indent=2))


if __name__ == "__main__":
    main()


def measure(bench_db_url: str, base_url: str) -> dict[str, Any]:
    """A fresh grid worker on the bench database, and the first load of its field page."""
    import secrets

    from gridsvc import users
    from gridsvc.db.pool import Database

    password = secrets.token_urlsafe(16)
    db = Database(bench_db_url, maxconn=1)
    try:
        db.cursor_fetchall("DELETE FROM app_user WHERE username = %s", ("bench-field",))
        users.create_user(
            db,
            username="bench-field",
            password=password,
            role="grid_worker",
            scope_code="320102002",
        )
    finally:
        db.close()
    return first_load_bytes(base_url, "bench-field", password)


def rows(measured: dict[str, Any] | None) -> list[Any]:
    """Row F1 of the bench table: the field page's first load, in bytes."""
    import math

    from bench.report import Row, Target
    from bench.summary import summarise

    total = float(measured["bytes_total"]) if measured else math.nan
    notes = []
    if measured:
        notes.append(
            f"page {measured['bytes_page']:,} B, service worker's first fill "
            f"{measured['bytes_service_worker']:,} B"
        )
    return [
        Row(
            "F1",
            "field page: bytes transferred by its first load (a phone, empty cache)",
            "bytes",
            summarise([total]),
            higher_is_better=False,
            target=Target("<=", GOAL_BYTES),
            notes=notes,
            details=measured or {},
        )
    ]
