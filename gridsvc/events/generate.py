"""Realistic synthetic events, in the bulk import format, for demos, tests and benchmarks.

The model, all of it seeded, so the same arguments give the same rows bit for bit:

- **Time.** The window is the ``days`` days before ``end`` (default: now in Beijing time,
  rounded down to the hour), cut into hours. Each hour weighs by a daily rhythm (a trough at
  02:00-05:00, peaks at 09:00-11:00 and 15:00-17:00, the rhythm of grid workers' patrols) of
  its local time (UTC+08:00, no DST), with a flatter, later and lower rhythm on Saturdays and
  Sundays. ``count`` is split over the hours exactly (multinomial), so the total is exact.
- **Place.** A community's share of the base rate is its ``population`` (synthetic in the
  default dataset, denser in the old city), times its ``plant`` multiplier if any. Points are
  uniform in the community polygon (in degrees, which inside one community is uniform in area
  within 0.1%).
- **Hot spots.** ``hotspots`` communities, picked by population, each get extra events of one
  or two categories at 5-20 times their base rate for 7-28 days, clustered around a point of
  the community (Gaussian, 150 m standard deviation).
- **Report.** Most events come from grid workers (``gw-<community code>-<nn>``, a community
  having about one worker per 1,500 residents); about 15% from the 12345 hotline, the public
  app, video analytics or inspections. Reporting follows occurrence by minutes to hours
  (log-normal, by source), never after ``end``. Coordinates are sent in WGS-84, or converted
  with :func:`gridsvc.crs.from_wgs84` for the GCJ-02 and BD-09 shares.

Chunks come in ``occurred_at`` order (two chunks may overlap within the hour at their border)
and hold at most ``chunk_rows`` rows, so memory does not grow with ``count``. Cost: O(count)
time; setup O(days * 24 + hotspots * 672 + communities).
"""

from __future__ import annotations

import io
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import IO, Any, Final, cast

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import shapely

from gridsvc.crs import Crs, from_wgs84
from gridsvc.dates import CITY_OFFSET
from gridsvc.errors import InvalidInput
from gridsvc.events.rows import INPUT_COLUMNS
from gridsvc.vocabulary import URGENCIES

