"""Maps in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright), with
every request to another host aborted: each page must load with no failed request, draw its
heat canvas or its polygons (checked in the page and in screenshot pixels), and show Chinese
names in tooltips; the standalone file must draw when opened from disk.

The API runs in a uvicorn server on a free port, over a module database with synthetic
events. The browser is never downloaded: ``executable_path`` is the system Chromium.
"""

from __future__ import annotations

import io
import os
import re
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from gridsvc.access import create_token
from gridsvc.service import Gridsvc
from tests.api.test_maps_api import maps_app
from tests.e2e.conftest import CHROMIUM
from tests.worlds import import_generated

CHINESE = re.compile(r"[\u4e00-\u9fff]{2,}")

playwright_sync = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any, port: int | None = None) -> Iterator[str]:
    """``app`` under uvicorn in a thread on 127.0.0.1 until the block ends; yields its base
    URL."""
    import uvicorn

    port = port or _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(module_svc: Gridsvc) -> Iterator[dict[str, str]]:
    svc = module_svc
    import_generated(svc, count=3000, days=60, seed=3, filename="b.csv")
    _, token = create_token(svc.db, role="analyst", name="browser")
    with serving(maps_app(svc)) as base:
        yield {"base": base, "token": token}


class Watched:
    """A page whose requests outside 127.0.0.1 (and file: for pages from disk) are aborted
    and recorded, as is every failed request, error response and script error."""

    def __init__(self, browser: Any, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.context = browser.new_context(
            viewport={"width": 1000, "height": 750}, extra_http_headers=headers
        )
        self.problems: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed {r.url}"))
        self.page.on(
            "response",
            lambda r: self.problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"script error {e}"))

    def _route(self, route: Any) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("file", "data") or parts.hostname == "127.0.0.1":
            route.continue_()
        else:
            self.problems.append(f"outside request {url}")
            route.abort()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser: Any, server: dict[str, str]) -> Iterator[Watched]:
    w = Watched(browser, server["token"])
    yield w
    w.close()


def _coloured_pixels(png: bytes) -> int:
    """Pixels of a screenshot that are clearly coloured (not white, grey or black)."""
    import numpy as np
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)
    shot_dir = os.environ.get("GRIDSVC_TEST_SCREENSHOTS")
    if shot_dir:  # to look at what the browser drew
        Path(shot_dir, f"map-{time.monotonic_ns()}.png").write_bytes(png)
    return int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum())


def _hide_boxes(page: Any) -> None:
    # the title and legend boxes have coloured text and swatches of their own
    page.add_style_tag(content=".gs-info, .gs-legend { display: none !important; }")


def _check_heat(page: Any) -> None:
    canvas = page.locator("canvas.leaflet-heatmap-layer")
    canvas.wait_for(state="attached", timeout=10_000)
    page.wait_for_timeout(300)
    drawn = page.evaluate(
        """() => {
          const c = document.querySelector('canvas.leaflet-heatmap-layer');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
          return n;
        }"""
    )
    assert drawn > 500, drawn
    _hide_boxes(page)
    assert _coloured_pixels(page.locator(".folium-map").screenshot()) > 500


def _hover_tooltip(page: Any) -> str:
    """Hover a point that is surely on one polygon (the centre of a path that is topmost
    there) and return the text of the tooltip that opens."""
    point = page.evaluate(
        """() => {
          for (const p of document.querySelectorAll('path.leaflet-interactive')) {
            const b = p.getBoundingClientRect();
            const x = b.left + b.width / 2, y = b.top + b.height / 2;
            if (b.width > 8 && document.elementFromPoint(x, y) === p) return [x, y];
          }
          return null;
        }"""
    )
    assert point is not None
    page.mouse.move(point[0] - 2, point[1] - 2)
    page.mouse.move(point[0], point[1])
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for(timeout=5_000)
    text = tooltip.inner_text()
    return str(text)


def _check_polygons(page: Any, at_least: int) -> None:
    page.locator("path.leaflet-interactive").first.wait_for(timeout=10_000)
    paths = page.locator("path.leaflet-interactive").count()
    assert paths >= at_least, paths
    _hide_boxes(page)
    assert _coloured_pixels(page.locator(".folium-map").screenshot()) > 5_000


