"""The bad-input catalogue: each malformed or hostile input, its status and what the answer
tells the caller to fix. Nothing here may be a 5xx, be executed, or be stored altered.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from gridsvc.access import create_token
from gridsvc.events import keyset
from gridsvc.events.keyset import ListPosition
from gridsvc.service import Gridsvc
from gridsvc.settings import EventSettings
from tests.api.conftest import bearer

XUANWU = (118.7840, 32.0410)  # WGS-84, inside 玄武区
SQL = "'; DROP TABLE event; --"
SQL_OR = "' OR '1'='1"
HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture(scope="module")
def api(module_svc: Gridsvc) -> Iterator[TestClient]:
    _, token = create_token(module_svc.db, role="admin", name="bad-admin")
    with TestClient(
        create_app(module_svc.settings, service=module_svc), headers=bearer(token)
    ) as c:
        yield c


_ids = itertools.count()


def report(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "client_event_id": f"bad-{next(_ids)}",
        "category": "hazard.fire",
        "title": "楼道堆放杂物",
        "occurred_at": "2026-11-20T09:30:00+08:00",
        "lon": XUANWU[0],
        "lat": XUANWU[1],
    }
    body.update(changes)
    return body


def problem(response: Any, status: int, *words: str) -> dict[str, Any]:
    """Assert an error answer: its status, JSON shape, and that message+hint+field name
    every one of ``words`` (case-insensitive)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["error"] and body["message"], body
    said = " ".join(str(body.get(k) or "") for k in ("message", "hint", "field")).lower()
    for word in words:
        assert word.lower() in said, (word, body)
    return body


def upload(api: TestClient, name: str, data: bytes, **form: str) -> Any:
    return api.post("/v1/imports", files={"file": (name, data)}, data=form)


CSV_HEADER = "client_event_id,category,occurred_at,lon,lat,title\n"


def csv_row(cid: str, title: str = "t", occurred: str = "2026-11-20T09:30:00+08:00") -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(
        [cid, "hazard.fire", occurred, XUANWU[0], XUANWU[1], title]
    )
    return out.getvalue()


# --- malformed bodies ----------------------------------------------------------------------


def test_malformed_json_names_the_position(api: TestClient) -> None:
    r = api.post("/v1/events", content=b'{"lon": 1,', headers={"content-type": "application/json"})
    problem(r, 422, "not valid json", "character", "application/json")


def test_json_that_is_not_an_object(api: TestClient) -> None:
    r = api.post("/v1/events", json=[report()])
    problem(r, 422, "object")


