"""The shared vocabulary of a selection (gridsvc.selection, gridsvc.vocabulary): each term
parsed and refused once, for every door, and one definition of each word. No database."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pytest

import gridsvc
from gridsvc import selection, vocabulary
from gridsvc.crs import gcj02_to_wgs84
from gridsvc.errors import DateOutOfRange, GridsvcError, InvalidInput, UnknownCategory
from gridsvc.events.store import EventFilter, _grid_condition
from gridsvc.events.taxonomy_file import default_taxonomy
from gridsvc.stats import StatsFilter


def refused(call: Callable[[], Any]) -> GridsvcError:
    with pytest.raises(GridsvcError) as caught:
        call()
    return caught.value


def test_each_word_is_defined_once() -> None:
    """Every module of gridsvc that holds the words holds the vocabulary's own objects."""
    holders: dict[str, set[str]] = {"URGENCIES": set(), "SOURCES": set(), "Urgency": set()}
    for info in pkgutil.walk_packages(gridsvc.__path__, "gridsvc."):
        module = importlib.import_module(info.name)
        for word, found in holders.items():
            if hasattr(module, word):
                assert getattr(module, word) is getattr(vocabulary, word), (info.name, word)
                found.add(info.name)
    assert {"gridsvc.events.generate", "gridsvc.events.taxonomy", "gridsvc.stats.filters"} <= (
        holders["URGENCIES"]
    )
    assert "gridsvc.stats.filters" in holders["SOURCES"]
    assert vocabulary.URGENCIES == ("normal", "urgent", "critical")
    assert "grid_worker" in vocabulary.SOURCES and "hotline" in vocabulary.SOURCES


def test_comma_lists() -> None:
    assert selection.csv_list(" a, b,,c ") == ("a", "b", "c")
    assert selection.csv_list(None) is None and selection.csv_list("") is None
    assert selection.csv_list(",") == ()  # given, but empty: lists ignore it, stats refuse it


@pytest.mark.parametrize(("field", "text"), [("urgency", "high"), ("source", "fax")])
def test_a_list_and_a_statistic_refuse_an_unknown_choice_alike(field: str, text: str) -> None:
    allowed = vocabulary.URGENCIES if field == "urgency" else vocabulary.SOURCES
    from_text = refused(lambda: selection.parse(**{field: f"{allowed[0]},{text},x"}))
    from_code = refused(lambda: StatsFilter(**{field: (allowed[0], text, "x")}))
    for error in (from_text, from_code):
        assert type(error) is InvalidInput and error.msg.id == "common.unknown_choice"
        assert error.field == field
        assert error.msg.params["value"] == [text, "x"]  # every unknown one, in order
        assert tuple(error.msg.params["choices"]) == allowed
    assert selection.parse(**{field: ",".join(allowed)}).stats_filter() == StatsFilter(
        **{field: allowed}
    )


def test_bbox_in_wgs84() -> None:
    assert selection.parse_bbox("118.7,32.0, 118.9,32.1") == (118.7, 32.0, 118.9, 32.1)
    assert selection.parse_bbox(None) is None and selection.parse_bbox("") is None
    for text in ("118,32,119", "118,32,119,x", "118,32,nan,33", "118,32,inf,33", "a,b,c,d"):
        with pytest.raises(InvalidInput) as caught:
            selection.parse_bbox(text)
        assert caught.value.msg.id == "event.bbox_numbers" and caught.value.field == "bbox"
    error = refused(lambda: selection.parse_bbox("119,32,118,33"))
    assert error.msg.id == "event.bbox_order"
    error = refused(lambda: selection.parse_bbox("118,33,119,32"))
    assert error.msg.id == "event.bbox_order"


def test_bbox_in_a_named_crs_becomes_the_wgs84_box_that_covers_it() -> None:
    wgs84 = (118.7, 32.0, 118.9, 32.1)
    # EPSG:4326 is lat, lon by its definition
    assert selection.parse_bbox("32.0,118.7,32.1,118.9", "EPSG:4326") == wgs84
    gcj = selection.parse_bbox("118.7,32.0,118.9,32.1", "GCJ-02")
    assert gcj is not None
    # the box covers the corners, turned into WGS-84, and moved by the GCJ-02 offset (~500 m)
    lon, lat = gcj02_to_wgs84(
        np.array([118.7, 118.9, 118.7, 118.9]), np.array([32.0, 32.0, 32.1, 32.1])
    )
    assert (
        gcj[0] <= lon.min() and lon.max() <= gcj[2] and gcj[1] <= lat.min() and lat.max() <= gcj[3]
    )
    assert all(0.001 < abs(a - b) < 0.01 for a, b in zip(gcj, wgs84, strict=True))
    error = refused(lambda: selection.parse_bbox("1,2,3,4", "EPSG:3857"))
    assert error.msg.id == "ogc.unknown_crs" and error.field == "bbox-crs"


@pytest.mark.parametrize(
    ("code", "column"),
    [
        ("320100", None),  # the city: no restriction
        ("320102", "district_code"),
        ("S320102", "sector_code"),
        ("320102002", "street_code"),
        ("320102002003", "community_code"),
        ("320102002003001", "grid_code"),
    ],
)
def test_grid_codes_by_shape(code: str, column: str | None) -> None:
    assert selection.parse_grid(code) == code
    assert vocabulary.grid_column(code) == column
    condition = _grid_condition(code)  # the SQL of lists and counts takes the same rule
    assert (condition is None) == (column is None)


