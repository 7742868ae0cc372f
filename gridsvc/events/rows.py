"""Batches of event reports as sent: one code path for a single POST and for bulk imports
of millions of rows.

A batch is what was sent (strings, numbers or None) in the columns of :data:`INPUT_COLUMNS`
plus ``row_number``: a :class:`pandas.DataFrame` from a file, or a list of reports from the API.
:class:`Batch` holds its columns as plain numpy arrays (pandas only where it parses numbers and
times in C), so a batch of one costs about a millisecond and a batch of 50,000 rows no more per
row. :class:`Sent` is a batch as the rules read it and gives the rows that passed as they
are stored. The rules themselves and :func:`gridsvc.events.rules.prepare`, which applies them
and returns the rows ready to store (:class:`Prepared`) and one :class:`Rejection` per bad
row, are in :mod:`gridsvc.events.rules`; :func:`content_hash` says whether a report is one
already stored. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from gridsvc import crs as crs_mod
from gridsvc.dates import CITY_OFFSET, EARLIEST_DAY, LATEST_DAY
from gridsvc.errors import InvalidInput
from gridsvc.events.taxonomy import Category, Taxonomy
from gridsvc.grids.locate import Assignment, Locator
from gridsvc.messages import Lang, Msg

INPUT_COLUMNS = (
    "client_event_id",
    "reporter_id",
    "category",
    "title",
    "description",
    "occurred_at",
    "reported_at",
    "lon",
    "lat",
    "crs",
    "accuracy_m",
    "source",
    "urgency",
    "address",
    "media",
    "attributes",
)


@dataclass(frozen=True)
class Rejection:
    """A refused row: the same hint, and but for a point's problems the same message, whether
    the row came in an import (kept with it) or was a report sent alone (:meth:`as_error`)."""

    row_number: int
    field: str | None
    msg: Msg
    """Why, as a catalogue message (:mod:`gridsvc.messages`): shown in the reader's
    language."""
    value: str | None = None
    hint: Msg | None = None
    """How to fix it; None: the message's own hint, if it has one."""
    error: type[InvalidInput] | None = None
    """What a report sent alone raises for this (:class:`DateOutOfRange`,
    :class:`InvalidCoordinate`); None: :class:`InvalidInput`."""
    alone: Msg | None = None
    """What a report sent alone is told instead of :attr:`msg`, where that differs: a point
    out of range or outside every grid is answered as ``GET /v1/locate`` answers that point
    (the field it names, if any, is the error's)."""
    details: Mapping[str, Any] | None = None
    """Machine-readable context for that error (the nearest community of a point outside
    every grid…); None: the value."""

    @property
    def reason(self) -> str:
        """Why, in English."""
        return self.msg.render("en")

    def hint_text(self, lang: Lang = "en") -> str | None:
        """How to fix it, in ``lang``."""
        hint = self.hint or self.msg.own_hint()
        return hint.render(lang) if hint is not None else None

    def to_dict(self, lang: Lang = "en") -> dict[str, Any]:
        return {
            "row_number": self.row_number,
            "field": self.field,
            "message_id": self.msg.id,
            "reason": self.msg.render(lang),
            "hint": self.hint_text(lang),
            "value": self.value,
        }

    def as_error(self) -> InvalidInput:
        """The error a report sent alone gets for this: its message (or :attr:`alone`), hint
        and kind."""
        details: dict[str, Any] = dict(self.details) if self.details else {"value": self.value}
        msg = self.alone or self.msg
        field = msg.params.get("field", self.field) if self.alone else self.field
        return (self.error or InvalidInput)(msg, field=field, hint=self.hint, details=details)


@dataclass
class Prepared:
    """Rows that passed every check (typed columns, codes assigned) and the rejections."""

    columns: dict[str, Any] = field(default_factory=dict)
    """Column name → 1-D array of the rows to store, all of one length."""
    rejections: list[Rejection] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.columns["row_number"]) if self.columns else 0

    @cached_property
    def rows(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns)

    def records(self) -> list[dict[str, Any]]:
        """The rows as dicts (cheaper than :attr:`rows` for a handful)."""
        names = list(self.columns)
        return [
            dict(zip(names, values, strict=True))
            for values in zip(*self.columns.values(), strict=True)
        ]


