"""Heat map through time: events binned per period (day, week or month) and per lattice cell
in PostGIS, shown one period at a time with a slider and a play button.

folium's ``HeatMapWithTime`` and ``TimeSliderChoropleth`` load leaflet-timedimension and d3
from CDNs, which an intranet cannot reach and which no Python package ships; so the page uses
the offline Leaflet.heat layer of the plain heat map and a small script of its own
(:data:`_PLAYER_JS`) that swaps the layer's points when the slider moves.

Binning is :mod:`gridsvc.maps.heatmap`'s (``maps_timeline_bins.sql`` adds the period of each
event's Beijing day; sensitive categories rounded to ~1 km first), with periods as in
:func:`gridsvc.stats.timeseries`: Beijing days, weeks from Monday, calendar months, labelled
in Chinese; a period cut by the filter's range says how many of its days were counted. Open
ends of the range are the first and last periods with a matching event.

The page carries each non-empty cell once (``cells``) and, per period, pairs of cell index
and count, so its size grows with cells × periods; it is bounded by :data:`MAX_PERIODS`,
:data:`MAX_CELLS_PER_PERIOD` and :data:`MAX_CELLS` (period-cell pairs), each refused with a
hint.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, Literal, get_args

import numpy as np
import pandas as pd

from gridsvc.errors import InvalidInput
from gridsvc.maps.assets import finish
from gridsvc.maps.heatmap import (
    CELL_M_RANGE,
    METRES_PER_DEGREE,
    add_heat_legend,
    heat_layer,
    rescale_on_zoom,
)
from gridsvc.maps.page import add_info_box, base_map, context, json_for_script, on_load
from gridsvc.messages import Msg
from gridsvc.service import Gridsvc
from gridsvc.stats.filters import StatsFilter, sql_params
from gridsvc.stats.units import stats_query

Step = Literal["day", "week", "month"]
STEPS: Final[tuple[Step, ...]] = get_args(Step)
STEP_LABELS: Final[dict[str, str]] = {"day": "按日", "week": "按周", "month": "按月"}
MAX_PERIODS: Final = 120
MAX_CELLS_PER_PERIOD: Final = 30_000
"""As the heat map's :data:`~gridsvc.maps.heatmap.MAX_BINS`: what one view draws smoothly."""
MAX_CELLS: Final = 120_000
"""Period-cell pairs on one page: ~8 bytes each plus ~24 per distinct cell, so ~2 MB at most."""
DEFAULT_CELL_M: Final = 500.0


def period_start(day: date, step: str) -> date:
    """The first day of the period of ``step`` holding ``day`` (weeks start on Monday)."""
    if step == "day":
        return day
    if step == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period(start: date, step: str) -> date:
    if step == "day":
        return start + timedelta(days=1)
    if step == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A calendar period ``[start, end)`` of Beijing days; ``days``: how many of them the
    filter's range covers."""

    start: date
    end: date
    days: int
    step: str

    @property
    def label(self) -> str:
        """The period in Chinese: ``2026年11月3日``, ``2026年11月2日–11月8日``, ``2026年11月``."""
        s = self.start
        if self.step == "day":
            text = f"{s.year}年{s.month}月{s.day}日"
        elif self.step == "month":
            text = f"{s.year}年{s.month}月"
        else:
            last = self.end - timedelta(days=1)
            tail = f"{last.year}年" if last.year != s.year else ""
            text = f"{s.year}年{s.month}月{s.day}日–{tail}{last.month}月{last.day}日"
        full = (self.end - self.start).days
        return text if self.days == full else f"{text}（范围内 {self.days} 天）"


