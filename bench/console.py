"""The analyst's console page in headless Chromium (issue #18): how long until the default
view is drawn, and until a filter change is redrawn.

The default view is the page as an analyst opens it: the last 30 days, every category,
communities, a density choropleth, with the statistics table and the base-period
comparison beside it. "Drawn" is the moment the map frame shows the page of this redraw
with its 1,255 polygons and the table holds its rows, read on the page's own clock
(``performance.now()``, from navigation start). The filter change picks the category group
``hazard`` and waits for the same. Each run is a fresh browser context (empty cache),
signed in through the form first (not timed), every other host blocked.

The baseline is the API alone: the same three requests the page makes for the default view
(map, counts, comparison), sent one after another by an HTTP client, so the ratio says what
the page and the browser add. ``python -m bench.console`` measures a kept database (the
full ``make bench`` run measures it as rows C1 and C2).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import secrets
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench import load
from bench.environment import BenchDatabase
from bench.maps import CHROMIUM, CHROMIUM_ARGS, PAGE_TIMEOUT_MS
from bench.report import Baseline, Row, Target
from bench.summary import summarise
from gridsvc.access import create_token
from gridsvc.db.pool import Database

USER = "bench-analyst"

_DRAWN = """([units, want]) => {
  // redraw number ``want`` is on screen: the frame shows its map with its polygons, and the
  // table its rows (web/static/map.js marks both)
  const frame = document.getElementById('map');
  const body = document.querySelector('#stats tbody');
  if (!frame || frame.dataset.drawn !== want || body.dataset.generation !== want) return false;
  const d = frame.contentDocument;
  if (!d || d.querySelectorAll('path.leaflet-interactive').length < units) return false;
  return performance.now();
}"""


def console_user(url: str) -> str:
    """A fresh analyst account on the database at ``url``; its password."""
    from gridsvc import users

    password = secrets.token_urlsafe(16)
    db = Database(url, maxconn=1)
    try:
        db.cursor_fetchall("DELETE FROM app_user WHERE username = %s", (USER,))
        users.create_user(db, username=USER, password=password, role="analyst")
    finally:
        db.close()
    return password


def _only_local(base_url: str, failed: list[str], route: Any) -> None:
    url = route.request.url
    if url.startswith((base_url, "about:", "data:")):
        route.continue_()
    else:
        failed.append(url)
        route.abort()


def console_runs(base_url: str, password: str, runs: int) -> list[dict[str, Any]]:
    """``runs`` page loads of ``/console/map`` and one filter change each (see the module)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    out: list[dict[str, Any]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 1366, "height": 768})
                failed: list[str] = []
                context.route("**/*", functools.partial(_only_local, base_url, failed))
                page = context.new_page()
                try:
                    page.goto(base_url + "/login", timeout=PAGE_TIMEOUT_MS)
                    page.fill("#username", USER)
                    page.fill("#password", password)
                    page.click("#sign-in")
                    page.wait_for_url("**/console/map**", timeout=PAGE_TIMEOUT_MS)
                    # timed from here: the default view as a fresh navigation
                    page.goto(base_url + "/console/map", wait_until="commit")
                    drawn = page.wait_for_function(
                        _DRAWN, arg=[1255, "1"], timeout=PAGE_TIMEOUT_MS, polling="raf"
                    ).json_value()
                    start = page.evaluate("() => performance.now()")
                    page.select_option("#f-category", "hazard")
                    redrawn = page.wait_for_function(
                        _DRAWN, arg=[1255, "2"], timeout=PAGE_TIMEOUT_MS, polling="raf"
                    ).json_value()
                    out.append(
                        {
                            "default_view_ms": float(drawn),
                            "filter_change_ms": float(redrawn) - float(start),
                            "failed_requests": failed,
                        }
                    )
                except PlaywrightError as exc:
                    out.append(
                        {
                            "default_view_ms": math.nan,
                            "filter_change_ms": math.nan,
                            "failed_requests": failed,
                            "error": str(exc).splitlines()[0][:300],
                        }
                    )
                finally:
                    context.close()
        finally:
            browser.close()
    return out


