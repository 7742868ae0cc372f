"""Statistics for the city's 研判: counts per unit, time series, comparisons, hot spots.

Citywide roles only (analyst, admin, a dispatcher scoped to the city): statistics cover every
unit, so a scoped token would see counts outside its area.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from api.deps import Service
from api.filters import Analyst, BaseFrom, BaseTo, StatsSelection, compared_periods
from gridsvc.access import CITY_CODE
from gridsvc.dates import CITY_TZ, local_iso
from gridsvc.db.replica import data_as_of
from gridsvc.errors import InvalidInput
from gridsvc.export import GPKG_MEDIA_TYPE, excel_csv, frame_geopackage
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from gridsvc.stats import StatsFilter, compare, counts_by_unit, hotspots, timeseries

router = APIRouter(prefix="/stats", tags=["statistics"])

Format = Literal["json", "csv", "geojson", "gpkg"]
# the media types of format=csv and format=geojson, documented for clients
_CSV: dict[str, Any] = {"text/csv": {}}
_GEOJSON: dict[str, Any] = {"application/geo+json": {}}
_GPKG: dict[str, Any] = {GPKG_MEDIA_TYPE: {}}
CSV_GEOJSON: dict[int | str, dict[str, Any]] = {200: {"content": {**_CSV, **_GEOJSON, **_GPKG}}}
CSV_ONLY: dict[int | str, dict[str, Any]] = {200: {"content": _CSV}}
GEOJSON_ONLY: dict[int | str, dict[str, Any]] = {200: {"content": _GEOJSON}}


def _times_shown(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its time columns as ISO text in the city's zone with the offset
    (``2026-11-02T00:00:00+08:00``). Naive times are Beijing wall times (a period's first
    midnight, :func:`gridsvc.stats.timeseries`); pandas would write them without an offset
    and aware ones in UTC."""
    out = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    for name in out.columns:
        column = out[name]
        if not pd.api.types.is_datetime64_any_dtype(column):
            continue
        aware = (
            column.dt.tz_convert(CITY_TZ)
            if column.dt.tz is not None
            # the zone's old summer times (1919, 1940-49, 1986-91) skipped or repeated
            # midnights: a skipped one is the first hour of that day, a repeated one the first
            else column.dt.tz_localize(
                CITY_TZ,
                nonexistent="shift_forward",
                ambiguous=np.ones(len(column), dtype=bool),
            )
        )
        out[name] = [local_iso(t.to_pydatetime()) if not pd.isna(t) else None for t in aware]
    return out


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    plain = _times_shown(frame)
    records: list[dict[str, Any]] = json.loads(
        plain.to_json(orient="records", date_format="iso", force_ascii=False)
    )
    return records


def _respond(frame: pd.DataFrame, fmt: Format, meta: dict[str, Any], name: str) -> Response:
    if fmt == "csv":
        plain = _times_shown(frame)
        body = excel_csv(list(plain.columns), plain.itertuples(index=False, name=None))
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
        )
    if fmt == "gpkg" and isinstance(frame, gpd.GeoDataFrame):
        return Response(
            frame_geopackage(frame, "stats"),
            media_type=GPKG_MEDIA_TYPE,
            headers={"Content-Disposition": f'attachment; filename="{name}.gpkg"'},
        )
    if fmt in ("geojson", "gpkg"):
        if not isinstance(frame, gpd.GeoDataFrame):
            raise InvalidInput("stats.no_geometry", field="format")
        geo = json.loads(frame.to_json(drop_id=True, ensure_ascii=False))
        geo.update(meta)
        return JSONResponse(geo, media_type="application/geo+json")
    return JSONResponse({**meta, "rows": _records(frame)})


def _meta(svc: Gridsvc, flt: StatsFilter, **extra: Any) -> dict[str, Any]:
    db = svc.read_db
    version = grid_store.active_version(db)
    return {
        "filter": flt.describe(),
        "grid_version": version.to_dict(),
        "synthetic_boundaries": version.synthetic,
        "data_as_of": local_iso(data_as_of(db)),
        **extra,
    }