def test_body_not_utf8(api: TestClient) -> None:
    body = json.dumps(report(title="楼道"), ensure_ascii=False).encode("gbk")
    r = api.post("/v1/events", content=body, headers={"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    problem(r, r.status_code, "utf-8")


def test_wrong_content_type(api: TestClient) -> None:
    r = api.post("/v1/events", content=json.dumps(report()), headers={"content-type": "text/plain"})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["error"]


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_json_coordinates(api: TestClient, literal: str) -> None:
    text = json.dumps(report(client_event_id=f"nan-{literal}")).replace(
        f'"lon": {XUANWU[0]}', f'"lon": {literal}'
    )
    r = api.post("/v1/events", content=text, headers={"content-type": "application/json"})
    problem(r, 422, "lon", "finite")


@pytest.mark.parametrize("lon", [1e308, -1e308, 181.0, 1e-320])
def test_out_of_range_coordinates_are_refused(api: TestClient, lon: float) -> None:
    r = api.post("/v1/events", json=report(client_event_id=f"big-{lon}", lon=lon))
    problem(r, 400, "lon")


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e999", "1e308"])
def test_locate_with_nan_inf_huge(api: TestClient, value: str) -> None:
    r = api.get("/v1/locate", params={"lon": value, "lat": "32.04"})
    assert r.status_code in (400, 422), r.text
    problem(r, r.status_code, "lon")


@pytest.mark.parametrize(
    ("point", "status", "where"),
    [
        (["NaN", 32.04], 422, "points.1.0"),
        ([118.78, "Infinity"], 422, "points.1.1"),
        ([1e308, 32.04], 400, "lon"),
    ],
)
def test_locate_batch_with_nan_inf_huge(
    api: TestClient, point: list[Any], status: int, where: str
) -> None:
    text = json.dumps({"points": [[118.78, 32.04], point]})
    text = text.replace('"NaN"', "NaN").replace('"Infinity"', "Infinity")
    r = api.post("/v1/locate", content=text, headers={"content-type": "application/json"})
    problem(r, status, where)


def test_huge_integers_in_paths_and_queries(api: TestClient) -> None:
    problem(api.get("/v1/events/99999999999999999999999"), 404, "99999999999999999999999")
    # an id as the cursor of before is no cursor now; a cursor past every event: an empty page
    problem(api.get("/v1/events", params={"after": "9" * 30}), 400, "after", "cursor")
    oldest = keyset.encode(ListPosition(datetime(1900, 1, 1, tzinfo=UTC), 2**63 - 1))
    beyond = api.get("/v1/events", params={"after": oldest})
    assert beyond.status_code == 200 and beyond.json()["features"] == [], beyond.text
    problem(api.get("/v1/events/9223372036854775807"), 404, "9223372036854775807")


def test_bbox_must_be_four_finite_numbers(api: TestClient) -> None:
    problem(api.get("/v1/events", params={"bbox": "118,32,119"}), 400, "bbox", "four")
    problem(api.get("/v1/events", params={"bbox": "nan,32,119,33"}), 400, "bbox", "finite")
    problem(api.get("/v1/events", params={"bbox": "118,32,inf,33"}), 400, "bbox", "finite")
    problem(api.get("/v1/events", params={"bbox": "119,32,118,33"}), 400, "bbox", "minimum")


# --- strings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("client_event_id", "", 422),
        ("client_event_id", "x" * 101, 422),
        ("title", "长" * 201, 422),
        ("description", "d" * 5001, 422),
        ("address", "a" * 501, 422),
        ("category", "", 400),
        ("category", "c" * 10_000, 422),
        ("crs", "c" * 10_000, 422),
        ("occurred_at", "2" * 10_000, 422),
        ("media", ["m" * 3_000], 422),
    ],
)
def test_empty_and_giant_strings(api: TestClient, field: str, value: Any, status: int) -> None:
    r = api.post("/v1/events", json=report(**{field: value}))
    body = problem(r, status, field)
    assert len(r.content) < 5_000  # the answer quotes the value shortened, never whole
    assert str(value)[:200] not in body["message"] or len(str(value)) <= 200


def test_giant_body_is_413(api: TestClient) -> None:
    r = api.post("/v1/events", json=report(description="x" * 2_000_000))
    problem(r, 413, "bytes")


def test_giant_query_string_filter(api: TestClient) -> None:
    r = api.get("/v1/events", params={"grid": "3" * 20_000})
    assert r.status_code in (200, 400, 404), r.text
    if r.status_code == 200:
        assert r.json()["features"] == []


# --- injection -----------------------------------------------------------------------------

TEXT_FIELDS = ("title", "description", "address", "client_event_id", "reporter_id")


@pytest.mark.parametrize("payload", [SQL, SQL_OR, HTML, FORMULA])
def test_injection_in_text_fields_is_stored_verbatim(api: TestClient, payload: str) -> None:
    fields = {f: payload for f in TEXT_FIELDS}
    r = api.post("/v1/events", json=report(**fields))
    assert r.status_code == 201, r.text
    event = r.json()["event"]
    stored = api.get(f"/v1/events/{event['id']}").json()
    stored["address"] = stored["location"]["address"]
    for f in TEXT_FIELDS:
        assert stored[f] == payload, f
    # the table is still there, and the payload matched nothing else
    listed = api.get("/v1/events", params={"limit": 1000}).json()["features"]
    assert any(feat["id"] == event["id"] for feat in listed)


def test_csv_export_defuses_formulas(api: TestClient) -> None:
    r = api.post("/v1/events", json=report(client_event_id="formula-csv", title=FORMULA))
    assert r.status_code == 201, r.text
    out = api.get("/v1/events", params={"format": "csv", "limit": 1000})
    assert out.status_code == 200 and out.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(out.text.lstrip("\ufeff"))))
    titles = [row["title"] for row in rows if row["client_event_id"] == "formula-csv"]
    assert titles == ["'" + FORMULA]


