"""Writing tables for people: CSV that Excel opens correctly and safely."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from gridsvc.events import columns

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value safe for a spreadsheet: text that Excel would run as a formula (=, +, -, @)
    gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def excel_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """UTF-8 CSV with a BOM (so Excel reads Chinese), every text cell formula-safe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def events_geopackage(events: Sequence[dict[str, Any]]) -> bytes:
    """Events (dicts of :func:`gridsvc.events.store.event_dict`, already scoped and redacted
    for the caller) as a GeoPackage of points in EPSG:4326, layer ``events``."""
    import geopandas as gpd
    import shapely

    names = [c.name for c in columns.GPKG]
    rows = [columns.export_row(e, columns.GPKG) for e in events]
    points = [shapely.Point(e["location"]["lon_wgs84"], e["location"]["lat_wgs84"]) for e in events]
    frame = gpd.GeoDataFrame(rows, columns=names, geometry=points, crs="EPSG:4326")
    return frame_geopackage(frame, "events")


def events_csv(events: Sequence[dict[str, Any]]) -> str:
    """Events (dicts of :func:`gridsvc.events.store.event_dict`, already scoped and redacted
    for the caller) as :func:`excel_csv`, one row an event (columns: :data:`columns.CSV`)."""
    return excel_csv(
        [c.name for c in columns.CSV], (columns.export_row(e, columns.CSV) for e in events)
    )


GPKG_MEDIA_TYPE = "application/geopackage+sqlite3"


def frame_geopackage(frame: Any, layer: str) -> bytes:
    """A GeoDataFrame as the bytes of a GeoPackage with one layer (written through GDAL to a
    temporary file: the format is a SQLite database, not a stream)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{layer}.gpkg"
        frame.to_file(path, driver="GPKG", layer=layer)
        return path.read_bytes()
