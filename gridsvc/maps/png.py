"""Maps as PNG images for Word or PowerPoint, drawn without a browser (matplotlib's Agg
through its object API, no pyplot, so concurrent requests share no global figure state).

Every image is :data:`PNG_SIZE_PX` pixels: the map on the left over the district outlines,
with a metric scale bar; on the right the title, the filters, the data timestamp, the grid
dataset and its synthetic notice, and the legend. Coordinates are WGS-84 degrees drawn with
the local aspect 1/cos(latitude), so distances east-west and north-south look alike and the
scale bar holds across the city. No tiles: an image is made where the internet may be
unreachable.

Chinese needs a CJK font: Noto Sans CJK SC from Debian's ``fonts-noto-cjk`` (installed by
``scripts/setup.sh``), found through :mod:`matplotlib.font_manager`; without one a
``SetupError`` names the package (503 over HTTP), rather than an image of empty boxes.

The timeline image is a small multiple: the last :data:`TIMELINE_PANELS` periods of the range,
one shared colour scale. Heat images draw the lattice cells themselves (log colour scale),
merged into coarser pixels (:data:`MAX_IMAGE_CELLS`) so that single events stay visible; the
colour bar names the pixel size.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import replace
from functools import cache
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import colors as mcolors
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from gridsvc.errors import SetupError
from gridsvc.grids import store
from gridsvc.maps.choropleth import (
    LEVEL_LABELS,
    NO_DATA_COLOUR,
    VALUE_LABELS,
    choropleth_frame,
)
from gridsvc.maps.compare import (
    NO_EVENTS_COLOUR,
    RATIO_COLOURS,
    RATIO_LABELS,
    TEST_TEXT,
    compare_frame,
    period_text,
    significance_text,
)
from gridsvc.maps.heatmap import METRES_PER_DEGREE, heat_bins
from gridsvc.maps.hotspot_layer import (
    CLASS_COLOURS,
    CLASS_LABELS,
    DEFAULT_PERMUTATIONS,
    LAYER_NAME,
    hotspot_units,
)
from gridsvc.maps.page import (
    OUTLINE_SIMPLIFY_M,
    SYNTHETIC_NOTICE,
    MapContext,
    context,
    info_lines,
)
from gridsvc.maps.timeline import DEFAULT_CELL_M, STEP_LABELS, timeline_bins
from gridsvc.service import Gridsvc
from gridsvc.stats import StatsFilter

PNG_DPI: Final = 150
PNG_SIZE_PX: Final = (1800, 1200)
FONT_FAMILIES: Final = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei")
TIMELINE_PANELS: Final = 12
MAX_IMAGE_CELLS: Final = 250
"""Largest heat raster side, in cells: finer lattices are merged into coarser pixels, or a
citywide image (~1,100 px tall) would show single events as specks of one or two pixels."""
HEAT_COLOURS: Final = mcolors.LinearSegmentedColormap.from_list(
    "gs_heat", ["#fed976", "#fd8d3c", "#e31a1c", "#800026"]
)
"""A heat scale whose lowest class (one event) is still clearly visible on white."""
Rect = tuple[float, float, float, float]
_MAP_RECT: Final[Rect] = (0.01, 0.03, 0.64, 0.86)
_PANEL_X: Final = 0.67


@cache
def chinese_font() -> FontProperties:
    """The first installed CJK family of :data:`FONT_FAMILIES`; ``SetupError`` if none."""
    for family in FONT_FAMILIES:
        try:
            font_manager.findfont(FontProperties(family=family), fallback_to_default=False)
        except ValueError:
            continue
        return FontProperties(family=family)
    raise SetupError("map.no_font")


def _sized(font: FontProperties, size: float, bold: bool = False) -> FontProperties:
    sized = font.copy()
    sized.set_size(size)
    if bold:
        sized.set_weight("bold")
    return sized


class Sheet:
    """One image being drawn: the figure, its font, and the right-hand text column."""

    def __init__(self, svc: Gridsvc, ctx: MapContext, title: str, extra: list[str]) -> None:
        self.font = chinese_font()
        self.fig = Figure(figsize=(PNG_SIZE_PX[0] / PNG_DPI, PNG_SIZE_PX[1] / PNG_DPI))
        FigureCanvasAgg(self.fig)
        self.fig.patch.set_facecolor("white")
        outlines = store.unit_features(
            svc.read_db, ctx.version, "district", simplify_m=OUTLINE_SIMPLIFY_M
        )
        self.outlines = gpd.GeoDataFrame.from_features(outlines["features"], crs="EPSG:4326")
        self.fig.text(0.015, 0.955, title, fontproperties=_sized(self.font, 18, bold=True))
        self.y = 0.90
        for line in info_lines(ctx, extra):
            self.text(line)
        if ctx.version.synthetic:
            self.text(SYNTHETIC_NOTICE, colour="#b00000")

    def text(self, line: str, *, colour: str = "#222222", size: float = 9.5) -> None:
        for part in textwrap.wrap(line, 30) or [""]:
            self.fig.text(
                _PANEL_X, self.y, part, fontproperties=_sized(self.font, size), color=colour
            )
            self.y -= 0.027

    def map_axes(self, rect: Rect = _MAP_RECT, *, scale_bar: bool = True) -> Axes:
        """Axes over the city with the district outlines (drawn on top, ``zorder`` 5)."""
        ax = self.fig.add_axes(rect)
        self.outlines.boundary.plot(ax=ax, color="#555555", linewidth=0.6, zorder=5)
        x0, y0, x1, y1 = self.outlines.total_bounds
        pad = 0.02 * max(x1 - x0, y1 - y0)
        ax.set_xlim(x0 - pad, x1 + pad)
        ax.set_ylim(y0 - pad, y1 + pad)
        ax.set_aspect(1.0 / math.cos(math.radians((y0 + y1) / 2)))
        ax.set_axis_off()
        if scale_bar:
            self.scale_bar(ax)
        return ax

    def scale_bar(self, ax: Axes) -> None:
        """A bar of a round number of kilometres, about a fifth of the map's width."""
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        km_per_degree = METRES_PER_DEGREE / 1000 * math.cos(math.radians((y0 + y1) / 2))
        width_km = (x1 - x0) * km_per_degree
        length = max([n for n in (0.5, 1, 2, 5, 10, 20, 50, 100) if n <= width_km / 5], default=0.5)
        bar = AnchoredSizeBar(
            ax.transData,
            length / km_per_degree,
            f"{length:g} 公里",
            "lower left",
            pad=0.4,
            borderpad=0.6,
            sep=3,
            frameon=True,
            size_vertical=(y1 - y0) / 250,
            fontproperties=_sized(self.font, 9),
        )
        ax.add_artist(bar)

    def legend(self, handles: list[Any], title: str, *, y: float = 0.03) -> None:
        self.fig.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(_PANEL_X - 0.005, y),
            prop=_sized(self.font, 9),
            title=title,
            title_fontproperties=_sized(self.font, 10, bold=True),
            frameon=False,
            alignment="left",
        )

    def png(self) -> bytes:
        buf = io.BytesIO()
        # no Software/date metadata: the same map is the same bytes, so its ETag holds
        self.fig.savefig(buf, format="png", dpi=PNG_DPI, metadata={"Software": None})
        return buf.getvalue()


