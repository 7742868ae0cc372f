"""Checks of how grid units lie together: overlaps, parts outside the parent, and gaps.

Areas are in m² (see :mod:`gridsvc.grids.prepared`); a tolerance drops smaller findings.
Overlap detection queries an STRtree, so it costs about O(n log n) for n units rather than
comparing every pair.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from gridsvc.grids.findings import ERROR, WARNING, Finding
from gridsvc.grids.io import PARENT_LEVEL
from gridsvc.grids.prepared import PreparedUnits, as_multipolygon, format_m2

MAX_FIXABLE_SHARE = 0.10
"""Overlaps and outside parts are cut off automatically only up to this share of the unit."""

# Units within about 1 m of a gap count as its neighbours.
_ADJACENT_DEG = 1e-5


@dataclass(frozen=True)
class Overlap:
    earlier: int
    later: int
    shared_area: Any
    area_m2: float
    later_area_m2: float
    sound: bool  # neither unit has an invalid geometry that make_valid cannot repair

    @property
    def fixable(self) -> bool:
        return self.sound and self.area_m2 <= MAX_FIXABLE_SHARE * self.later_area_m2

    def finding(self, data: PreparedUnits) -> Finding:
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
            f"{format_m2(self.area_m2)}; {outcome}",
            lon,
            lat,
            area_m2=self.area_m2,
            fixable=self.fixable,
            source_rows=(data.source_rows[self.earlier], data.source_rows[self.later]),
        )


def find_overlaps(data: PreparedUnits, tolerance_m2: float) -> list[Overlap]:
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
        Overlap(
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
class OutsidePart:
    unit: int
    parent: int
    outside_area: Any
    area_m2: float
    unit_area_m2: float
    sound: bool  # the unit has no invalid geometry that make_valid cannot repair

    @property
    def fixable(self) -> bool:
        return self.sound and self.area_m2 <= MAX_FIXABLE_SHARE * self.unit_area_m2

    def finding(self, data: PreparedUnits) -> Finding:
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
            f"{data.label(self.unit)}: {format_m2(self.area_m2)} of it lies outside its "
            f"{PARENT_LEVEL.get(data.level, 'parent')} {parent}; {outcome}",
            lon,
            lat,
            area_m2=self.area_m2,
            fixable=self.fixable,
            source_rows=(data.source_rows[self.unit],),
        )


def find_outside_parts(data: PreparedUnits, tolerance_m2: float) -> list[OutsidePart]:
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
        OutsidePart(
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


def gap_findings(data: PreparedUnits, tolerance_m2: float) -> list[Finding]:
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
                f"{format_m2(area)}{inside} is covered by no {data.level}{between}; {note}. "
                "Not fixable with --fix.",
                lon,
                lat,
                area_m2=area,
            )
        )
    return findings


def _gaps(
    data: PreparedUnits, usable: np.ndarray[Any, np.dtype[np.intp]], tree: shapely.STRtree
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
            gaps.extend((part, code) for part in shapely.get_parts(as_multipolygon(uncovered)))
        return gaps
    union = as_multipolygon(shapely.union_all(data.polygons[usable]))
    for polygon in union.geoms:
        for ring in polygon.interiors:
            hole = shapely.Polygon(ring)
            islands = tree.query(hole, predicate="contains")
            if len(islands):
                hole = shapely.difference(hole, shapely.union_all(data.polygons[usable[islands]]))
            gaps.extend((part, None) for part in shapely.get_parts(as_multipolygon(hole)))
    return gaps
