"""Import a city's official boundaries as a new grid version.

Two levels can be imported:

``community``
    The file's communities replace the active version's. Streets, 板块 (sectors), districts
    and the city are *derived* by dissolving the communities (by parent code, by the
    street's sector, by the 6-digit district prefix), so the new version nests exactly by
    construction; their names and sector membership come from the active version. A street
    code the active version does not know is a ``missing_parent`` error.

``grid``
    Finer 网格 under the active version's communities: every other level is copied from the
    active version, and each grid must lie inside its community (code = community code + 3
    digits). Gaps inside a community are warnings: grids need not cover it.

Everything is checked before anything is written (:func:`check_file`); a file with errors
writes nothing. ``fix=True`` applies :func:`gridsvc.grids.validate.fix_units` first and
reports each change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyproj
import shapely

from gridsvc.errors import InvalidInput, NoActiveGridVersion
from gridsvc.grids import store
from gridsvc.grids.io import read_grid_file
from gridsvc.grids.validate import Finding, ValidationReport, fix_units, validate_units
from gridsvc.service import Gridsvc

IMPORTABLE_LEVELS = ("community", "grid")
_EQUAL_AREA = "+proj=cea +lon_0=0 +lat_ts=30 +datum=WGS84 +units=m"


@dataclass
class ImportResult:
    report: ValidationReport
    changes: list[str] = field(default_factory=list)
    version_id: int | None = None
    counts: dict[str, int] = field(default_factory=dict)


def _reference(svc: Gridsvc) -> tuple[store.GridVersion | None, gpd.GeoDataFrame | None]:
    try:
        version = store.active_version(svc.db)
    except NoActiveGridVersion:
        return None, None
    return version, store.read_units(svc.db, version.id)


def _area_km2(geoms: gpd.GeoSeries) -> Any:
    return geoms.to_crs(pyproj.CRS.from_proj4(_EQUAL_AREA)).area / 1e6


def _extra_findings(
    units: gpd.GeoDataFrame, level: str, reference: gpd.GeoDataFrame | None
) -> list[Finding]:
    """Checks that need the active version: unknown parent streets, a file far from the city."""
    if reference is None:
        return []
    findings: list[Finding] = []
    if level == "community":
        streets = set(reference.loc[reference["level"] == "street", "code"])
        for parent, group in units.groupby("parent_code", dropna=False):
            if parent in streets:
                continue
            codes = tuple(sorted(group["code"]))
            point = group.geometry.iloc[0].representative_point() if len(group) else None
            findings.append(
                Finding(
                    check="missing_parent",
                    severity="error",
                    codes=codes,
                    message=f"Street {parent!r} of {len(codes)} communities ({', '.join(codes[:5])}"
                    f"{'…' if len(codes) > 5 else ''}) is not a street of the active grid version.",
                    lon_wgs84=point.x if point is not None else None,
                    lat_wgs84=point.y if point is not None else None,
                    source_rows=tuple(int(r) for r in group["source_row"]),
                )
            )
    city = reference.loc[reference["level"] == "city"].geometry
    if len(city) and len(units):
        bounds = units.total_bounds
        city_geom = city.iloc[0]
        inside = shapely.intersects(units.geometry.values, city_geom).sum()
        if inside == 0:
            findings.append(
                Finding(
                    check="outside_parent",
                    severity="error",
                    codes=(),
                    message=f"None of the {len(units)} units lies within the city of the active "
                    f"grid version (file extent lon {bounds[0]:.4f}..{bounds[2]:.4f}, lat "
                    f"{bounds[1]:.4f}..{bounds[3]:.4f}). The file's coordinate system is probably "
                    "wrong: pass --crs with the right one (e.g. EPSG:4490 or EPSG:4549).",
                    lon_wgs84=float((bounds[0] + bounds[2]) / 2),
                    lat_wgs84=float((bounds[1] + bounds[3]) / 2),
                )
            )
    return findings


def check_file(
    svc: Gridsvc,
    path: Path,
    *,
    level: str,
    code_field: str = "code",
    name_field: str = "name",
    parent_field: str | None = None,
    layer: str | None = None,
    source_crs: str | None = None,
    fix: bool = False,
) -> tuple[ValidationReport, tuple[gpd.GeoDataFrame, list[str]]]:
    """Read and validate a boundary file against the active version; writes nothing."""
    if level not in IMPORTABLE_LEVELS:
        raise InvalidInput("grid.level_not_importable", field="level", level=level)
    units = read_grid_file(
        path,
        level=level,
        code_field=code_field,
        name_field=name_field,
        parent_field=parent_field,
        layer=layer,
        source_crs=source_crs,
    )
    _, reference = _reference(svc)
    parents = None
    if level == "grid":
        if reference is None:
            raise NoActiveGridVersion("grid.none_for_import")
        parents = reference.loc[reference["level"] == "community", ["code", "name", "geometry"]]
    tolerance_m2 = svc.settings.grids.topology_tolerance_m2
    tolerances = {
        "overlap_tolerance_m2": tolerance_m2,
        "gap_tolerance_m2": tolerance_m2,
        "outside_tolerance_m2": tolerance_m2,
    }
    changes: list[str] = []
    if fix:
        units, changes = fix_units(units, level=level, parents=parents, **tolerances)
    report = validate_units(units, level=level, parents=parents, **tolerances)
    extra = _extra_findings(units, level, reference)
    if extra:
        report = ValidationReport(
            level=report.level, n_units=report.n_units, findings=(*report.findings, *extra)
        )
    return report, (units, changes)


def _derive_levels(
    communities: gpd.GeoDataFrame, reference: gpd.GeoDataFrame | None, population: pd.Series | None
) -> gpd.GeoDataFrame:
    """All levels from communities: dissolve upwards, names from the reference version."""
    ref = reference.set_index("code") if reference is not None else None

    def ref_value(code: str, column: str, default: Any) -> Any:
        if ref is not None and code in ref.index:
            value = ref.at[code, column]
            return (
                default if value is None or (isinstance(value, float) and pd.isna(value)) else value
            )
        return default

    comm = communities[["code", "name", "parent_code", "geometry"]].copy()
    comm["level"] = "community"
    comm["kind"] = None
    comm["population"] = population.values if population is not None else None

    def dissolve(frame: gpd.GeoDataFrame, by: str) -> gpd.GeoDataFrame:
        groups = frame.groupby(by)
        geoms = groups.geometry.apply(lambda g: shapely.union_all(g.values))
        pops = groups["population"].apply(lambda p: None if p.isna().all() else int(p.sum()))
        return gpd.GeoDataFrame(
            {"code": geoms.index, "population": pops.values}, geometry=geoms.values, crs=frame.crs
        )

    streets = dissolve(comm, "parent_code")
    streets["level"] = "street"
    streets["parent_code"] = streets["code"].str[:6]
    streets["sector_code"] = [ref_value(c, "sector_code", None) for c in streets["code"]]
    districts = dissolve(streets, "parent_code")
    districts["level"] = "district"
    districts["parent_code"] = districts["code"].str[:4] + "00"
    with_sector = streets[streets["sector_code"].notna()]
    sectors = dissolve(with_sector, "sector_code") if len(with_sector) else streets.iloc[:0]
    sectors["level"] = "sector"
    cities = dissolve(districts, "parent_code")
    cities["level"] = "city"
    cities["parent_code"] = None
    sectors["parent_code"] = cities["code"].iloc[0] if len(cities) else None
    for frame in (streets, districts, sectors, cities):
        frame["name"] = [ref_value(c, "name", c) for c in frame["code"]]
        frame["kind"] = [ref_value(c, "kind", None) for c in frame["code"]]
        if "sector_code" not in frame:
            frame["sector_code"] = None
    comm["sector_code"] = [ref_value(p, "sector_code", None) for p in comm["parent_code"]]
    out = pd.concat([cities, districts, sectors, streets, comm], ignore_index=True)
    frame = gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")
    frame["synthetic"] = False
    frame["geometry"] = frame.geometry.apply(
        lambda g: g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])
    )
    frame["area_km2"] = _area_km2(frame.geometry).values
    return frame


def import_file(
    svc: Gridsvc,
    path: Path,
    *,
    level: str,
    code_field: str = "code",
    name_field: str = "name",
    parent_field: str | None = None,
    population_field: str | None = None,
    layer: str | None = None,
    source_crs: str | None = None,
    name: str | None = None,
    fix: bool = False,
    activate: bool = True,
) -> ImportResult:
    """Validate ``path`` and, if it has no errors, store it as a new version."""
    report, (units, changes) = check_file(
        svc,
        path,
        level=level,
        code_field=code_field,
        name_field=name_field,
        parent_field=parent_field,
        layer=layer,
        source_crs=source_crs,
        fix=fix,
    )
    result = ImportResult(report=report, changes=changes)
    if not report.ok:
        return result
    version, reference = _reference(svc)
    population = None
    if population_field:
        raw = gpd.read_file(path, layer=layer, columns=[population_field], ignore_geometry=True)
        population = (
            pd.to_numeric(raw[population_field], errors="coerce")
            .iloc[units["source_row"].to_numpy() - 1]
            .reset_index(drop=True)
        )
    if level == "community":
        all_units = _derive_levels(units, reference, population)
        synthetic = False
    else:
        assert reference is not None and version is not None
        grids = units[["code", "name", "parent_code", "geometry"]].copy()
        grids["level"] = "grid"
        grids["kind"] = "网格"
        grids["synthetic"] = False
        grids["population"] = population.values if population is not None else None
        comm_sector = reference.set_index("code")["sector_code"]
        grids["sector_code"] = [comm_sector.get(p) for p in grids["parent_code"]]
        grids["geometry"] = grids.geometry.apply(
            lambda g: g if g.geom_type == "MultiPolygon" else shapely.MultiPolygon([g])
        )
        grids["area_km2"] = _area_km2(gpd.GeoSeries(grids.geometry, crs="EPSG:4326")).values
        all_units = gpd.GeoDataFrame(
            pd.concat([reference[reference["level"] != "grid"], grids], ignore_index=True),
            geometry="geometry",
            crs="EPSG:4326",
        )
        synthetic = version.synthetic
    counts = all_units["level"].value_counts().to_dict()
    with svc.db.connection() as conn:
        result.version_id = store.insert_version(
            conn,
            all_units,
            name=name or f"{path.stem} ({level})",
            synthetic=synthetic,
            source=str(path.name),
            notes={
                "imported_level": level,
                "fixes": changes,
                "based_on_version": version.id if version else None,
            },
            activate=activate,
        )
    result.counts = {k: int(v) for k, v in counts.items()}
    return result