FILTERS = ("grid", "category", "status", "urgency", "source", "from", "to", "bbox")


@pytest.mark.parametrize("payload", [SQL, SQL_OR, HTML, "%' OR 1=1 --", "\\x00'"])
@pytest.mark.parametrize("name", FILTERS)
def test_injection_in_event_filters(api: TestClient, name: str, payload: str) -> None:
    api.post("/v1/events", json=report(client_event_id="filter-victim"))
    r = api.get("/v1/events", params={name: payload})
    assert r.status_code in (200, 400, 404), r.text
    if r.status_code == 200:
        # an injected condition would have matched every event
        assert r.json()["features"] == [], (name, payload)
    else:
        problem(r, r.status_code, name)
    assert HTML not in r.text


@pytest.mark.parametrize("payload", [SQL, SQL_OR, HTML])
@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/stats/grids", "category"),
        ("/v1/stats/grids", "status"),
        ("/v1/stats/grids", "level"),
        ("/v1/stats/timeseries", "grid"),
        ("/v1/grids", "level"),
        ("/v1/locate", "crs"),
    ],
)
def test_injection_in_other_filters(api: TestClient, path: str, name: str, payload: str) -> None:
    params = {name: payload}
    if path == "/v1/locate":
        params.update(lon=str(XUANWU[0]), lat=str(XUANWU[1]))
    r = api.get(path, params=params)
    assert r.status_code in (200, 400, 404), r.text
    if r.status_code != 200:
        problem(r, r.status_code, name)
    else:
        assert all(row.get("n", 0) == 0 for row in r.json().get("rows", []))
    assert HTML not in r.text


@pytest.mark.parametrize("payload", [SQL, HTML])
def test_injection_in_path_segments(api: TestClient, payload: str) -> None:
    r = api.get(f"/v1/grids/{payload}")
    problem(r, 404, "")
    assert HTML not in r.text or r.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("path", ["/v1/maps/heatmap", "/v1/maps/choropleth"])
def test_map_pages_never_echo_html(api: TestClient, path: str) -> None:
    for name in ("category", "status", "source"):
        r = api.get(path, params={name: HTML})
        assert r.status_code in (200, 400), r.text
        if r.headers["content-type"].startswith("text/html"):
            # the filter may be shown, but as text: escaped, never as markup
            assert "<script>alert" not in r.text, (path, name)
            assert "<img src=x" not in r.text, (path, name)
        else:  # an error quoting the value: JSON, which a browser neither sniffs nor runs
            assert r.headers["content-type"].startswith("application/json")
            assert r.headers["x-content-type-options"] == "nosniff"


# --- files ---------------------------------------------------------------------------------


def test_csv_with_ragged_rows_reports_each_row(api: TestClient) -> None:
    data = CSV_HEADER + csv_row("rag-1") + "rag-2,hazard.fire\n" + csv_row("rag-3")
    r = upload(api, "ragged.csv", data.encode())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["stored"] == 2 and body["rejected"] == 1
    assert body["rejections"][0]["row_number"] == 2
    assert "fields" in body["rejections"][0]["reason"]


def test_csv_without_required_columns(api: TestClient) -> None:
    r = upload(api, "cols.csv", b"id,when,x,y\n1,2,3,4\n")
    problem(r, 400, "category", "occurred_at", "header")


def test_empty_file(api: TestClient) -> None:
    problem(upload(api, "empty.csv", b""), 400, "empty")


def test_utf8_bom_csv_is_accepted(api: TestClient) -> None:
    data = "\ufeff" + CSV_HEADER + csv_row("bom-1", "带BOM的标题")
    r = upload(api, "bom.csv", data.encode("utf-8"))
    assert r.status_code == 201, r.text
    assert r.json()["stored"] == 1 and r.json()["ignored_columns"] == []
    listed = api.get("/v1/events", params={"format": "csv", "limit": 1000}).text
    assert "带BOM的标题" in listed


