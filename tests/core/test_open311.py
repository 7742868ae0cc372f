"""gridsvc.open311 without HTTP: states to open/closed, the spec's window of dates, the
report an Open311 POST becomes, and the XML of JSON-shaped values."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from gridsvc import open311
from gridsvc.errors import (
    DateOutOfRange,
    GridsvcError,
    InvalidCoordinate,
    InvalidInput,
    UnknownCategory,
)
from gridsvc.events import store
from gridsvc.events.taxonomy_file import default_taxonomy
from gridsvc.service import Gridsvc
from gridsvc.workflow.actions import OPEN_STATES

NOW = datetime.fromisoformat("2026-11-28T12:00:00+08:00")
TAXONOMY = default_taxonomy()


def _query(**params: str) -> open311.RequestQuery:
    return open311.request_query(params, TAXONOMY, NOW)


def _refused(kind: type[GridsvcError], message_id: str, call: Callable[[], object]) -> GridsvcError:
    """The error ``call`` raises: of ``kind``, with the catalogue's ``message_id``."""
    with pytest.raises(kind) as caught:
        call()
    assert caught.value.message_id == message_id
    return caught.value


def test_every_state_is_open_or_closed() -> None:
    assert [open311.open311_status(s) for s in OPEN_STATES] == ["open"] * len(OPEN_STATES)
    for state in ("closed", "rejected", "merged"):
        assert open311.open311_status(state) == "closed"
    assert _query(status="open").states == OPEN_STATES
    assert set(_query(status="closed").states or ()) == {"closed", "rejected", "merged"}
    both = _query(status="closed,open").states or ()
    assert set(both) == {*OPEN_STATES, "closed", "rejected", "merged"}
    _refused(InvalidInput, "validation.choice", lambda: _query(status="opened"))


def test_the_window_is_at_most_90_days_and_includes_its_end() -> None:
    default = _query()
    assert (default.start, default.end) == (NOW - timedelta(days=90), None)
    start = datetime.fromisoformat("2026-08-01T00:00:00+08:00")
    one_end = _query(start_date="2026-08-01T00:00:00+08:00")
    assert one_end.start == start
    assert one_end.end == start + timedelta(days=90, microseconds=1)
    other_end = _query(end_date="2026-08-01T00:00:00Z")
    assert other_end.end == datetime.fromisoformat("2026-08-01T00:00:00.000001+00:00")
    assert other_end.start == datetime.fromisoformat("2026-05-03T00:00:00+00:00")
    day = _query(start_date="2026-10-01", end_date="2026-10-15")
    assert day.start == datetime.fromisoformat("2026-10-01T00:00:00+08:00")
    assert day.end == datetime.fromisoformat("2026-10-16T00:00:00+08:00")
    assert _query(start_date="2026-01-01", end_date="2026-03-31").end  # 90 days whole
    wide = _refused(
        InvalidInput,
        "open311.window",
        lambda: _query(start_date="2026-01-01", end_date="2026-04-01"),
    )
    assert wide.field == "end_date"
    _refused(
        InvalidInput,
        "open311.end_before_start",
        lambda: _query(start_date="2026-02-01", end_date="2026-01-01"),
    )
    _refused(InvalidInput, "event.time_no_zone", lambda: _query(start_date="2026-02-01T08:00"))
    _refused(InvalidInput, "event.time_not_iso", lambda: _query(end_date="2026-02-30"))
    with pytest.raises(DateOutOfRange):
        _query(start_date="1899-12-31")


def test_ids_override_the_other_filters() -> None:
    q = _query(service_request_id="3, 1,3", service_code="nothing", start_date="x")
    assert q == open311.RequestQuery(ids=(3, 1))
    bad = _refused(
        InvalidInput, "open311.not_request_id", lambda: _query(service_request_id="1,1e3")
    )
    assert bad.msg.params["value"] == "1e3"
    _refused(InvalidInput, "open311.not_request_id", lambda: _query(service_request_id="²"))
    codes = _query(service_code="hazard,dispute.family").categories or ()
    assert set(codes) == {*TAXONOMY.codes_under("hazard"), "dispute.family"}
    with pytest.raises(UnknownCategory):
        _query(service_code="hazard.fir")


