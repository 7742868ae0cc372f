"""The rules of `gridsvc.events.rules`, each alone: what it refuses (field, message, hint),
what it lets pass, that it looks only at the rows still open, and the order `prepare` applies
them in. The taxonomy and grids are the shared test database's (the default dataset)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from gridsvc.crs import Crs, from_wgs84
from gridsvc.errors import DateOutOfRange, InvalidCoordinate, InvalidInput, OutsideAllGrids
from gridsvc.events import rules
from gridsvc.events.rows import Defaults, Rejection, Sent
from gridsvc.events.rules import RULES, Rule
from gridsvc.grids import store as grid_store
from gridsvc.grids.locate import UnitRef
from gridsvc.messages import Msg
from gridsvc.service import Gridsvc

NOW = datetime(2026, 11, 28, 4, 0, tzinfo=UTC)
IN_CITY = "320105001001"  # a community of the default dataset


@pytest.fixture(scope="module")
def point(shared_svc: Gridsvc) -> tuple[float, float]:
    """A WGS-84 point inside :data:`IN_CITY`."""
    units = grid_store.read_units(shared_svc.db, shared_svc.locator().version.id)
    p = units.set_index("code").at[IN_CITY, "geometry"].representative_point()
    return float(p.x), float(p.y)


def _report(point: tuple[float, float], **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "client_event_id": "r-1",
        "reporter_id": "gw-1",
        "category": "hazard.fire",
        "title": "楼道冒烟",
        "occurred_at": "2026-11-28T09:30:00+08:00",
        "lon": point[0],
        "lat": point[1],
    }
    base.update(overrides)
    return base


def _sent(svc: Gridsvc, reports: list[dict[str, Any]], **defaults: Any) -> Sent:
    return Sent.of(
        reports,
        taxonomy=svc.taxonomy(),
        locator=svc.locator(),
        defaults=Defaults(now=NOW, **defaults),
    )


def _refused(
    svc: Gridsvc, rule: Rule, reports: list[dict[str, Any]], **defaults: Any
) -> dict[int, Rejection]:
    """What ``rule`` alone refuses of ``reports`` (all rows open), by row number."""
    sent = _sent(svc, reports, **defaults)
    found = rule(sent, np.ones(sent.n, dtype=bool))
    assert list(np.flatnonzero(found.rows) + 1) == sorted(r.row_number for r in found.rejections)
    return {r.row_number: r for r in found.rejections}


# One report per rule that the rule, and only the rules before it may, refuse: (overrides,
# message id, field). Row 1 of each test is a valid report, row 2 this one.
EXAMPLES: dict[Rule, tuple[dict[str, Any], str, str]] = {
    rules.missing: ({"occurred_at": "  "}, "report.missing", "occurred_at"),
    rules.nul_characters: ({"description": "楼道\x00"}, "report.nul", "description"),
    rules.too_long: ({"address": "路" * 501}, "report.too_long", "address"),
    rules.unknown_category: ({"category": "hazard.fier"}, "report.unknown_category", "category"),
    rules.unknown_crs: ({"crs": "mercator"}, "crs.unknown", "crs"),
    rules.not_numbers: ({"lat": "北纬32"}, "report.not_a_number", "lat"),
    rules.swapped: ({"swap": True}, "report.swapped", "lon"),
    rules.out_of_range: ({"lon": 200.0, "lat": 10.0}, "report.out_of_range", "lon"),
    rules.occurred_time: ({"occurred_at": "2026-11-28T09:30"}, "report.no_zone", "occurred_at"),
    rules.reported_time: ({"reported_at": "soon"}, "report.not_iso", "reported_at"),
    rules.reported_before_occurred: (
        {"reported_at": "2026-11-28T09:29:59+08:00"},
        "report.before_occurred",
        "reported_at",
    ),
    rules.unknown_source: ({"source": "twitter"}, "report.unknown_source", "source"),
    rules.unknown_urgency: ({"urgency": "asap"}, "report.unknown_urgency", "urgency"),
    rules.bad_accuracy: ({"accuracy_m": -1}, "report.accuracy", "accuracy_m"),
    rules.no_reporter: ({"reporter_id": ""}, "report.no_reporter", "reporter_id"),
    rules.no_client_id: ({"client_event_id": None}, "report.no_client_id", "client_event_id"),
    rules.id_twice: ({"client_event_id": "r-1"}, "report.id_twice", "client_event_id"),
    rules.attributes_and_media: ({"media": "a.jpg"}, "report.not_json", "media"),
    rules.outside_every_grid: ({"lon": 116.40, "lat": 39.90}, "report.outside", "lon"),
}


def _example(point: tuple[float, float], rule: Rule) -> list[dict[str, Any]]:
    overrides, _, _ = EXAMPLES[rule]
    bad = _report(point, **{"client_event_id": "r-2", **overrides})
    if bad.pop("swap", False):
        bad["lon"], bad["lat"] = bad["lat"], bad["lon"]
    return [_report(point), bad]


def test_every_rule_has_an_example_and_the_order_is_fixed() -> None:
    assert list(EXAMPLES) == list(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_each_rule_refuses_its_example_and_passes_a_good_report(
    shared_svc: Gridsvc, point: tuple[float, float], rule: Rule
) -> None:
    _, message_id, field = EXAMPLES[rule]
    refused = _refused(shared_svc, rule, _example(point, rule))
    assert list(refused) == [2]
    assert (refused[2].msg.id, refused[2].field) == (message_id, field)
    assert refused[2].hint is not None  # every refusal says how to fix it


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_each_rule_looks_only_at_the_rows_still_open(
    shared_svc: Gridsvc, point: tuple[float, float], rule: Rule
) -> None:
    sent = _sent(shared_svc, _example(point, rule))
    found = rule(sent, np.array([True, False]))
    assert not found.rows.any() and found.rejections == []


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_the_other_rules_let_each_example_pass(
    shared_svc: Gridsvc, point: tuple[float, float], rule: Rule
) -> None:
    """No later rule refuses an example, so the problem reported for a row is the one its
    rule names; but a swapped point is out of range too (swapped says more, and comes first)."""
    also = {rules.swapped: {rules.out_of_range}}.get(rule, set())
    for later in RULES[RULES.index(rule) + 1 :]:
        if later not in also:
            assert _refused(shared_svc, later, _example(point, rule)) == {}, later.__name__
    for other in also:
        assert list(_refused(shared_svc, other, _example(point, rule))) == [2]


def test_the_first_problem_in_rule_order_is_the_one_reported(
    shared_svc: Gridsvc, point: tuple[float, float]
) -> None:
    reports = [
        _report(point, category="hazard.fier", urgency="asap"),
        _report(point, client_event_id="r-2", urgency="asap", source="twitter"),
        _report(point, client_event_id="r-3", lon=point[1], lat=point[0], occurred_at="x"),
        _report(point, client_event_id="r-4"),
    ]
    rejections, good = rules.check(_sent(shared_svc, reports))
    assert [(r.row_number, r.msg.id) for r in rejections] == [
        (1, "report.unknown_category"),
        (2, "report.unknown_source"),
        (3, "report.swapped"),
    ]
    assert list(good) == [False, False, False, True]


# --- the rules one by one: words, params, edges ------------------------------------------------

Refuse = Callable[..., dict[int, Rejection]]


@pytest.fixture
def refuse(shared_svc: Gridsvc, point: tuple[float, float]) -> Refuse:
    """``refuse(rule, *rows, **defaults)``: what ``rule`` alone refuses of good reports
    changed by ``rows`` (each a dict of overrides), by row number."""

    def run(rule: Rule, *rows: dict[str, Any], **defaults: Any) -> dict[int, Rejection]:
        return _refused(shared_svc, rule, [_report(point, **r) for r in rows], **defaults)

    return run


def test_missing_counts_nan_and_blanks_and_names_the_first_column(refuse: Refuse) -> None:
    refused = refuse(
        rules.missing, {"category": " ", "lon": math.nan}, {"lon": math.nan}, {"lat": None}, {}
    )
    assert {n: r.field for n, r in refused.items()} == {1: "category", 2: "lon", 3: "lat"}
    assert refused[1].msg == Msg("report.missing", {"field": "category", "value": None})


def test_too_long_counts_characters_to_the_limit(refuse: Refuse) -> None:
    refused = refuse(rules.too_long, {"title": "长" * 200}, {"title": "长" * 201})
    assert list(refused) == [2]
    assert refused[2].msg.params["length"] == 201 and refused[2].msg.params["limit"] == 200
    assert refused[2].value == "长" * 57 + "…"  # shown shortened


def test_an_unknown_category_suggests_the_nearest(refuse: Refuse) -> None:
    refused = refuse(rules.unknown_category, {"category": "hazard.fier"}, {"category": ""})
    assert list(refused) == [1]  # an empty one is missing, another rule's
    suggestion = refused[1].msg.params["suggestion"]
    assert isinstance(suggestion, Msg) and "hazard.fire" in suggestion.render("en")


def test_coordinates_that_are_no_numbers(refuse: Refuse, point: tuple[float, float]) -> None:
    refused = refuse(
        rules.not_numbers,
        {"lon": "118,78"},
        {"lat": math.inf},
        {"lon": -math.inf, "lat": "abc"},  # lon is checked first
        {"lon": f" {point[0]} ", "lat": str(point[1])},  # numbers as text pass
        {"lon": None},  # missing, not "not a number"
    )
    assert {n: (r.field, r.msg.id) for n, r in refused.items()} == {
        1: ("lon", "report.not_a_number"),
        2: ("lat", "report.infinite"),
        3: ("lon", "report.infinite"),
    }


def test_a_swapped_point_names_the_unit_it_falls_in(
    refuse: Refuse, shared_svc: Gridsvc, point: tuple[float, float]
) -> None:
    lon, lat = point
    x, y = from_wgs84(lon, lat, Crs.GCJ02)
    refused = refuse(
        rules.swapped,
        {"lon": lat, "lat": lon},
        {"lon": y, "lat": x, "crs": "gcj02"},  # swapped in its own system
        {"lon": 10.0, "lat": 100.0},  # out of range, and nowhere when swapped
        {},
    )
    assert list(refused) == [1, 2]
    unit = shared_svc.locator().locate(lon, lat).units[0]
    assert refused[1].msg == Msg("report.swapped", {"field": "lon", "value": str(lat)})
    assert refused[1].hint == Msg(
        "locate.swapped", {"lon": lat, "lat": lon, "unit": unit.name, "code": unit.code}
    )
    assert refused[2].hint is not None and refused[2].hint.params["code"] == unit.code
    # a report sent alone raises the locate door's error, with the same hint
    error = refused[1].as_error()
    assert isinstance(error, InvalidCoordinate) and error.message_id == "coord.out_of_range"
    assert error.field == "lat" and error.hint_msg == refused[1].hint


def test_swapped_units_is_the_locate_doors_rule(
    shared_svc: Gridsvc, point: tuple[float, float]
) -> None:
    lon, lat = point
    units = rules.swapped_units(
        np.array([lat, 200.0, lon]),
        np.array([lon, 10.0, lat]),
        np.array(["wgs84"] * 3, dtype=object),
        shared_svc.locator(),
    )
    assert isinstance(units[0], UnitRef) and units[1:] == [None, None]
    with pytest.raises(InvalidCoordinate) as caught:
        shared_svc.locate(lat, lon)
    assert caught.value.hint_msg == rules.swap_hint(lat, lon, units[0])


def test_out_of_range_hints_at_the_order_and_raises_a_coordinate_error(refuse: Refuse) -> None:
    refused = refuse(
        rules.out_of_range,
        {"lon": 180.0, "lat": -90.0},
        {"lon": -180.5, "lat": 0.0},
        {"lon": 0.0, "lat": 90.01},
    )
    assert list(refused) == [2, 3]
    alone = Msg("coord.out_of_range", {"field": "lon", "lon": -180.5, "lat": 0.0})
    assert (refused[2].alone, refused[2].hint) == (alone, alone.own_hint())
    # a report sent alone gets what GET /v1/locate says: the axis that is out, the same hint
    error = refused[3].as_error()
    assert isinstance(error, InvalidCoordinate) and error.message_id == "coord.out_of_range"
    assert error.field == "lat" and error.hint_msg == refused[3].hint
    assert rules.out_of_degrees(np.array([math.nan]), np.array([math.nan])).tolist() == [False]


def test_times(refuse: Refuse) -> None:
    ahead = (NOW + timedelta(minutes=11)).isoformat()
    times = [
        "1899-12-31T23:59:59+08:00",
        "1900-01-01T00:00:00+08:00",  # the first day
        "0244-11-25T09:00:00+08:00",  # beyond pandas
        "2026-13-01T09:00:00+08:00",
        "2026-11-28",  # no time, no zone
        ahead,
        (NOW + timedelta(minutes=9)).isoformat(),
    ]
    refused = refuse(rules.occurred_time, *({"occurred_at": t} for t in times))
    assert {n: r.msg.id for n, r in refused.items()} == {
        1: "report.time_out_of_range",
        3: "report.time_out_of_range",
        4: "report.not_iso",
        5: "report.no_zone",
        6: "report.future",
    }
    assert refused[1].error is DateOutOfRange and isinstance(refused[1].as_error(), DateOutOfRange)
    assert refused[6].msg.params["minutes"] == 10
    assert refused[4].error is None and type(refused[4].as_error()) is InvalidInput
    later = refuse(rules.reported_time, {}, {"reported_at": ahead})
    assert list(later) == [2] and later[2].field == "reported_at"


def test_choices_are_checked_after_the_defaults(refuse: Refuse) -> None:
    rows = ({"source": "HOTLINE", "urgency": "Critical"}, {"source": ""})
    assert refuse(rules.unknown_source, *rows) == {}
    assert refuse(rules.unknown_urgency, *rows) == {}
    # an empty source takes the batch's default, which is checked like a sent one
    refused = refuse(rules.unknown_source, *rows, source="fax")
    assert list(refused) == [2] and refused[2].value == "fax"
    assert "hotline" in refused[2].msg.params["choices"]


def test_accuracy_from_zero_to_a_hundred_kilometres(refuse: Refuse) -> None:
    values = [0, 100_000, "", None, -0.1, 100_000.5, "近"]
    refused = refuse(rules.bad_accuracy, *({"accuracy_m": v} for v in values))
    assert list(refused) == [5, 6, 7]


def test_ids_take_the_batch_defaults(refuse: Refuse, shared_svc: Gridsvc) -> None:
    row = {"reporter_id": None, "client_event_id": ""}
    assert list(refuse(rules.no_reporter, row)) == [1]
    assert refuse(rules.no_reporter, row, reporter_id="import:hotline") == {}
    assert list(refuse(rules.no_client_id, row)) == [1]
    assert refuse(rules.no_client_id, row, id_prefix="abc") == {}
    assert list(_sent(shared_svc, [row], id_prefix="abc").client_id) == ["abc:1"]


def test_an_id_twice_in_a_batch_refuses_the_later_rows(refuse: Refuse) -> None:
    other_reporter = {"reporter_id": "gw-2"}  # the same id from another reporter
    assert list(refuse(rules.id_twice, {}, other_reporter, {}, {})) == [3, 4]
    assert refuse(rules.id_twice, {}) == {}


def test_attributes_are_the_categorys_and_kept_when_valid(
    shared_svc: Gridsvc, point: tuple[float, float]
) -> None:
    reports = [
        _report(point, attributes={"floor": 3.0}, media=["a.jpg"]),
        _report(point, attributes={"colour": "red"}),
        _report(point, category="hazard.ebike_charging"),  # a required attribute
        _report(point, media={"a": 1}),
        _report(point, attributes="[1]"),
        _report(point, category="no.such"),  # another rule's: not looked at here
    ]
    sent = _sent(shared_svc, reports)
    found = rules.attributes_and_media(sent, np.ones(sent.n, dtype=bool))
    assert {r.row_number: (r.field, r.msg.id) for r in found.rejections} == {
        2: ("attributes.colour", "attr.unknown"),
        3: ("attributes.indoor", "attr.required"),
        4: ("media", "report.need_list"),
        5: ("attributes", "report.need_object"),
    }
    assert sent.attributes == {0: {"floor": 3}} and sent.media == {0: ["a.jpg"]}


def test_outside_every_grid_names_the_nearest_community(
    refuse: Refuse, shared_svc: Gridsvc
) -> None:
    refused = refuse(rules.outside_every_grid, {}, {"lon": 116.40, "lat": 39.90, "crs": "gcj02"})
    rejection = refused[2]
    params = rejection.msg.params
    assert (params["lon"], params["lat"], params["crs"]) == (116.40, 39.90, "gcj02")
    assert params["distance_m"] > 800_000  # Beijing is ~900 km away
    nearest = params["nearest"]
    assert isinstance(nearest, Msg) and nearest.id == "common.unit"
    assert rejection.hint == Msg("locate.check_crs")
    # a report sent alone gets what GET /v1/locate says of the point, with the same hint
    with pytest.raises(OutsideAllGrids) as located:
        shared_svc.locate(116.40, 39.90, crs="gcj02")
    error = rejection.as_error()
    assert type(error) is InvalidInput and error.field == "lon"
    assert (error.msg, error.hint_msg) == (located.value.msg, located.value.hint_msg)
    assert error.details == located.value.details
    assert error.details["nearest"]["code"] == nearest.params["code"]


def test_the_grid_rule_places_rows_once_for_prepare(
    shared_svc: Gridsvc, point: tuple[float, float]
) -> None:
    sent = _sent(shared_svc, [_report(point), _report(point, lon=116.4, lat=39.9)])
    first = sent.place(np.array([True, True]))
    assert sent.place(np.array([True, False])) is first  # fewer rows: the same answer
    assert sent.place(np.array([True, True])) is first
    assert first.assignment.community[0] >= 0 and first.assignment.community[1] < 0
