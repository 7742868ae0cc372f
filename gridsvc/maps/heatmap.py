"""Heat map of events, binned in PostGIS so the page stays small whatever the event count.

Events are snapped to a square lattice of ``cell_m`` metres (converted to degrees at
~111.32 km per degree, so cells are ~15% narrower east-west than north-south in Nanjing: a
display approximation) by ``maps_heat_bins.sql``; the page gets one weighted point per
non-empty cell, never raw events. More than :data:`MAX_BINS` cells is refused with a hint to
use bigger cells. Events of sensitive categories (family disputes…) are rounded to 0.01°
(~1 km) before binning, whoever asks: a briefing map is shown to many, and the event lists
give analysts no more than that either.

A selection the planner estimates above ``GRIDSVC_HEAT_SAMPLE_ABOVE`` events (default
500,000) is binned from a page sample of the events table (``TABLESAMPLE SYSTEM``, a fixed
seed, so the same data gives the same page) of about that many events, each cell's count
scaled up by the sampled share; the page says "抽样估计" and the share. Reading every event
of a 10-million-event table takes ~10 s on 2 cores whatever the query (the table is ~6 GB);
a heat map is a picture of density, which half a million events draw as well as ten
million (~20 per cell of 600 m, the size such a map is drawn at). Public
embeds (``min_count``) are always exact, since they hide small counts.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from typing import Any, Final

import folium
import numpy as np
import pandas as pd
from branca.element import Element, Figure
from folium.plugins import HeatMap
from psycopg2 import sql

from gridsvc.errors import InvalidInput
from gridsvc.maps.assets import finish
from gridsvc.maps.page import add_info_box, base_map, context, json_for_script, on_load
from gridsvc.service import Gridsvc
from gridsvc.stats.filters import StatsFilter, sql_params
from gridsvc.stats.units import stats_query

MAX_BINS: Final = 30_000
AUTO_CELL_M: Final = 200.0
LEVELS_MAX: Final = 3
"""Cell sizes one query can choose from (``maps_heat_bins.sql``): d, 3·d and 9·d; the fine
cells are summed into the coarse ones in the database, and only the chosen size's cells
leave it (at 10 million events, ~100,000 cells of 200 m stayed there, where reading them into
Python and summing them there cost ~0.25 s of a heat map page)."""
METRES_PER_DEGREE: Final = 111_320.0
CELL_M_RANGE: Final = (25.0, 5_000.0)
SAMPLE_MAX_SHARE: Final = 0.5
"""A sample of more than this share of the table reads about as much as the whole: above it,
every event is binned."""
SAMPLE_SEED: Final = 1
HEAT_GRADIENT: Final[dict[float, str]] = {
    0.4: "#0000ff",
    0.6: "#00ffff",
    0.7: "#00ff00",
    0.8: "#ffff00",
    1.0: "#ff0000",
}
"""Leaflet.heat's own colours, given to the layer explicitly so that its legend
(:func:`heat_legend_html`) is drawn from the same stops: a point of weight ``w`` (its cell's
count over the map's scale, at most 1) is drawn in the colour at ``w``."""
HEAT_DATA_SLOT: Final = "gridsvc:heat-cells"
"""Where the heat layer's cells go in the rendered page (:func:`~gridsvc.maps.assets.finish`)."""


@dataclass(frozen=True)
class HeatBins:
    """Weighted cell centres: ``lon_wgs84``, ``lat_wgs84`` (EPSG:4326 degrees), ``n``."""

    frame: pd.DataFrame
    cell_m: float
    min_count: int = 0
    """Cells with fewer events were dropped (public embeds); ``total`` counts the rest."""
    sample_percent: float | None = None
    """Set when the bins come from a page sample of this percentage of the events table:
    ``n`` is then the sampled count scaled up (an estimate), and so is ``total``."""

    @property
    def total(self) -> int:
        return int(self.frame["n"].sum())

    def count_lines(self) -> list[str]:
        """The map's caption lines for the count and the cell size (Chinese)."""
        if self.sample_percent is not None:
            first = f"事件数：约 {self.total:,}（按 {self.sample_percent:.2g}% 数据页抽样估计）"
        else:
            first = f"事件数：{self.total:,}" + (
                f"（不含少于{self.min_count}件的方格）" if self.min_count > 1 else ""
            )
        return [first, f"统计方格：{self.cell_m:g} 米 × {self.cell_m:g} 米"]


def heat_bins(
    svc: Gridsvc,
    flt: StatsFilter | None = None,
    *,
    cell_m: float | None = None,
    min_count: int = 0,
) -> HeatBins:
    """The events ``flt`` selects (all events, in or outside grids), counted per lattice cell;
    cells with fewer than ``min_count`` events are left out.

    ``cell_m`` None chooses the cell: :data:`AUTO_CELL_M` when that gives at most
    :data:`MAX_BINS` cells, else three times as large, or nine (a cell of 3·d is exactly
    the 3 × 3 cells of d around it, because the lattice snaps to the nearest node, so the
    coarser counts are exact sums of the finer ones: one query whatever the size).

    A selection estimated above ``svc.settings.maps.heat_sample_above`` events is binned
    from a sample (module docstring; ``sample_percent`` of the result says so), unless
    ``min_count`` is set.

    Raises ``InvalidInput`` for a cell size outside :data:`CELL_M_RANGE` or when more than
    :data:`MAX_BINS` cells have events at the given (or the largest) size.
    """
    flt = flt or StatsFilter()
    low, high = CELL_M_RANGE
    auto = cell_m is None
    size = AUTO_CELL_M if cell_m is None else cell_m
    if not (math.isfinite(size) and low <= size <= high):
        raise InvalidInput(
            "map.cell_m", hint="map.cell_m_heat", field="cell_m", low=low, high=high, value=size
        )
    # the sizes the query may choose from: this one, or (auto) 3 and 9 times it within range
    levels = 1
    while auto and levels < LEVELS_MAX and size * 3**levels <= high:
        levels += 1
    taxonomy = svc.taxonomy(include_inactive=True)
    params: dict[str, Any] = {
        **sql_params(flt, taxonomy, svc.now()),
        "sensitive": [c.code for c in taxonomy if c.sensitive],
        "cell_deg": size / METRES_PER_DEGREE,
        "levels": levels,
        "max_bins": MAX_BINS,
    }
    percent = None if min_count > 0 else _sample_percent(svc, params)
    sample = (
        sql.SQL("TABLESAMPLE SYSTEM ({}) REPEATABLE ({})").format(
            sql.Literal(percent), sql.Literal(SAMPLE_SEED)
        )
        if percent is not None
        else sql.SQL("")
    )
    rows = svc.read_db.cursor_fetchall(stats_query("maps_heat_bins", sample=sample), params)
    if rows:
        size *= 3 ** int(rows[0][0])
    n = np.fromiter((r[3] for r in rows), dtype=np.int64, count=len(rows))
    # rows come fullest first, so the cells kept are all there unless MAX_BINS is passed
    kept = n >= min_count
    if int(kept.sum()) > MAX_BINS:
        raise InvalidInput("map.too_many_cells", field="cell_m", limit=MAX_BINS, size=size)
    if percent is not None:
        n = np.rint(n * (100.0 / percent)).astype(np.int64)
    frame = pd.DataFrame(
        {
            "lon_wgs84": np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows)),
            "lat_wgs84": np.fromiter((r[2] for r in rows), dtype=np.float64, count=len(rows)),
            "n": n,
        }
    )
    return HeatBins(frame[kept].reset_index(drop=True), size, min_count, percent)


