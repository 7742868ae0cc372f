"""Hot spots (gridsvc.stats.hotspots): a planted cluster is found, random data is not.

Events are generated uniformly in area (each community's base rate proportional to its area,
not its population), so that without a plant the density has no spatial pattern at all and
with one the planted block is the only pattern. Neighbours for choosing the block come from
shapely's ``touches`` on the polygons, not from the code under test.

Permutation p-values are at least 2/(R + 1), and the Benjamini–Hochberg adjustment multiplies
the smallest by n / (units at that floor): with 1,255 communities, 99% under FDR needs R in
the tens of thousands, hence 99,999 for the planted block (the default).
"""

from __future__ import annotations

import io
import warnings
from datetime import datetime
from typing import Any

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from esda.getisord import _g_local_star_crand
from libpysal import weights

from gridsvc.errors import InvalidInput
from gridsvc.events.generate import BEIJING, DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids import store
from gridsvc.service import Gridsvc
from gridsvc.stats import StatsFilter, counts_by_unit, hotspots, local_statistics
from gridsvc.stats.hotspots import CLASSES, _permutation_tails, contiguity

END = datetime(2026, 11, 15, tzinfo=BEIJING)
COUNT = 20_000


def _communities(svc: Gridsvc) -> gpd.GeoDataFrame:
    units = store.read_units(svc.db, store.active_version(svc.db).id)
    return units[units["level"] == "community"].sort_values("code").reset_index(drop=True)


def _touching(comm: gpd.GeoDataFrame) -> list[set[int]]:
    """Row positions of the communities whose polygons touch each one (queen-like)."""
    tree = comm.sindex
    return [
        {int(j) for j in tree.query(geom, predicate="touches")} - {i}
        for i, geom in enumerate(comm.geometry)
    ]


def _planted_block(comm: gpd.GeoDataFrame) -> list[str]:
    """Six adjacent communities of middling size, each touching at least three of the others.

    A unit's neighbours are drawn from all units, planted ones included, so a unit with only
    two planted neighbours cannot be rarer than the chance of drawing two of the five others
    (about 3e-4): each needs three to reach 99% after FDR.
    """
    near = _touching(comm)
    area = comm["area_km2"].to_numpy()
    for seed in range(len(comm)):
        if not 1.5 <= area[seed] <= 6:
            continue
        candidates = sorted(
            (j for j in near[seed] if 1 <= area[j] <= 8),
            key=lambda j: (-len(near[j] & near[seed]), comm.at[j, "code"]),
        )
        block = [seed, *candidates[:5]]
        if len(block) == 6 and all(len(near[j] & set(block)) >= 3 for j in block):
            return [str(comm.at[j, "code"]) for j in block]
    raise AssertionError("no compact block of six communities in the default grid")


def _import_uniform_in_area(
    svc: Gridsvc, *, seed: int, plant: dict[str, float] | None = None
) -> None:
    units = store.read_units(svc.db, store.active_version(svc.db).id)
    units["population"] = (units["area_km2"] * 1000).round().astype("int64")
    chunks = generate_events(
        units, DEFAULT_MIX, count=COUNT, days=28, seed=seed, end=END, hotspots=0, plant=plant
    )
    buffer = io.BytesIO()
    write_events_csv(buffer, chunks)
    buffer.seek(0)
    report = import_events(svc, buffer, filename="uniform.csv")
    assert report.stored == COUNT


