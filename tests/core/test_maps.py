"""Maps (gridsvc.maps): offline pages, binned heat, classes and legends, page sizes.

One module database with 4,000 synthetic events; the expected numbers come from the raw
events with pandas, independently of the SQL under test.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import date, datetime

import folium
import numpy as np
import pandas as pd
import pytest

from gridsvc.errors import InvalidInput
from gridsvc.events.generate import BEIJING, DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids import store
from gridsvc.maps import (
    ASSETS,
    assert_offline,
    asset_text,
    choropleth_frame,
    choropleth_html,
    classify,
    heat_bins,
    heatmap_html,
)
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from gridsvc.stats import StatsFilter

END = datetime(2026, 11, 28, tzinfo=BEIJING)
COUNT = 4_000


@pytest.fixture(scope="module")
def events_svc(module_svc: Gridsvc) -> Iterator[Gridsvc]:
    units = store.read_units(module_svc.db, store.active_version(module_svc.db).id)
    buf = io.BytesIO()
    write_events_csv(
        buf, generate_events(units, DEFAULT_MIX, count=COUNT, days=60, seed=21, end=END)
    )
    buf.seek(0)
    import_events(module_svc, buf, filename="maps.csv", synthetic=True)
    yield module_svc


def _js(text: str) -> str:
    return json.dumps(text)[1:-1]


def _raw(svc: Gridsvc) -> pd.DataFrame:
    rows = svc.db.cursor_fetchall("SELECT category, status, occurred_at FROM event")
    raw = pd.DataFrame(rows, columns=["category", "status", "occurred_at"])
    raw["day"] = pd.to_datetime(raw["occurred_at"], utc=True).dt.tz_convert(BEIJING).dt.date
    return raw


def test_assets_come_from_installed_packages() -> None:
    assert set(ASSETS) == {"leaflet.js", "leaflet.css", "leaflet_heat.min.js"}
    assert "L.version" in asset_text("leaflet.js") or "1.9." in asset_text("leaflet.js")
    assert "heatLayer" in asset_text("leaflet_heat.min.js")
    assert "sourceMappingURL" not in asset_text("leaflet.js")


def test_assert_offline_catches_outside_urls() -> None:
    assert_offline('<script src="/static/maps/leaflet.js"></script>')
    assert_offline("<script>var u = 'https://leafletjs.com';</script>")  # text, not a load
    for bad in (
        '<script src="https://cdn.jsdelivr.net/npm/leaflet.js"></script>',
        '<link rel="stylesheet" href="//cdn.example/x.css"/>',
        '<link rel="stylesheet" href="HTTP://cdn.example/x.css"/>',
    ):
        with pytest.raises(AssertionError):
            assert_offline(bad)


def test_heat_bins_sum_to_the_filtered_event_count(events_svc: Gridsvc) -> None:
    raw = _raw(events_svc)
    flt = StatsFilter(
        categories=("hazard",), date_from=date(2026, 10, 15), date_to=date(2026, 11, 15)
    )
    bins = heat_bins(events_svc, flt, cell_m=200)
    mask = (
        raw["category"].str.startswith("hazard.")
        & (raw["day"] >= date(2026, 10, 15))
        & (raw["day"] < date(2026, 11, 15))
    )
    assert bins.total == int(mask.sum()) > 0
    assert len(bins.frame) < bins.total  # binned, not raw points
    assert heat_bins(events_svc, cell_m=1000).total == len(raw)
    # cell centres are lattice nodes
    step = 200 / 111_320.0
    lon = bins.frame["lon_wgs84"].to_numpy()
    assert np.allclose(np.round(lon / step) * step, lon, atol=1e-9)


def _cells(frame: pd.DataFrame, cell_m: float) -> dict[tuple[int, int], int]:
    """A heat map's cells keyed by lattice node indexes at ``cell_m``."""
    step = cell_m / 111_320.0
    ix = np.rint(frame["lon_wgs84"].to_numpy() / step).astype(int)
    iy = np.rint(frame["lat_wgs84"].to_numpy() / step).astype(int)
    return dict(zip(zip(ix.tolist(), iy.tolist(), strict=True), frame["n"].tolist(), strict=True))


