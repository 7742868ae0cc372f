from __future__ import annotations

from pathlib import PureWindowsPath
from typing import IO, Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from api.deps import Admin, Language, Service
from api.schemas import ImportOut
from gridsvc.errors import InvalidInput, PayloadTooLarge
from gridsvc.events import importer

router = APIRouter(tags=["imports"])


def _base_name(sent: str | None) -> str:
    """The last part of a sent file name, whether its folders were written with / or \\
    (the name only labels the import and picks the format; it is never a path here)."""
    name = PureWindowsPath(sent or "").name.strip()
    return name if name not in ("", ".", "..") else "upload.csv"


def _refuse_binary(stream: IO[bytes]) -> None:
    """CSV, GeoJSON and NDJSON never hold a NUL byte (in UTF-8 or GBK): one means a binary
    file or UTF-16 text, which PostgreSQL could not store anyway. One pass at memchr speed."""
    offset = 0
    for block in iter(lambda: stream.read(1 << 20), b""):
        at = block.find(b"\x00")
        if at >= 0:
            stream.seek(0)
            raise InvalidInput("import.binary", field="file", position=offset + at)
        offset += len(block)
    stream.seek(0)


@router.post("/imports", response_model=ImportOut, status_code=201)
def create_import(
    svc: Service,
    caller: Admin,
    lang: Language,
    file: Annotated[UploadFile, File(description="CSV, GeoJSON or NDJSON of reports")],
    format: Annotated[
        str | None, Form(description="csv, geojson or ndjson; default: by file name")
    ] = None,
    crs: Annotated[str, Form(description="CRS of rows without a crs column")] = "wgs84",
    source: Annotated[str, Form()] = "import",
    encoding: Annotated[str, Form()] = "utf-8",
) -> dict[str, Any]:
    """Import a file of reports; valid rows are stored, each invalid row is reported with
    its row number, the field, why (``message_id``, ``reason``) and how to fix it (``hint``):
    what a report sent alone to POST /v1/events is answered. Sending the same file again
    stores nothing twice."""
    limit = svc.settings.events.max_upload_bytes
    if file.size is not None and file.size > limit:
        raise PayloadTooLarge("import.too_large", field="file", size=file.size, limit=limit)
    filename = _base_name(file.filename)
    importer.detect_format(filename, format)  # a wrong kind of file is named as such first
    _refuse_binary(file.file)
    report = importer.import_events(
        svc,
        file.file,
        filename=filename,
        fmt=format,
        crs=crs,
        source=source,
        encoding=encoding,
        lang=lang,
    )
    return report.to_dict(lang=lang)


@router.get("/imports/{import_id}")
def get_import(svc: Service, caller: Admin, import_id: int) -> dict[str, Any]:
    return importer.import_job(svc, import_id)


@router.get(
    "/imports/{import_id}/rejections",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def import_rejections(svc: Service, caller: Admin, import_id: int) -> Response:
    """The rejected rows with row number, field, reason, value, hint and message id, as CSV
    for Excel (reason and hint in the language of the request that imported)."""
    return Response(
        importer.rejections_csv(svc, import_id),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="import-{import_id}-rejections.csv"'
        },
    )
