from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.deps import Caller, Service
from gridsvc.events import store
from gridsvc.pinyin import initials

router = APIRouter(tags=["events"])


@router.get("/categories")
def categories(svc: Service, caller: Caller) -> dict[str, Any]:
    """The event taxonomy: groups and their categories, with extra fields and time limits;
    ``pinyin_initials`` of each name for search boxes (``ddzxcwgcd`` for 电动自行车违规充电)."""
    taxonomy = store.taxonomy_of(svc)
    return {
        "categories": [{**c.to_dict(), "pinyin_initials": initials(c.name_zh)} for c in taxonomy]
    }
