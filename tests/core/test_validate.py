"""Reading official grid files and validating/fixing them before import.

The files are built by `tests/core/grid_files.py` into `tmp_path`: a clean 3×3 block of
communities in Nanjing and variants with exactly one known problem each.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from gridsvc.errors import InvalidGridData, UnknownCrs, UnknownLevel
from gridsvc.grids.io import LEVELS, derive_parent_code, parse_level, read_grid_file
from gridsvc.grids.validate import CHECKS, Finding, ValidationReport, fix_units, validate_units
from tests.core import grid_files as gf

pytestmark = pytest.mark.filterwarnings(
    # Writing test Shapefiles: 'parent_code' is cut to 10 characters, as in real ones.
    "ignore:Column names longer than 10 characters:UserWarning",
    "ignore:Normalized/laundered field name:RuntimeWarning",
    "ignore:'crs' was not provided:UserWarning",
)

FORMATS = ["geojson", "gpkg", "shp", "shpzip", "parquet"]
AREA_REL = 0.02  # laea areas against geodesic ones on the ellipsoid


def _needs(fmt: str) -> None:
    if fmt == "parquet":
        pytest.importorskip("pyarrow")


def _read(
    frame: gpd.GeoDataFrame, tmp_path: Path, fmt: str = "gpkg", **kwargs: Any
) -> gpd.GeoDataFrame:
    _needs(fmt)
    kwargs.setdefault("level", "community")
    return read_grid_file(gf.write(frame, tmp_path, fmt), **kwargs)


def _checks(report: ValidationReport) -> list[str]:
    return sorted(finding.check for finding in report.findings)


def _only(report: ValidationReport, check: str) -> Finding:
    assert _checks(report) == [check], report.summary()
    return report.findings[0]


def _point_in(finding: Finding, area: shapely.Geometry) -> bool:
    assert finding.lon_wgs84 is not None and finding.lat_wgs84 is not None
    point = shapely.Point(finding.lon_wgs84, finding.lat_wgs84)
    return bool(area.buffer(1e-9).covers(point))


def _same_shapes(read: gpd.GeoSeries, original: gpd.GeoSeries, tolerance_deg: float) -> None:
    for got, want in zip(read, original, strict=True):
        assert got.geom_type == "MultiPolygon"
        assert shapely.hausdorff_distance(got, want) < tolerance_deg


# --- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_clean_file_round_trips_and_validates(tmp_path: Path, fmt: str) -> None:
    units = _read(gf.communities(), tmp_path, fmt)

    assert list(units.columns) == ["code", "name", "parent_code", "geometry", "source_row"]
    assert list(units["code"]) == list(gf.CODES)
    assert list(units["name"]) == list(gf.COMMUNITY_NAMES)
    assert list(units["parent_code"]) == [gf.STREET_CODE] * 9
    assert list(units["source_row"]) == list(range(1, 10))
    assert units.crs.to_epsg() == 4326
    _same_shapes(units.geometry, gf.communities().geometry, 1e-12)

    for parents in (None, gf.street()):
        report = validate_units(units, level="community", parents=parents)
        assert report.ok
        assert report.findings == ()
        assert report.n_units == 9


@pytest.mark.parametrize(("epsg", "fmt"), [(4549, "gpkg"), (32650, "shpzip"), (4490, "geojson")])
def test_projected_or_cgcs2000_file_lands_where_it_was(tmp_path: Path, epsg: int, fmt: str) -> None:
    original = gf.communities()
    units = _read(original.to_crs(epsg), tmp_path, fmt)

    assert units.crs.to_epsg() == 4326
    _same_shapes(units.geometry, original.geometry, 1e-7)
    assert validate_units(units, level="community", parents=gf.street()).findings == ()


@pytest.mark.parametrize(("fmt", "dtype"), [("gpkg", "int64"), ("geojson", "float64")])
def test_numeric_codes_come_back_as_digits(tmp_path: Path, fmt: str, dtype: str) -> None:
    frame = gf.communities()
    frame["code"] = frame["code"].astype(dtype)
    frame["parent_code"] = frame["parent_code"].astype(dtype)

    units = _read(frame, tmp_path, fmt)

    assert list(units["code"]) == list(gf.CODES)
    assert list(units["parent_code"]) == [gf.STREET_CODE] * 9


def test_numeric_codes_in_a_shapefile(tmp_path: Path) -> None:
    frame = gf.communities().drop(columns="parent_code")
    frame["code"] = frame["code"].astype("float64")

    units = _read(frame, tmp_path, "shpzip")

    assert list(units["code"]) == list(gf.CODES)


def test_field_names_are_matched_without_case_and_as_dbf_cuts_them(tmp_path: Path) -> None:
    frame = gf.communities().rename(columns={"code": "CODE", "name": "Name"})
    frame["parent_code"] = ["320102009"] * 9  # stored as "parent_cod" in the .dbf

    units = _read(frame, tmp_path, "shp")

    assert list(units["code"]) == list(gf.CODES)
    assert list(units["parent_code"]) == ["320102009"] * 9


def test_shapefile_folder_and_gbk_without_cpg(tmp_path: Path) -> None:
    """Old official Shapefiles are GBK without a .cpg; `encoding` reads their names."""
    folder = tmp_path / "streets"
    folder.mkdir()
    gf.communities().to_file(folder / "communities.shp", encoding="GBK")
    (folder / "communities.cpg").unlink()

    units = read_grid_file(folder, level="community", encoding="GBK")

    assert list(units["code"]) == list(gf.CODES)
    assert list(units["name"]) == list(gf.COMMUNITY_NAMES)


def test_custom_field_names(tmp_path: Path) -> None:
    frame = gf.communities().rename(columns={"code": "SQDM", "name": "SQMC", "parent_code": "JD"})

    units = _read(frame, tmp_path, code_field="SQDM", name_field="SQMC", parent_field="JD")

    assert list(units["code"]) == list(gf.CODES)
    assert list(units["name"]) == list(gf.COMMUNITY_NAMES)


def test_parent_code_is_derived_when_the_file_has_none(tmp_path: Path) -> None:
    frame = gf.communities().drop(columns="parent_code")
    assert list(_read(frame, tmp_path)["parent_code"]) == [gf.STREET_CODE] * 9

    frame = gf.communities()
    frame["parent_code"] = "999999999"
    ignored = _read(frame, tmp_path / "ignored", parent_field=None)
    assert list(ignored["parent_code"]) == [gf.STREET_CODE] * 9


@pytest.mark.parametrize(
    ("level", "code", "parent"),
    [
        ("district", "320102", "320100"),
        ("street", "320102002", "320102"),
        ("community", "320102002001", "320102002"),
        ("grid", "320102002001003", "320102002001"),
        ("community", "32010200200", None),
        ("city", "320100", None),
    ],
)
def test_derive_parent_code(level: str, code: str, parent: str | None) -> None:
    assert derive_parent_code(code, level) == parent


def test_parse_level() -> None:
    assert parse_level(" Community ") == "community"
    assert all(parse_level(level) == level for level in LEVELS)
    with pytest.raises(UnknownLevel) as raised:
        parse_level("village")
    assert "community" in (raised.value.hint or "")


def test_missing_code_field_names_it_and_lists_the_fields(tmp_path: Path) -> None:
    frame = gf.communities().rename(columns={"code": "bm"})
    path = gf.write(frame, tmp_path, "geojson")

    with pytest.raises(InvalidGridData) as raised:
        read_grid_file(path, level="community")

    error = raised.value
    assert "'code'" in error.message
    assert "bm" in error.message and "parent_code" in error.message
    assert error.field == "code_field"
    assert "--code-field" in (error.hint or "")
    assert error.details["available_fields"] == ["bm", "name", "parent_code"]


def test_missing_name_field(tmp_path: Path) -> None:
    path = gf.write(gf.communities().drop(columns="name"), tmp_path, "gpkg")

    with pytest.raises(InvalidGridData) as raised:
        read_grid_file(path, level="community")

    assert "'name'" in raised.value.message
    assert raised.value.field == "name_field"


def test_file_without_crs_needs_crs_option(tmp_path: Path) -> None:
    frame = gf.communities()
    no_crs = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=list(frame.geometry))
    path = gf.write(no_crs, tmp_path, "shpzip")

    with pytest.raises(InvalidGridData) as raised:
        read_grid_file(path, level="community")

    assert "no coordinate reference system" in raised.value.message
    assert "--crs" in (raised.value.hint or "")
    assert raised.value.field == "crs"

    units = read_grid_file(path, level="community", source_crs="EPSG:4490")
    _same_shapes(units.geometry, frame.geometry, 1e-12)


def test_metres_labelled_as_degrees_is_a_read_error(tmp_path: Path) -> None:
    """A file in EPSG:4549 that claims to be EPSG:4326 is refused, and --crs repairs it."""
    original = gf.communities()
    mislabelled = original.to_crs(4549).set_crs(4326, allow_override=True)
    path = gf.write(mislabelled, tmp_path, "gpkg")

    with pytest.raises(InvalidGridData) as raised:
        read_grid_file(path, level="community")

    assert "metres" in raised.value.message
    assert raised.value.field == "crs"
    assert "--crs" in (raised.value.hint or "")

    units = read_grid_file(path, level="community", source_crs="EPSG:4549")
    _same_shapes(units.geometry, original.geometry, 1e-7)


def test_wrong_projected_crs_puts_every_unit_outside_its_parent(tmp_path: Path) -> None:
    """UTM 50N metres labelled as Gauss-Kruger CM 120E land about 300 km east, near Shanghai."""
    mislabelled = gf.communities().to_crs(32650).set_crs(4549, allow_override=True)
    units = _read(mislabelled, tmp_path)

    report = validate_units(units, level="community", parents=gf.street())

    outside = [f for f in report.findings if f.check == "outside_parent"]
    assert sorted(f.codes[0] for f in outside) == list(gf.CODES)
    assert not any(f.fixable for f in outside)
    assert all("CRS" in f.message for f in outside)
    assert _checks(report) == ["gap"] + ["outside_parent"] * 9  # the street is left empty


def test_unknown_source_crs(tmp_path: Path) -> None:
    path = gf.write(gf.communities(), tmp_path, "gpkg")
    with pytest.raises(UnknownCrs):
        read_grid_file(path, level="community", source_crs="EPSG:999999")


def test_several_layers_need_a_layer_name(tmp_path: Path) -> None:
    path = gf.write(gf.communities(), tmp_path, "gpkg", stem="communities")
    gf.street().to_file(path, layer="streets", driver="GPKG")

    with pytest.raises(InvalidGridData) as raised:
        read_grid_file(path, level="community")
    assert raised.value.field == "layer"
    assert "communities" in raised.value.message and "streets" in raised.value.message

    units = read_grid_file(path, level="community", layer="communities")
    assert list(units["code"]) == list(gf.CODES)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidGridData) as raised:
        read_grid_file(tmp_path / "nope.gpkg", level="community")
    assert raised.value.field == "path"


# --- per-unit checks -----------------------------------------------------------------------


def _broken_geojson(tmp_path: Path, geometry: object) -> gpd.GeoDataFrame:
    """The clean block as GeoJSON with community 009's geometry replaced by `geometry`."""
    features = gf.features(gf.communities())
    features[8]["geometry"] = geometry
    return read_grid_file(gf.write_geojson_features(tmp_path, features), level="community")


