"""Event counts per grid unit of one level, with density and rate per resident.

Counts come from the ``event_daily`` rollup, summed per community in SQL
(``stats_counts_by_community.sql``), then up to the unit of the asked level that contains each
community (street: the community's parent; sector: its ``sector_code``; district: its
street's parent; city: that district's parent), through the mapping of
``stats_member.sql``, read once per grid version and level and kept. Because every level is a
sum of the same community counts, the roll-up identity holds exactly: the communities of a
street add up to the street, the streets of a district to the district, and so on. Events
outside every grid, on a community the active version lacks, or on one without a unit at the
level belong to no unit; their numbers are in ``frame.attrs`` (see :func:`counts_by_unit`).

Cost: one pass over the rollup rows the filter selects (the rollup has one row per community,
category, status, urgency, source and day that has events) and a sum over communities in
numpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, overload

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from gridsvc.grids import store
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from gridsvc.stats.filters import StatsFilter, sql_params
from gridsvc.stats.units import fetch, parse_stats_level, snapshot, stats_query

UNIT_COLUMNS = ("code", "name", "level", "parent_code", "sector_code", "area_km2", "population")


@overload
def counts_by_unit(
    svc: Gridsvc,
    level: str,
    flt: StatsFilter | None = ...,
    *,
    by_category: bool = ...,
    with_geometry: Literal[False] = ...,
) -> pd.DataFrame: ...


@overload
def counts_by_unit(
    svc: Gridsvc,
    level: str,
    flt: StatsFilter | None = ...,
    *,
    by_category: bool = ...,
    with_geometry: Literal[True],
) -> gpd.GeoDataFrame: ...


def counts_by_unit(
    svc: Gridsvc,
    level: str,
    flt: StatsFilter | None = None,
    *,
    by_category: bool = False,
    with_geometry: bool = False,
) -> pd.DataFrame | gpd.GeoDataFrame:
    """Events matching ``flt`` in every unit of ``level`` of the active grid version.

    One row per unit, in code order, units without events included (``n`` 0). Columns:

    - ``code``, ``name``, ``level``, ``parent_code``, ``sector_code``;
    - ``n``: events (int);
    - with ``by_category``, one int column per leaf category, named by its code
      (``hazard.fire``): the leaves the filter's categories stand for, or every leaf of the
      taxonomy, in taxonomy order (wide format; ``n`` is their row sum; the list is in
      ``attrs["category_columns"]``);
    - ``area_km2``; ``density_per_km2`` = n / area_km2;
    - ``population`` (nullable Int64); ``rate_per_1000`` = 1000 · n / population, events per
      1,000 residents over the filter's period (not annualised), NaN where the population is
      missing or zero;
    - ``geometry`` (EPSG:4326 MultiPolygons) when ``with_geometry``, which makes the result a
      GeoDataFrame.

    ``attrs`` holds ``grid_version`` (id, name), ``filter`` (:meth:`StatsFilter.describe`),
    ``outside_grids`` (matching events outside every grid), ``not_in_version`` (matching
    events on communities the active version lacks) and ``no_unit`` (matching events on
    communities without a unit at this level: at ``sector``, those outside every 板块): the
    units' ``n`` plus these three is every matching event.

    Raises ``UnknownLevel``/``InvalidInput`` for a level other than city, district, sector,
    street or community, ``UnknownCategory`` for an unknown category code, and
    ``NoActiveGridVersion``.
    """
    flt = flt or StatsFilter()
    level = parse_stats_level(level)
    taxonomy = svc.taxonomy(include_inactive=True)
    params: dict[str, Any] = {
        **sql_params(flt, taxonomy, svc.now()),
        "level": level,
        "by_category": by_category,
    }
    with snapshot(svc.read_db) as cur:
        version = store.active_version_in(cur)
        units = _level_units(svc, version.id, level, with_geometry=with_geometry, cur=cur)
        rows = fetch(cur, stats_query("stats_counts_by_community", flt), params)

    # each community row to the position of its unit (-1: none), then summed per unit
    codes = np.array([r[0] for r in rows], dtype=object)
    counts = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
    found = (
        units.communities.get_indexer(pd.Index(codes, dtype=object))
        if len(rows)
        else np.zeros(0, np.intp)
    )
    unit = np.full(len(found), -1, dtype=np.intp)
    unit[found >= 0] = units.unit_of[found[found >= 0]]
    outside = codes == ""
    counted = unit >= 0
    n = np.zeros(len(units.names), dtype=np.int64)
    np.add.at(n, unit[counted], counts[counted])
    unassigned = {
        "outside": int(counts[outside].sum()),
        "not_in_version": int(counts[(found < 0) & ~outside].sum()),
        # (a community of the version without a unit at this level: outside every 板块)
        "no_unit": int(counts[(found >= 0) & ~counted].sum()),
    }

    columns: dict[str, Any] = {"n": n}
    category_columns: list[str] = []
    if by_category:
        chosen = params["categories"]
        category_columns = (
            list(chosen) if chosen is not None else [c.code for c in taxonomy.leaves()]
        )
        # (only the rows counted in a unit: a category seen only outside every unit adds no
        # column, as it adds no count)
        categories = np.array([r[1] for r in rows], dtype=object)[counted]
        category_of, seen = pd.factorize(categories)
        per_category = np.zeros((len(seen), len(n)), dtype=np.int64)
        np.add.at(per_category, (category_of, unit[counted]), counts[counted])
        row_of = {str(code): i for i, code in enumerate(seen)}
        # a category in the rollup but not in the taxonomy still counts (kept, after the rest)
        category_columns += sorted(set(row_of) - set(category_columns))
        zeros = np.zeros(len(n), dtype=np.int64)
        columns |= {c: per_category[row_of[c]] if c in row_of else zeros for c in category_columns}
    columns |= {
        "area_km2": units.area,
        "density_per_km2": n / units.area_positive,
        "population": units.population,
        "rate_per_1000": 1000.0 * n / units.population_positive,
    }
    frame = pd.concat([units.names, pd.DataFrame(columns, index=units.names.index)], axis=1)

    attrs: dict[str, Any] = {
        "grid_version": {"id": version.id, "name": version.name},
        "level": level,
        "filter": flt.describe(),
        "outside_grids": unassigned["outside"],
        "not_in_version": unassigned["not_in_version"],
        "no_unit": unassigned["no_unit"],
        "category_columns": category_columns,
    }
    if with_geometry:
        geometry = shapely.from_wkb(units.wkb)
        result: pd.DataFrame = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    else:
        result = frame
    result.attrs.update(attrs)
    return result


def unit_geometry(svc: Gridsvc, level: str, version_id: int) -> gpd.GeoSeries:
    """The outlines (EPSG:4326) of the units of ``level`` in grid version ``version_id``,
    indexed by code: the units :func:`counts_by_unit` caches, for a caller that has counts of
    that version already and needs only the shapes (no second read of the rollup)."""
    units = _level_units(svc, version_id, parse_stats_level(level), with_geometry=True)
    return gpd.GeoSeries(shapely.from_wkb(units.wkb), index=units.names["code"], crs="EPSG:4326")


@dataclass(frozen=True)
class _LevelUnits:
    """The units of one level of a grid version and the mapping of the version's communities
    to them: what every count of that level shares, read once and kept (a version is never
    edited). Callers must not modify it."""

    names: pd.DataFrame
    """code, name, level, parent_code, sector_code; one row per unit, in code order."""
    wkb: list[bytes] | None
    """Each unit's outline (EPSG:4326), when read with geometry."""
    area: npt.NDArray[np.float64]
    area_positive: npt.NDArray[np.float64]
    """area_km2, NaN where not positive (the divisor of density)."""
    population: pd.arrays.IntegerArray
    population_positive: npt.NDArray[np.float64]
    """population, NaN where missing or not positive (the divisor of rates)."""
    communities: pd.Index
    """Every community code of the version (stats_member.sql)."""
    unit_of: npt.NDArray[np.intp]
    """For each of ``communities``, the row of its unit in ``names``; -1 for none."""


