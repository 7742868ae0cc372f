"""Map legends as Chromium draws them (issue 22): the heat map's and the timeline's colour
ramp in events per cell, the choropleth's and the public embed's classes of counts with
whole bounds that no two classes share.

Each legend is screenshotted on its own and checked in its pixels: it is inside the window,
not covered by the map's other boxes, and shows the colours it explains (the ramp's blue
and red, each class's swatch); its text is read from the page. The server, the browser and
the blocking of every outside address are those of ``test_maps_browser``.
"""

from __future__ import annotations

import io
import itertools
import os
import re
import time
from pathlib import Path
from typing import Any

import numpy as np

from gridsvc.embeds import publish
from gridsvc.maps.choropleth import choropleth_frame
from gridsvc.service import Gridsvc
from tests.e2e import test_maps_browser as maps_browser
from tests.e2e.test_maps_browser import Watched

# the fixtures of the maps' browser tests: the same server and watched pages (the browser
# is tests/e2e/conftest.py's)
server, watched = maps_browser.server, maps_browser.watched

WHOLE_CLASS = re.compile(r"^(\d[\d,]*)(?:–(\d[\d,]*))?$")


def _rgb(png: bytes, name: str) -> np.ndarray:
    from PIL import Image

    shot_dir = os.environ.get("GRIDSVC_TEST_SCREENSHOTS")
    if shot_dir:  # to look at what the browser drew
        Path(shot_dir, f"legend-{name}-{time.monotonic_ns()}.png").write_bytes(png)
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _pixels_near(rgb: np.ndarray, colour: str, tolerance: int = 40) -> int:
    target = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    return int((np.abs(rgb - target).max(axis=2) <= tolerance).sum())


