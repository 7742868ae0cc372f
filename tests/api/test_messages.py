"""Every 4xx answer in Chinese and in English, by Accept-Language (issue #22).

Each case sends one wrong request twice — ``Accept-Language: zh-CN`` and ``en`` — and checks
both answers: the same status, ``error`` kind, ``message_id`` and ``field``; the message and
hint in each language are the catalogue's template of that id filled in (so a message that is
not from the catalogue, or pydantic's own words, fail); the Chinese one has Chinese words. The
app runs with the product's default language (zh-CN), which the last tests check.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from api import create_app
from api.schemas import ErrorOut
from gridsvc.access import create_token
from gridsvc.events.taxonomy_file import default_taxonomy
from gridsvc.messages import CONTENT_LANGUAGE, MESSAGES
from gridsvc.service import Gridsvc
from gridsvc.settings import CitySettings, EventSettings, SecuritySettings, Settings
from tests.api.conftest import bearer

XUANWU = (118.7840, 32.0410)  # WGS-84, inside 玄武区
CJK = re.compile(r"[\u4e00-\u9fff]")
# what pydantic, FastAPI and the old answers said; never again in a message
FOREIGN = ("Input should", "Field required", "(got dict)", "see /docs", "value_error", "JSON input")


def _pattern(template: str) -> re.Pattern[str]:
    """A template as a regular expression: its text literally, any text per placeholder."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append("(.*?)")
    return re.compile("".join(parts), re.S)


def _has_words(template: str) -> bool:
    """Whether a template says something of its own (``{actions:list}`` alone would match
    any text at all)."""
    literal = "".join(part[0] for part in string.Formatter().parse(template))
    return len(literal.strip(" .,;:、，。；：")) >= 2


_TEMPLATES = {
    lang: [
        _pattern(t)
        for e in MESSAGES.values()
        for k, t in e.items()
        if k.endswith(lang) and _has_words(t)
    ]
    for lang in ("en", "zh")
}


def catalogued(text: str, lang: str, msg_id: str | None = None) -> bool:
    """Whether ``text`` is the catalogue's ``msg_id`` (or any entry) filled in."""
    if msg_id is not None:
        return _pattern(MESSAGES[msg_id][lang]).fullmatch(text) is not None  # type: ignore[literal-required]
    return any(p.fullmatch(text) for p in _TEMPLATES[lang])


def settings_with(svc: Gridsvc, **parts: Any) -> Settings:
    """The test database's settings with the product's city (and language) defaults."""
    return svc.settings.model_copy(update={"city": CitySettings(), **parts})


_ids = itertools.count()