@pytest.mark.parametrize("code", ["abc", "32010", "3201020020", "32010200200x"])
def test_a_code_of_no_unit_shape_is_refused_when_parsed_and_in_sql(code: str) -> None:
    for call in (lambda: selection.parse(grid=code), lambda: _grid_condition(code)):
        error = refused(call)
        assert error.msg.id == "event.not_grid_code" and error.msg.params["code"] == code
    assert selection.parse(grid="").grid is None


EXPECTED_TIMES: list[tuple[str, str | datetime]] = [
    ("2026-11-01T10:00:00+08:00", datetime(2026, 11, 1, 2, tzinfo=UTC)),
    ("2026-11-01T02:00:00Z", datetime(2026, 11, 1, 2, tzinfo=UTC)),
    ("2026-11-01 10:00+08:00", datetime(2026, 11, 1, 2, tzinfo=UTC)),
    (" 2026-11-01T10:00:00+08:00 ", datetime(2026, 11, 1, 2, tzinfo=UTC)),
    ("2026-11-01T10:00:00", "event.time_no_zone"),
    ("2026-11-01", "event.time_no_zone"),
    ("x", "event.time_not_iso"),
    ("", "event.time_not_iso"),
    ("2026-02-30T10:00:00+08:00", "event.time_not_iso"),
    ("1899-12-31T23:59:59+08:00", "dates.out_of_range"),
    ("2200-01-02T00:00:00+08:00", "dates.out_of_range"),
    ("0244-11-25T09:30:00+08:00", "dates.out_of_range"),  # beyond what pandas parses
    ("99999-01-01T00:00:00+08:00", "dates.out_of_range"),
]


@pytest.mark.parametrize(("text", "expected"), EXPECTED_TIMES)
def test_times_of_a_selection(text: str, expected: str | datetime) -> None:
    if isinstance(expected, datetime):
        assert selection.parse_time(text, "from") == expected
        assert selection.parse(occurred_to=text).occurred_to == expected
        return
    error = refused(lambda: selection.parse(occurred_to=text))
    assert error.msg.id == expected and error.field == "to"
    if expected == "dates.out_of_range":
        assert isinstance(error, DateOutOfRange)
        assert "1900-01-01 to 2200-01-01" in error.msg.render("en")


def test_days_of_a_statistic() -> None:
    chosen = selection.parse(date_from="2026-11-01", date_to=date(2026, 12, 1))
    assert chosen.stats_filter() == StatsFilter(
        date_from=date(2026, 11, 1), date_to=date(2026, 12, 1)
    )
    error = refused(lambda: selection.parse(date_from="2026-13-01"))
    assert error.msg.id == "stats.not_a_day" and error.field == "date_from"
    error = refused(lambda: selection.parse(date_to="1899-12-31").stats_filter())
    assert isinstance(error, DateOutOfRange) and error.field == "date_to"
    error = refused(
        lambda: selection.parse(date_from="2026-12-01", date_to="2026-11-01").stats_filter()
    )
    assert error.msg.id == "stats.empty_range"


def test_overdue() -> None:
    assert selection.parse(overdue=True).overdue is True
    assert selection.parse(overdue="false").overdue is False
    assert selection.parse(overdue="1").overdue is True
    assert selection.parse().overdue is None
    error = refused(lambda: selection.parse(overdue="maybe"))
    assert error.msg.id == "validation.boolean" and error.field == "overdue"


def test_one_selection_builds_the_filter_of_lists_and_of_statistics() -> None:
    tax = default_taxonomy()
    chosen = selection.parse(
        category="hazard,dispute.labour",
        status="reported, accepted",
        urgency="urgent",
        source="hotline",
        overdue="true",
    )
    stats = chosen.stats_filter()
    assert stats.categories == chosen.categories  # groups as given: the statistic expands
    assert (stats.status, stats.urgency, stats.source, stats.overdue) == (
        ("reported", "accepted"),
        ("urgent",),
        ("hotline",),
        True,
    )
    listed = chosen.event_filter(tax)
    assert isinstance(listed, EventFilter)
    # the group's leaves (not the group) and the leaf
    assert set(listed.categories or ()) == {*tax.codes_under("hazard"), "dispute.labour"}
    assert "hazard.fire" in (listed.categories or ())
    assert (listed.status, listed.urgency, listed.source, listed.overdue) == (
        ("reported", "accepted"),
        ("urgent",),
        ("hotline",),
        True,
    )
    error = refused(lambda: selection.parse(category="hazard,nothing").event_filter(tax))
    assert isinstance(error, UnknownCategory)


def test_a_door_gets_only_the_terms_it_takes() -> None:
    with pytest.raises(ValueError):
        selection.parse(bbox="118,32,119,33").stats_filter()
    with pytest.raises(ValueError):
        selection.parse(occurred_from="2026-11-01T00:00:00+08:00").stats_filter()
    with pytest.raises(ValueError):
        selection.parse(date_from="2026-11-01").event_filter(None)


def test_terms_are_refused_in_a_fixed_order() -> None:
    error = refused(lambda: selection.parse(bbox="1,2", urgency="high", occurred_from="x"))
    assert error.msg.id == "event.bbox_numbers"
    error = refused(lambda: selection.parse(urgency="high", occurred_from="x", grid="abc"))
    assert error.msg.id == "common.unknown_choice"
    error = refused(lambda: selection.parse(occurred_from="x", grid="abc"))
    assert error.msg.id == "event.time_not_iso"