def test_a_form_becomes_the_report_post_v1_events_stores(svc: Gridsvc) -> None:
    svc.clock = lambda: NOW
    form = {
        "service_code": ["hazard.fire"],
        "lat": ["32.0410"],
        "long": [" 118.7840"],
        "description": ["楼道堆物"],
        "address_string": ["某路 1 号"],
        "email": ["a@b.cn"],
        "media_url": ["/v1/media/" + "0" * 64],
        "attribute[blocked_exit]": ["TRUE"],
        "attribute[floor]": ["3.0"],
        "jurisdiction_id": ["nanjing.gov.cn"],
    }
    report = open311.report_of(svc, TAXONOMY, "hotline", form)
    assert report["client_event_id"].startswith("open311:")
    assert {k: v for k, v in report.items() if k != "client_event_id"} == {
        "reporter_id": "hotline",
        "category": "hazard.fire",
        "title": "",
        "description": "楼道堆物",
        "occurred_at": "2026-11-28T12:00:00+08:00",
        "reported_at": None,
        "lon": 118.784,
        "lat": 32.041,
        "crs": "wgs84",
        "accuracy_m": None,
        "source": "public",
        "urgency": None,
        "address": "某路 1 号",
        "media": ["/v1/media/" + "0" * 64],
        "attributes": {"blocked_exit": True, "floor": 3},
    }
    stored = store.create_event(svc, report)
    assert stored.created and stored.event["grid"]["community_code"]

    # a value that does not parse reaches the attribute check, which names the field
    wrong = {**form, "attribute[floor]": ["三楼"]}
    with pytest.raises(InvalidInput) as caught:
        store.create_event(svc, open311.report_of(svc, TAXONOMY, "hotline", wrong))
    assert caught.value.field == "attributes.floor"


def test_a_resend_with_a_client_key_keeps_its_time(svc: Gridsvc) -> None:
    svc.clock = lambda: NOW
    form = {
        "service_code": ["hazard.fire"],
        "lat": ["32.0410"],
        "long": ["118.7840"],
        "attribute[client_event_id]": ["12345-0001"],
    }
    first = store.create_event(svc, open311.report_of(svc, TAXONOMY, "hotline", form))
    svc.clock = lambda: NOW + timedelta(minutes=5)
    again = store.create_event(svc, open311.report_of(svc, TAXONOMY, "hotline", form))
    assert (first.created, again.created) == (True, False)
    assert again.event["id"] == first.event["id"]
    assert again.event["occurred_at"] == NOW.isoformat()


def test_a_form_without_a_usable_position_is_refused(svc: Gridsvc) -> None:
    base = {"service_code": ["hazard.fire"]}

    def report(form: open311.Form) -> object:
        return open311.report_of(svc, TAXONOMY, "x", form)

    address = {**base, "address_string": ["玄武大道"]}
    assert _refused(InvalidInput, "open311.no_geocoding", lambda: report(address)).field == "lat"
    assert _refused(InvalidInput, "open311.no_position", lambda: report(base)).field == "lat"
    half = {**base, "lat": ["32.04"]}
    assert _refused(InvalidInput, "open311.half_position", lambda: report(half)).field == "long"
    nan = {**base, "lat": ["nan"], "long": ["118.78"]}
    _refused(InvalidCoordinate, "open311.not_a_number", lambda: report(nan))
    nowhere = {"lat": ["32.04"], "long": ["118.78"]}
    _refused(InvalidInput, "open311.no_service_code", lambda: report(nowhere))
    group = _refused(UnknownCategory, "open311.group", lambda: report({"service_code": ["hazard"]}))
    assert "hazard.fire" in group.msg.params["services"]
    long_text = {**base, "lat": ["32.04"], "long": ["118.78"], "description": ["字" * 4001]}
    too_long = _refused(InvalidInput, "validation.too_long", lambda: report(long_text))
    assert (too_long.field, too_long.msg.params["max_length"]) == ("description", 4000)
    twice = {**base, "lat": ["32.04", "32.05"], "long": ["118.78"]}
    _refused(InvalidInput, "open311.sent_twice", lambda: report(twice))


def test_xml_follows_the_json_shape() -> None:
    body = [
        {
            "service_code": "a",
            "metadata": True,
            "attributes": [{"code": "x", "values": [{"key": 1, "name": "一"}]}],
            "description": None,
            "text": "bad\x01\x0bbytes\u4e00",
        }
    ]
    data = open311.to_xml("services", body)
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<services>')
    root = ET.fromstring(data)
    service = root.find("service")
    assert service is not None
    assert [e.tag for e in service] == [
        "service_code",
        "metadata",
        "attributes",
        "description",
        "text",
    ]
    assert service.findtext("metadata") == "true"
    assert service.findtext("attributes/attribute/values/value/name") == "一"
    assert service.findtext("description") == ""
    assert service.findtext("text") == "bad\ufffd\ufffdbytes一"
    errors = ET.fromstring(open311.to_xml("errors", open311.errors(400, "说明 <&>")))
    assert [(e.findtext("code"), e.findtext("description")) for e in errors] == [
        ("400", "说明 <&>")
    ]
