"""The dispatch console in a real headless Chromium, every request to another host aborted,
as dispatchers and departments use it: the queue of their area with its counts and map,
new reports appearing without a reload, an event's page with its actions, the whole path
from a grid worker's report to closing (two departments at once: 吹哨), two dispatchers
acting on one event at once, scope, and bad input explained next to the field."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest
from PIL import Image as PIL
from shapely.geometry import shape

from api import create_app
from gridsvc import users
from gridsvc.access import create_token
from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from tests.e2e.test_console_browser import PASSWORD, Person
from tests.e2e.test_field_browser import Phone, photo_png
from tests.e2e.test_maps_browser import serving
from web.labels import ZH_CN

STREET, OTHER_STREET, COMMUNITY = "320102002", "320102003", "320102002001"
ACCOUNTS: dict[str, dict[str, Any]] = {
    "gw": {"role": "grid_worker", "scope_code": COMMUNITY},
    "disp": {"role": "dispatcher", "scope_code": STREET, "display_name": "梅园调度员"},
    "disp2": {"role": "dispatcher", "scope_code": STREET},
    "fire": {"role": "department", "department_code": "fire_rescue"},
    "house": {"role": "department", "department_code": "housing"},
}


@pytest.fixture(scope="module")
def world(module_svc: Gridsvc) -> Iterator[dict[str, Any]]:
    svc = module_svc
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    end = pd.Timestamp.now(tz="Asia/Shanghai").normalize().to_pydatetime()
    buf = io.BytesIO()
    write_events_csv(buf, generate_events(units, DEFAULT_MIX, count=3000, days=30, seed=8, end=end))
    buf.seek(0)
    import_events(svc, buf, filename="queue.csv", synthetic=True)
    for name, rights in ACCOUNTS.items():
        users.create_user(svc.db, username=name, password=PASSWORD, **rights)
    tokens = {
        "gw": create_token(svc.db, role="grid_worker", name="gw-李", scope_code=COMMUNITY)[1],
        "admin": create_token(svc.db, role="admin", name="root")[1],
    }
    with (
        serving(create_app(svc.settings, service=svc)) as base,
        httpx.Client(base_url=base, timeout=60) as http,
    ):
        yield {"base": base, "tokens": tokens, "http": http, "svc": svc}


def as_(w: dict[str, Any], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {w['tokens'][who]}"}


def report(w: dict[str, Any], key: str, *, community: str = COMMUNITY, **extra: Any) -> int:
    """A grid worker's report at a point inside ``community`` (or an admin's elsewhere)."""
    http = w["http"]
    unit = http.get(f"/v1/grids/{community}", headers=as_(w, "admin")).json()
    p = shape(unit["geometry"]).representative_point()
    who = "gw" if community == COMMUNITY else "admin"
    body = {
        "client_event_id": key,
        "category": "hazard.fire",
        "title": f"楼道堆放杂物 {key}",
        "occurred_at": pd.Timestamp.now(tz="Asia/Shanghai").floor("s").isoformat(),
        "lon": p.x,
        "lat": p.y,
        **extra,
    }
    if who == "admin":
        body["reporter_id"] = "someone"
    answer = http.post("/v1/events", headers=as_(w, who), json=body)
    assert answer.status_code == 201, answer.text
    return int(answer.json()["event"]["id"])


@pytest.fixture
def people(browser: Any, world: dict[str, Any]) -> Iterator[dict[str, Person]]:
    made: dict[str, Person] = {}

    class Lazy(dict[str, Person]):
        def __missing__(self, name: str) -> Person:
            p = Person(browser, world["base"])
            p.sign_in(name)
            made[name] = p
            self[name] = p
            return p

    yield Lazy()
    for p in made.values():
        p.close()
    for name, p in made.items():
        assert p.problems == [], name


def shown(page: Any) -> int:
    """Wait until the queue's counts and list of a refresh are on screen; its number."""
    handle = page.wait_for_function("() => document.body.dataset.shown")
    return int(handle.json_value())


