"""Choropleth of events per grid unit at any statistics level, classed with mapclassify.

Values come from :func:`gridsvc.stats.counts_by_unit` (the exact rollup): ``n`` (events),
``density_per_km2`` or ``rate_per_1000`` (per 1,000 residents over the filter's period).
Units without a value (rate where the population is unknown) are drawn grey as "无数据".
Polygons are simplified for display (:data:`SIMPLIFY_M`) and coordinates rounded to ~1 m,
so the 1,255 Nanjing communities stay well under 1.5 MB of HTML.
"""

from __future__ import annotations

import html
import itertools
import math
import warnings
from dataclasses import dataclass
from typing import Any, Final, Literal

import folium
import geopandas as gpd
import mapclassify
import matplotlib
import numpy as np
import shapely
from branca.element import Element, Figure

from gridsvc.errors import InvalidInput
from gridsvc.maps.assets import finish
from gridsvc.maps.hotspot_layer import (
    DEFAULT_PERMUTATIONS,
    add_hotspot_layer,
    hotspot_legend_rows,
    hotspot_units,
)
from gridsvc.maps.page import add_info_box, base_map, context
from gridsvc.service import Gridsvc
from gridsvc.stats import StatsFilter, counts_by_unit

Value = Literal["n", "density_per_km2", "rate_per_1000"]
Scheme = Literal["quantiles", "fisher_jenks", "equal_interval"]

VALUE_LABELS: Final[dict[str, str]] = {
    "n": "事件数",
    "density_per_km2": "事件密度（件/平方公里）",
    "rate_per_1000": "每千人事件数",
}
SCHEME_LABELS: Final[dict[str, str]] = {
    "quantiles": "分位数",
    "fisher_jenks": "Fisher-Jenks 自然断点",
    "equal_interval": "等间距",
}
LEVEL_LABELS: Final[dict[str, str]] = {
    "city": "全市",
    "district": "区",
    "sector": "板块",
    "street": "街道/镇",
    "community": "社区",
}
SIMPLIFY_M: Final[dict[str, float]] = {
    "city": 100.0,
    "district": 100.0,
    "sector": 100.0,
    "street": 50.0,
    "community": 25.0,
}
"""Display tolerance per level, metres (applied in degrees at ~111 km per degree)."""
K_RANGE: Final = (2, 9)
NO_DATA_COLOUR: Final = "#d9d9d9"
SUPPRESSED_COLOUR: Final = "#f7f7f7"
"""Units with fewer than ``min_count`` events (public embeds): one class of their own."""


@dataclass(frozen=True)
class Classes:
    """A classification: upper bounds of each class, its colour, and each unit's class
    (-1 where the value is missing)."""

    scheme: str
    k: int
    bins: list[float]
    colours: list[str]
    lower: float
    yb: np.ndarray
    whole: bool = False
    """The values are whole numbers (event counts) and so are the bounds: each class is
    shown as the whole numbers it holds, ``5–8``, ``9–12``, none shared with the next."""

    def legend_title(self) -> str:
        return f"分级方法：{SCHEME_LABELS[self.scheme]} ({self.k} 级)"

    def labels(self) -> list[str]:
        """Each class as the legend shows it. mapclassify's classes hold ``(lower, upper]``
        (the first one its minimum too): counts as whole numbers that no two classes share
        (``0–4``, ``5–8``, a class of one number as ``9``); other values as ``lower –
        upper`` with as many decimals as the bounds need to differ."""
        if self.whole:
            out = []
            first = round(self.lower)
            for n, upper in enumerate(self.bins):
                low = first if n == 0 else round(self.bins[n - 1]) + 1
                high = round(upper)
                out.append(f"{low:,}" if low == high else f"{low:,}–{high:,}")
            return out
        bounds = [self.lower, *self.bins]
        digits = _decimals(bounds)
        text = [f"{b:,.{digits}f}" for b in bounds]
        return [f"{a} – {b}" for a, b in itertools.pairwise(text)]


def _decimals(bounds: list[float]) -> int:
    """Decimals (0–4) for ``bounds``: two significant digits of the smallest non-zero one,
    more while two different bounds would read alike."""
    nonzero = [abs(b) for b in bounds if b != 0]
    digits = max(0, 1 - math.floor(math.log10(min(nonzero)))) if nonzero else 0
    while digits < 4 and len({f"{b:.{digits}f}" for b in bounds}) < len(set(bounds)):
        digits += 1
    return min(digits, 4)


