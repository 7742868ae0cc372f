"""Synthetic events (gridsvc.events.generate), checked without a database.

Points are checked independently of the generator: converted back to WGS-84 with
``gridsvc.crs.to_wgs84`` and joined to the communities of the default grid with geopandas.
Densities are per km² of the dataset's ``area_km2``.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from gridsvc.crs import Crs, to_wgs84
from gridsvc.errors import InvalidInput
from gridsvc.events.generate import (
    BEIJING,
    COLUMNS,
    DEFAULT_MIX,
    CategorySpec,
    generate_events,
    write_events_csv,
)
from gridsvc.events.taxonomy_file import default_taxonomy

GPKG = Path(__file__).resolve().parents[2] / "gis_data" / "nanjing_grids.gpkg"
OLD_CITY = ("320102", "320104", "320105", "320106")  # 玄武 秦淮 建邺 鼓楼
OUTER = ("320117", "320118")  # 溧水 高淳
END = datetime(2024, 6, 1, tzinfo=BEIJING)
DAYS = 28
COUNT = 20_000
CHUNK_ROWS = 6_000
SEED = 20240601


@pytest.fixture(scope="module")
def units() -> gpd.GeoDataFrame:
    return gpd.read_file(GPKG, layer="grid_unit")


@pytest.fixture(scope="module")
def chunks(units: gpd.GeoDataFrame) -> list[pd.DataFrame]:
    return list(
        generate_events(
            units,
            DEFAULT_MIX,
            count=COUNT,
            days=DAYS,
            seed=SEED,
            end=END,
            chunk_rows=CHUNK_ROWS,
        )
    )


@pytest.fixture(scope="module")
def events(chunks: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(chunks, ignore_index=True)


@pytest.fixture(scope="module")
def located(events: pd.DataFrame, units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The events with the community that contains their point, found by geopandas."""
    points = gpd.GeoDataFrame(events, geometry=_wgs84_points(events)).reset_index(names="row")
    communities = units.loc[units["level"] == "community", ["code", "name", "geometry"]]
    joined = points.sjoin(communities, how="left", predicate="within")
    # A point on a shared edge matches two communities: keep one row per event.
    return joined.drop_duplicates("row").set_index("row").sort_index()


def _generate(units: gpd.GeoDataFrame, **overrides: object) -> pd.DataFrame:
    arguments: dict[str, object] = {
        "count": 3_000,
        "days": 7,
        "seed": 1,
        "end": END,
        "chunk_rows": 1_000,
    }
    arguments.update(overrides)
    return pd.concat(generate_events(units, DEFAULT_MIX, **arguments), ignore_index=True)  # type: ignore[arg-type]


# --- shape of the output ----------------------------------------------------------------------


def test_columns_exact_count_and_unique_ids(
    chunks: list[pd.DataFrame], events: pd.DataFrame
) -> None:
    assert all(list(chunk.columns) == list(COLUMNS) for chunk in chunks)
    assert len(events) == COUNT
    assert events["client_event_id"].is_unique
    assert events["client_event_id"].str.startswith(f"gen-{SEED}-").all()
    assert not events.isna().any().any()


def test_chunks_are_bounded_and_time_ordered(chunks: list[pd.DataFrame]) -> None:
    assert [len(chunk) for chunk in chunks] == [6_000, 6_000, 6_000, 2_000]
    for chunk in chunks:
        assert chunk["occurred_at"].is_monotonic_increasing


def test_same_seed_same_events_other_seed_other_events(units: gpd.GeoDataFrame) -> None:
    first = _generate(units)
    pd.testing.assert_frame_equal(first, _generate(units))
    other = _generate(units, seed=2)
    assert len(other) == len(first)
    for column in ("lon", "lat", "occurred_at", "category", "reporter_id"):
        assert (other[column] != first[column]).mean() > 0.5, column