def test_unreadable_geometry(tmp_path: Path) -> None:
    unclosed = {
        "type": "Polygon",
        "coordinates": [[[118.79, 32.048], [118.8, 32.048], [118.8, 32.057]]],
    }
    units = _broken_geojson(tmp_path, unclosed)
    assert units.geometry.iloc[8] is None

    finding = _only(validate_units(units, level="community"), "unreadable_geometry")

    assert finding.codes == (gf.CODES[8],)
    assert finding.source_rows == (9,)
    assert finding.severity == "error" and not finding.fixable


def test_empty_geometry(tmp_path: Path) -> None:
    units = _broken_geojson(tmp_path, None)

    finding = _only(validate_units(units, level="community"), "empty_geometry")

    assert finding.codes == (gf.CODES[8],)
    assert not finding.fixable


def test_wrong_geometry_type(tmp_path: Path) -> None:
    outline = shapely.geometry.mapping(box(*gf.cell(9)).exterior)
    units = _broken_geojson(tmp_path, {"type": "LineString", "coordinates": outline["coordinates"]})

    finding = _only(validate_units(units, level="community"), "wrong_geometry_type")

    assert finding.codes == (gf.CODES[8],)
    assert "LineString" in finding.message
    assert not finding.fixable


@pytest.mark.parametrize("fmt", ["gpkg", "geojson"])
def test_self_intersection_is_found_and_fixable(tmp_path: Path, fmt: str) -> None:
    units = _read(gf.broken_bowtie(), tmp_path, fmt)

    finding = _only(
        validate_units(units, level="community", parents=gf.street()), "invalid_geometry"
    )

    assert finding.codes == (gf.CODES[4],)
    assert finding.source_rows == (5,)
    assert "Self-intersection" in finding.message
    assert finding.fixable and "--fix repairs it" in finding.message
    west, _south, east, north = gf.cell(5)
    assert finding.lat_wgs84 == pytest.approx(north, abs=2e-5)
    assert finding.lon_wgs84 == pytest.approx((west + east) / 2, abs=2e-5)


