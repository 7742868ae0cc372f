"""One selection vocabulary at every door (api.filters over gridsvc.selection): each door of
a kind declares the same terms, the list, the queue's counts, statistics and maps select the
same events for the same terms, and a time is accepted or refused alike by a report and by a
list's ``from``."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from typing import Any, get_type_hints

import pandas as pd
import pytest
from fastapi.params import Query as QueryInfo
from fastapi.testclient import TestClient

from api import create_app
from api.filters import StatsParams, event_filter
from gridsvc.access import create_token
from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from gridsvc.workflow.actions import OPEN_STATES
from tests.api.conftest import bearer

EVENT_DOORS = [
    "/v1/events",
    "/v1/events/counts",
    "/tiles/{layer}.json",
    "/tiles/{layer}/{z}/{x}/{y}.mvt",
]
STATS_DOORS = [
    "/v1/stats/grids",
    "/v1/stats/timeseries",
    "/v1/stats/compare",
    "/v1/stats/hotspots",
    "/v1/maps/heatmap",
    "/v1/maps/choropleth",
    "/v1/maps/timeline",
    "/v1/maps/compare",
]
# the window of the generated events, as days (statistics) and as times (lists)
DAYS = {"from": "2026-10-01", "to": "2026-11-28"}
TIMES = {k: f"{v}T00:00:00+08:00" for k, v in DAYS.items()}


@pytest.fixture(scope="module")
def client(module_svc: Gridsvc) -> Iterator[TestClient]:
    svc = module_svc
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    end = pd.Timestamp("2026-11-28T00:00:00+08:00").to_pydatetime()
    buf = io.BytesIO()
    write_events_csv(
        buf, generate_events(units, DEFAULT_MIX, count=2000, days=60, seed=23, end=end)
    )
    buf.seek(0)
    import_events(svc, buf, filename="filters.csv", synthetic=True)
    _, token = create_token(svc.db, role="admin", name="filters-admin")
    with TestClient(create_app(svc.settings, service=svc), headers=bearer(token)) as c:
        yield c


def _query_names(hints: dict[str, Any]) -> list[str]:
    """The query parameters (by their name in the URL) of a dependency's annotations."""
    names = []
    for name, hint in hints.items():
        info = next(
            (m for m in getattr(hint, "__metadata__", ()) if isinstance(m, QueryInfo)), None
        )
        if info is not None:
            names.append(info.alias or name)
    return names


def _parameters(spec: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in spec["paths"][path]["get"]["parameters"] if p["in"] == "query"}


@pytest.mark.parametrize(
    ("doors", "terms", "expected"),
    [
        (
            EVENT_DOORS,
            _query_names(get_type_hints(event_filter, include_extras=True)),
            {"bbox", "grid", "category", "status", "urgency", "source", "from", "to", "overdue"},
        ),
        (
            STATS_DOORS,
            _query_names(
                {
                    f.name: get_type_hints(StatsParams, include_extras=True)[f.name]
                    for f in dataclasses.fields(StatsParams)
                }
            ),
            {"category", "status", "urgency", "source", "from", "to", "overdue"},
        ),
    ],
    ids=["lists", "statistics"],
)
def test_every_door_of_a_kind_takes_its_terms_as_declared_once(
    client: TestClient, doors: list[str], terms: list[str], expected: set[str]
) -> None:
    """A term added to the dependency reaches every door of its kind; urgency is on maps."""
    assert expected <= set(terms)
    spec = client.app.openapi()  # type: ignore[attr-defined]
    first = _parameters(spec, doors[0])
    for door in doors:
        declared = _parameters(spec, door)
        for term in terms:
            assert term in declared, (door, term)
            # one declaration: the same description, schema and examples at each door
            assert declared[term] == first[term], (door, term)


def _listed(client: TestClient, params: dict[str, str]) -> int:
    """How many events ``GET /v1/events`` lists for ``params`` (every page)."""
    n, after = 0, None
    while True:
        page = {**params, "limit": "1000", **({"after": str(after)} if after else {})}
        r = client.get("/v1/events", params=page)
        assert r.status_code == 200, r.text
        body = r.json()
        n += len(body["features"])
        after = body["next"]
        if after is None:
            return n


def _counted(client: TestClient, params: dict[str, str]) -> int:
    r = client.get("/v1/stats/grids", params={**params, "level": "city"})
    assert r.status_code == 200, r.text
    return int(r.json()["rows"][0]["n"])


