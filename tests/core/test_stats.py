"""Statistics (gridsvc.stats) checked against an independent computation from raw events.

The expected numbers come from ``SELECT * FROM event`` with pandas: grouped by the code
columns each event was stored with, Beijing days from ``tz_convert("Asia/Shanghai")``,
categories matched by their dotted prefix. The statistics read the ``event_daily`` rollup
and roll communities up through the grid hierarchy, so agreement checks the rollup, the
hierarchy, the filters and the day boundaries together.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import psycopg2.extras
import pytest
from scipy import stats

from gridsvc.dates import CITY_TZ
from gridsvc.errors import InvalidInput, UnknownCategory, UnknownGrid, UnknownLevel
from gridsvc.events.generate import BEIJING, DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids import store
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from gridsvc.stats import StatsFilter, compare, counts_by_unit, timeseries
from tests.conftest import _admin, _clone, _with_db, make_settings

END = datetime(2026, 11, 15, tzinfo=BEIJING)
# the service's clock in the loaded data: some deadlines lie before it, some after
CLOCK = END - timedelta(days=2)
DAY = timedelta(days=1)
DAYS = 35
COUNT = 20_000
CITY = "320100"
LEVELS = ("city", "district", "sector", "street", "community")
CODE_COLUMN = {
    "community": "community_code",
    "street": "street_code",
    "sector": "sector_code",
    "district": "district_code",
}


# --- data ------------------------------------------------------------------------------------


def _read_events(svc: Gridsvc) -> pd.DataFrame:
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM event")
        names = [d[0] for d in cur.description or ()]
        raw = pd.DataFrame(cur.fetchall(), columns=names)
    occurred = pd.to_datetime(raw["occurred_at"], utc=True)
    raw["day"] = occurred.dt.tz_convert("Asia/Shanghai").dt.date
    return raw


def _set_status(svc: Gridsvc, ids: list[int], status: str) -> None:
    """Move events to another status with the rollup query the workflow uses."""
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT id, community_code, category, urgency, source, occurred_at, status "
            "FROM event WHERE id = ANY(%s)",
            (ids,),
        )
        moves = [
            {
                "community_code": community,
                "category": category,
                "urgency": urgency,
                "source": source,
                "occurred_at": occurred_at,
                "status": old,
                "new_status": status,
                "city_tz": CITY_TZ.key,
            }
            for _, community, category, urgency, source, occurred_at, old in cur.fetchall()
        ]
        psycopg2.extras.execute_batch(cur, query("event_daily_move"), moves)
        cur.execute("UPDATE event SET status = %s WHERE id = ANY(%s)", (status, ids))


@pytest.fixture(scope="module")
def loaded(pg_server: str, template_url: str) -> Iterator[tuple[Gridsvc, pd.DataFrame]]:
    """A database of its own with 20,000 generated events (4 clustered hot spots), 500 of
    them rejected and 500 accepted, and the raw events as pandas read them."""
    name = _clone(pg_server)
    svc = Gridsvc.open(make_settings(_with_db(pg_server, name)))
    try:
        units = store.read_units(svc.db, store.active_version(svc.db).id)
        buffer = io.BytesIO()
        chunks = generate_events(
            units, DEFAULT_MIX, count=COUNT, days=DAYS, seed=31, end=END, hotspots=4
        )
        write_events_csv(buffer, chunks)
        buffer.seek(0)
        assert import_events(svc, buffer, filename="generated.csv").stored == COUNT
        ids = [int(r[0]) for r in svc.db.cursor_fetchall("SELECT id FROM event ORDER BY id")]
        _set_status(svc, ids[5::40], "rejected")
        _set_status(svc, ids[7::40], "accepted")
        dispatched = ids[9::40]
        _set_status(svc, dispatched, "dispatched")
        for ids_due, due in ((dispatched[::2], CLOCK - DAY), (dispatched[1::2], CLOCK + DAY)):
            svc.db.cursor_fetchall(  # resolve deadlines a day before the clock, or after
                "UPDATE event SET resolve_due_at = %s WHERE id = ANY(%s)", (due, ids_due)
            )
        svc.clock = lambda: CLOCK
        yield svc, _read_events(svc)
    finally:
        svc.close()
        _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def units(loaded: tuple[Gridsvc, pd.DataFrame]) -> pd.DataFrame:
    svc, _ = loaded
    frame = store.read_units(svc.db, store.active_version(svc.db).id)
    return pd.DataFrame(frame.drop(columns="geometry"))


def _in_categories(raw: pd.DataFrame, codes: tuple[str, ...]) -> pd.Series:
    """Independent of the taxonomy code: a group is every category with its dotted prefix."""
    category = raw["category"]
    hit = pd.Series(False, index=raw.index)
    for code in codes:
        hit |= (category == code) if "." in code else category.str.startswith(code + ".")
    return hit


def _mask(raw: pd.DataFrame, flt: StatsFilter) -> pd.Series:
    keep = pd.Series(True, index=raw.index)
    if flt.categories:
        keep &= _in_categories(raw, flt.categories)
    for column in ("status", "urgency", "source"):
        values = getattr(flt, column)
        if values:
            keep &= raw[column].isin(values)
    if flt.date_from:
        keep &= raw["day"] >= flt.date_from
    if flt.date_to:
        keep &= raw["day"] < flt.date_to
    if flt.overdue is not None:
        now = pd.Timestamp(CLOCK)
        accept_late = pd.to_datetime(raw["accept_due_at"], utc=True) < now
        resolve_late = pd.to_datetime(raw["resolve_due_at"], utc=True) < now
        overdue = ((raw["status"] == "reported") & accept_late) | (
            raw["status"].isin(["dispatched", "in_progress"]) & resolve_late
        )
        keep &= overdue == flt.overdue
    return keep


def _expected(raw: pd.DataFrame, units: pd.DataFrame, level: str, flt: StatsFilter) -> pd.Series:
    """Events per unit of ``level`` (every unit, zeros included), from the raw events."""
    chosen = raw[_mask(raw, flt)]
    codes = units.loc[units["level"] == level, "code"].sort_values()
    if level == "city":
        counts = pd.Series({CITY: int(chosen["community_code"].notna().sum())})
    else:
        counts = chosen.groupby(CODE_COLUMN[level]).size()
    return counts.reindex(codes).fillna(0).astype("int64").rename("n")


FILTERS: dict[str, StatsFilter] = {
    "all": StatsFilter(),
    "group": StatsFilter(categories=("hazard",)),
    "leaf_and_group": StatsFilter(categories=("dispute.neighbour", "environment")),
    "rare": StatsFilter(categories=("illegal_finance",)),
    "rejected": StatsFilter(status=("rejected",)),
    "open": StatsFilter(status=("reported", "accepted")),
    "critical": StatsFilter(urgency=("critical",)),
    "hotline_public": StatsFilter(source=("hotline", "public")),
    "one_week": StatsFilter(date_from=date(2026, 11, 1), date_to=date(2026, 11, 8)),
    # read from the events, not the rollup (stats_daily_events.sql)
    "overdue": StatsFilter(overdue=True),
    "not_overdue_hazard": StatsFilter(categories=("hazard",), overdue=False),
    "combined": StatsFilter(
        categories=("hazard", "public_security.theft"),
        urgency=("urgent", "critical"),
        source=("grid_worker",),
        date_from=date(2026, 10, 20),
        date_to=date(2026, 11, 10),
    ),
}


# --- counts per unit ---------------------------------------------------------------------------


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", list(FILTERS))
def test_counts_per_unit_equal_the_raw_events(
    loaded: tuple[Gridsvc, pd.DataFrame], units: pd.DataFrame, level: str, name: str
) -> None:
    svc, raw = loaded
    flt = FILTERS[name]
    result = counts_by_unit(svc, level, flt)
    expected = _expected(raw, units, level, flt)
    assert list(result["code"]) == list(expected.index)  # every unit, in code order
    assert (result["level"] == level).all()
    np.testing.assert_array_equal(result["n"].to_numpy(), expected.to_numpy())
    assert result.attrs["outside_grids"] == 0 and result.attrs["not_in_version"] == 0


def test_the_data_exercise_every_filter(loaded: tuple[Gridsvc, pd.DataFrame]) -> None:
    """Guards the test above against passing on empty selections."""
    _, raw = loaded
    # being overdue turns on the deadlines: of each status it applies to, some are overdue
    # by the service's clock and some not
    clock = pd.Timestamp(CLOCK)
    for status, deadline in (("reported", "accept_due_at"), ("dispatched", "resolve_due_at")):
        late = pd.to_datetime(raw.loc[raw["status"] == status, deadline], utc=True) < clock
        assert 0 < int(late.sum()) < len(late), status
    for name, flt in FILTERS.items():
        selected = int(_mask(raw, flt).sum())
        assert 0 < selected < len(raw) or name == "all", name
    rare = counts_by_unit(loaded[0], "community", FILTERS["rare"])
    assert (rare["n"] == 0).sum() > 1000 and rare["n"].sum() > 50


@pytest.mark.parametrize("name", ["all", "combined", "rare"])
def test_levels_add_up_exactly(loaded: tuple[Gridsvc, pd.DataFrame], name: str) -> None:
    svc, _ = loaded
    flt = FILTERS[name]
    by = {level: counts_by_unit(svc, level, flt).set_index("code") for level in LEVELS}
    community, street, sector = by["community"], by["street"], by["sector"]
    district, city = by["district"], by["city"]

    def rolled(child: pd.DataFrame, key: str, parent: pd.DataFrame) -> pd.Series:
        return child.groupby(key)["n"].sum().reindex(parent.index).fillna(0).astype("int64")

    pd.testing.assert_series_equal(rolled(community, "parent_code", street), street["n"])
    pd.testing.assert_series_equal(rolled(community, "sector_code", sector), sector["n"])
    pd.testing.assert_series_equal(rolled(street, "parent_code", district), district["n"])
    pd.testing.assert_series_equal(rolled(district, "parent_code", city), city["n"])
    total = city["n"].to_dict()[CITY]
    assert total == community["n"].sum() == sector["n"].sum() == street["n"].sum()


def test_per_category_columns_are_the_leaves_asked_for(
    loaded: tuple[Gridsvc, pd.DataFrame], units: pd.DataFrame
) -> None:
    svc, raw = loaded
    flt = StatsFilter(categories=("hazard",), date_from=date(2026, 10, 25))
    result = counts_by_unit(svc, "district", flt, by_category=True).set_index("code")
    columns = result.attrs["category_columns"]
    assert columns == [
        "hazard.fire",
        "hazard.gas",
        "hazard.work_safety",
        "hazard.building",
        "hazard.traffic",
        "hazard.ebike_charging",
        "hazard.old_housing",
        "hazard.other",
    ]
    chosen = raw[_mask(raw, flt)]
    table = pd.crosstab(chosen["district_code"], chosen["category"])
    expected = table.reindex(index=result.index, columns=columns).fillna(0).astype("int64")
    pd.testing.assert_frame_equal(result[columns], expected, check_names=False)
    np.testing.assert_array_equal(result[columns].sum(axis=1), result["n"])
    assert (result["hazard.other"] == 0).all()  # a leaf without events still has its column


def test_density_and_rate_per_resident(
    loaded: tuple[Gridsvc, pd.DataFrame], units: pd.DataFrame
) -> None:
    svc, _ = loaded
    result = counts_by_unit(svc, "street", FILTERS["combined"]).set_index("code")
    street = units.set_index("code").loc[result.index]
    np.testing.assert_allclose(result["area_km2"], street["area_km2"])
    np.testing.assert_allclose(result["density_per_km2"], result["n"] / street["area_km2"])
    np.testing.assert_allclose(
        result["rate_per_1000"], 1000 * result["n"] / street["population"].astype(float)
    )
    assert (result["population"] == street["population"]).all()


# --- hand-made events in a fresh database ----------------------------------------------------


def _import_rows(svc: Gridsvc, rows: list[dict[str, Any]]) -> None:
    """Import hand-made events: each row needs community and occurred_at."""
    columns = ["category", "occurred_at", "lon", "lat", "crs", "source", "urgency", "title"]
    lines = [",".join(columns)]
    units = store.read_units(svc.db, store.active_version(svc.db).id).set_index("code")
    for row in rows:
        point = units.at[row["community"], "geometry"].representative_point()
        values = {
            "category": row.get("category", "environment.sanitation"),
            "occurred_at": row["occurred_at"],
            "lon": f"{point.x:.7f}",
            "lat": f"{point.y:.7f}",
            "crs": "wgs84",
            "source": row.get("source", "grid_worker"),
            "urgency": row.get("urgency", "normal"),
            "title": "t",
        }
        lines.append(",".join(str(values[c]) for c in columns))
    data = io.BytesIO(("\n".join(lines) + "\n").encode())
    report = import_events(svc, data, filename="hand.csv")
    assert report.stored == len(rows), report.rejections


def _at(day: date, hour: int = 10) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00+08:00"


COMMUNITY_A = "320105001001"  # 建邺区
COMMUNITY_B = "320102002001"  # 玄武区


def test_midnight_in_beijing_splits_days_and_weeks(svc: Gridsvc) -> None:
    # 23:59:59 on Sunday 1 November in Beijing, and 16:00Z the same day = 00:00 on Monday 2nd
    _import_rows(
        svc,
        [
            {"community": COMMUNITY_A, "occurred_at": "2026-11-01T23:59:59+08:00"},
            {"community": COMMUNITY_A, "occurred_at": "2026-11-01T16:00:00Z"},
        ],
    )
    raw = _read_events(svc)
    assert sorted(raw["day"]) == [date(2026, 11, 1), date(2026, 11, 2)]  # pandas agrees
    assert pd.to_datetime(raw["occurred_at"], utc=True).dt.date.nunique() == 1  # one UTC day

    def count(day: date) -> int:
        flt = StatsFilter(date_from=day, date_to=day + timedelta(days=1))
        frame = counts_by_unit(svc, "community", flt).set_index("code")
        n: int = frame["n"].to_dict()[COMMUNITY_A]
        return n

    assert count(date(2026, 11, 1)) == 1 and count(date(2026, 11, 2)) == 1

    def series(interval: str) -> list[tuple[str, int, int]]:
        frame = timeseries(svc, COMMUNITY_A, interval)  # type: ignore[arg-type]
        return [
            (p.date().isoformat(), int(n), int(d))
            for p, n, d in frame[["period_start", "n", "days"]].itertuples(index=False)
        ]

    assert series("day") == [("2026-11-01", 1, 1), ("2026-11-02", 1, 1)]
    # weeks start on Monday: Sunday the 1st is in the week of 26 October
    assert series("week") == [("2026-10-26", 1, 1), ("2026-11-02", 1, 1)]
    assert series("month") == [("2026-11-01", 2, 2)]


def test_time_series_are_zero_filled_over_the_range(svc: Gridsvc) -> None:
    days = [date(2026, 11, 3), date(2026, 11, 3), date(2026, 11, 10)]
    _import_rows(svc, [{"community": COMMUNITY_A, "occurred_at": _at(d)} for d in days])
    _import_rows(svc, [{"community": COMMUNITY_B, "occurred_at": _at(date(2026, 11, 5))}])

    flt = StatsFilter(date_from=date(2026, 11, 1), date_to=date(2026, 11, 15))
    daily = timeseries(svc, COMMUNITY_A, "day", flt)
    assert list(daily["period_start"]) == list(pd.date_range("2026-11-01", "2026-11-14"))
    assert daily["n"].tolist() == [0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0]
    assert (daily["days"] == 1).all()

    weekly = timeseries(svc, COMMUNITY_A, "week", flt)
    assert [p.date() for p in weekly["period_start"]] == [
        date(2026, 10, 26),
        date(2026, 11, 2),
        date(2026, 11, 9),
    ]
    assert weekly["n"].tolist() == [0, 2, 1]
    assert weekly["days"].tolist() == [1, 7, 6]  # Sunday the 1st; 9th to 14th

    # open range: from the first to the last day with an event
    open_range = timeseries(svc, COMMUNITY_A, "day")
    assert open_range["period_start"].iloc[0].date() == date(2026, 11, 3)
    assert open_range["period_start"].iloc[-1].date() == date(2026, 11, 10)
    assert open_range["n"].sum() == 3 and len(open_range) == 8

    # the street and the city see the other community too; nothing matches: empty
    assert timeseries(svc, CITY, "month", flt)["n"].tolist() == [4]
    assert timeseries(svc, "320105001", "month", flt)["n"].tolist() == [3]
    nothing = timeseries(svc, COMMUNITY_A, "day", StatsFilter(categories=("hazard",)))
    assert nothing.empty and list(nothing.columns) == ["period_start", "n", "days"]


@pytest.mark.parametrize(
    ("code", "column"),
    [
        (CITY, None),
        ("320115", "district_code"),
        ("SJBXQ", "sector_code"),
        ("320106001", "street_code"),
        (None, "community_code"),  # the busiest community of the filter
    ],
)
@pytest.mark.parametrize("interval", ["day", "week", "month"])
@pytest.mark.parametrize("overdue", [None, True, False])
def test_time_series_equal_the_raw_events(
    loaded: tuple[Gridsvc, pd.DataFrame],
    code: str | None,
    column: str | None,
    interval: str,
    overdue: bool | None,
) -> None:
    svc, raw = loaded
    flt = StatsFilter(
        categories=("hazard", "dispute"), date_from=date(2026, 10, 1), overdue=overdue
    )
    if code is None:
        code = str(raw.loc[_mask(raw, flt), "community_code"].value_counts().index[0])
    result = timeseries(svc, code, interval, flt)  # type: ignore[arg-type]

    chosen = raw[_mask(raw, flt) & (raw[column] == code if column else True)]
    day = pd.to_datetime(chosen["day"])
    start_of: Callable[[pd.Series], pd.Series] = {
        "day": lambda d: d,
        "week": lambda d: d - pd.to_timedelta(d.dt.day_of_week, unit="D"),
        "month": lambda d: d.dt.to_period("M").dt.start_time,
    }[interval]
    counts = day.groupby(start_of(day)).size()
    last = day.max()
    first_period = pd.Timestamp("2026-10-01")
    first_period = start_of(pd.Series([first_period])).iloc[0]
    freq = {"day": "D", "week": "W-MON", "month": "MS"}[interval]
    periods = pd.date_range(first_period, start_of(pd.Series([last])).iloc[0], freq=freq)
    expected = counts.reindex(periods, fill_value=0)
    assert list(result["period_start"]) == list(expected.index)
    assert result["n"].tolist() == expected.tolist()
    assert result["n"].sum() == len(chosen) > 0


def test_units_without_population_have_no_rate_and_unassigned_events_are_reported(
    svc: Gridsvc,
) -> None:
    _import_rows(svc, [{"community": COMMUNITY_A, "occurred_at": _at(date(2026, 11, 3))}] * 2)
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute("UPDATE grid_unit SET population = NULL WHERE code = %s", (COMMUNITY_A,))
        # an event outside every grid (as reassign leaves one) and one on an unknown community
        cur.execute(
            "INSERT INTO event_daily VALUES "
            "('', 'hazard.fire', 'reported', 'normal', 'hotline', '2026-11-03', 5), "
            "('320199999999', 'hazard.fire', 'reported', 'normal', 'hotline', '2026-11-03', 7)"
        )
    row = counts_by_unit(svc, "community").set_index("code").loc[COMMUNITY_A].to_dict()
    assert row["n"] == 2 and row["density_per_km2"] > 0
    assert pd.isna(row["population"]) and np.isnan(row["rate_per_1000"])
    city = counts_by_unit(svc, "city")
    assert city["n"].tolist() == [2]
    assert city.attrs["outside_grids"] == 5 and city.attrs["not_in_version"] == 7
    hazard = counts_by_unit(svc, "city", StatsFilter(categories=("hazard",)))
    assert hazard.attrs["outside_grids"] == 5
    geo = counts_by_unit(svc, "district", with_geometry=True)
    assert geo.crs.to_epsg() == 4326 and geo.geometry.notna().all() and len(geo) == 11
    assert city.attrs["no_unit"] == 0  # every Nanjing community has its 板块 and district

    # categories the taxonomy lacks (retired): counted where they fall in a unit, and a
    # column only then, not for events outside every grid
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO event_daily VALUES "
            "('', 'retired.outside', 'reported', 'normal', 'hotline', '2026-11-03', 4), "
            "(%s, 'retired.inside', 'reported', 'normal', 'hotline', '2026-11-03', 3)",
            (COMMUNITY_A,),
        )
    wide = counts_by_unit(svc, "city", by_category=True)
    assert wide.attrs["category_columns"][-1] == "retired.inside"
    assert wide["retired.inside"].tolist() == [3] and wide["n"].tolist() == [5]
    assert "retired.outside" not in wide.columns and wide.attrs["outside_grids"] == 9


# --- comparing periods -------------------------------------------------------------------------

BASE_FROM, CURRENT_FROM = date(2026, 10, 1), date(2026, 11, 1)
BASE = StatsFilter(date_from=BASE_FROM, date_to=BASE_FROM + timedelta(days=14))
CURRENT = StatsFilter(date_from=CURRENT_FROM, date_to=CURRENT_FROM + timedelta(days=14))


def _spread(community: str, first: date, days: int, n: int) -> list[dict[str, Any]]:
    return [
        {"community": community, "occurred_at": _at(first + timedelta(days=i % days), 8 + i % 12)}
        for i in range(n)
    ]


def test_a_real_increase_is_significant_and_equal_counts_are_not(svc: Gridsvc) -> None:
    rows = _spread(COMMUNITY_A, BASE_FROM, 14, 10) + _spread(COMMUNITY_A, CURRENT_FROM, 14, 40)
    rows += _spread(COMMUNITY_B, BASE_FROM, 14, 20) + _spread(COMMUNITY_B, CURRENT_FROM, 14, 20)
    _import_rows(svc, rows)

    result = compare(svc, "community", CURRENT, BASE).set_index("code")
    a, b = result.loc[COMMUNITY_A], result.loc[COMMUNITY_B]
    assert (a["n"], a["n_base"], a["change"]) == (40, 10, 30)
    assert a["change_pct"] == pytest.approx(300.0) and a["rate_ratio"] == pytest.approx(4.0)
    assert a["p_value"] == pytest.approx(stats.binomtest(40, 50, 0.5).pvalue)
    assert a["p_value"] < 1e-4 and bool(a["significant"])
    assert (b["n"], b["n_base"], b["change"]) == (20, 20, 0)
    assert b["p_value"] == pytest.approx(1.0) and not bool(b["significant"])
    # units without events either time: nothing to test
    quiet = result.drop(index=[COMMUNITY_A, COMMUNITY_B])
    assert (quiet["p_value"] == 1.0).all() and not quiet["significant"].any()
    assert quiet["change_pct"].isna().all() and quiet["rate_ratio"].isna().all()
    assert "binomial" in result["method"].iloc[0]
    assert len(result) == 1255

    # with FDR over the two tested units A stays significant
    adjusted = compare(svc, "community", CURRENT, BASE, fdr=True).set_index("code")
    assert adjusted.at[COMMUNITY_A, "p_adjusted"] == pytest.approx(2 * a["p_value"])
    assert bool(adjusted.at[COMMUNITY_A, "significant"])

    # a longer base period: the same daily rate is no change; p uses the lengths
    long_base = StatsFilter(date_from=date(2026, 9, 3), date_to=date(2026, 10, 15))  # 42 days
    streets = compare(svc, "street", CURRENT, long_base).set_index("code")
    b_street = streets.loc[COMMUNITY_B[:9]]
    assert (b_street["n"], b_street["n_base"], b_street["days_base"]) == (20, 20, 42)
    assert b_street["p_value"] == pytest.approx(stats.binomtest(20, 40, 14 / 56).pvalue)
    assert bool(b_street["significant"]) and b_street["rate_ratio"] == pytest.approx(3.0)


def test_compare_refuses_what_it_cannot_test(shared_svc: Gridsvc) -> None:
    with pytest.raises(InvalidInput, match="date_from and date_to"):
        compare(shared_svc, "district", StatsFilter(date_from=date(2026, 11, 1)), BASE)
    overlapping = StatsFilter(date_from=date(2026, 10, 10), date_to=date(2026, 10, 20))
    with pytest.raises(InvalidInput, match="overlap"):
        compare(shared_svc, "district", overlapping, BASE)
    other = StatsFilter(categories=("hazard",), date_from=CURRENT_FROM, date_to=CURRENT.date_to)
    with pytest.raises(InvalidInput, match="differ"):
        compare(shared_svc, "district", other, BASE)


# --- filters and levels ------------------------------------------------------------------------


def test_bad_filters_and_levels_say_what_is_wrong(shared_svc: Gridsvc) -> None:
    with pytest.raises(UnknownCategory):
        counts_by_unit(shared_svc, "district", StatsFilter(categories=("hazard.volcano",)))
    with pytest.raises(InvalidInput, match="urgency"):
        StatsFilter(urgency=("whenever",))
    with pytest.raises(InvalidInput, match="source"):
        StatsFilter(source=("twitter",))
    with pytest.raises(InvalidInput, match="empty"):
        StatsFilter(status=())
    with pytest.raises(InvalidInput, match="after date_from"):
        StatsFilter(date_from=date(2026, 11, 2), date_to=date(2026, 11, 2))
    with pytest.raises(InvalidInput, match="calendar date"):
        StatsFilter(date_from=datetime(2026, 11, 2, tzinfo=BEIJING))
    with pytest.raises(UnknownLevel):
        counts_by_unit(shared_svc, "province")
    with pytest.raises(InvalidInput, match="community"):
        counts_by_unit(shared_svc, "grid")
    with pytest.raises(UnknownGrid):
        timeseries(shared_svc, "320102999")
    with pytest.raises(InvalidInput, match="interval"):
        timeseries(shared_svc, CITY, "year")  # type: ignore[arg-type]
    # no events at all: every unit and every category column is there, at zero
    empty = counts_by_unit(shared_svc, "district", by_category=True)
    assert len(empty) == 11 and len(empty.attrs["category_columns"]) > 30
    assert (empty[["n", *empty.attrs["category_columns"]]] == 0).all().all()
    # a single string is one value, not its letters
    assert StatsFilter(categories="hazard").categories == ("hazard",)  # type: ignore[arg-type]
