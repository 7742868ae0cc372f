"""What every map page shares: a Leaflet map whose base layer is the grid outlines (tiles
only when asked for, :mod:`gridsvc.maps.tiles`), a metric scale bar, and a fixed box with the
title, the filters, the data timestamp and the dataset's name and ``synthetic`` notice.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import folium
from branca.element import Element, Figure

from gridsvc.dates import local
from gridsvc.db.replica import data_as_of
from gridsvc.grids import store
from gridsvc.grids.store import GridVersion
from gridsvc.maps.tiles import NO_TILES, Tiles, resolve_tiles
from gridsvc.service import Gridsvc
from gridsvc.stats.filters import StatsFilter

OUTLINE_SIMPLIFY_M = 100.0
"""Tolerance of the district outlines drawn under every map (a display setting)."""

_FILTER_LABELS = {
    "categories": "类别",
    "status": "状态",
    "urgency": "紧急程度",
    "source": "来源",
    "date_from": "起始日（含）",
    "date_to": "截止日（不含）",
    "overdue": "超期",
}


@dataclass(frozen=True)
class MapContext:
    """The facts every map states: which grids, which data (as of when), which filter."""

    version: GridVersion
    data_as_of: datetime | None
    flt: StatsFilter
    category_names: dict[str, str] = field(default_factory=dict)
    """Chinese names of the taxonomy's codes, to state the filter in words."""
    tiles: Tiles = NO_TILES
    """The tile base layer; overlays are drawn in its coordinate system (``tiles.crs``)."""


def context(svc: Gridsvc, flt: StatsFilter, tiles: str | None = None) -> MapContext:
    """The map's facts; ``tiles`` names the base layer (None: the ``GRIDSVC_MAP_TILES``
    setting, ``none`` by default)."""
    chosen = resolve_tiles(tiles, svc.settings.maps)
    db = svc.read_db
    names = {c.code: c.name_zh for c in svc.taxonomy(include_inactive=True)}
    return MapContext(store.active_version(db), data_as_of(db), flt, names, chosen)


def filter_lines(flt: StatsFilter, category_names: dict[str, str] | None = None) -> list[str]:
    """The filter in Chinese, one ``label：value`` line per set field ("全部" when none);
    categories by name and code, e.g. ``安全隐患（hazard）``."""
    names = category_names or {}
    described = flt.describe()
    if "categories" in described:
        described["categories"] = [
            f"{names[c]}（{c}）" if c in names else c for c in described["categories"]
        ]
    if not described:
        return ["筛选：全部事件"]
    lines = []
    for key, value in described.items():
        if isinstance(value, bool):
            text = "是" if value else "否"
        elif isinstance(value, list):
            text = "、".join(str(v) for v in value)
        else:
            text = str(value)
        lines.append(f"{_FILTER_LABELS.get(key, key)}：{text}")
    return lines


def base_map(svc: Gridsvc, ctx: MapContext) -> folium.Map:
    """A map fitted to the city with a scale bar and the district outlines; tiles only when
    ``ctx.tiles`` has any (outlines then in the tiles' coordinate system)."""
    outlines = store.unit_features(
        svc.read_db, ctx.version, "district", simplify_m=OUTLINE_SIMPLIFY_M
    )
    features = ctx.tiles.shift_features(outlines["features"])
    # folium's control_scale adds miles too; a metric-only bar is added on load instead
    fmap = folium.Map(tiles=None, control_scale=False, zoom_control=True)
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    figure.header.add_child(Element('<meta charset="utf-8"/>'), name="charset", index=0)
    for i, source in enumerate(ctx.tiles.sources):
        folium.TileLayer(
            tiles=source.url,
            attr=source.attribution,
            name=source.name,
            subdomains=source.subdomains,
            max_zoom=source.max_zoom,
            overlay=i > 0,  # Tianditu's label layer lies over its map
        ).add_to(fmap)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="区界",
        style_function=lambda _f: {"color": "#555555", "weight": 1.2, "fill": False},
        interactive=False,
    ).add_to(fmap)
    bounds = _bounds(features)
    if bounds is not None:
        fmap.fit_bounds(bounds)
    on_load(fmap, "L.control.scale({imperial: false, metric: true}).addTo(map);")
    return fmap


def on_load(fmap: folium.Map, body: str) -> None:
    """Run ``body`` (JavaScript, with ``map`` bound to the Leaflet map) once the page has
    loaded: folium writes the map's own script late in the page, after this one."""
    script = (
        f'window.addEventListener("load", function () {{ var map = {fmap.get_name()};\n{body}\n}});'
    )
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    figure.script.add_child(Element(script))


def _bounds(features: list[dict[str, Any]]) -> list[list[float]] | None:
    xs: list[float] = []
    ys: list[float] = []

    def visit(coords: Any) -> None:
        if coords and isinstance(coords[0], int | float):
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
        else:
            for c in coords:
                visit(c)

    for feature in features:
        if feature.get("geometry"):
            visit(feature["geometry"]["coordinates"])
    if not xs:
        return None
    return [[min(ys), min(xs)], [max(ys), max(xs)]]


SYNTHETIC_NOTICE = "注意：街道及以下边界为合成数据，并非官方边界。"


def info_lines(ctx: MapContext, extra: list[str]) -> list[str]:
    """What every map states, in Chinese: filters, ``extra``, data timestamp, dataset and
    the base layer when it has tiles (the synthetic notice is separate:
    :data:`SYNTHETIC_NOTICE` when ``ctx.version.synthetic``)."""
    as_of = "尚无数据"
    if ctx.data_as_of:
        shown = local(ctx.data_as_of)
        as_of = f"{shown:%Y-%m-%d %H:%M:%S} (北京时间 UTC{shown.isoformat()[-6:]})"
    lines = [
        *filter_lines(ctx.flt, ctx.category_names),
        *extra,
        f"数据截至：{as_of}",
        f"网格数据集：{ctx.version.name}",
    ]
    if ctx.tiles.sources:
        lines.append(f"底图：{ctx.tiles.label}")
    return lines


def add_info_box(fmap: folium.Map, ctx: MapContext, title: str, extra: list[str]) -> None:
    """The fixed top-right box: title, filters, data timestamp, dataset and its notice."""
    lines = info_lines(ctx, extra)
    notice = f'<div class="gs-synthetic">{SYNTHETIC_NOTICE}</div>' if ctx.version.synthetic else ""
    body = "".join(f"<div>{html.escape(line)}</div>" for line in lines)
    box = (
        '<div class="gs-info" style="position:fixed;top:10px;right:10px;z-index:1000;'
        "background:rgba(255,255,255,.92);padding:8px 10px;border:1px solid #999;"
        'border-radius:4px;font:12px/1.5 sans-serif;max-width:320px">'
        f'<div class="gs-title" style="font-weight:bold;font-size:14px">{html.escape(title)}'
        f"</div>{body}"
        f'<div style="color:#b00">{notice}</div></div>'
    )
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    figure.html.add_child(Element(box), name="gs-info")
    figure.header.add_child(Element(f"<title>{html.escape(title)}</title>"), name="gs-title")


def json_for_script(value: Any) -> str:
    """JSON safe inside a ``<script>`` element."""
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")