def test_coarser_cells_are_exact_sums_of_finer_ones(
    events_svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridsvc.maps import heatmap

    fine = _cells(heat_bins(events_svc, cell_m=200).frame, 200)
    coarse = _cells(heat_bins(events_svc, cell_m=600).frame, 600)
    summed: dict[tuple[int, int], int] = {}
    for (ix, iy), n in fine.items():  # the 3 x 3 fine cells around each coarse node
        key = (round(ix / 3), round(iy / 3))
        summed[key] = summed.get(key, 0) + n
    assert summed == coarse and len(coarse) < len(fine)
    # and the query's own coarsening (auto size, too many cells of 200 m) gives the same cells
    monkeypatch.setattr(heatmap, "MAX_BINS", len(fine) - 1)
    auto = heatmap.heat_bins(events_svc)
    assert auto.cell_m == 600 and _cells(auto.frame, 600) == coarse


def test_the_cell_grows_until_the_page_is_small_enough(
    events_svc: Gridsvc, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gridsvc.maps import heatmap

    at_200 = heat_bins(events_svc)  # the default: 200 m while it fits
    at_600 = heat_bins(events_svc, cell_m=600)
    assert at_200.cell_m == 200 and len(at_200.frame) > len(at_600.frame)
    # as if the city had more busy cells than a page may carry at 200 and at 600 m
    monkeypatch.setattr(heatmap, "MAX_BINS", len(at_600.frame) - 1)
    auto = heatmap.heat_bins(events_svc)
    assert auto.cell_m == 1800 and len(auto.frame) < len(at_600.frame)
    assert auto.total == at_200.total  # every event still counted
    assert list(auto.frame["n"]) == sorted(auto.frame["n"], reverse=True)  # fullest first
    with pytest.raises(InvalidInput):  # a size given is kept, and refused when too fine
        heatmap.heat_bins(events_svc, cell_m=200)
    # past the largest size (1800 m is the last within 5,000 m) the map is refused
    monkeypatch.setattr(heatmap, "MAX_BINS", len(auto.frame) - 1)
    with pytest.raises(InvalidInput) as info:
        heatmap.heat_bins(events_svc)
    assert "cells of 1800 m" in info.value.message


def test_heat_bins_refuses_bad_cells(events_svc: Gridsvc) -> None:
    with pytest.raises(InvalidInput) as info:
        heat_bins(events_svc, cell_m=1)
    assert info.value.field == "cell_m"


@pytest.mark.parametrize("standalone", [False, True])
def test_heatmap_page_is_offline_and_states_its_facts(
    events_svc: Gridsvc, standalone: bool
) -> None:
    page = heatmap_html(events_svc, StatsFilter(categories=("hazard",)), standalone=standalone)
    assert_offline(page)
    dataset = store.active_version(events_svc.db).name
    for text in (
        "事件热力图",
        "类别：安全隐患（hazard）",
        "数据截至：",
        f"网格数据集：{dataset}",
        "合成数据",
    ):
        assert text in page, text
    assert "control.scale" in page  # the scale bar is drawn by Leaflet at run time
    for gone in ("jquery", "bootstrap", "awesome-markers", "fontawesome"):
        assert gone not in page.lower(), gone
    assert ("/static/maps/leaflet.js" in page) is not standalone
    assert ("/static/maps/leaflet_heat.min.js" in page) is not standalone
    assert "L.heatLayer" in page
    assert len(page) < (400_000 if standalone else 250_000)


def test_heatmap_page_carries_every_cell_once(events_svc: Gridsvc) -> None:
    """The cells go into the rendered page through a slot (assets.finish): each cell of the
    bins is in the heat layer, in order, with its weight, and the slot text is gone."""
    from gridsvc.maps.assets import finish
    from gridsvc.maps.heatmap import HEAT_DATA_SLOT

    bins = heat_bins(events_svc, cell_m=1000)
    page = heatmap_html(events_svc, cell_m=1000)
    match = re.search(r"L\.heatLayer\(\s*(\[\[.*?\]\])\s*,", page, re.S)
    assert match and HEAT_DATA_SLOT not in page
    points = np.array(json.loads(match.group(1)))
    assert points.shape == (len(bins.frame), 3)
    assert np.allclose(points[:, 0], bins.frame["lat_wgs84"], atol=1e-6)
    assert np.allclose(points[:, 1], bins.frame["lon_wgs84"], atol=1e-6)
    assert points[0, 2] == pytest.approx(
        min(1.0, bins.frame["n"].iloc[0] / max(1.0, np.percentile(bins.frame["n"], 99)))
    )
    with pytest.raises(AssertionError, match="not once"):  # a slot the page lacks
        finish(folium.Map(tiles=None), standalone=False, slots={'"nowhere"': "[]"})
    fmap = folium.Map(tiles=None)
    folium.Marker([32.0, 118.8], tooltip="slot-here").add_to(fmap)
    with pytest.raises(AssertionError, match="numbers"):  # nothing but numbers in a slot
        finish(fmap, standalone=False, slots={"slot-here": '<script src="//x.cn/a.js">'})
    page = finish(fmap, standalone=False, slots={"slot-here": "[[1.5,2],[3e-05,-4]]"})
    assert "[[1.5,2],[3e-05,-4]]" in page and "slot-here" not in page


def test_classes_and_legend() -> None:
    values = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 100, np.nan])
    for scheme, label in (
        ("quantiles", "分位数"),
        ("fisher_jenks", "Fisher-Jenks 自然断点"),
        ("equal_interval", "等间距"),
    ):
        classes = classify(values, scheme, 4)
        assert classes.k == 4 and len(classes.colours) == 4
        assert classes.yb[-1] == -1 and (classes.yb[:-1] >= 0).all()
        assert classes.legend_title() == f"分级方法：{label} (4 级)"
    eq = classify(values, "equal_interval", 4)
    assert eq.bins == [25.0, 50.0, 75.0, 100.0]
    assert list(eq.yb[:-1]) == [0] * 9 + [3]
    with pytest.raises(InvalidInput):
        classify(values, "natural", 4)
    with pytest.raises(InvalidInput):
        classify(values, "quantiles", 20)


