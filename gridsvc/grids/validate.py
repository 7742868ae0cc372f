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

Overlap detection queries an STRtree, so it costs about O(n log n) for n units rather than
comparing every pair.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from gridsvc.grids.io import (
    CODE_DIGITS,
    PARENT_LEVEL,
    derive_parent_code,
    is_well_formed_code,
    parse_level,
)

CHECKS = (
    "unreadable_geometry",
    "empty_geometry",
    "wrong_geometry_type",
    "invalid_geometry",
    "duplicate_code",
    "malformed_code",
    "code_parent_mismatch",
    "missing_parent",
    "overlap",
    "gap",
    "outside_parent",
)
ERROR = "error"
WARNING = "warning"

MAX_REPAIR_AREA_CHANGE = 0.01
"""`make_valid` counts as a repair if the area changes by at most this share (1 %)."""

MAX_FIXABLE_SHARE = 0.10
"""Overlaps and outside parts are cut off automatically only up to this share of the unit."""

_POLYGONAL = ("Polygon", "MultiPolygon")
_REASON_LOCATION = re.compile(r"\[\s*(-?[\d.eE+-]+)\s+(-?[\d.eE+-]+)\s*\]")
# Units within about 1 m of a gap count as its neighbours.
_ADJACENT_DEG = 1e-5


