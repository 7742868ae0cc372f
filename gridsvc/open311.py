"""Open311 GeoReport v2 (wiki.open311.org/GeoReport_v2) over gridsvc: the taxonomy's
categories as *services*, events as *service requests*.

The mapping (docs/open311.md has the tables):

- a service is an active leaf category: ``service_code`` its code, ``service_name`` its
  Chinese name, ``group`` its group's name, ``metadata`` true when it has fields, which the
  service definition lists as ``attributes``;
- a service request is an event: ``status`` is ``open`` while the workflow state is one of
  :data:`gridsvc.workflow.actions.OPEN_STATES`, else ``closed``; ``status_notes`` is the note
  of the last history entry, ``agency_responsible`` the departments it is dispatched to,
  ``expected_datetime`` the resolve deadline; with ``extensions=true`` the grid units and
  workflow details come as ``extended_attributes`` (the convention of the spec's Extensions
  page, which Chicago, Boston and San Francisco follow);
- a POSTed request becomes the report ``POST /v1/events`` would store (:func:`report_of`),
  so its checks, grid assignment, duplicates and deadlines are the same.

Nothing here knows HTTP: ``api/routes/open311.py`` parses requests, calls these functions and
renders their values as JSON or, with :func:`to_xml`, as the spec's XML. Times are shown in
the city's zone with their offset (:func:`gridsvc.dates.local_iso`), the w3 format the spec
asks for.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from gridsvc.access import Principal
from gridsvc.dates import local_iso
from gridsvc.errors import InvalidCoordinate, InvalidInput, NotFound, UnknownCategory
from gridsvc.events import store
from gridsvc.events.taxonomy import DEFAULT_MAX_LENGTH, AttributeField, Category, Taxonomy
from gridsvc.messages import Local
from gridsvc.pinyin import initials
from gridsvc.selection import parse_instant
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from gridsvc.workflow.actions import OPEN_STATES

WINDOW = timedelta(days=90)
"""The spec's default and largest span of ``start_date``..``end_date``."""
MAX_REQUESTS = 1000
"""The spec's default query limit: a GET answers at most this many requests, newest first."""
MAX_DESCRIPTION = 4000
"""The spec's limit of a request's ``description``, in characters."""
MAX_MEDIA_URL = 2000
"""The longest ``media_url`` kept, as for an entry of a report's ``media``."""
SOURCE = "public"
"""The ``source`` of events reported through Open311: the channel of city systems and the
public's apps (:data:`gridsvc.vocabulary.SOURCES`)."""
EXTENSION_ATTRIBUTES = ("client_event_id", "occurred_at")
"""``attribute[…]`` codes a POST may send besides the category's fields: the idempotency key
of ``POST /v1/events`` (a resend with the same key stores nothing new) and the time the
event occurred (ISO 8601 with offset; default: now)."""

_ONE_MICROSECOND = timedelta(microseconds=1)
_ID = re.compile(r"[0-9]{1,18}")  # an event id: a bigint
_URGENCY_ZH = {"normal": "一般", "urgent": "紧急", "critical": "特急"}
_UNIT_ZH = {"hours": "小时", "days": "天", "working_days": "个工作日"}
_GRID_LEVELS = ("district", "sector", "street", "community", "grid")


def open311_status(state: str) -> str:
    """``open`` or ``closed`` for a workflow state: resolved and verified events are still
    open (a failed verification reopens them); closed, rejected and merged ones are closed."""
    return "open" if state in OPEN_STATES else "closed"


def _states(status: str) -> tuple[str, ...]:
    if status == "open":
        return OPEN_STATES
    return ("closed", "rejected", "merged")


# --- services -------------------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:g}"


def _service_description(category: Category, group: Category) -> str:
    limits = category.time_limits.for_urgency(category.default_urgency)
    resolve = limits.resolve
    return (
        f"{group.name_zh} · {category.name_zh}。{_URGENCY_ZH[category.default_urgency]}事件"
        f"{_number(limits.accept_hours)}小时内受理，"
        f"{_number(resolve.value)}{_UNIT_ZH[resolve.unit]}内处置。"
    )


def services(taxonomy: Taxonomy) -> list[dict[str, Any]]:
    """GET services: one per leaf of ``taxonomy`` (pass the active categories), in display
    order."""
    out = []
    for category in taxonomy.leaves():
        group = taxonomy.get(str(category.parent_code))
        keywords = [category.name_en, initials(category.name_zh)]
        out.append(
            {
                "service_code": category.code,
                "service_name": category.name_zh,
                "description": _service_description(category, group),
                "metadata": bool(category.fields),
                "type": "realtime",
                "keywords": ", ".join(k for k in keywords if k),
                "group": group.name_zh,
            }
        )
    return out


