"""Change between two periods as a choropleth, from :func:`gridsvc.stats.compare`.

Each unit is coloured by its **rate ratio** (events per day now ÷ events per day in the base
period, so periods of unequal length compare) on a diverging scale of seven fixed classes,
symmetric in the logarithm (½, ⅔, 0.9 | 1.11, 1.5, 2): blue fell, red rose, the middle class
is "about the same". A unit with events now and none before is in the top class; one with no
events in either period is grey. Units whose change is significant (the exact conditional
test of two Poisson counts; with ``fdr`` its Benjamini–Hochberg ``q``) get a thick black
outline. Tooltips give both counts, the change, the ratio, p and q.

Not side by side: folium's ``DualMap`` needs Leaflet.Sync from a CDN, which no Python
package ships and intranets cannot reach; the change map answers the same question on one
map.
"""

from __future__ import annotations

import html
import math
from dataclasses import replace
from datetime import timedelta
from typing import Final

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Element, Figure

from gridsvc.maps.assets import finish
from gridsvc.maps.choropleth import LEVEL_LABELS, SIMPLIFY_M
from gridsvc.maps.page import add_info_box, base_map, context
from gridsvc.service import Gridsvc
from gridsvc.stats import StatsFilter, compare
from gridsvc.stats.grids import unit_geometry

RATIO_BOUNDS: Final = (0.5, 2 / 3, 0.9, 1 / 0.9, 1.5, 2.0)
"""Upper bounds of the first six classes of the rate ratio (the seventh is open)."""
RATIO_COLOURS: Final = (
    "#2166ac",
    "#67a9cf",
    "#d1e5f0",
    "#f7f7f7",
    "#fddbc7",
    "#ef8a62",
    "#b2182b",
)
RATIO_LABELS: Final = (
    "< 0.50（减少一半以上）",
    "0.50 – 0.67",
    "0.67 – 0.90",
    "0.90 – 1.11（基本持平）",
    "1.11 – 1.50",
    "1.50 – 2.00",
    "≥ 2.00（增加一倍以上）",
)
NO_EVENTS_COLOUR: Final = "#d9d9d9"


def ratio_class(rate_ratio: float) -> int:
    """The class (0–6) of a rate ratio; -1 when undefined (no events in either period).
    ``inf`` (events now, none before) is the top class."""
    if math.isnan(rate_ratio):
        return -1
    return int(np.searchsorted(np.array(RATIO_BOUNDS), rate_ratio, side="right"))


def _ratio_text(r: float) -> str:
    if math.isnan(r):
        return "—"
    return "∞（基期无事件）" if math.isinf(r) else f"{r:.2f}"


def compare_frame(
    svc: Gridsvc,
    level: str,
    flt_current: StatsFilter,
    flt_base: StatsFilter,
    *,
    alpha: float = 0.05,
    fdr: bool = False,
) -> gpd.GeoDataFrame:
    """:func:`gridsvc.stats.compare`'s rows with the units' geometry (simplified for display,
    EPSG:4326), ``ratio_class``, ``colour`` and the tooltip texts; ``attrs`` as compare's."""
    stats = compare(svc, level, flt_current, flt_base, alpha=alpha, fdr=fdr)
    # the outlines of the version the counts came from (cached), not a second counting
    outlines = unit_geometry(svc, level, int(stats.attrs["grid_version"]["id"]))
    geometry = outlines.reindex(stats["code"]).to_numpy()
    tolerance = SIMPLIFY_M[str(stats.attrs["level"])] / 111_320.0
    geometry = shapely.set_precision(
        shapely.simplify(geometry, tolerance, preserve_topology=True), 1e-5
    )
    out = gpd.GeoDataFrame(stats.copy(), geometry=geometry, crs="EPSG:4326")
    classes = [ratio_class(float(r)) for r in out["rate_ratio"]]
    out["ratio_class"] = classes
    out["colour"] = [RATIO_COLOURS[c] if c >= 0 else NO_EVENTS_COLOUR for c in classes]
    out["change_text"] = [
        f"{int(c):+,}" + (f"（{p:+.1f}%）" if math.isfinite(p) else "")
        for c, p in zip(out["change"], out["change_pct"], strict=True)
    ]
    out["ratio_text"] = [_ratio_text(float(r)) for r in out["rate_ratio"]]
    out["p_text"] = [f"{p:.4f}" for p in out["p_value"]]
    out["q_text"] = [f"{q:.4f}" for q in out["p_adjusted"]]
    out["significant_text"] = ["显著" if s else "不显著" for s in out["significant"]]
    out.attrs.update(stats.attrs)
    return out


