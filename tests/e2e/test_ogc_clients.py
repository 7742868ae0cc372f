"""OGC API Features read by clients gridsvc did not write: GDAL/OGR's OAPIF driver
(``ogrinfo``, ``ogr2ogr`` from Debian's gdal-bin) and QGIS 3 (Debian's qgis and
python3-qgis, headless), against a real server on loopback. Each count is compared with
gridsvc's own API for the same selection."""

from __future__ import annotations

import io
import json
import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import geopandas as gpd
import httpx
import pandas as pd
import pytest

from api import create_app
from gridsvc.access import create_token
from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids import store as grid_store
from gridsvc.service import Gridsvc
from tests.e2e.test_maps_browser import serving

OGRINFO = shutil.which("ogrinfo")
QGIS_PYTHON = "/usr/bin/python3"  # QGIS's bindings are built for Debian's own Python
QGIS_SCRIPT = Path(__file__).with_name("qgis_client.py")
END = pd.Timestamp("2026-11-28T00:00:00+08:00").to_pydatetime()


def _need(found: bool, what: str) -> None:
    """Skip without the client, except in CI, where a skipped client test is a failure."""
    if not found:
        if os.environ.get("CI"):
            pytest.fail(f"{what} is not installed (scripts/setup.sh installs it as root)")
        pytest.skip(f"{what} is not installed")


@pytest.fixture(scope="module")
def server(module_svc: Gridsvc) -> Iterator[dict[str, Any]]:
    svc = module_svc
    units = grid_store.read_units(svc.db, grid_store.active_version(svc.db).id)
    buf = io.BytesIO()
    write_events_csv(buf, generate_events(units, DEFAULT_MIX, count=900, days=30, seed=3, end=END))
    buf.seek(0)
    import_events(svc, buf, filename="ogc-clients.csv", synthetic=True)
    _, admin = create_token(svc.db, role="admin", name="gis-admin")
    _, worker = create_token(svc.db, role="grid_worker", name="gis-gw", scope_code="320102002001")
    with serving(create_app(svc.settings, service=svc)) as base:
        yield {"base": base, "admin": admin, "worker": worker, "units": units, "svc": svc}


def api(server: dict[str, Any], path: str, token: str | None = None, **params: Any) -> Any:
    r = httpx.get(
        server["base"] + path,
        params=params,
        headers={"Authorization": f"Bearer {token or server['admin']}"},
        timeout=60,
    )
    r.raise_for_status()
    return r.json()


def v1_ids(server: dict[str, Any], token: str | None = None, **params: Any) -> set[int]:
    ids: set[int] = set()
    after = None
    while True:
        body = api(
            server, "/v1/events", token, limit=1000, **params, **({"after": after} if after else {})
        )
        ids |= {f["id"] for f in body["features"]}
        if body["next"] is None:
            return ids
        after = body["next"]


