"""Python values for psycopg2 parameters."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def to_param(value: Any) -> Any:
    """numpy/pandas scalars → plain Python; NaN, NaT and NA → None (SQL NULL)."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).tz_localize("UTC").to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value