def queue_ids(page: Any) -> list[int]:
    shown(page)
    ids: list[int] = page.eval_on_selector_all(
        "#queue tbody tr[data-id]", "rows => rows.map(r => Number(r.dataset.id))"
    )
    return ids


def open_event(person: Person, event_id: int) -> Any:
    page = person.page
    page.goto(f"{person.base}/dispatch/events/{event_id}")
    page.wait_for_function("() => document.getElementById('event-page').dataset.status")
    return page


def status_of(page: Any) -> str:
    value: str = page.locator("#event-page").get_attribute("data-status")
    return value


def act(page: Any, action: str, *, note: str = "", expect: str | None = None) -> None:
    before = page.locator("#event-page").get_attribute("data-row-version")
    if note:
        page.fill("#action-note", note)
    page.click(f"#action-buttons button[data-action={action}]")
    if expect is not None:
        page.wait_for_function(
            f"""() => document.getElementById('event-page').dataset.rowVersion !== '{before}'
                 && document.getElementById('event-page').dataset.status === '{expect}'"""
        )


def test_the_queue_shows_the_street_only_with_its_counts_and_map(
    people: dict[str, Person], world: dict[str, Any]
) -> None:
    disp = people["disp"]
    page = disp.page
    assert page.url == disp.base + "/dispatch"
    assert page.locator("#who-name").inner_text() == "梅园调度员"
    ids = queue_ids(page)
    assert ids, "the street has open events"
    listed = disp.api("/v1/events?status=reported&limit=50")["features"]
    assert ids[: len(listed)] == [f["id"] for f in listed]  # new reports first
    communities = page.eval_on_selector_all(
        "#queue tbody tr[data-id] td:nth-child(5)", "cells => cells.map(c => c.title)"
    )
    assert communities and all(c.startswith(STREET) for c in communities)
    counts = disp.api("/v1/events/counts")
    reported = page.locator("[data-count=reported]").inner_text().replace(",", "")
    assert int(reported) == counts["by_status"]["reported"] > 0
    # every listed event is a marker on the map (canvas: Leaflet's renderer draws them)
    markers = page.evaluate(
        "() => { let n = 0;"
        " map.eachLayer(l => { if (l instanceof L.CircleMarker) n++; }); return n; }"
    )
    assert markers == len(ids)
    # filters: a category narrows the list and the counts, and the address keeps it
    before = shown(page)
    page.select_option("#q-category", "hazard")
    page.click("#q-apply")
    page.wait_for_function(f"() => Number(document.body.dataset.shown) > {before}")
    assert "category=hazard" in page.url
    narrowed = disp.api("/v1/events/counts?category=hazard")
    open_shown = page.locator("[data-count=open]").inner_text().replace(",", "")
    assert int(open_shown) == narrowed["open"] < counts["open"]
    categories = page.eval_on_selector_all(
        "#queue tbody tr[data-id] td:nth-child(3)", "cells => cells.map(c => c.textContent)"
    )
    hazard_names = {
        c["name_zh"]
        for c in disp.api("/v1/categories")["categories"]
        if (c["parent_code"] or c["code"]) == "hazard"
    }
    assert categories and set(categories) <= hazard_names


def test_a_new_report_appears_without_a_reload(
    people: dict[str, Person], world: dict[str, Any]
) -> None:
    disp = people["disp"]
    page = disp.page
    page.clock.install()
    page.goto(disp.base + "/dispatch")
    queue_ids(page)
    before = int(page.locator("[data-count=reported]").inner_text().replace(",", ""))
    page.evaluate("() => { window.notReloaded = true; }")
    new_id = report(world, "appears-1")
    page.clock.fast_forward("00:20")  # past the 15 s poll
    page.wait_for_selector("#new-reports:not([hidden])")
    assert "1" in page.locator("#show-new").inner_text()
    page.wait_for_function(
        f"() => document.querySelector('[data-count=reported]').textContent.replace(/,/g, '')"
        f" === '{before + 1}'"
    )
    page.click("#show-new")
    page.wait_for_function(f"() => document.querySelector('#queue tr[data-id=\"{new_id}\"]')")
    assert page.evaluate("() => window.notReloaded") is True