def _level_units(
    svc: Gridsvc, version_id: int, level: str, *, with_geometry: bool, cur: Any | None = None
) -> _LevelUnits:
    """The cached :class:`_LevelUnits` of ``level`` in ``version_id``; read the first time
    with ``cur``, or in a snapshot of its own."""

    def load() -> _LevelUnits:
        if cur is None:
            with snapshot(svc.read_db) as own:
                return read(own)
        return read(cur)

    def read(cur: Any) -> _LevelUnits:
        params = {"version_id": version_id, "level": level, "with_geometry": with_geometry}
        rows = fetch(cur, query("stats_units"), params)
        names = pd.DataFrame([r[:5] for r in rows], columns=list(UNIT_COLUMNS[:5]))
        area = np.array([r[5] for r in rows], dtype=np.float64)
        population = pd.array([r[6] for r in rows], dtype="Int64")
        member = fetch(cur, query("stats_member"), params)
        position = {code: i for i, code in enumerate(names["code"])}
        return _LevelUnits(
            names=names,
            wkb=[bytes(r[7]) for r in rows] if with_geometry else None,
            area=area,
            area_positive=np.where(area > 0, area, np.nan),
            population=population,
            population_positive=np.where(
                population.fillna(0).to_numpy(dtype=np.float64) > 0,
                population.to_numpy(dtype=np.float64, na_value=np.nan),
                np.nan,
            ),
            communities=pd.Index([c for c, _ in member], dtype=object),
            unit_of=np.array([position.get(u, -1) for _, u in member], dtype=np.intp),
        )

    return svc.memo(("stats_units", version_id, level, with_geometry), load)
