"""The coordinate systems of OGC API Features output (gridsvc.features.crs): names accepted,
axis order, and round trips of geometries and boxes, checked against pyproj and the
GCJ-02 transform's own inverse."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gridsvc.crs import gcj02_to_wgs84
from gridsvc.errors import InvalidInput
from gridsvc.features.crs import CRS84, GCJ02, SUPPORTED, bbox_to_wgs84, parse_crs, to_crs

# Nanjing and a margin
LON = st.floats(118.2, 119.4)
LAT = st.floats(31.1, 32.7)


@pytest.mark.parametrize(
    ("name", "uri"),
    [
        (None, CRS84.uri),
        ("", CRS84.uri),
        ("CRS84", CRS84.uri),
        ("OGC:CRS84", CRS84.uri),
        ("EPSG:4326", "http://www.opengis.net/def/crs/EPSG/0/4326"),
        ("[EPSG:4490]", "http://www.opengis.net/def/crs/EPSG/0/4490"),
        ("urn:ogc:def:crs:EPSG::4549", "http://www.opengis.net/def/crs/EPSG/0/4549"),
        (
            "https://www.opengis.net/def/crs/EPSG/0/4547",
            "http://www.opengis.net/def/crs/EPSG/0/4547",
        ),
        ("GCJ-02", GCJ02.uri),
    ],
)
def test_the_names_clients_send(name: str | None, uri: str) -> None:
    assert parse_crs(name, "crs").uri == uri


def test_an_unknown_system_names_the_accepted_ones() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_crs("EPSG:3857", "crs")
    assert caught.value.field == "crs"
    assert all(c.uri in caught.value.hint_msg.render("en") for c in SUPPORTED)  # type: ignore[union-attr]


@settings(max_examples=60, deadline=None)
@given(lon=LON, lat=LAT)
@example(lon=118.7969, lat=32.0603)  # 新街口
def test_points_are_written_in_each_definitions_axis_order(lon: float, lat: float) -> None:
    point = np.array([shapely.Point(lon, lat)], dtype=object)
    for crs in SUPPORTED:
        (x, y) = shapely.get_coordinates(to_crs(point, crs))[0]
        if crs.is_gcj02:
            back = gcj02_to_wgs84(x, y)
            assert abs(back[0] - lon) < 1e-6 and abs(back[1] - lat) < 1e-6
        elif crs.epsg in (None, 4326, 4490):
            first, second = (lat, lon) if crs.lat_first else (lon, lat)
            assert abs(x - first) < 1e-7 and abs(y - second) < 1e-7
        else:  # Gauss-Krüger: PROJ in the authority's order (lat, lon) -> (northing, easting)
            north, east = pyproj.Transformer.from_crs("EPSG:4326", f"EPSG:{crs.epsg}").transform(
                lat, lon
            )
            assert abs(x - north) < 0.001 and abs(y - east) < 0.001


@settings(max_examples=40, deadline=None)
@given(lon=LON, lat=LAT, w=st.floats(0.001, 0.2), h=st.floats(0.001, 0.2))
def test_a_box_written_in_a_system_and_read_back_covers_the_box(
    lon: float, lat: float, w: float, h: float
) -> None:
    box = shapely.box(lon, lat, lon + w, lat + h)
    for crs in SUPPORTED:
        x0, y0, x1, y1 = shapely.bounds(to_crs(np.array([box], dtype=object), crs)[0])
        back = shapely.box(*bbox_to_wgs84((x0, y0, x1, y1), crs))
        # covers the box, up to the 7-decimal rounding of degrees and 1 mm of metres
        assert back.buffer(1e-6).covers(box), crs.uri
        # and not much more: the zones' grid north turns up to ~3° away from true north at
        # Nanjing (4547's meridian is 114°E), so their boxes stick out by sin(3°) of a side
        # (GCJ-02's offset shears a box by ~0.15 % of its side: its box is that larger)
        margin = 0.06 * max(w, h) + 1e-6 if crs.epsg not in (None, 4326, 4490) else 1e-6
        margin = 0.005 * max(w, h) + 1e-5 if crs.is_gcj02 else margin
        assert box.buffer(margin, join_style="mitre").covers(back), crs.uri