def test_the_whole_path_from_report_to_closing(
    browser: Any, people: dict[str, Person], world: dict[str, Any]
) -> None:
    """A grid worker reports from the field page with a photo, a dispatcher accepts and
    dispatches to two departments at once, each department starts and resolves, the worker
    verifies on the field page, the dispatcher closes: every step in a browser."""
    http = world["http"]
    unit = http.get(f"/v1/grids/{COMMUNITY}", headers=as_(world, "admin")).json()
    spot = shape(unit["geometry"]).representative_point()
    phone = Phone(browser, world["base"], (spot.x, spot.y))
    try:
        phone.sign_in("gw")
        phone.place((spot.x, spot.y))
        phone.fill_report("楼道电动车充电 whole-path", photo=photo_png((800, 600)))
        phone.page.click("#f-submit")
        phone.wait_queue({"sent": 1})
        mine = phone.context.request.get(f"{world['base']}/v1/events?mine=true&limit=5").json()
        (feature,) = [
            f for f in mine["features"] if f["properties"]["title"].endswith("whole-path")
        ]
        event_id = int(feature["id"])
        (photo_url,) = feature["properties"]["media"]

        disp = people["disp"]
        page = open_event(disp, event_id)
        assert status_of(page) == "reported"
        assert "楼道内充电" in page.locator("#ev-facts").inner_text()
        assert COMMUNITY in page.locator("#ev-grids").inner_text()
        # the worker's photo, loaded by the dispatcher's browser with its session
        page.wait_for_function(
            "(url) => { const i = document.querySelector(`#ev-photos img[src='${url}']`);"
            " return i && i.complete && i.naturalWidth > 0; }",
            arg=photo_url,
        )
        act(page, "accept", expect="accepted")
        page.check("#dept-fire_rescue")
        page.check("#dept-housing")
        act(page, "dispatch", expect="dispatched")
        assert page.locator("#ev-dispatches tbody tr").count() == 2

        for who, name in (("fire", "消防"), ("house", "住建")):
            dept = people[who]
            assert event_id in queue_ids(dept.page)  # dispatched to it: in its queue
            dpage = open_event(dept, event_id)
            act(dpage, "start", expect="in_progress")
            expect = "in_progress" if who == "fire" else "resolved"  # resolved when both did
            act(dpage, "resolve", note=f"{name}已清理", expect=expect)

        phone.page.reload()
        phone.ready()
        phone.page.click("#tab-verify")
        item = f"#f-verify li[data-id='{event_id}']"
        phone.page.wait_for_selector(item)
        phone.page.click(f"{item} .f-verify")
        phone.page.wait_for_selector(f"{item} .notice")
    finally:
        phone.close()
    assert phone.problems == []

    page = open_event(disp, event_id)
    assert status_of(page) == "verified"
    act(page, "close", expect="closed")
    history = page.eval_on_selector_all(
        "#ev-history tbody tr td:nth-child(3)", "cells => cells.map(c => c.textContent)"
    )
    assert history == [
        ZH_CN[f"action_{a}"]
        for a in ("accept", "dispatch", "start", "resolve", "start", "resolve", "verify", "close")
    ]
    assert page.locator("#action-buttons button").count() == 0
    # the statistics count it as closed in its community, on the day it happened
    day = pd.Timestamp(feature["properties"]["occurred_at"]).date()
    q = f"level=community&status=closed&from={day}&to={day + pd.Timedelta(days=1)}"
    rows = http.get(f"/v1/stats/grids?{q}", headers=as_(world, "admin")).json()["rows"]
    assert {r["code"]: r["n"] for r in rows}[COMMUNITY] == 1


