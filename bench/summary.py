"""Medians, spreads and percentiles: how every figure of the harness is summarised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Summary:
    """Several runs of one figure: the median, the spread (min/max and quartiles), the runs."""

    median: float
    min: float
    max: float
    q1: float
    q3: float
    runs: tuple[float, ...]

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["runs"] = list(self.runs)
        return out


def summarise(values: Sequence[float]) -> Summary:
    """Summary of one figure over runs; raises ValueError for no runs."""
    if not values:
        raise ValueError("no runs to summarise")
    a = np.asarray(values, dtype=np.float64)
    q1, median, q3 = np.percentile(a, [25, 50, 75])
    return Summary(
        median=float(median),
        min=float(a.min()),
        max=float(a.max()),
        q1=float(q1),
        q3=float(q3),
        runs=tuple(float(v) for v in a),
    )


def percentile_ms(latencies_s: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100, linear interpolation) of latencies in seconds, in ms;
    NaN for no latencies."""
    if not latencies_s:
        return float("nan")
    return float(np.percentile(np.asarray(latencies_s, dtype=np.float64), q)) * 1000.0