def service(taxonomy: Taxonomy, code: str) -> Category:
    """The category of a service code; :class:`UnknownCategory` (the spec's 404) for a code
    that is not an active leaf."""
    found = taxonomy.get(code)
    if found.is_group:
        raise UnknownCategory(
            "open311.group",
            field="service_code",
            code=code,
            name=Local(found.name_en, found.name_zh),
            services=[c.code for c in taxonomy.children(code)],
        )
    return found


def _datatype(spec: AttributeField) -> str:
    if spec.type in ("integer", "number"):
        return "number"
    if spec.type in ("boolean", "enum"):
        return "singlevaluelist"
    return "string"


def _datatype_description(spec: AttributeField) -> str:
    if spec.type == "boolean":
        return "是或否"
    if spec.type == "enum":
        return "从列表中选一项"
    if spec.type == "string":
        return f"文字，最多 {spec.max_length or DEFAULT_MAX_LENGTH} 字"
    kind = "整数" if spec.type == "integer" else "数字"
    if spec.min is not None and spec.max is not None:
        return f"{kind}，{_number(spec.min)} 到 {_number(spec.max)}"
    if spec.min is not None:
        return f"{kind}，不小于 {_number(spec.min)}"
    if spec.max is not None:
        return f"{kind}，不大于 {_number(spec.max)}"
    return kind


def _values(spec: AttributeField) -> list[dict[str, str]]:
    if spec.type == "boolean":
        return [{"key": "true", "name": "是"}, {"key": "false", "name": "否"}]
    return [{"key": c, "name": spec.choice_label(c)} for c in spec.choices]


def service_definition(taxonomy: Taxonomy, code: str) -> dict[str, Any]:
    """GET services/{code}: the category's fields as the spec's attributes."""
    category = service(taxonomy, code)
    attributes = []
    for order, spec in enumerate(category.fields, start=1):
        attribute: dict[str, Any] = {
            "variable": True,
            "code": spec.name,
            "datatype": _datatype(spec),
            "required": spec.required,
            "datatype_description": _datatype_description(spec),
            "order": order,
            "description": spec.label_zh,
        }
        if attribute["datatype"] == "singlevaluelist":
            attribute["values"] = _values(spec)
        attributes.append(attribute)
    return {"service_code": category.code, "attributes": attributes}


# --- POST requests ---------------------------------------------------------------------------

Form = Mapping[str, Sequence[str]]
"""A POST body: each field's values, in the order sent (``attribute[code]`` keys as sent)."""


def value_of(form: Form, name: str) -> str | None:
    """A field's value, stripped; None when absent or blank (the spec's "optional" rule);
    InvalidInput when sent twice."""
    values = [v for v in form.get(name, ()) if v.strip()]
    if len(values) > 1:
        raise InvalidInput("open311.sent_twice", field=name, count=len(values))
    return values[0].strip() if values else None


def _coordinate(form: Form, name: str) -> float:
    text = value_of(form, name)
    assert text is not None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidCoordinate("open311.not_a_number", field=name, value=text[:40])
    return value


def _coordinates(form: Form) -> tuple[float, float]:
    """(lon, lat) in WGS-84 from ``long`` and ``lat``."""
    has = {name: value_of(form, name) is not None for name in ("lat", "long")}
    if all(has.values()):
        return _coordinate(form, "long"), _coordinate(form, "lat")
    if any(has.values()):
        missing = next(n for n, sent in has.items() if not sent)
        raise InvalidInput("open311.half_position", field=missing)
    address = value_of(form, "address_string") or value_of(form, "address_id")
    raise InvalidInput("open311.no_geocoding" if address else "open311.no_position", field="lat")


def _attribute_value(spec: AttributeField | None, text: str) -> Any:
    """A form's text as the JSON value the category's field takes; text that does not parse
    is passed on as it is, for the attribute check to name what it expects."""
    if spec is None:
        return text
    if spec.type == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if spec.type in ("integer", "number"):
        try:
            number = float(text)
        except ValueError:
            return text
        if spec.type == "integer" and number.is_integer() and abs(number) < 2**53:
            return int(number)
        return number if number == number else text
    return text