def gdal(server: dict[str, Any], *args: str, token: str | None = None, basic: bool = False) -> str:
    """A GDAL command with the token in the Authorization header, or (``basic``) as the
    password of HTTP Basic, as GDAL before 3.6 can only send it."""
    auth = (
        {"GDAL_HTTP_AUTH": "BASIC", "GDAL_HTTP_USERPWD": f"gis:{token or server['admin']}"}
        if basic
        else {"GDAL_HTTP_HEADERS": f"Authorization: Bearer {token or server['admin']}"}
    )
    done = subprocess.run(
        args, capture_output=True, text=True, env={**os.environ, **auth}, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_ogrinfo_lists_the_collections(server: dict[str, Any]) -> None:
    _need(OGRINFO is not None, "GDAL's ogrinfo (Debian: gdal-bin)")
    out = gdal(server, "ogrinfo", "-ro", "-q", f"OAPIF:{server['base']}/ogc")
    listed = [
        line.split(":", 1)[1].split("(")[0].strip() for line in out.splitlines() if ":" in line
    ]
    ours = [c["id"] for c in api(server, "/ogc/collections")["collections"]]
    assert listed == ours


def test_ogr2ogr_reads_every_community_across_pages(server: dict[str, Any], tmp_path: Path) -> None:
    _need(OGRINFO is not None, "GDAL's ogr2ogr (Debian: gdal-bin)")
    target = tmp_path / "communities.geojson"
    gdal(
        server,
        "ogr2ogr",
        "-f",
        "GeoJSON",
        str(target),
        f"OAPIF:{server['base']}/ogc",
        "communities",
        "-oo",
        "PAGE_SIZE=300",
    )
    got = gpd.read_file(target)
    units = server["units"]
    expected = units[units["level"] == "community"].set_index("code")
    assert len(got) == len(expected) and sorted(got["code"]) == sorted(expected.index)
    # the geometry survived the trip: areas in a local projection agree with the stored ones
    area = got.set_index("code").to_crs(4549).area / 1e6
    assert ((area - expected.to_crs(4549).area.loc[area.index] / 1e6).abs() < 1e-3).all()


def test_ogr2ogr_filters_events_by_bbox_and_datetime_as_the_api_does(
    server: dict[str, Any], tmp_path: Path
) -> None:
    _need(OGRINFO is not None, "GDAL's ogr2ogr (Debian: gdal-bin)")
    box = (118.70, 32.00, 118.85, 32.10)
    target = tmp_path / "events.geojson"
    gdal(
        server,
        "ogr2ogr",
        "-f",
        "GeoJSON",
        str(target),
        f"OAPIF:{server['base']}/ogc",
        "events",
        "-spat",
        *map(str, box),
        "-oo",
        "PAGE_SIZE=100",
    )
    got = gpd.read_file(target)
    expected = v1_ids(server, bbox=",".join(map(str, box)))
    assert len(expected) > 50 and set(got["id"].astype(int)) == expected
    # a collection URL with the standard's datetime parameter
    window = "2026-11-10T00:00:00+08:00/2026-11-19T23:59:59+08:00"
    query = urlencode({"datetime": window, "category": "hazard"})
    url = f"{server['base']}/ogc/collections/events?{query}"
    timed = tmp_path / "timed.geojson"
    gdal(server, "ogr2ogr", "-f", "GeoJSON", str(timed), f"OAPIF:{url}")
    got_t = gpd.read_file(timed)
    expected_t = v1_ids(
        server,
        category="hazard",
        **{"from": "2026-11-10T00:00:00+08:00", "to": "2026-11-19T23:59:59.000001+08:00"},
    )
    assert 0 < len(expected_t) < 900 and set(got_t["id"].astype(int)) == expected_t


def test_a_grid_workers_token_reads_only_its_community(
    server: dict[str, Any], tmp_path: Path
) -> None:
    _need(OGRINFO is not None, "GDAL's ogr2ogr (Debian: gdal-bin)")
    target = tmp_path / "mine.geojson"
    gdal(
        server,
        "ogr2ogr",
        "-f",
        "GeoJSON",
        str(target),
        f"OAPIF:{server['base']}/ogc",
        "events",
        token=server["worker"],
        basic=True,
    )
    got = gpd.read_file(target)
    assert set(got["community_code"]) <= {"320102002001"}
    assert set(got["id"].astype(int)) == v1_ids(server, server["worker"])


def qgis(job: dict[str, Any]) -> dict[str, Any]:
    _need(
        os.path.exists(QGIS_PYTHON)
        and subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], capture_output=True).returncode
        == 0,
        "QGIS's Python bindings (Debian: qgis python3-qgis)",
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""}
    done = subprocess.run(
        [QGIS_PYTHON, str(QGIS_SCRIPT), json.dumps(job)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_qgis_opens_the_collections_with_a_token_as_basic_password(
    server: dict[str, Any], tmp_path: Path
) -> None:
    picture = tmp_path / "qgis-oapif.png"
    got = qgis(
        {
            "base": server["base"],
            "token": server["admin"],
            "oapif": ["streets", "events"],
            "picture": str(picture),
        }
    )
    units = server["units"]
    assert got["streets"] == {
        **got["streets"],
        "valid": True,
        "features": int((units["level"] == "street").sum()),
    }
    assert got["events"]["valid"] and got["events"]["features"] == len(v1_ids(server))
    assert {"category", "status", "occurred_at", "community_code"} <= set(got["events"]["fields"])
    assert picture.stat().st_size > 10_000
    docs = os.environ.get("GRIDSVC_DOCS_SCREENSHOTS")
    if docs:
        shutil.copy(picture, Path(docs) / "qgis-oapif.png")


def test_qgis_opens_the_vector_tiles(server: dict[str, Any], tmp_path: Path) -> None:
    import mapbox_vector_tile

    base = server["base"]
    # tiles around the old town at z13, where communities are small and many (the slippy-map
    # tile formula, independent of gridsvc.vtiles)
    n = 2**13
    cx = int((118.79 + 180) / 360 * n)
    cy = int((1 - math.asinh(math.tan(math.radians(32.05))) / math.pi) / 2 * n)
    tiles = [(13, cx + dx, cy + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    expected: dict[str, dict[str, int]] = {}
    for z, x, y in tiles:
        r = httpx.get(
            f"{base}/tiles/community/{z}/{x}/{y}.mvt",
            headers={"Authorization": f"Bearer {server['admin']}"},
        )
        assert r.status_code == 200
        decoded = mapbox_vector_tile.decode(r.content)
        expected[f"{z}/{x}/{y}"] = {"community": len(decoded["community"]["features"])}
    world_m, size = 20037508.342789244, 2 * 20037508.342789244 / n
    west, east = -world_m + (cx - 1) * size, -world_m + (cx + 2) * size
    north, south = world_m - (cy - 1) * size, world_m - (cy + 2) * size
    picture = tmp_path / "qgis-mvt.png"
    got = qgis(
        {
            "base": base,
            "token": server["admin"],
            "mvt": {
                "name": "community",
                "template": base + "/tiles/community/{z}/{x}/{y}.mvt",
                "zmin": 0,
                "zmax": 16,
                "tiles": tiles,
                "layers": ["community"],
                "extent_3857": [west, south, east, north],
                "picture": str(picture),
            },
        }
    )
    assert got["mvt"]["valid"]
    assert got["mvt"]["tiles"] == expected
    assert all(n["community"] > 3 for n in expected.values())
    # QGIS drew the tiles it fetched with the token (a 401 would leave the picture blank)
    assert got["mvt"]["painted_pixels"] > 1000
    docs = os.environ.get("GRIDSVC_DOCS_SCREENSHOTS")
    if docs:
        shutil.copy(picture, Path(docs) / "qgis-mvt.png")
