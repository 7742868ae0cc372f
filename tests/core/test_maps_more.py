"""Maps beyond the heat map and choropleth: timeline, comparison, hot-spot layer, PNG images,
tile base layers and the GCJ-02 shift of overlays.

One module database with 4,000 synthetic events over 60 days; expected numbers come from the
raw events with pandas, or from the statistics the maps draw (compare, hotspots).
"""

from __future__ import annotations

import io
import json
import math
import re
import warnings
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from gridsvc.errors import InvalidInput, SetupError
from gridsvc.events.generate import BEIJING, DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids import store
from gridsvc.maps import (
    assert_offline,
    choropleth_html,
    compare_frame,
    compare_html,
    heatmap_html,
    resolve_tiles,
    timeline_bins,
    timeline_html,
)
from gridsvc.maps import png as map_png
from gridsvc.maps.assets import tile_layer_urls
from gridsvc.maps.compare import RATIO_COLOURS, ratio_class
from gridsvc.maps.hotspot_layer import CLASS_LABELS, LAYER_NAME
from gridsvc.maps.timeline import MAX_PERIODS, Period, periods_between
from gridsvc.service import Gridsvc
from gridsvc.settings import MapSettings
from gridsvc.stats import StatsFilter, compare, hotspots

END = datetime(2026, 11, 28, tzinfo=BEIJING)
COUNT = 4_000
NOV = StatsFilter(date_from=date(2026, 11, 1), date_to=date(2026, 11, 28))
OCT = StatsFilter(date_from=date(2026, 10, 1), date_to=date(2026, 10, 28))


@pytest.fixture(scope="module")
def events_svc(module_svc: Gridsvc) -> Iterator[Gridsvc]:
    units = store.read_units(module_svc.db, store.active_version(module_svc.db).id)
    buf = io.BytesIO()
    write_events_csv(
        buf, generate_events(units, DEFAULT_MIX, count=COUNT, days=60, seed=33, end=END)
    )
    buf.seek(0)
    import_events(module_svc, buf, filename="maps-more.csv", synthetic=True)
    yield module_svc


def _raw(svc: Gridsvc) -> pd.DataFrame:
    rows = svc.db.cursor_fetchall("SELECT category, occurred_at FROM event")
    raw = pd.DataFrame(rows, columns=["category", "occurred_at"])
    raw["day"] = pd.to_datetime(raw["occurred_at"], utc=True).dt.tz_convert(BEIJING).dt.date
    return raw


def _expected_start(day: date, step: str) -> date:
    # independent of gridsvc.maps.timeline: pandas periods (W-SUN weeks run Monday-Sunday)
    freq = {"day": "D", "week": "W-SUN", "month": "M"}[step]
    return pd.Period(day, freq=freq).start_time.date()


def _player_data(page: str) -> dict[str, Any]:
    match = re.search(r"data = (\{.*?\}), n = data\.labels\.length", page)
    assert match, "timeline data not found"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


# --- timeline ---------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["day", "week", "month"])
def test_period_binning_counts_equal_event_counts(events_svc: Gridsvc, step: str) -> None:
    flt = StatsFilter(
        categories=("hazard",), date_from=date(2026, 10, 8), date_to=date(2026, 11, 20)
    )
    assert flt.date_from and flt.date_to
    bins = timeline_bins(events_svc, flt, step=step, cell_m=500)
    raw = _raw(events_svc)
    chosen = raw[
        raw["category"].str.startswith("hazard.")
        & (raw["day"] >= flt.date_from)
        & (raw["day"] < flt.date_to)
    ]
    expected = chosen["day"].map(lambda d: _expected_start(d, step)).value_counts()
    starts = [p.start for p in bins.periods]
    assert starts == sorted(set(starts))  # consecutive, no gaps (gaps would hide quiet periods)
    assert starts[0] == _expected_start(flt.date_from, step)
    assert starts[-1] == _expected_start(flt.date_to - timedelta(days=1), step)
    got = dict(zip(starts, bins.totals(), strict=True))
    assert got == {s: int(expected.get(s, 0)) for s in starts}
    assert bins.total == len(chosen) > 0
    # the first and last periods are cut by the range and say so
    assert sum(p.days for p in bins.periods) == (flt.date_to - flt.date_from).days
    if step != "day":
        assert "范围内" in bins.periods[0].label