def test_self_intersection_that_make_valid_cannot_repair_safely(tmp_path: Path) -> None:
    frame = gf.communities()
    frame.at[4, "geometry"] = gf.figure_eight(5)
    units = _read(frame, tmp_path)

    report = validate_units(units, level="community")
    invalid = [f for f in report.findings if f.check == "invalid_geometry"]

    assert len(invalid) == 1 and not invalid[0].fixable
    assert "Not fixable" in invalid[0].message
    fixed, changes = fix_units(units, level="community")
    assert not any("repaired" in c or "make_valid" in c for c in changes)
    assert [f.check for f in validate_units(fixed, level="community").findings].count(
        "invalid_geometry"
    ) == 1


def test_overlap_of_an_unrepairable_unit_is_left_alone(tmp_path: Path) -> None:
    frame = gf.communities()
    frame.at[4, "geometry"] = gf.figure_eight(5, reach_lon=gf.OVERLAP_LON)
    units = _read(frame, tmp_path)

    report = validate_units(units, level="community", parents=gf.street())
    overlap = [f for f in report.findings if f.check == "overlap"]
    assert [f.codes for f in overlap] == [(gf.CODES[4], gf.CODES[5])]
    assert not overlap[0].fixable and "invalid geometry first" in overlap[0].message
    outside = [f for f in report.findings if f.check == "outside_parent"]
    assert outside == []  # 005 reaches into 006, not out of the street

    fixed, changes = fix_units(units, level="community", parents=gf.street())
    assert changes == []
    assert fixed.geometry.geom_equals_exact(units.geometry, tolerance=0).all()


