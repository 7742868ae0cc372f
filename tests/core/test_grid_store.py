"""Grid versions in the database: the default load, activation, and reassignment."""

from __future__ import annotations

import io
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from gridsvc.events.importer import import_events
from gridsvc.grids import store
from gridsvc.grids.importer import import_file
from gridsvc.service import Gridsvc
from tests.invariants import rollup_differences


def test_the_default_dataset_is_loaded_with_every_level(svc: Gridsvc) -> None:
    counts = store.level_counts(svc.db)
    assert counts == {"city": 1, "district": 11, "sector": 12, "street": 101, "community": 1255}
    version = store.active_version(svc.db)
    assert version.synthetic is True and "synthetic" in version.name.lower()
    # every community and grid polygon is subdivided for in-database lookups
    (parts_codes,) = svc.db.cursor_fetchall(
        "SELECT count(DISTINCT code) FROM grid_unit_part WHERE version_id = %s", (version.id,)
    )[0]
    assert parts_codes == 1255


def _insert_events(svc: Gridsvc, points: np.ndarray) -> None:
    """Store one hazard report per point through the bulk import path."""
    lines = ["client_event_id,reporter_id,category,occurred_at,lon,lat"]
    lines += [
        f"r{i},gw-1,hazard.fire,2026-11-01T09:00:00+08:00,{x:.9f},{y:.9f}"
        for i, (x, y) in enumerate(points)
    ]
    report = import_events(svc, io.BytesIO("\n".join(lines).encode()), filename="e.csv")
    assert report.stored == len(points) and report.rejected == 0


def _rollup_matches_events(svc: Gridsvc) -> None:
    assert rollup_differences(svc.db) == {}  # event_daily and the queue's status counts
    raw = svc.db.cursor_fetchall(
        "SELECT coalesce(community_code, ''), category, status, count(*) FROM event"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    )
    rolled = svc.db.cursor_fetchall(
        "SELECT community_code, category, status, sum(n) FROM event_daily"
        " GROUP BY 1, 2, 3 HAVING sum(n) <> 0 ORDER BY 1, 2, 3"
    )
    assert raw == rolled


def test_reassign_moves_events_to_a_changed_boundary(svc: Gridsvc, tmp_path: Path) -> None:
    old = store.active_version(svc.db)
    units = store.read_units(svc.db, old.id)
    comm = units[units["level"] == "community"].reset_index(drop=True)
    # two neighbours in one street: give the western half of B to A
    street = comm.groupby("parent_code").size().idxmax()
    sib = comm[comm["parent_code"] == street].reset_index(drop=True)
    a = b = None
    for i in range(len(sib)):
        for j in range(len(sib)):
            if i != j and sib.geometry[i].intersection(sib.geometry[j]).length > 0.002:
                a, b = sib.iloc[i], sib.iloc[j]
                break
        if a is not None:
            break
    assert a is not None and b is not None
    minx, miny, maxx, maxy = b.geometry.bounds
    cut = shapely.box(minx - 1, miny - 1, (minx + maxx) / 2, maxy + 1)
    # on the dataset's 1e-7° grid, so the new shared edge is identical on both sides
    moved_part = shapely.intersection(b.geometry, cut, grid_size=1e-7)
    new_a = shapely.union(a.geometry, moved_part, grid_size=1e-7)
    new_b = shapely.difference(b.geometry, moved_part, grid_size=1e-7)
    changed = comm.copy()
    changed.loc[changed["code"] == a["code"], "geometry"] = new_a
    changed.loc[changed["code"] == b["code"], "geometry"] = new_b
    path = tmp_path / "communities.gpkg"
    changed[["code", "name", "parent_code", "geometry"]].to_file(path, driver="GPKG")

    rng = np.random.default_rng(3)
    bx0, by0, bx1, by1 = b.geometry.bounds
    pts = np.column_stack([rng.uniform(bx0, bx1, 400), rng.uniform(by0, by1, 400)])
    pts = pts[shapely.contains_xy(b.geometry, pts[:, 0], pts[:, 1])]
    _insert_events(svc, pts)
    should_move = int(shapely.contains_xy(moved_part, pts[:, 0], pts[:, 1]).sum())
    assert should_move > 10

    result = import_file(svc, path, level="community", parent_field="parent_code")
    assert result.report.ok, result.report.summary()
    assert result.version_id is not None
    # events keep their assignment until asked
    rows = svc.db.cursor_fetchall("SELECT DISTINCT grid_version_id FROM event")
    assert rows == [(old.id,)]
    outcome = store.reassign(svc.db, result.version_id, snap_m=50, near_m=5)
    assert outcome.total == len(pts)
    assert outcome.moved == should_move
    assert outcome.outside == 0
    (on_a,) = svc.db.cursor_fetchall(
        "SELECT count(*) FROM event WHERE community_code = %s AND grid_version_id = %s",
        (a["code"], result.version_id),
    )[0]
    assert on_a == should_move
    _rollup_matches_events(svc)  # the statistics moved with the events
    # running it again moves nothing
    assert store.reassign(svc.db, result.version_id, snap_m=50, near_m=5).total == 0