def test_period_labels_are_chinese() -> None:
    assert Period(date(2026, 11, 3), date(2026, 11, 4), 1, "day").label == "2026年11月3日"
    assert Period(date(2026, 11, 2), date(2026, 11, 9), 7, "week").label == (
        "2026年11月2日–11月8日"
    )
    assert Period(date(2026, 12, 28), date(2027, 1, 4), 7, "week").label == (
        "2026年12月28日–2027年1月3日"
    )
    assert Period(date(2026, 11, 1), date(2026, 12, 1), 27, "month").label == (
        "2026年11月（范围内 27 天）"
    )
    months = periods_between(date(2026, 11, 15), date(2027, 2, 1), "month")
    assert [p.start for p in months] == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
    ]
    assert [p.days for p in months] == [16, 31, 31]


def test_timeline_refuses_too_many_periods(events_svc: Gridsvc) -> None:
    flt = StatsFilter(date_from=date(2026, 1, 1), date_to=date(2026, 11, 28))
    with pytest.raises(InvalidInput) as info:
        timeline_bins(events_svc, flt, step="day")
    assert info.value.field == "step" and str(MAX_PERIODS) in info.value.message
    assert info.value.hint and "week" in info.value.hint
    assert len(timeline_bins(events_svc, flt, step="week").periods) <= MAX_PERIODS
    with pytest.raises(InvalidInput):
        timeline_bins(events_svc, flt, step="year")
    with pytest.raises(InvalidInput) as info:
        timeline_bins(events_svc, flt, step="week", cell_m=10)
    assert info.value.field == "cell_m"


@pytest.mark.parametrize("standalone", [False, True])
def test_timeline_page(events_svc: Gridsvc, standalone: bool) -> None:
    page = timeline_html(events_svc, NOV, step="week", cell_m=500, standalone=standalone)
    assert_offline(page)
    data = _player_data(page)
    bins = timeline_bins(events_svc, NOV, step="week", cell_m=500)
    assert data["labels"] == [p.label for p in bins.periods]
    assert data["totals"] == bins.totals()
    # every period's pairs (cell index, count) add up to its total, all cells referenced exist
    for pairs, total in zip(data["periods"], data["totals"], strict=True):
        assert sum(pairs[1::2]) == total
        assert all(0 <= i < len(data["cells"]) for i in pairs[0::2])
    for text in ("事件热力时间序列（按周）", "数据截至：", "网格数据集：", "合成数据", "播放"):
        assert text in page, text
    assert "control.scale" in page and "L.heatLayer" in page and "setLatLngs" in page
    assert ("/static/maps/leaflet_heat.min.js" in page) is not standalone


def test_timeline_of_no_events(shared_svc: Gridsvc) -> None:
    page = timeline_html(shared_svc, step="month")
    assert_offline(page)
    assert _player_data(page)["labels"] == []
    assert "所选范围内无事件" in page


# --- comparison -------------------------------------------------------------------------


