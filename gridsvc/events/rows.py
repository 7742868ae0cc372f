"""Validate and assign event reports in batches: one code path for a single POST and for
bulk imports of millions of rows.

A batch is a :class:`pandas.DataFrame` of what was sent (strings, numbers or None) with the
columns of :data:`INPUT_COLUMNS` plus ``row_number``. :func:`prepare` checks every rule with
vectorised operations, converts coordinates to WGS-84, assigns the grids and returns the rows
ready to store plus one :class:`Rejection` per bad row, naming the field, the value and what
is expected. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from gridsvc import crs as crs_mod
from gridsvc.errors import InvalidInput
from gridsvc.events.attributes import validate_attributes
from gridsvc.events.taxonomy import Taxonomy
from gridsvc.grids.locate import Locator

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


@dataclass(frozen=True)
class Rejection:
    row_number: int
    field: str | None
    reason: str
    value: str | None = None
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "row_number": self.row_number,
            "field": self.field,
            "reason": self.reason,
            "value": self.value,
        }


@dataclass
class Prepared:
    """Rows that passed every check (typed columns, codes assigned) and the rejections."""

    rows: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)


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


def _text(series: pd.Series) -> pd.Series:
    """Strings, stripped; None/NaN become ''."""
    if series.dtype == object and all(isinstance(v, str) for v in series.array):
        return series.str.strip()  # the common case (CSV text): no conversions needed
    return series.astype("object").where(series.notna(), "").astype(str).str.strip()


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


class _Batch:
    """Bookkeeping while checking one batch: the first problem of each row wins."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.bad = np.zeros(len(frame), dtype=bool)
        self.rejections: list[Rejection] = []
        self._numbers = frame["row_number"].to_numpy()

    def reject_one(self, i: int, field: str | None, reason: str, hint: str | None = None) -> None:
        if not self.bad[i]:
            self.rejections.append(Rejection(int(self._numbers[i]), field, reason, None, hint))
            self.bad[i] = True

    def reject(
        self,
        mask: np.ndarray,
        field: str | None,
        reason: Any,
        values: pd.Series | None = None,
        *,
        hint: str | None = None,
    ) -> None:
        """Reject rows under ``mask`` not already rejected; ``reason`` is text or a function
        of the value."""
        new = mask & ~self.bad
        if not new.any():
            return
        idx = np.flatnonzero(new)
        numbers = self.frame["row_number"].to_numpy()[idx]
        vals = values.to_numpy()[idx] if values is not None else [None] * len(idx)
        for number, value in zip(numbers, vals, strict=True):
            text = reason(value) if callable(reason) else reason
            self.rejections.append(
                Rejection(int(number), field, text, None if value is None else _short(value), hint)
            )
        self.bad |= new


# a clock time followed by Z or ±hh[:mm]: "2026-11-01" alone has no time and no zone
_HAS_OFFSET = r"\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"


