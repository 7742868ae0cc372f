"""Small, realistic grid files for the validation tests, built in code.

A 3×3 block of communities of Meiyuan Xincun street (梅园新村街道, 320102002) in Xuanwu
district, Nanjing, near 118.78E 32.04N. Cells are 0.01° × 0.009° (about 945 m × 1,000 m),
numbered row by row from the south-west: 320102002001 … 320102002009, so 005 is the centre.
Each `broken_*` function returns the block with one known problem and says what it is.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import pyproj
import shapely
from shapely.geometry import Polygon, box, mapping

WEST_LON, SOUTH_LAT = 118.77, 32.03
CELL_LON, CELL_LAT = 0.01, 0.009
STREET_CODE = "320102002"
STREET_NAME = "梅园新村街道"
COMMUNITY_NAMES = (
    "梅园社区",
    "长江路社区",
    "大行宫社区",
    "碑亭巷社区",
    "丹凤街社区",
    "四牌楼社区",
    "香铺营社区",
    "成贤街社区",
    "珠江路社区",
)
CODES = tuple(f"{STREET_CODE}{k:03d}" for k in range(1, 10))

# Widths used by the broken files, in degrees.
OVERLAP_LON = 0.0005  # 002 reaches this far east into 003: about 47 m × 1,000 m
GAP_LAT = 0.0006  # 005's north edge is pulled back this far: about 945 m × 67 m
OUTSIDE_LON = 0.0005  # 003 reaches this far east out of the street


def cell(k: int) -> tuple[float, float, float, float]:
    """(west, south, east, north) in degrees of community number k (1..9)."""
    row, col = divmod(k - 1, 3)
    west, south = WEST_LON + col * CELL_LON, SOUTH_LAT + row * CELL_LAT
    return west, south, west + CELL_LON, south + CELL_LAT


def geodesic_area_m2(geometry: shapely.Geometry) -> float:
    """Area on the WGS-84 ellipsoid: an independent check of the validator's projection."""
    area, _perimeter = pyproj.Geod(ellps="WGS84").geometry_area_perimeter(geometry)
    return abs(area)


def communities() -> gpd.GeoDataFrame:
    """The clean block: code, name, parent_code, geometry (Polygons), EPSG:4326."""
    return gpd.GeoDataFrame(
        {
            "code": list(CODES),
            "name": list(COMMUNITY_NAMES),
            "parent_code": [STREET_CODE] * 9,
        },
        geometry=[box(*cell(k)) for k in range(1, 10)],
        crs="EPSG:4326",
    )


def street() -> gpd.GeoDataFrame:
    """The parent street: exactly the outline of the block, with a vertex at every cell corner.

    Those vertices matter once a file is reprojected: an edge straight in one CRS is a curve
    in another, so a parent edge spanning three cells would sag away from its children's
    (in the test block up to about 4 cm, 41 m² along the north side).
    """
    xs = [WEST_LON + i * CELL_LON for i in range(4)]
    ys = [SOUTH_LAT + i * CELL_LAT for i in range(4)]
    ring = (
        [(x, ys[0]) for x in xs]
        + [(xs[3], y) for y in ys[1:]]
        + [(x, ys[3]) for x in reversed(xs[:3])]
        + [(xs[0], y) for y in reversed(ys[1:3])]
    )
    outline = Polygon(ring)
    return gpd.GeoDataFrame(
        {"code": [STREET_CODE], "name": [STREET_NAME]}, geometry=[outline], crs="EPSG:4326"
    )


def _replace(frame: gpd.GeoDataFrame, k: int, **values: object) -> gpd.GeoDataFrame:
    frame = frame.copy()
    for column, value in values.items():
        frame.at[k - 1, column] = value
    return frame


def bowtie(k: int, size_deg: float = 1e-5) -> Polygon:
    """Community k with a tiny twisted loop on its north edge: invalid, 'Self-intersection'.

    The two lobes are each well under 1 m², so the repair changes the area by almost nothing
    and creates no overlap with the northern neighbour above the 1 m² tolerance.
    """
    west, south, east, north = cell(k)
    mid, d = (west + east) / 2, size_deg
    return Polygon(
        [
            (west, south),
            (east, south),
            (east, north),
            (mid, north),
            (mid - d, north + d),
            (mid, north + d),
            (mid - d, north),
            (west, north),
        ]
    )


def broken_bowtie() -> gpd.GeoDataFrame:
    """005 self-intersects (fixable)."""
    return _replace(communities(), 5, geometry=bowtie(5))


def overlap_area() -> Polygon:
    west, south, _east, north = cell(3)
    return box(west, south, west + OVERLAP_LON, north)


def broken_overlap(extra_lon: float = OVERLAP_LON) -> gpd.GeoDataFrame:
    """002 reaches `extra_lon` degrees east into 003 over its full height."""
    west, south, east, north = cell(2)
    return _replace(communities(), 2, geometry=box(west, south, east + extra_lon, north))


def gap_area() -> Polygon:
    west, _south, east, north = cell(5)
    return box(west, north - GAP_LAT, east, north)


def broken_gap() -> gpd.GeoDataFrame:
    """005's north edge is pulled back, leaving a strip enclosed by 004, 005, 006 and 008."""
    west, south, east, north = cell(5)
    return _replace(communities(), 5, geometry=box(west, south, east, north - GAP_LAT))