@pytest.mark.parametrize("code", ["32010200207", "32010200200X", "３２０１０２００２００７", ""])
def test_malformed_code(tmp_path: Path, code: str) -> None:
    units = _read(gf.with_code(code), tmp_path)

    finding = _only(validate_units(units, level="community"), "malformed_code")

    assert finding.codes == (code,)
    assert finding.source_rows == (7,)
    assert "12 digits" in finding.message


def test_duplicate_code_of_two_units(tmp_path: Path) -> None:
    units = _read(gf.broken_duplicate(), tmp_path)

    finding = _only(validate_units(units, level="community", parents=gf.street()), "duplicate_code")

    assert finding.codes == (gf.CODES[6],)
    assert finding.source_rows == (7, 8)
    assert not finding.fixable
    fixed, changes = fix_units(units, level="community", parents=gf.street())
    assert changes == []
    assert len(fixed) == 9


def test_one_unit_stored_as_two_features_is_merged(tmp_path: Path) -> None:
    units = _read(gf.split_unit(), tmp_path)

    finding = _only(validate_units(units, level="community"), "duplicate_code")
    assert finding.fixable and finding.source_rows == (9, 10)

    fixed, changes = fix_units(units, level="community", parents=gf.street())

    assert len(changes) == 1 and "merged rows 9, 10" in changes[0]
    assert list(fixed["code"]) == list(gf.CODES)
    assert fixed.geometry.iloc[8].equals(box(*gf.cell(9)))
    assert validate_units(fixed, level="community", parents=gf.street()).findings == ()