SELECTIONS = [
    {},
    {"urgency": "critical"},
    {"urgency": "urgent,critical"},
    {"source": "hotline"},
    {"source": "grid_worker, video"},
    {"category": "hazard"},
    {"category": "hazard.fire,dispute"},
    {"status": "reported"},
    {"overdue": "true"},
    {"category": "hazard", "urgency": "urgent", "source": "hotline,grid_worker"},
]


@pytest.mark.parametrize(
    "terms", SELECTIONS, ids=lambda t: "&".join(f"{k}={v}" for k, v in t.items())
)
def test_a_list_and_a_statistic_select_the_same_events(
    client: TestClient, terms: dict[str, str]
) -> None:
    listed = _listed(client, {**TIMES, **terms})
    assert listed == _counted(client, {**DAYS, **terms})
    if terms.keys() & {"urgency", "source", "category"}:  # (imported events are all reported)
        assert 0 < listed < _listed(client, TIMES)  # the term selects, and not everything
    opened = {**terms, "status": ",".join(OPEN_STATES)}
    if "status" not in terms:
        r = client.get("/v1/events/counts", params={**TIMES, **terms})
        assert r.status_code == 200, r.text
        assert r.json()["open"] == _counted(client, {**DAYS, **opened})


def test_urgency_reaches_the_maps(client: TestClient) -> None:
    for path, own in (("/v1/maps/heatmap", {}), ("/v1/maps/choropleth", {"level": "district"})):
        pages = {
            u: client.get(path, params={**DAYS, **own, "urgency": u})
            for u in ("critical", "normal")
        }
        assert [r.status_code for r in pages.values()] == [200, 200], path
        assert pages["critical"].headers["ETag"] != pages["normal"].headers["ETag"], path
        r = client.get(path, params={"urgency": "high"})
        assert r.status_code == 400, r.text
        body = r.json()
        assert (body["message_id"], body["field"]) == ("common.unknown_choice", "urgency")


def test_an_empty_grid_selects_as_no_grid(client: TestClient) -> None:
    # the list ignored grid= and the queue's rollup counted it as a unit of no events
    for path in ("/v1/events/counts", "/v1/events"):
        without = client.get(path, params={**TIMES, "limit": "5"}).json()
        empty = client.get(path, params={**TIMES, "limit": "5", "grid": ""}).json()
        assert empty == without, path
    assert client.get("/v1/events/counts", params={"grid": "320102"}).json()["open"] > 0


# a report's occurred_at and a list's from: the same text, the same judgement
TEXTS = [
    "2024-03-01T10:00:00+08:00",
    "2024-03-01T02:00:00Z",
    "2024-03-01 10:00+08:00",
    "2024-03-01T10:00:00.123456789+08:00",
    "2024-03-01T10:00:00",
    "2024-03-01",
    "x",
    "2024-02-30T10:00:00+08:00",
    "2024-W09-5T10:00:00+08:00",
    "20240301T100000+0800",
    "1899-12-31T23:59:59+08:00",
    "0244-11-25T09:30:00+08:00",
]
# what POST /v1/events answers → what GET /v1/events?from= answers
SAME = {
    "report.not_iso": "event.time_not_iso",
    "report.no_zone": "event.time_no_zone",
    "report.time_out_of_range": "dates.out_of_range",
}


def test_a_time_is_accepted_or_refused_alike_by_a_report_and_a_list(client: TestClient) -> None:
    seen = set()
    for i, text in enumerate(TEXTS):
        report = {
            "client_event_id": f"filters-time-{i}",
            "category": "hazard.fire",
            "occurred_at": text,
            "lon": 118.7840,
            "lat": 32.0410,
        }
        posted = client.post("/v1/events", json=report)
        listed = client.get("/v1/events", params={"from": text, "limit": "1"})
        if posted.status_code == 201:
            assert listed.status_code == 200, (text, listed.text)
            seen.add("accepted")
            continue
        said, answered = posted.json(), listed.json()
        assert said["field"] == "occurred_at", (text, said)
        assert (listed.status_code, answered["error"]) == (posted.status_code, said["error"]), text
        assert answered["message_id"] == SAME[said["message_id"]], (text, answered)
        assert answered["field"] == "from"
        seen.add(said["message_id"])
    assert seen == {"accepted", *SAME}  # every kind of answer was tried