def _parse_times(raw: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """ISO 8601 text → UTC timestamps, vectorised; masks of unparseable and of naive values
    (a time without an offset is ambiguous — UTC? Beijing? — and is refused, not guessed)."""
    text = _text(raw)
    present = text != ""
    parsed = pd.to_datetime(text.where(present, None), errors="coerce", utc=True, format="ISO8601")
    bad = (parsed.isna() & present).to_numpy()
    naive = (present & ~text.str.contains(_HAS_OFFSET, regex=True)).to_numpy() & ~bad
    return parsed.where(~naive, pd.NaT), bad, naive


def prepare(
    frame: pd.DataFrame,
    *,
    taxonomy: Taxonomy,
    locator: Locator,
    defaults: Defaults,
    hashes: pd.Series | None = None,
) -> Prepared:
    """Check, convert and assign a batch; see the module docstring. ``hashes``: the
    :func:`content_hash` of the batch, when the caller computed it already."""
    frame = frame.reset_index(drop=True)
    for column in INPUT_COLUMNS:
        if column not in frame:
            frame[column] = None
    batch = _Batch(frame)
    if hashes is None:
        hashes = content_hash(frame, defaults)
    now = defaults.now or datetime.now(UTC)

    for column in REQUIRED:
        empty = (_text(frame[column]) == "").to_numpy()
        batch.reject(
            empty,
            column,
            f"{column} is missing; every report needs category, occurred_at, lon and lat.",
        )

    # text lengths
    for column, limit in MAX_TEXT.items():
        text = _text(frame[column])
        batch.reject(
            (text.str.len() > limit).to_numpy(),
            column,
            lambda v, c=column, n=limit: (
                f"{c} is {len(str(v))} characters long; at most {n} are allowed."
            ),
            text,
        )

    # category
    category = _text(frame["category"])
    known = {c.code: c for c in taxonomy.leaves()}
    unknown = ~category.isin(list(known)).to_numpy() & (category != "").to_numpy()
    batch.reject(
        unknown,
        "category",
        lambda v: f"Unknown category '{v}'. " + taxonomy.suggest(str(v)),
        category,
    )

    # coordinate system, per row or the batch default
    crs_text = _text(frame["crs"]).str.lower()
    systems = np.full(len(frame), defaults.crs.value, dtype=object)  # plain strings
    for name in crs_text.unique():
        if not name:
            continue
        try:
            systems[(crs_text == name).to_numpy()] = crs_mod.Crs.parse(name).value
        except InvalidInput as exc:
            batch.reject((crs_text == name).to_numpy(), "crs", exc.message, frame["crs"])

    # coordinates
    lon = pd.to_numeric(frame["lon"], errors="coerce").to_numpy(dtype=np.float64)
    lat = pd.to_numeric(frame["lat"], errors="coerce").to_numpy(dtype=np.float64)
    for name, values in (("lon", lon), ("lat", lat)):
        raw = frame[name]
        not_number = np.isnan(values) & (_text(raw) != "").to_numpy()
        batch.reject(
            not_number,
            name,
            lambda v, n=name: f"{n} '{v}' is not a number; send decimal degrees such as 118.7840.",
            raw,
        )
        batch.reject(np.isinf(values), name, f"{name} is infinite.", raw)
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
        swapped = np.zeros(len(frame), dtype=bool)
        swapped[idx_s[lands]] = True
        batch.reject(
            swapped,
            "lon",
            "lon and lat look swapped: the point lies in the city with lat first. Send lon first.",
            frame["lon"],
        )
    batch.reject(
        out_of_range,
        "lon",
        "lon/lat out of range: lon must be within [-180, 180] and lat within [-90, 90], lon first.",
        frame["lon"],
    )

    # times
    occurred, bad_occ, naive_occ = _parse_times(frame["occurred_at"])
    batch.reject(
        bad_occ,
        "occurred_at",
        lambda v: f"occurred_at '{v}' is not an ISO 8601 time, e.g. 2026-11-28T09:30:00+08:00.",
        frame["occurred_at"],
    )
    batch.reject(
        naive_occ,
        "occurred_at",
        lambda v: f"occurred_at '{v}' has no time zone; add one, e.g. +08:00 for Beijing time.",
        frame["occurred_at"],
    )
    future = (occurred > pd.Timestamp(now + defaults.future_tolerance)).to_numpy()
    batch.reject(
        future,
        "occurred_at",
        lambda v: (
            f"occurred_at '{v}' is in the future "
            "(more than "
            f"{int(defaults.future_tolerance.total_seconds() // 60)} minutes ahead of "
            "the server clock)."
        ),
        frame["occurred_at"],
    )
    reported, bad_rep, naive_rep = _parse_times(frame["reported_at"])
    batch.reject(
        bad_rep, "reported_at", "reported_at is not an ISO 8601 time.", frame["reported_at"]
    )
    batch.reject(
        naive_rep,
        "reported_at",
        lambda v: f"reported_at '{v}' has no time zone; add one, e.g. +08:00.",
        frame["reported_at"],
    )
    batch.reject(
        (reported > pd.Timestamp(now + defaults.future_tolerance)).to_numpy(),
        "reported_at",
        "reported_at is in the future.",
        frame["reported_at"],
    )
    batch.reject(
        (reported < occurred).to_numpy(),
        "reported_at",
        "reported_at is before occurred_at; an event is reported after it happens.",
        frame["reported_at"],
    )
    reported = reported.where(reported.notna(), pd.Timestamp(now))

    # source, urgency, accuracy
    source = _text(frame["source"]).str.lower()
    source = source.where(source != "", defaults.source)
    batch.reject(
        ~source.isin(SOURCES).to_numpy(),
        "source",
        lambda v: f"Unknown source '{v}'; use one of {', '.join(SOURCES)}.",
        source,
    )
    urgency = _text(frame["urgency"]).str.lower()
    batch.reject(
        ~urgency.isin((*URGENCIES, "")).to_numpy(),
        "urgency",
        lambda v: f"Unknown urgency '{v}'; use one of {', '.join(URGENCIES)}.",
        urgency,
    )
    default_urgency: pd.Series = category.map(
        {c: str(k.default_urgency) for c, k in known.items()}
    ).fillna("")
    urgency = urgency.where(urgency != "", default_urgency)
    accuracy = pd.to_numeric(frame["accuracy_m"], errors="coerce")
    bad_acc = (
        (accuracy.isna() & (_text(frame["accuracy_m"]) != ""))
        | (accuracy < 0)
        | (accuracy > 100_000)
    ).to_numpy()
    batch.reject(
        bad_acc,
        "accuracy_m",
        "accuracy_m must be a number of metres from 0 to 100000.",
        frame["accuracy_m"],
    )

    # ids
    reporter = _text(frame["reporter_id"])
    if defaults.reporter_id:
        reporter = reporter.where(reporter != "", defaults.reporter_id)
    batch.reject((reporter == "").to_numpy(), "reporter_id", "reporter_id is missing.")
    client_id = _text(frame["client_event_id"])
    if defaults.id_prefix:
        generated = defaults.id_prefix + ":" + frame["row_number"].astype(str)
        client_id = client_id.where(client_id != "", generated)
    batch.reject(
        (client_id == "").to_numpy(),
        "client_event_id",
        "client_event_id is missing; the app sets one per report so a retry is stored once.",
    )
    key = reporter + "\x1f" + client_id
    dup = key.duplicated(keep="first").to_numpy() & ~batch.bad
    batch.reject(
        dup,
        "client_event_id",
        lambda v: f"client_event_id '{v}' appears more than once in this batch.",
        client_id,
    )

    # attributes and media: JSON, checked per row, only for rows that carry any or whose
    # category requires some (the rest keep {} and [])
    attributes: dict[int, dict[str, Any]] = {}
    media: dict[int, list[str]] = {}
    with_required = [c for c, cat in known.items() if any(f.required for f in cat.fields)]
    needs_check = (
        (_text(frame["attributes"]) != "")
        | (_text(frame["media"]) != "")
        | category.isin(with_required)
    ).to_numpy() & ~batch.bad
    for i in (int(i) for i in np.flatnonzero(needs_check)):
        spec = known[str(category.iat[i])]
        try:
            attributes[i] = validate_attributes(
                spec, _json_value(frame["attributes"].iat[i], dict, "attributes")
            )
            media[i] = [str(m) for m in _json_value(frame["media"].iat[i], list, "media")]
        except InvalidInput as exc:
            batch.reject_one(i, exc.field, exc.message, exc.hint)

    # grids, for rows still good
    good = ~batch.bad
    lon_w = np.full(len(frame), np.nan)
    lat_w = np.full(len(frame), np.nan)
    for system in set(systems[good]):
        mask = good & (systems == system)
        lon_w[mask], lat_w[mask] = crs_mod.to_wgs84(lon[mask], lat[mask], crs_mod.Crs(system))
    idx = np.flatnonzero(good)
    assignment = locator.assign(lon_w[idx], lat_w[idx])
    codes = locator.codes(assignment)
    outside = np.zeros(len(frame), dtype=bool)
    outside[idx[assignment.community < 0]] = True
    if outside.any():
        nearest = np.full(len(frame), -1, dtype=np.int64)
        nearest[idx] = assignment.nearest
        dist = np.zeros(len(frame))
        dist[idx] = assignment.distance_m
        names = locator.community_names
        for i in (int(i) for i in np.flatnonzero(outside)):
            near = (
                f"{names[nearest[i]]} ({locator.community_codes[nearest[i]]})"
                if nearest[i] >= 0
                else "none"
            )
            batch.reject_one(
                i,
                "lon",
                f"({lon[i]}, {lat[i]}) in {systems[i]} lies outside "
                f"every grid; the nearest is {near}, {dist[i]:,.0f} m away. "
                "Check the coordinate system and that lon comes first.",
            )

    keep = np.flatnonzero(~batch.bad)
    pos = np.searchsorted(idx, keep)  # where each kept row sits among the assigned ones
    rows = pd.DataFrame(
        {
            "row_number": frame["row_number"].to_numpy()[keep],
            "reporter_id": reporter.to_numpy()[keep],
            "client_event_id": client_id.to_numpy()[keep],
            "category": category.to_numpy()[keep],
            "title": _title(frame, category, known).to_numpy()[keep],
            "description": _text(frame["description"]).to_numpy()[keep],
            "occurred_at": occurred.to_numpy()[keep],
            "reported_at": reported.to_numpy()[keep],
            "source": source.to_numpy()[keep],
            "urgency": urgency.to_numpy()[keep],
            "lon_wgs84": lon_w[keep],
            "lat_wgs84": lat_w[keep],
            "lon_sent": lon[keep],
            "lat_sent": lat[keep],
            "crs_sent": systems[keep],
            "accuracy_m": accuracy.to_numpy()[keep],
            "address": _text(frame["address"]).to_numpy()[keep],
            "media": [json.dumps(media.get(int(i), []), ensure_ascii=False) for i in keep],
            "attributes": [
                json.dumps(attributes.get(int(i), {}), ensure_ascii=False, sort_keys=True)
                for i in keep
            ],
            "grid_version_id": locator.version.id,
            "community_code": codes["community"][pos],
            "street_code": codes["street"][pos],
            "sector_code": codes["sector"][pos],
            "district_code": codes["district"][pos],
            "grid_code": codes["grid"][pos],
            "snapped": assignment.snapped[pos],
            "near_boundary": assignment.near_boundary[pos],
        }
    )
    rows["content_sha256"] = hashes.to_numpy()[keep]
    batch.rejections.sort(key=lambda r: r.row_number)
    return Prepared(rows=rows, rejections=batch.rejections)


def _title(frame: pd.DataFrame, category: pd.Series, known: Mapping[str, Any]) -> pd.Series:
    """The title sent, else the category's Chinese name (hotline rows often have none)."""
    title = _text(frame["title"])
    fallback = category.map({c: k.name_zh for c, k in known.items()}).fillna("")
    return title.where(title != "", fallback)


def _json_value(raw: Any, kind: type, field_name: str) -> Any:
    if raw is None or (isinstance(raw, float) and np.isnan(raw)) or raw == "":
        return kind()
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            raise InvalidInput(
                f"{field_name} is not valid JSON: {_short(raw)}", field=field_name
            ) from None
    if not isinstance(value, kind):
        expected = "an object" if kind is dict else "a list"
        raise InvalidInput(f"{field_name} must be {expected}.", field=field_name)
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


def content_hash(frame: pd.DataFrame, defaults: Defaults) -> pd.Series:
    """Per row, a digest of the report *as sent* — before any default or lookup — so a retry
    of the same report matches even after the taxonomy or the grids changed, and a changed
    report under the same id does not. Light normalisation only: text stripped, names
    lower-cased, numbers and times parsed where they parse (so a CSV row and the same JSON
    report agree), JSON canonicalised."""
    parts: list[pd.Series] = []
    for column in HASHED_COLUMNS:
        raw = frame[column] if column in frame else pd.Series(None, index=frame.index)
        text = _text(raw)
        if column in ("lon", "lat"):
            number = pd.to_numeric(raw, errors="coerce")
            text = number.map(repr).where(number.notna(), text)
        elif column == "occurred_at":
            parsed, _, _ = _parse_times(raw)
            text = parsed.map(lambda t: t.isoformat()).where(parsed.notna(), text)
        elif column in ("crs", "source", "urgency"):
            text = text.str.lower()
            default = {"crs": defaults.crs.value, "source": defaults.source}.get(column)
            if default:
                text = text.where(text != "", default)
        elif column in ("media", "attributes"):
            text = raw.map(_canonical_json)
        parts.append(text.astype(str))
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "\x1f" + part
    return joined.map(lambda s: hashlib.sha256(s.encode()).hexdigest())


def _canonical_json(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return str(value).strip()
    if value in ({}, []):
        return ""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