def period_text(flt: StatsFilter) -> str:
    """``2026-11-01 至 2026-11-30（30 天）``: the inclusive last day, for readers."""
    assert flt.date_from is not None and flt.date_to is not None
    last = flt.date_to - timedelta(days=1)
    return f"{flt.date_from} 至 {last}（{flt.days} 天）"


def significance_text(alpha: float, fdr: bool) -> str:
    test = "FDR 校正后 q" if fdr else "p"
    return f"粗黑边：变化显著（{test} ≤ {alpha:g}）"


TEST_TEXT: Final = "检验：两期泊松计数的精确条件检验（双侧）"


def compare_legend_html(frame: gpd.GeoDataFrame, alpha: float, fdr: bool) -> str:
    rows = []
    for label, colour in zip(RATIO_LABELS, RATIO_COLOURS, strict=True):
        rows.append(
            f'<div><span style="display:inline-block;width:14px;height:10px;'
            f'background:{colour};margin-right:6px;border:1px solid #888"></span>'
            f"{html.escape(label)}</div>"
        )
    if (frame["ratio_class"] < 0).any():
        rows.append(
            f'<div><span style="display:inline-block;width:14px;height:10px;'
            f'background:{NO_EVENTS_COLOUR};margin-right:6px;border:1px solid #888"></span>'
            "两期均无事件</div>"
        )
    rows.append(
        '<div><span style="display:inline-block;width:14px;height:10px;'
        'border:2.5px solid #000;margin-right:6px"></span>'
        f"{html.escape(significance_text(alpha, fdr))}</div>"
    )
    return (
        '<div class="gs-legend" style="position:fixed;bottom:30px;right:10px;z-index:1000;'
        "background:rgba(255,255,255,.92);padding:8px 10px;border:1px solid #999;"
        'border-radius:4px;font:12px/1.5 sans-serif;max-width:300px">'
        '<div style="font-weight:bold">日均事件率比（本期 ÷ 基期）</div>'
        f"{''.join(rows)}</div>"
    )


def compare_html(
    svc: Gridsvc,
    level: str,
    flt_current: StatsFilter,
    flt_base: StatsFilter,
    *,
    alpha: float = 0.05,
    fdr: bool = False,
    standalone: bool = False,
    tiles: str | None = None,
) -> str:
    """A full HTML page: the units of ``level`` coloured by rate ratio of ``flt_current``'s
    period to ``flt_base``'s, significant changes outlined (see the module docstring).

    Raises what :func:`gridsvc.stats.compare` raises: both filters need closed, disjoint date
    ranges and must agree in everything but their dates.
    """
    units = compare_frame(svc, level, flt_current, flt_base, alpha=alpha, fdr=fdr)
    # the info box states the filter without dates: the two periods get lines of their own
    ctx = context(svc, replace(flt_current, date_from=None, date_to=None), tiles)
    fmap = base_map(svc, ctx)
    drawn = units[
        [
            "code",
            "name",
            "n",
            "n_base",
            "change_text",
            "ratio_text",
            "p_text",
            "q_text",
            "significant_text",
            "significant",
            "colour",
        ]
    ].set_geometry(ctx.tiles.shift_geometry(units.geometry.values))
    folium.GeoJson(
        drawn.to_geo_dict(drop_id=True),
        name="两期变化",
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.8,
            "color": "#000000" if f["properties"]["significant"] else "#777777",
            "weight": 2.5 if f["properties"]["significant"] else 0.5,
        },
        highlight_function=lambda _f: {"weight": 3, "color": "#444444"},
        tooltip=folium.GeoJsonTooltip(
            fields=[
                "name",
                "code",
                "n",
                "n_base",
                "change_text",
                "ratio_text",
                "p_text",
                "q_text",
                "significant_text",
            ],
            aliases=[
                "名称",
                "代码",
                "本期事件数",
                "基期事件数",
                "变化",
                "日均率比",
                "p 值",
                "q 值 (FDR)",
                "显著性",
            ],
            sticky=True,
        ),
    ).add_to(fmap)
    level_name = str(units.attrs["level"])
    level_label = LEVEL_LABELS.get(level_name, level_name)
    add_info_box(
        fmap,
        ctx,
        f"{level_label}事件两期对比",
        [
            f"本期：{period_text(flt_current)}，{int(units['n'].sum()):,} 件",
            f"基期：{period_text(flt_base)}，{int(units['n_base'].sum()):,} 件",
            f"显著变化：{int(units['significant'].sum())} / {len(units)} 个{level_label}",
            TEST_TEXT,
        ],
    )
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    figure.html.add_child(Element(compare_legend_html(units, alpha, fdr)), name="gs-legend")
    return finish(fmap, standalone=standalone, tile_urls=ctx.tiles.templates)
