"""Open311 GeoReport v2 through HTTP: the spec's fields and XML element names, a report
POSTed through Open311 stored as /v1/events stores one (grids assigned), the filters of GET
requests against /v1/events' own, open/closed along the workflow, scopes and redaction, and
every error as the spec's array of {code, description} in JSON and XML."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import pytest
import shapely
from fastapi.testclient import TestClient
from httpx import Response
from shapely.geometry import shape

from api import create_app
from gridsvc.access import create_token
from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from gridsvc.workflow.actions import OPEN_STATES
from tests.api.conftest import bearer

NOW = datetime.fromisoformat("2026-11-28T12:00:00+08:00")
COMMUNITY = "320102002001"  # 玄武区: the grid worker's scope

# the spec's element names, in the spec's order
SERVICE = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]
ATTRIBUTE = [
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
]
REQUEST = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
CREATED = ["service_request_id", "service_notice", "account_id"]


@dataclass
class World:
    svc: Gridsvc
    client: TestClient
    keys: dict[str, str]
    inside: tuple[float, float]  # (lon, lat) WGS-84 inside COMMUNITY

    def v1(self, path: str, role: str = "admin", **params: Any) -> Any:
        r = self.client.get(path, params=params, headers=bearer(self.keys[role]))
        assert r.status_code == 200, r.text
        return r.json()

    def o311(self, path: str, role: str | None = "admin", **params: Any) -> Response:
        if role is not None:
            params["api_key"] = self.keys[role]
        r: Response = self.client.get(f"/open311/v2/{path}", params=params)
        return r

    def post(
        self, role: str = "worker", fmt: str = "json", lang: str = "zh", **fields: Any
    ) -> Response:
        form = {"api_key": self.keys[role], **{k: str(v) for k, v in fields.items()}}
        headers = {"Accept-Language": lang}
        r: Response = self.client.post(f"/open311/v2/requests.{fmt}", data=form, headers=headers)
        return r


@pytest.fixture(scope="module")
def world(module_svc: Gridsvc) -> Iterator[World]:
    svc = module_svc
    svc.clock = lambda: NOW
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    buf = io.BytesIO()
    end = pd.Timestamp("2026-11-28T00:00:00+08:00").to_pydatetime()
    write_events_csv(
        buf, generate_events(units, DEFAULT_MIX, count=900, days=120, seed=11, end=end)
    )
    buf.seek(0)
    import_events(svc, buf, filename="open311.csv", synthetic=True)
    keys = {
        "admin": create_token(svc.db, role="admin", name="o311-admin")[1],
        "analyst": create_token(svc.db, role="analyst", name="o311-analyst")[1],
        "worker": create_token(
            svc.db, role="grid_worker", name="o311-网格员", scope_code=COMMUNITY
        )[1],
        "dispatcher": create_token(
            svc.db, role="dispatcher", name="o311-调度", scope_code="320102"
        )[1],
        "housing": create_token(
            svc.db, role="department", name="o311-住建", department_code="housing"
        )[1],
    }
    with TestClient(create_app(svc.settings, service=svc)) as client:
        unit = client.get(f"/v1/grids/{COMMUNITY}", headers=bearer(keys["admin"])).json()
        point = shape(unit["geometry"]).representative_point()
        assert isinstance(point, shapely.Point)
        yield World(svc, client, keys, (point.x, point.y))


def _xml(r: Response) -> ET.Element:
    assert r.headers["content-type"] == "text/xml; charset=utf-8"
    assert r.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(r.content)


def _json(r: Response, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    return r.json()


def _post_inside(w: World, **fields: Any) -> int:
    lon, lat = w.inside
    r = w.post(**{"service_code": "hazard.fire", "lat": lat, "long": lon, **fields})
    return int(_json(r, 201)[0]["service_request_id"])


# --- services --------------------------------------------------------------------------------


def test_services_are_the_active_categories_with_the_spec_fields(world: World) -> None:
    services = _json(world.o311("services.json"))
    categories = world.v1("/v1/categories")["categories"]
    leaves = [c for c in categories if c["parent_code"]]
    groups = {c["code"]: c["name_zh"] for c in categories if not c["parent_code"]}
    assert [s["service_code"] for s in services] == [c["code"] for c in leaves]
    for s, c in zip(services, leaves, strict=True):
        assert list(s) == SERVICE
        assert s["service_name"] == c["name_zh"]
        assert s["group"] == groups[c["parent_code"]]
        assert s["metadata"] is bool(c["fields"])
        assert s["type"] == "realtime"
        assert c["pinyin_initials"] in s["keywords"].split(", ")


def test_services_xml_has_the_spec_elements(world: World) -> None:
    root = _xml(world.o311("services.xml"))
    services = _json(world.o311("services.json"))
    assert root.tag == "services"
    assert [e.tag for e in root] == ["service"] * len(services)
    for element, s in zip(root, services, strict=True):
        assert [e.tag for e in element] == SERVICE
        texts = {e.tag: e.text for e in element}
        assert texts["service_code"] == s["service_code"]
        assert texts["metadata"] == ("true" if s["metadata"] else "false")
        assert texts["group"] == s["group"]


def test_service_definition_lists_the_category_fields(world: World) -> None:
    category = next(
        c for c in world.v1("/v1/categories")["categories"] if c["code"] == "hazard.old_housing"
    )
    definition = _json(world.o311("services/hazard.old_housing.json"))
    assert list(definition) == ["service_code", "attributes"]
    assert definition["service_code"] == "hazard.old_housing"
    attributes = definition["attributes"]
    assert [a["code"] for a in attributes] == [f["name"] for f in category["fields"]]
    assert [a["order"] for a in attributes] == list(range(1, len(attributes) + 1))
    for a, f in zip(attributes, category["fields"], strict=True):
        assert list(a)[: len(ATTRIBUTE)] == ATTRIBUTE
        assert a["variable"] is True
        assert a["required"] is f["required"]
        assert a["description"] == f["label_zh"]
    facility = attributes[0]
    assert facility["datatype"] == "singlevaluelist"
    field = category["fields"][0]
    assert [v["key"] for v in facility["values"]] == field["choices"]
    assert [v["name"] for v in facility["values"]] == [
        field["choice_labels_zh"][c] for c in field["choices"]
    ]

    root = _xml(world.o311("services/hazard.old_housing.xml"))
    assert root.tag == "service_definition"
    assert [e.tag for e in root] == ["service_code", "attributes"]
    first = root.find("attributes/attribute")
    assert first is not None
    assert [e.tag for e in first] == [*ATTRIBUTE, "values"]
    values = first.findall("values/value")
    assert [v.findtext("key") for v in values] == field["choices"]
    assert all([e.tag for e in v] == ["key", "name"] for v in values)


def test_types_of_attributes(world: World) -> None:
    attributes = _json(world.o311("services/hazard.ebike_charging.json"))["attributes"]
    by_code = {a["code"]: a for a in attributes}
    assert by_code["indoor"]["datatype"] == "singlevaluelist"
    assert by_code["indoor"]["required"] is True
    assert [v["key"] for v in by_code["indoor"]["values"]] == ["true", "false"]
    assert by_code["count"]["datatype"] == "number"
    assert "values" not in by_code["count"]
    assert _json(world.o311("services/environment.sanitation.json"))["attributes"] == []


# --- POST ------------------------------------------------------------------------------------


def test_a_posted_report_is_an_event_with_its_grids(world: World) -> None:
    lon, lat = world.inside
    r = world.post(
        service_code="hazard.ebike_charging",
        lat=lat,
        long=lon,
        description="楼道里有电动车在充电",
        address_string="玄武区某小区 3 栋",
        email="someone@example.com",
        account_id="acc-7",
        **{"attribute[indoor]": "true", "attribute[count]": "3"},
    )
    answer = _json(r, 201)
    assert len(answer) == 1 and list(answer[0]) == CREATED
    assert answer[0]["account_id"] == "acc-7"
    request_id = answer[0]["service_request_id"]
    assert f"事件 {request_id}" in answer[0]["service_notice"]

    event = world.v1(f"/v1/events/{request_id}")
    assert event["grid"]["community_code"] == COMMUNITY
    assert event["category"] == "hazard.ebike_charging"
    assert event["source"] == "public"
    assert event["reporter_id"] == "o311-网格员"
    assert event["attributes"] == {"indoor": True, "count": 3}
    assert event["location"]["address"] == "玄武区某小区 3 栋"
    assert event["occurred_at"] == NOW.isoformat()
    listed = world.v1("/v1/events", grid=COMMUNITY, category="hazard.ebike_charging")
    assert request_id in [f["id"] for f in listed["features"]]

    (shown,) = _json(world.o311(f"requests/{request_id}.json"))
    assert list(shown) == REQUEST
    assert shown["status"] == "open"
    assert shown["service_code"] == "hazard.ebike_charging"
    assert shown["service_name"] == "电动自行车违规充电"
    assert (shown["long"], shown["lat"]) == (lon, lat)
    assert shown["description"] == "楼道里有电动车在充电"
    assert shown["requested_datetime"] == NOW.isoformat()


def test_post_answers_in_xml(world: World) -> None:
    lon, lat = world.inside
    r = world.post(fmt="xml", service_code="hazard.fire", lat=lat, long=lon)
    assert r.status_code == 201
    root = _xml(r)
    assert root.tag == "service_requests"
    (request,) = list(root)
    assert request.tag == "request"
    assert [e.tag for e in request] == CREATED
    assert world.v1(f"/v1/events/{request.findtext('service_request_id')}")["source"] == "public"


def test_a_client_key_makes_a_resend_idempotent_and_a_token(world: World) -> None:
    first = _post_inside(world, **{"attribute[client_event_id]": "hotline-20261128-0001"})
    lon, lat = world.inside
    again = world.post(
        service_code="hazard.fire",
        lat=lat,
        long=lon,
        **{"attribute[client_event_id]": "hotline-20261128-0001"},
    )
    assert _json(again, 200)[0]["service_request_id"] == first
    token = _json(world.o311("tokens/hotline-20261128-0001.json", role="worker"))
    assert token == [{"service_request_id": first, "token": "hotline-20261128-0001"}]
    root = _xml(world.o311("tokens/hotline-20261128-0001.xml", role="worker"))
    assert [e.tag for e in root.iter()] == [
        "service_requests",
        "request",
        "service_request_id",
        "token",
    ]
    # another caller's key is not a token of this one
    assert world.o311("tokens/hotline-20261128-0001.json", role="admin").status_code == 404
    changed = world.post(
        service_code="hazard.fire",
        lat=lat,
        long=lon,
        description="不同的内容",
        **{"attribute[client_event_id]": "hotline-20261128-0001"},
    )
    assert _json(changed, 409)[0]["code"] == 409


def test_reporting_needs_a_reporting_role(world: World) -> None:
    lon, lat = world.inside
    r = world.post(role="analyst", service_code="hazard.fire", lat=lat, long=lon)
    assert _json(r, 403)[0]["code"] == 403


def test_a_photo_of_gridsvc_is_an_absolute_media_url(world: World) -> None:
    photo = "/v1/media/" + "ab" * 32
    request_id = _post_inside(world, media_url=photo)
    (shown,) = _json(world.o311(f"requests/{request_id}.json"))
    assert shown["media_url"] == "http://testserver" + photo
    (redacted,) = _json(world.o311(f"requests/{request_id}.json", role="analyst"))
    assert redacted["media_url"] is None


# --- GET requests ----------------------------------------------------------------------------


def _ids(r: Response) -> set[int]:
    return {int(x["service_request_id"]) for x in _json(r)}


def _v1_ids(w: World, role: str = "admin", **params: Any) -> set[int]:
    features = w.v1("/v1/events", role=role, limit=1000, **params)["features"]
    assert len(features) < 1000  # the whole selection, not a page of it
    return {int(f["id"]) for f in features}


def _iso(t: datetime) -> str:
    return t.isoformat()


def test_each_filter_selects_what_v1_selects(world: World) -> None:
    window = {"from": _iso(NOW - timedelta(days=90))}  # the spec's default window
    everything = _ids(world.o311("requests.json"))
    assert everything == _v1_ids(world, **window)
    assert 100 < len(everything) < 1000

    code = _ids(world.o311("requests.json", service_code="hazard.fire,dispute.neighbour"))
    assert code == _v1_ids(world, category="hazard.fire,dispute.neighbour", **window)
    assert 0 < len(code) < len(everything)
    group = _ids(world.o311("requests.json", service_code="hazard"))
    assert group == _v1_ids(world, category="hazard", **window)

    opened = _ids(world.o311("requests.json", status="open"))
    assert opened == _v1_ids(world, status=",".join(OPEN_STATES), **window)
    closed = _ids(world.o311("requests.json", status="closed"))
    assert closed == _v1_ids(world, status="closed,rejected,merged", **window)
    assert opened | closed == everything and not opened & closed

    start, end = "2026-10-01T00:00:00+08:00", "2026-10-15T23:59:59+08:00"
    dated = _ids(world.o311("requests.json", start_date=start, end_date=end))
    # end_date is included: /v1's `to` excludes, so one microsecond later
    assert dated == _v1_ids(world, **{"from": start, "to": "2026-10-15T23:59:59.000001+08:00"})
    assert 0 < len(dated) < len(everything)
    utc = _ids(world.o311("requests.json", start_date="2026-09-30T16:00:00Z", end_date=end))
    assert utc == dated
    # a date alone is the city's whole day
    days = _ids(world.o311("requests.json", start_date="2026-10-01", end_date="2026-10-15"))
    assert days == _v1_ids(world, **{"from": start, "to": "2026-10-16T00:00:00+08:00"})

    # start alone: 90 days from it; older events than the default window are found so
    old = _ids(world.o311("requests.json", start_date="2026-08-01T00:00:00+08:00"))
    assert old == _v1_ids(
        world, **{"from": "2026-08-01T00:00:00+08:00", "to": "2026-10-30T00:00:00.000001+08:00"}
    )
    assert old - everything

    some = sorted(everything)[:3]
    chosen = world.o311("requests.json", service_request_id=",".join(map(str, some)), status="x")
    assert _ids(chosen) == set(some)  # service_request_id overrides the other filters


def test_requests_xml_has_the_spec_elements(world: World) -> None:
    root = _xml(world.o311("requests.xml", service_code="hazard.fire"))
    listed = _json(world.o311("requests.json", service_code="hazard.fire"))
    assert root.tag == "service_requests"
    assert [e.tag for e in root] == ["request"] * len(listed) and listed
    for element, item in zip(root, listed, strict=True):
        assert [e.tag for e in element] == REQUEST
        assert element.findtext("service_request_id") == str(item["service_request_id"])
        assert element.findtext("status") == item["status"]


def test_open_until_the_workflow_closes(world: World) -> None:
    request_id = _post_inside(world)
    h = bearer(world.keys["admin"])

    def act(action: str, **body: Any) -> None:
        r = world.client.post(
            f"/v1/events/{request_id}/actions", json={"action": action, **body}, headers=h
        )
        assert r.status_code == 200, r.text

    def shown() -> dict[str, Any]:
        (one,) = _json(world.o311(f"requests/{request_id}.json"))
        return dict(one)

    assert shown()["expected_datetime"] is None
    act("accept")
    act("dispatch", departments=["housing"])
    dispatched = shown()
    housing = next(d for d in world.v1("/v1/departments")["departments"] if d["code"] == "housing")
    assert dispatched["status"] == "open"
    assert dispatched["agency_responsible"] == housing["name_zh"]
    due = world.v1(f"/v1/events/{request_id}")["deadlines"]["resolve_due_at"]
    assert dispatched["expected_datetime"] == due is not None
    act("resolve", department="housing", note="已清理楼道")
    assert shown()["status"] == "open"  # until verified and closed
    assert shown()["status_notes"] == "已清理楼道"
    act("verify")
    act("close", note="核查无误，结案")
    closed = shown()
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "核查无误，结案"
    assert closed["updated_datetime"] is not None
    assert request_id in _ids(world.o311("requests.json", status="closed"))
    assert request_id not in _ids(world.o311("requests.json", status="open"))


def test_a_grid_worker_sees_its_scope_only(world: World) -> None:
    window = {"from": _iso(NOW - timedelta(days=90))}
    mine = _json(world.o311("requests.json", role="worker", extensions="true"))
    assert mine
    assert {m["extended_attributes"]["community_code"] for m in mine} == {COMMUNITY}
    assert {m["service_request_id"] for m in mine} == _v1_ids(world, role="worker", **window)
    everything = _ids(world.o311("requests.json"))
    outside = min(everything - {m["service_request_id"] for m in mine})
    r = world.o311(f"requests/{outside}.json", role="worker")
    assert _json(r, 403) == [{"code": 403, "description": r.json()[0]["description"]}]
    # a list by ids leaves out what the worker may not see
    both = f"{outside},{mine[0]['service_request_id']}"
    listed = _ids(world.o311("requests.json", role="worker", service_request_id=both))
    assert listed == {mine[0]["service_request_id"]}
    # a department sees what is dispatched to it
    housing = _ids(world.o311("requests.json", role="housing"))
    assert housing == _v1_ids(world, role="housing", **window)


def test_analysts_see_what_v1_shows_them(world: World) -> None:
    request_id = _post_inside(world, description="住户电话 138xxxx", address_string="某楼 101")
    (admin,) = _json(world.o311(f"requests/{request_id}.json"))
    (analyst,) = _json(world.o311(f"requests/{request_id}.json", role="analyst"))
    assert admin["description"] == "住户电话 138xxxx" and admin["address"] == "某楼 101"
    assert analyst["description"] is None and analyst["address"] is None
    window = {"from": _iso(NOW - timedelta(days=90))}
    sensitive = _json(world.o311("requests.json", role="analyst", service_code="dispute.family"))
    assert sensitive
    v1 = {
        f["id"]: f["geometry"]["coordinates"]
        for f in world.v1("/v1/events", role="analyst", category="dispute.family", **window)[
            "features"
        ]
    }
    for item in sensitive:
        assert [item["long"], item["lat"]] == v1[item["service_request_id"]]
        assert item["lat"] == round(item["lat"], 2) and item["description"] is None


def test_extended_attributes_carry_the_grid_units(world: World) -> None:
    request_id = _post_inside(world, **{"attribute[blocked_exit]": "true"})
    (plain,) = _json(world.o311(f"requests/{request_id}.json"))
    assert "extended_attributes" not in plain
    (item,) = _json(world.o311(f"requests/{request_id}.json", extensions="true"))
    ext = item["extended_attributes"]
    event = world.v1(f"/v1/events/{request_id}")
    for level in ("district", "street", "community"):
        code = event["grid"][f"{level}_code"]
        assert ext[f"{level}_code"] == code
        assert ext[f"{level}_name"] == world.v1(f"/v1/grids/{code}")["name"]
    assert ext["workflow_status"] == "reported"
    label = "消防通道或安全出口是否被堵塞"  # the field's label_zh
    assert ext["attributes"] == [{"code": "blocked_exit", "description": label, "value": True}]
    root = _xml(world.o311(f"requests/{request_id}.xml", extensions="true"))
    found = root.find("request/extended_attributes")
    assert found is not None
    assert found.findtext("community_code") == COMMUNITY
    assert found.findtext("attributes/attribute/value") == "true"


# --- errors ----------------------------------------------------------------------------------


def _error_cases(w: World) -> dict[str, tuple[int, Any]]:
    lon, lat = w.inside
    return {
        "no key": (401, lambda fmt: w.o311(f"requests.{fmt}", role=None)),
        "unknown key": (
            401,
            lambda fmt: w.client.get(f"/open311/v2/services.{fmt}", params={"api_key": "gsk_x"}),
        ),
        "bad service_code": (
            404,
            lambda fmt: w.post(fmt=fmt, service_code="hazard.fir", lat=lat, long=lon),
        ),
        "outside Nanjing": (
            400,
            lambda fmt: w.post(fmt=fmt, service_code="hazard.fire", lat=39.9042, long=116.4074),
        ),
        "missing lat/long": (
            400,
            lambda fmt: w.post(fmt=fmt, service_code="hazard.fire", address_string="玄武大道 1 号"),
        ),
        "bad date": (400, lambda fmt: w.o311(f"requests.{fmt}", start_date="yesterday")),
        "naive date": (400, lambda fmt: w.o311(f"requests.{fmt}", end_date="2026-11-01T00:00")),
        "over 90 days": (
            400,
            lambda fmt: w.o311(f"requests.{fmt}", start_date="2026-01-01", end_date="2026-06-01"),
        ),
        "unknown service": (404, lambda fmt: w.o311(f"services/nothing.{fmt}")),
        "unknown request": (404, lambda fmt: w.o311(f"requests/99999999.{fmt}")),
        "not a request id": (404, lambda fmt: w.o311(f"requests/%C2%B2.{fmt}")),
        "unknown path": (404, lambda fmt: w.o311(f"service.{fmt}")),
    }


CASES = [
    "no key",
    "unknown key",
    "bad service_code",
    "outside Nanjing",
    "missing lat/long",
    "bad date",
    "naive date",
    "over 90 days",
    "unknown service",
    "unknown request",
    "not a request id",
    "unknown path",
]


@pytest.mark.parametrize("case", CASES)
def test_errors_are_the_spec_array_in_json_and_xml(world: World, case: str) -> None:
    status, send = _error_cases(world)[case]
    body = _json(send("json"), status)
    assert isinstance(body, list) and len(body) == 1
    assert list(body[0]) == ["code", "description"]
    assert body[0]["code"] == status and body[0]["description"]
    r = send("xml")
    assert r.status_code == status
    root = _xml(r)
    assert root.tag == "errors"
    assert [e.tag for e in root] == ["error"]
    assert [e.tag for e in root[0]] == ["code", "description"]
    assert root[0].findtext("code") == str(status)
    # the same words (an unknown path names itself, extension and all)
    described = root[0].findtext("description") or ""
    assert described.replace(".xml", ".json") == body[0]["description"]
    if status == 401:
        assert r.headers["www-authenticate"] == "Bearer"


def test_error_descriptions_say_what_to_fix_in_the_callers_language(world: World) -> None:
    lon, lat = world.inside
    no_position = {"service_code": "hazard.fire", "address_string": "某路"}
    r = world.post(lang="en", **no_position)
    assert r.headers["content-language"] == "en"
    (missing,) = _json(r, 400)
    assert missing["description"].startswith("lat and long are needed")
    r = world.post(lang="zh-CN,zh;q=0.9", **no_position)
    assert r.headers["content-language"] == "zh-CN"
    assert _json(r, 400)[0]["description"].startswith("需要 lat 和 long")
    (outside,) = _json(world.post(lang="en", service_code="hazard.fire", lat=39.9, long=116.4), 400)
    assert "outside every grid" in outside["description"]
    (group,) = _json(world.post(lang="en", service_code="hazard", lat=lat, long=lon), 404)
    assert "is a group" in group["description"] and "hazard.fire" in group["description"]
    (json_body,) = _json(
        world.client.post(
            "/open311/v2/requests.json",
            json={"service_code": "hazard.fire"},
            params={"api_key": world.keys["worker"]},
        ),
        400,
    )
    assert "x-www-form-urlencoded" in json_body["description"]


def test_a_wrong_method_is_405_in_the_spec_shape(world: World) -> None:
    r = world.client.delete("/open311/v2/services.json")
    assert _json(r, 405)[0]["code"] == 405
    assert r.headers["allow"] == "GET"


def test_a_bearer_header_works_as_the_api_key(world: World) -> None:
    r = world.client.get("/open311/v2/services.json", headers=bearer(world.keys["analyst"]))
    assert len(_json(r)) == len(_json(world.o311("services.json")))
