"""``create_app(settings)``: assembles routers, error mapping and logging; nothing else."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi_offline import FastAPIOffline
from starlette.staticfiles import StaticFiles

from api import errors, limits, logging, security
from api.params import reject_unknown_query
from api.routes import (
    categories,
    embeds,
    events,
    grids,
    health,
    imports,
    locate,
    maps,
    media,
    ogc,
    open311,
    stats,
    vtiles,
    workflow,
)
from api.schemas import ERROR_RESPONSES
from gridsvc import __version__, logs
from gridsvc.events.writer import ReportWriter
from gridsvc.service import Gridsvc
from gridsvc.settings import Settings, load_settings
from web import dispatch, field, pages


def create_app(settings: Settings | None = None, *, service: Gridsvc | None = None) -> FastAPI:
    """Build the API. Settings are read from the environment only if none are given."""
    settings = settings or load_settings()
    logs.configure(settings.server.log_format, settings.server.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc = service or Gridsvc.open(settings)
        app.state.gridsvc = svc
        batch_max = svc.settings.events.report_batch_max
        writer = ReportWriter(svc, batch_max=batch_max) if batch_max > 1 else None
        app.state.report_writer = writer
        if service is None:
            svc.warm_up()
            # what start-up built (grids, locator, taxonomy, the app) lives as long as the
            # process: out of the collector's sight, a full collection scans only what
            # requests leave, not ~270,000 objects (~60-120 ms pauses, the p99 of /v1/locate)
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            if writer is not None:
                writer.close()  # what is queued is stored first
            if service is None:
                gc.unfreeze()
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
    errors.install(app, settings.city)
    app.add_middleware(limits.BodyLimit, settings=settings.events)
    security.install_limits(app, settings.security)
    logging.install(app)
    security.install_headers(app, settings.security)
    app.include_router(health.router)
    app.include_router(maps.static_router)  # /static/maps/*: Leaflet from packages, no token
    app.include_router(embeds.public_router)  # /embed/{token}: signed links, no token
    app.include_router(pages.router)  # the console's pages: sign-in, map, embeds, users
    app.include_router(field.router)  # /field: the grid worker's phone page
    app.include_router(dispatch.router)  # /dispatch: the queue of dispatchers and departments
    app.include_router(open311.router)  # /open311/v2: GeoReport v2, its own errors and key
    # OGC API Features at /ogc: its own parameters (Part 1 refuses unknown ones too)
    app.include_router(
        ogc.router, responses=ERROR_RESPONSES, dependencies=[Depends(reject_unknown_query)]
    )
    app.include_router(vtiles.router)  # /tiles: vector tiles and TileJSON, a caller required
    app.mount("/static/console", StaticFiles(packages=[("web", "static")]), name="console")
    for module in (
        grids,
        locate,
        categories,
        events,
        imports,
        workflow,
        stats,
        maps,
        embeds,
        media,
    ):
        app.include_router(
            module.router,
            prefix="/v1",
            responses=ERROR_RESPONSES,
            dependencies=[Depends(reject_unknown_query)],
        )
    return app