@dataclass(frozen=True)
class Finding:
    """One problem in the data: which check, which units, where, and how big."""

    check: str
    severity: str
    codes: tuple[str, ...]
    message: str
    lon_wgs84: float | None
    lat_wgs84: float | None
    area_m2: float | None = None
    fixable: bool = False
    source_rows: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict with the same keys as the fields."""
        return {
            "check": self.check,
            "severity": self.severity,
            "codes": list(self.codes),
            "message": self.message,
            "lon_wgs84": self.lon_wgs84,
            "lat_wgs84": self.lat_wgs84,
            "area_m2": self.area_m2,
            "fixable": self.fixable,
            "source_rows": list(self.source_rows),
        }


@dataclass(frozen=True)
class ValidationReport:
    """Every finding for `n_units` units of one `level`."""

    level: str
    n_units: int
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """True when nothing is an error (warnings allowed)."""
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == WARNING)

    def to_dict(self) -> dict[str, object]:
        return {
            "level": self.level,
            "n_units": self.n_units,
            "ok": self.ok,
            "n_errors": len(self.errors),
            "n_warnings": len(self.warnings),
            "findings": [finding.to_dict() for finding in self.findings],
        }

    def summary(self) -> str:
        """A heading line, then one line per finding, for a terminal."""
        verdict = "OK" if self.ok else "NOT OK"
        fixable = sum(1 for f in self.errors if f.fixable)
        lines = [
            f"{self.n_units} {self.level} units: {len(self.errors)} errors "
            f"({fixable} fixable with --fix), {len(self.warnings)} warnings: {verdict}"
        ]
        for finding in self.findings:
            where = ""
            if finding.lon_wgs84 is not None and finding.lat_wgs84 is not None:
                where = f" [at lon {finding.lon_wgs84:.6f}, lat {finding.lat_wgs84:.6f}]"
            lines.append(f"{finding.severity.upper():7} {finding.check}: {finding.message}{where}")
        return "\n".join(lines)


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
    data = _Prepared.build(units, parse_level(level), parents)
    findings = [
        *_geometry_findings(data),
        *_code_findings(data),
        *(o.finding(data) for o in _overlaps(data, overlap_tolerance_m2)),
        *(o.finding(data) for o in _outside_parts(data, outside_tolerance_m2)),
        *_gap_findings(data, gap_tolerance_m2),
    ]
    return ValidationReport(level=data.level, n_units=len(data.codes), findings=tuple(findings))


def fix_units(
    units: gpd.GeoDataFrame,
    *,
    level: str,
    parents: gpd.GeoDataFrame | None = None,
    overlap_tolerance_m2: float = 1.0,
    gap_tolerance_m2: float = 1.0,
    outside_tolerance_m2: float = 1.0,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Repair every fixable finding; return the repaired copy and one line per change.

    In order: invalid geometries are replaced by the polygons `make_valid` makes of them;
    rows sharing code, name and parent are merged into one; of two overlapping units the
    later row gives up the shared area; units are clipped to their parent. Nothing else is
    removed or changed. Unfixable findings stay for `validate_units` to report.
    `gap_tolerance_m2` is accepted for symmetry with `validate_units`; gaps are never fixed.
    """
    level = parse_level(level)
    changes: list[str] = []
    data = _Prepared.build(units, level, parents)
    fixed = data.units.copy()
    geometries = list(fixed.geometry)

    for index, repair in data.repairs.items():
        if repair.fixable:
            geometries[index] = repair.polygons
            changes.append(
                f"{data.label(index)}: replaced the invalid geometry "
                f"({repair.reason}) by make_valid, {repair.describe_area()}."
            )
    fixed = fixed.set_geometry(gpd.GeoSeries(geometries, index=fixed.index, crs=fixed.crs))

    drop: list[int] = []
    for group in _duplicates(data):
        if group.fixable:
            keep, *others = group.rows
            merged = shapely.union_all([geometries[i] for i in group.rows])
            fixed.at[fixed.index[keep], "geometry"] = _as_multipolygon(merged)
            drop.extend(others)
            changes.append(
                f"merged rows {_rows(data, group.rows)} sharing code "
                f"{data.codes[keep]} and name '{data.names[keep]}' into one unit."
            )
    fixed = fixed.drop(index=fixed.index[drop]).reset_index(drop=True)

    data = _Prepared.build(fixed, level, parents)
    geometries = list(fixed.geometry)
    overlaps = sorted(_overlaps(data, overlap_tolerance_m2), key=lambda o: (o.later, o.earlier))
    for overlap in overlaps:
        if overlap.fixable:
            shrunk = shapely.difference(geometries[overlap.later], geometries[overlap.earlier])
            geometries[overlap.later] = _as_multipolygon(shrunk)
            changes.append(
                f"{data.label(overlap.later)}: gave up {_m2(overlap.area_m2)} "
                f"it shared with {data.label(overlap.earlier)}."
            )
    fixed = fixed.set_geometry(gpd.GeoSeries(geometries, index=fixed.index, crs=fixed.crs))

    data = _Prepared.build(fixed, level, parents)
    for outside in _outside_parts(data, outside_tolerance_m2):
        if outside.fixable:
            parent_geometry = data.parent_polygons[outside.parent]
            clipped = shapely.intersection(geometries[outside.unit], parent_geometry)
            geometries[outside.unit] = _as_multipolygon(clipped)
            changes.append(
                f"{data.label(outside.unit)}: cut off {_m2(outside.area_m2)} "
                f"outside its parent {data.parent_codes[outside.unit]}."
            )
    fixed = fixed.set_geometry(gpd.GeoSeries(geometries, index=fixed.index, crs=fixed.crs))
    return fixed, changes


# --- preparation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Repair:
    """What `make_valid` makes of one invalid geometry; areas in m²."""

    reason: str
    polygons: shapely.MultiPolygon
    area_before_m2: float
    area_after_m2: float
    lon_lat: tuple[float, float] | None

    @property
    def fixable(self) -> bool:
        change = abs(self.area_after_m2 - self.area_before_m2)
        return not self.polygons.is_empty and change <= MAX_REPAIR_AREA_CHANGE * self.area_after_m2

    def describe_area(self) -> str:
        return f"area {_m2(self.area_before_m2)} → {_m2(self.area_after_m2)}"


