"""Events in PostGIS: create one (idempotent), read one, list with filters, nearby duplicates.

Every write keeps ``event_daily`` exact in the same transaction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, NoReturn

import numpy as np
from psycopg2 import sql

from gridsvc.access import Principal, scope_column
from gridsvc.dates import CITY_TZ, local_iso
from gridsvc.db.values import to_param
from gridsvc.errors import (
    DuplicateConflict,
    Forbidden,
    NotFound,
)
from gridsvc.events import columns
from gridsvc.events.columns import event_dict as event_dict
from gridsvc.events.keyset import ListPosition
from gridsvc.events.rows import Batch, Defaults, Prepared, Rejection, content_hash
from gridsvc.events.rules import prepare
from gridsvc.events.stage import stage_columns
from gridsvc.events.taxonomy import Taxonomy
from gridsvc.service import Gridsvc
from gridsvc.sql import query, statements
from gridsvc.vocabulary import EventTerms, grid_column


def event_select() -> str:
    """``SELECT`` of every event read (:data:`columns.SELECT`) from ``event AS e``, for a
    WHERE clause to follow (binds ``%(now)s``)."""
    return columns.SELECT + "FROM event AS e"


@cache
def _with_event_columns(name: str) -> sql.Composed:
    """Query ``name`` with the columns of every event read (:data:`columns.SELECT`) in its
    ``{event_columns}``."""
    return sql.SQL(query(name)).format(event_columns=sql.SQL(columns.SELECT))


def _statements(*names: str) -> sql.SQL:
    """Queries sent together, for one more to follow: one round trip (the result is the last
    one's)."""
    return sql.SQL(statements(*names))


@dataclass
class CreateResult:
    event: dict[str, Any]
    created: bool
    possible_duplicates: list[dict[str, Any]] = field(default_factory=list)


def taxonomy_of(svc: Gridsvc, *, include_inactive: bool = False) -> Taxonomy:
    """The stored taxonomy: active categories for checking new reports; with
    ``include_inactive``, also retired ones, for reading events stored under them."""
    return svc.taxonomy(include_inactive=include_inactive)


def create_event(
    svc: Gridsvc, report: Mapping[str, Any], *, taxonomy: Taxonomy | None = None
) -> CreateResult:
    """Store one report (a mapping with the columns of :data:`rows.INPUT_COLUMNS`).

    A replay of the same ``client_event_id`` by the same reporter with the same content
    returns the stored event (``created`` False) and stores nothing; different content under
    that id raises :class:`DuplicateConflict`. A rejected report raises
    :class:`InvalidInput` naming the field, and stores nothing.

    A new report costs one pooled connection and one transaction of two statements: its
    possible duplicates (committed open events near it; the report itself is not stored yet),
    then ``event_report.sql``, which stores the key, the event and its rollup count and returns
    the stored row; the commit follows at once, so reports under the same rollup key wait for
    each other only that long. (A replay pays for the duplicates query too, unused: which
    report is a replay shows only when its key fails to go in.)
    """
    batch = Batch.of([report])
    defaults = Defaults(future_tolerance=svc.settings.events.future_tolerance, now=svc.now())
    key = {
        "reporter_id": report.get("reporter_id"),
        "client_event_id": report.get("client_event_id"),
    }
    hashes = content_hash(batch, defaults)
    digest = str(hashes[0])
    taxonomy = taxonomy or taxonomy_of(svc)
    prepared = prepare(
        batch, taxonomy=taxonomy, locator=svc.locator(), defaults=defaults, hashes=hashes
    )
    if prepared.rejections:
        # a replay is answered even if the report would not pass now: it must get its event
        # back after the taxonomy or the grids changed since it was first accepted
        existing = svc.db.cursor_fetchall(query("event_by_key"), key) if all(key.values()) else []
        if existing:
            return _replay(svc, key, digest, existing[0])
        _raise_rejection(prepared.rejections[0])
    params = {k: to_param(v) for k, v in prepared.records()[0].items()}
    category = taxonomy.get(params["category"])
    with svc.db.connection() as conn, conn.cursor() as cur:
        nearby = _nearby_at(
            cur,
            lon=params["lon_wgs84"],
            lat=params["lat_wgs84"],
            category=category.code,
            occurred_at=params["occurred_at"],
            exclude_id=None,
            radius_m=category.dedupe_radius_m,
            window_h=category.dedupe_window_h,
        )
        cur.execute(
            _with_event_columns("event_report"),
            {**params, "now": svc.now(), "city_tz": CITY_TZ.key},
        )
        inserted = cur.fetchone()
    if inserted is None:  # stored before (a retry), or the same report arrived twice at once
        again = svc.db.cursor_fetchall(query("event_by_key"), key)
        return _replay(svc, key, digest, again[0])
    return CreateResult(event=event_dict(inserted), created=True, possible_duplicates=nearby)


def create_events(
    svc: Gridsvc, reports: Sequence[Mapping[str, Any]], *, taxonomy: Taxonomy | None = None
) -> list[CreateResult | Exception]:
    """Store several reports at once: for each, what :func:`create_event` returns or raises,
    in input order (an error is returned, not raised, so one bad report costs the others
    nothing).

    The new reports are stored together by :func:`store_together` (one batch of checks, one
    transaction, one commit); a report it leaves out (one that fails a check, or whose key
    is stored already: a replay, also of a report earlier in the same batch) is then
    answered by :func:`create_event` on its own, so every answer is the one the report would
    get alone. Raises what :func:`store_together` raises (nothing was stored then).
    """
    taxonomy = taxonomy or taxonomy_of(svc)
    together = store_together(svc, reports, taxonomy=taxonomy)
    answers: list[CreateResult | Exception] = []
    for report, stored in zip(reports, together, strict=True):
        if stored is not None:
            answers.append(stored)
            continue
        try:
            answers.append(create_event(svc, report, taxonomy=taxonomy))
        except Exception as exc:
            answers.append(exc)
    return answers


def store_together(
    svc: Gridsvc, reports: Sequence[Mapping[str, Any]], *, taxonomy: Taxonomy | None = None
) -> list[CreateResult | None]:
    """The new reports among ``reports`` stored in one transaction, as the bulk import
    stores a batch: one batch of checks; the reports staged in ``event_stage`` and their
    possible duplicates found (those :func:`create_event` finds: committed events only) in
    one round trip; one INSERT of keys, events and rollup counts (rollup rows locked in key
    order); the stored rows read back; one commit.

    Per report, in input order: its :class:`CreateResult` (``created``), or None for a
    report left to :func:`create_event` alone (it fails a check, or its key is stored
    already or was taken meanwhile). Raises before anything is committed, or not at all:
    nothing that can fail runs after the commit. The checks and the database cost about as
    much for a batch of 50 as for one report.
    """
    if not reports:
        return []
    numbered = [{**r, "row_number": i} for i, r in enumerate(reports, start=1)]
    batch = Batch.of(numbered)
    defaults = Defaults(future_tolerance=svc.settings.events.future_tolerance, now=svc.now())
    taxonomy = taxonomy or taxonomy_of(svc)
    prepared = prepare(
        batch,
        taxonomy=taxonomy,
        locator=svc.locator(),
        defaults=defaults,
        hashes=content_hash(batch, defaults),
    )
    stored: list[CreateResult | None] = [None] * len(reports)
    if not len(prepared):
        return stored
    stage = stage_columns(prepared)
    with svc.db.connection() as conn, conn.cursor() as cur:
        # one round trip: the stage (created once per connection), the reports in it, and
        # their possible duplicates, found before any of them is stored
        cur.execute(
            _statements("event_stage_create", "event_stage_insert")
            + _nearby_statement("event_nearby_staged"),
            {**stage, **_nearby_staged(prepared, taxonomy)},
        )
        nearby = _nearby_rows(cur.fetchall())
        # another: the insert, which leaves out a report whose key is stored already or was
        # taken meanwhile (ON CONFLICT), and the stored rows read back
        cur.execute(
            _statements("event_insert_stage") + _with_event_columns("event_staged"),
            {"import_id": None, "skip_rows": [], "now": svc.now(), "city_tz": CITY_TZ.key},
        )
        for *row, number in cur.fetchall():
            stored[number - 1] = CreateResult(
                event=event_dict(row), created=True, possible_duplicates=nearby.get(number, [])
            )
    return stored


def _replay(
    svc: Gridsvc, key: Mapping[str, Any], digest: str, existing: Sequence[Any]
) -> CreateResult:
    """The answer to a report whose key is stored (a row of ``event_by_key.sql``)."""
    event_id, stored_digest = existing
    if stored_digest != digest:
        raise DuplicateConflict(
            "event.duplicate",
            field="client_event_id",
            client_event_id=key["client_event_id"],
            reporter_id=key["reporter_id"],
            event_id=event_id,
            details={"event_id": event_id},
        )
    return CreateResult(event=_event_of_key(svc, key), created=False)


def _raise_rejection(rejection: Rejection) -> NoReturn:
    """A report sent alone and refused: the rejection its row would get in an import, raised
    (:meth:`~gridsvc.events.rows.Rejection.as_error`: the same hint, and the same message
    but for a wrong point, which is told as ``GET /v1/locate`` tells it)."""
    raise rejection.as_error()


def get_event(svc: Gridsvc, event_id: int) -> dict[str, Any]:
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(event_select() + " WHERE e.id = %(id)s", {"id": event_id, "now": svc.now()})
        row = cur.fetchone()
    if row is None:
        raise NotFound("event.not_found", field="id", event_id=event_id)
    return event_dict(row)


def _event_of_key(svc: Gridsvc, key: Mapping[str, Any]) -> dict[str, Any]:
    """The stored event of (reporter_id, client_event_id); see ``event_where_key.sql``."""
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(event_select() + query("event_where_key"), {**key, "now": svc.now()})
        row = cur.fetchone()
    if row is None:
        raise NotFound(
            "event.key_not_found",
            field="client_event_id",
            client_event_id=key["client_event_id"],
        )
    return event_dict(row)


def read_event(svc: Gridsvc, event_id: int, principal: Principal) -> dict[str, Any]:
    """One event as ``principal`` may see it; Forbidden outside its scope."""
    event = get_event(svc, event_id)
    departments = set()
    if principal.role == "department":
        rows = svc.db.cursor_fetchall(query("dispatch_of_event"), {"event_id": event_id})
        departments = {r[0] for r in rows}
    if not principal.in_scope(event, departments):
        raise Forbidden("event.out_of_scope", event_id=event_id, who=principal.who())
    return redact(event, principal, sensitive_categories(svc))


def possible_duplicates(
    svc: Gridsvc, event: Mapping[str, Any], *, radius_m: float, window_h: float
) -> list[dict[str, Any]]:
    """Open events of the same category within ``radius_m`` metres and ``window_h`` hours."""
    with svc.db.connection() as conn, conn.cursor() as cur:
        return _nearby(cur, event, radius_m=radius_m, window_h=window_h)


def _nearby(
    cur: Any, event: Mapping[str, Any], *, radius_m: float, window_h: float
) -> list[dict[str, Any]]:
    return _nearby_at(
        cur,
        lon=float(event["location"]["lon_wgs84"]),
        lat=float(event["location"]["lat_wgs84"]),
        category=event["category"],
        occurred_at=event["occurred_at"],
        exclude_id=event["id"],
        radius_m=radius_m,
        window_h=window_h,
    )


def _box_deg(lat: float, radius_m: float) -> float:
    """A half-width in degrees of a box holding the circle of ``radius_m`` at ``lat`` (a
    degree of longitude shrinks with cos(lat)), whose map cells ``event_nearby.sql`` reads
    (``event_cells``); the exact distance is then measured on the sphere."""
    return radius_m / (111_320.0 * max(math.cos(math.radians(lat)), 0.01)) * 1.01


@cache
def _nearby_statement(points: str) -> sql.Composed:
    return sql.SQL(query("event_nearby")).format(points=sql.SQL(query(points)))


def _nearby_rows(rows: Sequence[Sequence[Any]]) -> dict[int, list[dict[str, Any]]]:
    """``event_nearby.sql``'s rows as each point's possible duplicates."""
    found: dict[int, list[dict[str, Any]]] = {}
    for row_number, event_id, title, status, occurred_at, distance_m in rows:
        found.setdefault(int(row_number), []).append(
            {
                "id": event_id,
                "title": title,
                "status": status,
                "occurred_at": local_iso(occurred_at),
                "distance_m": round(float(distance_m), 1),
            }
        )
    return found


def _nearby_at(
    cur: Any,
    *,
    lon: float,
    lat: float,
    category: str,
    occurred_at: Any,
    exclude_id: int | None,
    radius_m: float,
    window_h: float,
) -> list[dict[str, Any]]:
    """Open events of ``category`` within ``radius_m`` metres of (lon, lat) (WGS-84) and
    ``window_h`` hours of ``occurred_at``, but ``exclude_id``; nearest first, at most 10."""
    cur.execute(
        _nearby_statement("event_nearby_point"),
        {
            "lon_wgs84": lon,
            "lat_wgs84": lat,
            "category": category,
            "exclude_id": exclude_id,
            "occurred_at": occurred_at,
            "window_h": window_h,
            "radius_m": radius_m,
            "box_deg": _box_deg(lat, radius_m),
        },
    )
    return _nearby_rows(cur.fetchall()).get(1, [])


def _nearby_staged(prepared: Prepared, taxonomy: Taxonomy) -> dict[str, list[Any]]:
    """The parameters of ``event_nearby.sql`` for every row staged from ``prepared``, by row
    number (``event_nearby_staged.sql``): what :func:`_nearby_at` finds for each, in one
    statement (its rows: :func:`_nearby_rows`)."""
    categories = [taxonomy.get(str(c)) for c in prepared.columns["category"]]
    lats = np.asarray(prepared.columns["lat_wgs84"], dtype=np.float64)
    return {
        "rows": [int(r) for r in prepared.columns["row_number"]],
        "window_h": [float(c.dedupe_window_h) for c in categories],
        "radius_m": [float(c.dedupe_radius_m) for c in categories],
        "box_deg": [
            _box_deg(float(lat), float(c.dedupe_radius_m))
            for lat, c in zip(lats, categories, strict=True)
        ],
    }


# --- listing -----------------------------------------------------------------------------------

_READ_NAMES = [c.name for c in columns.READ]
_ID, _OCCURRED_AT = _READ_NAMES.index("id"), _READ_NAMES.index("occurred_at")
"""Where a row of :data:`columns.SELECT` holds the list's keys (raw, before ``event_dict``)."""


@dataclass(frozen=True)
class EventFilter(EventTerms):
    """Filters of ``GET /v1/events`` (the terms of :class:`~gridsvc.vocabulary.EventTerms`
    and those below); every field optional. Times are timezone-aware."""

    overdue: bool | None = None
    after: ListPosition | None = None
    """The place of the last event of the page before (its ``next``): this page lists what
    comes after it in ``(occurred_at DESC, id DESC)`` order."""
    limit: int = 100
    principal: Principal | None = None
    """Who asks: lists hold only what this caller may see (None: no restriction)."""
    reporter: str | None = None
    """Only the events reported under this name. When it is the name of ``principal`` and
    that caller may report (grid workers report anywhere), its own reports are listed
    wherever they lie, not only those in its scope."""
    coarse: tuple[str, ...] = ()
    """Categories whose location the caller sees rounded to 0.01° (:func:`coarsened`): a
    bbox selects their events by the rounded point, and a grid code finer than a community
    never selects them, so that no filter tells more than the answer shows."""


def _grid_condition(code: str) -> sql.Composable | None:
    """The condition selecting events in unit ``code`` (value bound as %(grid)s); None for
    the whole city. A code of no unit's shape is refused (:func:`vocabulary.grid_column`)."""
    column = grid_column(code)
    return None if column is None else sql.SQL("e.{} = %(grid)s").format(sql.Identifier(column))


def scope_condition(principal: Principal) -> sql.Composable | None:
    """SQL selecting the events ``principal`` may see (binds scope_code/scope_department)."""
    if principal.citywide:
        return None
    if principal.role == "department":
        # the join on the distribution key too: co-located under Citus
        return sql.SQL(
            "EXISTS (SELECT 1 FROM dispatch AS d WHERE d.community_code = e.community_code "
            "AND d.event_id = e.id AND d.department_code = %(scope_department)s)"
        )
    column = scope_column(principal.scope_code or "")
    if column is None:
        return None
    return sql.SQL("e.{} = %(scope_code)s").format(sql.Identifier(column))


def visible_ids(svc: Gridsvc, principal: Principal, ids: list[int]) -> set[int]:
    """Which of ``ids`` the principal may see."""
    if not ids:
        return set()
    scope = scope_condition(principal)
    stmt: sql.Composable = sql.SQL("SELECT e.id FROM event AS e WHERE e.id = ANY(%(ids)s)")
    if scope is not None:
        stmt = stmt + sql.SQL(" AND ") + scope
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(
            stmt,
            {
                "ids": ids,
                "scope_code": principal.scope_code,
                "scope_department": principal.department_code,
            },
        )
        return {int(r[0]) for r in cur.fetchall()}


def sensitive_categories(svc: Gridsvc) -> set[str]:
    return {c.code for c in taxonomy_of(svc, include_inactive=True) if c.sensitive}


def coarsened(svc: Gridsvc, principal: Principal | None) -> tuple[str, ...]:
    """The categories whose location ``principal`` sees rounded (:func:`redact`): the
    sensitive ones for analysts, none for anyone else."""
    if principal is None or principal.role != "analyst":
        return ()
    return tuple(sorted(sensitive_categories(svc)))


def redact(event: dict[str, Any], principal: Principal, sensitive: set[str]) -> dict[str, Any]:
    """Hide personal data from roles that do not handle the event: analysts never see the
    reporter, the description, the address or the photos (``media``: the columns marked
    personal, :data:`columns.PERSONAL`); for sensitive categories (e.g. family disputes)
    they see the point rounded to 0.01° (about 1 km). Departments see only events
    dispatched to them (the scope), so they see those whole."""
    if principal.role in ("admin", "dispatcher", "grid_worker"):
        return event
    out = {**event, "location": dict(event["location"])}
    if principal.role == "analyst":
        out = columns.hide_personal(out)
    if event["category"] in sensitive and principal.role == "analyst":
        loc = out["location"]
        loc["lon_wgs84"] = round(loc["lon_wgs84"], 2)
        loc["lat_wgs84"] = round(loc["lat_wgs84"], 2)
        loc["sent"] = None
        loc["address"] = None
        # a grid (网格) is finer than the rounding: only the community and above are shown
        out["grid"] = {**out["grid"], "grid_code": None}
        out["redacted"] = "location rounded to 0.01° (sensitive category)"
    return out


def _own_reports(flt: EventFilter) -> bool:
    """Whether ``flt`` asks for the caller's own reports, which it may see wherever they
    lie (a reporter knows what it sent); departments and analysts do not report."""
    p = flt.principal
    return (
        p is not None
        and flt.reporter == p.name
        and p.role in ("grid_worker", "dispatcher", "admin")
    )


def filter_where(flt: EventFilter, now: datetime) -> tuple[sql.Composable, dict[str, Any]]:
    """The WHERE clause (empty, or `` WHERE …`` on table alias ``e``) selecting what ``flt``
    selects, and its parameters; ``now`` judges being overdue. Every list and count of
    events is built on it, so they select the same events."""
    conditions: list[sql.Composable] = []
    params: dict[str, Any] = {"now": now}
    if flt.coarse:
        params["coarse"] = list(flt.coarse)
    if flt.bbox is not None:
        conditions.append(
            sql.SQL(query("event_in_box" if not flt.coarse else "event_in_box_coarse"))
        )
        params.update(x0=flt.bbox[0], y0=flt.bbox[1], x1=flt.bbox[2], y1=flt.bbox[3])
    if flt.grid:
        cond = _grid_condition(flt.grid)
        if cond is not None:
            conditions.append(cond)
            params["grid"] = flt.grid
            if flt.coarse and grid_column(flt.grid) == "grid_code":
                conditions.append(sql.SQL("e.category <> ALL (%(coarse)s::text[])"))
    for column, values in (
        ("category", flt.categories),
        ("status", flt.status),
        ("urgency", flt.urgency),
        ("source", flt.source),
    ):
        if values and len(values) == 1:
            # "=" rather than "= ANY" of one value: PostgreSQL 15 takes the list's order from
            # an index led by an equality column only (event_category_time_id, migration 0015)
            conditions.append(
                sql.SQL("e.{} = %({})s").format(sql.Identifier(column), sql.SQL(column))
            )
            params[column] = values[0]
        elif values:
            conditions.append(
                sql.SQL("e.{} = ANY(%({})s)").format(sql.Identifier(column), sql.SQL(column))
            )
            params[column] = list(values)
    if flt.occurred_from is not None:
        conditions.append(sql.SQL("e.occurred_at >= %(occurred_from)s"))
        params["occurred_from"] = flt.occurred_from
    if flt.occurred_to is not None:
        conditions.append(sql.SQL("e.occurred_at < %(occurred_to)s"))
        params["occurred_to"] = flt.occurred_to
    if flt.overdue is not None:
        cond = sql.SQL(columns.OVERDUE_SQL)
        conditions.append(cond if flt.overdue else sql.SQL("NOT ") + cond)
    if flt.reporter is not None:
        conditions.append(sql.SQL(query("event_of_reporter").strip()))
        params["reporter"] = flt.reporter
    if flt.principal is not None and not _own_reports(flt):
        scope = scope_condition(flt.principal)
        if scope is not None:
            conditions.append(scope)
            params.update(
                scope_code=flt.principal.scope_code, scope_department=flt.principal.department_code
            )
    if flt.after is not None:
        # a row comparison: one range of event_time_id or event_category_time_id (migration 0015)
        conditions.append(sql.SQL("(e.occurred_at, e.id) < (%(after_at)s, %(after_id)s)"))
        params.update(after_at=flt.after.occurred_at, after_id=flt.after.id)
    where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conditions) if conditions else sql.SQL("")
    return where, params


def list_events(svc: Gridsvc, flt: EventFilter) -> tuple[list[dict[str, Any]], ListPosition | None]:
    """A page of events, latest ``occurred_at`` first (ties: highest id first), and the
    place to continue from for the next page (None: this is the last page). Each page is
    one range of an index on ``(occurred_at, id)`` (with the category before them when one
    category is asked for), so a later page costs what the first does; events stored
    between two pages appear in a later page only if they sort below its start."""
    where, params = filter_where(flt, svc.now())
    params["lim"] = flt.limit + 1
    stmt = (
        sql.SQL(event_select())
        + where
        + sql.SQL(" ORDER BY e.occurred_at DESC, e.id DESC LIMIT %(lim)s")
    )
    with svc.db.connection() as conn, conn.cursor() as cur:
        cur.execute(stmt, params)
        rows = cur.fetchall()
    page = rows[: flt.limit]
    nxt = None
    if len(rows) > flt.limit:
        last = page[-1]
        nxt = ListPosition(occurred_at=last[_OCCURRED_AT], id=int(last[_ID]))
    events = [event_dict(r) for r in page]
    if flt.principal is not None:
        sensitive = sensitive_categories(svc)
        events = [redact(e, flt.principal, sensitive) for e in events]
    return events, nxt