def test_choropleth_frame_matches_the_counts(events_svc: Gridsvc) -> None:
    units, classes = choropleth_frame(events_svc, "district", value="n", scheme="quantiles", k=5)
    assert len(units) == 11 and sum(units["value"]) == COUNT - 0  # every event is in a grid
    assert set(units["colour"]) <= set(classes.colours)


@pytest.mark.parametrize(
    ("level", "value", "scheme"),
    [
        ("community", "n", "quantiles"),
        ("street", "density_per_km2", "fisher_jenks"),
        ("district", "rate_per_1000", "equal_interval"),
    ],
)
def test_choropleth_page(events_svc: Gridsvc, level: str, value: str, scheme: str) -> None:
    page = choropleth_html(events_svc, level, value=value, scheme=scheme, k=5)
    assert_offline(page)
    assert re.search(r"分级方法：[^<]+ \(\d 级\)", page)
    assert "合成数据" in page
    # folium writes its data as ASCII JSON: the tooltip labels and names are \u-escaped
    assert _js("名称") in page and _js("代码") in page
    names = [json.loads(f'"{n}"') for n in re.findall(r'"name": "([^"]+)"', page)]
    assert names and all(re.search(r"[\u4e00-\u9fff]", n) for n in names)
    assert len(page.encode()) <= 1_500_000


def test_page_sizes(events_svc: Gridsvc) -> None:
    sizes = {
        f"{kind} {mode}": len(page(standalone=mode == "standalone").encode())
        for kind, page in (
            ("heatmap", lambda **kw: heatmap_html(events_svc, **kw)),
            ("choropleth community", lambda **kw: choropleth_html(events_svc, "community", **kw)),
            ("choropleth street", lambda **kw: choropleth_html(events_svc, "street", **kw)),
        )
        for mode in ("served", "standalone")
    }
    print("\n".join(f"{name}: {size:,} B" for name, size in sizes.items()))
    assert max(sizes.values()) <= 1_500_000
    # inlining adds Leaflet (~150 kB) and nothing else
    assert 100_000 < sizes["heatmap standalone"] - sizes["heatmap served"] < 250_000


def test_the_same_map_is_the_same_page(events_svc: Gridsvc) -> None:
    # folium names elements by random UUIDs; the pages number them, so the ETag holds
    first = heatmap_html(events_svc, cell_m=500)
    assert first == heatmap_html(events_svc, cell_m=500)
    assert not re.search(r"_[0-9a-f]{32}", first)
    assert choropleth_html(events_svc, "district") == choropleth_html(events_svc, "district")