def _sample_percent(svc: Gridsvc, params: dict[str, Any]) -> float | None:
    """The TABLESAMPLE percentage that reads about ``heat_sample_above`` of the selected
    events, or None to bin them all (sampling off, a selection estimated below it, or a
    sample that would read more than :data:`SAMPLE_MAX_SHARE` of the table anyway)."""
    above = svc.settings.maps.heat_sample_above
    if above <= 0:
        return None
    plan = svc.read_db.cursor_fetchall(stats_query("maps_heat_estimate"), params)[0][0]
    estimated = float(plan[0]["Plan"]["Plan Rows"])
    if estimated <= above:
        return None
    share = above / estimated
    return None if share > SAMPLE_MAX_SHARE else round(100.0 * share, 4)


def _count_text(value: float) -> str:
    """A count per cell as the legend shows it: whole from 10 up, two significant digits
    below (a scaled-up sample's estimates and small scales are fractional)."""
    if value >= 10 or math.isclose(value, round(value)):
        return f"{round(value):,}"
    return f"{value:.2g}"


def heat_legend_html(scale: float, cell_m: float, *, note: str = "") -> str:
    """The heat layer's legend: the colour ramp of :data:`HEAT_GRADIENT` with the counts per
    cell it stands for (a cell of ``scale`` events or more is full red), the cell size, and
    the same scale in events per km². ``note``: one more line (a sample, hidden cells).

    Leaflet.heat adds up neighbouring points, so a cluster of cells reads redder than each
    alone; the legend gives the colour of one cell, and says so."""
    area_km2 = (cell_m / 1000.0) ** 2
    stops = ", ".join(f"{colour} {round(100 * w)}%" for w, colour in HEAT_GRADIENT.items())
    # below the first stop Leaflet.heat fades the first colour out (min_opacity 0.3)
    ramp = f"linear-gradient(to right, rgba(0,0,255,.3) 0%, {stops})"
    ticks = [(0.0, "0"), (0.5, _count_text(scale / 2)), (1.0, f"≥{_count_text(scale)}")]
    labels = "".join(
        f'<span style="position:absolute;left:{100 * w:g}%;transform:translateX(-{50 * w:g}%)">'
        f"{html.escape(text)}</span>"
        for w, text in ticks
    )
    per_km2 = scale / area_km2
    extra = f"<div>{html.escape(note)}</div>" if note else ""
    return (
        '<div class="gs-legend gs-heat-legend" style="position:fixed;bottom:30px;right:10px;'
        "z-index:1000;background:rgba(255,255,255,.92);padding:8px 12px;border:1px solid #999;"
        'border-radius:4px;font:12px/1.5 sans-serif;width:270px">'
        '<div style="font-weight:bold">每方格事件数（件）</div>'
        f'<div class="gs-heat-ramp" style="height:12px;border:1px solid #888;background:{ramp}">'
        "</div>"
        f'<div class="gs-heat-ticks" style="position:relative;height:18px">{labels}</div>'
        f"<div>统计方格：{cell_m:g} 米 × {cell_m:g} 米（{area_km2:g} 平方公里）</div>"
        f"<div>红色：每平方公里 ≥{_count_text(per_km2)} 件</div>"
        '<div style="color:#555">相邻方格叠加处颜色更深</div>'
        f"{extra}</div>"
    )


