"""Bulk import: GeoJSON and NDJSON, an interrupted import resumed, encodings and headers."""

from __future__ import annotations

import io
import json

import pytest
import shapely

from gridsvc.errors import InvalidInput
from gridsvc.events.importer import import_events
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc


def _points(svc: Gridsvc, n: int) -> list[tuple[float, float]]:
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    comm = units[units["level"] == "community"].geometry.iloc[:n]
    pts = [g.representative_point() for g in comm]
    return [(p.x, p.y) for p in pts if isinstance(p, shapely.Point)]


def _count(svc: Gridsvc) -> int:
    return int(svc.db.cursor_fetchall("SELECT count(*) FROM event")[0][0])


def test_geojson_and_ndjson_imports(svc: Gridsvc) -> None:
    pts = _points(svc, 3)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": {
                "category": "environment.sanitation",
                "occurred_at": "2026-11-02T10:00:00+08:00",
                "reporter_id": "video-01",
                "source": "video",
            },
        }
        for x, y in pts
    ]
    features.append(
        {
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [[0, 0], [1, 1]]},
            "properties": {},
        }
    )
    doc = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    report = import_events(svc, io.BytesIO(doc), filename="v.geojson")
    assert (report.stored, report.rejected) == (3, 1)
    assert "Point" in report.rejections[0].reason and report.rejections[0].row_number == 4
    lines = [
        json.dumps(
            {
                "category": "hazard.fire",
                "occurred_at": "2026-11-02T10:00:00+08:00",
                "lon": x,
                "lat": y,
                "client_event_id": f"n{i}",
                "reporter_id": "h",
                "attributes": {"floor": 3},
            }
        )
        for i, (x, y) in enumerate(pts)
    ]
    lines.insert(1, "{not json")
    report = import_events(svc, io.BytesIO("\n".join(lines).encode()), filename="x.ndjson")
    assert (report.stored, report.rejected) == (3, 1)
    assert report.rejections[0].row_number == 2 and "JSON" in report.rejections[0].reason
    stored = svc.db.cursor_fetchall("SELECT attributes FROM event WHERE client_event_id = 'n0'")[0][
        0
    ]
    assert stored == {"floor": 3}


def test_an_interrupted_import_completes_on_the_second_run_without_duplicates(
    svc: Gridsvc,
) -> None:
    svc.settings.events.import_batch_rows = 10
    pts = _points(svc, 35)
    body = "category,occurred_at,lon,lat\n" + "".join(
        f"dispute.neighbour,2026-11-03T08:00:00+08:00,{x},{y}\n" for x, y in pts
    )

    def die_after_first_batch(rows_done: int) -> None:
        if rows_done >= 10:
            raise KeyboardInterrupt  # the client went away / the process was killed

    with pytest.raises(KeyboardInterrupt):
        import_events(
            svc, io.BytesIO(body.encode()), filename="d.csv", progress=die_after_first_batch
        )
    assert _count(svc) == 10  # the first batch was committed, nothing of the second
    report = import_events(svc, io.BytesIO(body.encode()), filename="d.csv")
    assert report.already_stored == 10 and report.stored == len(pts) - 10
    assert _count(svc) == len(pts)


def test_a_bom_is_accepted_and_headers_are_checked(svc: Gridsvc) -> None:
    ((x, y),) = _points(svc, 1)
    body = (
        "\ufeffCategory,Occurred_At,Lon,Lat\n"
        f"public_security.theft,2026-11-03T08:00:00+08:00,{x},{y}\n"
    )
    report = import_events(svc, io.BytesIO(body.encode()), filename="excel.csv")
    assert report.stored == 1
    with pytest.raises(InvalidInput) as caught:
        import_events(svc, io.BytesIO(b"a,b\n1,2\n"), filename="bad.csv")
    assert "category" in caught.value.message and caught.value.field == "header"
    with pytest.raises(InvalidInput, match="format"):
        import_events(svc, io.BytesIO(b""), filename="events.xlsx")


def test_the_interrupted_job_is_marked_failed(svc: Gridsvc) -> None:
    from gridsvc.events.importer import import_job

    def stop(_: int) -> None:
        raise KeyboardInterrupt

    ((x, y),) = _points(svc, 1)
    body = f"category,occurred_at,lon,lat\nhazard.fire,2026-11-03T08:00:00+08:00,{x},{y}\n"
    with pytest.raises(KeyboardInterrupt):
        import_events(svc, io.BytesIO(body.encode()), filename="k.csv", progress=stop)
    (job_id,) = svc.db.cursor_fetchall("SELECT max(id) FROM import_job")[0]
    job = import_job(svc, int(job_id))
    assert job["status"] == "failed" and "interrupted" in job["message"]


def test_exports_for_excel_defuse_formulas() -> None:
    from gridsvc.export import excel_csv

    text = excel_csv(("a", "b"), [('=HYPERLINK("x")', 3), ("-1+1", None), ("普通", "@x")])
    assert text.startswith("\ufeff")
    lines = text.lstrip("\ufeff").splitlines()
    assert lines[1] == '"\'=HYPERLINK(""x"")",3'
    assert lines[2] == "'-1+1,"
    assert lines[3] == "普通,'@x"


def test_a_nul_character_rejects_its_row_not_the_file(svc: Gridsvc) -> None:
    # PostgreSQL text cannot hold NUL: COPY used to fail the whole import with a 500
    from gridsvc.events.importer import import_events

    data = (
        b"category,occurred_at,lon,lat,title\n"
        b"hazard.fire,2026-11-20T09:30:00+08:00,118.78,32.04,a\0b\n"
        b"hazard.fire,2026-11-20T09:31:00+08:00,118.78,32.04,ok\n"
    )
    report = import_events(svc, io.BytesIO(data), filename="nul.csv")
    assert (report.stored, report.rejected) == (1, 1)
    (rejection,) = report.rejections
    assert rejection.row_number == 1 and rejection.field == "title"
    assert "NUL" in rejection.reason
    stored = svc.db.cursor_fetchall("SELECT title FROM event")
    assert stored == [("ok",)]