def test_heatmap_is_drawn_from_local_assets(watched: Watched, server: dict[str, str]) -> None:
    page = watched.page
    page.goto(server["base"] + "/v1/maps/heatmap?category=hazard", wait_until="load")
    _check_heat(page)
    assert "事件热力图" in page.locator(".gs-title").inner_text()
    assert page.locator(".leaflet-control-scale-line").count() == 1  # metric only
    # the heat radius follows the zoom (Leaflet.heat alone keeps it fixed in pixels)
    radius = """() => Object.keys(window).filter(k => k.startsWith('heat_map_'))
                   .map(k => window[k].options.radius)[0]"""
    before = page.evaluate(radius)
    page.evaluate(
        "() => { const m = Object.keys(window).find(k => /^map_\\d+$/.test(k));"
        " window[m].setZoom(window[m].getZoom() + 4, {animate: false}); }"
    )
    page.wait_for_timeout(300)
    assert page.evaluate(radius) > before
    assert watched.problems == []


def test_choropleth_polygons_and_chinese_tooltip(watched: Watched, server: dict[str, str]) -> None:
    page = watched.page
    page.goto(server["base"] + "/v1/maps/choropleth?level=street&scheme=fisher_jenks")
    _check_polygons(page, 101)
    assert "分级方法：Fisher-Jenks 自然断点" in page.locator(".gs-legend").inner_text()
    text = _hover_tooltip(page)
    assert "名称" in text and "代码" in text and CHINESE.search(text), text
    assert re.search(r"3201\d{5}", text), text  # a street code
    assert watched.problems == []