def test_a_planted_block_is_hot_at_99_percent_after_fdr(svc: Gridsvc) -> None:
    comm = _communities(svc)
    block = _planted_block(comm)
    _import_uniform_in_area(svc, seed=11, plant=dict.fromkeys(block, 8.0))

    result = hotspots(svc, "community", permutations=99_999, seed=3)

    assert len(result) == len(comm) and result.crs.to_epsg() == 4326
    planted = result.set_index("code").loc[block]
    assert (planted["hotspot_class"] == "hot_99").all(), planted[["n", "p_adjusted"]]
    assert (planted["bin"] == 3).all() and (planted["p_adjusted"] <= 0.01).all()
    # a hot spot is the block and what touches it, nothing far away
    near = _touching(comm)
    positions = set(comm.index[comm["code"].isin(block)])
    around = positions | set().union(*(near[i] for i in positions))
    hot = set(result.index[result["bin"] > 0])
    assert hot <= around
    # The smallest old-city communities (a third of a km², under one event expected) can come
    # out cold: their densities vary most and they cluster (see the module doc of hotspots).
    assert int((result["bin"] < 0).sum()) <= 13
    assert set(result["hotspot_class"]) <= set(CLASSES)
    assert result.attrs["method"] == "gi_star" and result.attrs["fdr"] is True
    assert result.attrs["p_floor"] == pytest.approx(2 / 100_000)

    # local Moran's I finds the block as High-High
    moran = hotspots(svc, "community", method="local_moran", permutations=9_999, fdr=False)
    planted_m = moran.set_index("code").loc[block]
    assert (planted_m["quadrant"] == "HH").all()
    assert planted_m["hotspot_class"].str.startswith("hot_").all()


def test_spatially_random_events_are_not_flagged_at_99_percent(svc: Gridsvc) -> None:
    _import_uniform_in_area(svc, seed=12)

    result = hotspots(svc, "community", value="density", permutations=49_999, seed=4)
    assert result.attrs["value"] == "density"

    flagged = int((result["confidence"] == 99).sum())
    assert flagged <= 13, result.sort_values("p_value").head(20)
    assert flagged == int((result["p_adjusted"] <= 0.01).sum())
    # classes follow the adjusted p-values exactly
    for level, threshold in ((99, 0.01), (95, 0.05), (90, 0.10)):
        assert ((result["confidence"] >= level) == (result["p_adjusted"] <= threshold)).all()
    # raw p-values are valid: without FDR about 1% of units would be flagged at 99% by
    # chance (densities of small units vary more, and small units cluster, so somewhat more)
    assert int((result["p_value"] <= 0.01).sum()) <= 0.05 * len(result)


# --- without a database: the machinery on the default grid file and on synthetic maps ---------


@pytest.fixture(scope="module")
def communities() -> gpd.GeoDataFrame:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "gis_data" / "nanjing_grids.gpkg"
    units = gpd.read_file(path, layer="grid_unit")
    return units[units["level"] == "community"].sort_values("code").reset_index(drop=True)


def test_permutation_tails_agree_with_esdas_own_p_sim(communities: gpd.GeoDataFrame) -> None:
    rng = np.random.default_rng(8)
    y = rng.poisson(3 * communities["area_km2"].to_numpy()) / communities["area_km2"].to_numpy()
    w, _ = contiguity(communities)
    w_star = weights.fill_diagonal(w, 1.0)
    w_star.transform = "r"
    with warnings.catch_warnings():
        # esda 2.x warns that its default p_sim ('directed') will change in esda 3
        warnings.simplefilter("ignore", DeprecationWarning)
        reference = esda.G_Local(
            y,
            weights.fill_diagonal(w, 1.0),
            transform="R",
            star=None,
            permutations=999,
            seed=21,
            n_jobs=1,
            keep_simulations=False,
        )
    greater, lesser = _permutation_tails(
        y, w_star, reference.Gs, _g_local_star_crand, float(y.sum()), 999, 21, 1
    )
    at_least = np.rint(greater * 1000) - 1  # draws >= observed
    directed = (np.minimum(at_least, 999 - at_least) + 1) / 1000  # esda's default p_sim
    np.testing.assert_allclose(directed, reference.p_sim, atol=1e-9)
    # ties count against significance in both tails
    assert (np.rint(greater * 1000) + np.rint(lesser * 1000) >= 1001).all()