def test_gbk_csv_needs_its_encoding_named(api: TestClient) -> None:
    data = (CSV_HEADER + csv_row("gbk-1", "井盖缺失")).encode("gbk")
    refused = upload(api, "gbk.csv", data)
    problem(refused, 400, "utf-8", "gbk", "encoding")
    accepted = upload(api, "gbk.csv", data, encoding="gbk")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["stored"] == 1
    listed = api.get("/v1/events", params={"format": "csv", "limit": 1000}).text
    assert "井盖缺失" in listed


def test_unknown_encoding_name(api: TestClient) -> None:
    problem(upload(api, "x.csv", b"a\n", encoding="klingon-8"), 400, "klingon-8")


@pytest.mark.parametrize(
    "name",
    ["../../etc/passwd.csv", "/etc/cron.d/x.csv", "..\\..\\windows\\x.csv", "a/../../b.csv"],
)
def test_path_tricks_in_file_names(api: TestClient, name: str) -> None:
    data = CSV_HEADER + csv_row(f"path-{abs(hash(name))}")
    r = upload(api, name, data.encode())
    assert r.status_code == 201, r.text
    stored_name = r.json()["filename"]
    assert "/" not in stored_name and ".." not in stored_name.replace("\\", "/").split("/")[:-1]
    job = api.get(f"/v1/imports/{r.json()['import_id']}").json()
    assert "/" not in job["filename"]
    rej = api.get(f"/v1/imports/{r.json()['import_id']}/rejections")
    assert ".." not in rej.headers["content-disposition"]


@pytest.mark.parametrize("name", ["x.csv.exe", "events", "x.zip", "x.gz"])
def test_unknown_file_kinds(api: TestClient, name: str) -> None:
    problem(upload(api, name, b"whatever"), 400, "format")


def test_zip_bomb_is_never_inflated(api: TestClient) -> None:
    # 100 MB of zeros in ~100 kB: the service takes CSV, GeoJSON or NDJSON, never archives
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("events.csv", b"\0" * 100_000_000)
    bomb = buffer.getvalue()
    assert len(bomb) < 200_000
    problem(upload(api, "bomb.zip", bomb), 400, "format")
    # named .csv it is just bytes that are not text: refused, not unpacked
    problem(upload(api, "bomb.csv", bomb), 400, "utf-8")
    # gzip Content-Encoding on a request is not inflated either
    packed = gzip.compress(json.dumps(report(description="z" * 50_000_000)).encode())
    r = api.post(
        "/v1/events",
        content=packed,
        headers={"content-type": "application/json", "content-encoding": "gzip"},
    )
    assert 400 <= r.status_code < 500, r.text


def test_oversized_upload_is_413(module_svc: Gridsvc) -> None:
    small = module_svc.settings.model_copy(
        update={"events": EventSettings(max_upload_bytes=10_000, max_body_bytes=2_000)}
    )
    _, token = create_token(module_svc.db, role="admin", name="bad-small")
    with TestClient(create_app(small, service=module_svc), headers=bearer(token)) as c:
        big = (CSV_HEADER + csv_row("big-0") * 500).encode()
        problem(upload(c, "big.csv", big), 413, "10,000")

        def chunks() -> Iterator[bytes]:
            for _ in range(100):
                yield b"x" * 1_000

        streamed = c.post(
            "/v1/events", content=chunks(), headers={"content-type": "application/json"}
        )
        problem(streamed, 413, "2,000")
        assert c.post("/v1/events", json=report(client_event_id="small-ok")).status_code == 201


# --- geometry and coordinate systems ------------------------------------------------------


@pytest.mark.parametrize("crs", ["epsg:3857", "EPSG:4326x", "utm50n", "gcj-03"])
def test_unknown_crs(api: TestClient, crs: str) -> None:
    problem(api.post("/v1/events", json=report(crs=crs)), 400, "crs", "gcj02")
    problem(api.get("/v1/locate", params={"lon": 118.78, "lat": 32.04, "crs": crs}), 400, "crs")
    problem(upload(api, "x.csv", (CSV_HEADER + csv_row("crs-x")).encode(), crs=crs), 400, "crs")


