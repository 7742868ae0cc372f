"""The rules a report must pass, each a small function over a whole batch, and :func:`prepare`,
which applies them in a fixed order (:data:`RULES`) and returns the rows ready to store.

A rule reads a batch as it was sent (:class:`Sent`) and returns the rows it refuses
(:class:`Refusals`), each with the field to mark, its catalogue message and its hint. It
looks only at the rows no earlier rule refused, so a row's first problem is the one reported.
Rules are vectorised: numpy over the batch's columns, a Python loop only over the rows a rule
refuses (and over the rows that carry attributes, which the category's own fields check).

A single report is a batch of one: the app and an import get the same message and hint for the
same mistake (an import keeps both with the row, a report sent alone raises
:meth:`~gridsvc.events.rows.Rejection.as_error`); only a wrong point is told to a report sent
alone as ``GET /v1/locate`` tells it, with the same hint. The coordinate checks serve the
locate door too (:func:`out_of_degrees`, :func:`swapped_units`, :func:`outside_answer`), so
"out of range", "swapped" and "outside" mean the same wherever a point arrives. Nothing here
touches the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from gridsvc import crs as crs_mod
from gridsvc.dates import RANGE
from gridsvc.errors import DateOutOfRange, InvalidCoordinate, InvalidInput
from gridsvc.events.attributes import validate_attributes
from gridsvc.events.rows import (
    Batch,
    Defaults,
    Prepared,
    Rejection,
    Sent,
    Values,
    _missing,
    _outside_range,
    content_hash,
)
from gridsvc.events.taxonomy import Taxonomy
from gridsvc.grids.locate import Location, Locator, UnitRef
from gridsvc.messages import Msg
from gridsvc.vocabulary import SOURCES, URGENCIES

REQUIRED: Final = ("category", "occurred_at", "lon", "lat")
MAX_TEXT: Final = {
    "title": 200,
    "description": 5000,
    "address": 500,
    "client_event_id": 100,
    "reporter_id": 100,
}
NUL: Final = "\x00"
MAX_ACCURACY_M: Final = 100_000


# --- coordinates, for reports and for the locate door ------------------------------------------


def out_of_degrees(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Where (lon, lat) is no pair of degrees: ``|lon| > 180`` or ``|lat| > 90`` (NaN is
    neither: it is missing or not a number)."""
    return np.asarray((np.abs(lon) > 180) | (np.abs(lat) > 90))