def _legend(page: Any, selector: str, name: str) -> tuple[np.ndarray, str]:
    """The legend's screenshot (RGB) and text, after checking that it lies inside the
    window and that nothing is drawn over its middle."""
    legend = page.locator(selector)
    legend.wait_for(state="visible", timeout=10_000)
    box = legend.bounding_box()
    size = page.viewport_size
    assert box and box["width"] > 100 and box["height"] > 60, box
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= size["width"] and box["y"] + box["height"] <= size["height"]
    on_top = page.evaluate(
        "([sel, x, y]) => document.querySelector(sel).contains(document.elementFromPoint(x, y))",
        [selector, box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top, "another element covers the legend"
    return _rgb(legend.screenshot(), name), legend.inner_text()


def _check_heat_legend(page: Any, name: str, cell_m: float) -> list[str]:
    page.locator("canvas.leaflet-heatmap-layer").wait_for(state="attached", timeout=10_000)
    rgb, text = _legend(page, ".gs-heat-legend", name)
    assert _pixels_near(rgb, "#ff0000") > 50, "no red end drawn"
    assert _pixels_near(rgb, "#0000ff", 60) > 20, "no blue drawn"
    assert _pixels_near(rgb, "#ffff00") > 20, "no yellow drawn"
    assert "每方格事件数" in text and f"{cell_m:g} 米 × {cell_m:g} 米" in text, text
    assert "每平方公里" in text, text
    ticks = page.locator(".gs-heat-ticks span").all_inner_texts()
    assert ticks[0] == "0" and ticks[-1].startswith("≥"), ticks
    top = float(ticks[-1].lstrip("≥").replace(",", ""))
    assert top >= 1
    # the ramp's labels do not collide: left to right, apart
    boxes = [s.bounding_box() for s in page.locator(".gs-heat-ticks span").all()]
    for left, right in itertools.pairwise(boxes):
        assert left and right and left["x"] + left["width"] <= right["x"] + 1, boxes
    return ticks


def test_heatmap_legend_is_a_ramp_in_events_per_cell(
    watched: Watched, server: dict[str, str]
) -> None:
    page = watched.page
    page.goto(server["base"] + "/v1/maps/heatmap?cell_m=500")
    _check_heat_legend(page, "heat", 500)
    assert watched.problems == []


def test_timeline_legend_is_the_same_ramp(watched: Watched, server: dict[str, str]) -> None:
    page = watched.page
    page.goto(server["base"] + "/v1/maps/timeline?step=week&cell_m=1000")
    page.locator(".gs-timeline").wait_for(timeout=10_000)
    _check_heat_legend(page, "timeline", 1000)
    assert watched.problems == []


def _check_class_rows(
    rgb: np.ndarray, rows: list[str], colours: list[str]
) -> list[tuple[int, int]]:
    """Each class row is a whole-number range, the ranges rise without sharing a number, and
    each class's colour is drawn in the legend."""
    bounds = []
    for row in rows:
        match = WHOLE_CLASS.match(row.strip())
        assert match, f"not a range of whole numbers: {row!r}"
        low = int(match.group(1).replace(",", ""))
        high = int((match.group(2) or match.group(1)).replace(",", ""))
        assert low <= high, row
        bounds.append((low, high))
    for (_, high), (low, _) in itertools.pairwise(bounds):
        assert low == high + 1, bounds  # next to each other, no overlap and no gap
    for colour in colours:
        assert _pixels_near(rgb, colour, 12) >= 40, f"swatch {colour} not drawn"
    return bounds


def test_choropleth_of_counts_has_whole_classes(
    watched: Watched, server: dict[str, str], module_svc: Gridsvc
) -> None:
    page = watched.page
    page.goto(server["base"] + "/v1/maps/choropleth?level=street&value=n&scheme=quantiles&k=5")
    rgb, text = _legend(page, ".gs-legend", "choropleth-n")
    assert "事件数" in text, text
    rows = page.locator(".gs-legend .gs-class").all_inner_texts()
    _, classes = choropleth_frame(module_svc, "street", value="n", scheme="quantiles", k=5)
    assert len(rows) == classes.k >= 2
    bounds = _check_class_rows(rgb, rows, classes.colours)
    assert bounds[0][0] == int(classes.lower) and bounds[-1][1] == int(classes.bins[-1])
    assert watched.problems == []


def test_choropleth_default_is_density_with_the_count_in_the_tooltip(
    watched: Watched, server: dict[str, str]
) -> None:
    page = watched.page
    page.goto(server["base"] + "/v1/maps/choropleth?level=street")
    rgb, text = _legend(page, ".gs-legend", "choropleth-density")
    assert "事件密度（件/平方公里）" in text, text
    rows = page.locator(".gs-legend .gs-class").all_inner_texts()
    assert len(rows) >= 2 and all(" – " in r for r in rows), rows
    assert (np.abs(rgb[..., 0] - rgb[..., 2]) > 60).sum() > 200  # the swatches' YlOrRd
    path = page.locator("path.leaflet-interactive").first
    path.hover(force=True)
    tip = page.locator(".leaflet-tooltip")
    tip.wait_for(timeout=5_000)
    assert "事件数" in tip.inner_text() and "事件密度" in tip.inner_text()
    assert watched.problems == []


def test_embed_legend_classes_are_whole_and_apart(
    browser: Any, server: dict[str, str], module_svc: Gridsvc
) -> None:
    done = publish(
        module_svc,
        "choropleth",
        {"level": "street"},
        title="街道事件",
        created_by="test",
    )
    w = Watched(browser)  # the public page: no token
    try:
        w.page.goto(server["base"] + done.link.path)
        rgb, _ = _legend(w.page, ".gs-legend", "embed")
        rows = w.page.locator(".gs-legend .gs-class").all_inner_texts()
        min_count = module_svc.settings.embeds.embed_min_count
        _, classes = choropleth_frame(
            module_svc, "street", value="n", scheme="quantiles", k=5, min_count=min_count
        )
        bounds = _check_class_rows(rgb, rows, classes.colours)
        assert bounds[0][0] >= min_count  # the small counts are a class of their own
        assert w.problems == []
    finally:
        w.close()
