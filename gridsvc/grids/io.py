"""Read a city's official grid boundaries from a file into one standard table.

Every supported format (GeoJSON, GeoPackage, Shapefile as a folder, `.shp` or `.zip`, and
GeoParquet) comes out as the same GeoDataFrame in EPSG:4326 with the columns `code`, `name`,
`parent_code`, `geometry` and `source_row`, so that `gridsvc.grids.validate` can check it
before anything is written to the database. Reading is forgiving about geometry (a broken
polygon is kept and reported by validation later) and strict about what cannot be guessed:
a missing code or name field, or a file without a coordinate reference system.
"""

from __future__ import annotations

import math
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors
import pyogrio.raw
import pyproj
import shapely

from gridsvc.errors import InvalidGridData, UnknownCrs, UnknownLevel
from gridsvc.messages import Msg

LEVELS = ("city", "district", "sector", "street", "community", "grid")
"""Grid levels from the coarsest to the finest."""

CODE_DIGITS: dict[str, int] = {
    "city": 6,
    "district": 6,
    "street": 9,
    "community": 12,
    "grid": 15,
}
"""Number of digits of an NBS statistical division code per level.

`sector` has no NBS code of its own, so its codes are not checked for length or prefix.
"""

PARENT_LEVEL: dict[str, str] = {
    "district": "city",
    "street": "district",
    "community": "street",
    "grid": "community",
}
"""The level whose code prefixes a unit's code (`sector` sits outside the NBS code chain)."""

OUTPUT_CRS = "EPSG:4326"
COLUMNS = ("code", "name", "parent_code", "geometry", "source_row")

_OGR_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")
_PARQUET_SUFFIXES = (".parquet", ".geoparquet")
_POLYGON = shapely.GeometryType.POLYGON
_DBF_NAME_LENGTH = 10


def parse_level(value: str) -> str:
    """Return the canonical level name for `value` (case and surrounding spaces ignored).

    Raises `UnknownLevel` naming the accepted levels.
    """
    level = str(value).strip().lower()
    if level not in LEVELS:
        raise UnknownLevel("grid.unknown_level", field="level", value=value, levels=LEVELS)
    return level


def is_well_formed_code(code: str, level: str) -> bool:
    """Whether `code` is ASCII digits of the NBS length for `level` (non-empty for sector)."""
    digits = CODE_DIGITS.get(level)
    if digits is None:
        return bool(code)
    return len(code) == digits and code.isascii() and code.isdigit()


def derive_parent_code(code: str, level: str) -> str | None:
    """The parent unit's code implied by an NBS `code` at `level`, or None if none is implied.

    street → its district (first 6 digits), community → its street (first 9), grid → its
    community (first 12), district → its city (first 4 digits + "00"). Malformed codes, and
    the levels city and sector, imply no parent.
    """
    parent_level = PARENT_LEVEL.get(level)
    if parent_level is None or not is_well_formed_code(code, level):
        return None
    if level == "district":
        return code[:4] + "00"
    return code[: CODE_DIGITS[parent_level]]


