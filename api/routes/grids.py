from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.deps import Caller, Service
from api.schemas import GridUnitDetailOut, GridVersionOut
from gridsvc.grids import store

router = APIRouter(tags=["grids"])


@router.get("/grids")
def grid_units(
    svc: Service,
    caller: Caller,
    level: Annotated[
        str, Query(description="city, district, sector, street, community or grid")
    ] = "community",
    geometry: Annotated[bool, Query(description="false leaves geometry out")] = True,
    simplify_m: Annotated[float, Query(ge=0, le=5000, description="simplify tolerance, m")] = 0.0,
) -> dict[str, Any]:
    """One level of the active grid version as a GeoJSON FeatureCollection."""
    version = store.active_version(svc.db)
    return store.unit_features(
        svc.db, version, level, with_geometry=geometry, simplify_m=simplify_m
    )


@router.get("/grids/versions", response_model=list[GridVersionOut])
def grid_versions(svc: Service, caller: Caller) -> list[dict[str, Any]]:
    """Every loaded grid version; one is active."""
    return [v.to_dict() for v in store.list_versions(svc.db)]


@router.get("/grids/{code}", response_model=GridUnitDetailOut)
def grid_unit(svc: Service, caller: Caller, code: str) -> dict[str, Any]:
    """One unit with its parents and the number of its children."""
    return store.unit_detail(svc.db, store.active_version(svc.db), code)
