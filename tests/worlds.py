"""Test data shared by the test modules: generated events imported as a city's file would be."""

from __future__ import annotations

import io

import pandas as pd

from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc

END = pd.Timestamp("2026-11-28T00:00:00+08:00").to_pydatetime()
"""Where the generated events end: fixed, so the same seed gives the same rows on any day."""


def import_generated(
    svc: Gridsvc, *, count: int, days: int, seed: int, filename: str = "generated.csv"
) -> None:
    """Import ``count`` events generated over the ``days`` days before :data:`END` into the
    active grids' communities (the generator's default mix), through the bulk importer."""
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    buf = io.BytesIO()
    write_events_csv(
        buf, generate_events(units, DEFAULT_MIX, count=count, days=days, seed=seed, end=END)
    )
    buf.seek(0)
    import_events(svc, buf, filename=filename, synthetic=True)