def report(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_event_id": f"msg-{next(_ids)}",
        "category": "hazard.fire",
        "title": "楼道堆放杂物",
        "occurred_at": "2026-11-20T09:30:00+08:00",
        "lon": XUANWU[0],
        "lat": XUANWU[1],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


@dataclass
class World:
    svc: Gridsvc
    client: TestClient
    h: dict[str, dict[str, str]]
    event_id: int

    def send(self, role: str | None, method: str, path: str, lang: dict[str, str], **kw: Any):  # type: ignore[no-untyped-def]
        headers = {**(self.h[role] if role else {}), **lang, **kw.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kw)


@pytest.fixture(scope="module")
def world(module_svc: Gridsvc) -> Iterator[World]:
    tokens = {
        "admin": create_token(module_svc.db, role="admin", name="msg-admin")[1],
        "worker": create_token(
            module_svc.db, role="grid_worker", name="msg-worker", scope_code="320113001"
        )[1],
        "analyst": create_token(module_svc.db, role="analyst", name="msg-analyst")[1],
    }
    h = {role: bearer(token) for role, token in tokens.items()}
    with TestClient(create_app(settings_with(module_svc), service=module_svc)) as client:
        created = client.post("/v1/events", json=report(), headers=h["admin"])
        assert created.status_code == 201, created.text
        yield World(module_svc, client, h, created.json()["event"]["id"])


LANGS = {"zh": {"Accept-Language": "zh-CN,zh;q=0.9"}, "en": {"Accept-Language": "en-US,en;q=0.8"}}


def both(
    send: Callable[[dict[str, str]], Response], status: int, error: str, msg_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The answers in Chinese and English to the same request, checked against each other
    and the catalogue."""
    bodies = {}
    for lang, header in LANGS.items():
        r = send(header)
        assert r.status_code == status, (lang, r.text)
        assert r.headers["content-type"].startswith("application/json")
        assert r.headers["content-language"] == CONTENT_LANGUAGE[lang]  # type: ignore[index]
        body = r.json()
        ErrorOut.model_validate(body)
        assert body["error"] == error and body["message_id"] == msg_id, body
        assert catalogued(body["message"], lang, msg_id), (lang, body["message"])
        if body.get("hint"):
            own = MESSAGES[msg_id].get("hint_" + lang)
            mine = own is not None and _pattern(own).fullmatch(body["hint"]) is not None
            assert mine or catalogued(body["hint"], lang), (lang, body["hint"])
        for word in FOREIGN:
            assert word not in body["message"] + (body.get("hint") or ""), (word, body)
        bodies[lang] = body
    zh, en = bodies["zh"], bodies["en"]
    assert CJK.search(zh["message"]), zh
    assert not zh.get("hint") or CJK.search(zh["hint"]), zh
    assert zh["message"] != en["message"]
    assert zh.get("field") == en.get("field") and bool(zh.get("hint")) == bool(en.get("hint"))
    return zh, en


Send = Callable[[World, dict[str, str]], Response]


def _post_event(role: str = "admin", **changes: Any) -> Send:
    return lambda w, lang: w.send(role, "POST", "/v1/events", lang, json=report(**changes))


def _get(path: str, role: str | None = "admin", **params: Any) -> Send:
    return lambda w, lang: w.send(role, "GET", path, lang, params=params)


def _action(**body: Any) -> Send:
    return lambda w, lang: w.send(
        "admin", "POST", f"/v1/events/{w.event_id}/actions", lang, json=body
    )


def _upload(name: str, data: bytes) -> Send:
    return lambda w, lang: w.send(
        "admin", "POST", "/v1/imports", lang, files={"file": (name, data)}
    )


_TOMORROW = (datetime.now(UTC) + timedelta(days=1)).isoformat(timespec="seconds")

# (status, error kind, message id, the request); at least one per error class and module
CASES: dict[str, tuple[int, str, str, Send]] = {
    # request validation (api.errors): pydantic's error types in our words
    "missing": (422, "InvalidInput", "validation.missing", _post_event(occurred_at=None)),
    "too_long": (422, "InvalidInput", "validation.too_long", _post_event(title="长" * 201)),
    "empty": (422, "InvalidInput", "validation.empty", _post_event(client_event_id="")),
    "extra": (422, "InvalidInput", "validation.extra", _post_event(colour="red")),
    "number": (422, "InvalidInput", "validation.number", _post_event(lon="东经")),
    "object": (422, "InvalidInput", "validation.object", _post_event(attributes=[1])),
    "text": (422, "InvalidInput", "validation.text", _post_event(title=7)),
    "nul": (422, "InvalidInput", "validation.nul", _post_event(title="a\x00b")),
    "many_items": (422, "InvalidInput", "validation.many_items", _post_event(media=["m"] * 21)),
    "at_least": (422, "InvalidInput", "validation.at_least", _post_event(accuracy_m=-1)),
    "integer": (422, "InvalidInput", "validation.integer", _get("/v1/events", limit="many")),
    "at_most": (422, "InvalidInput", "validation.at_most", _get("/v1/events", limit=5000)),
    "boolean": (422, "InvalidInput", "validation.boolean", _get("/v1/events", overdue="maybe")),
    "choice": (
        422,
        "InvalidInput",
        "validation.choice",
        _get("/v1/stats/timeseries", grid="320102", interval="year"),
    ),
    "json": (
        422,
        "InvalidInput",
        "validation.json",
        lambda w, lang: w.send(
            "admin",
            "POST",
            "/v1/events",
            lang,
            content=b'{"lon": 1,',
            headers={"content-type": "application/json"},
        ),
    ),
    # what Starlette refuses, and the router's own checks (api.errors, api.params)
    "no_path": (404, "NotFound", "http.no_path", _get("/v1/no-such-thing")),
    "method": (
        405,
        "MethodNotAllowed",
        "http.method",
        lambda w, lang: w.send("admin", "DELETE", "/v1/categories", lang),
    ),
    "unknown_params": (400, "InvalidInput", "http.unknown_params", _get("/v1/events", catgory="x")),
    "param_nul": (400, "InvalidInput", "http.param_nul", _get("/v1/events", grid="3201\x00")),
    # the checks of a report (gridsvc.events.rows, store)
    "unknown_category": (
        400,
        "InvalidInput",
        "report.unknown_category",
        _post_event(category="hazard.fier"),
    ),
    "no_zone": (400, "InvalidInput", "report.no_zone", _post_event(occurred_at="2026-11-20T09:30")),
    "future": (400, "InvalidInput", "report.future", _post_event(occurred_at=_TOMORROW)),
    "urgency": (400, "InvalidInput", "report.unknown_urgency", _post_event(urgency="high")),
    "date_range": (
        422,
        "DateOutOfRange",
        "report.time_out_of_range",
        _post_event(occurred_at="1899-12-31T09:30:00+08:00"),
    ),
    "attribute": (
        400,
        "InvalidInput",
        "attr.wrong",
        _post_event(attributes={"blocked_exit": 1}),
    ),
    "reports_as": (403, "Forbidden", "event.reports_as", _post_event("worker", reporter_id="x")),
    "may_not_report": (403, "Forbidden", "access.may_not", _post_event("analyst")),
    "swapped": (
        400,
        "InvalidCoordinate",
        "coord.out_of_range",
        _post_event(lon=XUANWU[1], lat=XUANWU[0]),
    ),
    # reading events (gridsvc.events.store, api.routes.events)
    "event_not_found": (404, "NotFound", "event.not_found", _get("/v1/events/999999")),
    "out_of_scope": (
        403,
        "Forbidden",
        "event.out_of_scope",
        lambda w, lang: w.send("worker", "GET", f"/v1/events/{w.event_id}", lang),
    ),
    "grid_code": (400, "InvalidInput", "event.not_grid_code", _get("/v1/events", grid="abc")),
    "bbox": (400, "InvalidInput", "event.bbox_numbers", _get("/v1/events", bbox="118,32,119")),
    "cursor": (400, "InvalidInput", "event.bad_cursor", _get("/v1/events", after="12345")),
    "bbox_order": (
        400,
        "InvalidInput",
        "event.bbox_order",
        _get("/v1/events", bbox="119,32,118,33"),
    ),
    "time_not_iso": (
        400,
        "InvalidInput",
        "event.time_not_iso",
        _get("/v1/events", **{"from": "x"}),
    ),
    "choice_filter": (
        400,
        "InvalidInput",
        "common.unknown_choice",
        _get("/v1/events", urgency="high"),
    ),
    "unknown_category_filter": (
        400,
        "UnknownCategory",
        "category.unknown",
        _get("/v1/events", category="nothing"),
    ),
    # who may do what (gridsvc.access, api.deps)
    "no_token": (401, "Unauthenticated", "access.no_token", _get("/v1/events", role=None)),
    "not_bearer": (
        401,
        "Unauthenticated",
        "access.not_bearer",
        lambda w, lang: w.send(None, "GET", "/v1/events", lang, headers={"Authorization": "Tok"}),
    ),
    "bad_token": (
        401,
        "Unauthenticated",
        "access.bad_token",
        lambda w, lang: w.send(None, "GET", "/v1/events", lang, headers=bearer("gsk_nope")),
    ),
    # grids and locating (gridsvc.service, crs, grids)
    "outside": (404, "OutsideAllGrids", "locate.outside", _get("/v1/locate", lon=100.0, lat=30.0)),
    "crs": (
        400,
        "UnknownCrs",
        "crs.unknown",
        _get("/v1/locate", lon=118.78, lat=32.04, crs="mercator"),
    ),
    "not_finite": (
        400,
        "InvalidCoordinate",
        "coord.not_finite",
        _get("/v1/locate", lon="nan", lat=32),
    ),
    "unknown_grid": (404, "UnknownGrid", "grid.unknown_code", _get("/v1/grids/999")),
    "unknown_level": (
        400,
        "UnknownLevel",
        "grid.unknown_level",
        _get("/v1/grids", level="village"),
    ),
    "too_many_points": (
        400,
        "InvalidInput",
        "locate.too_many",
        lambda w, lang: w.send(
            "admin", "POST", "/v1/locate", lang, json={"points": [[118.78, 32.04]] * 10_001}
        ),
    ),
    # statistics (gridsvc.stats, api.routes.stats)
    "citywide": (403, "Forbidden", "stats.citywide", _get("/v1/stats/grids", role="worker")),
    "stats_level": (400, "InvalidInput", "stats.level", _get("/v1/stats/grids", level="grid")),
    "empty_range": (
        400,
        "InvalidInput",
        "stats.empty_range",
        _get("/v1/stats/grids", **{"from": "2026-02-01", "to": "2026-01-01"}),
    ),
    "day_range": (
        422,
        "DateOutOfRange",
        "dates.out_of_range",
        _get("/v1/stats/grids", **{"from": "1800-01-01"}),
    ),
    "needs_period": (
        400,
        "InvalidInput",
        "stats.needs_period",
        _get("/v1/stats/compare", base_from="2026-01-01", base_to="2026-02-01"),
    ),
    "hotspot_units": (
        400,
        "InvalidInput",
        "hotspot.min_units",
        _get("/v1/stats/hotspots", level="district"),
    ),
    # maps (gridsvc.maps, api.routes.maps)
    "tianditu": (
        400,
        "InvalidInput",
        "map.tianditu_key",
        _get("/v1/maps/heatmap", tiles="tianditu"),
    ),
    "png_tiles": (
        400,
        "InvalidInput",
        "map.png_tiles",
        _get("/v1/maps/heatmap", format="png", tiles="osm"),
    ),
    "periods": (
        400,
        "InvalidInput",
        "map.too_many_periods",
        _get("/v1/maps/timeline", step="day", **{"from": "2020-01-01", "to": "2026-01-01"}),
    ),
    "asset": (404, "NotFound", "map.no_asset", _get("/static/maps/nothing.js")),
    # the workflow (gridsvc.workflow)
    "action": (400, "InvalidInput", "action.unknown", _action(action="fly")),
    "note": (400, "InvalidInput", "action.needs_note", _action(action="reject")),
    "transition": (409, "TransitionNotAllowed", "action.not_now", _action(action="close")),
    "stale": (409, "StaleVersion", "action.stale", _action(action="accept", row_version=99)),
    "merge_itself": (
        400,
        "InvalidInput",
        "action.merge_itself",
        lambda w, lang: w.send(
            "admin",
            "POST",
            f"/v1/events/{w.event_id}/actions",
            lang,
            json={"action": "merge", "into": w.event_id},
        ),
    ),
    # imports (gridsvc.events.importer, api.routes.imports)
    "import_format": (400, "InvalidInput", "import.format_of_name", _upload("x.xls", b"a")),
    "import_header": (400, "InvalidInput", "import.header_lacks", _upload("x.csv", b"a,b\n1,2\n")),
    "import_binary": (400, "InvalidInput", "import.binary", _upload("x.csv", b"lon\x00lat")),
    "import_json": (400, "InvalidInput", "import.not_json", _upload("x.geojson", b"{broken")),
    "import_not_found": (404, "NotFound", "import.not_found", _get("/v1/imports/999999")),
    # photos (gridsvc.media)
    "media_empty": (
        400,
        "InvalidInput",
        "media.empty",
        lambda w, lang: w.send("admin", "POST", "/v1/media", lang, files={"file": ("a.jpg", b"")}),
    ),
    "media_kind": (
        415,
        "UnsupportedMedia",
        "media.not_a_photo",
        lambda w, lang: w.send(
            "admin", "POST", "/v1/media", lang, files={"file": ("a.jpg", b"GIF89a not a photo")}
        ),
    ),
    "media_id": (404, "NotFound", "media.bad_id", _get("/v1/media/nope")),
    "media_not_found": (404, "NotFound", "media.not_found", _get(f"/v1/media/{'0' * 64}")),
    # embeds (gridsvc.embeds)
    "embed_kind": (
        400,
        "InvalidInput",
        "common.unknown_choice",
        lambda w, lang: w.send(
            "admin", "POST", "/v1/embeds", lang, json={"kind": "globe", "title": "地图"}
        ),
    ),
    "embed_params": (
        400,
        "InvalidInput",
        "embed.unknown_params",
        lambda w, lang: w.send(
            "admin",
            "POST",
            "/v1/embeds",
            lang,
            json={"kind": "heatmap", "title": "地图", "params": {"colour": "red"}},
        ),
    ),
    "embed_cells": (
        400,
        "InvalidInput",
        "embed.heat_cells",
        lambda w, lang: w.send(
            "admin",
            "POST",
            "/v1/embeds",
            lang,
            json={"kind": "heatmap", "title": "地图", "params": {"cell_m": 100}},
        ),
    ),
    "embed_revoked": (
        404,
        "NotFound",
        "embed.not_found",
        lambda w, lang: w.send("admin", "DELETE", "/v1/embeds/999999", lang),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_message_in_both_languages(world: World, case: str) -> None:
    status, error, msg_id, send = CASES[case]
    both(lambda lang: send(world, lang), status, error, msg_id)


def test_every_error_class_raised_over_http_is_covered() -> None:
    kinds = {error for _, error, _, _ in CASES.values()}
    assert {
        "InvalidInput",
        "InvalidCoordinate",
        "UnknownCrs",
        "DateOutOfRange",
        "UnknownLevel",
        "UnknownCategory",
        "NotFound",
        "UnknownGrid",
        "OutsideAllGrids",
        "Unauthenticated",
        "Forbidden",
        "TransitionNotAllowed",
        "StaleVersion",
        "UnsupportedMedia",
    } <= kinds
    prefixes = {msg_id.split(".")[0] for _, _, msg_id, _ in CASES.values()}
    assert {
        "validation", "http", "report", "event", "category", "attr", "access", "coord",
        "crs", "locate", "grid", "stats", "dates", "hotspot", "map", "action", "import",
        "media", "embed", "common",
    } <= prefixes  # fmt: skip


# --- the examples ----------------------------------------------------------------


def test_a_missing_time_says_the_forms_label(world: World) -> None:
    zh, en = both(
        lambda lang: _post_event(occurred_at=None)(world, lang),
        422,
        "InvalidInput",
        "validation.missing",
    )
    assert zh["message"] == "缺少发生时间。" and zh["field"] == "occurred_at"
    assert zh["hint"] == "请填写发生时间后重新提交。"
    assert en["message"] == "The time of the event (occurred_at) is missing."
    problem = zh["details"]["problems"][0]
    assert problem == {
        "field": "occurred_at",
        "message_id": "validation.missing",
        "message": "缺少发生时间。",
        "value": str(en["details"]["problems"][0]["value"]),
    }


def test_an_unknown_category_is_answered_with_names_and_codes(world: World) -> None:
    fire = default_taxonomy().get("hazard.fire")
    zh, en = both(
        lambda lang: _post_event(category="hazard.fier")(world, lang),
        400,
        "InvalidInput",
        "report.unknown_category",
    )
    assert zh["message"].startswith("没有“hazard.fier”这个事件类别。您是否要选：")
    assert f"{fire.name_zh}（hazard.fire）" in zh["message"]
    assert f"'hazard.fire' ({fire.name_en})" in en["message"]
    assert zh["field"] == "category"


def test_a_swapped_point_names_the_community_it_falls_in(world: World) -> None:
    unit = world.svc.locate(*XUANWU).units[0]
    zh, en = both(
        lambda lang: _post_event(lon=XUANWU[1], lat=XUANWU[0])(world, lang),
        400,
        "InvalidCoordinate",
        "coord.out_of_range",
    )
    assert f"{unit.name}（{unit.code}）" in zh["hint"] and "填反" in zh["hint"]
    assert f"{unit.name} ({unit.code})" in en["hint"] and "swapped" in en["hint"]
    assert zh["field"] == "lat"


def test_a_pydantic_choice_names_the_choices_in_chinese(world: World) -> None:
    zh, en = both(
        lambda lang: CASES["choice"][3](world, lang), 422, "InvalidInput", "validation.choice"
    )
    assert "日（day）、周（week）或月（month）" in zh["message"]
    assert "时间间隔" in zh["message"]
    assert "'day', 'week' or 'month'" in en["message"]


# --- rejected rows of an import ------------------------------------------------------------


def test_an_imports_rejected_rows_are_in_the_readers_language(world: World) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["client_event_id", "category", "occurred_at", "lon", "lat"])
    writer.writerow(["r1", "hazard.fier", "2026-11-20T09:30:00+08:00", *XUANWU])
    writer.writerow(["r2", "hazard.fire", "2026-11-20T09:30:00", *XUANWU])
    writer.writerow(["r3", "hazard.fire", "2026-11-20T09:30:00+08:00", "东经", XUANWU[1]])
    writer.writerow(["r4", "hazard.fire", "2026-11-20T09:30:00+08:00", *XUANWU])
    data = out.getvalue().encode()
    answers = {}
    for lang, header in LANGS.items():
        r = world.send("admin", "POST", "/v1/imports", header, files={"file": ("r.csv", data)})
        assert r.status_code == 201, r.text
        body = r.json()
        assert body["rejected"] == 3
        for rejection in body["rejections"]:
            assert catalogued(rejection["reason"], lang, rejection["message_id"]), rejection
        answers[lang] = body
        # the report of rejections kept with the import is in the language it was made in
        text = world.send(
            "admin", "GET", f"/v1/imports/{body['import_id']}/rejections", header
        ).text
        rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        assert [row["reason"] for row in rows] == [j["reason"] for j in body["rejections"]]
    zh, en = answers["zh"]["rejections"], answers["en"]["rejections"]
    assert [j["message_id"] for j in zh] == [
        "report.unknown_category",
        "report.no_zone",
        "report.not_a_number",
    ]
    assert [j["message_id"] for j in en] == [j["message_id"] for j in zh]
    assert all(CJK.search(j["reason"]) for j in zh)
    assert "发生时间" in zh[1]["reason"] and "经度" in zh[2]["reason"]
    assert "no time zone" in en[1]["reason"] and "not a number" in en[2]["reason"]


# --- Accept-Language and the default ------------------------------------------------------


def test_the_default_is_chinese_and_unknown_languages_get_it(world: World) -> None:
    assert CitySettings().language == "zh-CN"  # the product's default (tests' is English)
    for headers in ({}, {"Accept-Language": "fr-FR, de;q=0.8"}, {"Accept-Language": "*"}):
        r = world.send(None, "GET", "/v1/events", headers)
        assert r.status_code == 401 and r.headers["content-language"] == "zh-CN", headers
        assert r.json()["message"] == "此接口需要令牌。"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("en", "en"),
        ("zh-Hans-CN", "zh"),
        ("zh-TW", "zh"),
        ("fr, en;q=0.5", "en"),
        ("en;q=0.4, zh;q=0.6", "zh"),
        ("zh;q=0.2, en;q=0.9", "en"),
        ("en;q=0, *;q=0.1", "zh"),
    ],
)
def test_accept_language_is_negotiated_with_q_values(world: World, header: str, lang: str) -> None:
    r = world.send(None, "GET", "/v1/events", {"Accept-Language": header})
    assert r.headers["content-language"] == CONTENT_LANGUAGE[lang]  # type: ignore[index]
    assert catalogued(r.json()["message"], lang, "access.no_token")


def test_the_setting_chooses_the_default(module_svc: Gridsvc) -> None:
    english = module_svc.settings.model_copy(update={"city": CitySettings(language="en")})
    with TestClient(create_app(english, service=module_svc)) as client:
        plain = client.get("/v1/events")
        asked = client.get("/v1/events", headers={"Accept-Language": "zh-CN"})
    assert plain.headers["content-language"] == "en"
    assert plain.json()["message"] == "This endpoint needs a token."
    assert asked.headers["content-language"] == "zh-CN"
    assert asked.json()["message"] == "此接口需要令牌。"
    with pytest.raises(ValueError, match="zh-CN"):
        CitySettings(language="fr")


def test_middleware_refusals_speak_both_languages(world: World) -> None:
    module_svc, admin = world.svc, world.h["admin"]
    small = settings_with(module_svc, events=EventSettings(max_body_bytes=2_000))
    with TestClient(create_app(small, service=module_svc)) as client:
        big = json.dumps(report(description="长" * 3_000))
        zh, en = both(
            lambda lang: client.post(
                "/v1/events",
                content=big,
                headers={**lang, "content-type": "application/json"},
            ),
            413,
            "PayloadTooLarge",
            "limits.body",
        )
        assert "2,000" in zh["message"] and "2,000" in en["message"]
    slow = settings_with(
        module_svc, security=SecuritySettings(rate_limit_per_s=0.01, rate_limit_burst=1)
    )
    with TestClient(create_app(slow, service=module_svc)) as client:
        client.get("/v1/categories", headers=admin)  # the one request of the burst
        zh, en = both(
            lambda lang: client.get("/v1/categories", headers={**admin, **lang}),
            429,
            "TooManyRequests",
            "limits.rate",
        )
        assert "Retry-After" in zh["hint"] and "Retry-After" in en["hint"]
        assert zh["retry_after_s"] == en["retry_after_s"] > 0


def test_a_public_embeds_error_page_speaks_the_viewers_language(world: World) -> None:
    pages = {
        lang: world.client.get("/embed/1.2.nope", headers=header) for lang, header in LANGS.items()
    }
    assert all(p.status_code == 404 for p in pages.values())
    assert "此链接没有对应的地图" in pages["zh"].text and 'lang="zh-CN"' in pages["zh"].text
    assert "There is no map at this link" in pages["en"].text
    assert pages["zh"].headers["content-language"] == "zh-CN"