@dataclass(frozen=True)
class _Prepared:
    """The units in a form every check shares.

    `polygons` are the usable polygonal content of each row in EPSG:4326 (None when there is
    none), invalid ones replaced by their `make_valid` polygons. All overlays are computed
    in EPSG:4326, where the edges are straight as stored (and as PostGIS will see them);
    only their results are projected, to measure areas in m². Projecting first would bend
    long edges differently from the short edges of their neighbours and invent slivers.
    """

    level: str
    units: gpd.GeoDataFrame
    codes: list[str]
    names: list[str]
    parent_codes: list[str | None]
    source_rows: list[int]
    geometries: list[Any]
    polygons: np.ndarray[Any, np.dtype[np.object_]]
    repairs: dict[int, _Repair]
    parent_index: dict[str, int] | None
    parent_unit_codes: list[str]
    parent_polygons: np.ndarray[Any, np.dtype[np.object_]]
    to_m: Callable[[Any], Any]

    @classmethod
    def build(
        cls, units: gpd.GeoDataFrame, level: str, parents: gpd.GeoDataFrame | None
    ) -> _Prepared:
        if units.crs is None:
            raise ValueError("units have no CRS; read them with read_grid_file (EPSG:4326)")
        units = units.to_crs("EPSG:4326").reset_index(drop=True)
        codes = [str(code) if code is not None else "" for code in units["code"]]
        names = [str(n) if n is not None else "" for n in units.get("name", [""] * len(codes))]
        if "parent_code" in units:
            parent_codes = [None if p is None or p != p else str(p) for p in units["parent_code"]]
        else:
            parent_codes = [derive_parent_code(code, level) for code in codes]
        if "source_row" in units:
            source_rows = [int(row) for row in units["source_row"]]
        else:
            source_rows = list(range(1, len(codes) + 1))
        geometries = list(units.geometry)

        parent_geometries: list[Any] = []
        parent_index: dict[str, int] | None = None
        parent_unit_codes: list[str] = []
        if parents is not None:
            parents = parents.to_crs("EPSG:4326").reset_index(drop=True)
            parent_unit_codes = [str(code) for code in parents["code"]]
            parent_index = {code: i for i, code in enumerate(parent_unit_codes)}
            parent_geometries = list(parents.geometry)

        forward = pyproj.Transformer.from_crs(
            "EPSG:4326", _equal_area_crs(geometries), always_xy=True
        )
        to_m = _projector(forward)
        validity = shapely.is_valid_reason(np.asarray(geometries, dtype=object))
        repairs: dict[int, _Repair] = {}
        polygons: list[shapely.MultiPolygon | None] = []
        for index, (geometry, reason) in enumerate(zip(geometries, validity, strict=True)):
            if geometry is None or geometry.is_empty:
                polygons.append(None)
                continue
            if _is_polygonal(geometry) and reason != "Valid Geometry":
                repaired = _as_multipolygon(shapely.make_valid(geometry))
                repairs[index] = _Repair(
                    reason=reason,
                    polygons=repaired,
                    area_before_m2=float(shapely.area(to_m(geometry))),
                    area_after_m2=float(shapely.area(to_m(repaired))),
                    lon_lat=_reason_location(reason),
                )
                geometry = repaired
            content = _as_multipolygon(geometry)
            polygons.append(None if content.is_empty else content)
        parent_polygons = [_as_multipolygon(shapely.make_valid(g)) for g in parent_geometries]
        return cls(
            level=level,
            units=units,
            codes=codes,
            names=names,
            parent_codes=parent_codes,
            source_rows=source_rows,
            geometries=geometries,
            polygons=np.asarray(polygons, dtype=object),
            repairs=repairs,
            parent_index=parent_index,
            parent_unit_codes=parent_unit_codes,
            parent_polygons=np.asarray(parent_polygons, dtype=object),
            to_m=to_m,
        )

    def label(self, index: int) -> str:
        code = self.codes[index] or "(no code)"
        return f"{self.level} {code} (row {self.source_rows[index]})"

    def is_sound(self, index: int) -> bool:
        """False if the unit's geometry is invalid and `make_valid` is no safe repair of it."""
        repair = self.repairs.get(int(index))
        return repair is None or repair.fixable

    def area_m2(self, geometries: Any) -> Any:
        """Area in m² of EPSG:4326 geometries (a scalar for one, an array for an array)."""
        return shapely.area(self.to_m(geometries))

    def point(self, geometry: BaseGeometry | None) -> tuple[float | None, float | None]:
        """A point on `geometry` (EPSG:4326) as (lon, lat), or (None, None) if it is empty."""
        if geometry is None or geometry.is_empty:
            return None, None
        point = shapely.point_on_surface(geometry)
        return float(point.x), float(point.y)

    def usable(self) -> np.ndarray[Any, np.dtype[np.intp]]:
        return np.array([i for i, p in enumerate(self.polygons) if p is not None], dtype=np.intp)


