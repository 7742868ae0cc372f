"""Has the number of events in each unit changed between two periods? An exact test per unit.

Counts of events in a unit over two periods are modelled as independent Poisson variables with
rates λ·L and λ_base·L_base (L: the period's length in days). Conditional on their sum, the
current count is binomial: n | n + n_base ~ Binomial(n + n_base, p) with
p = L / (L + L_base) when the daily rate did not change. :func:`compare` runs that exact
conditional test (the standard test for two Poisson counts; Przyborowski & Wilenski 1940),
two-sided, with :func:`scipy.stats.binomtest`: no normal approximation, so it is right for
small counts too.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from scipy import stats

from gridsvc.errors import InvalidInput
from gridsvc.service import Gridsvc
from gridsvc.stats.filters import StatsFilter
from gridsvc.stats.grids import counts_by_unit

METHOD: Final = (
    "exact conditional binomial test of two Poisson counts (two-sided): "
    "n ~ Binomial(n + n_base, days / (days + days_base)) under equal daily rates"
)
_KEYS: Final = ["code", "name", "level", "parent_code"]


def _check(flt_current: StatsFilter, flt_base: StatsFilter) -> tuple[int, int]:
    for name, flt in (("flt_current", flt_current), ("flt_base", flt_base)):
        if flt.days is None:
            raise InvalidInput("stats.needs_dates", field=name)
    assert flt_current.date_from and flt_current.date_to and flt_base.date_from
    assert flt_base.date_to and flt_current.days and flt_base.days
    if not flt_current.same_except_dates(flt_base):
        raise InvalidInput("stats.filters_differ", field="flt_base")
    if flt_current.date_from < flt_base.date_to and flt_base.date_from < flt_current.date_to:
        raise InvalidInput(
            "stats.periods_overlap",
            field="flt_base",
            from1=flt_current.date_from,
            to1=flt_current.date_to,
            from2=flt_base.date_from,
            to2=flt_base.date_to,
        )
    return flt_current.days, flt_base.days


def poisson_rate_test(n: int, n_base: int, share: float) -> float:
    """Two-sided p-value of ``n`` given ``n + n_base`` under Binomial(n + n_base, share);
    1.0 when both counts are zero (no events say nothing about a change)."""
    total = n + n_base
    if total == 0:
        return 1.0
    return float(stats.binomtest(n, total, share, alternative="two-sided").pvalue)


def compare(
    svc: Gridsvc,
    level: str,
    flt_current: StatsFilter,
    flt_base: StatsFilter,
    *,
    alpha: float = 0.05,
    fdr: bool = False,
) -> pd.DataFrame:
    """Per unit of ``level``: events in the current period against the base period.

    Both filters need closed date ranges, must not overlap, and must agree in everything but
    their dates. One row per unit (zeros included), in code order, with ``code``, ``name``,
    ``level``, ``parent_code`` and:

    - ``n``, ``n_base``: events in each period; ``days``, ``days_base``: the periods' lengths;
    - ``change`` = n − n_base; ``change_pct`` = 100 · change / n_base (NaN when n_base is 0);
      both compare raw counts, so for periods of unequal length read ``rate_ratio``
      = (n / days) / (n_base / days_base) (inf when only n_base is 0, NaN when both are);
    - ``p_value``: the two-sided exact conditional test (module docstring; 1.0 when both
      counts are 0); ``p_adjusted``: Benjamini–Hochberg adjusted across the units that have
      an event in either period (1.0 for the others);
    - ``significant``: ``p_value <= alpha`` (``p_adjusted <= alpha`` with ``fdr``);
    - ``method``: the test, in words.

    Raises ``InvalidInput`` when the filters do not qualify, and what
    :func:`~gridsvc.stats.grids.counts_by_unit` raises.
    """
    if not 0 < alpha < 1:
        raise InvalidInput("stats.alpha", field="alpha", value=alpha)
    days, days_base = _check(flt_current, flt_base)
    current = counts_by_unit(svc, level, flt_current)
    base = counts_by_unit(svc, level, flt_base)
    frame = current[_KEYS].copy()
    frame["n"] = current["n"].to_numpy()
    frame["n_base"] = base.set_index("code")["n"].reindex(frame["code"]).to_numpy()
    frame["days"] = days
    frame["days_base"] = days_base
    n = frame["n"].to_numpy(np.float64)
    n_base = frame["n_base"].to_numpy(np.float64)
    frame["change"] = frame["n"] - frame["n_base"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["change_pct"] = np.where(n_base > 0, 100.0 * (n - n_base) / n_base, np.nan)
        frame["rate_ratio"] = (n / days) / (n_base / days_base)
    share = days / (days + days_base)
    p_values = np.array(
        [
            poisson_rate_test(int(a), int(b), share)
            for a, b in zip(frame["n"], frame["n_base"], strict=True)
        ]
    )
    frame["p_value"] = p_values
    # units without any event test nothing: they are left out of the adjustment
    tested = (frame["n"] + frame["n_base"]).to_numpy() > 0
    adjusted = np.ones_like(p_values)
    if tested.any():
        adjusted[tested] = stats.false_discovery_control(p_values[tested], method="bh")
    frame["p_adjusted"] = adjusted
    decisive = frame["p_adjusted"] if fdr else frame["p_value"]
    frame["significant"] = (decisive <= alpha).to_numpy(bool)
    frame["method"] = METHOD
    frame.attrs.update(
        {
            "grid_version": current.attrs["grid_version"],
            "level": current.attrs["level"],
            "filter_current": flt_current.describe(),
            "filter_base": flt_base.describe(),
            "alpha": alpha,
            "fdr": fdr,
            "expected_share": share,
        }
    )
    return frame