def _merge(sheet: Sheet, cell_m: float, max_cells: int) -> int:
    """How many lattice cells a pixel side holds so the city spans at most ``max_cells``."""
    x0, y0, x1, y1 = sheet.outlines.total_bounds
    return max(
        1, math.ceil(float(max(x1 - x0, y1 - y0)) / (cell_m / METRES_PER_DEGREE) / max_cells)
    )


def _raster(frame: pd.DataFrame, cell_m: float, merge: int) -> tuple[np.ndarray, Rect, float]:
    """Counts on the lattice as an image (rows south to north), its extent in degrees, and
    the side of its pixels in metres (``cell_m`` times ``merge``)."""
    step = cell_m / METRES_PER_DEGREE
    i = np.rint(frame["lon_wgs84"].to_numpy(np.float64) / step).astype(np.int64)
    j = np.rint(frame["lat_wgs84"].to_numpy(np.float64) / step).astype(np.int64)
    i0 = np.floor_divide(i, merge)
    j0 = np.floor_divide(j, merge)
    grid = np.zeros((j0.max() - j0.min() + 1, i0.max() - i0.min() + 1))
    np.add.at(grid, (j0 - j0.min(), i0 - i0.min()), frame["n"].to_numpy(np.float64))
    side = step * merge
    # a merged pixel covers lattice nodes merge*k … merge*k + merge-1; cells are centred
    left = float((i0.min() * merge - 0.5) * step)
    bottom = float((j0.min() * merge - 0.5) * step)
    extent: Rect = (left, left + grid.shape[1] * side, bottom, bottom + grid.shape[0] * side)
    return grid, extent, cell_m * merge


def _draw_heat(
    ax: Axes, frame: pd.DataFrame, cell_m: float, merge: int, norm: mcolors.Normalize
) -> tuple[Any, float]:
    grid, extent, pixel_m = _raster(frame, cell_m, merge)
    limits = (ax.get_xlim(), ax.get_ylim(), ax.get_aspect())
    image = ax.imshow(
        np.ma.masked_equal(grid, 0),
        origin="lower",
        extent=extent,
        cmap=HEAT_COLOURS,
        norm=norm,
        interpolation="nearest",
        zorder=2,
    )
    ax.set_xlim(limits[0])
    ax.set_ylim(limits[1])
    ax.set_aspect(limits[2])
    return image, pixel_m