def test_a_reports_photo_is_shown_to_the_dispatcher(
    people: dict[str, Person], world: dict[str, Any]
) -> None:
    buf = io.BytesIO()
    PIL.new("RGB", (320, 240), "orange").save(buf, format="JPEG")
    uploaded = world["http"].post(
        "/v1/media", headers=as_(world, "gw"), files={"file": ("p.jpg", buf.getvalue())}
    )
    assert uploaded.status_code == 201, uploaded.text
    photo_url = uploaded.json()["url"]
    event_id = report(world, "with-photo", media=[photo_url])
    page = open_event(people["disp"], event_id)
    page.wait_for_function(
        "(url) => { const i = document.querySelector(`#ev-photos img[src='${url}']`);"
        " return i && i.complete && i.naturalWidth === 320; }",
        arg=photo_url,
    )


def test_two_dispatchers_at_once_one_wins_the_other_sees_it(
    people: dict[str, Person], world: dict[str, Any]
) -> None:
    event_id = report(world, "race-1")
    first, second = people["disp"], people["disp2"]
    p1, p2 = open_event(first, event_id), open_event(second, event_id)
    act(p1, "accept", expect="accepted")
    second.expected_status = {409}
    p2.fill("#action-note", "重复上报")
    p2.click("#action-buttons button[data-action=reject]")
    p2.wait_for_selector("#action-notice.error:not([hidden])")
    assert ZH_CN["event_conflict"] in p2.locator("#action-notice").inner_text()
    assert status_of(p2) == "accepted"  # the page shows the state that won
    assert p2.locator("#action-buttons button[data-action=reject]").count() == 0
    actions = first.api(f"/v1/events/{event_id}/history")["history"]
    assert [h["action"] for h in actions] == ["accept"]  # nothing overwritten


def test_another_streets_event_stays_hidden(
    people: dict[str, Person], world: dict[str, Any]
) -> None:
    theirs = report(world, "elsewhere-1", community=f"{OTHER_STREET}001")
    disp = people["disp"]
    assert theirs not in queue_ids(disp.page)
    disp.expected_status = {403, 404}
    disp.page.goto(f"{disp.base}/dispatch/events/{theirs}")
    assert ZH_CN["event_not_visible"] in disp.page.locator("main").inner_text()
    answer = disp.context.request.get(f"{disp.base}/v1/events/{theirs}")
    assert answer.status == 403


def test_bad_input_is_explained_next_to_the_field(
    people: dict[str, Person], world: dict[str, Any]
) -> None:
    event_id = report(world, "bad-input-1")
    disp = people["disp"]
    page = open_event(disp, event_id)
    page.click("#action-buttons button[data-action=reject]")  # no reason given
    assert page.locator("#note-error").inner_text() == ZH_CN["event_note_required"]
    assert page.locator("#action-note").get_attribute("aria-invalid") == "true"
    act(page, "accept", expect="accepted")
    page.click("#action-buttons button[data-action=dispatch]")  # no department ticked
    assert page.locator("#departments-error").inner_text() == ZH_CN["event_pick_department"]
    assert disp.api(f"/v1/events/{event_id}")["status"] == "accepted"  # nothing sent
    page.goto(disp.base + "/dispatch")
    page.fill("#q-grid", "玄武区")
    page.click("#q-apply")
    assert page.locator("#q-grid-error").inner_text() == ZH_CN["dispatch_bad_grid"]
    page.fill("#q-from", "2026-11-20")
    page.fill("#q-to", "2026-11-10")
    page.fill("#q-grid", "")
    page.click("#q-apply")
    assert page.locator("#q-dates-error").inner_text() == ZH_CN["dispatch_bad_dates"]
    assert "from=" not in page.url  # nothing applied


def test_a_possible_duplicate_is_merged_from_the_events_page(
    people: dict[str, Person], world: dict[str, Any]
) -> None:
    first = report(world, "dup-a", category="hazard.gas", title="燃气泄漏气味")
    second = report(world, "dup-b", category="hazard.gas", title="闻到燃气味")  # the same spot
    disp = people["disp"]
    page = open_event(disp, second)
    button = page.locator(f"#ev-duplicates button.merge-into[data-into='{first}']")
    button.wait_for()
    before = page.locator("#event-page").get_attribute("data-row-version")
    button.click()
    page.wait_for_function(
        f"""() => document.getElementById('event-page').dataset.rowVersion !== '{before}'
             && document.getElementById('event-page').dataset.status === 'merged'"""
    )
    assert disp.api(f"/v1/events/{second}")["merged_into"] == first
    assert ZH_CN["status_merged"] in page.locator("#ev-status").inner_text()


