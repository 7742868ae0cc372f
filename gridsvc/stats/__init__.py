"""Statistics for the city's analysts: counts per unit, time series, period comparisons and
hot spots, as (Geo)DataFrames.

Everything reads the ``event_daily`` rollup (exact, per community and Beijing day) of the
active grid version, filtered by a :class:`StatsFilter`; the filter's dates are Beijing days,
half-open ``[date_from, date_to)``::

    from datetime import date
    from gridsvc.stats import StatsFilter, counts_by_unit, hotspots
    nov = StatsFilter(categories=("hazard",), date_from=date(2026, 11, 1),
                      date_to=date(2026, 12, 1))
    streets = counts_by_unit(svc, "street", nov, with_geometry=True)
    spots = hotspots(svc, "community", nov)
"""

from gridsvc.stats.compare import compare
from gridsvc.stats.filters import StatsFilter, expand_categories
from gridsvc.stats.grids import counts_by_unit
from gridsvc.stats.hotspots import hotspots, local_statistics
from gridsvc.stats.timeseries import timeseries
from gridsvc.stats.units import STATS_LEVELS

__all__ = [
    "STATS_LEVELS",
    "StatsFilter",
    "compare",
    "counts_by_unit",
    "expand_categories",
    "hotspots",
    "local_statistics",
    "timeseries",
]