@router.get("/grids", responses=CSV_GEOJSON)
def stats_grids(
    svc: Service,
    caller: Analyst,
    filters: StatsSelection,
    level: Annotated[
        str, Query(description="city, district, sector, street, community")
    ] = "community",
    by_category: Annotated[bool, Query(description="one count column per category")] = False,
    format: Annotated[Format, Query()] = "json",
) -> Response:
    """Per unit of ``level`` (zeros included): count, density per km², rate per 1,000
    residents where population is known. Higher levels are sums of communities."""
    flt = filters.to_filter()
    frame: pd.DataFrame
    if format in ("geojson", "gpkg"):
        frame = counts_by_unit(svc, level, flt, by_category=by_category, with_geometry=True)
    else:
        frame = counts_by_unit(svc, level, flt, by_category=by_category)
    extra = {str(k): v for k, v in frame.attrs.items() if isinstance(v, int | float | str)}
    return _respond(frame, format, _meta(svc, flt, **{"level": level, **extra}), f"stats-{level}")


@router.get("/timeseries", responses=CSV_ONLY)
def stats_timeseries(
    svc: Service,
    caller: Analyst,
    filters: StatsSelection,
    grid: Annotated[
        str, Query(description=f"a unit code at any level; {CITY_CODE} = the city")
    ] = CITY_CODE,
    interval: Annotated[Literal["day", "week", "month"], Query()] = "day",
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Counts per day, week (from Monday) or month in Beijing time, zero-filled."""
    flt = filters.to_filter()
    frame = timeseries(svc, grid, interval, flt)
    meta = _meta(svc, flt, grid=grid, interval=interval)
    return _respond(frame, format, meta, f"timeseries-{grid}")


@router.get("/compare", responses=CSV_GEOJSON)
def stats_compare(
    svc: Service,
    caller: Analyst,
    filters: StatsSelection,
    base_from: BaseFrom,
    base_to: BaseTo,
    level: Annotated[str, Query()] = "district",
    fdr: Annotated[bool, Query(description="significance after Benjamini-Hochberg")] = False,
    format: Annotated[Format, Query()] = "json",
) -> Response:
    """Per unit: the current and base counts, the change, and whether it is unlikely under
    chance (exact conditional test of two Poisson counts, stated in each row)."""
    current, base = compared_periods(filters, base_from, base_to, "stats.what_compare")
    frame = compare(svc, level, current, base, fdr=fdr)
    if format in ("geojson", "gpkg"):
        units = counts_by_unit(svc, level, current, with_geometry=True)[["code", "geometry"]]
        frame = gpd.GeoDataFrame(units.merge(frame, on="code"), geometry="geometry")
    meta = _meta(svc, current, level=level, base=base.describe())
    return _respond(frame, format, meta, f"compare-{level}")


@router.get("/hotspots", responses=GEOJSON_ONLY)
def stats_hotspots(
    svc: Service,
    caller: Analyst,
    filters: StatsSelection,
    level: Annotated[str, Query()] = "community",
    method: Annotated[Literal["gi_star", "local_moran"], Query()] = "gi_star",
    value: Annotated[Literal["density", "count"], Query()] = "density",
    permutations: Annotated[int, Query(ge=99, le=99_999)] = 9_999,
    seed: Annotated[
        int, Query(ge=0, le=2**32 - 1, description="random seed of the permutations")
    ] = 12345,
    fdr: Annotated[bool, Query()] = True,
    format: Annotated[Literal["json", "geojson"], Query()] = "json",
) -> Response:
    """Getis-Ord Gi* (or local Moran's I) on queen contiguity with permutation p-values and
    a false-discovery-rate correction, classed hot/cold at 99/95/90%. With FDR over ~1,255
    communities, 99% needs many permutations: use 99999 for final maps."""
    flt = filters.to_filter()
    frame = hotspots(
        svc,
        level,
        flt,
        method=method,
        value=value,
        permutations=permutations,
        seed=seed,
        fdr=fdr,
    )
    meta = _meta(
        svc, flt, level=level, method=method, value=value, permutations=permutations, fdr=fdr
    )
    return _respond(frame, format, meta, f"hotspots-{level}")
