"""A rejected row of an import says what a report sent alone is answered (issue #23): the
same hint and, but for a wrong point (answered alone as GET /v1/locate answers it), the same
message, in the JSON answer of POST /v1/imports and in the CSV of
GET /v1/imports/{id}/rejections, in the language of the request that imported."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from fastapi.testclient import TestClient

XUANWU = (118.7840, 32.0410)  # WGS-84, in the city
LANGS = {"zh": {"Accept-Language": "zh-CN"}, "en": {"Accept-Language": "en"}}


def _report(key: str, **overrides: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "client_event_id": key,
        "category": "hazard.fire",
        "title": "楼道冒烟",
        "occurred_at": "2026-11-20T09:30:00+08:00",
        "lon": XUANWU[0],
        "lat": XUANWU[1],
    }
    report.update(overrides)
    return report


# the same mistakes, sent alone and in a file
MISTAKES = {
    "swapped": _report("m-swapped", lon=XUANWU[1], lat=XUANWU[0]),
    "outside": _report("m-outside", lon=116.40, lat=39.90),
    "category": _report("m-category", category="hazard.fier"),
    "no_zone": _report("m-zone", occurred_at="2026-11-20T09:30:00"),
    "too_old": _report("m-old", occurred_at="1899-12-31T09:30:00+08:00"),
    "attribute": _report("m-attribute", attributes={"colour": "red"}),
}


# (an import row's message, a report's sent alone) where the two differ
POINTS = {
    "swapped": ("report.swapped", "coord.out_of_range"),
    "outside": ("report.outside", "locate.outside"),
}


def test_an_imports_rejected_rows_have_the_message_and_hint_of_a_report_sent_alone(
    write_client: TestClient,
) -> None:
    api = write_client
    ndjson = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in MISTAKES.values())
    for lang, header in LANGS.items():
        alone = {}
        for name, report in MISTAKES.items():
            r = api.post("/v1/events", json=report, headers=header)
            assert r.status_code in (400, 422), (name, r.text)
            alone[name] = r.json()
        sent = api.post(
            "/v1/imports",
            files={"file": ("reports.ndjson", ndjson.encode(), "application/x-ndjson")},
            headers=header,
        )
        assert sent.status_code == 201, sent.text
        job = sent.json()
        assert job["rejected"] == len(MISTAKES) and job["stored"] == 0
        rows = dict(zip(MISTAKES, job["rejections"], strict=True))
        table = api.get(f"/v1/imports/{job['import_id']}/rejections", headers=header)
        listed = list(csv.DictReader(io.StringIO(table.text.lstrip("\ufeff"))))
        assert [(x["row_number"], x["reason"], x["hint"], x["message_id"]) for x in listed] == [
            (str(j["row_number"]), j["reason"], j["hint"], j["message_id"])
            for j in job["rejections"]
        ]
        for name, row in rows.items():
            answer = alone[name]
            assert row["hint"] and row["hint"] == answer["hint"], (lang, name, row, answer)
            if name in POINTS:
                # the exception: a wrong point sent alone is answered as GET /v1/locate
                # answers it; an import's row names the mistake in a table's words
                assert (row["message_id"], answer["message_id"]) == POINTS[name]
                continue
            assert (row["message_id"], row["reason"]) == (
                answer["message_id"],
                answer["message"],
            ), (lang, name)
            assert row["field"] == answer["field"]
        # the hint of a swapped point names where it would lie, in the reader's language
        unit = api.get("/v1/locate", params={"lon": XUANWU[0], "lat": XUANWU[1]}).json()
        swapped = rows["swapped"]["hint"]
        assert ("填反" if lang == "zh" else "swapped") in swapped
        assert unit["units"][0]["name"] in swapped and unit["units"][0]["code"] in swapped