def _heat_norm(frames: list[pd.DataFrame], cell_m: float, merge: int) -> mcolors.LogNorm:
    """One log scale from 1 to the busiest pixel of any of ``frames`` (panels compare)."""
    top = max((_raster(f, cell_m, merge)[0].max() for f in frames if len(f)), default=1.0)
    return mcolors.LogNorm(vmin=1, vmax=max(2.0, float(top)))


def _heat_label(pixel_m: float) -> str:
    """The heat colour bar's title: events per pixel of the image, its size, and what one
    event per pixel is per km²."""
    per_km2 = 1.0 / (pixel_m / 1000.0) ** 2
    return (
        f"每 {pixel_m:g} 米 × {pixel_m:g} 米方格事件数（对数色阶）\n"
        f"1 件/方格 = {per_km2:.3g} 件/平方公里"
    )


def _colorbar(sheet: Sheet, image: Any, label: str) -> None:
    cax = sheet.fig.add_axes((_PANEL_X + 0.01, 0.08, 0.018, 0.28))
    bar = sheet.fig.colorbar(image, cax=cax)
    bar.set_label(label, fontproperties=_sized(sheet.font, 9))
    # whole counts (1, 10, 100), not the log axis's 10⁰, 10¹ mathtext
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    bar.ax.yaxis.set_minor_formatter(NullFormatter())
    for tick in bar.ax.get_yticklabels():
        tick.set_fontproperties(_sized(sheet.font, 8))


def heatmap_png(
    svc: Gridsvc, flt: StatsFilter | None = None, *, cell_m: float | None = None
) -> bytes:
    """The heat map as a PNG: events per lattice cell (log colour scale); ``cell_m`` None
    lets :func:`heat_bins` choose."""
    flt = flt or StatsFilter()
    ctx = context(svc, flt, "none")
    bins = heat_bins(svc, flt, cell_m=cell_m)
    cell_m = bins.cell_m
    sheet = Sheet(
        svc,
        ctx,
        "事件热力图",
        bins.count_lines(),
    )
    ax = sheet.map_axes()
    if len(bins.frame):
        merge = _merge(sheet, cell_m, MAX_IMAGE_CELLS)
        norm = _heat_norm([bins.frame], cell_m, merge)
        image, pixel_m = _draw_heat(ax, bins.frame, cell_m, merge, norm)
        _colorbar(sheet, image, _heat_label(pixel_m))
    return sheet.png()


def choropleth_png(
    svc: Gridsvc,
    level: str = "community",
    flt: StatsFilter | None = None,
    *,
    value: str = "n",
    scheme: str = "quantiles",
    k: int = 5,
    hotspots: bool = False,
    permutations: int = DEFAULT_PERMUTATIONS,
) -> bytes:
    """The choropleth as a PNG, the classes in the legend; with ``hotspots`` the hot and cold
    spots drawn over it in their class colours (as the HTML layer, switched on)."""
    flt = flt or StatsFilter()
    ctx = context(svc, flt, "none")
    units, classes = choropleth_frame(svc, level, flt, value=value, scheme=scheme, k=k)
    spots = (
        hotspot_units(svc, level, flt, value=value, permutations=permutations) if hotspots else None
    )
    level_name = str(units.attrs["level"])
    level_label = LEVEL_LABELS.get(level_name, level_name)
    sheet = Sheet(
        svc,
        ctx,
        f"{level_label}{VALUE_LABELS[value]}分级图",
        [f"单元：{len(units):,} 个{level_label}", classes.legend_title()],
    )
    ax = sheet.map_axes()
    thin = 0.15 if level_name == "community" else 0.4
    units.plot(ax=ax, color=units["colour"].tolist(), edgecolor="#777777", linewidth=thin)
    handles: list[Any] = [
        Patch(facecolor=colour, edgecolor="#888888", label=label)
        for label, colour in zip(classes.labels(), classes.colours, strict=True)
    ]
    if (classes.yb < 0).any():
        handles.append(Patch(facecolor=NO_DATA_COLOUR, edgecolor="#888888", label="无数据"))
    if spots is not None:
        by_code = units.set_index("code").geometry
        for cls, label in CLASS_LABELS.items():
            chosen = spots.loc[spots["hotspot_class"] == cls, "code"]
            if len(chosen):
                # over the classes, as the HTML layer is when switched on
                gpd.GeoSeries(by_code.reindex(chosen).to_numpy(), crs="EPSG:4326").plot(
                    ax=ax, color=CLASS_COLOURS[cls], edgecolor="#333333", linewidth=0.5, zorder=4
                )
            handles.append(
                Patch(
                    facecolor=CLASS_COLOURS[cls],
                    edgecolor="#333333",
                    label=f"{label}：{len(chosen)}",
                )
            )
        sheet.text(f"{LAYER_NAME}：{int(spots.attrs['permutations']):,} 次置换，FDR 校正")
    sheet.legend(handles, VALUE_LABELS[value])
    ax.set_aspect(1.0 / math.cos(math.radians(sum(ax.get_ylim()) / 2)))
    return sheet.png()