def test_default_mix_uses_leaves_of_the_default_taxonomy() -> None:
    taxonomy = default_taxonomy()
    for spec in DEFAULT_MIX:
        taxonomy.get_leaf(spec.code)  # raises for an unknown code or a group


def test_zero_events_gives_no_chunk(units: gpd.GeoDataFrame) -> None:
    assert list(generate_events(units, DEFAULT_MIX, count=0, days=1, seed=1, end=END)) == []


# --- values -----------------------------------------------------------------------------------


def test_categories_sources_and_urgencies_come_from_their_lists(events: pd.DataFrame) -> None:
    assert set(events["category"]) == {spec.code for spec in DEFAULT_MIX}
    assert set(events["urgency"]) <= {"normal", "urgent", "critical"}
    shares = events["source"].value_counts(normalize=True)
    assert set(shares.index) == {"grid_worker", "hotline", "public", "video", "inspection"}
    assert 0.80 < shares["grid_worker"] < 0.90
    workers = events["source"] == "grid_worker"
    assert events.loc[workers, "reporter_id"].str.fullmatch(r"gw-\d{12}-\d{2}").all()
    assert events.loc[~workers, "reporter_id"].str.fullmatch(r"[a-z_]+-\d{2}").all()
    assert events["accuracy_m"].between(5, 50).all()
    assert events["title"].str.len().between(2, 40).all()
    assert (events["description"].str.len() > 10).all()


def test_crs_shares_and_decimals(events: pd.DataFrame) -> None:
    shares = events["crs"].value_counts(normalize=True)
    assert set(shares.index) == {"wgs84", "gcj02", "bd09"}
    assert shares["gcj02"] == pytest.approx(0.15, abs=0.01)
    assert shares["bd09"] == pytest.approx(0.10, abs=0.01)
    for axis in ("lon", "lat"):
        assert np.allclose(events[axis], events[axis].round(7), rtol=0, atol=1e-12)


def test_other_crs_shares(units: gpd.GeoDataFrame) -> None:
    shares = _generate(units, gcj02_share=0.5, bd09_share=0.0)["crs"].value_counts(normalize=True)
    assert set(shares.index) == {"wgs84", "gcj02"}
    assert shares["gcj02"] == pytest.approx(0.5, abs=0.04)


def test_times_in_window_beijing_and_reported_after_occurred(events: pd.DataFrame) -> None:
    for column in ("occurred_at", "reported_at"):
        assert events[column].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00").all()
    occurred = pd.to_datetime(events["occurred_at"], format="ISO8601")
    reported = pd.to_datetime(events["reported_at"], format="ISO8601")
    assert occurred.dt.tz is not None
    assert occurred.dt.tz.utcoffset(None) == timedelta(hours=8)
    assert occurred.min() >= END - timedelta(days=DAYS)
    assert occurred.max() < END
    delay = reported - occurred
    assert (delay >= timedelta(0)).all()
    assert (reported <= END).all()
    assert delay.max() <= timedelta(hours=48)
    assert timedelta(minutes=2) < delay.median() < timedelta(hours=2)


def test_daily_rhythm_has_a_night_trough(events: pd.DataFrame) -> None:
    hour = pd.to_datetime(events["occurred_at"], format="ISO8601").dt.hour
    per_hour = hour.value_counts().reindex(range(24), fill_value=0)
    night = per_hour.loc[2:4].mean()
    morning = per_hour.loc[9:10].mean()
    afternoon = per_hour.loc[15:16].mean()
    assert night < 0.15 * morning
    assert night < 0.15 * afternoon
    assert per_hour.loc[12] < morning  # lunch dip between the two peaks


def test_weekends_are_quieter(events: pd.DataFrame) -> None:
    occurred = pd.to_datetime(events["occurred_at"], format="ISO8601")
    per_day = occurred.dt.date.value_counts()  # DAYS = 28: four of each weekday
    weekend = np.array([day.weekday() >= 5 for day in per_day.index])
    assert per_day[weekend].mean() < 0.9 * per_day[~weekend].mean()


