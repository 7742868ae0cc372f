from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Caller, Service
from gridsvc.events import store

router = APIRouter(tags=["events"])


@router.get("/categories")
def categories(svc: Service, caller: Caller) -> dict[str, Any]:
    """The event taxonomy: groups and their categories, with extra fields and time limits."""
    taxonomy = store.taxonomy_of(svc)
    return {"categories": [c.to_dict() for c in taxonomy]}