def _attributes(category: Category, form: Form) -> tuple[dict[str, Any], dict[str, str]]:
    """The category's attributes and the extension attributes of ``attribute[code]`` fields."""
    attributes: dict[str, Any] = {}
    extension: dict[str, str] = {}
    for key in form:
        match = re.fullmatch(r"attribute\[([^\[\]]*)\](\[\])?", key)
        if match is None:
            continue
        code = match.group(1)
        values = [v.strip() for v in form[key] if v.strip()]
        if not values:
            continue
        if len(values) > 1 or match.group(2):
            raise InvalidInput("open311.one_value", field=f"attribute[{code}]", code=code)
        spec = category.attribute(code)
        if spec is None and code in EXTENSION_ATTRIBUTES:
            extension[code] = values[0]
        else:
            attributes[code] = _attribute_value(spec, values[0])
    return attributes, extension


def _stored_by_key(svc: Gridsvc, reporter: str, client_event_id: str) -> dict[str, Any] | None:
    """The event stored under (reporter, client_event_id), if any."""
    key = {"reporter_id": reporter, "client_event_id": client_event_id, "now": svc.now()}
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(store.event_select() + query("event_where_key"), key)
        row = cur.fetchone()
    return store.event_dict(row) if row is not None else None


def report_of(svc: Gridsvc, taxonomy: Taxonomy, reporter: str, form: Form) -> dict[str, Any]:
    """The report ``POST /v1/events`` would store for an Open311 POST (``form``), reported by
    ``reporter`` (the token's name), from :data:`SOURCE`.

    Contact fields (``email``, names, ``phone``, ``device_id``, ``account_id``) are not kept:
    an event has no place for them. Without ``attribute[client_event_id]`` each POST is a new
    report (its key is random); with one, a resend stores nothing new, and without
    ``attribute[occurred_at]`` it takes the stored report's time, so that it matches.
    """
    code = value_of(form, "service_code")
    if code is None:
        raise InvalidInput("open311.no_service_code", field="service_code")
    category = service(taxonomy, code)
    lon, lat = _coordinates(form)
    description = value_of(form, "description") or ""
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            "validation.too_long",
            field="description",
            length=len(description),
            max_length=MAX_DESCRIPTION,
        )
    attributes, extension = _attributes(category, form)
    client_event_id = extension.get("client_event_id")
    occurred_at = extension.get("occurred_at")
    if client_event_id is not None and occurred_at is None:
        stored = _stored_by_key(svc, reporter, client_event_id)
        occurred_at = stored["occurred_at"] if stored is not None else None
    media_url = value_of(form, "media_url")
    if media_url is not None and len(media_url) > MAX_MEDIA_URL:
        raise InvalidInput(
            "validation.too_long",
            field="media_url",
            length=len(media_url),
            max_length=MAX_MEDIA_URL,
        )
    return {
        "client_event_id": client_event_id or f"open311:{uuid.uuid4()}",
        "reporter_id": reporter,
        "category": category.code,
        "title": "",  # the category's name, as for hotline rows without one
        "description": description,
        "occurred_at": occurred_at or local_iso(svc.now().replace(microsecond=0)),
        "reported_at": None,
        "lon": lon,
        "lat": lat,
        "crs": "wgs84",
        "accuracy_m": None,
        "source": SOURCE,
        "urgency": None,
        "address": value_of(form, "address_string"),
        "media": [media_url] if media_url else [],
        "attributes": attributes,
    }


def created(result: store.CreateResult, account_id: str | None) -> dict[str, Any]:
    """POST requests' answer for a stored report: its id (no token: requests are realtime)
    and, as ``service_notice``, its accept deadline and possible duplicates, in Chinese."""
    event = result.event
    due = event["deadlines"]["accept_due_at"]
    notice = f"已收到上报（事件 {event['id']}）"
    notice += f"，将于 {due[:16].replace('T', ' ')} 前受理。" if due else "。"
    if result.possible_duplicates:
        notice += f"附近已有 {len(result.possible_duplicates)} 件同类事件在办，可能重复。"
    return {"service_request_id": event["id"], "service_notice": notice, "account_id": account_id}


def token(svc: Gridsvc, principal: Principal, client_event_id: str) -> dict[str, Any]:
    """GET tokens/{token}: a token is the ``attribute[client_event_id]`` of one of the caller's
    own POSTs, so a client whose answer was lost can find its request; NotFound if none."""
    stored = _stored_by_key(svc, principal.name, client_event_id)
    if stored is None:
        raise NotFound(
            "open311.no_token", field="token", who=principal.who(), token=client_event_id[:100]
        )
    return {"service_request_id": stored["id"], "token": client_event_id}


