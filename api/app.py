"""``create_app(settings)``: assembles routers, error mapping and logging; nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api import errors, limits, logging
from api.routes import categories, events, grids, health, imports, locate, maps, stats, workflow
from gridsvc import __version__
from gridsvc.service import Gridsvc
from gridsvc.settings import Settings, load_settings


def create_app(settings: Settings | None = None, *, service: Gridsvc | None = None) -> FastAPI:
    """Build the API. Settings are read from the environment only if none are given."""
    settings = settings or load_settings()
    logging.configure(settings.server.log_format, settings.server.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = service or Gridsvc.open(settings)
        app.state.gridsvc = svc
        try:
            yield
        finally:
            if service is None:
                svc.close()

    # the docs' scripts come from a package, not a CDN: /docs works on an intranet
    app = FastAPIOffline(
        title="gridsvc",
        version=__version__,
        description="Grid-based social governance: grid hierarchy, point-to-grid lookup from "
        "WGS-84, CGCS2000, GCJ-02 and BD-09. Polygons below district level in the default "
        "Nanjing dataset are synthetic.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(limits.BodyLimit, settings=settings.events)
    logging.install(app)
    app.include_router(health.router)
    app.include_router(maps.static_router)  # /static/maps/*: Leaflet from packages, no token
    for module in (grids, locate, categories, events, imports, workflow, stats, maps):
        app.include_router(module.router, prefix="/v1")
    return app