@dataclass(frozen=True)
class Defaults:
    """What a batch assumes where a row leaves a column empty."""

    crs: crs_mod.Crs = crs_mod.Crs.WGS84
    source: str = "grid_worker"
    reporter_id: str | None = None
    id_prefix: str | None = None
    """For rows without client_event_id: ids become ``<id_prefix>:<row_number>`` so that the
    same file imported twice yields the same ids (and stores nothing the second time)."""
    future_tolerance: timedelta = timedelta(minutes=10)
    now: datetime | None = None


Values = np.ndarray
"""A batch column: a 1-D numpy array, ``dtype=object`` for what was sent."""


def _missing(value: Any) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    )


def _objects(values: Sequence[Any]) -> Values:
    """A 1-D object array of ``values`` as they are (lists and dicts stay single cells)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _text(values: Values) -> Values:
    """Strings, stripped; None/NaN become ''."""
    return _objects(
        [v.strip() if type(v) is str else ("" if _missing(v) else str(v).strip()) for v in values]
    )


def _lower(values: Values) -> Values:
    return _objects([v.lower() for v in values])


def _numbers(values: Values) -> np.ndarray:
    """Decimal numbers as float64; NaN where a value is missing or not a number."""
    parsed = pd.to_numeric(values, errors="coerce")
    return np.asarray(parsed, dtype=np.float64)


class Batch:
    """What was sent, column by column (:data:`INPUT_COLUMNS` and ``row_number``), with
    each column's stripped text computed once."""

    def __init__(self, columns: Mapping[str, Values], row_numbers: np.ndarray) -> None:
        self.n = len(row_numbers)
        self.row_numbers = row_numbers
        self.raw = {
            c: columns[c] if c in columns else np.full(self.n, None, dtype=object)
            for c in INPUT_COLUMNS
        }
        self._text: dict[str, Values] = {}
        self._times: dict[str, tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]] = {}

    @classmethod
    def of(cls, frame: pd.DataFrame | Sequence[Mapping[str, Any]]) -> Batch:
        """From a DataFrame (imports) or a list of reports (the API); row numbers from a
        ``row_number`` column/key, else 1, 2, …"""
        if isinstance(frame, pd.DataFrame):
            columns = {c: frame[c].to_numpy(dtype=object) for c in INPUT_COLUMNS if c in frame}
            numbers = (
                frame["row_number"].to_numpy(dtype=np.int64)
                if "row_number" in frame
                else np.arange(1, len(frame) + 1)
            )
            return cls(columns, numbers)
        columns = {c: _objects([r.get(c) for r in frame]) for c in INPUT_COLUMNS}
        numbers = np.fromiter(
            (int(r.get("row_number") or i) for i, r in enumerate(frame, start=1)),
            dtype=np.int64,
            count=len(frame),
        )
        return cls(columns, numbers)

    def text(self, column: str) -> Values:
        if column not in self._text:
            self._text[column] = _text(self.raw[column])
        return self._text[column]

    def times(self, column: str) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
        """:func:`_parse_times` of a column, once per batch (the checks and the digest)."""
        if column not in self._times:
            self._times[column] = _parse_times(self.text(column))
        return self._times[column]