def test_code_parent_mismatch(tmp_path: Path) -> None:
    units = _read(gf.with_code("320102001007"), tmp_path)

    for parents in (None, gf.street()):
        finding = _only(
            validate_units(units, level="community", parents=parents), "code_parent_mismatch"
        )
        assert finding.codes == ("320102001007",)
        assert "320102001" in finding.message and gf.STREET_CODE in finding.message


def test_missing_parent(tmp_path: Path) -> None:
    units = _read(gf.with_orphan(), tmp_path)

    assert validate_units(units, level="community").findings == ()
    finding = _only(validate_units(units, level="community", parents=gf.street()), "missing_parent")

    assert finding.codes == ("320102003001",)
    assert "320102003" in finding.message
    assert finding.source_rows == (10,)


# --- topology checks -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["gpkg", "shpzip"])
def test_overlap_between_two_named_codes_with_its_area(tmp_path: Path, fmt: str) -> None:
    units = _read(gf.broken_overlap(), tmp_path, fmt)

    finding = _only(validate_units(units, level="community", parents=gf.street()), "overlap")

    assert finding.codes == (gf.CODES[1], gf.CODES[2])
    assert finding.source_rows == (2, 3)
    expected_m2 = gf.geodesic_area_m2(gf.overlap_area())
    assert expected_m2 == pytest.approx(47_100, rel=0.01)
    assert finding.area_m2 == pytest.approx(expected_m2, rel=AREA_REL)
    assert gf.CODES[1] in finding.message and gf.CODES[2] in finding.message
    assert "m²" in finding.message
    assert finding.fixable
    assert _point_in(finding, gf.overlap_area())


def test_overlap_below_tolerance_is_not_reported(tmp_path: Path) -> None:
    units = _read(gf.broken_overlap(), tmp_path)
    report = validate_units(units, level="community", overlap_tolerance_m2=50_000)
    assert report.findings == ()


def test_large_overlap_is_not_fixable(tmp_path: Path) -> None:
    units = _read(gf.broken_overlap(extra_lon=0.004), tmp_path)

    finding = _only(validate_units(units, level="community"), "overlap")
    assert not finding.fixable
    assert "40%" in finding.message

    fixed, changes = fix_units(units, level="community")
    assert changes == []
    assert _checks(validate_units(fixed, level="community")) == ["overlap"]


@pytest.mark.parametrize("with_parents", [False, True])
def test_gap_with_its_area(tmp_path: Path, with_parents: bool) -> None:
    units = _read(gf.broken_gap(), tmp_path)
    parents = gf.street() if with_parents else None

    finding = _only(validate_units(units, level="community", parents=parents), "gap")

    assert finding.severity == "error"
    assert finding.area_m2 == pytest.approx(gf.geodesic_area_m2(gf.gap_area()), rel=AREA_REL)
    assert {gf.CODES[4], gf.CODES[7]} <= set(finding.codes)
    assert _point_in(finding, gf.gap_area())
    assert (f"inside street {gf.STREET_CODE}" in finding.message) is with_parents
    assert validate_units(units, level="community", gap_tolerance_m2=70_000).findings == ()


