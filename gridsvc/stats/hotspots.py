"""Hot and cold spots of events: local Getis–Ord Gi* or local Moran's I, with esda.

**Values.** ``value="density"`` (default) analyses events per km², ``"count"`` raw counts;
communities' areas differ a hundredfold, so counts mostly map area.

**Neighbours.** Queen contiguity of the unit polygons (``libpysal.weights.Queen``: units that
share at least one vertex). A unit with no neighbour (an island, e.g. in the Yangtze) is
given its nearest unit (centroids, in the dataset's UTM zone) as neighbour, so every unit is
tested. Weights are row-standardised; Gi* includes the unit itself with the weight of a
neighbour (ArcGIS's Gi*).

**Inference.** Conditional permutation (esda's ``crand``): each unit's value is held and its
neighbours are drawn at random from the other units, ``permutations`` times (the same seeded
draws for every unit). As the unit's own value is held, significance comes from its
neighbourhood: one high unit among ordinary ones is not a hot spot. From the number of draws
whose statistic is at least (at most) the observed one, ``p_greater`` = (#≥ + 1)/(R + 1) and
``p_lesser`` = (#≤ + 1)/(R + 1), ties counting against significance. The reported
``p_value`` is two-sided, min(1, 2 · min(p_greater, p_lesser)), as ArcGIS's confidence levels
are; its smallest value is 2/(R + 1). The direction is the smaller tail: a larger Gi* than
chance is hot, smaller cold.

**Multiple testing.** With ``fdr`` (default) the classes use Benjamini–Hochberg adjusted
p-values across all units of the analysis (``p_adjusted``, scipy's
``false_discovery_control``); without, the raw ``p_value``. A unit is at confidence 99 if the
p-value used is ≤ 0.01, 95 if ≤ 0.05, 90 if ≤ 0.10, else 0. Adjusted p-values cannot fall
below the floor times n / (number of units at the floor): with 1,255 communities and 999
permutations no unit can reach 99% unless 251 units are at the floor, with 9,999 it takes 26,
with 99,999 (the default) 3. Fewer permutations are fine for 90%/95% maps of large clusters.

**Small units.** The permutation null treats the values as exchangeable. Densities of small
units vary more (a third of a km² expecting one event is 0 or 3 per km² by chance), and in
Nanjing the small communities cluster in the old city, so there zero-event neighbourhoods can
come out as cold spots, and raw p-values are somewhat too small (on events uniform in area,
2-3% of communities instead of 1% at p ≤ 0.01, mostly cold). The FDR correction keeps this
to a few units; for rare categories prefer ``value="count"``, a longer period or the street
level.

**Classes** (ArcGIS's Gi_Bin −3…3 → ``bin``): ``hot_99`` (3), ``hot_95`` (2), ``hot_90`` (1),
``not_significant`` (0), ``cold_90`` (−1), ``cold_95`` (−2), ``cold_99`` (−3). For local
Moran's I the quadrant of a significant unit (its value and its neighbours' mean, each above
or below the mean of all units) decides: High-High is ``hot_*``, Low-Low ``cold_*``, and the
outliers High-Low and Low-High are ``high_low_outlier`` and ``low_high_outlier`` (``bin`` 0,
their level in ``confidence``), as ArcGIS's Cluster and Outlier Analysis types them.

Cost: O(units · permutations · neighbours) time, memory bounded (draws are counted in chunks);
about 1 s per 10,000 permutations for 1,255 communities on one core (esda without numba).
"""

from __future__ import annotations

import copy
import warnings
from typing import Any, Final, Literal, get_args

import esda
import geopandas as gpd
import numpy as np
import numpy.typing as npt
from esda.crand import crand
from esda.getisord import _g_local_star_crand
from esda.moran import _moran_local_crand
from libpysal import weights
from scipy import stats

from gridsvc.errors import InvalidInput
from gridsvc.service import Gridsvc
from gridsvc.stats.filters import StatsFilter
from gridsvc.stats.grids import counts_by_unit

Method = Literal["gi_star", "local_moran"]
Value = Literal["density", "count"]
METHODS: Final[tuple[Method, ...]] = get_args(Method)
VALUES: Final[tuple[Value, ...]] = get_args(Value)
CLASSES: Final = ("hot_99", "hot_95", "hot_90", "not_significant", "cold_90", "cold_95", "cold_99")
OUTLIER_CLASSES: Final = ("high_low_outlier", "low_high_outlier")
CONFIDENCE_LEVELS: Final = ((99, 0.01), (95, 0.05), (90, 0.10))
MIN_UNITS: Final = 30
MIN_PERMUTATIONS: Final = 99
DEFAULT_PERMUTATIONS: Final = 99_999
DEFAULT_SEED: Final = 12_345
_MAX_KEPT: Final = 20_000_000  # simulated statistics held at once (8 bytes each)

FloatArray = npt.NDArray[np.float64]