def test_invalid_geometry_in_geojson_import(api: TestClient) -> None:
    features = [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [118.78]}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": ["a", "b"]}},
        {"type": "Feature", "geometry": None},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1e308, 1e308]}},
        "not a feature",
    ]
    props = {"category": "hazard.fire", "occurred_at": "2026-11-20T09:30:00+08:00"}
    doc = {
        "type": "FeatureCollection",
        "features": [
            {**f, "properties": {**props, "client_event_id": f"geo-{i}"}}
            if isinstance(f, dict)
            else f
            for i, f in enumerate(features)
        ],
    }
    r = upload(api, "geo.geojson", json.dumps(doc).encode())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["stored"] == 0 and body["rejected"] == len(features), body
    reasons = {rej["row_number"]: rej["reason"] for rej in body["rejections"]}
    assert "Point" in reasons[1]
    assert all(reasons.values())


def test_not_a_feature_collection(api: TestClient) -> None:
    r = upload(api, "x.geojson", json.dumps({"type": "Point", "coordinates": [1, 2]}).encode())
    problem(r, 400, "FeatureCollection")
    problem(upload(api, "x.geojson", b"{broken"), 400, "not valid json")


def test_csv_rows_with_bad_numbers_and_dates_are_rejected_by_row(api: TestClient) -> None:
    rows = [
        "nan-row,hazard.fire,2026-11-20T09:30:00+08:00,nan,32.04,t",
        "inf-row,hazard.fire,2026-11-20T09:30:00+08:00,118.78,inf,t",
        "huge-row,hazard.fire,2026-11-20T09:30:00+08:00,1e999,32.04,t",
        "text-row,hazard.fire,2026-11-20T09:30:00+08:00,east,32.04,t",
        "naive-row,hazard.fire,2026-11-20T09:30:00,118.78,32.04,t",
        "junk-date,hazard.fire,yesterday,118.78,32.04,t",
    ]
    r = upload(api, "numbers.csv", (CSV_HEADER + "\n".join(rows) + "\n").encode())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["stored"] == 0 and body["rejected"] == len(rows), body
    by_row = {rej["row_number"]: rej for rej in body["rejections"]}
    assert by_row[1]["field"] == "lon" and by_row[2]["field"] == "lat"
    assert by_row[3]["field"] == "lon" and by_row[4]["field"] == "lon"
    assert by_row[5]["field"] == "occurred_at" and "zone" in by_row[5]["reason"].lower()
    assert by_row[6]["field"] == "occurred_at"


# --- times ---------------------------------------------------------------------------------


def test_date_without_time_zone(api: TestClient) -> None:
    r = api.post("/v1/events", json=report(occurred_at="2026-11-20T09:30:00"))
    problem(r, 400, "occurred_at", "+08:00")
    r = api.get("/v1/events", params={"from": "2026-11-01T00:00:00"})
    problem(r, 400, "from", "time zone", "+08:00")
    r = api.get("/v1/events", params={"to": "next tuesday"})
    problem(r, 400, "to", "ISO 8601")


def test_stats_dates_must_be_days(api: TestClient) -> None:
    r = api.get("/v1/stats/grids", params={"from": "2026-13-01"})
    problem(r, 422, "from")


# --- unknown query parameters --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "unknown"),
    [
        ("/v1/events", {"catgory": "hazard"}, "catgory"),
        ("/v1/events", {"form": "2026-11-01T00:00:00+08:00", "limit": "5"}, "form"),
        ("/v1/stats/grids", {"levels": "street"}, "levels"),
        ("/v1/maps/heatmap", {"cellm": "100"}, "cellm"),
        ("/v1/locate", {"lon": "118.78", "lat": "32.04", "srs": "gcj02"}, "srs"),
        ("/v1/categories", {"x": "1"}, "x"),
    ],
)
def test_unknown_query_parameter_is_400(
    api: TestClient, path: str, params: dict[str, str], unknown: str
) -> None:
    body = problem(api.get(path, params=params), 400, unknown, "takes")
    assert body["field"] == unknown


def test_known_parameters_still_work_and_health_is_lenient(api: TestClient) -> None:
    assert api.get("/v1/events", params={"limit": 5, "from": "2026-01-01T00:00:00Z"}).is_success
    assert api.get("/v1/stats/grids", params={"level": "district", "from": "2026-01-01"}).is_success
    assert api.get("/health", params={"probe": "lb"}).status_code == 200