@pytest.mark.parametrize("fdr", [False, True])
def test_compare_values_match_the_statistic(events_svc: Gridsvc, fdr: bool) -> None:
    expected = compare(events_svc, "street", NOV, OCT, fdr=fdr)
    units = compare_frame(events_svc, "street", NOV, OCT, fdr=fdr)
    assert list(units["code"]) == list(expected["code"])
    for column in ("n", "n_base", "change", "significant"):
        assert list(units[column]) == list(expected[column]), column
    assert np.allclose(units["p_value"], expected["p_value"])
    assert np.allclose(units["p_adjusted"], expected["p_adjusted"])
    for ratio, cls, colour in zip(
        expected["rate_ratio"], units["ratio_class"], units["colour"], strict=True
    ):
        assert cls == ratio_class(float(ratio))
        if not math.isnan(ratio):
            assert colour == RATIO_COLOURS[cls]
    assert units.geometry.notna().all() and len(units) == 101
    page = compare_html(events_svc, "street", NOV, OCT, fdr=fdr)
    assert_offline(page)
    for text in (
        "街道/镇事件两期对比",
        "本期：2026-11-01 至 2026-11-27（27 天）",
        "基期：",
        "合成数据",
    ):
        assert text in page, text
    significant = int(expected["significant"].sum())
    assert f"显著变化：{significant} / 101 个街道/镇" in page
    assert ("FDR 校正后 q ≤ 0.05" in page) is fdr
    # the tooltip names both counts, the change, p and q (folium writes them \\u-escaped)
    for alias in ("本期事件数", "基期事件数", "变化", "p 值", "q 值 (FDR)"):
        assert json.dumps(alias)[1:-1] in page, alias


def test_ratio_classes() -> None:
    assert ratio_class(float("nan")) == -1
    assert ratio_class(0.0) == 0
    assert ratio_class(1.0) == 3
    assert ratio_class(float("inf")) == 6
    assert ratio_class(1.9) == 5 and ratio_class(0.55) == 1


def test_compare_refuses_what_the_statistic_refuses(events_svc: Gridsvc) -> None:
    with pytest.raises(InvalidInput):  # overlapping periods
        compare_html(
            events_svc,
            "street",
            NOV,
            StatsFilter(date_from=date(2026, 11, 10), date_to=date(2026, 11, 20)),
        )
    with pytest.raises(InvalidInput):
        compare_html(events_svc, "street", StatsFilter(), OCT)


# --- hot-spot layer ---------------------------------------------------------------------


def test_hotspot_layer_has_the_statistics_classes(events_svc: Gridsvc) -> None:
    page = choropleth_html(events_svc, "community", hotspots=True, permutations=999)
    assert_offline(page)
    spots = hotspots(events_svc, "community", value="count", permutations=999)
    expected = spots["hotspot_class"].value_counts()
    drawn = re.findall(r'"hotspot_class": "([a-z_0-9]+)"', page)
    assert len(drawn) == sum(int(expected.get(c, 0)) for c in CLASS_LABELS) > 0
    for cls, label in CLASS_LABELS.items():
        assert drawn.count(cls) == int(expected.get(cls, 0)), cls
        assert f"{label}：{int(expected.get(cls, 0))}" in page  # the legend row
    assert "not_significant" not in drawn
    assert "L.control.layers" in page and json.dumps(LAYER_NAME)[1:-1] in page
    plain = choropleth_html(events_svc, "community")
    assert "hotspot_class" not in plain and "L.control.layers" not in plain


def test_hotspot_layer_refusals(events_svc: Gridsvc) -> None:
    with pytest.raises(InvalidInput) as info:
        choropleth_html(events_svc, "district", hotspots=True)
    assert info.value.field == "level"  # 11 districts are too few for Gi*
    with pytest.raises(InvalidInput) as info:
        choropleth_html(events_svc, "community", hotspots=True, permutations=99_999)
    assert info.value.field == "permutations"


# --- PNG --------------------------------------------------------------------------------


def _coloured(png: bytes) -> tuple[tuple[int, int], int]:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    return image.size, int(((rgb.max(axis=2) - rgb.min(axis=2)) > 60).sum())


