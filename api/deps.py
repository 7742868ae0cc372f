"""Request-scoped dependencies: the service object and parsed parameter groups."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gridsvc.service import Gridsvc


def get_service(request: Request) -> Gridsvc:
    svc: Gridsvc = request.app.state.gridsvc
    return svc


Service = Annotated[Gridsvc, Depends(get_service)]
