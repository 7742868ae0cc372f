"""Event counts per grid unit of one level, with density and rate per resident.

Counts come from the ``event_daily`` rollup in SQL (``stats_counts_by_unit.sql``): community
rows summed up to the unit of the asked level that contains each community (street: the
community's parent; sector: its ``sector_code``; district: its street's parent; city: that
district's parent). Because every level is a sum of the same community counts, the roll-up
identity holds exactly: the communities of a street add up to the street, the streets of a
district to the district, and so on. Events outside every grid, or on a community the active
version lacks, belong to no unit; their numbers are in ``frame.attrs`` (see
:func:`counts_by_unit`).

Cost: one pass over the rollup rows the filter selects (the rollup has one row per community,
category, status, urgency, source and day that has events) plus the units of the level.
"""

from __future__ import annotations

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
    ``outside_grids`` (matching events outside every grid) and ``not_in_version`` (matching
    events on communities the active version lacks): the city's ``n`` plus these two is every
    matching event.

    Raises ``UnknownLevel``/``InvalidInput`` for a level other than city, district, sector,
    street or community, ``UnknownCategory`` for an unknown category code, and
    ``NoActiveGridVersion``.
    """
    flt = flt or StatsFilter()
    level = parse_stats_level(level)
    taxonomy = svc.taxonomy(include_inactive=True)
    params: dict[str, Any] = {
        **sql_params(flt, taxonomy),
        "level": level,
        "by_category": by_category,
        "with_geometry": with_geometry,
    }
    with snapshot(svc.db) as cur:
        version = store.active_version_in(cur)
        params["version_id"] = version.id
        units, wkb, position = svc.memo(
            ("stats_units", version.id, level, with_geometry),
            lambda: _units(cur, params),
        )
        count_rows = fetch(cur, stats_query("stats_counts_by_unit"), params)

    # one pass over the rows: unit counts into arrays in the units' order, the rest by kind
    unassigned = {"outside": 0, "not_in_version": 0, "no_unit": 0}
    n = np.zeros(len(units), dtype=np.int64)
    per_category: dict[str, npt.NDArray[np.int64]] = {}
    for kind, unit_code, category, count in count_rows:
        # (a unit code missing from the level's units cannot happen in a valid version;
        # it would count as no_unit rather than fail)
        i = position.get(unit_code, -1) if kind == "unit" else -1
        if i < 0:
            unassigned[kind if kind != "unit" else "no_unit"] += int(count)
            continue
        n[i] += count
        if by_category:
            if category not in per_category:
                per_category[category] = np.zeros(len(units), dtype=np.int64)
            per_category[category][i] += count
    frame = units[["code", "name", "level", "parent_code", "sector_code"]].copy()
    frame["n"] = n
    category_columns: list[str] = []
    if by_category:
        chosen = params["categories"]
        category_columns = (
            list(chosen) if chosen is not None else [c.code for c in taxonomy.leaves()]
        )
        # a category in the rollup but not in the taxonomy still counts (kept, after the rest)
        category_columns += sorted(set(per_category) - set(category_columns))
        zeros = np.zeros(len(units), dtype=np.int64)
        frame = pd.concat(
            [
                frame,
                pd.DataFrame(
                    {code: per_category.get(code, zeros) for code in category_columns},
                    index=frame.index,
                ),
            ],
            axis=1,
        )
    area = units["area_km2"].astype(np.float64)
    frame["area_km2"] = area
    frame["density_per_km2"] = frame["n"] / area.where(area > 0)
    population = pd.to_numeric(units["population"]).astype(np.float64)
    frame["population"] = population.astype("Int64")
    frame["rate_per_1000"] = 1000.0 * frame["n"] / population.where(population > 0)

    attrs: dict[str, Any] = {
        "grid_version": {"id": version.id, "name": version.name},
        "level": level,
        "filter": flt.describe(),
        "outside_grids": unassigned["outside"],
        "not_in_version": unassigned["not_in_version"],
        "category_columns": category_columns,
    }
    if with_geometry:
        geometry = shapely.from_wkb(wkb)
        result: pd.DataFrame = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    else:
        result = frame
    result.attrs.update(attrs)
    return result


def unit_geometry(svc: Gridsvc, level: str, version_id: int) -> gpd.GeoSeries:
    """The outlines (EPSG:4326) of the units of ``level`` in grid version ``version_id``,
    indexed by code: the units :func:`counts_by_unit` caches, for a caller that has counts of
    that version already and needs only the shapes (no second read of the rollup)."""
    params = {"level": parse_stats_level(level), "version_id": version_id, "with_geometry": True}

    def load() -> tuple[pd.DataFrame, list[bytes] | None, dict[str, int]]:
        with snapshot(svc.db) as cur:
            return _units(cur, params)

    units, wkb, _ = svc.memo(("stats_units", version_id, params["level"], True), load)
    return gpd.GeoSeries(shapely.from_wkb(wkb), index=units["code"], crs="EPSG:4326")


def _units(
    cur: Any, params: dict[str, Any]
) -> tuple[pd.DataFrame, list[bytes] | None, dict[str, int]]:
    """The units of a level of a version (immutable: cached by the caller), with their WKB
    when ``params["with_geometry"]`` and each code's row position. Callers must not modify
    them."""
    rows = fetch(cur, query("stats_units"), params)
    units = pd.DataFrame([r[:-1] for r in rows], columns=list(UNIT_COLUMNS))
    wkb = [bytes(r[-1]) for r in rows] if params["with_geometry"] else None
    return units, wkb, {code: i for i, code in enumerate(units["code"])}