def _equal_area_crs(geometries: Sequence[Any]) -> pyproj.CRS:
    """Lambert azimuthal equal-area centred on the middle of the geometries' extent."""
    present = [g for g in geometries if g is not None and not g.is_empty]
    lon_0, lat_0 = 0.0, 0.0
    if present:
        min_x, min_y, max_x, max_y = shapely.total_bounds(present)
        if np.isfinite([min_x, min_y, max_x, max_y]).all():
            lon_0, lat_0 = (min_x + max_x) / 2, (min_y + max_y) / 2
    return pyproj.CRS.from_proj4(
        f"+proj=laea +lat_0={lat_0:.6f} +lon_0={lon_0:.6f} +datum=WGS84 +units=m +no_defs"
    )


def _projector(transformer: pyproj.Transformer) -> Callable[[Any], Any]:
    def project(geometries: Any) -> Any:
        return shapely.transform(geometries, transformer.transform, interleaved=False)

    return project


def _is_polygonal(geometry: Any) -> bool:
    return geometry is not None and geometry.geom_type in _POLYGONAL


def _as_multipolygon(geometry: Any) -> shapely.MultiPolygon:
    """The polygonal parts of `geometry` as one MultiPolygon (empty if there are none)."""
    if geometry is None or geometry.is_empty:
        return shapely.MultiPolygon()
    if geometry.geom_type == "MultiPolygon":
        return geometry
    if geometry.geom_type == "Polygon":
        return shapely.MultiPolygon([geometry])
    if geometry.geom_type != "GeometryCollection":
        return shapely.MultiPolygon()
    parts: list[shapely.Polygon] = []
    for part in shapely.get_parts(geometry):
        parts.extend(_as_multipolygon(part).geoms)
    return shapely.MultiPolygon(parts)


def _reason_location(reason: str) -> tuple[float, float] | None:
    match = _REASON_LOCATION.search(reason)
    if match is None:
        return None
    return float(match.group(1)), float(match.group(2))


def _m2(area_m2: float) -> str:
    return f"{area_m2:,.1f} m²" if area_m2 < 10 else f"{area_m2:,.0f} m²"


def _rows(data: _Prepared, indices: Iterable[int]) -> str:
    return ", ".join(str(data.source_rows[i]) for i in indices)


# --- per-unit checks ------------------------------------------------------------------------


def _geometry_findings(data: _Prepared) -> list[Finding]:
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
        elif not _is_polygonal(geometry):
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


def _invalid_finding(data: _Prepared, index: int) -> Finding:
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


@dataclass(frozen=True)
class _Duplicate:
    rows: tuple[int, ...]
    fixable: bool


def _duplicates(data: _Prepared) -> list[_Duplicate]:
    """Groups of rows sharing a non-empty code; mergeable if name and parent agree too."""
    by_code: dict[str, list[int]] = defaultdict(list)
    for index, code in enumerate(data.codes):
        if code:
            by_code[code].append(index)
    groups = []
    for indices in by_code.values():
        if len(indices) > 1:
            same = {(data.names[i], data.parent_codes[i]) for i in indices}
            usable = all(data.polygons[i] is not None and data.is_sound(i) for i in indices)
            groups.append(_Duplicate(tuple(indices), fixable=len(same) == 1 and usable))
    return groups


def _code_findings(data: _Prepared) -> list[Finding]:
    findings: list[Finding] = []
    level, parent_level = data.level, PARENT_LEVEL.get(data.level, "parent")
    for group in _duplicates(data):
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
                f"{level} code {data.codes[first]} appears in rows {_rows(data, group.rows)} "
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


