"""Request-scoped dependencies: the service object and the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from gridsvc.access import Principal, authenticate, cached_principal, require_role
from gridsvc.events.writer import ReportWriter
from gridsvc.service import Gridsvc

# The dependencies are coroutines: FastAPI runs a plain function dependency in its thread
# pool, a hop of ~0.1 ms per dependency and request; only a token the cache does not know
# goes to a thread (it asks the database).


async def get_service(request: Request) -> Gridsvc:
    svc: Gridsvc = request.app.state.gridsvc
    return svc


Service = Annotated[Gridsvc, Depends(get_service)]


async def get_report_writer(request: Request) -> ReportWriter | None:
    """The app's report writer, None when reports are stored one by one (a batch of at most
    1, or an app used without its lifespan)."""
    writer: ReportWriter | None = getattr(request.app.state, "report_writer", None)
    return writer


Writer = Annotated[ReportWriter | None, Depends(get_report_writer)]


# documents the scheme in OpenAPI (the Authorize button of /docs); the header itself is read
# below, so that a wrong scheme gets its own message rather than "needs a token"
_bearer = HTTPBearer(auto_error=False, description="a token from `gridsvc token create`")


async def get_principal(
    svc: Service,
    request: Request,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> Principal:
    header = request.headers.get("authorization")
    principal = cached_principal(header, svc.tokens)
    if principal is None:
        principal = await run_in_threadpool(authenticate, svc.db, header, svc.tokens)
    request.state.authenticated = True  # api.security: a token that works is never throttled
    return principal


Caller = Annotated[Principal, Depends(get_principal)]


def role(*roles: str, action: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting only callers of ``roles`` (403 otherwise)."""

    async def check(principal: Caller) -> Principal:
        require_role(principal, *roles, action=action)
        return principal

    return check


Admin = Annotated[Principal, Depends(role("admin", action="do this (admin only)"))]
Reporter = Annotated[
    Principal, Depends(role("grid_worker", "dispatcher", "admin", action="report events"))
]