@pytest.mark.parametrize("kind", ["heatmap", "choropleth", "timeline", "compare"])
def test_png_images(events_svc: Gridsvc, kind: str) -> None:
    draw: Callable[[], bytes] = {
        "heatmap": lambda: map_png.heatmap_png(events_svc, cell_m=200),
        "choropleth": lambda: map_png.choropleth_png(
            events_svc, "street", value="density_per_km2", hotspots=True
        ),
        "timeline": lambda: map_png.timeline_png(events_svc, NOV, step="week"),
        "compare": lambda: map_png.compare_png(events_svc, "street", NOV, OCT),
    }[kind]
    with warnings.catch_warnings():
        # a glyph missing from the font is a warning in matplotlib: here it fails the test
        warnings.simplefilter("error")
        image = draw()
    size, coloured = _coloured(image)
    assert size == map_png.PNG_SIZE_PX
    assert coloured > 2_000, coloured  # drawn, not a blank sheet with text
    assert draw() == image  # same data, same bytes: the ETag holds


def test_png_needs_a_chinese_font(monkeypatch: pytest.MonkeyPatch) -> None:
    assert map_png.chinese_font().get_family() == ["Noto Sans CJK SC"]
    map_png.chinese_font.cache_clear()
    monkeypatch.setattr(map_png, "FONT_FAMILIES", ("No Such Font Family",))
    try:
        with pytest.raises(SetupError) as info:
            map_png.chinese_font()
        assert info.value.hint and "fonts-noto-cjk" in info.value.hint
    finally:
        map_png.chinese_font.cache_clear()


# --- tiles and GCJ-02 -------------------------------------------------------------------


def _heat_points(page: str) -> np.ndarray:
    match = re.search(r"L\.heatLayer\(\s*(\[\[.*?\]\])\s*,", page, re.S)
    assert match
    return np.array(json.loads(match.group(1)))