def read_grid_file(
    path: Path,
    *,
    level: str,
    code_field: str = "code",
    name_field: str = "name",
    parent_field: str | None = "parent_code",
    layer: str | None = None,
    source_crs: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read grid units of one `level` from a GeoJSON, GeoPackage, Shapefile or GeoParquet file.

    A Shapefile may be given as its `.shp`, its folder, or a `.zip` holding it. `layer` picks
    a layer (or, in a folder or zip, a file by name) when there are several. `source_crs`
    (anything pyproj accepts, e.g. "EPSG:4549") is the CRS of the coordinates; it is required
    when the file declares none and overrides the file's own declaration when given (the way
    to read a mislabelled file). `encoding` is passed to GDAL for files that do not declare
    theirs (e.g. "GBK" for an old Shapefile without `.cpg`).

    Returns a GeoDataFrame in EPSG:4326 with exactly the columns:

    - `code`: str, stripped; integer-valued numbers become their digits ("" if missing);
    - `name`: str ("" if missing);
    - `parent_code`: str, from `parent_field`, or derived from the code by `level` where that
      field is None, absent from the file or blank (see `derive_parent_code`); None if neither;
    - `geometry`: Polygons promoted to MultiPolygons, other types kept as read; a feature
      without geometry gets an empty MultiPolygon, and the geometry is None only where the
      file's geometry could not be decoded at all (e.g. an unclosed ring);
    - `source_row`: the feature's 1-based position in the file.

    Raises `InvalidGridData` for a file that cannot be read, lacks the code or name field,
    has no CRS (with a hint to pass `--crs`) or coordinates impossible in its CRS;
    `UnknownCrs` for a `source_crs` pyproj does not know; `UnknownLevel` for a bad level.
    """
    level = parse_level(level)
    path = Path(path)
    if not path.exists():
        raise InvalidGridData("grid.file_missing", field="path", path=path)
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        table, decoded, declared_crs = _read_parquet(path)
        geometries = np.asarray(decoded, dtype=object)
        # GeoParquet has no undecodable geometries here (reading would have failed): a null
        # is a feature without geometry, as in the other formats.
        geometries[[geometry is None for geometry in geometries]] = shapely.MultiPolygon()
    else:
        table, wkb, declared_crs = _read_ogr(path, layer=layer, encoding=encoding)
        geometries = _decode_wkb(wkb)

    # a file holding several levels (like gridsvc's own dataset) with a `level` column:
    # keep the rows of the level asked for; source_row still counts every feature
    level_column = _find_field(table.columns, "level")
    rows = np.arange(1, len(table) + 1, dtype=np.int64)
    if level_column is not None:
        mask = (table[level_column].astype(str).str.strip().str.lower() == level).to_numpy()
        if mask.any():
            table, geometries, rows = (
                table[mask].reset_index(drop=True),
                geometries[mask],
                rows[mask],
            )

    code_column = _resolve_field(table.columns, code_field, "code_field", path)
    name_column = _resolve_field(table.columns, name_field, "name_field", path)
    parent_column = None
    if parent_field is not None:
        parent_column = _find_field(table.columns, parent_field)

    codes = [_normalise_code(value) or "" for value in table[code_column]]
    names = [_normalise_text(value) or "" for value in table[name_column]]
    if parent_column is None:
        given_parents: list[str | None] = [None] * len(codes)
    else:
        given_parents = [_normalise_code(value) for value in table[parent_column]]
    parents = [
        given or derive_parent_code(code, level)
        for code, given in zip(codes, given_parents, strict=True)
    ]

    crs = _choose_crs(declared_crs, source_crs, path)
    geometries = _standardise_geometries(geometries)
    units = gpd.GeoDataFrame(
        {
            "code": codes,
            "name": names,
            "parent_code": pd.Series(parents, dtype=object),
            "source_row": rows,
        },
        geometry=gpd.GeoSeries(geometries, crs=crs),
    )
    units = _to_wgs84(units, path)
    return units[list(COLUMNS)]


def _read_ogr(
    path: Path, *, layer: str | None, encoding: str | None
) -> tuple[pd.DataFrame, Sequence[Any], Any]:
    """Attribute table, raw WKB per feature and declared CRS of a file GDAL can open."""
    source, layer = _ogr_source(path, layer)
    try:
        layer = _choose_layer(source, layer, path)
        with warnings.catch_warnings():
            # GDAL warns per broken feature; validation reports them all at once instead.
            warnings.simplefilter("ignore", RuntimeWarning)
            meta, _fids, wkb, field_data = pyogrio.raw.read(source, layer=layer, encoding=encoding)
    except (
        pyogrio.errors.DataSourceError,
        pyogrio.errors.DataLayerError,
        pyogrio.errors.FieldError,
        pyogrio.errors.FeatureError,
        pyogrio.errors.GeometryError,
        pyogrio.errors.CRSError,
    ) as exc:
        raise InvalidGridData("grid.unreadable", field="path", name=path.name, error=exc) from exc
    names = [str(name) for name in meta["fields"]]
    table = pd.DataFrame(dict(zip(names, field_data, strict=True)), columns=names)
    if wkb is None:
        wkb = [None] * len(table)
    return table, wkb, meta["crs"]


def _ogr_source(path: Path, layer: str | None) -> tuple[str, str | None]:
    """The GDAL path to open for `path` and the layer still to choose inside it.

    A zip may hold its Shapefile in a subfolder, which GDAL does not search; we find it.
    """
    if path.suffix.lower() != ".zip":
        return str(path), layer
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()
    except zipfile.BadZipFile as exc:
        raise InvalidGridData("grid.bad_zip", field="path", name=path.name) from exc
    candidates = [
        member
        for member in members
        if member.lower().endswith(_OGR_SUFFIXES) and not member.startswith("__MACOSX")
    ]
    if layer is not None and len(candidates) > 1:
        candidates = [member for member in candidates if Path(member).stem == layer] or candidates
    if len(candidates) != 1:
        raise InvalidGridData(
            "grid.zip_members",
            field="layer" if candidates else "path",
            name=path.name,
            found=candidates or [Msg("common.none")],
        )
    member = candidates[0]
    inner_layer = None if layer == Path(member).stem else layer
    return f"/vsizip/{path.resolve()}/{member}", inner_layer


def _choose_layer(source: str, layer: str | None, path: Path) -> str:
    """`layer` if the source has it, else the source's single layer with geometry."""
    layers = pyogrio.list_layers(source)
    names = [str(name) for name, _geometry_type in layers]
    if layer is not None:
        if layer not in names:
            raise InvalidGridData(
                "grid.no_layer", field="layer", name=path.name, layer=layer, layers=names
            )
        return layer
    spatial = [str(name) for name, geometry_type in layers if geometry_type is not None]
    if len(spatial) == 1:
        return spatial[0]
    raise InvalidGridData(
        "grid.which_layer",
        field="layer",
        name=path.name,
        count=len(spatial),
        layers=spatial or names or [Msg("common.none")],
    )