__all__ = [
    "COLUMNS",
    "DEFAULT_CHUNK_ROWS",
    "DEFAULT_MIX",
    "CategorySpec",
    "generate_events",
    "write_events_csv",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: The bulk import columns, in order, less `media` (generated reports carry no photos):
#: every chunk has exactly these.
COLUMNS: Final[tuple[str, ...]] = tuple(c for c in INPUT_COLUMNS if c != "media")
DEFAULT_CHUNK_ROWS: Final = 100_000
BEIJING: Final = CITY_OFFSET  # generated times are written in the city's standard offset
_BEIJING_OFFSET_S: Final = int(CITY_OFFSET.utcoffset(None).total_seconds())


@dataclass(frozen=True, slots=True)
class CategorySpec:
    """One category of the mix: ``weight`` is its relative frequency (any non-negative scale),
    ``urgency_weights`` the relative frequencies of normal, urgent and critical reports."""

    code: str
    weight: float
    urgency_weights: tuple[float, float, float]
    attributes: tuple[str, ...] = ()
    """JSON objects of the category's attributes, one picked uniformly per row (the
    taxonomy's required fields must be among them); empty: no attributes."""

    def __post_init__(self) -> None:
        if not (math.isfinite(self.weight) and self.weight >= 0):
            raise InvalidInput("generate.weight", code=repr(self.code))
        urgency = self.urgency_weights
        if len(urgency) != 3 or not all(math.isfinite(w) and w >= 0 for w in urgency):
            raise InvalidInput("generate.urgency_weights", code=repr(self.code))
        if sum(urgency) <= 0:
            raise InvalidInput("generate.urgency_zero", code=repr(self.code))


#: A plausible mix for Nanjing: sanitation and facilities dominate, hazards are rarer and more
#: often urgent or critical. Codes are leaves of the default taxonomy
#: (``gridsvc/data/categories.json``).
DEFAULT_MIX: Final[tuple[CategorySpec, ...]] = (
    CategorySpec("public_security.theft", 4.0, (0.75, 0.22, 0.03)),
    CategorySpec("public_security.disturbance", 5.0, (0.80, 0.18, 0.02)),
    CategorySpec("hazard.fire", 3.0, (0.40, 0.40, 0.20)),
    CategorySpec("hazard.gas", 2.0, (0.35, 0.45, 0.20)),
    CategorySpec("hazard.work_safety", 3.0, (0.60, 0.30, 0.10)),
    CategorySpec("hazard.building", 2.0, (0.55, 0.35, 0.10)),
    CategorySpec("hazard.traffic", 4.0, (0.70, 0.25, 0.05)),
    CategorySpec(
        "hazard.ebike_charging",
        8.0,
        (0.75, 0.22, 0.03),
        ('{"indoor": true}', '{"indoor": true, "count": 2}', '{"indoor": false}'),
    ),
    CategorySpec(
        "hazard.old_housing",
        2.0,
        (0.60, 0.30, 0.10),
        tuple(
            f'{{"facility": "{f}"}}'
            for f in ("security_door", "surveillance_camera", "window_guard", "lighting")
        ),
    ),
    CategorySpec("dispute.neighbour", 7.0, (0.90, 0.09, 0.01)),
    CategorySpec("dispute.property_management", 5.0, (0.92, 0.07, 0.01)),
    CategorySpec("dispute.labour", 3.0, (0.80, 0.18, 0.02)),
    CategorySpec("dispute.family", 4.0, (0.85, 0.13, 0.02)),
    CategorySpec("dispute.land", 2.0, (0.85, 0.13, 0.02)),
    CategorySpec("illegal_finance.fundraising", 1.0, (0.60, 0.30, 0.10)),
    CategorySpec("environment.sanitation", 22.0, (0.95, 0.05, 0.00)),
    CategorySpec("environment.illegal_construction", 7.0, (0.85, 0.14, 0.01)),
    CategorySpec("public_service.facility", 16.0, (0.93, 0.07, 0.00)),
)

# --- text: titles, what happened, places, phrases, address parts (gridsvc/data) --------------


def _load_texts() -> dict[str, Any]:
    """``gridsvc/data/event_texts.json`` (its ``notes`` say what each part is)."""
    resource = resources.files("gridsvc") / "data" / "event_texts.json"
    texts: dict[str, Any] = json.loads(resource.read_text("utf-8"))
    return texts


def _numbered(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """``pattern`` filled with each pair of numbers from 1 to ``counts``, the first outer."""
    outer, inner = spec["counts"]
    pattern: str = spec["pattern"]
    return tuple(pattern.format(a, b) for a in range(1, outer + 1) for b in range(1, inner + 1))


_EVENT_TEXTS: Final = _load_texts()
# (title, what happened) per category; a category not listed uses its group's
_TEXTS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    code: tuple((t["title"], t["happened"]) for t in variants)
    for code, variants in _EVENT_TEXTS["categories"].items()
}
_GROUP_TEXTS: Final[dict[str, tuple[str, str]]] = {
    group: (t["title"], t["happened"]) for group, t in _EVENT_TEXTS["groups"].items()
}
_OTHER_TEXT: Final[tuple[str, str]] = (
    _EVENT_TEXTS["other"]["title"],
    _EVENT_TEXTS["other"]["happened"],
)
_URBAN_PLACES: Final[tuple[str, ...]] = tuple(_EVENT_TEXTS["places"]["urban"])
_VILLAGE_PLACES: Final[tuple[str, ...]] = tuple(_EVENT_TEXTS["places"]["village"])
_URBAN_SUFFIXES: Final = _numbered(_EVENT_TEXTS["address_suffixes"]["urban"])  # 栋, 单元
_RURAL_SUFFIXES: Final = _numbered(_EVENT_TEXTS["address_suffixes"]["rural"])  # 组, 号

# --- sources: share, reporter ids besides grid workers, report delay, location accuracy ------

_SOURCES: Final = ("grid_worker", "hotline", "public", "video", "inspection")
_SOURCE_SHARE: Final = (0.85, 0.07, 0.04, 0.02, 0.02)
_SOURCE_REPORTERS: Final = (0, 12, 3, 4, 8)  # hotline-01..12 etc.; grid workers per community
_SOURCE_PHRASE: Final[tuple[str, ...]] = tuple(
    _EVENT_TEXTS["source_phrases"][source] for source in _SOURCES
)
_DELAY_MEDIAN_S: Final = np.array([15 * 60, 45 * 60, 90 * 60, 3 * 60, 30 * 60], np.float64)
_DELAY_SIGMA: Final = np.array([1.0, 0.9, 1.1, 0.7, 0.8])
_MIN_DELAY_S: Final = 60
_MAX_DELAY_S: Final = 48 * 3600
# Phones report GNSS accuracy; the hotline geocodes an address, so it is coarse.
_ACCURACY_MEDIAN_M: Final = np.array([10.0, 40.0, 15.0, 8.0, 10.0])
_RESIDENTS_PER_WORKER: Final = 1500
_MAX_WORKERS: Final = 30

# Relative event rate per local hour 0..23 (UTC+08:00).
_WEEKDAY_RHYTHM: Final = np.ravel(
    [
        [0.15, 0.10, 0.07, 0.06, 0.07, 0.15, 0.40, 0.80, 1.30, 1.70, 1.80, 1.50],
        [1.00, 1.10, 1.50, 1.70, 1.80, 1.50, 1.00, 0.80, 0.70, 0.55, 0.40, 0.25],
    ]
)
_WEEKEND_RHYTHM: Final = 0.75 * np.ravel(
    [
        [0.20, 0.15, 0.10, 0.07, 0.07, 0.10, 0.25, 0.45, 0.80, 1.10, 1.30, 1.30],
        [1.10, 1.00, 1.20, 1.35, 1.40, 1.30, 1.10, 0.90, 0.80, 0.60, 0.45, 0.30],
    ]
)
_HOTSPOT_DAYS: Final = (7.0, 28.0)
_HOTSPOT_FACTOR: Final = (5.0, 20.0)
_HOTSPOT_SPREAD_M: Final = 150.0
_METRES_PER_DEGREE_LAT: Final = 111_320.0
_CLUSTER_TRIES: Final = 20  # then a clustered point is drawn uniformly in its community
_MAX_TRIES: Final = 1_000


@dataclass(frozen=True)
class _Plan:
    """Everything decided once per call; chunks then only draw per-row values."""

    start_s: int  # window start, Unix seconds
    end_s: int
    seg_bin: IntArray  # (hour, component) segments in stream order
    seg_comp: IntArray  # 0 = base, h + 1 = hot spot h
    seg_cum: IntArray  # cumulative row counts of the segments
    comm_cum: FloatArray  # cumulative base share of each community
    hot_comm: IntArray
    hot_centre: FloatArray  # (hotspots, 2) lon, lat WGS-84 degrees
    cat_cum: FloatArray  # (1 + hotspots, categories) cumulative category probabilities
    urgency_cum: FloatArray  # (categories, 3)
    geoms: npt.NDArray[np.object_]
    bounds: FloatArray  # (communities, 4) lon/lat min/max, degrees
    village: npt.NDArray[np.bool_]
    workers: IntArray
    reporter_offset: IntArray  # first grid worker of each community in `reporters`
    reporters: pa.Array
    short_names: pa.Array
    address_prefix: pa.Array
    address_suffix: pa.Array
    n_urban_suffix: int
    categories: pa.Array
    attributes: tuple[tuple[str, ...], ...]  # per category, JSON options (may be empty)
    titles: pa.Array  # (categories x variants), flattened
    tails: pa.Array
    variants: IntArray
    max_variants: int
    places: pa.Array
    phrases: pa.Array


def generate_events(
    units: gpd.GeoDataFrame,
    categories: Sequence[CategorySpec],
    *,
    count: int,
    days: int,
    seed: int,
    end: datetime | None = None,
    hotspots: int = 12,
    gcj02_share: float = 0.15,
    bd09_share: float = 0.10,
    plant: Mapping[str, float] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
) -> Iterator[pd.DataFrame]:
    """``count`` synthetic events, lazily, in chunks of at most ``chunk_rows`` rows.

    ``units`` is a grid dataset with ``code``, ``level``, ``name``, ``population`` and geometry
    (any CRS; used in EPSG:4326), optionally ``parent_code`` and ``kind``; its ``community``
    rows receive the events. ``end`` must be timezone-aware; events occur in
    ``[end - days, end)``. ``plant`` maps community codes to a multiplier of their base rate
    (e.g. ``{"320102002001": 20.0}``), to plant a known cluster.

    Each chunk has :data:`COLUMNS`: ``occurred_at``/``reported_at`` are ISO 8601 strings with
    ``+08:00``; ``lon``/``lat`` are degrees in the row's ``crs`` (``wgs84``, ``gcj02`` or
    ``bd09``) rounded to 7 decimals; ``accuracy_m`` is whole metres, 5-50. The output is a
    function of all arguments, ``chunk_rows`` included.

    Raises:
        InvalidInput: for a negative count, no day, shares outside 0..1, an unknown planted
            community, no category or community with a positive weight, or a naive ``end``.
    """
    if chunk_rows < 1:
        raise InvalidInput("generate.chunk_rows", field="chunk_rows")
    # Planned now, not at the first next(), so that bad arguments fail at the call.
    plan = _plan(
        units, categories, count, days, seed, end, hotspots, gcj02_share, bd09_share, plant
    )
    crs_cum = np.cumsum([1.0 - gcj02_share - bd09_share, gcj02_share, bd09_share])
    return _chunks(plan, count, seed, crs_cum, chunk_rows)


def _chunks(
    plan: _Plan, count: int, seed: int, crs_cum: FloatArray, chunk_rows: int
) -> Iterator[pd.DataFrame]:
    for chunk_no, first in enumerate(range(0, count, chunk_rows)):
        # Each chunk has its own stream, so chunks could be drawn in parallel.
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, chunk_no)))
        rows = np.arange(first, min(first + chunk_rows, count), dtype=np.int64)
        yield _chunk(plan, rng, rows, seed, crs_cum)