def _shift_m(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances in metres between (lat, lon) rows."""
    dlat = (b[:, 0] - a[:, 0]) * 110_574.0
    dlon = (b[:, 1] - a[:, 1]) * 111_320.0 * np.cos(np.radians(a[:, 0]))
    distances: np.ndarray = np.hypot(dlat, dlon)
    return distances


def test_amap_shifts_every_overlay_to_gcj02(events_svc: Gridsvc) -> None:
    plain = heatmap_html(events_svc, cell_m=1000)
    amap = heatmap_html(events_svc, cell_m=1000, tiles="amap")
    moved = _shift_m(_heat_points(plain)[:, :2], _heat_points(amap)[:, :2])
    assert len(moved) > 100 and (moved > 450).all() and (moved < 650).all()  # ~540 m in Nanjing
    tiles = resolve_tiles("amap")
    assert tile_layer_urls(amap) == list(tiles.templates)
    with pytest.raises(AssertionError):
        assert_offline(amap)  # a tile page is not offline…
    assert_offline(amap, tile_urls=tiles.templates)  # …and the tiles are its only outside URL
    assert tile_layer_urls(plain) == [] and "底图：高德地图" in amap
    cells = [
        np.array(_player_data(timeline_html(events_svc, NOV, tiles=t))["cells"])
        for t in ("none", "amap")
    ]
    moved = _shift_m(cells[0], cells[1])
    assert len(moved) > 100 and (moved > 450).all() and (moved < 650).all()

    # polygons (choropleth and district outlines) move too
    def rings(page: str) -> list[np.ndarray]:
        """The first ring of every geometry in the page, as (lat, lon) rows."""
        found = []
        for match in re.finditer(r'"coordinates": ', page):
            coords, _ = json.JSONDecoder().raw_decode(page, match.end())
            while isinstance(coords[0][0], list):
                coords = coords[0]
            found.append(np.array(coords)[:, ::-1])
        return found

    a = rings(choropleth_html(events_svc, "district"))
    b = rings(choropleth_html(events_svc, "district", tiles="amap"))
    assert len(a) == len(b) == 11 + 11  # the outlines under the map, then the districts
    for ring_a, ring_b in zip(a, b, strict=True):
        assert len(ring_a) == len(ring_b)
        assert 450 < np.median(_shift_m(ring_a, ring_b)) < 650


def test_tile_choices() -> None:
    assert resolve_tiles(None).templates == ()  # default: outlines only, offline
    osm = resolve_tiles("osm")
    assert osm.templates == ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",)
    assert osm.crs.value == "wgs84"
    with pytest.raises(InvalidInput) as info:
        resolve_tiles("tianditu", MapSettings(tianditu_key=None))
    assert info.value.hint and "GRIDSVC_TIANDITU_KEY" in info.value.hint
    tianditu = resolve_tiles("tianditu", MapSettings(tianditu_key="abc123"))
    assert len(tianditu.templates) == 2 and all("tk=abc123" in u for u in tianditu.templates)
    assert resolve_tiles(None, MapSettings(map_tiles="osm")).templates == osm.templates
    with pytest.raises(InvalidInput):
        resolve_tiles("google")


def test_osm_page_keeps_overlays_in_wgs84(events_svc: Gridsvc) -> None:
    plain = heatmap_html(events_svc, cell_m=1000)
    osm = heatmap_html(events_svc, cell_m=1000, tiles="osm")
    assert np.array_equal(_heat_points(plain), _heat_points(osm))
    assert tile_layer_urls(osm) == ["https://tile.openstreetmap.org/{z}/{x}/{y}.png"]


# --- sizes ------------------------------------------------------------------------------


def test_timeline_and_compare_page_sizes(events_svc: Gridsvc) -> None:
    sizes = {
        "timeline day 200 m": timeline_html(
            events_svc,
            StatsFilter(date_from=date(2026, 10, 1), date_to=date(2026, 11, 28)),
            step="day",
            cell_m=200,
            standalone=True,
        ),
        "timeline week": timeline_html(events_svc, step="week", standalone=True),
        "compare community": compare_html(events_svc, "community", NOV, OCT, standalone=True),
        "choropleth community + hot spots": choropleth_html(
            events_svc, "community", hotspots=True, standalone=True
        ),
    }
    measured = {name: len(page.encode()) for name, page in sizes.items()}
    print("\n".join(f"{name}: {size:,} B" for name, size in measured.items()))
    assert max(measured.values()) <= 3_000_000
    assert measured["choropleth community + hot spots"] <= 1_500_000


# --- command line -----------------------------------------------------------------------


def test_map_commands_choose_the_format_by_suffix(events_svc: Gridsvc, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gridsvc.cli import app

    runner = CliRunner()
    env = {"GRIDSVC_DATABASE_URL": str(events_svc.settings.db.database_url)}
    period = ["--from", "2026-11-01", "--to", "2026-11-28"]
    base = ["--base-from", "2026-10-01", "--base-to", "2026-10-28"]
    runs = {
        "timeline.html": ["timeline", "--step", "week"],
        "timeline.png": ["timeline", "--step", "month"],
        "compare.html": ["compare", *period, *base, "--level", "street"],
        "compare.png": ["compare", *period, *base, "--fdr"],
        "hot.html": ["choropleth", "--level", "community", "--hotspots"],
        "heat.png": ["heatmap", "--cell-m", "500"],
    }
    for name, args in runs.items():
        out = tmp_path / name
        r = runner.invoke(app, ["map", *args, "--out", str(out)], env=env)
        assert r.exit_code == 0, (name, r.output)
        if name.endswith(".png"):
            assert Image.open(out).size == map_png.PNG_SIZE_PX, name
        else:
            page = out.read_text(encoding="utf-8")
            assert_offline(page)
            assert "/static/maps/" not in page, name  # standalone: everything inlined
    assert json.dumps(LAYER_NAME)[1:-1] in (tmp_path / "hot.html").read_text(encoding="utf-8")
    bad = runner.invoke(app, ["map", "heatmap", "--out", str(tmp_path / "heat.pdf")], env=env)
    assert bad.exit_code == 1 and "FILE.png" in bad.stderr
    bad = runner.invoke(
        app, ["map", "heatmap", "--tiles", "osm", "--out", str(tmp_path / "h.png")], env=env
    )
    assert bad.exit_code == 1 and "tile" in bad.stderr
