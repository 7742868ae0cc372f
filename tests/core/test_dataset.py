"""The committed default grid dataset, gis_data/nanjing_grids.gpkg, checked without a database.

Areas and tolerances are in m² on an Albers equal-area projection centred on Nanjing.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely import Geometry

GIS_DATA = Path(__file__).resolve().parents[2] / "gis_data"
GPKG = GIS_DATA / "nanjing_grids.gpkg"
META = GIS_DATA / "nanjing_grids.meta.json"
REGISTER = GIS_DATA / "source" / "nanjing_divisions_2023.csv"
DISTRICTS = GIS_DATA / "source" / "nanjing_districts.geojson"

EQUAL_AREA = (
    "+proj=aea +lat_0=32 +lon_0=118.8 +lat_1=31.3 +lat_2=32.6 +ellps=GRS80 +units=m +no_defs"
)
TOLERANCE_M2 = 1.0
# A rebuild must match the committed file to these. The build's layout is the same bits on
# every CPU (gis_data/partition.py); what is left is GEOS and pyproj's geodesic area, whose
# libm calls may round differently (2.6e-11 relative seen with glibc's FMA variants off).
# 1 cm is the build's own snapping grid; a moved cut or another seed moves metres.
HAUSDORFF_TOLERANCE_M = 0.01
AREA_RTOL = 1e-6
POPULATION_TOLERANCE = 1  # largest-remainder rounding may move one resident between two
OLD_CITY = ("320102", "320104", "320105", "320106")  # 玄武 秦淮 建邺 鼓楼
RURAL = ("320116", "320117", "320118")  # 六合 溧水 高淳
LEVELS = {"city": 1, "district": 11, "sector": 12, "street": 101, "community": 1255}
COLUMNS = [
    "code",
    "level",
    "name",
    "parent_code",
    "sector_code",
    "kind",
    "area_km2",
    "population",
    "synthetic",
    "geometry",
]


@pytest.fixture(scope="module")
def units() -> gpd.GeoDataFrame:
    return gpd.read_file(GPKG, layer="grid_unit")


@pytest.fixture(scope="module")
def units_m(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return units.to_crs(EQUAL_AREA)


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    return pd.read_csv(REGISTER, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def meta() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(META.read_text(encoding="utf-8"))
    return result


def level(frame: gpd.GeoDataFrame, name: str) -> gpd.GeoDataFrame:
    return frame[frame["level"] == name]


def tiling_defects_m2(children: gpd.GeoSeries, parent: Geometry) -> dict[str, float]:
    """How far metric ``children`` are from tiling ``parent``: overlap, gap, area outside."""
    union = shapely.union_all(children.values)
    return {
        "overlap": float(children.area.sum() - union.area),
        "gap": float(shapely.difference(parent, union).area),
        "outside": float(shapely.difference(union, parent).area),
    }


def test_one_multipolygon_layer_in_wgs84(units: gpd.GeoDataFrame) -> None:
    assert pyogrio.list_layers(GPKG).tolist() == [["grid_unit", "MultiPolygon"]]
    assert units.crs.to_epsg() == 4326
    assert list(units.columns) == COLUMNS
    assert set(units.geom_type) == {"MultiPolygon"}


def test_counts_per_level(units: gpd.GeoDataFrame) -> None:
    assert units["level"].value_counts().to_dict() == LEVELS
    assert units["code"].is_unique


@pytest.mark.parametrize("name", ["city", "district", "street", "community"])
def test_codes_names_parents_and_kinds_match_the_register(
    units: gpd.GeoDataFrame, register: pd.DataFrame, name: str
) -> None:
    fields = ["code", "name", "parent_code", "kind"]
    expected = register.loc[register["level"] == name, fields].sort_values("code")
    found = level(units, name)[fields].fillna("").sort_values("code")
    assert found.to_numpy().tolist() == expected.to_numpy().tolist()


def test_sectors_follow_the_register(units: gpd.GeoDataFrame, register: pd.DataFrame) -> None:
    districts = register[register["level"] == "district"].set_index("name")["code"]
    streets = register[register["level"] == "street"]
    expected = {
        name: "S" + districts[name] if name in districts.index else "SJBXQ"
        for name in streets["sector"].unique()
    }
    sectors = level(units, "sector")
    assert dict(zip(sectors["name"], sectors["code"], strict=True)) == expected
    assert set(sectors["parent_code"]) == {"320100"}
    assert set(sectors["kind"]) == {"板块"}

    street_rows = level(units, "street").set_index("code")
    assert street_rows["sector_code"].to_dict() == {
        row.code: expected[row.sector] for row in streets.itertuples()
    }
    communities = level(units, "community")
    assert (
        communities["sector_code"] == communities["parent_code"].map(street_rows["sector_code"])
    ).all()
    others = units[~units["level"].isin(["street", "community"])]
    assert others["sector_code"].isna().all()


def test_only_city_and_districts_are_real(units: gpd.GeoDataFrame) -> None:
    real = units["level"].isin(["city", "district"])
    assert not units.loc[real, "synthetic"].any()
    assert units.loc[~real, "synthetic"].all()


def test_geometries_are_valid_and_non_empty(units: gpd.GeoDataFrame) -> None:
    assert units.is_valid.all()
    assert not units.is_empty.any()
    assert (shapely.area(units.geometry.values) > 0).all()


@pytest.mark.parametrize(
    ("child", "parent", "key"),
    [
        ("community", "street", "parent_code"),
        ("street", "district", "parent_code"),
        ("district", "city", "parent_code"),
        ("street", "sector", "sector_code"),
    ],
)
def test_children_tile_their_parent_exactly(
    units: gpd.GeoDataFrame, units_m: gpd.GeoDataFrame, child: str, parent: str, key: str
) -> None:
    children, children_m = level(units, child), level(units_m, child)
    for code, parent_m in level(units_m, parent).set_index("code").geometry.items():
        mine = (children[key] == code).to_numpy()
        assert mine.any(), f"{parent} {code} has no {child}"
        # Exact: shared edges match vertex for vertex, nothing overlaps.
        assert shapely.coverage_is_valid(children.geometry.values[mine]), code
        defects = tiling_defects_m2(children_m.geometry[mine], parent_m)
        assert max(defects.values()) < TOLERANCE_M2, (code, defects)


def test_each_child_lies_in_its_parent(units_m: gpd.GeoDataFrame) -> None:
    by_code = units_m.set_index("code").geometry
    children = units_m[units_m["parent_code"].notna()]
    outside = shapely.difference(children.geometry.values, by_code[children["parent_code"]].values)
    assert shapely.area(outside).max() < TOLERANCE_M2


def test_the_tiling_check_catches_a_shifted_community(units_m: gpd.GeoDataFrame) -> None:
    communities = level(units_m, "community")
    street = communities["parent_code"].iloc[0]
    mine = communities[communities["parent_code"] == street].geometry.copy()
    mine.iloc[0] = shapely.affinity.translate(mine.iloc[0], xoff=10.0)
    parent = units_m.set_index("code").geometry[street]
    defects = tiling_defects_m2(mine, parent)
    assert defects["overlap"] > 100 and defects["gap"] > 100


def test_communities_cover_the_real_districts(units_m: gpd.GeoDataFrame) -> None:
    source = gpd.read_file(DISTRICTS).set_crs(4326, allow_override=True).to_crs(EQUAL_AREA)
    communities = level(units_m, "community")
    covered = shapely.union_all(communities.geometry.values)
    real = shapely.union_all(source.geometry.values)
    assert shapely.symmetric_difference(covered, real).area < 1e-3 * real.area
    districts = level(units_m, "district").set_index("code").geometry
    for code, boundary in source.set_index("code").geometry.items():
        moved = shapely.symmetric_difference(districts[code], boundary).area
        assert moved < 1e-3 * boundary.area, code


def test_area_column_is_the_area(units: gpd.GeoDataFrame, units_m: gpd.GeoDataFrame) -> None:
    measured_km2 = units_m.area.to_numpy() / 1e6
    np.testing.assert_allclose(units["area_km2"].to_numpy(), measured_km2, rtol=1e-3)
    city = level(units, "city")["area_km2"].iloc[0]
    assert 6580 < city < 6600  # the source districts' union, 6,589.8 km²


def test_communities_are_small_in_the_old_city_and_large_in_villages(
    units: gpd.GeoDataFrame,
) -> None:
    communities = level(units, "community")
    district = communities["code"].str[:6]
    old_city = communities[district.isin(OLD_CITY)]["area_km2"]
    assert 0.3 <= old_city.median() <= 3.0
    villages = communities[district.isin(RURAL) & (communities["kind"] == "村委会")]
    assert 5.0 <= villages["area_km2"].median() <= 40.0
    residents = communities[~district.isin(OLD_CITY) & (communities["kind"] == "居委会")]
    assert old_city.median() < residents["area_km2"].median() < villages["area_km2"].median()


def test_population_is_synthetic_but_consistent(units: gpd.GeoDataFrame) -> None:
    people = units.set_index("code")["population"]
    assert people.dtype.kind == "i"
    assert (people > 0).all()
    assert 9.0e6 < people["320100"] < 10.0e6
    # Each city, district and street holds the sum of its children, each sector of its streets.
    by_parent = units[units["level"] != "sector"].groupby("parent_code")["population"].sum()
    assert len(by_parent) == 1 + 11 + 101
    assert (people[by_parent.index] == by_parent).all()
    by_sector = level(units, "street").groupby("sector_code")["population"].sum()
    assert sorted(by_sector.index) == sorted(level(units, "sector")["code"])
    assert (people[by_sector.index] == by_sector).all()
    communities = level(units, "community")
    density = communities["population"] / communities["area_km2"]
    old_city = communities["code"].str[:6].isin(OLD_CITY)
    assert density[old_city].median() > 5 * density[~old_city].median()


def test_meta_describes_the_file(units: gpd.GeoDataFrame, meta: dict[str, Any]) -> None:
    assert meta["synthetic"] is True
    assert meta["counts"] == LEVELS
    assert meta["sha256"] == hashlib.sha256(GPKG.read_bytes()).hexdigest()
    assert meta["population_total"] == level(units, "city")["population"].iloc[0]
    for source in meta["sources"]:
        path = GIS_DATA / source["file"]
        assert source["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def build(out_dir: Path, seed: int) -> gpd.GeoDataFrame:
    command = [sys.executable, str(GIS_DATA / "build.py"), "--seed", str(seed)]
    subprocess.run([*command, "--out-dir", str(out_dir)], check=True, capture_output=True)
    return gpd.read_file(out_dir / "nanjing_grids.gpkg", layer="grid_unit")


@pytest.fixture(scope="module")
def rebuilt(meta: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> gpd.GeoDataFrame:
    return build(tmp_path_factory.mktemp("rebuilt"), int(meta["seed"]))


def differences(found: gpd.GeoDataFrame, committed: gpd.GeoDataFrame) -> list[str]:
    """What separates a rebuilt dataset from the committed one beyond the stated tolerances.

    Exact: the rows in order, codes, levels, names, parents, 板块, kinds, the synthetic flag.
    Within tolerance: each polygon (:data:`HAUSDORFF_TOLERANCE_M`), each area
    (:data:`AREA_RTOL`), each community's residents (:data:`POPULATION_TOLERANCE`; higher
    levels are sums, checked exactly for the city). Empty when the two are the same dataset.
    """
    exact = ["code", "level", "name", "parent_code", "sector_code", "kind", "synthetic"]
    if len(found) != len(committed):
        return [f"{len(found)} rows, committed {len(committed)}"]
    problems = []
    for column in exact:
        left, right = found[column].fillna("-"), committed[column].fillna("-")
        if not (left == right).all():
            first = int(np.flatnonzero((left != right).to_numpy())[0])
            problems.append(f"{column} differs first at {committed['code'].iloc[first]}")
    if problems:
        return problems
    metric = shapely.hausdorff_distance(
        found.to_crs(EQUAL_AREA).geometry.values, committed.to_crs(EQUAL_AREA).geometry.values
    )
    rel = np.abs(found["area_km2"].to_numpy() / committed["area_km2"].to_numpy() - 1.0)
    people = np.abs(found["population"].to_numpy() - committed["population"].to_numpy())
    communities = (committed["level"] == "community").to_numpy()
    for name, values, tolerance, where in (
        ("Hausdorff distance (m)", metric, HAUSDORFF_TOLERANCE_M, slice(None)),
        ("relative area difference", rel, AREA_RTOL, slice(None)),
        ("residents difference", people, POPULATION_TOLERANCE, communities),
    ):
        over = np.flatnonzero(values[where] > tolerance)
        if len(over):
            codes = committed["code"].to_numpy()[where][over]
            worst = float(values[where].max())
            problems.append(
                f"{name} over {tolerance} in {len(over)} units ({codes[0]}…), max {worst}"
            )
    city = (committed["level"] == "city").to_numpy()
    if found.loc[city, "population"].tolist() != committed.loc[city, "population"].tolist():
        problems.append("the city's residents differ")
    return problems


def test_build_reproduces_the_committed_file(
    rebuilt: gpd.GeoDataFrame, units: gpd.GeoDataFrame, meta: dict[str, Any]
) -> None:
    now = {
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "numpy": np.__version__,
        "gdal": pyogrio.__gdal_version_string__,
    }
    then = {name: meta["software"][name] for name in now}
    hint = f"committed file built with {then}, now {now}; rebuild: {meta['build_command']}"
    assert differences(rebuilt, units) == [], hint


@pytest.mark.parametrize(
    ("child", "parent", "key"),
    [("community", "street", "parent_code"), ("street", "district", "parent_code")],
)
def test_the_rebuilt_file_nests_exactly(
    rebuilt: gpd.GeoDataFrame, child: str, parent: str, key: str
) -> None:
    # Within tolerance of the committed polygons is not enough: a gap or overlap thinner than
    # the tolerance would pass that, so the rebuilt levels are checked as coverages too.
    assert set(rebuilt.geom_type) == {"MultiPolygon"} and rebuilt.is_valid.all()
    children = level(rebuilt, child)
    assert shapely.coverage_is_valid(children.geometry.values)
    by_code = level(rebuilt, parent).set_index("code").geometry
    for code, group in children.groupby(key):
        union = shapely.coverage_union_all(group.geometry.values)
        assert shapely.equals(union, by_code[code]), code


def test_the_comparison_fails_for_another_seed(
    units: gpd.GeoDataFrame, tmp_path: Path, meta: dict[str, Any]
) -> None:
    other = build(tmp_path, int(meta["seed"]) + 1)
    problems = differences(other, units)
    assert any(p.startswith("Hausdorff") for p in problems), problems


def test_the_comparison_fails_for_a_boundary_moved_by_two_centimetres(
    units: gpd.GeoDataFrame,
) -> None:
    moved = units.copy()
    row = int(np.flatnonzero((units["level"] == "community").to_numpy())[100])
    # 2 cm east (2.1e-7° at 32°N, 94.26 km a degree of longitude): twice the tolerance.
    shifted = shapely.affinity.translate(units.geometry.iloc[row], xoff=0.02 / 94_257.0)
    moved.loc[moved.index[row], "geometry"] = shifted
    assert differences(units, units) == []
    problems = differences(moved, units)
    assert len(problems) == 1 and problems[0].startswith("Hausdorff"), problems
    assert units["code"].iloc[row] in problems[0]


def test_the_comparison_fails_for_a_changed_area_or_population(units: gpd.GeoDataFrame) -> None:
    changed = units.copy()
    changed["area_km2"] = changed["area_km2"] * np.where(changed["code"] == "320102", 1.00001, 1.0)
    assert [p.split(" over")[0] for p in differences(changed, units)] == [
        "relative area difference"
    ]
    changed = units.copy()
    community = changed.index[changed["level"] == "community"][0]
    changed.loc[community, "population"] += 2
    assert [p.split(" over")[0] for p in differences(changed, units)] == ["residents difference"]
    changed = units.copy()
    changed.loc[community, "parent_code"] = "320102001"
    assert differences(changed, units) == [
        "parent_code differs first at " + units.loc[community, "code"]
    ]
