"""`gridsvc stats …` writes what the library computes, in CSV, GeoJSON and GeoPackage."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import geopandas as gpd
from typer.testing import CliRunner

from gridsvc.cli import app
from gridsvc.service import Gridsvc

runner = CliRunner()


def _load(svc: Gridsvc) -> int:
    from gridsvc.events.importer import import_events

    lines = ["category,occurred_at,lon,lat"]
    for i in range(40):
        lines.append(
            f"hazard.fire,2026-11-{1 + i % 20:02d}T10:00:00+08:00,"
            f"{118.70 + 0.004 * i:.4f},{32.00 + 0.002 * i:.4f}"
        )
    report = import_events(svc, io.BytesIO("\n".join(lines).encode()), filename="s.csv")
    return report.stored


def test_stats_commands_write_csv_geojson_and_gpkg(
    svc: Gridsvc, db_url: str, tmp_path: Path
) -> None:
    stored = _load(svc)
    env = {"GRIDSVC_DATABASE_URL": db_url}
    result = runner.invoke(app, ["stats", "grids", "--level", "district"], env=env)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 11 and sum(int(r["n"]) for r in rows) == stored
    out = tmp_path / "streets.gpkg"
    result = runner.invoke(
        app, ["stats", "grids", "--level", "street", "--format", "gpkg", "--out", str(out)], env=env
    )
    assert result.exit_code == 0, result.output
    frame = gpd.read_file(out)
    assert len(frame) == 101 and frame["n"].sum() == stored
    geo = tmp_path / "d.geojson"
    assert (
        runner.invoke(
            app,
            ["stats", "grids", "--level", "district", "--format", "geojson", "--out", str(geo)],
            env=env,
        ).exit_code
        == 0
    )
    assert len(gpd.read_file(geo)) == 11
    ts = runner.invoke(
        app,
        ["stats", "timeseries", "--interval", "week", "--from", "2026-11-02", "--to", "2026-11-30"],
        env=env,
    )
    weeks = list(csv.DictReader(io.StringIO(ts.stdout)))
    assert len(weeks) == 4
    cmp = runner.invoke(
        app,
        [
            "stats",
            "compare",
            "--from",
            "2026-11-11",
            "--to",
            "2026-11-21",
            "--base-from",
            "2026-11-01",
            "--base-to",
            "2026-11-11",
        ],
        env=env,
    )
    assert cmp.exit_code == 0 and len(list(csv.DictReader(io.StringIO(cmp.stdout)))) == 11
    bad = runner.invoke(app, ["stats", "grids", "--from", "yesterday"], env=env)
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.stderr


def test_map_commands_write_offline_pages(svc: Gridsvc, db_url: str, tmp_path: Path) -> None:
    from gridsvc.maps import assert_offline

    _load(svc)
    env = {"GRIDSVC_DATABASE_URL": db_url}
    heat = tmp_path / "heat.html"
    r = runner.invoke(app, ["map", "heatmap", "--out", str(heat), "--category", "hazard"], env=env)
    assert r.exit_code == 0, r.output
    page = heat.read_text(encoding="utf-8")
    assert_offline(page)
    assert "L.heatLayer" in page or "heatLayer" in page
    chor = tmp_path / "streets.html"
    r = runner.invoke(
        app,
        ["map", "choropleth", "--out", str(chor), "--level", "street", "--scheme", "fisher_jenks"],
        env=env,
    )
    assert r.exit_code == 0, r.output
    text = chor.read_text(encoding="utf-8")
    assert_offline(text)
    assert "分级方法" in text or "\\u5206\\u7ea7\\u65b9\\u6cd5" in text
