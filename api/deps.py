"""Request-scoped dependencies: the service object and the caller."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Header, Request

from gridsvc.access import Principal, authenticate, require_role
from gridsvc.service import Gridsvc


def get_service(request: Request) -> Gridsvc:
    svc: Gridsvc = request.app.state.gridsvc
    return svc


Service = Annotated[Gridsvc, Depends(get_service)]


def get_principal(
    svc: Service,
    authorization: Annotated[str | None, Header(description="Bearer <token>")] = None,
) -> Principal:
    return authenticate(svc.db, authorization)


Caller = Annotated[Principal, Depends(get_principal)]


def role(*roles: str, action: str) -> Callable[[Principal], Principal]:
    """A dependency admitting only callers of ``roles`` (403 otherwise)."""

    def check(principal: Caller) -> Principal:
        require_role(principal, *roles, action=action)
        return principal

    return check


Admin = Annotated[Principal, Depends(role("admin", action="do this (admin only)"))]
Reporter = Annotated[
    Principal, Depends(role("grid_worker", "dispatcher", "admin", action="report events"))
]
