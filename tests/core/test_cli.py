"""The `gridsvc` command, run in-process with typer's runner against a test database."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from typer.testing import CliRunner

from gridsvc import crs
from gridsvc.cli import app
from gridsvc.grids import store
from gridsvc.service import Gridsvc

runner = CliRunner()


def _env(url: str) -> dict[str, str]:
    return {"GRIDSVC_DATABASE_URL": url, "GRIDSVC_LOCATOR_REFRESH_S": "0"}


def _point_in(svc: Gridsvc, code: str) -> shapely.Point:
    units = store.read_units(svc.db, store.active_version(svc.db).id).set_index("code")
    point = units.at[code, "geometry"].representative_point()
    assert isinstance(point, shapely.Point)
    return point


def test_locate_one_point_prints_the_chain(shared_svc: Gridsvc, shared_db_url: str) -> None:
    p = _point_in(shared_svc, "320104001001")
    gx, gy = crs.wgs84_to_gcj02(p.x, p.y)
    result = runner.invoke(
        app, ["locate", str(gx), str(gy), "--crs", "gcj02", "--json"], env=_env(shared_db_url)
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["codes"]["community"] == "320104001001"
    plain = runner.invoke(app, ["locate", str(p.x), str(p.y)], env=_env(shared_db_url))
    assert "320104001001" in plain.stdout and "秦淮区" in plain.stdout


def test_locate_outside_exits_non_zero_with_the_nearest_grid(shared_db_url: str) -> None:
    result = runner.invoke(app, ["locate", "118.0", "32.0"], env=_env(shared_db_url))
    assert result.exit_code == 1
    assert "outside every grid" in result.stderr and "nearest" in result.stderr


def test_locate_csv_file_keeps_order_and_leaves_unfound_codes_empty(
    shared_svc: Gridsvc, shared_db_url: str, tmp_path: Path
) -> None:
    inside = _point_in(shared_svc, "320111001005")  # 泰山街道, in 江北新区
    rows = [(inside.x, inside.y), (118.0, 32.0), (inside.x, inside.y)]
    src = tmp_path / "points.csv"
    src.write_text("lon,lat\n" + "".join(f"{x},{y}\n" for x, y in rows), encoding="utf-8")
    result = runner.invoke(app, ["locate", "--file", str(src)], env=_env(shared_db_url))
    assert result.exit_code == 0, result.output
    out = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(out[0]) == [
        "lon",
        "lat",
        "lon_wgs84",
        "lat_wgs84",
        "community_code",
        "street_code",
        "district_code",
        "sector",
    ]
    assert [r["community_code"] for r in out] == ["320111001005", "", "320111001005"]
    assert out[0]["street_code"] == "320111001" and out[0]["district_code"] == "320111"
    assert out[0]["sector"] == "江北新区" and out[1]["sector"] == ""
    # stdin works the same
    piped = runner.invoke(
        app, ["locate", "--file", "-"], input=src.read_text(), env=_env(shared_db_url)
    )
    assert piped.stdout == result.stdout


def test_locate_csv_names_a_bad_row_and_keeps_the_others(
    shared_db_url: str, tmp_path: Path
) -> None:
    src = tmp_path / "bad.csv"
    src.write_text("lon,lat\n118.78,32.04\nabc,32.0\n118.79,32.05\n", encoding="utf-8")
    result = runner.invoke(app, ["locate", "--file", str(src)], env=_env(shared_db_url))
    assert result.exit_code == 1 and "Row 3" in result.stderr
    out = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(out) == 3 and out[1]["community_code"] == "" and out[1]["lon"] == "abc"
    assert out[0]["community_code"] and out[2]["community_code"]


def _broken_communities(svc: Gridsvc, tmp_path: Path) -> Path:
    units = store.read_units(svc.db, store.active_version(svc.db).id)
    comm = units[units["level"] == "community"][["code", "name", "parent_code", "geometry"]]
    comm = comm.reset_index(drop=True)
    comm.loc[0, "code"] = "32010200200X"  # malformed
    minx, miny, maxx, maxy = comm.geometry[5].bounds
    comm.loc[5, "geometry"] = shapely.MultiPolygon(
        [
            shapely.Polygon(  # a bow tie
                [(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy), (minx, miny)]
            )
        ]
    )
    path = tmp_path / "broken.gpkg"
    gpd.GeoDataFrame(comm, crs=4326).to_file(path, driver="GPKG")
    return path


def test_validate_and_import_of_a_broken_file_write_nothing(
    svc: Gridsvc, db_url: str, tmp_path: Path
) -> None:
    path = _broken_communities(svc, tmp_path)
    before = len(store.list_versions(svc.db))
    checked = runner.invoke(
        app,
        ["grids", "validate", str(path), "--level", "community", "--parent-field", "parent_code"],
        env=_env(db_url),
    )
    assert checked.exit_code == 1
    assert "malformed_code" in checked.stdout and "32010200200X" in checked.stdout
    assert "invalid_geometry" in checked.stdout
    imported = runner.invoke(
        app,
        ["grids", "import", str(path), "--level", "community", "--parent-field", "parent_code"],
        env=_env(db_url),
    )
    assert imported.exit_code == 1 and "nothing was written" in imported.stderr
    assert len(store.list_versions(svc.db)) == before


def test_grids_list_activate_and_load_default_again(svc: Gridsvc, db_url: str) -> None:
    again = runner.invoke(app, ["grids", "load-default"], env=_env(db_url))
    assert again.exit_code == 0 and "nothing to do" in again.stderr
    forced = runner.invoke(app, ["grids", "load-default", "--always"], env=_env(db_url))
    assert forced.exit_code == 0
    listed = json.loads(runner.invoke(app, ["grids", "list", "--json"], env=_env(db_url)).stdout)
    assert [v["id"] for v in listed] == [1, 2] and [v["active"] for v in listed] == [False, True]
    back = runner.invoke(app, ["grids", "activate", "1"], env=_env(db_url))
    assert back.exit_code == 0 and store.active_version(svc.db).id == 1
    missing = runner.invoke(app, ["grids", "activate", "42"], env=_env(db_url))
    assert missing.exit_code == 1 and "No grid version 42" in missing.stderr


@pytest.mark.parametrize("args", [["db", "status", "--json"], ["db", "migrate"]])
def test_db_commands_with_a_database_url(shared_db_url: str, args: list[str]) -> None:
    result = runner.invoke(app, args, env=_env(shared_db_url))
    assert result.exit_code == 0, result.output
    if "--json" in args:
        info = json.loads(result.stdout)
        assert info["managed"] is False and info["reachable"] is True
        assert info["postgis"].startswith("3.")


def _init(db_url: str, data_dir: Path) -> str:
    result = runner.invoke(app, ["init"], env={**_env(db_url), "GRIDSVC_DATA_DIR": str(data_dir)})
    assert result.exit_code == 0, result.output
    return " ".join(result.stderr.split())  # rich wraps long lines


def test_init_in_a_clone_whose_database_has_credentials_says_how_to_make_new_ones(
    svc: Gridsvc, db_url: str, tmp_path: Path
) -> None:
    # the template database was initialised elsewhere: a token and the admin account exist,
    # and this checkout has neither file (issue 22: `make run` used to say nothing)
    said = _init(db_url, tmp_path)
    assert not (tmp_path / "admin-token").exists()
    assert not (tmp_path / "admin-password").exists()
    assert "API tokens exist already" in said
    assert "`gridsvc token create --role admin --name NAME`" in said
    assert "console accounts exist already" in said
    assert "`gridsvc user password admin`" in said
    assert said.index("nothing to load") < said.index("API tokens exist")  # sign-in last

    # and the commands it names do what it says
    made = runner.invoke(
        app, ["token", "create", "--role", "admin", "--name", "again"], env=_env(db_url)
    )
    assert made.exit_code == 0, made.output
    reset = runner.invoke(app, ["user", "password", "admin"], env=_env(db_url))
    assert reset.exit_code == 0, reset.output
    assert "new password for 'admin'" in reset.stderr and len(reset.stdout.strip()) >= 10


def test_first_init_writes_both_files_and_a_second_names_them(
    svc: Gridsvc, db_url: str, tmp_path: Path
) -> None:
    svc.db.cursor_fetchall("DELETE FROM user_session; DELETE FROM app_user; DELETE FROM api_token")
    said = _init(db_url, tmp_path)
    token_file, password_file = tmp_path / "admin-token", tmp_path / "admin-password"
    assert f"created the first admin token; it is in {token_file}" in said
    password = password_file.read_text().strip()
    assert f"created the console account 'admin' with password {password}" in said
    for path in (token_file, password_file):
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    token = token_file.read_text().strip()
    assert len(token) >= 40 and token not in said  # the token is printed nowhere

    again = _init(db_url, tmp_path)
    assert f"API admin token: {token_file}" in again
    assert f"console: sign in as 'admin' with the password in {password_file}" in again
    assert password not in again and "nothing to load" in again
