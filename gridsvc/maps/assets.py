"""Leaflet and its plugins from installed packages, so that every map works with no internet.

Folium's elements name their scripts and stylesheets by CDN URLs (``default_js`` and
``default_css``). :func:`finish` swaps each one the maps need for a file shipped by a Python
package — Leaflet from ``xstatic-leaflet``, Leaflet.heat from folium's own ``templates/`` —
and drops the rest (jQuery, Bootstrap, Font Awesome, awesome-markers: nothing here uses
them). A served page links ``/static/maps/<file>``; a standalone page carries the files
inlined. :func:`assert_offline` checks the final HTML.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Final

import folium
import xstatic.pkg.leaflet as xstatic_leaflet
from branca.element import Element, Figure
from folium.elements import JSCSSMixin

STATIC_PREFIX: Final = "/static/maps"


@dataclass(frozen=True)
class Asset:
    """One file a map page needs: its public name under ``/static/maps/`` and its path."""

    name: str
    path: Path
    kind: str  # "js" or "css"

    @property
    def media_type(self) -> str:
        return "text/javascript" if self.kind == "js" else "text/css"


_LEAFLET_DIR = Path(xstatic_leaflet.BASE_DIR)
_FOLIUM_TEMPLATES = Path(folium.__file__).parent / "templates"

ASSETS: Final[dict[str, Asset]] = {
    a.name: a
    for a in (
        Asset("leaflet.js", _LEAFLET_DIR / "leaflet.js", "js"),
        Asset("leaflet.css", _LEAFLET_DIR / "leaflet.css", "css"),
        Asset("leaflet_heat.min.js", _FOLIUM_TEMPLATES / "leaflet_heat.min.js", "js"),
    )
}
"""Every file the map pages use, by public name."""

# folium's resource names → our files; any other name folium adds is dropped from the page
_BY_FOLIUM_NAME: Final[dict[str, str]] = {
    "leaflet": "leaflet.js",
    "leaflet_css": "leaflet.css",
    "leaflet-heat.js": "leaflet_heat.min.js",
}
_SOURCE_MAP = re.compile(r"^\s*/[/*][#@] sourceMappingURL=.*$", re.MULTILINE)


@cache
def asset_text(name: str) -> str:
    """The file's text without its source-map comment (a browser with devtools open would
    otherwise ask for a ``.map`` file nobody serves). Raises ``KeyError`` for an unknown
    name."""
    asset = ASSETS[name]
    return _SOURCE_MAP.sub("", asset.path.read_text("utf-8"))


def _tag(name: str, *, standalone: bool) -> str:
    asset = ASSETS[name]
    if standalone:
        # "</" cannot end an inline element early once escaped as "<\/"
        text = asset_text(name).replace("</", "<\\/")
        if asset.kind == "js":
            return f"<script>{text}</script>"
        return f"<style>{text}</style>"
    url = f"{STATIC_PREFIX}/{name}"
    if asset.kind == "js":
        return f'<script src="{url}"></script>'
    return f'<link rel="stylesheet" href="{url}"/>'


def _walk(element: Element) -> list[Element]:
    found = [element]
    for child in element._children.values():
        found.extend(_walk(child))
    return found


def finish(
    fmap: folium.Map,
    *,
    standalone: bool,
    tile_urls: tuple[str, ...] = (),
    slots: Mapping[str, str] | None = None,
) -> str:
    """The map's full HTML page with only local resources (linked or inlined).

    Every folium element's resource lists are emptied (on the instance, never the class), and
    the needed files are put in the page header in dependency order: Leaflet first.
    ``tile_urls``: the tile templates the page was given on purpose (see
    :func:`assert_offline`).

    ``slots``: text to put in last, each in place of the one occurrence of its key, for large
    data (a heat map's cells: ~660 KB of numbers) that folium would otherwise compile as a
    Jinja template (it makes every rendered script an ``Element``) and that the checks here
    would scan for nothing: only JSON of numbers belongs in a slot.
    """
    needed: list[str] = []
    for element in _walk(fmap):
        if not isinstance(element, JSCSSMixin):
            continue
        for name, _url in [*element.default_js, *element.default_css]:
            local = _BY_FOLIUM_NAME.get(name)
            if local is not None and local not in needed:
                needed.append(local)
        element.default_js = []
        element.default_css = []
    needed.sort(key=lambda n: (n != "leaflet.css", n != "leaflet.js"))
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    for name in needed:
        figure.header.add_child(Element(_tag(name, standalone=standalone)), name=f"local-{name}")
    html = stable_ids(figure.render())
    assert_offline(html, tile_urls=tile_urls)
    for key, text in (slots or {}).items():
        if html.count(key) != 1:
            raise AssertionError(f"slot {key!r} is in the page {html.count(key)} times, not once")
        if not _NUMBERS_JSON.fullmatch(text):  # so the checks above hold for it unseen
            raise AssertionError(f"slot {key!r} may only hold JSON arrays of numbers")
        html = html.replace(key, text)
    return html


_NUMBERS_JSON = re.compile(r"[\[\]0-9.,eE+\-]*")


_ELEMENT_ID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def stable_ids(html: str) -> str:
    """Folium names elements by random UUIDs (``map_3f2a…``); number them in order of first
    appearance instead, so the same map is the same page byte for byte (and its ETag
    holds)."""
    numbers: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return numbers.setdefault(match.group(0), str(len(numbers) + 1))

    return _ELEMENT_ID.sub(number, html)


class _ResourceLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for attr in ("src", "href") if tag in ("script", "link", "img", "iframe") else ():
            if values.get(attr):
                self.urls.append(str(values[attr]))


def resource_urls(html: str) -> list[str]:
    """The URLs the page's ``script``, ``link``, ``img`` and ``iframe`` tags load."""
    parser = _ResourceLinks()
    parser.feed(html)
    return parser.urls


_TILE_LAYER = re.compile(r'L\.tileLayer\(\s*("(?:[^"\\]|\\.)*")')


def tile_layer_urls(html: str) -> list[str]:
    """The URL templates of the page's Leaflet tile layers (``L.tileLayer("…")``)."""
    return [json.loads(m.group(1)) for m in _TILE_LAYER.finditer(html)]


def assert_offline(html: str, *, tile_urls: tuple[str, ...] = ()) -> None:
    """Raise ``AssertionError`` if the page loads anything from another host (``http://``,
    ``https://`` or protocol-relative ``//``) through a tag, or has a tile layer whose
    template is not one of ``tile_urls`` (by default none: a page without tiles)."""
    outside = [u for u in resource_urls(html) if re.match(r"^(https?:)?//", u.strip(), re.I)]
    outside += [u for u in tile_layer_urls(html) if u not in tile_urls]
    if outside:
        raise AssertionError(f"map page loads from outside: {outside}")