# --- topology checks ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Overlap:
    earlier: int
    later: int
    shared_area: Any
    area_m2: float
    later_area_m2: float
    sound: bool  # neither unit has an invalid geometry that make_valid cannot repair

    @property
    def fixable(self) -> bool:
        return self.sound and self.area_m2 <= MAX_FIXABLE_SHARE * self.later_area_m2

    def finding(self, data: _Prepared) -> Finding:
        share = self.area_m2 / self.later_area_m2 if self.later_area_m2 else 1.0
        if self.fixable:
            outcome = f"--fix removes it from {data.codes[self.later]}, the later row."
        elif not self.sound:
            outcome = "redraw the unit with the invalid geometry first. Not fixable with --fix."
        else:
            outcome = (
                f"that is {share:.0%} of {data.codes[self.later]}, too much to cut off "
                "automatically: correct the boundaries. Not fixable with --fix."
            )
        lon, lat = data.point(self.shared_area)
        return Finding(
            "overlap",
            ERROR,
            (data.codes[self.earlier], data.codes[self.later]),
            f"{data.label(self.earlier)} and {data.label(self.later)} overlap by "
            f"{_m2(self.area_m2)}; {outcome}",
            lon,
            lat,
            area_m2=self.area_m2,
            fixable=self.fixable,
            source_rows=(data.source_rows[self.earlier], data.source_rows[self.later]),
        )


def _overlaps(data: _Prepared, tolerance_m2: float) -> list[_Overlap]:
    """Pairs of units (other than rows sharing a code) overlapping by more than the tolerance."""
    usable = data.usable()
    if len(usable) < 2:
        return []
    geometries = data.polygons[usable]
    left, right = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    keep = left < right
    earlier, later = usable[left[keep]], usable[right[keep]]
    # Neighbours that only share boundary are the common case; the overlay is the costly part.
    interiors_meet = ~shapely.touches(data.polygons[earlier], data.polygons[later])
    earlier, later = earlier[interiors_meet], later[interiors_meet]
    shared = shapely.intersection(data.polygons[earlier], data.polygons[later])
    areas = data.area_m2(shared)
    later_areas = data.area_m2(data.polygons[later])
    return [
        _Overlap(
            int(i),
            int(j),
            shared[k],
            float(areas[k]),
            float(later_areas[k]),
            sound=data.is_sound(i) and data.is_sound(j),
        )
        for k, (i, j) in enumerate(zip(earlier, later, strict=True))
        if areas[k] > tolerance_m2 and data.codes[i] != data.codes[j]
    ]


@dataclass(frozen=True)
class _Outside:
    unit: int
    parent: int
    outside_area: Any
    area_m2: float
    unit_area_m2: float
    sound: bool  # the unit has no invalid geometry that make_valid cannot repair

    @property
    def fixable(self) -> bool:
        return self.sound and self.area_m2 <= MAX_FIXABLE_SHARE * self.unit_area_m2

    def finding(self, data: _Prepared) -> Finding:
        parent = data.parent_codes[self.unit]
        share = self.area_m2 / self.unit_area_m2 if self.unit_area_m2 else 1.0
        if self.fixable:
            outcome = "--fix clips it to its parent."
        elif not self.sound:
            outcome = "redraw its invalid geometry first. Not fixable with --fix."
        else:
            outcome = (
                f"that is {share:.0%} of it, too much to clip automatically: check its "
                "parent code, its boundary and the file's CRS. Not fixable with --fix."
            )
        parts = shapely.get_parts(self.outside_area)
        largest = parts[int(np.argmax(data.area_m2(parts)))] if len(parts) else None
        lon, lat = data.point(largest)
        return Finding(
            "outside_parent",
            ERROR,
            (data.codes[self.unit],),
            f"{data.label(self.unit)}: {_m2(self.area_m2)} of it lies outside its "
            f"{PARENT_LEVEL.get(data.level, 'parent')} {parent}; {outcome}",
            lon,
            lat,
            area_m2=self.area_m2,
            fixable=self.fixable,
            source_rows=(data.source_rows[self.unit],),
        )