def _read_parquet(path: Path) -> tuple[pd.DataFrame, Sequence[Any], Any]:
    """Attribute table, decoded geometries and declared CRS of a GeoParquet file."""
    try:
        frame = gpd.read_parquet(path)
    except ImportError as exc:
        raise InvalidGridData("grid.no_pyarrow", field="path") from exc
    except Exception as exc:  # pyarrow, shapely and geopandas raise many kinds here
        raise InvalidGridData("grid.bad_parquet", field="path", name=path.name, error=exc) from exc
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return table, list(frame.geometry.array), frame.crs


def _decode_wkb(wkb: Sequence[Any]) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Shapely geometries; an empty MultiPolygon for no geometry, None where decoding fails."""
    raw = np.asarray(wkb, dtype=object)
    decoded = np.asarray(shapely.from_wkb(raw, on_invalid="ignore"), dtype=object)
    missing = np.array([value is None for value in raw], dtype=bool)
    decoded[missing] = shapely.MultiPolygon()
    return decoded


def _standardise_geometries(
    geometries: np.ndarray[Any, np.dtype[np.object_]],
) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Drop Z/M, turn Polygons into MultiPolygons, leave everything else as it is."""
    result = geometries.copy()
    present = np.array([geometry is not None for geometry in result], dtype=bool)
    result[present] = shapely.force_2d(result[present])
    for index in np.flatnonzero(present):
        geometry = result[index]
        if shapely.get_type_id(geometry) == _POLYGON:
            result[index] = (
                shapely.MultiPolygon() if geometry.is_empty else shapely.MultiPolygon([geometry])
            )
    return result


def _find_field(columns: pd.Index, wanted: str) -> str | None:
    """`wanted` among `columns`: exactly, else case-insensitively, else cut to 10 characters.

    The last two forgive Shapefiles, whose DBF tables often hold upper-case names and cut
    every name to 10 characters ("parent_code" is stored as "parent_cod").
    """
    names = [str(column) for column in columns]
    if wanted in names:
        return wanted
    for candidate in (wanted, wanted[:_DBF_NAME_LENGTH]):
        folded = [name for name in names if name.casefold() == candidate.casefold()]
        if len(folded) == 1:
            return folded[0]
    return None


def _resolve_field(columns: pd.Index, wanted: str, option: str, path: Path) -> str:
    found = _find_field(columns, wanted)
    if found is None:
        available = [str(column) for column in columns]
        raise InvalidGridData(
            "grid.no_field",
            field=option,
            name=path.name,
            wanted=wanted,
            available=available or [Msg("common.none")],
            option=option.replace("_", "-"),
            what=option.removesuffix("_field"),
            details={"missing_field": wanted, "available_fields": available},
        )
    return found


def _normalise_code(value: object) -> str | None:
    """A code as digits: 320102002001.0 → "320102002001"; blanks and nulls → None."""
    if isinstance(value, float | np.floating):
        number = float(value)
        if not math.isfinite(number):
            return None
        return str(int(number)) if number.is_integer() else repr(number)
    if isinstance(value, int | np.integer):
        return str(int(value))
    return _normalise_text(value)


def _normalise_text(value: object) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = str(value).strip()
    return text or None


def _choose_crs(declared: Any, source_crs: str | None, path: Path) -> pyproj.CRS:
    """`source_crs` if given, else the file's own CRS; an error if there is neither."""
    if source_crs is not None:
        try:
            return pyproj.CRS.from_user_input(source_crs)
        except pyproj.exceptions.CRSError as exc:
            raise UnknownCrs("crs.pyproj_unknown", field="crs", value=source_crs) from exc
    if declared is None:
        raise InvalidGridData("grid.no_crs", field="crs", name=path.name)
    return pyproj.CRS.from_user_input(declared)


def _to_wgs84(units: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    """Reproject to EPSG:4326, refusing coordinates that cannot be in the declared CRS."""
    crs: pyproj.CRS = units.crs
    if crs.is_geographic and not _within_lon_lat(units.geometry):
        raise InvalidGridData("grid.degrees_metres", field="crs", name=path.name, crs=crs.name)
    units = units.to_crs(OUTPUT_CRS)
    coordinates = shapely.get_coordinates(units.geometry.array)
    if not np.isfinite(coordinates).all() or not _within_lon_lat(units.geometry):
        raise InvalidGridData("grid.no_convert", field="crs", name=path.name, crs=crs.name)
    return units


def _within_lon_lat(geometries: gpd.GeoSeries) -> bool:
    present = [g for g in geometries if g is not None and not g.is_empty]
    if not present:
        return True
    min_x, min_y, max_x, max_y = shapely.total_bounds(present)
    return bool(min_x >= -180 and max_x <= 180 and min_y >= -90 and max_y <= 90)