def test_default_end_is_the_last_full_hour(units: gpd.GeoDataFrame) -> None:
    before = datetime.now(BEIJING).replace(minute=0, second=0, microsecond=0)
    frame = pd.concat(generate_events(units, DEFAULT_MIX, count=500, days=1, seed=3))
    occurred = pd.to_datetime(frame["occurred_at"], format="ISO8601")
    assert occurred.max() < before + timedelta(hours=1)
    assert occurred.min() >= before - timedelta(days=1)


# --- places -----------------------------------------------------------------------------------


def test_points_fall_in_the_community_of_their_address(
    located: gpd.GeoDataFrame, units: gpd.GeoDataFrame
) -> None:
    inside = located["code"].notna()
    assert inside.mean() >= 0.999
    names = units.set_index("code")["name"]
    located = located[inside]
    district = located["code"].str[:6].map(names)
    street = located["code"].str[:9].map(names)
    prefix = "南京市" + district + street
    starts = [a.startswith(p) for a, p in zip(located["address"], prefix, strict=True)]
    assert np.mean(starts) >= 0.999
    # A grid worker reports from the community they belong to.
    workers = located[located["source"] == "grid_worker"]
    assert (workers["reporter_id"].str[3:15] == workers["code"]).mean() >= 0.999


def test_old_city_is_denser_than_the_outer_districts(
    located: gpd.GeoDataFrame, units: gpd.GeoDataFrame
) -> None:
    area_km2 = units[units["level"] == "district"].set_index("code")["area_km2"]
    per_district = located["code"].str[:6].value_counts()
    old = per_district.reindex(OLD_CITY, fill_value=0).sum() / area_km2[list(OLD_CITY)].sum()
    outer = per_district.reindex(OUTER, fill_value=0).sum() / area_km2[list(OUTER)].sum()
    assert old > 5 * outer


