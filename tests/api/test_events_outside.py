"""An event a new grid version leaves outside every grid: stored under community '' (a key
column since migration 0006), shown as null everywhere, with its dispatches, history and
idempotency key following it, and a replay of its report still answered 200."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely
import shapely.ops
from fastapi.testclient import TestClient

from gridsvc.grids import store as grid_store
from gridsvc.grids.importer import import_file
from gridsvc.service import Gridsvc
from tests.invariants import duplicate_keys, key_mismatches, rollup_differences


def _edge_community(units: gpd.GeoDataFrame) -> tuple[int, shapely.Point]:
    """A community on the city's edge (so the others without it leave no enclosed gap) and a
    point in it at least ~300 m from every other community."""
    comm = units[units["level"] == "community"].reset_index(drop=True)
    city = shapely.union_all(comm.geometry.to_numpy(), grid_size=1e-7)
    for i, geom in enumerate(comm.geometry):
        if geom.boundary.intersection(city.boundary).length < 0.005:
            continue
        largest = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
        point = shapely.ops.polylabel(largest, tolerance=1e-5)
        others = shapely.union_all(comm.geometry.drop(index=i).to_numpy())
        if shapely.distance(point, others) > 0.003:
            return i, point
    raise AssertionError("no community on the city's edge with an inner point")


def _report(point: shapely.Point) -> dict[str, Any]:
    return {
        "client_event_id": "edge-1",
        "reporter_id": "gw-edge",
        "category": "hazard.fire",
        "title": "仓库冒烟",
        "occurred_at": "2026-11-21T10:00:00+08:00",
        "lon": point.x,
        "lat": point.y,
    }


def test_an_event_left_outside_every_grid_is_null_everywhere_and_still_replays(
    write_client: TestClient, svc: Gridsvc, tmp_path: Path
) -> None:
    api = write_client
    old = grid_store.active_version(svc.db)
    units = grid_store.read_units(svc.db, old.id)
    index, point = _edge_community(units)
    comm = units[units["level"] == "community"].reset_index(drop=True)
    code = str(comm.at[index, "code"])

    created = api.post("/v1/events", json=_report(point))
    assert created.status_code == 201, created.text
    event_id = created.json()["event"]["id"]
    assert created.json()["event"]["grid"]["community_code"] == code
    for body in ({"action": "accept"}, {"action": "dispatch", "departments": ["fire_rescue"]}):
        r = api.post(f"/v1/events/{event_id}/actions", json=body)
        assert r.status_code == 200, r.text

    # a new version without that community: the event lies outside it
    path = tmp_path / "communities.gpkg"
    comm.drop(index=index)[["code", "name", "parent_code", "geometry"]].to_file(path, driver="GPKG")
    result = import_file(svc, path, level="community", parent_field="parent_code")
    assert result.report.ok, result.report.summary()
    assert result.version_id is not None
    outcome = grid_store.reassign(svc.db, result.version_id, snap_m=50, near_m=5)
    assert (outcome.moved, outcome.outside) == (1, 1)

    # stored under '' with its key, dispatch and history (the foreign keys cascade)
    stored = svc.db.cursor_fetchall(
        "SELECT e.community_code, e.street_code, k.community_code,"
        " (SELECT array_agg(DISTINCT d.community_code) FROM dispatch AS d"
        "   WHERE d.event_id = e.id),"
        " (SELECT array_agg(DISTINCT a.community_code) FROM event_action AS a"
        "   WHERE a.event_id = e.id)"
        " FROM event AS e JOIN event_key AS k ON k.event_id = e.id WHERE e.id = %s",
        (event_id,),
    )
    assert stored == [("", None, "", [""], [""])]
    assert rollup_differences(svc.db) == {}
    assert key_mismatches(svc.db) == []

    # shown as null: one event, the list, GeoJSON and CSV exports
    one = api.get(f"/v1/events/{event_id}")
    assert one.status_code == 200 and one.json()["grid"]["community_code"] is None
    listed = api.get("/v1/events")
    assert listed.status_code == 200
    (feature,) = listed.json()["features"]
    assert feature["id"] == event_id and feature["properties"]["grid"]["community_code"] is None
    exported = api.get("/v1/events", params={"format": "csv"})
    assert exported.status_code == 200
    (row,) = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert row["id"] == str(event_id) and row["community_code"] == ""
    in_old_community = api.get("/v1/events", params={"grid": code})
    assert in_old_community.json()["features"] == []

    # the app's retry: now outside every grid, still its event (200), the same id
    again = api.post("/v1/events", json=_report(point))
    assert again.status_code == 200, again.text
    assert again.json()["event"]["id"] == event_id
    assert again.json()["event"]["grid"]["community_code"] is None
    clash = api.post("/v1/events", json={**_report(point), "title": "别的"})
    assert clash.status_code == 409
    # the workflow goes on: new history rows carry the event's community ('')
    started = api.post(
        f"/v1/events/{event_id}/actions", json={"action": "start", "department": "fire_rescue"}
    )
    assert started.status_code == 200, started.text
    history = api.get(f"/v1/events/{event_id}/history")
    assert [h["action"] for h in history.json()["history"]] == ["accept", "dispatch", "start"]
    assert duplicate_keys(svc.db) == []
    assert key_mismatches(svc.db) == []
    assert rollup_differences(svc.db) == {}