def test_gap_among_grids_is_a_warning(tmp_path: Path) -> None:
    community = gf.communities().iloc[[4]].drop(columns="parent_code")
    complete = _read(gf.grids_of_005(), tmp_path / "complete", level="grid")
    assert list(complete["parent_code"]) == [gf.CODES[4]] * 4
    assert validate_units(complete, level="grid", parents=community).findings == ()

    units = _read(gf.grids_of_005(missing=4), tmp_path / "missing", level="grid")
    report = validate_units(units, level="grid", parents=community)

    finding = _only(report, "gap")
    assert finding.severity == "warning"
    assert report.ok and report.warnings == (finding,)
    west, south, east, north = gf.cell(5)
    quarter = box((west + east) / 2, (south + north) / 2, east, north)
    assert finding.area_m2 == pytest.approx(gf.geodesic_area_m2(quarter), rel=AREA_REL)


def test_unit_outside_its_parent(tmp_path: Path) -> None:
    units = _read(gf.broken_outside(), tmp_path)

    assert validate_units(units, level="community").findings == ()
    finding = _only(validate_units(units, level="community", parents=gf.street()), "outside_parent")

    assert finding.codes == (gf.CODES[2],)
    assert finding.area_m2 == pytest.approx(gf.geodesic_area_m2(gf.outside_area()), rel=AREA_REL)
    assert finding.fixable
    assert _point_in(finding, gf.outside_area())


# --- fixing ----------------------------------------------------------------------------------


def test_fix_repairs_self_intersection_overlap_and_outside(tmp_path: Path) -> None:
    units = _read(gf.broken_many(), tmp_path)
    street = gf.street()
    before = validate_units(units, level="community", parents=street)
    assert _checks(before) == ["invalid_geometry", "outside_parent", "overlap"]
    assert all(f.fixable for f in before.findings)

    fixed, changes = fix_units(units, level="community", parents=street)

    assert len(changes) == 3
    bowtie_line, overlap_line, outside_line = changes
    assert gf.CODES[4] in bowtie_line and "make_valid" in bowtie_line
    assert gf.CODES[2] in overlap_line and gf.CODES[1] in overlap_line and "m²" in overlap_line
    assert gf.CODES[6] in outside_line and gf.STREET_CODE in outside_line
    after = validate_units(fixed, level="community", parents=street)
    assert after.ok and after.findings == ()

    assert list(fixed["code"]) == list(gf.CODES)
    assert list(fixed["source_row"]) == list(range(1, 10))
    assert fixed.geometry.iloc[1].equals(units.geometry.iloc[1])  # the earlier row keeps it
    west, south, east, north = gf.cell(3)
    remainder = box(west + gf.OVERLAP_LON, south, east, north)
    assert shapely.hausdorff_distance(fixed.geometry.iloc[2], remainder) < 1e-12
    assert shapely.hausdorff_distance(fixed.geometry.iloc[6], box(*gf.cell(7))) < 1e-12
    assert fixed.geometry.iloc[4].is_valid
    assert all(g.geom_type == "MultiPolygon" for g in fixed.geometry)
    assert fixed.crs.to_epsg() == 4326