def add_heat_legend(fmap: folium.Map, scale: float, cell_m: float, *, note: str = "") -> None:
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    figure.html.add_child(Element(heat_legend_html(scale, cell_m, note=note)), name="gs-legend")


def zoom_for(bounds_deg: float) -> int:
    # Web-Mercator zoom at which ~bounds_deg of longitude fills ~600 px (an iframe)
    return max(1, min(18, round(math.log2(360.0 * 600 / 256 / max(bounds_deg, 1e-6)))))


def heat_radius_px(cell_m: float, zoom: int, lat: float = 32.0) -> float:
    """A heat point's radius in pixels at ``zoom``: about one and a half cells, kept between
    4 and 40 px so that a city view is not a blur and a street view not a rash of dots."""
    metres_per_px = 156_543.034 * math.cos(math.radians(lat)) / 2**zoom
    return float(max(4.0, min(40.0, 1.5 * cell_m / metres_per_px)))


def heat_layer(name: str, cell_m: float) -> HeatMap:
    """An empty Leaflet.heat layer for cells of ``cell_m`` metres, sized for the city view
    (Nanjing spans ~1.3° of longitude) in the gradient of the heat legend. Leaflet.heat dims
    points by 2^(max_zoom - zoom): full strength from the city view on."""
    zoom = zoom_for(1.3)
    radius = heat_radius_px(cell_m, zoom)
    return HeatMap(  # type: ignore[no-untyped-call]
        [],
        name=name,
        radius=radius,
        blur=radius * 0.8,
        min_opacity=0.3,
        max_zoom=zoom,
        gradient=HEAT_GRADIENT,
    )