# --- NUL characters (PostgreSQL text cannot hold them) -------------------------------------


@pytest.mark.parametrize("field", ["reporter_id", "client_event_id", "title", "category"])
def test_nul_in_body_text(api: TestClient, field: str) -> None:
    problem(api.post("/v1/events", json=report(**{field: "a\x00b"})), 422, field, "NUL")


def test_nul_in_nested_body_text(api: TestClient) -> None:
    problem(api.post("/v1/events", json=report(attributes={"k": "\x00"})), 422, "attributes")
    r = api.post("/v1/events/1/actions", json={"action": "accept", "note": "\x00"})
    problem(r, 422, "note", "NUL")


@pytest.mark.parametrize(
    ("path", "params", "name"),
    [
        ("/v1/events", {"grid": "3201\x00"}, "grid"),
        ("/v1/events", {"category": "hazard\x00"}, "category"),
        ("/v1/stats/timeseries", {"grid": "\x00"}, "grid"),
        ("/v1/locate", {"lon": "118.78", "lat": "32.04", "crs": "wgs84\x00"}, "crs"),
        ("/v1/grids/3201%00", {}, "code"),
    ],
)
def test_nul_in_query_and_path(
    api: TestClient, path: str, params: dict[str, str], name: str
) -> None:
    problem(api.get(path, params=params), 400, name, "NUL")


def test_nul_in_import_fields_and_files(api: TestClient) -> None:
    data = (CSV_HEADER + csv_row("nul-ok")).encode()
    r = upload(api, "n.csv", data, source="imp\x00ort")
    assert r.status_code == 400, r.text
    problem(r, 400, "NUL")
    # a NUL byte in a cell made COPY fail with a 500; the upload is refused before the import
    r = upload(api, "n.csv", (CSV_HEADER + csv_row("nul-1", "a\x00b")).encode())
    at = (CSV_HEADER + csv_row("nul-1", "a\x00b")).encode().index(b"\x00")
    problem(r, 400, "NUL", f"byte {at:,}")
    utf16 = (CSV_HEADER + csv_row("u16")).encode("utf-16")
    problem(upload(api, "u16.csv", utf16), 400, "UTF-16", "UTF-8")


def test_database_data_errors_are_400_not_500(module_svc: Gridsvc) -> None:
    """The guard behind validation: PostgreSQL's data exceptions (class 22) are the
    caller's values, so they answer 400 with a hint; other errors stay 500."""
    import psycopg2

    app = create_app(module_svc.settings, service=module_svc)

    @app.get("/test-data-error")
    def data_error() -> None:
        raise psycopg2.DataError("integer out of range\nCONTEXT: …")

    @app.get("/test-value-error")
    def value_error() -> None:
        raise ValueError("something else")

    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/test-data-error")
        problem(r, 400, "cannot be stored", "out-of-range")
        assert "integer out of range" not in r.text  # the database's words stay in the log
        assert c.get("/test-value-error").status_code == 500


# --- regressions found by the fuzzer -------------------------------------------------------


def test_negative_or_huge_hotspot_seed_is_422(api: TestClient) -> None:
    # numpy refused a negative seed deep inside the permutations: a 500
    for seed in ("-1", str(2**32)):
        problem(api.get("/v1/stats/hotspots", params={"seed": seed}), 422, "seed")


@pytest.mark.parametrize("fmt", ["html", "png"])
def test_equal_interval_choropleth_of_an_empty_period(api: TestClient, fmt: str) -> None:
    # every unit 0 events: mapclassify's EqualInterval refused to make one class (a 500)
    r = api.get(
        "/v1/maps/choropleth",
        params={"scheme": "equal_interval", "to": "2000-01-01", "format": fmt},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html" if fmt == "html" else "image/png")


def test_unreadable_body_has_the_error_shape(api: TestClient) -> None:
    # FastAPI's own 400 for a body it cannot parse came as {"detail": …}
    r = api.post("/v1/locate", content=b"\xb2J\xb5&", headers={"content-type": "application/json"})
    assert r.status_code in (400, 422), r.text
    problem(r, r.status_code, "json")
