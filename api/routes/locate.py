from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from api.deps import Caller, Service
from api.schemas import ErrorOut, LocateBatchIn, LocateBatchOut, LocateOut
from gridsvc.errors import InvalidInput
from gridsvc.grids.locate import Locator
from gridsvc.service import Gridsvc

router = APIRouter(tags=["locate"])

CRS_DOC = (
    "coordinate system of lon/lat: wgs84 (default), cgcs2000, gcj02 (Amap, Tencent), bd09 (Baidu)"
)


@router.get(
    "/locate",
    response_model=LocateOut,
    responses={404: {"model": ErrorOut, "description": "outside every grid; names the nearest"}},
)
async def locate(
    svc: Service,
    caller: Caller,
    lon: Annotated[float, Query(description="longitude in `crs`, decimal degrees")],
    lat: Annotated[float, Query(description="latitude in `crs`, decimal degrees")],
    crs: Annotated[str, Query(description=CRS_DOC)] = "wgs84",
) -> dict[str, Any]:
    """The grid chain (grid?, community, street, sector, district, city) of one point."""
    # ~0.1 ms of CPU: answered on the event loop, without a hop to the thread pool, unless
    # the locator is still to be built (that reads the database)
    locator = svc.ready_locator()
    if locator is None:
        return await run_in_threadpool(_answer, svc, lon, lat, crs, None)
    return _answer(svc, lon, lat, crs, locator)


def _answer(
    svc: Gridsvc, lon: float, lat: float, crs: str, locator: Locator | None
) -> dict[str, Any]:
    found = svc.locate(lon, lat, crs=crs, locator=locator)
    body = found.to_dict()
    body["input"] = {"lon": lon, "lat": lat, "crs": crs}
    body["grid_version"] = (locator or svc.locator()).version.to_dict()
    return body


@router.post("/locate", response_model=LocateBatchOut)
def locate_batch(svc: Service, caller: Caller, body: LocateBatchIn) -> dict[str, Any]:
    """Up to 10,000 points at once; answers in the same order, unfound points included."""
    limit = svc.settings.grids.locate_batch_max
    if len(body.points) > limit:
        raise InvalidInput("locate.too_many", field="points", count=len(body.points), limit=limit)
    lon = [p[0] for p in body.points]
    lat = [p[1] for p in body.points]
    results = svc.locate_many(lon, lat, crs=body.crs)
    return {
        "crs": body.crs,
        "grid_version": svc.locator().version.to_dict(),
        "found": sum(r.found for r in results),
        "results": [r.to_dict() for r in results],
    }