def test_planted_community_gets_its_multiplier(units: gpd.GeoDataFrame) -> None:
    communities = units[units["level"] == "community"]
    code = str(communities.sort_values("population").iloc[len(communities) // 2]["code"])
    plain = _generate(units, count=20_000, hotspots=0)
    planted = _generate(units, count=20_000, hotspots=0, plant={code: 30.0})

    def in_community(frame: pd.DataFrame) -> int:
        workers = frame[frame["source"] == "grid_worker"]
        return int((workers["reporter_id"].str[3:15] == code).sum())

    # Expected about 10 plain and 30 times as many planted (less the others' lost share).
    assert in_community(planted) > 10 * max(in_community(plain), 1)


def _wgs84_points(frame: pd.DataFrame) -> gpd.GeoSeries:
    lon = frame["lon"].to_numpy().copy()
    lat = frame["lat"].to_numpy().copy()
    for crs in Crs:
        rows = (frame["crs"] == crs.value).to_numpy()
        if rows.any():
            lon[rows], lat[rows] = to_wgs84(lon[rows], lat[rows], crs)
    return gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def test_hotspots_add_clustered_events(units: gpd.GeoDataFrame) -> None:
    def clustered(frame: pd.DataFrame) -> int:
        """Events with at least 5 others of their category within 150 m (UTM 50N)."""
        points = _wgs84_points(frame).to_crs("EPSG:32650").values
        near, other = shapely.STRtree(points).query(points, predicate="dwithin", distance=150)
        category = frame["category"].to_numpy()
        same = (category[near] == category[other]) & (near != other)
        return int((np.bincount(near[same], minlength=len(frame)) >= 5).sum())

    flat = _generate(units, count=20_000, days=28, hotspots=0)
    hot = _generate(units, count=20_000, days=28, hotspots=12)
    assert clustered(flat) < 25
    assert clustered(hot) > 60


def test_custom_categories(units: gpd.GeoDataFrame) -> None:
    mix = (
        CategorySpec("hazard.flood", 1.0, (0.0, 0.0, 1.0)),
        CategorySpec("other.thing", 3.0, (1.0, 0.0, 0.0)),
        CategorySpec("never", 0.0, (1.0, 0.0, 0.0)),
    )
    frame = pd.concat(
        generate_events(units, mix, count=4_000, days=3, seed=5, end=END), ignore_index=True
    )
    assert set(frame["category"]) == {"hazard.flood", "other.thing"}
    assert (frame.loc[frame["category"] == "hazard.flood", "urgency"] == "critical").all()
    assert (frame.loc[frame["category"] == "other.thing", "urgency"] == "normal").all()
    assert frame["category"].value_counts(normalize=True)["other.thing"] == pytest.approx(
        0.75, abs=0.05
    )


# --- CSV --------------------------------------------------------------------------------------


def test_csv_has_one_header_and_all_rows(
    tmp_path: Path, chunks: list[pd.DataFrame], events: pd.DataFrame
) -> None:
    path = tmp_path / "events.csv"
    assert write_events_csv(path, iter(chunks)) == COUNT
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == ",".join(COLUMNS)
    assert lines[-1] == ""
    assert len(lines) == COUNT + 2
    back = pd.read_csv(path, dtype={"accuracy_m": "int64"}, keep_default_na=False)
    assert list(back.columns) == list(COLUMNS)
    for column in COLUMNS:
        if column in ("lon", "lat"):
            assert np.array_equal(back[column].to_numpy(), events[column].to_numpy())
        else:
            assert (back[column].astype(str) == events[column].astype(str)).all(), column


def test_csv_to_text_and_binary_streams_agree(chunks: list[pd.DataFrame]) -> None:
    binary = io.BytesIO()
    text = io.StringIO()
    assert write_events_csv(binary, chunks[-1:]) == len(chunks[-1])
    assert write_events_csv(text, chunks[-1:]) == len(chunks[-1])
    assert binary.getvalue().decode("utf-8") == text.getvalue()


def test_csv_quotes_values_that_need_it(events: pd.DataFrame) -> None:
    chunk = events.head(3).copy()
    chunk.loc[0, "description"] = 'a "quoted", value'
    stream = io.BytesIO()
    write_events_csv(stream, [chunk])
    stream.seek(0)
    back = pd.read_csv(stream, keep_default_na=False)
    assert back.loc[0, "description"] == 'a "quoted", value'


def test_csv_of_no_chunk_is_the_header(events: pd.DataFrame) -> None:
    stream = io.BytesIO()
    assert write_events_csv(stream, []) == 0
    assert stream.getvalue() == (",".join(COLUMNS) + "\n").encode()
    with pytest.raises(InvalidInput):
        write_events_csv(io.BytesIO(), [events[list(COLUMNS[:-1])]])


# --- bad arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"count": -1},
        {"days": 0},
        {"seed": -1},
        {"hotspots": -1},
        {"gcj02_share": 0.8, "bd09_share": 0.3},
        {"gcj02_share": -0.1},
        {"end": datetime(2024, 6, 1)},  # naive
        {"plant": {"999999999999": 2.0}},
        {"chunk_rows": 0},
    ],
)
def test_bad_arguments_fail_at_the_call(
    units: gpd.GeoDataFrame, overrides: dict[str, object]
) -> None:
    arguments: dict[str, object] = {"count": 10, "days": 1, "seed": 1, "end": END}
    arguments.update(overrides)
    with pytest.raises(InvalidInput):
        generate_events(units, DEFAULT_MIX, **arguments)  # type: ignore[arg-type]


def test_bad_category_specs(units: gpd.GeoDataFrame) -> None:
    with pytest.raises(InvalidInput):
        CategorySpec("x", -1.0, (1.0, 0.0, 0.0))
    with pytest.raises(InvalidInput):
        CategorySpec("x", 1.0, (0.0, 0.0, 0.0))
    with pytest.raises(InvalidInput):
        generate_events(units, [CategorySpec("x", 0.0, (1.0, 0.0, 0.0))], count=1, days=1, seed=1)