def heatmap_html(
    svc: Gridsvc,
    flt: StatsFilter | None = None,
    *,
    cell_m: float | None = None,
    standalone: bool = False,
    tiles: str | None = None,
    min_count: int = 0,
) -> str:
    """A full HTML page: the heat of the binned events over the district outlines (and over
    ``tiles``, :mod:`gridsvc.maps.tiles`, when given; cells then in the tiles' system)."""
    flt = flt or StatsFilter()
    ctx = context(svc, flt, tiles)
    bins = heat_bins(svc, flt, cell_m=cell_m, min_count=min_count)
    fmap = base_map(svc, ctx)
    frame = bins.frame
    # weights relative to a high percentile, so one extreme cell does not wash out the rest
    scale = float(np.percentile(frame["n"], 99)) if len(frame) else 1.0
    lon_map, lat_map = ctx.tiles.shift_xy(
        frame["lon_wgs84"].to_numpy(np.float64), frame["lat_wgs84"].to_numpy(np.float64)
    )
    weight = np.minimum(1.0, frame["n"].to_numpy(np.float64) / max(scale, 1.0))
    data = np.column_stack([np.round(lat_map, 6), np.round(lon_map, 6), np.round(weight, 4)])
    heat = heat_layer("事件热力", bins.cell_m)
    # the cells go in after: HeatMap checks every point in Python (~0.25 s for 20,000
    # cells), and these are finite numbers computed above; the template reads .data, here a
    # slot that finish() fills with the cells once the page is rendered
    heat.data = HEAT_DATA_SLOT  # type: ignore[assignment]
    heat.add_to(fmap)
    add_info_box(fmap, ctx, "事件热力图", bins.count_lines())
    add_heat_legend(
        fmap,
        max(scale, 1.0),
        bins.cell_m,
        note="抽样估计" if bins.sample_percent is not None else "",
    )
    rescale_on_zoom(fmap, heat, bins.cell_m)
    cells = json.dumps(data.tolist(), separators=(",", ":"), allow_nan=False)
    return finish(
        fmap,
        standalone=standalone,
        tile_urls=ctx.tiles.templates,
        slots={json.dumps(HEAT_DATA_SLOT): cells},
    )


def rescale_on_zoom(fmap: folium.Map, heat: HeatMap, cell_m: float) -> None:
    """Leaflet.heat keeps its radius in pixels; recompute it (same rule as
    :func:`heat_radius_px`) whenever the zoom changes."""
    on_load(
        fmap,
        f"""var heat = {heat.get_name()}, cell = {json_for_script(cell_m)};
function rescale() {{
  var mpp = 156543.034 * Math.cos(map.getCenter().lat * Math.PI / 180)
            / Math.pow(2, map.getZoom());
  var r = Math.max(4, Math.min(40, 1.5 * cell / mpp));
  heat.setOptions({{radius: r, blur: r * 0.8}});
}}
map.on("zoomend", rescale);
rescale();""",
    )