def classify(values: np.ndarray, scheme: str, k: int, *, whole: bool = False) -> Classes:
    """Class the finite ``values`` with mapclassify (Quantiles, FisherJenks, EqualInterval).

    ``k`` is lowered to the number of distinct values when there are fewer (mapclassify
    cannot make more classes than values). ``whole``: the values are counts, so each upper
    bound is rounded down to a whole number (a class ``(8.4, 12.6]`` of counts holds 9–12)
    and the units re-classed on those bounds; bounds that become equal merge, so ``k`` can
    shrink.
    """
    if scheme not in SCHEME_LABELS:
        raise InvalidInput(
            "common.unknown_choice", field="scheme", value=scheme, choices=list(SCHEME_LABELS)
        )
    low, high = K_RANGE
    if not low <= k <= high:
        raise InvalidInput("map.k", field="k", low=low, high=high, value=k)
    finite = np.isfinite(values)
    present = values[finite]
    yb = np.full(len(values), -1, dtype=np.int64)
    if len(present) == 0:
        return Classes(scheme, 0, [], [], 0.0, yb)
    k = max(1, min(k, len(np.unique(present))))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate quantile edges: mapclassify merges them
        if scheme == "quantiles":
            classifier: Any = mapclassify.Quantiles(present, k=k)
        elif scheme == "fisher_jenks":
            classifier = mapclassify.FisherJenks(present, k=k)
        elif k == 1:  # every unit has the same value: EqualInterval refuses one class
            classifier = mapclassify.UserDefined(present, bins=[float(present.max())])
        else:
            classifier = mapclassify.EqualInterval(present, k=k)
    bins = [float(b) for b in classifier.bins]
    if whole:
        bins = sorted({float(math.floor(b + 1e-9)) for b in bins})
        classifier = mapclassify.UserDefined(present, bins=bins)
    cmap = matplotlib.colormaps["YlOrRd"]
    n = len(bins)
    colours = [matplotlib.colors.to_hex(cmap(0.15 + 0.85 * i / max(n - 1, 1))) for i in range(n)]
    yb[finite] = np.asarray(classifier.yb, dtype=np.int64)
    return Classes(scheme, n, bins, colours, float(present.min()), yb, whole)


def _fmt(value: float) -> str:
    if math.isclose(value, round(value)):
        return f"{round(value):,}"
    return f"{value:,.2f}"


def legend_html(
    classes: Classes,
    value: str,
    *,
    has_missing: bool,
    suppressed_below: int = 0,
    extra: str = "",
) -> str:
    """The legend box; with ``suppressed_below`` a class "少于k件" for the units shown as
    "<k"; ``extra``: HTML appended inside the box (another layer's rows)."""
    rows = []
    for label, colour in zip(classes.labels(), classes.colours, strict=True):
        rows.append(
            f'<div class="gs-class"><span style="display:inline-block;width:14px;height:10px;'
            f'background:{colour};margin-right:6px;border:1px solid #888"></span>'
            f"{html.escape(label)}</div>"
        )
    if has_missing:
        rows.append(
            f'<div><span style="display:inline-block;width:14px;height:10px;'
            f'background:{NO_DATA_COLOUR};margin-right:6px;border:1px solid #888"></span>'
            "无数据</div>"
        )
    if suppressed_below:
        rows.append(
            f'<div><span style="display:inline-block;width:14px;height:10px;'
            f'background:{SUPPRESSED_COLOUR};margin-right:6px;border:1px solid #888"></span>'
            f"少于{suppressed_below}件</div>"
        )
    return (
        '<div class="gs-legend" style="position:fixed;bottom:30px;right:10px;z-index:1000;'
        "background:rgba(255,255,255,.92);padding:8px 10px;border:1px solid #999;"
        'border-radius:4px;font:12px/1.5 sans-serif">'
        f'<div style="font-weight:bold">{html.escape(VALUE_LABELS[value])}</div>'
        f"<div>{html.escape(classes.legend_title())}</div>{''.join(rows)}{extra}</div>"
    )