def swappable(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Where (lat, lon), the pair read the other way round, is a pair of degrees."""
    return np.asarray((np.abs(lat) <= 180) & (np.abs(lon) <= 90))


def swapped_units(
    lon: np.ndarray, lat: np.ndarray, systems: Values, locator: Locator
) -> list[UnitRef | None]:
    """Per point sent as (lon, lat) in its system (``systems``: :class:`~gridsvc.crs.Crs`
    values): the finest unit that (lat, lon), the pair read the other way round, falls in;
    None where it falls in none or is no pair of degrees. (lat, lon) for (lon, lat) is the
    commonest mistake, and naming where the swapped point lies shows it at once."""
    found: list[UnitRef | None] = [None] * len(lon)
    idx = np.flatnonzero(swappable(lon, lat))
    if not len(idx):
        return found
    x, y = lat[idx].astype(np.float64), lon[idx].astype(np.float64)
    for system in set(systems[idx]):
        same = systems[idx] == system
        x[same], y[same] = crs_mod.to_wgs84(x[same], y[same], crs_mod.Crs(system))
    for i, where in zip(idx.tolist(), locator.locate_many(x, y), strict=True):
        if where.found:
            found[i] = where.units[0]
    return found


def swap_hint(lon: float, lat: float, unit: UnitRef) -> Msg:
    """The hint for a point whose (lat, lon) falls in ``unit``: send lon first."""
    return Msg("locate.swapped", {"lon": lon, "lat": lat, "unit": unit.name, "code": unit.code})


def outside_answer(
    lon: float, lat: float, system: str, locator: Locator, where: Location
) -> tuple[Msg, dict[str, Any]]:
    """What ``GET /v1/locate`` says of a point (lon, lat) in ``system`` that ``where`` puts
    outside every grid, and a report sent alone with it too: the message (the nearest
    community, how far, the snapping distance) and the details (that community, the
    distance in metres, the point in WGS-84)."""
    nearest = where.nearest
    msg = Msg(
        "locate.outside",
        {
            "lon": lon,
            "lat": lat,
            "crs": system,
            "version": locator.version.name,
            "where": (
                Msg(
                    "locate.nearest",
                    {"name": nearest.name, "code": nearest.code, "distance_m": where.distance_m},
                )
                if nearest
                else Msg("locate.no_grid")
            ),
            "snap_m": locator.snap_tolerance_m,
        },
    )
    details = {
        "nearest": nearest.to_dict() if nearest else None,
        "distance_m": round(where.distance_m, 1),
        "lon_wgs84": where.lon_wgs84,
        "lat_wgs84": where.lat_wgs84,
    }
    return msg, details


# --- what a rule refuses -----------------------------------------------------------------------


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _hint_of(msg: Msg) -> Msg:
    """A refused row's hint when its rule has none of its own: the message's, else "fix this
    field and send the report again"."""
    return msg.own_hint() or Msg("report.fix")


class Refusals:
    """The rows one rule refuses (``rows``, a mask over the batch) and their rejections. Only
    rows of ``open_rows`` can be refused, each once: the rule's first problem wins."""

    def __init__(self, sent: Sent, open_rows: np.ndarray) -> None:
        self._numbers = sent.row_numbers
        self._open = np.array(open_rows, dtype=bool)
        self.rows = np.zeros(sent.n, dtype=bool)
        self.rejections: list[Rejection] = []

    def reject(
        self,
        mask: np.ndarray,
        field: str | None,
        reason: str | Msg,
        values: Values | None = None,
        *,
        params: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
        error: type[InvalidInput] | None = None,
    ) -> None:
        """Refuse the open rows under ``mask``. ``reason``: a catalogue id, whose
        placeholders get ``field``, ``value`` (the row's value, shortened) and ``params`` (or
        what ``params`` makes of the value); or a :class:`Msg` made elsewhere. The hint is the
        message's own (else ``report.fix``)."""
        new = mask & self._open
        for i in np.flatnonzero(new).tolist():
            value = values[i] if values is not None else None
            shown = None if value is None else _short(value)
            extra = params(value) if callable(params) else params or {}
            msg = (
                reason
                if isinstance(reason, Msg)
                else Msg(reason, {"field": field, "value": shown, **extra})
            )
            self._add(i, Rejection(int(self._numbers[i]), field, msg, shown, _hint_of(msg), error))

    def reject_one(
        self,
        i: int,
        field: str | None,
        reason: Msg,
        hint: Msg | None = None,
        *,
        value: Any = None,
        error: type[InvalidInput] | None = None,
        alone: Msg | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Refuse row ``i`` (if open) for ``reason``, with ``hint`` (default: the message's
        own, else ``report.fix``); ``error``, ``alone`` and ``details`` for the error a report
        sent alone raises (:class:`Rejection`)."""
        if self._open[i]:
            shown = None if value is None else _short(value)
            hint = hint or _hint_of(reason)
            number = int(self._numbers[i])
            self._add(i, Rejection(number, field, reason, shown, hint, error, alone, details))

    def _add(self, i: int, rejection: Rejection) -> None:
        self.rejections.append(rejection)
        self._open[i] = False
        self.rows[i] = True


Rule = Callable[[Sent, np.ndarray], Refusals]
"""A rule: the batch and its rows still open (a mask) → the rows it refuses."""


def _isin(values: Values, choices: Iterable[Any]) -> np.ndarray:
    allowed = set(choices)
    return np.fromiter((v in allowed for v in values), dtype=bool, count=len(values))


# --- the rules, in the order they apply -------------------------------------------------------


def missing(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """category, occurred_at, lon and lat are given (NaN counts as not given)."""
    found = Refusals(sent, open_rows)
    for column in REQUIRED:
        found.reject(sent.text(column) == "", column, "report.missing")
    return found


def nul_characters(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """No text holds a NUL character: PostgreSQL text cannot (a binary file, or UTF-16 read
    as UTF-8)."""
    found = Refusals(sent, open_rows)
    for column in sent.raw:
        text = sent.text(column)
        nul = np.fromiter((NUL in v for v in text), dtype=bool, count=sent.n)
        found.reject(nul, column, "report.nul")
    return found


def _lengths_of(limit: int) -> Callable[[Any], dict[str, int]]:
    """The placeholders of ``report.too_long`` for a value."""
    return lambda value: {"length": len(str(value)), "limit": limit}


def too_long(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """Texts within :data:`MAX_TEXT` characters."""
    found = Refusals(sent, open_rows)
    for column, limit in MAX_TEXT.items():
        text = sent.text(column)
        lengths = np.fromiter(map(len, text), dtype=np.int64, count=sent.n)
        found.reject(
            lengths > limit,
            column,
            "report.too_long",
            text,
            params=_lengths_of(limit),
        )
    return found


def unknown_category(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """The category is an active leaf of the taxonomy; the message suggests the nearest."""
    found = Refusals(sent, open_rows)
    category = sent.category
    found.reject(
        ~_isin(category, sent.known) & (category != ""),
        "category",
        "report.unknown_category",
        category,
        params=lambda v: {"suggestion": sent.taxonomy.suggestion(str(v))},
    )
    return found


def unknown_crs(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """A row's own crs, if any, names a system gridsvc knows."""
    found = Refusals(sent, open_rows)
    for name, exc in sent.unknown_crs.items():
        found.reject(sent.crs_names == name, "crs", exc.msg, sent.raw["crs"])
    return found


def not_numbers(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """lon and lat are finite decimal numbers."""
    found = Refusals(sent, open_rows)
    for name, values in (("lon", sent.lon), ("lat", sent.lat)):
        raw = sent.raw[name]
        found.reject(np.isnan(values) & (sent.text(name) != ""), name, "report.not_a_number", raw)
        found.reject(np.isinf(values), name, "report.infinite", raw)
    return found


def swapped(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """A point out of range whose (lat, lon) falls in a unit was sent lat first: said so, and
    the hint names the unit (as ``GET /v1/locate`` and a single report say it)."""
    found = Refusals(sent, open_rows)
    lon, lat = sent.lon, sent.lat
    idx = np.flatnonzero(out_of_degrees(lon, lat) & open_rows)
    units = swapped_units(lon[idx], lat[idx], sent.systems[idx], sent.locator)
    raw = sent.raw["lon"]
    for i, unit in zip(idx.tolist(), units, strict=True):
        if unit is not None:
            found.reject_one(
                i,
                "lon",
                Msg("report.swapped", {"field": "lon", "value": _short(raw[i])}),
                swap_hint(float(lon[i]), float(lat[i]), unit),
                value=raw[i],
                error=InvalidCoordinate,
                alone=_out_of_range_alone(float(lon[i]), float(lat[i])),
            )
    return found


def _out_of_range_alone(lon: float, lat: float) -> Msg:
    """What a report sent alone is told of a point out of range: what ``GET /v1/locate``
    says, naming the axis that is out."""
    axis = "lon" if abs(lon) > 180 else "lat"
    return Msg("coord.out_of_range", {"field": axis, "lon": lon, "lat": lat})


def out_of_range(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """lon within [-180, 180] and lat within [-90, 90]."""
    found = Refusals(sent, open_rows)
    lon, lat, raw = sent.lon, sent.lat, sent.raw["lon"]
    for i in np.flatnonzero(out_of_degrees(lon, lat) & open_rows).tolist():
        alone = _out_of_range_alone(float(lon[i]), float(lat[i]))
        found.reject_one(
            i,
            "lon",
            Msg("report.out_of_range", {"field": "lon", "value": _short(raw[i])}),
            alone.own_hint(),
            value=raw[i],
            error=InvalidCoordinate,
            alone=alone,
        )
    return found


def _times(sent: Sent, open_rows: np.ndarray, column: str) -> Refusals:
    found = Refusals(sent, open_rows)
    parsed, bad, naive = sent.times(column)
    raw = sent.raw[column]
    found.reject(
        _outside_range(parsed, sent.text(column)),
        column,
        "report.time_out_of_range",
        raw,
        params={"range": RANGE},
        error=DateOutOfRange,
    )
    found.reject(bad, column, "report.not_iso", raw)
    found.reject(naive, column, "report.no_zone", raw)
    minutes = int(sent.defaults.future_tolerance.total_seconds() // 60)
    found.reject(
        np.asarray(parsed > sent.latest), column, "report.future", raw, params={"minutes": minutes}
    )
    return found


def occurred_time(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """occurred_at: within :mod:`gridsvc.dates`' range, ISO 8601, with an offset, not in the
    future (beyond the clock tolerance)."""
    return _times(sent, open_rows, "occurred_at")


def reported_time(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """reported_at, if given: as occurred_at."""
    return _times(sent, open_rows, "reported_at")


def reported_before_occurred(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """Nothing is reported before it happened."""
    found = Refusals(sent, open_rows)
    occurred, reported = sent.times("occurred_at")[0], sent.times("reported_at")[0]
    found.reject(
        np.asarray(reported < occurred),
        "reported_at",
        "report.before_occurred",
        sent.raw["reported_at"],
    )
    return found


def _not_one_of(
    sent: Sent,
    open_rows: np.ndarray,
    field: str,
    values: Values,
    choices: tuple[str, ...],
    reason: str,
    *,
    also: tuple[str, ...] = (),
) -> Refusals:
    found = Refusals(sent, open_rows)
    found.reject(
        ~_isin(values, (*choices, *also)), field, reason, values, params={"choices": choices}
    )
    return found


def unknown_source(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """source (the row's, else the batch's default) is one of
    :data:`~gridsvc.vocabulary.SOURCES`."""
    return _not_one_of(sent, open_rows, "source", sent.source, SOURCES, "report.unknown_source")


def unknown_urgency(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """urgency, if given, is one of :data:`~gridsvc.vocabulary.URGENCIES`."""
    return _not_one_of(
        sent, open_rows, "urgency", sent.urgency, URGENCIES, "report.unknown_urgency", also=("",)
    )


def bad_accuracy(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """accuracy_m, if given, is a number of metres from 0 to :data:`MAX_ACCURACY_M`."""
    found = Refusals(sent, open_rows)
    accuracy = sent.accuracy
    with np.errstate(invalid="ignore"):
        bad = (
            (np.isnan(accuracy) & (sent.text("accuracy_m") != ""))
            | (accuracy < 0)
            | (accuracy > MAX_ACCURACY_M)
        )
    found.reject(bad, "accuracy_m", "report.accuracy", sent.raw["accuracy_m"])
    return found


def no_reporter(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """A reporter: the row's own, else the batch's default."""
    found = Refusals(sent, open_rows)
    found.reject(sent.reporter == "", "reporter_id", "report.no_reporter")
    return found


def no_client_id(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """A client_event_id: the row's own, else one made of the batch's id prefix and the row
    number."""
    found = Refusals(sent, open_rows)
    found.reject(sent.client_id == "", "client_event_id", "report.no_client_id")
    return found


def id_twice(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """(reporter, client_event_id) once per batch: a later row under a key is refused."""
    found = Refusals(sent, open_rows)
    if sent.n > 1:
        keys = pd.Index(
            [f"{r}\x1f{c}" for r, c in zip(sent.reporter, sent.client_id, strict=True)],
            dtype=object,
        )
        found.reject(
            np.asarray(keys.duplicated(keep="first")),
            "client_event_id",
            "report.id_twice",
            sent.client_id,
        )
    return found


def attributes_and_media(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """attributes: a JSON object the category's fields accept (required ones given); media:
    a JSON list. Checked per row, only for rows that carry any or whose category requires
    some (the others keep ``{}`` and ``[]``); the valid ones are kept in
    :attr:`Sent.attributes` and :attr:`Sent.media` for :func:`prepare`."""
    found = Refusals(sent, open_rows)
    category = sent.category
    with_required = [c for c, cat in sent.known.items() if any(f.required for f in cat.fields)]
    carries = (
        (sent.text("attributes") != "")
        | (sent.text("media") != "")
        | _isin(category, with_required)
    )
    for i in np.flatnonzero(carries & open_rows & _isin(category, sent.known)).tolist():
        try:
            attributes = validate_attributes(
                sent.known[str(category[i])],
                _json_value(sent.raw["attributes"][i], dict, "attributes"),
            )
            media = [str(m) for m in _json_value(sent.raw["media"][i], list, "media")]
        except InvalidInput as exc:
            found.reject_one(i, exc.field, exc.msg, exc.hint_msg)
        else:
            sent.attributes[i], sent.media[i] = attributes, media
    return found


def _json_value(raw: Any, kind: type, field_name: str) -> Any:
    if _missing(raw) or (isinstance(raw, str) and raw == ""):
        return kind()
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise InvalidInput("report.not_json", field=field_name, value=_short(raw)) from None
    if not isinstance(value, kind):
        raise InvalidInput(
            "report.need_object" if kind is dict else "report.need_list", field=field_name
        )
    return value


def outside_every_grid(sent: Sent, open_rows: np.ndarray) -> Refusals:
    """The point lies in a community of the active grid version (or within the snapping
    distance of one); else the message names the nearest and how far it is, and the hint
    says where the point would lie with lon and lat swapped, if anywhere, else to check the
    coordinate system."""
    found = Refusals(sent, open_rows)
    lon, lat, systems, locator = sent.lon, sent.lat, sent.systems, sent.locator
    # only points: a row without one is another rule's (all are refused before this one)
    placed = sent.place(open_rows & np.isfinite(lon) & np.isfinite(lat) & ~out_of_degrees(lon, lat))
    a = placed.assignment
    away = np.flatnonzero(a.community < 0)  # positions among the placed rows
    if not len(away):
        return found
    rows = placed.rows[away]
    units = swapped_units(lon[rows], lat[rows], systems[rows], locator)
    for k, i, unit in zip(away.tolist(), rows.tolist(), units, strict=True):
        j = int(a.nearest[k])
        nearest = locator.chain(str(locator.community_codes[j]))[0] if j >= 0 else None
        distance_m = float(a.distance_m[k])
        x, y = float(lon[i]), float(lat[i])
        msg = Msg(
            "report.outside",
            {
                "lon": x,
                "lat": y,
                "crs": systems[i],
                "nearest": (
                    Msg("common.unit", {"name": nearest.name, "code": nearest.code})
                    if nearest
                    else Msg("common.none")
                ),
                "distance_m": distance_m,
            },
        )
        # a report sent alone is told what GET /v1/locate says of the point
        where = Location(
            float(placed.lon_wgs84[i]),
            float(placed.lat_wgs84[i]),
            (),
            False,
            False,
            distance_m,
            nearest,
        )
        alone, details = outside_answer(x, y, systems[i], locator, where)
        hint = swap_hint(x, y, unit) if unit else Msg("locate.check_crs")
        found.reject_one(i, "lon", msg, hint, alone=alone, details=details)
    return found


RULES: Final[tuple[Rule, ...]] = (
    missing,
    nul_characters,
    too_long,
    unknown_category,
    unknown_crs,
    not_numbers,
    swapped,
    out_of_range,
    occurred_time,
    reported_time,
    reported_before_occurred,
    unknown_source,
    unknown_urgency,
    bad_accuracy,
    no_reporter,
    no_client_id,
    id_twice,
    attributes_and_media,
    outside_every_grid,
)
"""Every rule, in the order they apply: a row's first problem in this order is reported."""


def check(sent: Sent, rules: Sequence[Rule] = RULES) -> tuple[list[Rejection], np.ndarray]:
    """Apply ``rules`` in order: the rejections (by row number) and the mask of rows that
    passed them all."""
    good = np.ones(sent.n, dtype=bool)
    rejections: list[Rejection] = []
    for rule in rules:
        found = rule(sent, good)
        rejections += found.rejections
        good &= ~found.rows
    rejections.sort(key=lambda r: r.row_number)
    return rejections, good


# --- the rows that pass ------------------------------------------------------------------------


def prepare(
    frame: pd.DataFrame | Sequence[Mapping[str, Any]] | Batch,
    *,
    taxonomy: Taxonomy,
    locator: Locator,
    defaults: Defaults,
    hashes: Values | None = None,
) -> Prepared:
    """Check a batch (:data:`RULES`), convert its coordinates to WGS-84 and assign its grids:
    the rows ready to store (typed columns) and one :class:`Rejection` per refused row.
    ``hashes``: the :func:`~gridsvc.events.rows.content_hash` of the batch, when the caller
    computed it already."""
    sent = Sent.of(frame, taxonomy=taxonomy, locator=locator, defaults=defaults)
    if hashes is None:
        hashes = content_hash(sent.batch, defaults)
    rejections, good = check(sent)
    return Prepared(columns=sent.columns(good, hashes), rejections=rejections)
