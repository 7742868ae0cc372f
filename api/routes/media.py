"""Photos of reports: ``POST /v1/media`` (multipart) and ``GET /v1/media/{id}``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from api.deps import Caller, Service, role
from api.schemas import ErrorOut
from gridsvc import media
from gridsvc.access import Principal

router = APIRouter(tags=["media"])

Uploader = Annotated[
    Principal,
    Depends(role("grid_worker", "dispatcher", "department", "admin", action="access.act_photos")),
]


class MediaOut(BaseModel):
    id: str
    url: str
    content_type: str
    width_px: int
    height_px: int
    size_bytes: int
    created: bool


@router.post(
    "/media",
    response_model=MediaOut,
    status_code=201,
    responses={
        200: {"model": MediaOut, "description": "the same bytes were stored before"},
        413: {"model": ErrorOut, "description": "larger than GRIDSVC_MEDIA_MAX_BYTES"},
        415: {"model": ErrorOut, "description": "not a JPEG, PNG or WebP image by content"},
    },
)
def upload_media(
    svc: Service,
    caller: Uploader,
    file: Annotated[UploadFile, File(description="a photo: JPEG, PNG or WebP")],
) -> JSONResponse:
    """Store a photo; its id is the SHA-256 of its bytes, so sending it again stores
    nothing new (200). Put the returned ``url`` in a report's ``media`` list."""
    limit = svc.settings.events.media_max_bytes
    data = file.file.read(limit + 1)  # one byte more than allowed tells a file too large
    stored = media.store_media(svc.db, data, uploader=caller.name, max_bytes=limit)
    return JSONResponse(
        MediaOut(**stored.to_dict()).model_dump(),
        status_code=201 if stored.created else 200,
        headers={"Location": stored.url},
    )


@router.get(
    "/media/{media_id}",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}},
        403: {"model": ErrorOut, "description": "in no event the caller may see"},
        404: {"model": ErrorOut, "description": "no such photo"},
    },
)
def get_media(svc: Service, caller: Caller, media_id: str) -> Response:
    """A photo, to its sender and to those who may see an event listing it (not analysts)."""
    found = media.read_media(svc.db, media_id, caller)
    headers = {
        # the bytes behind an id never change; private: only this caller was checked
        "Cache-Control": "private, max-age=31536000, immutable",
        "ETag": f'"{found.id}"',
    }
    return Response(found.data, media_type=found.content_type, headers=headers)