def _plan(
    units: gpd.GeoDataFrame,
    categories: Sequence[CategorySpec],
    count: int,
    days: int,
    seed: int,
    end: datetime | None,
    hotspots: int,
    gcj02_share: float,
    bd09_share: float,
    plant: Mapping[str, float] | None,
) -> _Plan:
    if count < 0:
        raise InvalidInput("generate.count", field="count")
    if days < 1:
        raise InvalidInput("generate.days", field="days")
    if seed < 0:
        raise InvalidInput("generate.seed", field="seed")
    if hotspots < 0:
        raise InvalidInput("generate.hotspots", field="hotspots")
    if not (0 <= gcj02_share <= 1 and 0 <= bd09_share <= 1 and gcj02_share + bd09_share <= 1):
        raise InvalidInput("generate.shares")
    if end is None:
        end = datetime.now(BEIJING).replace(minute=0, second=0, microsecond=0)
    elif end.tzinfo is None or end.utcoffset() is None:
        raise InvalidInput("generate.naive_end")
    try:
        start = end - timedelta(days=days)
    except OverflowError:
        raise InvalidInput("generate.before_year_1") from None
    end_s = math.floor(end.astimezone(UTC).timestamp())
    start_s = math.floor(start.astimezone(UTC).timestamp())
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))

    comm, unit_names = _communities(units)
    weight = comm["population"].to_numpy(np.float64, na_value=0.0).clip(min=0.0)
    for code, factor in (plant or {}).items():
        at = np.flatnonzero(comm["code"].to_numpy() == code)
        if at.size == 0:
            raise InvalidInput("generate.plant_unknown", code=repr(code))
        if not (math.isfinite(factor) and factor >= 0):
            raise InvalidInput("generate.plant_factor", code=repr(code))
        weight[at] *= factor
    if not weight.sum() > 0:
        raise InvalidInput("generate.no_population")
    comm_share = weight / weight.sum()
    cat_weight = np.array([c.weight for c in categories], np.float64)
    if cat_weight.size == 0 or not cat_weight.sum() > 0:
        raise InvalidInput("generate.no_category")
    cat_share = cat_weight / cat_weight.sum()
    geoms = np.asarray(comm.geometry.values, dtype=object)
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)

    # Hot spots: community, categories, period (hours from the start), extra rate.
    n_hot = min(hotspots, int(np.count_nonzero(comm_share)))
    hot_comm = rng.choice(comm_share.size, size=n_hot, replace=False, p=comm_share)
    hot_cats = np.zeros((n_hot, cat_share.size), np.float64)
    hours = days * 24
    seg_bins = [np.arange(hours, dtype=np.int64)]
    seg_comps = [np.zeros(hours, np.int64)]
    seg_rates = [np.ones(hours)]
    for h in range(n_hot):
        k = min(int(rng.integers(1, 3)), int(np.count_nonzero(cat_share)))
        picked = rng.choice(cat_share.size, size=k, replace=False, p=cat_share)
        hot_cats[h, picked] = cat_share[picked]
        duration = min(hours, round(rng.uniform(*_HOTSPOT_DAYS) * 24))
        first = int(rng.integers(0, hours - duration + 1))
        extra = (rng.uniform(*_HOTSPOT_FACTOR) - 1.0) * comm_share[hot_comm[h]]
        seg_bins.append(np.arange(first, first + duration, dtype=np.int64))
        seg_comps.append(np.full(duration, h + 1, np.int64))
        seg_rates.append(np.full(duration, extra * hot_cats[h].sum()))
    lon_c, lat_c = _sample_points(rng, geoms, bounds, hot_comm, None)
    seg_bin, seg_comp = np.concatenate(seg_bins), np.concatenate(seg_comps)
    order = np.lexsort((seg_comp, seg_bin))
    seg_bin, seg_comp = seg_bin[order], seg_comp[order]
    mass = np.concatenate(seg_rates)[order] * _rhythm(start_s, hours)[seg_bin]
    seg_cum = np.cumsum(rng.multinomial(count, mass / mass.sum()))

    table = np.vstack([cat_share, hot_cats])
    table /= table.sum(axis=1, keepdims=True)
    urgency = np.array([c.urgency_weights for c in categories], np.float64)
    texts = [_category_texts(c.code) for c in categories]
    max_variants = max(len(t) for t in texts)
    padded = [[t[i % len(t)] for i in range(max_variants)] for t in texts]
    return _Plan(
        start_s=start_s,
        end_s=end_s,
        seg_bin=seg_bin,
        seg_comp=seg_comp,
        seg_cum=seg_cum,
        comm_cum=np.cumsum(comm_share),
        hot_comm=hot_comm.astype(np.int64),
        hot_centre=np.column_stack([lon_c, lat_c]),
        cat_cum=np.cumsum(table, axis=1),
        urgency_cum=np.cumsum(urgency / urgency.sum(axis=1, keepdims=True), axis=1),
        geoms=geoms,
        bounds=bounds,
        categories=pa.array([c.code for c in categories], pa.string()),
        attributes=tuple(c.attributes for c in categories),
        titles=pa.array([title for row in padded for title, _ in row], pa.string()),
        tails=pa.array([tail for row in padded for _, tail in row], pa.string()),
        variants=np.array([len(t) for t in texts], np.int64),
        max_variants=max_variants,
        places=pa.array([f"{p}，" for p in (*_URBAN_PLACES, *_VILLAGE_PLACES)], pa.string()),
        phrases=pa.array(_SOURCE_PHRASE, pa.string()),
        **_people_and_addresses(comm, unit_names),
    )