def test_activating_an_unknown_version_is_a_clear_error(svc: Gridsvc) -> None:
    import pytest

    from gridsvc.errors import NotFound

    with pytest.raises(NotFound, match="No grid version 999"):
        store.activate(svc.db, 999)


def test_imported_communities_derive_every_level_that_nests_exactly(
    svc: Gridsvc, tmp_path: Path
) -> None:
    old = store.active_version(svc.db)
    units = store.read_units(svc.db, old.id)
    comm = units[units["level"] == "community"]
    path = tmp_path / "official.gpkg"
    comm[["code", "name", "geometry"]].to_crs(4549).to_file(path, driver="GPKG")
    result = import_file(svc, path, level="community", name="official test")
    assert result.report.ok, result.report.summary()
    assert result.counts == {
        "city": 1,
        "district": 11,
        "sector": 12,
        "street": 101,
        "community": 1255,
    }
    new = store.active_version(svc.db)
    assert new.id == result.version_id and new.synthetic is False
    derived = store.read_units(svc.db, new.id).set_index("code")
    original = units.set_index("code")
    for code in ("320102", "320111001", "SJBXQ", "320100"):
        assert derived.at[code, "name"] == original.at[code, "name"]
        a, b = derived.at[code, "geometry"], original.at[code, "geometry"]
        assert a.symmetric_difference(b).area < 1e-9 * max(b.area, 1e-9) + 1e-10


def test_finer_grids_import_under_their_communities_and_locate_finds_them(
    svc: Gridsvc, tmp_path: Path
) -> None:
    old = store.active_version(svc.db)
    units = store.read_units(svc.db, old.id).set_index("code")
    community = units.loc["320102002001"]
    minx, miny, maxx, maxy = community.geometry.bounds
    midx = (minx + maxx) / 2
    halves = [
        shapely.box(minx - 1, miny - 1, midx, maxy + 1),
        shapely.box(midx, miny - 1, maxx + 1, maxy + 1),
    ]
    cells = [shapely.intersection(community.geometry, h, grid_size=1e-7) for h in halves]
    grids = gpd.GeoDataFrame(
        {"code": ["320102002001001", "320102002001002"], "name": ["一网格", "二网格"]},
        geometry=cells,
        crs=4326,
    )
    path = tmp_path / "grids.geojson"
    grids.to_file(path, driver="GeoJSON")
    result = import_file(svc, path, level="grid")
    assert result.report.ok, result.report.summary()
    assert result.counts["grid"] == 2 and result.counts["community"] == 1255
    version = store.active_version(svc.db)
    assert version.grids == 2 and version.synthetic is True  # communities are still synthetic
    inside = cells[1].representative_point()
    found = svc.locate(inside.x, inside.y)
    assert [u.code for u in found.units[:2]] == ["320102002001002", "320102002001"]
    assert found.units[0].level == "grid" and found.units[0].name == "二网格"
    # a grid sticking out of its community is refused
    outside = grids.copy()
    outside.loc[0, "geometry"] = shapely.box(minx - 0.01, miny, midx, maxy)
    bad = tmp_path / "bad_grids.geojson"
    outside.to_file(bad, driver="GeoJSON")
    refused = import_file(svc, bad, level="grid")
    assert not refused.report.ok and refused.version_id is None
    assert {f.check for f in refused.report.errors} >= {"outside_parent"}