def choropleth_frame(
    svc: Gridsvc,
    level: str,
    flt: StatsFilter | None = None,
    *,
    value: str = "n",
    scheme: str = "quantiles",
    k: int = 5,
    min_count: int = 0,
) -> tuple[gpd.GeoDataFrame, Classes]:
    """The units of ``level`` with ``value``, its class and colour, geometry simplified.

    Units with fewer than ``min_count`` events (public embeds) get neither a value nor a
    class: ``value`` is None, ``value_text`` "<k", a colour of their own; classes are computed
    without them, so no colour or class bound tells their count. ``attrs["suppressed"]`` is
    how many there are.
    """
    if value not in VALUE_LABELS:
        raise InvalidInput(
            "common.unknown_choice", field="value", value=value, choices=list(VALUE_LABELS)
        )
    frame = counts_by_unit(svc, level, flt, with_geometry=True)
    values = frame[value].to_numpy(dtype=np.float64, na_value=np.nan)
    suppressed = frame["n"].to_numpy(dtype=np.int64) < min_count
    values = np.where(suppressed, np.nan, values)  # density or rate would tell the count
    classes = classify(values, scheme, k, whole=value == "n")
    level_name = str(frame.attrs["level"])
    tolerance = SIMPLIFY_M[level_name] / 111_320.0
    geometry = shapely.simplify(frame.geometry.values, tolerance, preserve_topology=True)
    geometry = shapely.set_precision(geometry, 1e-5)
    out = gpd.GeoDataFrame(
        {
            "code": frame["code"],
            "name": frame["name"],
            "value": [None if not math.isfinite(v) else round(v, 4) for v in values],
            "value_text": [_fmt(v) if math.isfinite(v) else "无数据" for v in values],
            # the count beside a density or rate, so a reader need not switch maps for it
            "n_text": [f"{int(n):,}" for n in frame["n"].to_numpy(dtype=np.int64)],
            "colour": [classes.colours[c] if c >= 0 else NO_DATA_COLOUR for c in classes.yb],
        },
        geometry=geometry,
        crs="EPSG:4326",
    )
    out.attrs.update(frame.attrs)
    out.loc[suppressed, "value_text"] = f"<{min_count}"
    out.loc[suppressed, "n_text"] = f"<{min_count}"
    out.loc[suppressed, "colour"] = SUPPRESSED_COLOUR
    out.attrs["suppressed"] = int(suppressed.sum())
    return out, classes


def choropleth_html(
    svc: Gridsvc,
    level: str = "community",
    flt: StatsFilter | None = None,
    *,
    value: str = "n",
    scheme: str = "quantiles",
    k: int = 5,
    standalone: bool = False,
    min_count: int = 0,
    tiles: str | None = None,
    hotspots: bool = False,
    permutations: int = DEFAULT_PERMUTATIONS,
) -> str:
    """A full HTML page: units of ``level`` coloured by class, with legend and tooltips
    (name, code, value). Units with fewer than ``min_count`` events show "<k" (see
    :func:`choropleth_frame`).

    ``tiles``: a tile base layer (:mod:`gridsvc.maps.tiles`; polygons then drawn in its
    system). ``hotspots``: add the Gi* hot and cold spots of the same units and filter as an
    overlay the layer control switches (:mod:`gridsvc.maps.hotspot_layer`; ``permutations``
    at most 9,999; needs at least 30 units, so not districts; refused with ``min_count``, as
    a unit's class would tell about its count).
    """
    if hotspots and min_count:
        raise InvalidInput("map.hotspots_hidden_counts", field="hotspots")
    flt = flt or StatsFilter()
    ctx = context(svc, flt, tiles)
    units, classes = choropleth_frame(
        svc, level, flt, value=value, scheme=scheme, k=k, min_count=min_count
    )
    spots = (
        hotspot_units(svc, level, flt, value=value, permutations=permutations) if hotspots else None
    )
    fmap = base_map(svc, ctx)
    drawn = units.set_geometry(ctx.tiles.shift_geometry(units.geometry.values))
    fields, aliases = ["name", "code", "value_text"], ["名称", "代码", VALUE_LABELS[value]]
    if value == "n":
        drawn = drawn.drop(columns="n_text")
    else:
        fields, aliases = [*fields, "n_text"], [*aliases, VALUE_LABELS["n"]]
    geojson = drawn.to_geo_dict(drop_id=True)
    folium.GeoJson(
        geojson,
        name=VALUE_LABELS[value],
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "fillOpacity": 0.75,
            "color": "#666666",
            "weight": 0.5,
        },
        highlight_function=lambda _f: {"weight": 2, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True),
    ).add_to(fmap)
    level_name = str(units.attrs["level"])
    add_info_box(
        fmap,
        ctx,
        f"{LEVEL_LABELS.get(level_name, level_name)}{VALUE_LABELS[value]}分级图",
        [f"单元：{len(units):,} 个{LEVEL_LABELS.get(level_name, level_name)}"],
    )
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    suppressed = int(units.attrs["suppressed"])
    has_missing = int((classes.yb < 0).sum()) > suppressed  # suppressed units have no class
    extra = ""
    if spots is not None:
        geometry = units.set_index("code").geometry.reindex(spots["code"]).to_numpy()
        add_hotspot_layer(fmap, spots, geometry, ctx.tiles)
        folium.LayerControl(collapsed=False).add_to(fmap)
        extra = hotspot_legend_rows(spots)
    legend = legend_html(
        classes,
        value,
        has_missing=has_missing,
        suppressed_below=min_count if suppressed else 0,
        extra=extra,
    )
    figure.html.add_child(Element(legend), name="gs-legend")
    return finish(fmap, standalone=standalone, tile_urls=ctx.tiles.templates)