def test_data_timestamp_is_the_latest_write(events_svc: Gridsvc) -> None:
    latest = events_svc.db.cursor_fetchall("SELECT max(received_at) FROM event")[0][0]
    stamp = latest.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    assert f"数据截至：{stamp} (北京时间 UTC+08:00)" in choropleth_html(events_svc, "district")


def test_heatmap_radius_follows_the_zoom() -> None:
    from gridsvc.maps.heatmap import heat_radius_px

    assert heat_radius_px(200, 9) == 4.0  # a city view: small points, not one blur
    assert heat_radius_px(200, 13) == pytest.approx(
        1.5 * 200 / (156_543.034 * 0.848 / 2**13), rel=1e-2
    )
    assert heat_radius_px(200, 18) == 40.0


def test_maps_of_no_events(shared_svc: Gridsvc) -> None:
    heat = heatmap_html(shared_svc)
    assert "事件数：0" in heat and "尚无数据" in heat
    page = choropleth_html(shared_svc, "street", value="rate_per_1000")
    assert_offline(page)
    assert "分级方法：分位数 (1 级)" in page


def test_sensitive_events_are_binned_at_about_a_kilometre(events_svc: Gridsvc) -> None:
    flt = StatsFilter(categories=("dispute.family",))
    raw = _raw(events_svc)
    expected = int((raw["category"] == "dispute.family").sum())
    bins = heat_bins(events_svc, flt, cell_m=25)
    assert bins.total == expected > 0
    half_cell = 25 / 111_320.0 / 2 + 1e-9
    for coord in ("lon_wgs84", "lat_wgs84"):
        values = bins.frame[coord].to_numpy()
        assert np.all(np.abs(values - np.round(values, 2)) <= half_cell), coord


def _sampling(svc: Gridsvc, above: int) -> Gridsvc:
    """A service on the same database whose heat maps sample above ``above`` events (with
    fresh statistics: the decision reads the planner's estimate of the selection)."""
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(query("analyze_events"))
    maps = svc.settings.maps.model_copy(update={"heat_sample_above": above})
    return Gridsvc.open(svc.settings.model_copy(update={"maps": maps}))


def test_heat_bins_of_a_large_selection_come_from_a_labelled_sample(
    events_svc: Gridsvc,
) -> None:
    exact = heat_bins(events_svc, cell_m=1000)
    assert exact.sample_percent is None  # 4,000 events: far below the default threshold
    sampler = _sampling(events_svc, COUNT // 3)
    try:
        sampled = heat_bins(sampler, cell_m=1000)
        again = heat_bins(sampler, cell_m=1000)
        html = heatmap_html(sampler, cell_m=1000)
        # public embeds hide small counts, which a scaled-up sample cannot be trusted for
        embedded = heat_bins(sampler, cell_m=1000, min_count=5)
        coarse = heat_bins(sampler, cell_m=5000)
    finally:
        sampler.close()
    assert sampled.sample_percent is not None
    assert 20 <= sampled.sample_percent <= 50  # ~1/3 of the events asked for
    pd.testing.assert_frame_equal(sampled.frame, again.frame)  # a fixed seed: same page
    # counts scaled up by the sampled share: an estimate of the whole, close to it
    assert abs(sampled.total - exact.total) < 0.25 * exact.total
    # the same picture: cells of the sample lie where the events are, in proportion (on
    # 5 km cells, where a third of 4,000 events still puts tens in a cell)
    assert set(sampled.frame["lon_wgs84"]) <= set(exact.frame["lon_wgs84"])
    whole = heat_bins(events_svc, cell_m=5000).frame
    joined = whole.merge(coarse.frame, on=["lon_wgs84", "lat_wgs84"], how="left").fillna(0)
    assert np.corrcoef(joined["n_x"], joined["n_y"])[0, 1] > 0.9
    assert "抽样估计" in html and f"{sampled.sample_percent:.2g}%" in html
    assert "抽样" not in heatmap_html(events_svc, cell_m=1000)
    assert embedded.sample_percent is None
    assert embedded.total == exact.frame.loc[exact.frame["n"] >= 5, "n"].sum()


def test_heat_sampling_can_be_switched_off(events_svc: Gridsvc) -> None:
    never = _sampling(events_svc, 0)
    try:
        assert heat_bins(never, cell_m=1000).sample_percent is None
        assert heat_bins(never, cell_m=1000).total == COUNT
    finally:
        never.close()