def _outside_parts(data: _Prepared, tolerance_m2: float) -> list[_Outside]:
    if data.parent_index is None:
        return []
    pairs = [
        (int(index), data.parent_index[parent])
        for index in data.usable()
        if (parent := data.parent_codes[index]) is not None and parent in data.parent_index
    ]
    if not pairs:
        return []
    units, parents = (np.array(side, dtype=np.intp) for side in zip(*pairs, strict=True))
    shapely.prepare(data.parent_polygons)
    sticking_out = ~shapely.covers(data.parent_polygons[parents], data.polygons[units])
    units, parents = units[sticking_out], parents[sticking_out]
    outside = shapely.difference(data.polygons[units], data.parent_polygons[parents])
    areas = data.area_m2(outside)
    unit_areas = data.area_m2(data.polygons[units])
    return [
        _Outside(
            int(units[k]),
            int(parents[k]),
            outside[k],
            float(areas[k]),
            float(unit_areas[k]),
            sound=data.is_sound(units[k]),
        )
        for k in range(len(units))
        if areas[k] > tolerance_m2
    ]


def _gap_findings(data: _Prepared, tolerance_m2: float) -> list[Finding]:
    usable = data.usable()
    if len(usable) == 0:
        return []
    tree = shapely.STRtree(data.polygons[usable])
    severity = WARNING if data.level == "grid" else ERROR
    findings = []
    gaps = _gaps(data, usable, tree)
    areas = data.area_m2(np.array([gap for gap, _parent in gaps], dtype=object))
    for (gap, parent), area_m2 in zip(gaps, areas, strict=True):
        area = float(area_m2)
        if area <= tolerance_m2:
            continue
        near = tree.query(gap, predicate="dwithin", distance=_ADJACENT_DEG)
        neighbours = sorted({data.codes[usable[i]] for i in near})
        inside = f" inside {PARENT_LEVEL.get(data.level, 'parent')} {parent}" if parent else ""
        between = f", next to {', '.join(neighbours)}" if neighbours else ""
        note = (
            "finer grids need not cover the whole community, so this is a warning"
            if severity == WARNING
            else "extend the neighbouring units to cover it"
        )
        lon, lat = data.point(gap)
        findings.append(
            Finding(
                "gap",
                severity,
                tuple(neighbours) or ((parent,) if parent else ()),
                f"{_m2(area)}{inside} is covered by no {data.level}{between}; {note}. "
                "Not fixable with --fix.",
                lon,
                lat,
                area_m2=area,
            )
        )
    return findings


def _gaps(
    data: _Prepared, usable: np.ndarray[Any, np.dtype[np.intp]], tree: shapely.STRtree
) -> list[tuple[Any, str | None]]:
    """Uncovered polygons (EPSG:4326) and the parent code they lie in (None without parents).

    With parents: each parent having units in the data, minus the union of its units.
    Without: the holes in the union of all units, minus any units lying inside the holes.
    """
    gaps: list[tuple[Any, str | None]] = []
    if data.parent_index is not None:
        children: dict[int, list[int]] = defaultdict(list)
        for index in usable:
            parent = data.parent_index.get(data.parent_codes[index] or "")
            if parent is not None:
                children[parent].append(int(index))
        for parent, indices in children.items():
            covered = shapely.union_all(data.polygons[indices])
            uncovered = shapely.difference(data.parent_polygons[parent], covered)
            code = data.parent_unit_codes[parent]
            gaps.extend((part, code) for part in shapely.get_parts(_as_multipolygon(uncovered)))
        return gaps
    union = _as_multipolygon(shapely.union_all(data.polygons[usable]))
    for polygon in union.geoms:
        for ring in polygon.interiors:
            hole = shapely.Polygon(ring)
            islands = tree.query(hole, predicate="contains")
            if len(islands):
                hole = shapely.difference(hole, shapely.union_all(data.polygons[usable[islands]]))
            gaps.extend((part, None) for part in shapely.get_parts(_as_multipolygon(hole)))
    return gaps