@pytest.mark.parametrize(
    "broken",
    [
        gf.broken_bowtie,
        gf.broken_overlap,
        gf.broken_gap,
        gf.broken_outside,
        gf.broken_duplicate,
        gf.split_unit,
        gf.with_orphan,
        gf.broken_many,
    ],
)
def test_after_fixing_no_fixable_error_remains(
    broken: Callable[[], gpd.GeoDataFrame], tmp_path: Path
) -> None:
    units = _read(broken(), tmp_path)
    before = validate_units(units, level="community", parents=gf.street())
    unfixable = sorted((f.check, f.codes) for f in before.errors if not f.fixable)

    fixed, changes = fix_units(units, level="community", parents=gf.street())

    after = validate_units(fixed, level="community", parents=gf.street())
    assert not any(f.fixable for f in after.findings), after.summary()
    assert sorted((f.check, f.codes) for f in after.errors) == unfixable
    assert len(changes) == sum(1 for f in before.findings if f.fixable)


def test_fix_does_not_touch_clean_units(tmp_path: Path) -> None:
    units = _read(gf.communities(), tmp_path)
    fixed, changes = fix_units(units, level="community", parents=gf.street())
    assert changes == []
    assert fixed.geometry.geom_equals_exact(units.geometry, tolerance=0).all()


# --- the report -----------------------------------------------------------------------------


def test_report_serialises_and_summarises(tmp_path: Path) -> None:
    units = _read(gf.broken_many(), tmp_path)
    report = validate_units(units, level="community", parents=gf.street())

    body = json.loads(json.dumps(report.to_dict()))
    assert body["ok"] is False and body["n_units"] == 9 and body["n_errors"] == 3
    assert {f["check"] for f in body["findings"]} <= set(CHECKS)
    overlap = next(f for f in body["findings"] if f["check"] == "overlap")
    assert overlap["codes"] == [gf.CODES[1], gf.CODES[2]]
    assert overlap["source_rows"] == [2, 3]

    lines = report.summary().splitlines()
    assert len(lines) == 1 + len(report.findings)
    assert "3 errors" in lines[0] and "NOT OK" in lines[0]
    assert any(line.startswith("ERROR") and "overlap" in line for line in lines[1:])


# --- properties ------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(
    widths=st.lists(st.integers(min_value=5, max_value=40), min_size=2, max_size=6),
    shift_index=st.integers(min_value=0, max_value=4),
    shift_units=st.integers(min_value=1, max_value=4),
)
def test_columns_tile_cleanly_and_a_moved_edge_overlaps_by_its_strip(
    widths: list[int], shift_index: int, shift_units: int
) -> None:
    """Columns of a street tile it without findings; moving one column's east edge by d
    creates exactly one overlap of the strip d wide, whatever the widths."""
    step_deg = 0.0005
    edges = gf.WEST_LON + step_deg * np.cumsum([0, *widths])
    south, north = gf.SOUTH_LAT, gf.SOUTH_LAT + 0.01
    columns = [box(w, south, e, north) for w, e in itertools.pairwise(edges)]
    codes = [f"{gf.STREET_CODE}{k:03d}" for k in range(1, len(columns) + 1)]
    frame = gpd.GeoDataFrame({"code": codes, "name": codes}, geometry=columns, crs="EPSG:4326")
    frame["parent_code"] = gf.STREET_CODE
    street = gpd.GeoDataFrame(
        {"code": [gf.STREET_CODE], "name": [gf.STREET_NAME]},
        geometry=[box(edges[0], south, edges[-1], north)],
        crs="EPSG:4326",
    )
    assert validate_units(frame, level="community", parents=street).findings == ()

    k = shift_index % (len(columns) - 1)
    d = shift_units * step_deg
    frame.at[k, "geometry"] = box(edges[k], south, edges[k + 1] + d, north)
    report = validate_units(frame, level="community", parents=street)

    strip = box(edges[k + 1], south, edges[k + 1] + d, north)
    expected = strip.intersection(columns[k + 1])
    overlap = [f for f in report.findings if f.check == "overlap"]
    assert len(overlap) == 1 and overlap[0].codes == (codes[k], codes[k + 1])
    assert overlap[0].area_m2 == pytest.approx(gf.geodesic_area_m2(expected), rel=AREA_REL)
