"""The benchmark's data: generated events (fixed seed and end) and samples of them."""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from bench.plan import Plan
from gridsvc import crs as crs_mod
from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.grids.default import default_dataset_path
from gridsvc.settings import GridSettings


def generate_csv(path: Path, plan: Plan) -> dict[str, Any]:
    """Write ``plan.events`` generated events (the import format) to ``path``; what
    ``gridsvc events generate`` writes, with a fixed end so the rows do not depend on today."""
    started = time.perf_counter()
    units = gpd.read_file(default_dataset_path(GridSettings()), layer="grid_unit")
    chunks = generate_events(
        units, DEFAULT_MIX, count=plan.events, days=plan.days, seed=plan.seed, end=plan.end
    )
    rows = write_events_csv(path, chunks)
    return {
        "rows": rows,
        "bytes": path.stat().st_size,
        "seconds": round(time.perf_counter() - started, 3),
        "seed": plan.seed,
        "days": plan.days,
        "end": plan.end.isoformat(),
    }


def read_rows(path: Path, count: int) -> list[dict[str, str]]:
    """The first ``count`` rows of the CSV as dicts of strings."""
    rows: list[dict[str, str]] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            rows.append(row)
            if len(rows) >= count:
                break
    return rows


@dataclass(frozen=True)
class Points:
    """Points of the generated events in WGS-84 degrees (converted from the sent CRS)."""

    lon_wgs84: npt.NDArray[np.float64]
    lat_wgs84: npt.NDArray[np.float64]


def read_points(path: Path, count: int) -> Points:
    """The first ``count`` event locations, converted to WGS-84 as the importer does."""
    frame = pd.read_csv(path, usecols=["lon", "lat", "crs"], nrows=count)
    lon = frame["lon"].to_numpy(dtype=np.float64).copy()
    lat = frame["lat"].to_numpy(dtype=np.float64).copy()
    systems = frame["crs"].fillna("wgs84").astype(str).to_numpy()
    for name in np.unique(systems):
        mask = systems == name
        lon[mask], lat[mask] = crs_mod.to_wgs84(lon[mask], lat[mask], crs_mod.Crs.parse(name))
    return Points(lon, lat)
