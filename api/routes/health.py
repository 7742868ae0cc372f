from __future__ import annotations

import math

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import Language, Service
from api.schemas import GridVersionOut, HealthOut, ReadReplicaOut
from gridsvc.errors import DatabaseUnavailable, NoActiveGridVersion
from gridsvc.grids import store
from gridsvc.service import Gridsvc

router = APIRouter(tags=["health"])


@router.get(
    "/health",
    response_model=HealthOut,
    responses={
        503: {"model": HealthOut, "description": "database unreachable, or no grids loaded"}
    },
)
def health(svc: Service, lang: Language) -> JSONResponse | HealthOut:
    """Whether the service and its database work, with versions and grid units loaded."""
    try:
        rows = svc.db.cursor_fetchall(
            "SELECT current_setting('server_version'), postgis_lib_version()"
        )
        counts = store.level_counts(svc.db)
        try:
            version: GridVersionOut | None = GridVersionOut.model_validate(
                store.active_version(svc.db).to_dict()
            )
        except NoActiveGridVersion:
            version = None
    except DatabaseUnavailable as exc:
        body = HealthOut(
            status="unavailable",
            database="unreachable",
            message=" ".join(t for t in exc.text(lang) if t),
        )
        return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})
    pg, postgis = rows[0]
    if version is None:
        body = HealthOut(
            status="no_grids",
            database="ok",
            postgresql=pg,
            postgis=postgis,
            grid_units=counts,
            message=" ".join(t for t in NoActiveGridVersion("grid.no_active").text(lang) if t),
        )
        return JSONResponse(body.model_dump(), status_code=503, headers={"Retry-After": "5"})
    return HealthOut(
        status="ok",
        database="ok",
        postgresql=pg,
        postgis=postgis,
        grid_version=version,
        grid_units=counts,
        read_replicas=_replicas(svc),
    )


def _replicas(svc: Gridsvc) -> list[ReadReplicaOut]:
    states = svc.reads.states() if svc.reads is not None else []
    return [
        ReadReplicaOut(in_use=h.usable, lag_s=h.lag_s if math.isfinite(h.lag_s) else None)
        for h in states
    ]