# the year of an ISO 8601 date, however many digits (pandas cannot parse 0244 or 99999)
_YEAR = re.compile(r"([+-]?\d{4,})-\d{2}")
# a clock time followed by Z or ±hh[:mm]: "2026-11-01" alone has no time and no zone
_HAS_OFFSET = re.compile(r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$")


def _parse_times(text: Values) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
    """ISO 8601 text (stripped) → UTC timestamps, vectorised; masks of unparseable and of
    naive values (a time without an offset is ambiguous — UTC? Beijing? — and is refused,
    not guessed)."""
    present = text != ""
    given: list[str | None] = [s if s else None for s in text]
    parsed: pd.DatetimeIndex = pd.to_datetime(
        given,  # type: ignore[call-overload]
        errors="coerce",
        utc=True,
        format="ISO8601",
    )
    bad = np.asarray(parsed.isna()) & present
    naive = present & ~bad & ~_isin_pattern(text)
    if naive.any():
        parsed = parsed.where(~naive, pd.NaT)  # type: ignore[call-overload]
    return parsed, bad, naive


def _isin_pattern(text: Values) -> np.ndarray:
    return np.fromiter(
        (_HAS_OFFSET.search(s) is not None for s in text), dtype=bool, count=len(text)
    )


def _outside_range(parsed: pd.DatetimeIndex, text: Values) -> np.ndarray:
    """Times (:func:`_parse_times` of ``text``) whose Beijing day is outside
    :mod:`gridsvc.dates`' range, also those too far out for pandas to parse at all (a year
    like 0244 or 9999)."""
    start = pd.Timestamp(datetime.combine(EARLIEST_DAY, time(), CITY_OFFSET))
    end = pd.Timestamp(datetime.combine(LATEST_DAY + timedelta(days=1), time(), CITY_OFFSET))
    years = np.fromiter(
        (int(m.group(1)) if (m := _YEAR.match(v)) else 0 for v in text),
        dtype=np.int64,
        count=len(text),
    )
    # a year pandas could not parse at all; a parsed time is judged by its Beijing day
    far = (years != 0) & ((years < EARLIEST_DAY.year) | (years > LATEST_DAY.year))
    outside: np.ndarray = (far & np.asarray(parsed.isna())) | np.asarray(
        (parsed < start) | (parsed >= end)
    )
    return outside


TimeProblem = Literal["out_of_range", "not_iso", "no_zone"]


def parse_time(text: str) -> datetime | TimeProblem:
    """One ISO 8601 time, judged as a batch's ``occurred_at`` is (:func:`_parse_times`, the
    one parser of times that gridsvc is sent): the instant (UTC), or what is wrong with it,
    in the order a batch checks: outside :mod:`gridsvc.dates`' range, not ISO 8601 (empty
    text too), no offset. :func:`gridsvc.selection.parse_time` words the answer."""
    stripped = _text(_objects([text]))
    parsed, bad, naive = _parse_times(stripped)
    if _outside_range(parsed, stripped)[0]:
        return "out_of_range"
    if bad[0] or not stripped[0]:
        return "not_iso"
    if naive[0]:
        return "no_zone"
    instant: datetime = parsed[0].to_pydatetime(warn=False)
    return instant


HASHED_COLUMNS = (
    "category",
    "title",
    "description",
    "occurred_at",
    "lon",
    "lat",
    "crs",
    "source",
    "urgency",
    "address",
    "media",
    "attributes",
)


def content_hash(
    frame: pd.DataFrame | Sequence[Mapping[str, Any]] | Batch, defaults: Defaults
) -> Values:
    """Per row, a digest of the report *as sent* — before any default or lookup — so a retry
    of the same report matches even after the taxonomy or the grids changed, and a changed
    report under the same id does not. Light normalisation only: text stripped, names
    lower-cased, numbers (as float) and times parsed where they parse (so a CSV row and the
    same JSON report agree), JSON canonicalised."""
    batch = frame if isinstance(frame, Batch) else Batch.of(frame)
    parts: list[Values] = []
    for column in HASHED_COLUMNS:
        raw, text = batch.raw[column], batch.text(column)
        if column in ("lon", "lat"):
            number = _numbers(raw)
            text = _objects(
                [s if x != x else repr(float(x)) for x, s in zip(number, text, strict=True)]
            )
        elif column == "occurred_at":
            parsed, _, _ = batch.times(column)
            text = _objects(
                [s if t is None else t for t, s in zip(iso_utc(parsed), text, strict=True)]
            )
        elif column in ("crs", "source", "urgency"):
            text = _lower(text)
            default = {"crs": defaults.crs.value, "source": defaults.source}.get(column)
            if default:
                text = np.where(text != "", text, default)
        elif column in ("media", "attributes"):
            text = _objects([_canonical_json(v) for v in raw])
        parts.append(text)
    return _objects(
        [hashlib.sha256("\x1f".join(row).encode()).hexdigest() for row in zip(*parts, strict=True)]
    )


def iso_utc(times: pd.DatetimeIndex) -> list[str | None]:
    """``Timestamp.isoformat()`` of UTC times (None for NaT), vectorised for whole seconds:
    '2026-11-27T01:30:00+00:00'; fractions as pandas writes them."""
    values = times.tz_convert(None).to_numpy() if times.tz is not None else times.to_numpy()
    seconds = values.astype("datetime64[s]")
    whole = (values == seconds) & ~np.isnat(values)
    text = np.datetime_as_string(seconds, unit="s").astype(object) + "+00:00"
    out: list[str | None] = text.tolist()
    for i in np.flatnonzero(~whole).tolist():
        t = times[i]
        out[i] = None if pd.isna(t) else t.isoformat()
    return out


def _canonical_json(value: Any) -> str:
    if _missing(value) or (isinstance(value, str) and value == ""):
        return ""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return str(value).strip()
    if value in ({}, []):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --- the batch as the rules read it (gridsvc.events.rules) ------------------------------------


@dataclass(frozen=True)
class Placed:
    """Rows of a batch in WGS-84 and assigned to grids: ``rows`` (positions, ascending, the
    rows of ``mask``), the WGS-84 coordinates of every row (NaN where not placed) and the
    assignment of ``rows``."""

    mask: np.ndarray
    rows: np.ndarray
    lon_wgs84: np.ndarray
    lat_wgs84: np.ndarray
    assignment: Assignment


class Sent:
    """A batch as the rules (:mod:`gridsvc.events.rules`) read it: what was sent
    (:class:`Batch`), what it is checked against (taxonomy, locator, defaults) and the columns
    several rules share, each parsed once (numbers, coordinate systems, defaults applied);
    and, from what the rules found, the rows that passed as they are stored (:meth:`columns`)."""

    def __init__(
        self, batch: Batch, *, taxonomy: Taxonomy, locator: Locator, defaults: Defaults
    ) -> None:
        self.batch = batch
        self.n = batch.n
        self.raw = batch.raw
        self.taxonomy = taxonomy
        self.locator = locator
        self.defaults = defaults
        self.now = defaults.now or datetime.now(UTC)
        self.attributes: dict[int, dict[str, Any]] = {}
        """Valid attributes (and media) by row position, as the rule
        :func:`~gridsvc.events.rules.attributes_and_media` found them."""
        self.media: dict[int, list[str]] = {}
        self._placed: Placed | None = None

    @classmethod
    def of(
        cls,
        frame: pd.DataFrame | Sequence[Mapping[str, Any]] | Batch,
        *,
        taxonomy: Taxonomy,
        locator: Locator,
        defaults: Defaults,
    ) -> Sent:
        batch = frame if isinstance(frame, Batch) else Batch.of(frame)
        return cls(batch, taxonomy=taxonomy, locator=locator, defaults=defaults)

    @property
    def row_numbers(self) -> np.ndarray:
        return self.batch.row_numbers

    def text(self, column: str) -> Values:
        return self.batch.text(column)

    def times(self, column: str) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray]:
        return self.batch.times(column)

    @cached_property
    def known(self) -> dict[str, Category]:
        """The categories a report may name (the taxonomy's active leaves), by code."""
        return {c.code: c for c in self.taxonomy.leaves()}

    @cached_property
    def category(self) -> Values:
        return self.text("category")

    @cached_property
    def _crs(self) -> tuple[Values, Values, dict[str, InvalidInput]]:
        names = _lower(self.text("crs"))
        systems = np.full(self.n, self.defaults.crs.value, dtype=object)  # plain strings
        refused: dict[str, InvalidInput] = {}
        for name in set(names):
            if not name:
                continue
            try:
                systems[names == name] = crs_mod.Crs.parse(name).value
            except InvalidInput as exc:
                refused[name] = exc
        return names, systems, refused

    @property
    def crs_names(self) -> Values:
        """Per row, the system it names, lower-cased ('' where none)."""
        return self._crs[0]

    @property
    def systems(self) -> Values:
        """Per row, the :class:`~gridsvc.crs.Crs` value of its coordinates: its own, else the
        batch's default (also for a row naming an unknown system)."""
        return self._crs[1]

    @property
    def unknown_crs(self) -> dict[str, InvalidInput]:
        """The unknown systems named, each with the error its name raised."""
        return self._crs[2]

    @cached_property
    def lon(self) -> np.ndarray:
        return _numbers(self.raw["lon"])

    @cached_property
    def lat(self) -> np.ndarray:
        return _numbers(self.raw["lat"])

    @cached_property
    def latest(self) -> pd.Timestamp:
        """The latest time a report may give: now and the tolerance for clocks ahead."""
        return pd.Timestamp(self.now + self.defaults.future_tolerance)

    @cached_property
    def source(self) -> Values:
        sent = _lower(self.text("source"))
        return np.where(sent != "", sent, self.defaults.source)

    @cached_property
    def urgency(self) -> Values:
        """As sent, lower-cased ('' where none: the category's default applies)."""
        return _lower(self.text("urgency"))

    @cached_property
    def accuracy(self) -> np.ndarray:
        return _numbers(self.raw["accuracy_m"])

    @cached_property
    def reporter(self) -> Values:
        sent = self.text("reporter_id")
        if self.defaults.reporter_id:
            return np.where(sent != "", sent, self.defaults.reporter_id)
        return sent

    @cached_property
    def client_id(self) -> Values:
        sent = self.text("client_event_id")
        if self.defaults.id_prefix:
            made = _objects([f"{self.defaults.id_prefix}:{k}" for k in self.row_numbers])
            return np.where(sent != "", sent, made)
        return sent

    def place(self, mask: np.ndarray) -> Placed:
        """The rows of ``mask`` in WGS-84 and assigned to grids; a later call for the same
        rows or fewer reuses the answer (the grid rule places the rows still good, and
        :meth:`columns` keeps those it did not refuse)."""
        placed = self._placed
        if placed is not None and not (mask & ~placed.mask).any():
            return placed
        lon_w = np.full(self.n, np.nan)
        lat_w = np.full(self.n, np.nan)
        for system in set(self.systems[mask]):
            rows = mask & (self.systems == system)
            lon_w[rows], lat_w[rows] = crs_mod.to_wgs84(
                self.lon[rows], self.lat[rows], crs_mod.Crs(system)
            )
        idx = np.flatnonzero(mask)
        assignment = self.locator.assign(lon_w[idx], lat_w[idx])
        self._placed = Placed(mask.copy(), idx, lon_w, lat_w, assignment)
        return self._placed

    def columns(self, good: np.ndarray, hashes: Values) -> dict[str, Any]:
        """The rows that passed (``good``) as they are stored, column by column; ``hashes``:
        their :func:`content_hash`."""
        keep = np.flatnonzero(good)
        kept = keep.tolist()
        placed = self.place(good)
        pos = np.searchsorted(placed.rows, keep)  # where each kept row sits among the placed ones
        codes = self.locator.codes(placed.assignment)
        known, category = self.known, self.category
        default_urgency = {c: str(k.default_urgency) for c, k in known.items()}
        urgency = [
            u or default_urgency.get(c, "") for u, c in zip(self.urgency, category, strict=True)
        ]
        title = self.text("title")
        fallback = {c: k.name_zh for c, k in known.items()}  # hotline rows often have no title
        media, attributes = self.media, self.attributes
        return {
            "row_number": self.row_numbers[keep],
            "reporter_id": self.reporter[keep],
            "client_event_id": self.client_id[keep],
            "category": category[keep],
            "title": _objects([title[i] or fallback.get(category[i], "") for i in kept]),
            "description": self.text("description")[keep],
            "occurred_at": self.times("occurred_at")[0][keep],
            "reported_at": self._reported_at()[keep],
            "source": self.source[keep],
            "urgency": _objects(urgency)[keep],
            "lon_wgs84": placed.lon_wgs84[keep],
            "lat_wgs84": placed.lat_wgs84[keep],
            "lon_sent": self.lon[keep],
            "lat_sent": self.lat[keep],
            "crs_sent": self.systems[keep],
            "accuracy_m": self.accuracy[keep],
            "address": self.text("address")[keep],
            "media": _objects(
                [json.dumps(media[i], ensure_ascii=False) if media.get(i) else "[]" for i in kept]
            ),
            "attributes": _objects(
                [
                    json.dumps(attributes[i], ensure_ascii=False, sort_keys=True)
                    if attributes.get(i)
                    else "{}"
                    for i in kept
                ]
            ),
            "grid_version_id": np.full(len(keep), self.locator.version.id),
            "community_code": codes["community"][pos],
            "street_code": codes["street"][pos],
            "sector_code": codes["sector"][pos],
            "district_code": codes["district"][pos],
            "grid_code": codes["grid"][pos],
            "snapped": placed.assignment.snapped[pos],
            "near_boundary": placed.assignment.near_boundary[pos],
            "content_sha256": np.asarray(hashes, dtype=object)[keep],
        }

    def _reported_at(self) -> pd.DatetimeIndex:
        """reported_at as sent, else now."""
        reported = self.times("reported_at")[0]
        return reported.where(np.asarray(reported.notna()), pd.Timestamp(self.now))
