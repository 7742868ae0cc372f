"""Photos of reports in the library (gridsvc.media): checked by content, stored once by
their SHA-256, read back by their sender and by those who may see an event naming them."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
import shapely
from PIL import Image as PIL

from gridsvc import media
from gridsvc.access import Principal
from gridsvc.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge, UnsupportedMedia
from gridsvc.events import store
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc

COMMUNITY = "320105001001"  # in street 320105001 (建邺区)
LIMIT = 5_000_000


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (40, 30), colour: str = "red") -> bytes:
    buf = io.BytesIO()
    PIL.new("RGB", size, colour).save(buf, format=kind)
    return buf.getvalue()


def who(role: str, name: str, scope: str | None = None, department: str | None = None) -> Any:
    return Principal(0, name, role, scope, department)


def _count(svc: Gridsvc, table: str) -> int:
    (n,) = svc.db.cursor_fetchall(f"SELECT count(*) FROM {table}")[0]  # noqa: S608 - fixed
    return int(n)


def _report_with(svc: Gridsvc, urls: list[str], reporter: str = "gw-a") -> dict[str, Any]:
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    p = units.set_index("code").at[COMMUNITY, "geometry"].representative_point()
    assert isinstance(p, shapely.Point)
    result = store.create_event(
        svc,
        {
            "client_event_id": f"photo-{len(urls)}-{reporter}",
            "reporter_id": reporter,
            "category": "hazard.ebike_charging",
            "title": "楼道电动车充电",
            "occurred_at": "2026-11-20T08:30:00+08:00",
            "lon": p.x,
            "lat": p.y,
            "crs": "wgs84",
            "source": "grid_worker",
            "media": urls,
            "attributes": {"indoor": True},
        },
    )
    return result.event


@pytest.mark.parametrize(
    ("kind", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_accepted_kinds_are_stored_once_under_their_sha256(
    svc: Gridsvc, kind: str, content_type: str
) -> None:
    data = image_bytes(kind)
    first = media.store_media(svc.db, data, uploader="gw-a", max_bytes=LIMIT)
    assert first.id == hashlib.sha256(data).hexdigest()
    assert (first.content_type, first.width_px, first.height_px) == (content_type, 40, 30)
    assert first.created and first.url == f"/v1/media/{first.id}"
    again = media.store_media(svc.db, data, uploader="gw-a", max_bytes=LIMIT)
    other = media.store_media(svc.db, data, uploader="gw-b", max_bytes=LIMIT)
    assert not again.created and not other.created and again.id == other.id == first.id
    assert _count(svc, "media") == 1
    assert _count(svc, "media_upload") == 2  # both senders noted, the bytes kept once
    (stored,) = svc.db.cursor_fetchall("SELECT data, size_bytes FROM media")
    assert bytes(stored[0]) == data and stored[1] == len(data)


def test_what_is_not_an_accepted_image_is_refused_by_its_content(svc: Gridsvc) -> None:
    jpeg = image_bytes("JPEG", (200, 200))
    for data in (
        b"this is a text file renamed photo.jpg\n" * 20,
        image_bytes("GIF"),  # an image, not one of the accepted kinds
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        jpeg[: len(jpeg) // 2],  # cut short in the middle of its pixels
    ):
        with pytest.raises(UnsupportedMedia) as caught:
            media.store_media(svc.db, data, uploader="gw-a", max_bytes=LIMIT)
        assert caught.value.field == "file" and caught.value.hint
    with pytest.raises(InvalidInput, match="empty"):
        media.store_media(svc.db, b"", uploader="gw-a", max_bytes=LIMIT)
    assert _count(svc, "media") == 0


def test_a_photo_over_the_limit_is_refused_saying_the_limit(svc: Gridsvc) -> None:
    data = image_bytes("PNG", (300, 300))
    with pytest.raises(PayloadTooLarge) as caught:
        media.store_media(svc.db, data, uploader="gw-a", max_bytes=len(data) - 1)
    assert f"{len(data) - 1:,}" in caught.value.message
    assert media.store_media(svc.db, data, uploader="gw-a", max_bytes=len(data)).created


def test_readers_are_the_sender_and_those_who_may_see_an_event_naming_it(svc: Gridsvc) -> None:
    stored = media.store_media(svc.db, image_bytes(), uploader="gw-a", max_bytes=LIMIT)
    sender = who("grid_worker", "gw-a", "320102002001")  # scope elsewhere: it sent the photo
    street = who("dispatcher", "st", "320105001")
    other_street = who("dispatcher", "st2", "320102002")
    local_worker = who("grid_worker", "gw-c", COMMUNITY)
    admin = who("admin", "boss")
    analyst = who("analyst", "ana")

    assert media.read_media(svc.db, stored.id, sender).data == image_bytes()
    for nobody in (street, local_worker, admin):  # no event names it yet
        with pytest.raises(Forbidden):
            media.read_media(svc.db, stored.id, nobody)

    _report_with(svc, [stored.url])
    for reader in (sender, street, local_worker, admin):
        found = media.read_media(svc.db, stored.id, reader)
        assert (found.content_type, found.data) == ("image/png", image_bytes())
    for outsider in (other_street, analyst, who("department", "dep", None, "police")):
        with pytest.raises(Forbidden):
            media.read_media(svc.db, stored.id, outsider)
    with pytest.raises(Forbidden):  # analysts never, not even of a photo they could name
        media.read_media(svc.db, stored.id, who("analyst", "gw-a"))


def test_unknown_and_malformed_ids_are_not_found(svc: Gridsvc) -> None:
    with pytest.raises(NotFound):
        media.read_media(svc.db, "0" * 64, who("admin", "boss"))
    with pytest.raises(NotFound, match="not a photo id"):
        media.read_media(svc.db, "../etc/passwd", who("admin", "boss"))
    assert media.id_of_url("http://x/v1/media/" + "a" * 64) == "a" * 64
    assert media.id_of_url("/v1/media/zz") is None


def test_own_reports_are_listed_wherever_they_lie(svc: Gridsvc) -> None:
    """The reporter filter (GET /v1/events?mine=true): a grid worker's own reports outside its
    scope are listed; others' reports are not, even in its scope."""
    mine = _report_with(svc, [], reporter="gw-a")
    _report_with(svc, [], reporter="gw-b")
    worker = who("grid_worker", "gw-a", "320102002001")  # the reports lie in 320105001001
    own, _ = store.list_events(svc, store.EventFilter(principal=worker, reporter="gw-a"))
    assert [e["id"] for e in own] == [mine["id"]]
    in_scope, _ = store.list_events(svc, store.EventFilter(principal=worker))
    assert in_scope == []
    # a department asking for "its own" reports still sees only what is dispatched to it
    dep = who("department", "gw-a", None, "police")
    assert store.list_events(svc, store.EventFilter(principal=dep, reporter="gw-a"))[0] == []