# --- GET requests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    """What GET requests asks for: ``ids`` (the spec's ``service_request_id``, which overrides
    the rest), or categories, workflow states and a window of ``occurred_at`` (``start``
    included, ``end`` excluded; None: open)."""

    ids: tuple[int, ...] = ()
    categories: tuple[str, ...] | None = None
    states: tuple[str, ...] | None = None
    start: datetime | None = None
    end: datetime | None = None


def _is_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


def _items(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(",") if v.strip())


def request_query(
    params: Mapping[str, str | None], taxonomy: Taxonomy, now: datetime
) -> RequestQuery:
    """The filters of GET requests from its parameters (comma lists already joined).

    Without dates the window is the last 90 days; with one end, 90 days from it; a wider
    window is refused (the spec: it "may not span more than 90 days"). ``end_date`` is
    included. Raises InvalidInput, or UnknownCategory for a service code (a group's code
    means its services, as ``category`` does on ``/v1/events``)."""
    if params.get("service_request_id"):
        ids = []
        for item in _items(params["service_request_id"]):
            if not _is_id(item):
                raise InvalidInput(
                    "open311.not_request_id", field="service_request_id", value=item[:40]
                )
            ids.append(int(item))
        if len(ids) > MAX_REQUESTS:
            raise InvalidInput(
                "open311.too_many_ids",
                field="service_request_id",
                count=len(ids),
                limit=MAX_REQUESTS,
            )
        return RequestQuery(ids=tuple(dict.fromkeys(ids)))
    categories = None
    if codes := _items(params.get("service_code")):
        categories = tuple(c for code in codes for c in taxonomy.codes_under(code))
    states = None
    if statuses := set(_items(params.get("status"))):
        unknown = statuses - {"open", "closed"}
        if unknown:
            raise InvalidInput(
                "validation.choice",
                field="status",
                choices=["open", "closed"],
                value=sorted(unknown)[0][:40],
            )
        states = tuple(s for status in sorted(statuses, reverse=True) for s in _states(status))
    start_text, end_text = params.get("start_date"), params.get("end_date")
    start = parse_instant(start_text, "start_date") if start_text else None
    end = parse_instant(end_text, "end_date", last=True) if end_text else None
    if start is None and end is None:
        return RequestQuery(categories=categories, states=states, start=now - WINDOW)
    if start is None:
        assert end is not None
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    if end < start:
        raise InvalidInput("open311.end_before_start", field="end_date")
    if end - start > WINDOW:
        raise InvalidInput("open311.window", field="end_date")
    return RequestQuery(
        categories=categories, states=states, start=start, end=end + _ONE_MICROSECOND
    )


def find(svc: Gridsvc, principal: Principal, q: RequestQuery) -> list[dict[str, Any]]:
    """The events ``q`` selects that ``principal`` may see, as ``/v1/events`` shows them to it
    (redacted alike), newest first, at most :data:`MAX_REQUESTS`."""
    if not q.ids:
        flt = store.EventFilter(
            categories=q.categories,
            status=q.states,
            occurred_from=q.start,
            occurred_to=q.end,
            principal=principal,
            limit=MAX_REQUESTS,
        )
        return store.list_events(svc, flt)[0]
    visible = sorted(store.visible_ids(svc, principal, list(q.ids)))
    if not visible:
        return []
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(
            store.event_select() + query("open311_events_by_id"),
            {"ids": visible, "now": svc.now()},
        )
        rows = cur.fetchall()
    sensitive = store.sensitive_categories(svc)
    return [store.redact(store.event_dict(r), principal, sensitive) for r in rows]


def one(svc: Gridsvc, principal: Principal, request_id: str) -> dict[str, Any]:
    """GET requests/{id}: the event as ``principal`` may see it; NotFound for an id that is
    not one, Forbidden outside the caller's scope."""
    if not _is_id(request_id):
        raise NotFound("open311.no_request", field="service_request_id", value=request_id[:40])
    return store.read_event(svc, int(request_id), principal)


def _media_url(entry: str, base_url: str) -> str:
    """A photo stored by gridsvc (``/v1/media/…``) as an absolute URL; other entries (an
    import's own URLs) as they are."""
    return base_url.rstrip("/") + entry if entry.startswith("/") else entry