def contiguity(frame: gpd.GeoDataFrame) -> tuple[weights.W, list[int]]:
    """Queen contiguity of ``frame``'s polygons (ids = row positions), islands attached to
    their nearest unit; returns the binary weights and the positions of the islands."""
    w = weights.Queen.from_dataframe(frame, use_index=False, silence_warnings=True)
    islands = [int(i) for i in w.islands]
    if islands:
        metric = frame.geometry.to_crs(frame.estimate_utm_crs())
        centroids = gpd.GeoDataFrame(geometry=metric.centroid.reset_index(drop=True))
        knn = weights.KNN.from_dataframe(centroids, k=1, use_index=False, silence_warnings=True)
        w = weights.attach_islands(w, knn, silence_warnings=True)
    return w, islands


def _chunk_seeds(seed: int, chunks: int) -> list[int]:
    """The first chunk uses ``seed`` itself (so a single chunk reproduces esda's own classes
    for that seed); the others get independent seeds derived from it."""
    derived = [int(np.random.SeedSequence([seed, c]).generate_state(1)[0]) for c in range(chunks)]
    return [seed, *derived[1:]]


def _permutation_tails(
    values: FloatArray,
    w: weights.W,
    observed: FloatArray,
    stat_func: Any,
    scaling: float | None,
    permutations: int,
    seed: int,
    n_jobs: int,
) -> tuple[FloatArray, FloatArray]:
    """(p_greater, p_lesser) of ``observed`` under esda's conditional randomisation:
    (#draws ≥ observed + 1)/(R + 1) and (#draws ≤ observed + 1)/(R + 1).

    Both tails are counted on the same draws, kept in chunks of at most ~2·10⁷ statistics
    (160 MB) so that memory does not grow with ``permutations``. ``crand`` zeroes the diagonal
    of the weights it is given and reseeds numpy's global generator, so it gets a copy and the
    caller's generator state is put back.
    """
    n = len(values)
    per_chunk = max(1, min(permutations, _MAX_KEPT // max(n, 1)))
    sizes = [per_chunk] * (permutations // per_chunk)
    if permutations % per_chunk:
        sizes.append(permutations % per_chunk)
    at_least = np.zeros(n, np.int64)
    at_most = np.zeros(n, np.int64)
    state = np.random.get_state()
    try:
        for size, chunk_seed in zip(sizes, _chunk_seeds(seed, len(sizes)), strict=True):
            _, drawn = crand(
                values,
                copy.deepcopy(w),
                observed,
                size,
                True,
                n_jobs,
                stat_func,
                scaling=scaling,
                seed=chunk_seed,
                alternative="greater",
            )
            drawn = np.asarray(drawn, np.float64).reshape(n, size)
            # the observed statistic and the draws are summed in different orders: a draw
            # within rounding of the observed one is a tie
            tol = 1e-9 * np.maximum(np.abs(observed), np.abs(drawn).max(axis=1))[:, None]
            at_least += (drawn >= observed[:, None] - tol).sum(axis=1)
            at_most += (drawn <= observed[:, None] + tol).sum(axis=1)
    finally:
        np.random.set_state(state)
    return (at_least + 1) / (permutations + 1), (at_most + 1) / (permutations + 1)


def _confidence(p_used: FloatArray) -> npt.NDArray[np.int64]:
    confidence = np.zeros(p_used.shape, np.int64)
    for level, threshold in reversed(CONFIDENCE_LEVELS):  # 90, 95, then 99 overwrite
        confidence[p_used <= threshold] = level
    return confidence


_BIN_OF: Final = {99: 3, 95: 2, 90: 1, 0: 0}


def local_statistics(
    frame: gpd.GeoDataFrame,
    values: FloatArray,
    *,
    method: Method = "gi_star",
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    fdr: bool = True,
    n_jobs: int = 1,
) -> gpd.GeoDataFrame:
    """The hot spot columns for ``values`` (one per row of ``frame``, ≥ 0 for Gi*) on
    ``frame``'s polygons; see the module docstring. Works on any GeoDataFrame of polygons.

    Returns a copy of ``frame`` with ``value``, ``statistic`` (Gi* as a share of the total, or
    local I), ``z_score`` (esda's normal-theory z: Gi* under total randomisation as ArcGIS's
    GiZScore; local I under conditional randomisation), ``p_value``, ``p_adjusted``,
    ``confidence`` (99/95/90/0), ``bin`` (−3…3), ``hotspot_class`` and, for local Moran,
    ``quadrant`` (HH, LH, LL, HL).
    """
    if method not in METHODS:
        raise InvalidInput("common.unknown_choice", field="method", value=method, choices=METHODS)
    if permutations < MIN_PERMUTATIONS:
        raise InvalidInput(
            "hotspot.permutations",
            field="permutations",
            minimum=MIN_PERMUTATIONS,
            value=permutations,
        )
    y = np.asarray(values, np.float64)
    n = len(frame)
    if y.shape != (n,) or not np.isfinite(y).all():
        raise InvalidInput("hotspot.values", field="values")
    if n < MIN_UNITS:
        raise InvalidInput("hotspot.min_units", field="level", minimum=MIN_UNITS, count=n)
    if method == "gi_star" and (y < 0).any():
        raise InvalidInput("hotspot.negative", field="values")

    out = frame.copy()
    out["value"] = y
    w, islands = contiguity(frame)
    stat = np.full(n, np.nan)
    z_score = np.full(n, np.nan)
    p_value = np.ones(n)
    quadrant = np.full(n, "", dtype=object)
    direction = np.zeros(n, np.int64)
    if np.ptp(y) > 0:  # a constant map has no pattern; esda would divide by zero
        if method == "gi_star":
            w_star = weights.fill_diagonal(w, 1.0)
            w_star.transform = "r"
            g = esda.G_Local(y, copy.deepcopy(w_star), transform="R", star=None, permutations=0)
            stat, z_score = np.asarray(g.Gs, np.float64), np.asarray(g.Zs, np.float64)
            p_greater, p_lesser = _permutation_tails(
                y, w_star, stat, _g_local_star_crand, float(y.sum()), permutations, seed, n_jobs
            )
        else:
            w.transform = "r"
            # a unit exactly at the mean has I = 0 and no variance: its z is NaN, not a warning
            with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
                warnings.simplefilter("ignore", category=RuntimeWarning)
                m = esda.Moran_Local(y, copy.deepcopy(w), transformation="r", permutations=0)
                stat = np.asarray(m.Is, np.float64)
                z_score = (stat - m.EIc) / np.sqrt(m.VIc)
            quadrant = np.array(["", "HH", "LH", "LL", "HL"], dtype=object)[np.asarray(m.q)]
            p_greater, p_lesser = _permutation_tails(
                np.asarray(m.z, np.float64), w, stat, _moran_local_crand, None,
                permutations, seed, n_jobs,
            )  # fmt: skip
        p_value = np.minimum(1.0, 2.0 * np.minimum(p_greater, p_lesser))
        direction = np.sign(p_lesser - p_greater).astype(np.int64)  # +1: larger than chance
    p_adjusted = stats.false_discovery_control(p_value, method="bh")
    confidence = _confidence(p_adjusted if fdr else p_value)
    if method == "gi_star":
        sign = direction
    else:
        sign = np.select([quadrant == "HH", quadrant == "LL"], [1, -1], 0).astype(np.int64)
    level_bin = np.array([_BIN_OF[int(c)] for c in confidence], np.int64)
    bins = sign * level_bin
    classes = np.array([_class_name(int(b)) for b in bins], dtype=object)
    if method == "local_moran":
        significant = confidence > 0
        classes[significant & (quadrant == "HL")] = "high_low_outlier"
        classes[significant & (quadrant == "LH")] = "low_high_outlier"

    out["statistic"] = stat
    out["z_score"] = z_score
    out["p_value"] = p_value
    out["p_adjusted"] = p_adjusted
    out["confidence"] = confidence
    out["bin"] = bins
    out["hotspot_class"] = classes
    if method == "local_moran":
        out["quadrant"] = quadrant
    out.attrs.update(
        {
            "method": method,
            "permutations": permutations,
            "seed": seed,
            "fdr": fdr,
            "p_floor": 2.0 / (permutations + 1),
            "weights": "queen contiguity, row-standardised"
            + (", self-weight as a neighbour's (Gi*)" if method == "gi_star" else ""),
            "islands_attached": [str(frame.iloc[i].get("code", i)) for i in islands],
        }
    )
    return out


def _class_name(bin_value: int) -> str:
    if bin_value == 0:
        return "not_significant"
    level = {1: 90, 2: 95, 3: 99}[abs(bin_value)]
    return f"{'hot' if bin_value > 0 else 'cold'}_{level}"


def hotspots(
    svc: Gridsvc,
    level: str = "community",
    flt: StatsFilter | None = None,
    *,
    method: Method = "gi_star",
    value: Value = "density",
    permutations: int = DEFAULT_PERMUTATIONS,
    seed: int = DEFAULT_SEED,
    fdr: bool = True,
    n_jobs: int = 1,
) -> gpd.GeoDataFrame:
    """Hot and cold spots of events matching ``flt`` among the units of ``level``.

    The columns of :func:`~gridsvc.stats.grids.counts_by_unit` (with geometry) plus those of
    :func:`local_statistics`; the module docstring says exactly how units are classed.
    ``attrs`` adds the method, permutations, seed, FDR flag, the p-value floor and the islands
    that were attached to their nearest unit. Deterministic for a given ``seed``.

    Raises ``InvalidInput`` for an unknown method or value, fewer than 30 units or fewer than
    99 permutations, and what ``counts_by_unit`` raises.
    """
    if value not in VALUES:
        raise InvalidInput("common.unknown_choice", field="value", value=value, choices=VALUES)
    units = counts_by_unit(svc, level, flt, with_geometry=True)
    column = "density_per_km2" if value == "density" else "n"
    values = units[column].to_numpy(np.float64, na_value=0.0)
    result = local_statistics(
        units,
        values,
        method=method,
        permutations=permutations,
        seed=seed,
        fdr=fdr,
        n_jobs=n_jobs,
    )
    result.attrs.update({**units.attrs, **result.attrs, "value": value})
    return result