@pytest.mark.parametrize("kind", ["heatmap", "choropleth"])
def test_standalone_file_draws_from_disk(
    browser: Any, server: dict[str, str], tmp_path: Path, kind: str
) -> None:
    query = "standalone=1" + ("&level=district" if kind == "choropleth" else "")
    request = urllib.request.Request(
        f"{server['base']}/v1/maps/{kind}?{query}",
        headers={"Authorization": f"Bearer {server['token']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        page_file = tmp_path / f"{kind}.html"
        page_file.write_bytes(r.read())
    w = Watched(browser)  # no server needed: nothing may be fetched but the file itself
    try:
        w.page.goto(page_file.as_uri(), wait_until="load")
        if kind == "heatmap":
            _check_heat(w.page)
        else:
            _check_polygons(w.page, 11)
        requested = [p for p in w.problems if "outside" in p]
        assert w.problems == [], requested
    finally:
        w.close()


COMPARE_QUERY = "from=2026-11-01&to=2026-11-28&base_from=2026-10-01&base_to=2026-10-28"


def _heat_signature(page: Any) -> list[int]:
    """Painted pixels of the heat canvas and a cheap checksum of their alpha values."""
    result: list[int] = page.evaluate(
        """() => {
          const c = document.querySelector('canvas.leaflet-heatmap-layer');
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0, sum = 0;
          for (let i = 3; i < d.length; i += 4) {
            if (d[i] > 0) { n++; sum = (sum + d[i] * i) % 1000000007; }
          }
          return [n, sum];
        }"""
    )
    return result


def _move_slider(page: Any, to: int) -> None:
    page.evaluate(
        """(to) => { const s = document.querySelector('.gs-slider'); s.value = to;
                     s.dispatchEvent(new Event('input')); }""",
        to,
    )
    page.wait_for_timeout(300)


def _check_change_map(page: Any, at_least: int) -> None:
    """A change map is drawn: its polygons are filled with the rate-ratio classes' colours
    (pale where little changed, so not counted as "coloured" pixels) and are on screen."""
    from gridsvc.maps.compare import NO_EVENTS_COLOUR, RATIO_COLOURS

    page.locator("path.leaflet-interactive").first.wait_for(timeout=10_000)
    fills = page.evaluate(
        """() => [...document.querySelectorAll('path.leaflet-interactive')]
                  .map(p => p.getAttribute('fill'))"""
    )
    assert len(fills) >= at_least, len(fills)
    assert set(fills) <= {*RATIO_COLOURS, NO_EVENTS_COLOUR} and len(set(fills)) >= 2, set(fills)
    _hide_boxes(page)
    import numpy as np
    from PIL import Image

    shot = Image.open(io.BytesIO(page.locator(".folium-map").screenshot())).convert("RGB")
    drawn = (np.asarray(shot, dtype=np.int16).min(axis=2) < 235).sum()
    assert drawn > 5_000, drawn


def _check_timeline(page: Any) -> None:
    _check_heat(page)  # the last period is drawn on load
    box = page.locator(".gs-timeline")
    periods = int(page.locator(".gs-slider").get_attribute("max") or 0) + 1
    assert periods >= 3, periods
    assert box.get_attribute("data-period") == str(periods - 1)
    last_label = page.locator(".gs-period").inner_text()
    assert re.match(r"\d{4}年\d{1,2}月\d{1,2}日–", last_label) and "件" in last_label, last_label
    last = _heat_signature(page)
    _move_slider(page, 0)
    assert box.get_attribute("data-period") == "0"
    assert page.locator(".gs-period").inner_text() != last_label
    first = _heat_signature(page)
    assert first[0] > 0 and first != last  # another period, other cells drawn
    page.locator(".gs-play").click()
    page.wait_for_timeout(1_400)
    assert box.get_attribute("data-period") != "0"  # playing moves on by itself
    page.locator(".gs-play").click()  # pause


def test_timeline_slider_changes_the_heat(watched: Watched, server: dict[str, str]) -> None:
    page = watched.page
    page.goto(server["base"] + "/v1/maps/timeline?step=week", wait_until="load")
    _check_timeline(page)
    assert "事件热力时间序列" in page.locator(".gs-title").inner_text()
    assert page.locator(".leaflet-control-scale-line").count() == 1
    assert watched.problems == []


def test_compare_polygons_and_tooltip(watched: Watched, server: dict[str, str]) -> None:
    page = watched.page
    page.goto(f"{server['base']}/v1/maps/compare?level=street&{COMPARE_QUERY}", wait_until="load")
    _check_change_map(page, 101)
    assert "日均事件率比" in page.locator(".gs-legend").inner_text()
    text = _hover_tooltip(page)
    for label in ("本期事件数", "基期事件数", "日均率比", "p 值", "q 值"):
        assert label in text, text
    assert watched.problems == []


def test_hotspot_layer_is_switchable(watched: Watched, server: dict[str, str]) -> None:
    page = watched.page
    page.goto(server["base"] + "/v1/maps/choropleth?level=community&hotspots=1&permutations=999")
    _check_polygons(page, 1255)
    with_layer = page.locator("path.leaflet-interactive").count()
    spots = sum(
        int(n)
        for n in re.findall(
            r"[热冷]点（\d+% 置信）：(\d+)", page.locator(".gs-legend").inner_text()
        )
    )
    assert spots > 0  # the sample data's dense old city is a hot spot
    toggle = page.locator(".leaflet-control-layers-overlays label", has_text="热点分析")
    toggle.locator("input").uncheck()
    page.wait_for_timeout(200)
    assert page.locator("path.leaflet-interactive").count() == with_layer - spots
    assert watched.problems == []


@pytest.mark.parametrize("kind", ["timeline", "compare"])
def test_new_standalone_files_draw_from_disk(
    browser: Any, server: dict[str, str], tmp_path: Path, kind: str
) -> None:
    query = "step=week" if kind == "timeline" else f"level=district&{COMPARE_QUERY}"
    request = urllib.request.Request(
        f"{server['base']}/v1/maps/{kind}?standalone=1&{query}",
        headers={"Authorization": f"Bearer {server['token']}"},
    )
    with urllib.request.urlopen(request, timeout=30) as r:
        page_file = tmp_path / f"{kind}.html"
        page_file.write_bytes(r.read())
    w = Watched(browser)
    try:
        w.page.goto(page_file.as_uri(), wait_until="load")
        if kind == "timeline":
            _check_timeline(w.page)
        else:
            _check_change_map(w.page, 11)
        assert w.problems == []
    finally:
        w.close()