def period_count(lo: date, hi: date, step: str) -> int:
    """How many periods of ``step`` meet ``[lo, hi)``, without building them (a request may
    name any dates)."""
    if hi <= lo:
        return 0
    if step == "month":
        return (hi.year - lo.year) * 12 + hi.month - lo.month + (1 if hi.day > 1 else 0)
    days = {"day": 1, "week": 7}[step]
    start = period_start(lo, step)
    return -(-(hi - start).days // days)


def periods_between(lo: date, hi: date, step: str) -> list[Period]:
    """The calendar periods of ``step`` that meet ``[lo, hi)``, with the days of each inside."""
    out: list[Period] = []
    start = period_start(lo, step)
    while start < hi:
        end = next_period(start, step)
        out.append(Period(start, end, (min(end, hi) - max(start, lo)).days, step))
        start = end
    return out


@dataclass(frozen=True)
class TimelineBins:
    """Events per period and cell: ``frame`` has ``period_start`` (date), ``lon_wgs84``,
    ``lat_wgs84`` (cell centre, EPSG:4326 degrees) and ``n``; ``periods`` every period of the
    range in order, empty ones included."""

    frame: pd.DataFrame
    periods: list[Period]
    step: str
    cell_m: float

    @property
    def total(self) -> int:
        return int(self.frame["n"].sum())

    def totals(self) -> list[int]:
        """Events per period, in the order of ``periods``."""
        sums = self.frame.groupby("period_start")["n"].sum()
        return [int(sums.get(p.start, 0)) for p in self.periods]


_COARSER = {"day": "map.coarser_day", "week": "map.coarser_week", "month": "map.coarser_month"}


def _too_many_periods(count: int, step: str) -> InvalidInput:
    return InvalidInput(
        "map.too_many_periods",
        field="step",
        count=count,
        step=step,
        limit=MAX_PERIODS,
        coarser=Msg(_COARSER[step]),
    )


def timeline_bins(
    svc: Gridsvc,
    flt: StatsFilter | None = None,
    *,
    step: str = "week",
    cell_m: float = DEFAULT_CELL_M,
) -> TimelineBins:
    """The events ``flt`` selects, per period of ``step`` and per cell of ``cell_m`` metres.

    Raises ``InvalidInput`` for an unknown step, a cell size outside
    :data:`~gridsvc.maps.heatmap.CELL_M_RANGE`, more than :data:`MAX_PERIODS` periods, more
    than :data:`MAX_CELLS_PER_PERIOD` cells in a period or :data:`MAX_CELLS` in all.
    """
    flt = flt or StatsFilter()
    if step not in STEPS:
        raise InvalidInput("common.unknown_choice", field="step", value=step, choices=STEPS)
    low, high = CELL_M_RANGE
    if not (math.isfinite(cell_m) and low <= cell_m <= high):
        raise InvalidInput(
            "map.cell_m",
            hint="map.cell_m_timeline",
            field="cell_m",
            low=low,
            high=high,
            value=cell_m,
        )
    if flt.date_from is not None and flt.date_to is not None:
        count = period_count(flt.date_from, flt.date_to, step)
        if count > MAX_PERIODS:
            raise _too_many_periods(count, step)
    taxonomy = svc.taxonomy(include_inactive=True)
    params: dict[str, Any] = {
        **sql_params(flt, taxonomy, svc.now()),
        "sensitive": [c.code for c in taxonomy if c.sensitive],
        "cell_deg": cell_m / METRES_PER_DEGREE,
        "interval": step,
        "max_rows": MAX_CELLS,
    }
    rows = svc.read_db.cursor_fetchall(stats_query("maps_timeline_bins"), params)
    if len(rows) > MAX_CELLS:
        raise InvalidInput(
            "map.too_many_period_cells", field="cell_m", limit=MAX_CELLS, size=cell_m
        )
    frame = pd.DataFrame(rows, columns=["period_start", "lon_wgs84", "lat_wgs84", "n"])
    frame["n"] = frame["n"].astype(np.int64)
    if len(frame):
        first, last = frame["period_start"].min(), frame["period_start"].max()
        lo = flt.date_from or first
        hi = flt.date_to or next_period(last, step)
        if period_count(lo, hi, step) > MAX_PERIODS:
            raise _too_many_periods(period_count(lo, hi, step), step)
        periods = periods_between(lo, hi, step)
    elif flt.date_from is not None and flt.date_to is not None:
        periods = periods_between(flt.date_from, flt.date_to, step)
    else:
        periods = []
    if len(periods) > MAX_PERIODS:
        raise _too_many_periods(len(periods), step)
    busiest = frame.groupby("period_start").size().max() if len(frame) else 0
    if busiest > MAX_CELLS_PER_PERIOD:
        raise InvalidInput(
            "map.busy_period",
            field="cell_m",
            count=int(busiest),
            size=cell_m,
            limit=MAX_CELLS_PER_PERIOD,
        )
    return TimelineBins(frame, periods, step, cell_m)


# The player: a Leaflet control with a play button, a range input and the period's label;
# moving the slider swaps the heat layer's points. Written for gridsvc (no timedimension).
_PLAYER_JS: Final = """
var heat = %(heat)s, data = %(data)s, n = data.labels.length;
var box = L.DomUtil.create("div", "gs-timeline leaflet-bar");
box.style.cssText = "background:rgba(255,255,255,.95);padding:6px 8px;font:12px/1.5 sans-serif;"
  + "min-width:320px";
var play = L.DomUtil.create("button", "gs-play", box);
play.type = "button";
play.textContent = "播放";
var slider = L.DomUtil.create("input", "gs-slider", box);
slider.type = "range"; slider.min = 0; slider.max = Math.max(n - 1, 0); slider.step = 1;
slider.style.cssText = "width:200px;vertical-align:middle;margin:0 6px";
var label = L.DomUtil.create("div", "gs-period", box);
L.DomEvent.disableClickPropagation(box);
L.DomEvent.disableScrollPropagation(box);
var Player = L.Control.extend({onAdd: function () { return box; }});
new Player({position: "bottomleft"}).addTo(map);
function show(i) {
  var pts = [], p = data.periods[i] || [];
  for (var k = 0; k < p.length; k += 2) {
    var c = data.cells[p[k]];
    pts.push([c[0], c[1], Math.min(1, p[k + 1] / data.scale)]);
  }
  heat.setLatLngs(pts);
  slider.value = i;
  box.setAttribute("data-period", i);
  label.textContent = n ? data.labels[i] + "：" + data.totals[i] + " 件" : "所选范围内无事件";
}
var timer = null;
function stop() { clearInterval(timer); timer = null; play.textContent = "播放"; }
play.onclick = function () {
  if (timer) { stop(); return; }
  play.textContent = "暂停";
  timer = setInterval(function () { show((+slider.value + 1) %% n); }, 1000);
};
slider.oninput = function () { stop(); show(+slider.value); };
if (!n) { play.disabled = true; slider.disabled = true; }
show(Math.max(n - 1, 0));
"""


def timeline_data(bins: TimelineBins, shift: Any) -> dict[str, Any]:
    """The page's data: ``cells`` ``[lat, lon]`` (in the tiles' system via ``shift``, a
    :meth:`~gridsvc.maps.tiles.Tiles.shift_xy`), per period a flat list of cell index and
    count, the labels, totals, and ``scale`` (counts at or above it are full heat)."""
    frame = bins.frame
    cells = frame[["lon_wgs84", "lat_wgs84"]].drop_duplicates().reset_index(drop=True)
    index = {(x, y): i for i, (x, y) in enumerate(cells.itertuples(index=False))}
    lon, lat = shift(cells["lon_wgs84"].to_numpy(np.float64), cells["lat_wgs84"].to_numpy())
    per_period: dict[date, list[int]] = {p.start: [] for p in bins.periods}
    for start, x, y, n in frame.itertuples(index=False):
        per_period.setdefault(start, []).extend((index[(x, y)], int(n)))
    # one scale for every period, so that periods compare: a high percentile of all counts
    scale = float(np.percentile(frame["n"], 99)) if len(frame) else 1.0
    return {
        "cells": [[round(float(a), 6), round(float(b), 6)] for a, b in zip(lat, lon, strict=True)],
        "periods": [per_period[p.start] for p in bins.periods],
        "labels": [p.label for p in bins.periods],
        "totals": bins.totals(),
        "scale": max(scale, 1.0),
    }


def timeline_html(
    svc: Gridsvc,
    flt: StatsFilter | None = None,
    *,
    step: str = "week",
    cell_m: float = DEFAULT_CELL_M,
    standalone: bool = False,
    tiles: str | None = None,
) -> str:
    """A full HTML page: the heat of each period over the district outlines, the last period
    first, a slider and a play button to move through the others."""
    flt = flt or StatsFilter()
    ctx = context(svc, flt, tiles)
    bins = timeline_bins(svc, flt, step=step, cell_m=cell_m)
    fmap = base_map(svc, ctx)
    data = timeline_data(bins, ctx.tiles.shift_xy)
    heat = heat_layer("事件热力（时段）", cell_m)
    heat.add_to(fmap)
    first = bins.periods[0].label if bins.periods else "—"
    last = bins.periods[-1].label if bins.periods else "—"
    add_info_box(
        fmap,
        ctx,
        f"事件热力时间序列（{STEP_LABELS[step]}）",
        [
            f"事件数：{bins.total:,}",
            f"时段：{len(bins.periods)} 个，{first} 至 {last}",
            f"统计方格：{cell_m:g} 米 × {cell_m:g} 米",
        ],
    )
    add_heat_legend(fmap, float(data["scale"]), cell_m, note="各时段同一色阶")
    rescale_on_zoom(fmap, heat, cell_m)
    on_load(fmap, _PLAYER_JS % {"heat": heat.get_name(), "data": json_for_script(data)})
    return finish(fmap, standalone=standalone, tile_urls=ctx.tiles.templates)
