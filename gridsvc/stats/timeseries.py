"""Events of one grid unit per day, week or month, zero-filled.

Periods are calendar periods of Beijing days (Asia/Shanghai): a day is a Beijing day, a week
runs Monday to Sunday, a month is a calendar month. The series covers the filter's range
``[date_from, date_to)``; where either end is open, the first day with a matching event and the
day after the last one stand in. A period partly outside that range is kept, labelled by its
calendar start, and its ``days`` column says how many of its days were counted, so a reader
does not take a half week for a quiet one.
"""

from __future__ import annotations

from typing import Any, Final, Literal, get_args

import pandas as pd

from gridsvc.errors import InvalidInput, UnknownGrid
from gridsvc.grids import store
from gridsvc.service import Gridsvc
from gridsvc.sql import query
from gridsvc.stats.filters import StatsFilter, sql_params
from gridsvc.stats.units import STATS_LEVELS, fetch, snapshot, stats_query

Interval = Literal["day", "week", "month"]
INTERVALS: Final[tuple[Interval, ...]] = get_args(Interval)


def timeseries(
    svc: Gridsvc,
    grid_code: str,
    interval: Interval = "day",
    flt: StatsFilter | None = None,
) -> pd.DataFrame:
    """Events matching ``flt`` in unit ``grid_code`` per ``interval``, zero-filled.

    ``grid_code`` is a unit of the active grid version at any statistics level: the city
    (``320100``), a district (6 digits), a sector (``S…``), a street (9) or a community (12).

    Columns: ``period_start`` (datetime64, midnight of the period's first Beijing day, naive),
    ``n`` (int) and ``days`` (days of the period inside the range). Empty when the range is
    open and no event matches. Cost: one pass over the matching rollup rows of the unit's
    communities.

    Raises ``InvalidInput`` for an unknown interval or a grid (网格) code, ``UnknownGrid`` for
    a code the active version lacks, ``UnknownCategory``, ``NoActiveGridVersion``.
    """
    if interval not in INTERVALS:
        raise InvalidInput(
            "common.unknown_choice", field="interval", value=interval, choices=INTERVALS
        )
    flt = flt or StatsFilter()
    db = svc.read_db
    version = store.active_version(db)
    taxonomy = svc.taxonomy(include_inactive=True)
    params: dict[str, Any] = {
        **sql_params(flt, taxonomy, svc.now()),
        "version_id": version.id,
        "code": grid_code,
        "interval": interval,
        "step": f"1 {interval}",
    }
    with snapshot(db) as cur:
        found = fetch(cur, query("stats_unit_level"), params)
        if not found:
            raise UnknownGrid(
                "grid.unknown_code",
                hint="stats.unit_codes",
                field="grid_code",
                code=grid_code,
                version_id=version.id,
                version=version.name,
            )
        level = str(found[0][0])
        if level not in STATS_LEVELS:
            raise InvalidInput(
                "stats.finer_than_community",
                field="grid_code",
                code=grid_code,
                level=level,
                community=grid_code[:12],
            )
        rows = fetch(cur, stats_query("stats_timeseries", flt), {**params, "level": level})
    frame = pd.DataFrame(rows, columns=["period_start", "n", "days"])
    frame["period_start"] = pd.to_datetime(frame["period_start"]).astype("datetime64[ns]")
    frame["n"] = frame["n"].astype("int64")
    frame["days"] = frame["days"].astype("int64")
    frame.attrs.update(
        {
            "grid_code": grid_code,
            "level": level,
            "interval": interval,
            "grid_version": {"id": version.id, "name": version.name},
            "filter": flt.describe(),
        }
    )
    return frame