def test_a_day_range_includes_its_last_day(
    people: dict[str, Person], world: dict[str, Any]
) -> None:
    today = pd.Timestamp.now(tz="Asia/Shanghai").date()
    disp = people["disp"]
    page = disp.page
    before = shown(page)
    page.fill("#q-from", str(today))
    page.fill("#q-to", str(today))  # one day: from and to the same
    page.click("#q-apply")
    page.wait_for_function(f"() => Number(document.body.dataset.shown) > {before}")
    window = f"from={today}T00:00:00%2B08:00&to={today + pd.Timedelta(days=1)}T00:00:00%2B08:00"
    expected = disp.api(f"/v1/events/counts?{window}")
    assert expected["open"] > 0  # this module's reports are today's
    assert (
        int(page.locator("[data-count=open]").inner_text().replace(",", "")) == (expected["open"])
    )


def test_more_new_reports_stay_above_the_other_states(
    people: dict[str, Person], world: dict[str, Any]
) -> None:
    now = pd.Timestamp.now(tz="Asia/Shanghai").floor("s")
    for i in range(55):  # more than a page of new reports in the street
        # occurred out of the order they are reported in, some at one instant: the list
        # follows the time they occurred, not the ids (issue #24)
        occurred = (now - pd.Timedelta(minutes=(i * 7) % 11)).isoformat()
        report(
            world,
            f"many-{i}",
            category="environment.sanitation",
            title=f"垃圾堆放 {i}",
            occurred_at=occurred,
        )
    accepted = report(world, "many-accepted")
    answer = world["http"].post(
        f"/v1/events/{accepted}/actions", headers=as_(world, "admin"), json={"action": "accept"}
    )
    assert answer.status_code == 200
    disp = people["disp"]
    page = disp.page
    first = queue_ids(page)
    assert accepted in first and len(first) > 50
    page.click("#more")
    page.wait_for_function(
        f"() => document.querySelectorAll('#queue tbody tr[data-id]').length > {len(first)}"
    )
    lists = page.eval_on_selector_all(
        "#queue tbody tr[data-id]", "rows => rows.map(r => [Number(r.dataset.id), r.dataset.list])"
    )
    ids = [i for i, _ in lists]
    assert len(ids) == len(set(ids))  # no event twice
    order = [kind for _, kind in lists]
    assert order == sorted(order)  # every new report above every other state
    reported = disp.api("/v1/events/counts")["by_status"]["reported"]
    assert order.count("0") == min(reported, 100)
    # "加载更多" went on from the first page's cursor: the two pages of the API, in time order
    first_page = disp.api("/v1/events?status=reported&limit=50")
    second_page = disp.api(f"/v1/events?status=reported&limit=50&after={first_page['next']}")
    features = first_page["features"] + second_page["features"]
    assert [i for i, kind in lists if kind == "0"] == [f["id"] for f in features]
    keys = [(pd.Timestamp(f["properties"]["occurred_at"]), f["id"]) for f in features]
    assert keys == sorted(keys, reverse=True)
    assert [k[1] for k in keys[:55]] != sorted((k[1] for k in keys[:55]), reverse=True)


def test_a_media_entry_from_elsewhere_is_listed_not_fetched(
    people: dict[str, Person], world: dict[str, Any]
) -> None:
    event_id = report(world, "outside-media", media=["https://photos.example.org/a.jpg"])
    disp = people["disp"]
    page = open_event(disp, event_id)
    text = page.locator("#ev-photos").inner_text()
    assert "https://photos.example.org/a.jpg" in text
    assert page.locator("#ev-photos img, #ev-photos a").count() == 0
    # (the people fixture fails the test on any request to another host)
