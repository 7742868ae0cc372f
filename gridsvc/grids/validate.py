"""Check a city's grid units before they are written to the database, and repair what is safe.

`validate_units` takes the table `gridsvc.grids.io.read_grid_file` returns (EPSG:4326) and
reports every problem at once as `Finding`s; `fix_units` repairs the ones marked `fixable`
and says what it changed. Areas are measured in m² in a Lambert azimuthal equal-area
projection centred on the data, so a tolerance means the same on the ground anywhere.

Checks (the `Finding.check` names):

- `unreadable_geometry`, `empty_geometry`, `wrong_geometry_type`: the unit has no polygon.
- `invalid_geometry`: not OGC-valid (e.g. a self-intersecting ring); fixable when
  `shapely.make_valid` turns it into polygons whose area differs by at most
  `MAX_REPAIR_AREA_CHANGE`.
- `duplicate_code`: several rows share a code; fixable (merged) when they also share name
  and parent, i.e. one unit stored as several features.
- `malformed_code`: not the NBS number of digits for the level.
- `code_parent_mismatch`: the parent code is not the prefix the unit's own code implies.
- `missing_parent`: the parent code is not among `parents`.
- `overlap`: two units share more than the tolerance; fixable (the later row gives the
  shared area up) unless that costs it more than `MAX_FIXABLE_SHARE` of its area.
- `outside_parent`: a unit reaches outside its parent by more than the tolerance; fixable
  (clipped) on the same condition.
- `gap`: area not covered by any unit, inside a parent (when `parents` is given, only parents
  with at least one unit in the data are checked) or else enclosed by the units. An error,
  except at the `grid` level, where grids need not cover a whole community.

The report types are in :mod:`gridsvc.grids.findings`, the shared preparation of the
units in :mod:`gridsvc.grids.prepared`, the overlap, outside-parent and gap checks in
:mod:`gridsvc.grids.topology` and `fix_units` in :mod:`gridsvc.grids.repair`; the
per-unit checks of geometry and codes are here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import geopandas as gpd
import shapely

from gridsvc.grids.findings import CHECKS, ERROR, WARNING, Finding, ValidationReport
from gridsvc.grids.io import (
    CODE_DIGITS,
    PARENT_LEVEL,
    derive_parent_code,
    is_well_formed_code,
    parse_level,
)
from gridsvc.grids.prepared import (
    MAX_REPAIR_AREA_CHANGE,
    PreparedUnits,
    format_rows,
    is_polygonal,
)
from gridsvc.grids.repair import fix_units
from gridsvc.grids.topology import (
    MAX_FIXABLE_SHARE,
    find_outside_parts,
    find_overlaps,
    gap_findings,
)

__all__ = [
    "CHECKS",
    "ERROR",
    "MAX_FIXABLE_SHARE",
    "MAX_REPAIR_AREA_CHANGE",
    "WARNING",
    "Finding",
    "ValidationReport",
    "fix_units",
    "validate_units",
]


def validate_units(
    units: gpd.GeoDataFrame,
    *,
    level: str,
    parents: gpd.GeoDataFrame | None = None,
    overlap_tolerance_m2: float = 1.0,
    gap_tolerance_m2: float = 1.0,
    outside_tolerance_m2: float = 1.0,
) -> ValidationReport:
    """Check `units` (as `read_grid_file` returns them, EPSG:4326) of one `level`.

    `parents` (code, name, geometry; EPSG:4326) are the units of the level above, e.g. the
    streets of the active grid version; with them, parent codes, containment and coverage
    of each parent are checked. Tolerances are in m²: smaller overlaps, gaps or outside
    parts are not reported.
    """
    data = PreparedUnits.build(units, parse_level(level), parents)
    findings = [
        *_geometry_findings(data),
        *_code_findings(data),
        *(o.finding(data) for o in find_overlaps(data, overlap_tolerance_m2)),
        *(o.finding(data) for o in find_outside_parts(data, outside_tolerance_m2)),
        *gap_findings(data, gap_tolerance_m2),
    ]
    return ValidationReport(level=data.level, n_units=len(data.codes), findings=tuple(findings))


# --- per-unit checks ------------------------------------------------------------------------


def _geometry_findings(data: PreparedUnits) -> list[Finding]:
    findings: list[Finding] = []
    for index, geometry in enumerate(data.geometries):
        unit, rows, codes = data.label(index), (data.source_rows[index],), (data.codes[index],)
        if geometry is None:
            findings.append(
                Finding(
                    "unreadable_geometry",
                    ERROR,
                    codes,
                    f"{unit}: its geometry could not be decoded (e.g. a ring that is not closed "
                    "or has too few points); redraw it and export the file again. Not fixable "
                    "with --fix.",
                    None,
                    None,
                    source_rows=rows,
                )
            )
        elif geometry.is_empty:
            findings.append(
                Finding(
                    "empty_geometry",
                    ERROR,
                    codes,
                    f"{unit}: it has no geometry; draw its boundary or remove the row. "
                    "Not fixable with --fix.",
                    None,
                    None,
                    source_rows=rows,
                )
            )
        elif not is_polygonal(geometry):
            lon, lat = _lon_lat_of(shapely.point_on_surface(geometry))
            findings.append(
                Finding(
                    "wrong_geometry_type",
                    ERROR,
                    codes,
                    f"{unit}: it is a {geometry.geom_type}, but a grid unit must be a Polygon or "
                    "MultiPolygon (an area, not a line or point). Not fixable with --fix.",
                    lon,
                    lat,
                    source_rows=rows,
                )
            )
        elif index in data.repairs:
            findings.append(_invalid_finding(data, index))
    return findings


def _invalid_finding(data: PreparedUnits, index: int) -> Finding:
    repair = data.repairs[index]
    if repair.fixable:
        outcome = (
            f"make_valid repairs it into a MultiPolygon of about the same area "
            f"({repair.describe_area()}); --fix repairs it."
        )
    elif repair.polygons.is_empty:
        outcome = "make_valid leaves no polygon of it; redraw it. Not fixable with --fix."
    else:
        outcome = (
            f"make_valid would change its area too much ({repair.describe_area()}); "
            "redraw it. Not fixable with --fix."
        )
    lon, lat = repair.lon_lat or _lon_lat_of(shapely.point_on_surface(repair.polygons))
    return Finding(
        "invalid_geometry",
        ERROR,
        (data.codes[index],),
        f"{data.label(index)}: invalid geometry: {repair.reason}. {outcome}",
        lon,
        lat,
        area_m2=repair.area_after_m2,
        fixable=repair.fixable,
        source_rows=(data.source_rows[index],),
    )


def _lon_lat_of(point: Any) -> tuple[float | None, float | None]:
    if point is None or point.is_empty:
        return None, None
    return float(point.x), float(point.y)


def _code_findings(data: PreparedUnits) -> list[Finding]:
    findings: list[Finding] = []
    level, parent_level = data.level, PARENT_LEVEL.get(data.level, "parent")
    for group in data.duplicates():
        first = group.rows[0]
        names = ", ".join(f"'{data.names[i]}'" for i in group.rows)
        outcome = (
            "they share name and parent, so --fix merges them into one unit."
            if group.fixable
            else "give each unit its own code. Not fixable with --fix."
        )
        lon, lat = data.point(data.polygons[first])
        findings.append(
            Finding(
                "duplicate_code",
                ERROR,
                (data.codes[first],),
                f"{level} code {data.codes[first]} appears in rows {format_rows(data, group.rows)} "
                f"(names {names}); {outcome}",
                lon,
                lat,
                fixable=group.fixable,
                source_rows=tuple(data.source_rows[i] for i in group.rows),
            )
        )

    missing: dict[str, list[int]] = defaultdict(list)
    for index, code in enumerate(data.codes):
        unit, rows = data.label(index), (data.source_rows[index],)
        lon, lat = data.point(data.polygons[index])
        parent = data.parent_codes[index]
        if not is_well_formed_code(code, level):
            digits = CODE_DIGITS.get(level)
            rule = f"must be {digits} digits (0-9)" if digits else "must not be empty"
            findings.append(
                Finding(
                    "malformed_code",
                    ERROR,
                    (code,),
                    f"{unit}: the code '{code}' is not a valid NBS {level} code: it {rule}. "
                    "Not fixable with --fix.",
                    lon,
                    lat,
                    source_rows=rows,
                )
            )
            continue
        expected = derive_parent_code(code, level)
        if parent is not None and expected is not None and parent != expected:
            findings.append(
                Finding(
                    "code_parent_mismatch",
                    ERROR,
                    (code,),
                    f"{unit}: its parent code is {parent}, but its code says its {parent_level} "
                    f"is {expected}; correct one of them. Not fixable with --fix.",
                    lon,
                    lat,
                    source_rows=rows,
                )
            )
        elif (
            parent is not None
            and data.parent_index is not None
            and (parent not in data.parent_index)
        ):
            missing[parent].append(index)
    for parent, indices in missing.items():
        children = ", ".join(data.codes[i] for i in indices)
        lon, lat = data.point(data.polygons[indices[0]])
        findings.append(
            Finding(
                "missing_parent",
                ERROR,
                tuple(data.codes[i] for i in indices),
                f"{parent_level} {parent}, the parent of {level} {children}, does not exist in "
                f"the parent data; load that {parent_level} first or correct the code. "
                "Not fixable with --fix.",
                lon,
                lat,
                source_rows=tuple(data.source_rows[i] for i in indices),
            )
        )
    return findings