def api_baseline_runs(base_url: str, token: str, runs: int) -> list[dict[str, Any]]:
    """The default view's three requests from an HTTP client alone, ``runs`` times."""
    today = (datetime.now(UTC) + timedelta(hours=8)).date()
    window = {
        "from": (today - timedelta(days=29)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    base = {
        "from": (today - timedelta(days=59)).isoformat(),
        "to": window["from"],
    }
    out = []
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=300
    ) as c:
        for _ in range(runs):
            started = time.perf_counter()
            for path, params in (
                (
                    "/v1/maps/choropleth",
                    {**window, "level": "community", "value": "density_per_km2"},
                ),
                ("/v1/stats/grids", {**window, "level": "community"}),
                (
                    "/v1/stats/compare",
                    {
                        **window,
                        "level": "community",
                        "base_from": base["from"],
                        "base_to": base["to"],
                    },
                ),
            ):
                c.get(path, params=params).raise_for_status()
            out.append({"api_ms": (time.perf_counter() - started) * 1000.0})
    return out


def rows(page_runs: list[dict[str, Any]], api_runs: list[dict[str, Any]]) -> list[Row]:
    """Rows C1 and C2 of the bench table."""
    failed = sum(len(r["failed_requests"]) for r in page_runs)
    errors = [r["error"] for r in page_runs if "error" in r]
    notes = [
        f"{len(page_runs)} page loads, each a fresh browser context signed in through the form; "
        "the page's own clock; every other host blocked",
        f"failed requests: {failed}" + (f"; errors: {errors[:1]}" if errors else ""),
    ]
    api = Baseline(
        "the same three API requests from an HTTP client",
        summarise([r["api_ms"] for r in api_runs] or [math.nan]),
    )
    return [
        Row(
            "C1",
            "console: the analyst's default view drawn (30 days, communities, map + table)",
            "ms",
            summarise([r["default_view_ms"] for r in page_runs] or [math.nan]),
            higher_is_better=False,
            target=Target("<=", 2_000),
            baseline=api,
            notes=notes,
            details={"runs": page_runs, "api_runs": api_runs},
        ),
        Row(
            "C2",
            "console: a filter change (category) redrawn, map and table",
            "ms",
            summarise([r["filter_change_ms"] for r in page_runs] or [math.nan]),
            higher_is_better=False,
            target=Target("<=", 1_000),
            notes=notes[:1],
        ),
    ]


def measure(bench_db: BenchDatabase, server: load.Server, runs: int) -> dict[str, Any]:
    password = console_user(bench_db.url)
    db = Database(bench_db.url, maxconn=1)
    try:
        token = create_token(db, role="analyst", name="bench-console-api")[1]
    finally:
        db.close()
    console_runs(server.base_url, password, 1)  # warm: plans, caches, the server's imports
    return {
        "console_runs": console_runs(server.base_url, password, runs),
        "console_api_runs": api_baseline_runs(server.base_url, token, runs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a migrated, loaded gridsvc database")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="gridsvc serve --workers")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "results" / "console-latest.json",
    )
    args = parser.parse_args(argv)
    from rich.console import Console

    from bench.report import print_table

    with tempfile.TemporaryDirectory(prefix="gridsvc-console-") as tmp:
        folder = Path(tmp)
        folder.chmod(0o755)
        bench_db = BenchDatabase(url=args.database_url, folder=folder)
        with load.api_server(bench_db, workers=args.workers) as server:
            measured = measure(bench_db, server, args.runs)
    table = rows(measured["console_runs"], measured["console_api_runs"])
    (events,) = Database(args.database_url, maxconn=1).cursor_fetchall(
        "SELECT count(*) FROM event"
    )[0]
    doc = {
        "measured_at": datetime.now(UTC).isoformat(),
        "events": int(events),
        "rows": [r.to_dict() for r in table],
    }
    args.out.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    print_table(table, Console())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