def outside_area() -> Polygon:
    _west, south, east, north = cell(3)
    return box(east, south, east + OUTSIDE_LON, north)


def broken_outside() -> gpd.GeoDataFrame:
    """003 reaches out of the street on its east side (about 5 % of it; fixable)."""
    west, south, east, north = cell(3)
    return _replace(communities(), 3, geometry=box(west, south, east + OUTSIDE_LON, north))


def broken_many() -> gpd.GeoDataFrame:
    """Three fixable problems at once: the overlap of `broken_overlap`, a bow-tie in 005,
    and 007 reaching `OUTSIDE_LON` west out of the street."""
    west, south, east, north = cell(7)
    frame = _replace(broken_overlap(), 5, geometry=bowtie(5))
    return _replace(frame, 7, geometry=box(west - OUTSIDE_LON, south, east, north))


def figure_eight(k: int, reach_lon: float = 0.0) -> Polygon:
    """Community k drawn as one big bow-tie through its centre, its east side `reach_lon`
    degrees into the eastern neighbour. Its measured area is about 0 and make_valid makes
    two triangles of half the cell: no safe repair."""
    west, south, east, north = cell(k)
    east += reach_lon
    return Polygon([(west, south), (east, north), (east, south), (west, north)])


def broken_duplicate() -> gpd.GeoDataFrame:
    """008 carries 007's code under its own name: a real duplicate, not fixable."""
    return _replace(communities(), 8, code=CODES[6])


def split_unit() -> gpd.GeoDataFrame:
    """009 stored as two features (its west and east halves) with the same code and name."""
    frame = communities()
    west, south, east, north = cell(9)
    mid = (west + east) / 2
    frame = _replace(frame, 9, geometry=box(west, south, mid, north))
    extra = frame.iloc[[8]].copy()
    extra["geometry"] = [box(mid, south, east, north)]
    return gpd.GeoDataFrame(
        [*frame.to_dict("records"), *extra.to_dict("records")], crs="EPSG:4326"
    ).reset_index(drop=True)


def with_code(code: str, k: int = 7) -> gpd.GeoDataFrame:
    """Community k carries `code`; its parent_code stays the street's."""
    return _replace(communities(), k, code=code)


def with_orphan() -> gpd.GeoDataFrame:
    """A tenth community east of the block, in street 320102003, which the parents lack."""
    _west, south, east, north = cell(3)
    orphan = gpd.GeoDataFrame(
        {"code": ["320102003001"], "name": ["外来社区"], "parent_code": ["320102003"]},
        geometry=[box(east, south, east + CELL_LON, north)],
        crs="EPSG:4326",
    )
    return gpd.GeoDataFrame(
        [*communities().to_dict("records"), *orphan.to_dict("records")], crs="EPSG:4326"
    )


def grids_of_005(missing: int | None = None) -> gpd.GeoDataFrame:
    """Community 005 cut into 2×2 grids 320102002005001…004, optionally one left out."""
    west, south, east, north = cell(5)
    mid_lon, mid_lat = (west + east) / 2, (south + north) / 2
    quarters = [
        box(west, south, mid_lon, mid_lat),
        box(mid_lon, south, east, mid_lat),
        box(west, mid_lat, mid_lon, north),
        box(mid_lon, mid_lat, east, north),
    ]
    rows = [
        {"code": f"{CODES[4]}{q:03d}", "name": f"第{q}网格", "geometry": quarter}
        for q, quarter in enumerate(quarters, start=1)
        if q != missing
    ]
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


# --- writing ---------------------------------------------------------------------------------


def write(frame: gpd.GeoDataFrame, folder: Path, fmt: str, stem: str = "units") -> Path:
    """Write `frame` as `fmt` (geojson, gpkg, shp, shpzip, parquet) and return the path.

    `shpzip` zips the Shapefile inside a subfolder, as people do when they zip a folder.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "geojson":
        path = folder / f"{stem}.geojson"
        frame.to_file(path, driver="GeoJSON")
    elif fmt == "gpkg":
        path = folder / f"{stem}.gpkg"
        frame.to_file(path, driver="GPKG", layer=stem)
    elif fmt == "parquet":
        path = folder / f"{stem}.parquet"
        frame.to_parquet(path)
    elif fmt in ("shp", "shpzip"):
        shp_folder = folder / stem
        shp_folder.mkdir(exist_ok=True)
        path = shp_folder / f"{stem}.shp"
        frame.to_file(path, driver="ESRI Shapefile", encoding="UTF-8")
        if fmt == "shpzip":
            zipped = folder / f"{stem}.zip"
            with zipfile.ZipFile(zipped, "w") as archive:
                for part in sorted(shp_folder.iterdir()):
                    archive.write(part, f"{stem}/{part.name}")
            path = zipped
    else:
        raise ValueError(fmt)
    return path


def write_geojson_features(
    folder: Path, features: list[dict[str, object]], stem: str = "units"
) -> Path:
    """Write raw GeoJSON features, for geometries geopandas refuses to write."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.geojson"
    document = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def features(frame: gpd.GeoDataFrame) -> list[dict[str, object]]:
    """GeoJSON features of `frame`'s rows (properties code, name, parent_code)."""
    return [
        {
            "type": "Feature",
            "properties": {"code": row.code, "name": row.name, "parent_code": row.parent_code},
            "geometry": mapping(row.geometry),
        }
        for row in frame.itertuples()
    ]
