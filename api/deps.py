"""Request-scoped dependencies: the service object and the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.errors import request_language
from gridsvc import users
from gridsvc.access import Principal, authenticate, cached_principal, require_role
from gridsvc.errors import Forbidden, Unauthenticated
from gridsvc.events.writer import ReportWriter
from gridsvc.messages import Lang
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


async def get_language(request: Request) -> Lang:
    return request_language(request)


Language = Annotated[Lang, Depends(get_language)]
"""The language the request asks for (``Accept-Language``, else ``GRIDSVC_CITY_LANGUAGE``),
for answers that carry messages besides errors (an import's rejected rows)."""


# documents the scheme in OpenAPI (the Authorize button of /docs); the header itself is read
# below, so that a wrong scheme gets its own message rather than "needs a token"
_bearer = HTTPBearer(auto_error=False, description="a token from `gridsvc token create`")


SESSION_COOKIE = "gridsvc_session"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def session_of(svc: Gridsvc, request: Request) -> users.Session | None:
    """The console session of the request's cookie (None without one); Unauthenticated for
    a cookie whose session ended. Read once per request."""
    if hasattr(request.state, "session"):
        known: users.Session | None = request.state.session
        return known
    cookie = request.cookies.get(SESSION_COOKIE)
    found = await run_in_threadpool(users.session, svc.db, cookie) if cookie else None
    request.state.session = found
    if cookie and found is None:
        raise Unauthenticated("access.session_ended")
    return found


async def get_principal(
    svc: Service,
    request: Request,
    _scheme: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> Principal:
    """The caller: by its bearer token (apps) or, without one, by its console session
    cookie. A session's state-changing request must carry the session's CSRF token in the
    ``X-CSRF-Token`` header (a page of another site can make the browser send the cookie,
    never read the token). Either way the principal is the same kind of value, so every
    route checks rights one way."""
    header = request.headers.get("authorization")
    if header is None and SESSION_COOKIE in request.cookies:
        found = await session_of(svc, request)
        assert found is not None
        if request.method not in _SAFE_METHODS and not users.csrf_matches(
            found, request.headers.get(CSRF_HEADER)
        ):
            raise Forbidden("access.csrf")
        request.state.authenticated = True
        return found.principal
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


Admin = Annotated[Principal, Depends(role("admin", action="access.act_admin"))]
Reporter = Annotated[
    Principal, Depends(role("grid_worker", "dispatcher", "admin", action="access.act_report"))
]
