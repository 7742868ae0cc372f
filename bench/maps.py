"""Goals 5 and 6: map pages over all the events, and their first paint in Chromium.

Goal 5 builds the pages as the API does (``gridsvc.maps``): the heat map of every event
(binned in PostGIS, never raw points) and the citywide community choropleth; size and build
time. The baseline is what the obvious way would ship: folium's ``HeatMap`` fed the raw
points. Building it for millions of points would take longer than the whole benchmark, so it
is built for a sample of the same events and its size extrapolated linearly (every point adds
the same ``[lat, lon]`` text).

Goal 6 opens the served heat map page in Debian's headless Chromium (playwright, no browser
download), every request to another host aborted, and reads two times from the page's own
clock: first contentful paint, and the moment the heat canvas holds pixels (the map drawn).
"""

from __future__ import annotations

import functools
import math
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
from folium.plugins import HeatMap

if TYPE_CHECKING:
    from playwright.sync_api import Request

from gridsvc.maps import choropleth_html, heatmap_html
from gridsvc.service import Gridsvc

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PAGE_TIMEOUT_MS = 180_000
"""How long a page load may take before it counts as never drawn."""
RAW_SAMPLE = 200_000
"""Points of the raw-point baseline page actually built; the size is extrapolated."""


def pages_run(svc: Gridsvc, exact: Gridsvc) -> dict[str, Any]:
    """Build the heat map of every event and the community choropleth once; and the heat map
    again with ``exact``, a service on the same database whose heat maps never sample
    (``GRIDSVC_HEAT_SAMPLE_ABOVE=0``), to show what the sample saves."""
    started = time.perf_counter()
    heat = heatmap_html(svc)
    heat_s = time.perf_counter() - started
    cell = re.search(r"网格单元：([0-9.]+) 米", heat)
    sample = re.search(r"按 ([0-9.]+)% 数据页抽样估计", heat)
    started = time.perf_counter()
    every = heatmap_html(exact)
    every_s = time.perf_counter() - started
    started = time.perf_counter()
    choro = choropleth_html(svc, "community")
    choro_s = time.perf_counter() - started
    return {
        "heatmap_bytes": len(heat.encode()),
        "heatmap_build_s": heat_s,
        "heatmap_cell_m": float(cell.group(1)) if cell else None,
        "heatmap_sample_percent": float(sample.group(1)) if sample else None,
        "heatmap_every_event_bytes": len(every.encode()),
        "heatmap_every_event_build_s": every_s,
        "choropleth_bytes": len(choro.encode()),
        "choropleth_build_s": choro_s,
    }


def raw_points_baseline(svc: Gridsvc, events: int) -> dict[str, Any]:
    """Size of a folium HeatMap page fed raw points, built for a sample and extrapolated to
    ``events`` points."""
    sample = min(events, RAW_SAMPLE)
    rows = svc.db.cursor_fetchall(
        "SELECT ST_Y(geom), ST_X(geom) FROM event ORDER BY id LIMIT %s", (sample,)
    )
    sizes = {}
    for n in (sample // 2, sample):
        fmap = folium.Map(location=[32.06, 118.79], zoom_start=10, tiles=None)
        HeatMap([[lat, lon] for lat, lon in rows[:n]]).add_to(fmap)  # type: ignore[no-untyped-call]
        sizes[n] = len(fmap.get_root().render().encode())
    per_point = (sizes[sample] - sizes[sample // 2]) / max(sample - sample // 2, 1)
    fixed = sizes[sample] - per_point * sample
    return {
        "sample_points": sample,
        "sample_bytes": sizes[sample],
        "bytes_per_point": per_point,
        "extrapolated_bytes": fixed + per_point * events,
    }


_CANVAS_DRAWN = """() => {
  for (const c of document.querySelectorAll('canvas.leaflet-heatmap-layer')) {
    if (!c.width || !c.height) continue;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4 * 97) if (d[i] > 0) return performance.now();
  }
  return false;
}"""

_FCP = """() => {
  const e = performance.getEntriesByName('first-contentful-paint')[0];
  return e ? e.startTime : null;
}"""


def _body_text(page: Any) -> str:
    try:
        return str(page.inner_text("body"))[:300]
    except Exception:  # the page is gone or still loading: the error above says enough
        return ""


def _note_failure(failed: list[str], request: Request) -> None:
    failed.append(request.url)


def first_paint_runs(base_url: str, token: str, runs: int) -> list[dict[str, Any]]:
    """Open ``/v1/maps/heatmap`` ``runs`` times in a fresh page (empty cache each time)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                context = browser.new_context(
                    extra_http_headers={"Authorization": f"Bearer {token}"}
                )
                failed: list[str] = []
                context.route(
                    "**/*",
                    lambda route: (
                        route.continue_()
                        if route.request.url.startswith(base_url)
                        else route.abort()
                    ),
                )
                page = context.new_page()
                page.on("requestfailed", functools.partial(_note_failure, failed))
                status = None
                try:
                    response = page.goto(
                        base_url + "/v1/maps/heatmap", wait_until="commit", timeout=PAGE_TIMEOUT_MS
                    )
                    status = response.status if response is not None else None
                    drawn = page.wait_for_function(
                        _CANVAS_DRAWN, timeout=PAGE_TIMEOUT_MS
                    ).json_value()
                    fcp = page.evaluate(_FCP)
                    out.append(
                        {
                            "first_contentful_paint_ms": float(fcp) if fcp else math.nan,
                            "heat_drawn_ms": float(drawn),
                            "failed_requests": failed,
                            "status": status,
                        }
                    )
                except PlaywrightError as exc:
                    # a page that never draws is a figure (NOT MET), not the end of the run
                    out.append(
                        {
                            "first_contentful_paint_ms": math.nan,
                            "heat_drawn_ms": math.nan,
                            "failed_requests": failed,
                            "status": status,
                            "error": str(exc).splitlines()[0][:300],
                            "page_text": _body_text(page) if status else "",
                        }
                    )
                finally:
                    context.close()
        finally:
            browser.close()
    return out


def available() -> bool:
    """Chromium and playwright are installed (``make test`` installs both as root)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return CHROMIUM.exists()
