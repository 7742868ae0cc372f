"""Grid versions in the database: the default load, activation, and reassignment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import shapely

from gridsvc.grids import store
from gridsvc.grids.importer import import_file
from gridsvc.service import Gridsvc


def test_the_default_dataset_is_loaded_with_every_level(svc: Gridsvc) -> None:
    counts = store.level_counts(svc.db)
    assert counts == {"city": 1, "district": 11, "sector": 12, "street": 101,
                      "community": 1255}
    version = store.active_version(svc.db)
    assert version.synthetic is True and "synthetic" in version.name.lower()
    # every community and grid polygon is subdivided for in-database lookups
    (parts_codes,) = svc.db.cursor_fetchall(
        "SELECT count(DISTINCT code) FROM grid_unit_part WHERE version_id = %s",
        (version.id,))[0]
    assert parts_codes == 1255


def _insert_events(svc: Gridsvc, points: np.ndarray, version_id: int) -> None:
    loc = svc.locate_many(points[:, 0], points[:, 1])
    with svc.db.connection() as conn, conn.cursor() as cur:
        for (x, y), found in zip(points, loc, strict=True):
            cur.execute(
                "INSERT INTO event (geom, grid_version_id, community_code, street_code,"
                " sector_code, district_code) VALUES (ST_SetSRID(ST_Point(%s, %s), 4326),"
                " %s, %s, %s, %s, %s)",
                (float(x), float(y), version_id, found.code("community"),
                 found.code("street"), found.code("sector"), found.code("district")))


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
    _insert_events(svc, pts, old.id)
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
        (a["code"], result.version_id))[0]
    assert on_a == should_move
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
    assert result.counts == {"city": 1, "district": 11, "sector": 12, "street": 101,
                             "community": 1255}
    new = store.active_version(svc.db)
    assert new.id == result.version_id and new.synthetic is False
    derived = store.read_units(svc.db, new.id).set_index("code")
    original = units.set_index("code")
    for code in ("320102", "320111001", "SJBXQ", "320100"):
        assert derived.at[code, "name"] == original.at[code, "name"]
        a, b = derived.at[code, "geometry"], original.at[code, "geometry"]
        assert a.symmetric_difference(b).area < 1e-9 * max(b.area, 1e-9) + 1e-10