def _communities(units: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """The community rows in EPSG:4326, and every unit's name by code."""
    missing = {"code", "level", "name", "population"} - set(units.columns)
    if missing:
        raise InvalidInput("generate.units_columns", field="units", missing=sorted(missing))
    if units.crs is not None and not units.crs.equals("EPSG:4326"):
        units = units.to_crs("EPSG:4326")
    comm = units[units["level"] == "community"].reset_index(drop=True)
    if comm.empty:
        raise InvalidInput("generate.no_communities", field="units")
    names = dict(zip(units["code"].astype(str), units["name"].astype(str), strict=True))
    return comm, names


def _rhythm(start_s: int, hours: int) -> FloatArray:
    """Relative rate of each hour of the window, from its local (UTC+08:00) hour and weekday."""
    local_s = start_s + _BEIJING_OFFSET_S + 3600 * np.arange(hours, dtype=np.int64)
    hour = (local_s // 3600) % 24
    weekend = ((local_s // 86_400) + 3) % 7 >= 5  # 1970-01-01 was a Thursday (3, Monday 0)
    rate: FloatArray = np.where(weekend, _WEEKEND_RHYTHM[hour], _WEEKDAY_RHYTHM[hour])
    return rate


def _category_texts(code: str) -> tuple[tuple[str, str], ...]:
    if code in _TEXTS:
        return _TEXTS[code]
    return (_GROUP_TEXTS.get(code.split(".", 1)[0], _OTHER_TEXT),)


_NAME_ENDINGS: Final = (  # (official ending, what people say), longest first
    ("社区居民委员会", "社区"),
    ("居民委员会", "社区"),
    ("社区居委会", "社区"),
    ("社区居委", "社区"),
    ("居委会", "社区"),
    ("社区村委会", "社区"),
    ("村村委会", "村"),
    ("村民委员会", "村"),
    ("村委会", "村"),
)


def _short_name(name: str) -> str:
    """How a community is called in an address: 梅园新村社区居委会 → 梅园新村社区,
    黄中村村委会 → 黄中村, 徒盖村委会 → 徒盖村."""
    for ending, spoken in _NAME_ENDINGS:
        if name.endswith(ending) and len(name) > len(ending):
            return name[: -len(ending)] + spoken
    return name


def _people_and_addresses(comm: gpd.GeoDataFrame, unit_names: Mapping[str, str]) -> dict[str, Any]:
    """Per-community reporter ids and address parts (Python loops over communities only).

    An address reads ``南京市<district><street><community><building/unit or group/house>``,
    the district and street named by the units whose codes are the community's first six
    digits and its ``parent_code``.
    """
    codes = [str(c) for c in comm["code"]]
    names = [_short_name(str(n)) for n in comm["name"]]
    parents = [str(p) for p in comm["parent_code"]] if "parent_code" in comm else [""] * len(codes)
    population = comm["population"].to_numpy(np.float64, na_value=0.0)
    workers = np.clip(np.round(population / _RESIDENTS_PER_WORKER), 2, _MAX_WORKERS)
    workers = workers.astype(np.int64)
    kind = comm["kind"] if "kind" in comm.columns else comm["name"]
    village = kind.astype(str).str.contains("村委会").to_numpy(dtype=bool)
    reporters = [
        f"gw-{code}-{k:02d}"
        for code, n in zip(codes, workers, strict=True)
        for k in range(1, n + 1)
    ]
    for source, n in zip(_SOURCES, _SOURCE_REPORTERS, strict=True):
        reporters += [f"{source}-{k:02d}" for k in range(1, n + 1)]
    prefixes = [
        f"南京市{unit_names.get(code[:6], '')}{unit_names.get(parent, '')}{name}"
        for code, parent, name in zip(codes, parents, names, strict=True)
    ]
    urban, rural = list(_URBAN_SUFFIXES), list(_RURAL_SUFFIXES)
    return {
        "village": village,
        "workers": workers,
        "reporter_offset": np.concatenate([[0], np.cumsum(workers)]).astype(np.int64),
        "reporters": pa.array(reporters, pa.string()),
        "short_names": pa.array(names, pa.string()),
        "address_prefix": pa.array(prefixes, pa.string()),
        "address_suffix": pa.array(urban + rural, pa.string()),
        "n_urban_suffix": len(urban),
    }


def _sample_points(
    rng: np.random.Generator,
    geoms: npt.NDArray[np.object_],
    bounds: FloatArray,
    comm: IntArray,
    centre: FloatArray | None,
) -> tuple[FloatArray, FloatArray]:
    """WGS-84 (lon, lat) degrees, rounded to 7 decimals, inside community ``comm[i]`` each.

    Uniform: drawn in the community's bounding box, rejected outside the polygon, redrawn
    (acceptance is polygon/bbox area, 26-93% in the default grid). With ``centre`` (rows x 2,
    NaN for uniform rows), a row is drawn around its centre with a Gaussian spread of
    ``_HOTSPOT_SPREAD_M`` and falls back to uniform after ``_CLUSTER_TRIES`` rejections.
    """
    n = comm.size
    lon_wgs84 = np.empty(n)
    lat_wgs84 = np.empty(n)
    todo = np.arange(n)
    clustered = np.zeros(n, bool) if centre is None else ~np.isnan(centre[:, 0])
    for attempt in range(_MAX_TRIES):
        c = comm[todo]
        box = bounds[c]
        x = box[:, 0] + rng.random(todo.size) * (box[:, 2] - box[:, 0])
        y = box[:, 1] + rng.random(todo.size) * (box[:, 3] - box[:, 1])
        if centre is not None and attempt < _CLUSTER_TRIES:
            near = clustered[todo]
            if near.any():
                lat0 = centre[todo[near], 1]
                spread_deg = _HOTSPOT_SPREAD_M / _METRES_PER_DEGREE_LAT
                dx, dy = rng.normal(0.0, spread_deg, (2, int(near.sum())))
                x[near] = centre[todo[near], 0] + dx / np.cos(np.radians(lat0))
                y[near] = lat0 + dy
        # Round first so that the coordinates written are the ones tested.
        x, y = np.round(x, 7), np.round(y, 7)
        inside = shapely.contains_xy(geoms[c], x, y)
        lon_wgs84[todo[inside]] = x[inside]
        lat_wgs84[todo[inside]] = y[inside]
        todo = todo[~inside]
        if todo.size == 0:
            return lon_wgs84, lat_wgs84
    raise InvalidInput("generate.unplaced", count=todo.size)


def _chunk(
    plan: _Plan,
    rng: np.random.Generator,
    rows: IntArray,
    seed: int,
    crs_cum: FloatArray,
) -> pd.DataFrame:
    """The events numbered ``rows`` (consecutive), drawn with ``rng``; see the module doc."""
    n = rows.size
    seg = np.searchsorted(plan.seg_cum, rows, side="right")
    occurred_s = plan.start_s + 3600 * plan.seg_bin[seg] + rng.integers(0, 3600, n)
    order = np.argsort(occurred_s, kind="stable")
    occurred_s, comp = occurred_s[order], plan.seg_comp[seg][order]

    hot = comp > 0
    comm = np.empty(n, np.int64)
    comm[hot] = plan.hot_comm[comp[hot] - 1]
    n_base = n - int(hot.sum())
    comm[~hot] = np.searchsorted(
        plan.comm_cum, rng.random(n_base) * plan.comm_cum[-1], side="right"
    ).clip(max=plan.comm_cum.size - 1)
    cat = _inverse_cdf(plan.cat_cum[comp], rng.random(n))
    urgency = _inverse_cdf(plan.urgency_cum[cat], rng.random(n))
    source = _inverse_cdf(np.broadcast_to(_SOURCE_CUM, (n, _SOURCE_CUM.size)), rng.random(n))
    crs = _inverse_cdf(np.broadcast_to(crs_cum, (n, crs_cum.size)), rng.random(n))

    centre = np.full((n, 2), np.nan)
    centre[hot] = plan.hot_centre[comp[hot] - 1]
    lon_wgs84, lat_wgs84 = _sample_points(rng, plan.geoms, plan.bounds, comm, centre)
    lon_sent, lat_sent = lon_wgs84.copy(), lat_wgs84.copy()  # degrees in the row's crs
    for index, system in ((1, Crs.GCJ02), (2, Crs.BD09)):
        rows_in = crs == index
        if rows_in.any():
            lon_crs, lat_crs = from_wgs84(lon_wgs84[rows_in], lat_wgs84[rows_in], system)
            lon_sent[rows_in], lat_sent[rows_in] = np.round(lon_crs, 7), np.round(lat_crs, 7)

    delay_s = _DELAY_MEDIAN_S[source] * np.exp(_DELAY_SIGMA[source] * rng.standard_normal(n))
    delay = delay_s.clip(_MIN_DELAY_S, _MAX_DELAY_S).astype(np.int64)
    reported_s = np.minimum(occurred_s + delay, plan.end_s)
    accuracy = _ACCURACY_MEDIAN_M[source] * np.exp(0.5 * rng.standard_normal(n))
    accuracy_m = np.round(accuracy.clip(5.0, 50.0)).astype(np.int64)

    pick = rng.random((5, n))
    worker = plan.reporter_offset[comm] + (pick[0] * plan.workers[comm]).astype(np.int64)
    other = plan.reporter_offset[-1] + _OTHER_OFFSET[source]
    other += (pick[0] * _SOURCE_REPORTERS_ARRAY[source]).astype(np.int64)
    reporter = np.where(source == 0, worker, other)
    variant = (pick[1] * plan.variants[cat]).astype(np.int64)
    text = cat * plan.max_variants + variant
    n_places = len(_URBAN_PLACES)
    place = (pick[2] * n_places).astype(np.int64) + n_places * plan.village[comm]
    n_urban = plan.n_urban_suffix
    n_rural = len(plan.address_suffix) - n_urban
    suffix = np.where(
        plan.village[comm],
        n_urban + (pick[3] * n_rural).astype(np.int64),
        (pick[3] * n_urban).astype(np.int64),
    )

    attributes = np.full(n, "", dtype=object)
    for k, options in enumerate(plan.attributes):
        in_cat = cat == k
        if options and in_cat.any():
            choice = (pick[4][in_cat] * len(options)).astype(np.int64)
            attributes[in_cat] = np.array(options, dtype=object)[choice]

    names = plan.short_names.take(comm)
    columns = {
        "client_event_id": pc.binary_join_element_wise(
            f"gen-{seed}-", pc.cast(pa.array(rows), pa.string()), ""
        ),
        "reporter_id": plan.reporters.take(reporter),
        "category": plan.categories.take(cat),
        "title": pc.binary_join_element_wise(names, plan.titles.take(text), ""),
        "description": pc.binary_join_element_wise(
            plan.phrases.take(source), names, plan.places.take(place), plan.tails.take(text), ""
        ),
        "occurred_at": _iso_beijing(occurred_s),
        "reported_at": _iso_beijing(reported_s),
        "lon": lon_sent,
        "lat": lat_sent,
        "crs": _CRS_NAMES.take(crs),
        "accuracy_m": accuracy_m,
        "source": _SOURCE_NAMES.take(source),
        "urgency": _URGENCY_NAMES.take(urgency),
        "address": pc.binary_join_element_wise(
            plan.address_prefix.take(comm), plan.address_suffix.take(suffix), ""
        ),
        "attributes": pa.array(attributes, pa.string()),
    }
    frame: pd.DataFrame = pa.table(columns).to_pandas()
    return frame


_SOURCE_CUM: Final = np.cumsum(_SOURCE_SHARE)
_SOURCE_REPORTERS_ARRAY: Final = np.array(_SOURCE_REPORTERS, np.int64)
_OTHER_OFFSET: Final = np.concatenate([[0], np.cumsum(_SOURCE_REPORTERS_ARRAY)[:-1]])
_CRS_NAMES: Final = pa.array([Crs.WGS84.value, Crs.GCJ02.value, Crs.BD09.value], pa.string())
_SOURCE_NAMES: Final = pa.array(_SOURCES, pa.string())
_URGENCY_NAMES: Final = pa.array(URGENCIES, pa.string())


def _inverse_cdf(cum: FloatArray, u: FloatArray) -> IntArray:
    """Row i's outcome: the first j with ``cum[i, j] > u[i]`` (``cum`` rows cumulative
    probabilities; the last column is treated as 1 so rounding cannot push ``u`` past it)."""
    below = u[:, None] >= cum[:, :-1]
    outcome: IntArray = below.sum(axis=1, dtype=np.int64)
    return outcome


def _digits(value: IntArray, width: int) -> npt.NDArray[np.uint8]:
    """Non-negative integers as zero-padded ASCII digits, one row of ``width`` bytes each."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits: npt.NDArray[np.uint8] = (48 + value[:, None] // powers % 10).astype(np.uint8)
    return digits


def _clock_table() -> npt.NDArray[np.uint8]:
    """``HH:MM:SS+08:00`` for every second of the day, as ASCII rows (86,400 x 14 bytes)."""
    second = np.arange(86_400, dtype=np.int64)
    table = np.frombuffer(b"00:00:00+08:00" * second.size, np.uint8).reshape(-1, 14).copy()
    table[:, 0:2] = _digits(second // 3600, 2)
    table[:, 3:5] = _digits(second // 60 % 60, 2)
    table[:, 6:8] = _digits(second % 60, 2)
    return table


_CLOCK: Final = _clock_table()


def _iso_beijing(epoch_s: IntArray) -> pa.Array:
    """Unix seconds as ISO 8601 Beijing time, ``YYYY-MM-DDTHH:MM:SS+08:00`` (years 1-9999).

    Rows of ASCII bytes are gathered from a table of the days spanned and one of the seconds
    of a day, into a fixed-width matrix that becomes the string array's data buffer: about 20
    times faster than ``numpy.datetime_as_string`` plus concatenation.
    """
    n = epoch_s.size
    local_s = epoch_s + _BEIJING_OFFSET_S
    day = local_s // 86_400
    first_day = int(day.min()) if n else 0
    dates = np.arange(first_day, int(day.max()) + 1 if n else 0).astype("datetime64[D]")
    month_start = dates.astype("datetime64[M]")
    date_text = np.frombuffer(b"0000-00-00T" * dates.size, np.uint8).reshape(-1, 11).copy()
    date_text[:, 0:4] = _digits(dates.astype("datetime64[Y]").astype(np.int64) + 1970, 4)
    date_text[:, 5:7] = _digits(month_start.astype(np.int64) % 12 + 1, 2)
    day_of_month = (dates - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    date_text[:, 8:10] = _digits(day_of_month, 2)
    text = np.empty((n, 25), np.uint8)
    text[:, :11] = date_text[day - first_day]
    text[:, 11:] = _CLOCK[local_s - 86_400 * day]
    offsets = np.arange(0, 25 * (n + 1), 25, dtype=np.int32)
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(text)])


def write_events_csv(
    path_or_stream: str | os.PathLike[str] | IO[bytes] | IO[str],
    chunks: Iterable[pd.DataFrame],
) -> int:
    """Write ``chunks`` as one UTF-8 CSV (header once, ``\\n`` line ends); return the rows.

    A path is created or truncated; a stream is written at its position and left open (text
    streams get ``str``, binary ones ``bytes``). Fields are quoted only in a chunk where some
    value needs it (a comma, quote or line break), which generated text never has.

    Raises:
        InvalidInput: if a chunk's columns are not exactly :data:`COLUMNS`.
    """
    if isinstance(path_or_stream, str | os.PathLike):
        with open(path_or_stream, "wb") as sink:
            return _write_csv(sink.write, chunks)
    if isinstance(path_or_stream, io.TextIOBase):
        text_sink = cast(IO[str], path_or_stream)
        return _write_csv(lambda data: text_sink.write(bytes(data).decode("utf-8")), chunks)
    return _write_csv(cast(IO[bytes], path_or_stream).write, chunks)


def _write_csv(write: Callable[[memoryview], object], chunks: Iterable[pd.DataFrame]) -> int:
    """Header, then each chunk formatted and written on a second thread while the caller's
    iterator draws the next one (pyarrow and numpy release the GIL): at most two chunks are
    held at a time."""
    write(memoryview((",".join(COLUMNS) + "\n").encode()))
    rows = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="events-csv") as writer:
        pending: Future[object] | None = None
        for chunk in chunks:
            if tuple(chunk.columns) != COLUMNS:
                raise InvalidInput(
                    "generate.chunk_columns", columns=list(chunk.columns), expected=list(COLUMNS)
                )
            table = pa.Table.from_pandas(chunk, preserve_index=False)
            if pending is not None:
                pending.result()  # keeps order, re-raises a write error
            pending = writer.submit(lambda t: write(memoryview(_csv_body(t))), table)
            rows += len(chunk)
        if pending is not None:
            pending.result()
    return rows


def _csv_body(table: pa.Table) -> pa.Buffer:
    """The table as CSV rows without header, plain when possible, else strings quoted."""
    for quoting in ("none", "needed"):
        sink = pa.BufferOutputStream()
        try:
            options = pa_csv.WriteOptions(include_header=False, quoting_style=quoting)
            pa_csv.write_csv(table, sink, options)
        except pa.ArrowInvalid:
            continue  # "none" refuses a value that needs quotes
        return sink.getvalue()
    raise AssertionError("unreachable: quoting 'needed' accepts every value")
