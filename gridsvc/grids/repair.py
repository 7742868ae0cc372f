"""Repairing the findings of :func:`gridsvc.grids.validate.validate_units` marked `fixable`."""

from __future__ import annotations

import geopandas as gpd
import shapely

from gridsvc.grids.io import parse_level
from gridsvc.grids.prepared import PreparedUnits, as_multipolygon, format_m2, format_rows
from gridsvc.grids.topology import find_outside_parts, find_overlaps


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
    data = PreparedUnits.build(units, level, parents)
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
    for group in data.duplicates():
        if group.fixable:
            keep, *others = group.rows
            merged = shapely.union_all([geometries[i] for i in group.rows])
            fixed.at[fixed.index[keep], "geometry"] = as_multipolygon(merged)
            drop.extend(others)
            changes.append(
                f"merged rows {format_rows(data, group.rows)} sharing code "
                f"{data.codes[keep]} and name '{data.names[keep]}' into one unit."
            )
    fixed = fixed.drop(index=fixed.index[drop]).reset_index(drop=True)

    data = PreparedUnits.build(fixed, level, parents)
    geometries = list(fixed.geometry)
    overlaps = sorted(find_overlaps(data, overlap_tolerance_m2), key=lambda o: (o.later, o.earlier))
    for overlap in overlaps:
        if overlap.fixable:
            shrunk = shapely.difference(geometries[overlap.later], geometries[overlap.earlier])
            geometries[overlap.later] = as_multipolygon(shrunk)
            changes.append(
                f"{data.label(overlap.later)}: gave up {format_m2(overlap.area_m2)} "
                f"it shared with {data.label(overlap.earlier)}."
            )
    fixed = fixed.set_geometry(gpd.GeoSeries(geometries, index=fixed.index, crs=fixed.crs))

    data = PreparedUnits.build(fixed, level, parents)
    for outside in find_outside_parts(data, outside_tolerance_m2):
        if outside.fixable:
            parent_geometry = data.parent_polygons[outside.parent]
            clipped = shapely.intersection(geometries[outside.unit], parent_geometry)
            geometries[outside.unit] = as_multipolygon(clipped)
            changes.append(
                f"{data.label(outside.unit)}: cut off {format_m2(outside.area_m2)} "
                f"outside its parent {data.parent_codes[outside.unit]}."
            )
    fixed = fixed.set_geometry(gpd.GeoSeries(geometries, index=fixed.index, crs=fixed.crs))
    return fixed, changes
