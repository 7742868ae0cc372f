"""Validate and assign event reports in batches: one code path for a single POST and for
bulk imports of millions of rows.

A batch is what was sent (strings, numbers or None) in the columns of :data:`INPUT_COLUMNS`
plus ``row_number``: a :class:`pandas.DataFrame` from a file, or a list of reports from the API.
The checks run on plain numpy arrays (pandas only where it parses numbers and times in C), so a
batch of one costs about a millisecond and a batch of 50,000 rows no more per row.
:func:`prepare` checks every rule with vectorised operations, converts coordinates to
WGS-84, assigns the grids and returns the rows ready to store plus one :class:`Rejection` per
bad row, naming the field, the value and what is expected. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from gridsvc import crs as crs_mod
from gridsvc.dates import BEIJING, EARLIEST_DAY, LATEST_DAY, RANGE
from gridsvc.errors import InvalidInput
from gridsvc.events.attributes import validate_attributes
from gridsvc.events.taxonomy import Taxonomy
from gridsvc.grids.locate import Locator
from gridsvc.messages import Lang, Msg

SOURCES = ("grid_worker", "public", "hotline", "video", "inspection", "superior", "import")
URGENCIES = ("normal", "urgent", "critical")
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
REQUIRED = ("category", "occurred_at", "lon", "lat")
MAX_TEXT = {
    "title": 200,
    "description": 5000,
    "address": 500,
    "client_event_id": 100,
    "reporter_id": 100,
}
SHANGHAI = "Asia/Shanghai"
NUL = "\x00"


@dataclass(frozen=True)
class Rejection:
    row_number: int
    field: str | None
    msg: Msg
    """Why, as a catalogue message (:mod:`gridsvc.messages`): shown in the reader's
    language."""
    value: str | None = None
    hint: Msg | None = None
    error: str | None = None
    """The error class a single report refused for this raises (``DateOutOfRange``);
    None: ``InvalidInput``."""

    @property
    def reason(self) -> str:
        """Why, in English."""
        return self.msg.render("en")

    def to_dict(self, lang: Lang = "en") -> dict[str, Any]:
        return {
            "row_number": self.row_number,
            "field": self.field,
            "message_id": self.msg.id,
            "reason": self.msg.render(lang),
            "value": self.value,
        }


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


def _isin(values: Values, choices: Iterable[Any]) -> np.ndarray:
    allowed = set(choices)
    return np.fromiter((v in allowed for v in values), dtype=bool, count=len(values))


def _lengths(values: Values) -> np.ndarray:
    return np.fromiter(map(len, values), dtype=np.int64, count=len(values))


def _lower(values: Values) -> Values:
    return _objects([v.lower() for v in values])


def _numbers(values: Values) -> np.ndarray:
    """Decimal numbers as float64; NaN where a value is missing or not a number."""
    parsed = pd.to_numeric(values, errors="coerce")
    return np.asarray(parsed, dtype=np.float64)


def _lengths_of(limit: int) -> Callable[[Any], dict[str, int]]:
    """The placeholders of ``report.too_long`` for a value."""
    return lambda value: {"length": len(str(value)), "limit": limit}


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


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


class _Checks:
    """Bookkeeping while checking one batch: the first problem of each row wins."""

    def __init__(self, batch: Batch) -> None:
        self.numbers = batch.row_numbers
        self.bad = np.zeros(batch.n, dtype=bool)
        self.rejections: list[Rejection] = []

    def reject_one(self, i: int, field: str | None, reason: Msg, hint: Msg | None = None) -> None:
        if not self.bad[i]:
            self.rejections.append(Rejection(int(self.numbers[i]), field, reason, None, hint))
            self.bad[i] = True

    def reject(
        self,
        mask: np.ndarray,
        field: str | None,
        reason: str | Msg,
        values: Values | None = None,
        *,
        params: Mapping[str, Any] | Callable[[Any], Mapping[str, Any]] | None = None,
        error: str | None = None,
    ) -> None:
        """Reject rows under ``mask`` not already rejected. ``reason``: a catalogue id,
        whose placeholders get ``field``, ``value`` (the row's value, shortened) and
        ``params`` (or what ``params`` makes of the value); or a :class:`Msg` made
        elsewhere."""
        new = mask & ~self.bad
        if not new.any():
            return
        for i in np.flatnonzero(new):
            value = values[i] if values is not None else None
            shown = None if value is None else _short(value)
            extra = params(value) if callable(params) else params or {}
            msg = (
                reason
                if isinstance(reason, Msg)
                else Msg(reason, {"field": field, "value": shown, **extra})
            )
            self.rejections.append(
                Rejection(int(self.numbers[i]), field, msg, shown, msg.own_hint(), error)
            )
        self.bad |= new

    def reject_out_of_range(
        self, parsed: pd.DatetimeIndex, text: Values, raw: Values, column: str
    ) -> None:
        """Times whose Beijing day is outside :mod:`gridsvc.dates`' range, also those too far
        out for pandas to parse at all (a year like 0244 or 9999)."""
        start = pd.Timestamp(datetime.combine(EARLIEST_DAY, time(), BEIJING))
        end = pd.Timestamp(datetime.combine(LATEST_DAY + timedelta(days=1), time(), BEIJING))
        years = np.fromiter(
            (int(m.group(1)) if (m := _YEAR.match(v)) else 0 for v in text),
            dtype=np.int64,
            count=len(text),
        )
        # a year pandas could not parse at all; a parsed time is judged by its Beijing day
        far = (years != 0) & ((years < EARLIEST_DAY.year) | (years > LATEST_DAY.year))
        outside = (far & np.asarray(parsed.isna())) | np.asarray((parsed < start) | (parsed >= end))
        self.reject(
            outside,
            column,
            "report.time_out_of_range",
            raw,
            params={"range": RANGE},
            error="DateOutOfRange",
        )


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


def prepare(
    frame: pd.DataFrame | Sequence[Mapping[str, Any]] | Batch,
    *,
    taxonomy: Taxonomy,
    locator: Locator,
    defaults: Defaults,
    hashes: Values | None = None,
) -> Prepared:
    """Check, convert and assign a batch; see the module docstring. ``hashes``: the
    :func:`content_hash` of the batch, when the caller computed it already."""
    batch = frame if isinstance(frame, Batch) else Batch.of(frame)
    n = batch.n
    checks = _Checks(batch)
    if hashes is None:
        hashes = content_hash(batch, defaults)
    now = defaults.now or datetime.now(UTC)
    raw, text = batch.raw, batch.text

    for column in REQUIRED:
        checks.reject(text(column) == "", column, "report.missing")

    # NUL characters: PostgreSQL text cannot hold them (a binary file, or UTF-16 read as UTF-8)
    for column in INPUT_COLUMNS:
        checks.reject(
            np.fromiter((NUL in v for v in text(column)), dtype=bool, count=n),
            column,
            "report.nul",
        )

    # text lengths
    for column, limit in MAX_TEXT.items():
        checks.reject(
            _lengths(text(column)) > limit,
            column,
            "report.too_long",
            text(column),
            params=_lengths_of(limit),
        )

    # category
    category = text("category")
    known = {c.code: c for c in taxonomy.leaves()}
    checks.reject(
        ~_isin(category, known) & (category != ""),
        "category",
        "report.unknown_category",
        category,
        params=lambda v: {"suggestion": taxonomy.suggestion(str(v))},
    )

    # coordinate system, per row or the batch default
    crs_text = _lower(text("crs"))
    systems = np.full(n, defaults.crs.value, dtype=object)  # plain strings
    for name in set(crs_text):
        if not name:
            continue
        rows_of = crs_text == name
        try:
            systems[rows_of] = crs_mod.Crs.parse(name).value
        except InvalidInput as exc:
            checks.reject(rows_of, "crs", exc.msg, raw["crs"])

    # coordinates
    lon = _numbers(raw["lon"])
    lat = _numbers(raw["lat"])
    for name, values in (("lon", lon), ("lat", lat)):
        checks.reject(np.isnan(values) & (text(name) != ""), name, "report.not_a_number", raw[name])
        checks.reject(np.isinf(values), name, "report.infinite", raw[name])
    out_of_range = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    swappable = out_of_range & (np.abs(lat) <= 180) & (np.abs(lon) <= 90)
    if swappable.any():
        # (lat, lon) sent as (lon, lat) is the commonest mistake; say so when it fits
        idx_s = np.flatnonzero(swappable)
        sx, sy = lat[idx_s].copy(), lon[idx_s].copy()
        for system in set(systems[idx_s]):
            m = systems[idx_s] == system
            sx[m], sy[m] = crs_mod.to_wgs84(sx[m], sy[m], crs_mod.Crs(system))
        lands = locator.assign(sx, sy).community >= 0
        swapped = np.zeros(n, dtype=bool)
        swapped[idx_s[lands]] = True
        checks.reject(swapped, "lon", "report.swapped", raw["lon"])
    checks.reject(out_of_range, "lon", "report.out_of_range", raw["lon"])

    # times
    latest = pd.Timestamp(now + defaults.future_tolerance)
    occurred, bad_occ, naive_occ = batch.times("occurred_at")
    checks.reject_out_of_range(occurred, text("occurred_at"), raw["occurred_at"], "occurred_at")
    ahead = {"minutes": int(defaults.future_tolerance.total_seconds() // 60)}
    checks.reject(bad_occ, "occurred_at", "report.not_iso", raw["occurred_at"])
    checks.reject(naive_occ, "occurred_at", "report.no_zone", raw["occurred_at"])
    checks.reject(
        np.asarray(occurred > latest),
        "occurred_at",
        "report.future",
        raw["occurred_at"],
        params=ahead,
    )
    reported, bad_rep, naive_rep = batch.times("reported_at")
    checks.reject_out_of_range(reported, text("reported_at"), raw["reported_at"], "reported_at")
    checks.reject(bad_rep, "reported_at", "report.not_iso", raw["reported_at"])
    checks.reject(naive_rep, "reported_at", "report.no_zone", raw["reported_at"])
    checks.reject(
        np.asarray(reported > latest),
        "reported_at",
        "report.future",
        raw["reported_at"],
        params=ahead,
    )
    checks.reject(
        np.asarray(reported < occurred),
        "reported_at",
        "report.before_occurred",
        raw["reported_at"],
    )
    reported = reported.where(np.asarray(reported.notna()), pd.Timestamp(now))

    # source, urgency, accuracy
    source = _lower(text("source"))
    source = np.where(source != "", source, defaults.source)
    checks.reject(
        ~_isin(source, SOURCES),
        "source",
        "report.unknown_source",
        source,
        params={"choices": SOURCES},
    )
    urgency = _lower(text("urgency"))
    checks.reject(
        ~_isin(urgency, (*URGENCIES, "")),
        "urgency",
        "report.unknown_urgency",
        urgency,
        params={"choices": URGENCIES},
    )
    default_urgency = {c: str(k.default_urgency) for c, k in known.items()}
    urgency = _objects(
        [u or default_urgency.get(c, "") for u, c in zip(urgency, category, strict=True)]
    )
    accuracy = _numbers(raw["accuracy_m"])
    with np.errstate(invalid="ignore"):
        bad_acc = (
            (np.isnan(accuracy) & (text("accuracy_m") != ""))
            | (accuracy < 0)
            | (accuracy > 100_000)
        )
    checks.reject(bad_acc, "accuracy_m", "report.accuracy", raw["accuracy_m"])

    # ids
    reporter = text("reporter_id")
    if defaults.reporter_id:
        reporter = np.where(reporter != "", reporter, defaults.reporter_id)
    checks.reject(reporter == "", "reporter_id", "report.no_reporter")
    client_id = text("client_event_id")
    if defaults.id_prefix:
        generated = _objects([f"{defaults.id_prefix}:{k}" for k in batch.row_numbers])
        client_id = np.where(client_id != "", client_id, generated)
    checks.reject(client_id == "", "client_event_id", "report.no_client_id")
    if n > 1:
        key = pd.Index(
            [f"{r}\x1f{c}" for r, c in zip(reporter, client_id, strict=True)], dtype=object
        )
        checks.reject(
            np.asarray(key.duplicated(keep="first")) & ~checks.bad,
            "client_event_id",
            "report.id_twice",
            client_id,
        )

    # attributes and media: JSON, checked per row, only for rows that carry any or whose
    # category requires some (the rest keep {} and [])
    attributes: dict[int, dict[str, Any]] = {}
    media: dict[int, list[str]] = {}
    with_required = [c for c, cat in known.items() if any(f.required for f in cat.fields)]
    needs_check = (
        (text("attributes") != "") | (text("media") != "") | _isin(category, with_required)
    ) & ~checks.bad
    for i in (int(i) for i in np.flatnonzero(needs_check)):
        spec = known[str(category[i])]
        try:
            attributes[i] = validate_attributes(
                spec, _json_value(raw["attributes"][i], dict, "attributes")
            )
            media[i] = [str(m) for m in _json_value(raw["media"][i], list, "media")]
        except InvalidInput as exc:
            checks.reject_one(i, exc.field, exc.msg, exc.hint_msg)

    # grids, for rows still good
    good = ~checks.bad
    lon_w = np.full(n, np.nan)
    lat_w = np.full(n, np.nan)
    for system in set(systems[good]):
        mask = good & (systems == system)
        lon_w[mask], lat_w[mask] = crs_mod.to_wgs84(lon[mask], lat[mask], crs_mod.Crs(system))
    idx = np.flatnonzero(good)
    assignment = locator.assign(lon_w[idx], lat_w[idx])
    codes = locator.codes(assignment)
    outside = np.zeros(n, dtype=bool)
    outside[idx[assignment.community < 0]] = True
    if outside.any():
        nearest = np.full(n, -1, dtype=np.int64)
        nearest[idx] = assignment.nearest
        dist = np.zeros(n)
        dist[idx] = assignment.distance_m
        names = locator.community_names
        for i in (int(i) for i in np.flatnonzero(outside)):
            near = (
                Msg(
                    "common.unit",
                    {"name": names[nearest[i]], "code": locator.community_codes[nearest[i]]},
                )
                if nearest[i] >= 0
                else Msg("common.none")
            )
            outside_msg = Msg(
                "report.outside",
                {
                    "lon": float(lon[i]),
                    "lat": float(lat[i]),
                    "crs": systems[i],
                    "nearest": near,
                    "distance_m": float(dist[i]),
                },
            )
            checks.reject_one(i, "lon", outside_msg, outside_msg.own_hint())

    keep = np.flatnonzero(~checks.bad)
    kept = keep.tolist()
    pos = np.searchsorted(idx, keep)  # where each kept row sits among the assigned ones
    title = text("title")
    fallback = {c: k.name_zh for c, k in known.items()}  # hotline rows often have no title
    columns: dict[str, Any] = {
        "row_number": batch.row_numbers[keep],
        "reporter_id": reporter[keep],
        "client_event_id": client_id[keep],
        "category": category[keep],
        "title": _objects([title[i] or fallback.get(category[i], "") for i in keep]),
        "description": text("description")[keep],
        "occurred_at": occurred[keep],
        "reported_at": reported[keep],
        "source": source[keep],
        "urgency": urgency[keep],
        "lon_wgs84": lon_w[keep],
        "lat_wgs84": lat_w[keep],
        "lon_sent": lon[keep],
        "lat_sent": lat[keep],
        "crs_sent": systems[keep],
        "accuracy_m": accuracy[keep],
        "address": text("address")[keep],
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
        "grid_version_id": np.full(len(keep), locator.version.id),
        "community_code": codes["community"][pos],
        "street_code": codes["street"][pos],
        "sector_code": codes["sector"][pos],
        "district_code": codes["district"][pos],
        "grid_code": codes["grid"][pos],
        "snapped": assignment.snapped[pos],
        "near_boundary": assignment.near_boundary[pos],
        "content_sha256": np.asarray(hashes, dtype=object)[keep],
    }
    checks.rejections.sort(key=lambda r: r.row_number)
    return Prepared(columns=columns, rejections=checks.rejections)


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