def test_results_are_reproducible_and_leave_numpys_generator_alone(
    communities: gpd.GeoDataFrame,
) -> None:
    y = communities["area_km2"].to_numpy() % 1.7
    np.random.seed(99)
    untouched = np.random.random()
    np.random.seed(99)
    first = local_statistics(communities, y, permutations=199, seed=5)
    assert np.random.random() == untouched  # esda reseeds the global generator; we restore it
    second = local_statistics(communities, y, permutations=199, seed=5)
    pd.testing.assert_frame_equal(
        pd.DataFrame(first.drop(columns="geometry")), pd.DataFrame(second.drop(columns="geometry"))
    )


def _lattice(rows: int, cols: int) -> gpd.GeoDataFrame:
    cells = [shapely.box(c, r, c + 1, r + 1) for r in range(rows) for c in range(cols)]
    return gpd.GeoDataFrame({"code": [f"u{i:03d}" for i in range(len(cells))]}, geometry=cells)


def test_local_moran_types_clusters_and_outliers() -> None:
    grid = _lattice(10, 10).set_crs("EPSG:32650")
    col = np.arange(100) % 10
    rng = np.random.default_rng(2)
    y = np.where(col < 5, 10.0, 0.0) + rng.uniform(0, 0.5, 100)
    outlier = 7 * 10 + 8  # row 7, column 8: deep in the low half
    y[outlier] = 10.0
    result = local_statistics(grid, y, method="local_moran", permutations=999, fdr=False)
    assert result.at[outlier, "quadrant"] == "HL"
    assert result.at[outlier, "hotspot_class"] == "high_low_outlier"
    assert result.at[outlier, "bin"] == 0 and result.at[outlier, "confidence"] > 0
    inner_high = 5 * 10 + 2
    inner_low = 2 * 10 + 7
    assert result.at[inner_high, "hotspot_class"].startswith("hot_")
    assert result.at[inner_low, "hotspot_class"].startswith("cold_")


def test_an_island_gets_its_nearest_unit_as_neighbour() -> None:
    grid = _lattice(6, 6)
    island = gpd.GeoDataFrame({"code": ["island"]}, geometry=[shapely.box(8.5, 2, 9.5, 3)])
    frame = pd.concat([grid, island], ignore_index=True).set_crs("EPSG:32650")
    w, islands = contiguity(frame)
    neighbours: dict[Any, list[Any]] = w.neighbors
    assert islands == [36]
    assert neighbours[36] == [17]  # the cell at row 2, column 5 is nearest
    y = np.arange(37, dtype=float)
    result = local_statistics(frame, y, permutations=99)
    assert result.attrs["islands_attached"] == ["island"]
    assert np.isfinite(result.at[36, "statistic"])


def test_a_map_without_variation_has_no_hot_spots() -> None:
    grid = _lattice(6, 6).set_crs("EPSG:32650")
    result = local_statistics(grid, np.full(36, 2.5), permutations=99)
    assert (result["hotspot_class"] == "not_significant").all()
    assert (result["p_value"] == 1.0).all()


def test_bad_arguments_are_refused(shared_svc: Gridsvc) -> None:
    with pytest.raises(InvalidInput, match="at least 30 units"):
        hotspots(shared_svc, "district", permutations=99)
    with pytest.raises(InvalidInput, match="permutations"):
        hotspots(shared_svc, permutations=9)
    with pytest.raises(InvalidInput, match="method"):
        hotspots(shared_svc, method="kriging", permutations=99)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="value"):
        hotspots(shared_svc, value="rate", permutations=99)  # type: ignore[arg-type]
    # nothing matches: every unit has 0 events, nothing is hot
    empty = StatsFilter(categories=("illegal_finance",))
    assert counts_by_unit(shared_svc, "street", empty)["n"].sum() == 0
    result = hotspots(shared_svc, "street", empty, permutations=99)
    assert (result["hotspot_class"] == "not_significant").all()
