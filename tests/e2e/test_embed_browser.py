"""A public map embed in a real headless Chromium, inside an ``<iframe>`` of a page from
another origin, with every request outside 127.0.0.1 aborted: the polygons draw, a unit with
fewer than 5 events says "<5" in its tooltip, nothing fails to load, and an origin not in
``GRIDSVC_EMBED_FRAME_ANCESTORS`` cannot show it at all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from api import create_app
from gridsvc.embeds import publish
from gridsvc.service import Gridsvc
from gridsvc.settings import EmbedSettings
from tests.e2e.test_maps_browser import (
    Watched,
    _coloured_pixels,
    _free_port,
    serving,
)
from tests.embed_data import COUNTS, Seeded, seed_streets


def _host_page(src: str) -> bytes:
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>简报</title></head>'
        '<body style="margin:0"><h1 style="font:16px sans-serif">简报</h1>'
        f'<iframe id="map" src="{src}" width="900" height="620" style="border:0"></iframe>'
        "</body></html>"
    ).encode()


class _Briefing(ThreadingHTTPServer):
    """A page of another origin that frames ``src``."""

    def __init__(self, port: int, src: str) -> None:
        page = _host_page(src)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path != "/":
                    self.send_response(204)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *_args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", port), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def sites(module_svc: Gridsvc) -> Iterator[dict[str, Any]]:
    allowed_port, stranger_port = _free_port(), _free_port()
    settings = module_svc.settings.model_copy(
        update={"embeds": EmbedSettings(embed_frame_ancestors=[f"http://127.0.0.1:{allowed_port}"])}
    )
    svc = Gridsvc(settings, module_svc.db)
    seeded = seed_streets(svc)
    done = publish(svc, "choropleth", {"level": "street"}, title="街道事件", created_by="e2e")
    with serving(create_app(settings, service=svc)) as api:
        src = f"{api}{done.link.path}"
        allowed, stranger = _Briefing(allowed_port, src), _Briefing(stranger_port, src)
        try:
            yield {
                "allowed": f"http://127.0.0.1:{allowed_port}/",
                "stranger": f"http://127.0.0.1:{stranger_port}/",
                "seeded": seeded,
            }
        finally:
            for site in (allowed, stranger):
                site.shutdown()
                site.server_close()


def _map_frame(page: Any) -> Any:
    frames = [f for f in page.frames if "/embed/" in f.url]
    assert len(frames) == 1, [f.url for f in page.frames]
    return frames[0]


def test_embed_draws_in_a_frame_of_another_origin(browser: Any, sites: dict[str, Any]) -> None:
    seeded: Seeded = sites["seeded"]
    w = Watched(browser)  # no token anywhere
    w.page.on(
        "console", lambda m: w.problems.append(f"console {m.text}") if m.type == "error" else None
    )
    try:
        w.page.goto(sites["allowed"], wait_until="load")
        frame = _map_frame(w.page)
        frame.locator("path.leaflet-interactive").first.wait_for(timeout=10_000)
        assert frame.locator("path.leaflet-interactive").count() >= 101  # every street
        assert "少于5件" in frame.locator(".gs-legend").inner_text()

        few = seeded.codes[COUNTS.index(3)]
        lon, lat = seeded.points[COUNTS.index(3)]
        # mark the street's polygon and find its events' point within it
        position = frame.evaluate(
            """([code, lat, lon]) => {
              const map = window[Object.keys(window).find(k => /^map_\\d+$/.test(k))];
              const layers = Object.keys(window).filter(
                k => k.startsWith('geo_json_') && typeof window[k].eachLayer === 'function');
              for (const k of layers) {
                let found = null;
                window[k].eachLayer(l => {
                  if (l.feature && l.feature.properties.code === code) found = l;
                });
                if (!found) continue;
                const el = found.getElement();
                el.setAttribute('data-code', code);
                const p = map.latLngToContainerPoint([lat, lon]);
                const m = map.getContainer().getBoundingClientRect();
                const b = el.getBoundingClientRect();
                return {x: m.left + p.x - b.left, y: m.top + p.y - b.top};
              }
              return null;
            }""",
            [few, lat, lon],
        )
        assert position is not None
        polygon = frame.locator(f'path[data-code="{few}"]')
        polygon.hover(position={"x": position["x"] - 2, "y": position["y"] - 2})
        polygon.hover(position=position)
        tooltip = frame.locator(".leaflet-tooltip")
        tooltip.wait_for(timeout=5_000)
        text = tooltip.inner_text()
        assert "<5" in text and few in text and seeded.names[COUNTS.index(3)] in text, text

        frame.add_style_tag(content=".gs-info, .gs-legend { display: none !important; }")
        # only the two streets of 7 and 12 events have a colour class; the rest are "<5"
        assert _coloured_pixels(w.page.locator("iframe#map").screenshot()) > 1_000
        assert w.problems == []
    finally:
        w.close()


def test_an_origin_not_listed_cannot_frame_it(browser: Any, sites: dict[str, Any]) -> None:
    w = Watched(browser)
    try:
        w.page.goto(sites["stranger"], wait_until="load")
        w.page.wait_for_timeout(1_000)
        frames = [f for f in w.page.frames if f != w.page.main_frame]
        assert len(frames) == 1
        # Chromium swaps a refused frame for its own error page: no map, no script of ours
        assert frames[0].locator(".folium-map").count() == 0
        assert "/embed/" not in frames[0].url or frames[0].evaluate("typeof L") == "undefined"
    finally:
        w.close()