def timeline_png(
    svc: Gridsvc,
    flt: StatsFilter | None = None,
    *,
    step: str = "week",
    cell_m: float = DEFAULT_CELL_M,
) -> bytes:
    """The timeline as a PNG: the last :data:`TIMELINE_PANELS` periods side by side (a
    small multiple), one colour scale for all, each panel titled with its period and count."""
    flt = flt or StatsFilter()
    ctx = context(svc, flt, "none")
    bins = timeline_bins(svc, flt, step=step, cell_m=cell_m)
    shown = bins.periods[-TIMELINE_PANELS:]
    totals = dict(zip([p.start for p in bins.periods], bins.totals(), strict=True))
    sheet = Sheet(
        svc,
        ctx,
        f"事件热力时间序列（{STEP_LABELS[step]}）",
        [
            f"事件数：{bins.total:,}，时段 {len(bins.periods)} 个",
            f"图中为最后 {len(shown)} 个时段" if shown else "所选范围内无事件",
            f"统计方格：{cell_m:g} 米 × {cell_m:g} 米",
        ],
    )
    if not shown:
        sheet.map_axes()
        return sheet.png()
    columns = min(4, len(shown))
    rows = math.ceil(len(shown) / columns)
    left, bottom, width, height = _MAP_RECT
    parts = [bins.frame[bins.frame["period_start"] == p.start] for p in shown]
    merge = _merge(sheet, cell_m, MAX_IMAGE_CELLS // columns)
    norm = _heat_norm(parts, cell_m, merge)
    image = None
    pixel_m = cell_m
    for n, period in enumerate(shown):
        r, c = divmod(n, columns)
        rect: Rect = (
            left + c * width / columns,
            bottom + (rows - 1 - r) * height / rows,
            width / columns * 0.98,
            height / rows * 0.86,
        )
        ax = sheet.map_axes(rect, scale_bar=n == 0)
        if len(parts[n]):
            image, pixel_m = _draw_heat(ax, parts[n], cell_m, merge, norm)
        ax.set_title(
            f"{period.label}：{totals[period.start]:,} 件",
            fontproperties=_sized(sheet.font, 8 if columns > 2 else 10),
            pad=2,
        )
    if image is not None:
        _colorbar(sheet, image, _heat_label(pixel_m))
    return sheet.png()


def compare_png(
    svc: Gridsvc,
    level: str,
    flt_current: StatsFilter,
    flt_base: StatsFilter,
    *,
    alpha: float = 0.05,
    fdr: bool = False,
) -> bytes:
    """The change map as a PNG: rate-ratio classes, significant units outlined in black."""
    units = compare_frame(svc, level, flt_current, flt_base, alpha=alpha, fdr=fdr)
    ctx = context(svc, replace(flt_current, date_from=None, date_to=None), "none")
    level_name = str(units.attrs["level"])
    level_label = LEVEL_LABELS.get(level_name, level_name)
    sheet = Sheet(
        svc,
        ctx,
        f"{level_label}事件两期对比",
        [
            f"本期：{period_text(flt_current)}，{int(units['n'].sum()):,} 件",
            f"基期：{period_text(flt_base)}，{int(units['n_base'].sum()):,} 件",
            f"显著变化：{int(units['significant'].sum())} / {len(units)} 个{level_label}",
            TEST_TEXT,
        ],
    )
    ax = sheet.map_axes()
    thin = 0.15 if level_name == "community" else 0.4
    units.plot(ax=ax, color=units["colour"].tolist(), edgecolor="#777777", linewidth=thin)
    significant = units[units["significant"].to_numpy(bool)]
    if len(significant):
        significant.boundary.plot(ax=ax, color="#000000", linewidth=1.6, zorder=4)
    handles: list[Any] = [
        Patch(facecolor=colour, edgecolor="#888888", label=label)
        for label, colour in zip(RATIO_LABELS, RATIO_COLOURS, strict=True)
    ]
    if (units["ratio_class"] < 0).any():
        handles.append(Patch(facecolor=NO_EVENTS_COLOUR, edgecolor="#888888", label="两期均无事件"))
    handles.append(
        Patch(
            facecolor="none",
            edgecolor="#000000",
            linewidth=1.6,
            label=significance_text(alpha, fdr),
        )
    )
    sheet.legend(handles, "日均事件率比（本期 ÷ 基期）")
    ax.set_aspect(1.0 / math.cos(math.radians(sum(ax.get_ylim()) / 2)))
    return sheet.png()