def _unit_names(svc: Gridsvc, events: Sequence[dict[str, Any]]) -> dict[tuple[int, str], str]:
    versions = sorted({e["grid"]["version_id"] for e in events if e["grid"]["version_id"]})
    codes = sorted({c for e in events for lv in _GRID_LEVELS if (c := e["grid"].get(f"{lv}_code"))})
    if not versions or not codes:
        return {}
    rows = svc.db.cursor_fetchall(
        query("open311_unit_names"), {"versions": versions, "codes": codes}
    )
    return {(int(v), str(c)): str(n) for v, c, n in rows}


def _extended(
    event: dict[str, Any], category: Category, names: Mapping[tuple[int, str], str]
) -> dict[str, Any]:
    grid = event["grid"]
    out: dict[str, Any] = {
        "workflow_status": event["status"],
        "urgency": event["urgency"],
        "source": event["source"],
        "reported_at": event["reported_at"],
        "accept_due_at": event["deadlines"]["accept_due_at"],
        "overdue": event["deadlines"]["overdue"],
        "merged_into": event["merged_into"],
        "grid_version_id": grid["version_id"],
    }
    for level in _GRID_LEVELS:
        code = grid.get(f"{level}_code")
        out[f"{level}_code"] = code
        out[f"{level}_name"] = names.get((grid["version_id"], code)) if code else None
    out["snapped"] = grid["snapped"]
    out["near_boundary"] = grid["near_boundary"]
    out["attributes"] = [
        {
            "code": code,
            "description": spec.label_zh if (spec := category.attribute(code)) else code,
            "value": value,
        }
        for code, value in (event["attributes"] or {}).items()
    ]
    return out


def service_requests(
    svc: Gridsvc, events: Sequence[dict[str, Any]], *, base_url: str, extensions: bool
) -> list[dict[str, Any]]:
    """Events (as :func:`find` returns them) as the spec's service requests, in the same
    order; with ``extensions``, each with its ``extended_attributes``."""
    if not events:
        return []
    ids = [e["id"] for e in events]
    extras = {
        int(r[0]): r[1:]
        for r in svc.db.cursor_fetchall(query("open311_request_extras"), {"ids": ids})
    }
    taxonomy = store.taxonomy_of(svc, include_inactive=True)
    names = _unit_names(svc, events) if extensions else {}
    out = []
    for event in events:
        updated_at, note, departments = extras.get(event["id"], (None, None, None))
        category = taxonomy.get(event["category"])
        location = event["location"]
        media = event["media"] or []
        request: dict[str, Any] = {
            "service_request_id": event["id"],
            "status": open311_status(event["status"]),
            "status_notes": note,
            "service_name": category.name_zh,
            "service_code": category.code,
            "description": event["description"],
            "agency_responsible": "、".join(departments) if departments else None,
            "service_notice": None,
            "requested_datetime": event["occurred_at"],
            "updated_datetime": local_iso(updated_at),
            "expected_datetime": event["deadlines"]["resolve_due_at"],
            "address": location["address"],
            "address_id": None,
            "zipcode": None,
            "lat": location["lat_wgs84"],
            "long": location["lon_wgs84"],
            "media_url": _media_url(str(media[0]), base_url) if media else None,
        }
        if extensions:
            request["extended_attributes"] = _extended(event, category, names)
        out.append(request)
    return out


# --- XML -------------------------------------------------------------------------------------

# the element of each item of a list, by the list's element (the spec's examples)
_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
}
# characters XML 1.0 cannot hold (stored text may have them: an import, a pasted form)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list | tuple):
        name = _ITEMS[element.tag]
        for item in value:
            _fill(ET.SubElement(element, name), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = _NOT_XML.sub("\ufffd", str(value))


def to_xml(root: str, value: Mapping[str, Any] | Sequence[Any]) -> bytes:
    """The spec's XML (UTF-8, with its declaration) of a JSON-shaped value under ``root``:
    a list's items are the singular of their parent (``services``/``service``,
    ``service_requests``/``request``, ``attributes``/``attribute``, ``values``/``value``,
    ``errors``/``error``), null is an empty element, booleans are ``true``/``false``."""
    element = ET.Element(root)
    _fill(element, value)
    body = ET.tostring(element, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8"?>\n' + body).encode()


def errors(status: int, description: str) -> list[dict[str, Any]]:
    """The spec's error body: an array of ``{code, description}``."""
    return [{"code": status, "description": description}]
