"""``gridsvc grids …`` and ``gridsvc locate``: thin over :mod:`gridsvc.grids`."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

err = Console(stderr=True)


def _service() -> Any:
    from gridsvc.service import Gridsvc

    return Gridsvc.open()


def register_grid_commands(grids_app: typer.Typer, app: typer.Typer) -> None:
    """Add the grid commands to the CLI (kept here so ``gridsvc/cli.py`` stays small)."""

    @grids_app.command("load-default")
    def load_default_cmd(
        if_empty: Annotated[
            bool, typer.Option("--if-empty/--always", help="only when no version exists yet")
        ] = True,
    ) -> None:
        """Load the Nanjing default dataset (synthetic below district level)."""
        from gridsvc.grids.default import load_default

        svc = _service()
        try:
            version_id = load_default(svc.db, svc.settings.grids, if_empty=if_empty)
        finally:
            svc.close()
        if version_id is None:
            err.print("grids already loaded; nothing to do (use --always to load again)")
        else:
            err.print(f"loaded the default Nanjing grids as version {version_id}")

    @grids_app.command("list")
    def list_cmd(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
        """The loaded grid versions; the active one is marked."""
        from gridsvc.grids import store

        svc = _service()
        try:
            versions = store.list_versions(svc.db)
        finally:
            svc.close()
        if as_json:
            print(json.dumps([v.to_dict() for v in versions], ensure_ascii=False, indent=2))
            return
        table = Table("id", "active", "name", "synthetic", "communities", "grids", "loaded")
        for v in versions:
            table.add_row(
                str(v.id),
                "*" if v.active else "",
                v.name,
                str(v.synthetic),
                str(v.communities),
                str(v.grids),
                v.loaded_at.isoformat(" ", "seconds"),
            )
        Console().print(table)

    @grids_app.command("activate")
    def activate_cmd(version: int) -> None:
        """Make VERSION the version new events are assigned with."""
        from gridsvc.grids import store

        svc = _service()
        try:
            active = store.activate(svc.db, version)
        finally:
            svc.close()
        err.print(f"version {active.id} ({active.name}) is active")

    @grids_app.command("reassign")
    def reassign_cmd(
        version: Annotated[int, typer.Option("--version", help="grid version to move to")],
    ) -> None:
        """Reassign every stored event to the grids of VERSION; reports how many moved."""
        from gridsvc.grids import store

        svc = _service()
        try:
            result = store.reassign(
                svc.db,
                version,
                snap_m=svc.settings.grids.snap_tolerance_m,
                near_m=svc.settings.grids.near_boundary_m,
            )
        finally:
            svc.close()
        err.print(
            f"{result.total} events reassigned to version {version}: {result.moved} "
            f"moved to another community, {result.outside} outside every grid"
        )
        print(json.dumps(result.to_dict()))

    @grids_app.command("validate")
    def validate_cmd(
        path: Path,
        level: Annotated[str, typer.Option(help="community or grid")] = "community",
        code_field: Annotated[str, typer.Option()] = "code",
        name_field: Annotated[str, typer.Option()] = "name",
        parent_field: Annotated[str | None, typer.Option()] = None,
        layer: Annotated[str | None, typer.Option()] = None,
        source_crs: Annotated[
            str | None,
            typer.Option("--crs", help="CRS of a file that declares none, e.g. EPSG:4490"),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """Check a boundary file against the active version without writing anything."""
        from gridsvc.grids.importer import check_file

        svc = _service()
        try:
            report, _ = check_file(
                svc,
                path,
                level=level,
                code_field=code_field,
                name_field=name_field,
                parent_field=parent_field,
                layer=layer,
                source_crs=source_crs,
            )
        finally:
            svc.close()
        if as_json:
            print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str))
        else:
            print(report.summary())
        if not report.ok:
            raise typer.Exit(code=1)

    @grids_app.command("import")
    def import_cmd(
        path: Path,
        level: Annotated[str, typer.Option(help="community or grid")] = "community",
        code_field: Annotated[str, typer.Option()] = "code",
        name_field: Annotated[str, typer.Option()] = "name",
        parent_field: Annotated[str | None, typer.Option()] = None,
        population_field: Annotated[str | None, typer.Option()] = None,
        layer: Annotated[str | None, typer.Option()] = None,
        source_crs: Annotated[
            str | None,
            typer.Option("--crs", help="CRS of a file that declares none, e.g. EPSG:4490"),
        ] = None,
        name: Annotated[str | None, typer.Option(help="name of the new version")] = None,
        fix: Annotated[bool, typer.Option(help="repair what can be repaired")] = False,
        activate: Annotated[bool, typer.Option(help="make the new version active")] = True,
    ) -> None:
        """Validate a city's boundary file and load it as a new grid version."""
        from gridsvc.grids.importer import import_file

        svc = _service()
        try:
            result = import_file(
                svc,
                path,
                level=level,
                code_field=code_field,
                name_field=name_field,
                parent_field=parent_field,
                population_field=population_field,
                layer=layer,
                source_crs=source_crs,
                name=name,
                fix=fix,
                activate=activate,
            )
        finally:
            svc.close()
        for change in result.changes:
            err.print(f"fixed: {change}")
        if not result.report.ok:
            print(result.report.summary())
            err.print(
                "[bold red]import refused:[/] nothing was written. Fix the file, or "
                "rerun with --fix to repair what can be repaired."
            )
            raise typer.Exit(code=1)
        err.print(
            f"loaded {path.name} as grid version {result.version_id} "
            f"({result.counts}){' and activated it' if activate else ''}"
        )
        if result.report.warnings:
            print(result.report.summary())

    @app.command("locate")
    def locate_cmd(
        lon: Annotated[float | None, typer.Argument(help="longitude in --crs")] = None,
        lat: Annotated[float | None, typer.Argument(help="latitude in --crs")] = None,
        crs: Annotated[str, typer.Option(help="wgs84, cgcs2000, gcj02 or bd09")] = "wgs84",
        file: Annotated[
            str | None,
            typer.Option(
                "--file", help="CSV with header lon,lat ('-' for stdin); writes CSV to stdout"
            ),
        ] = None,
        as_json: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        """The grid chain of a point, or of every row of a CSV file."""
        svc = _service()
        try:
            if file is not None:
                _locate_csv(svc, file, crs)
                return
            if lon is None or lat is None:
                raise typer.BadParameter("give LON LAT, or --file")
            found = svc.locate(lon, lat, crs=crs)
        finally:
            svc.close()
        if as_json:
            print(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
            return
        flags = [f for f in ("snapped", "near_boundary") if getattr(found, f)]
        print(
            f"WGS-84 {found.lon_wgs84:.7f}, {found.lat_wgs84:.7f}"
            + (f"  [{', '.join(flags)}]" if flags else "")
        )
        for unit in found.units:
            print(f"  {unit.level:<10} {unit.code:<15} {unit.name}")


LOCATE_CSV_COLUMNS = (
    "lon",
    "lat",
    "lon_wgs84",
    "lat_wgs84",
    "community_code",
    "street_code",
    "district_code",
    "sector",
)
_CHUNK = 50_000


def _locate_csv(svc: Any, file: str, crs: str) -> None:
    """Stream a lon,lat CSV through the locator in chunks; one output row per input row."""
    from gridsvc.errors import InvalidInput

    handle = sys.stdin if file == "-" else open(file, newline="", encoding="utf-8-sig")  # noqa: SIM115
    try:
        reader = csv.DictReader(handle)
        fields = [f.strip().lower() for f in (reader.fieldnames or [])]
        if "lon" not in fields or "lat" not in fields:
            raise InvalidInput(
                f"The CSV header must have columns lon and lat; it has {fields}.",
                hint="Write a first line `lon,lat`.",
                field="header",
            )
        reader.fieldnames = fields
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(LOCATE_CSV_COLUMNS)
        chunk: list[tuple[str, str]] = []
        row_number = 1
        for row in reader:
            row_number += 1
            chunk.append((row["lon"], row["lat"]))
            if len(chunk) >= _CHUNK:
                _write_chunk(svc, writer, chunk, crs, row_number - len(chunk) + 1)
                chunk = []
        if chunk:
            _write_chunk(svc, writer, chunk, crs, row_number - len(chunk) + 1)
    finally:
        if handle is not sys.stdin:
            handle.close()


def _write_chunk(
    svc: Any, writer: Any, chunk: list[tuple[str, str]], crs: str, first_row: int
) -> None:
    from gridsvc.errors import InvalidCoordinate

    lon, lat = [], []
    for i, (x, y) in enumerate(chunk):
        try:
            lon.append(float(x))
            lat.append(float(y))
        except (TypeError, ValueError):
            raise InvalidCoordinate(
                f"Row {first_row + i}: lon/lat ({x!r}, {y!r}) are not numbers.",
                hint="Every row needs decimal degrees in both columns.",
            ) from None
    for (x, y), found in zip(chunk, svc.locate_many(lon, lat, crs=crs), strict=True):
        sector = next((u.name for u in found.units if u.level == "sector"), "")
        writer.writerow(
            [
                x,
                y,
                f"{found.lon_wgs84:.7f}",
                f"{found.lat_wgs84:.7f}",
                found.code("community") or "",
                found.code("street") or "",
                found.code("district") or "",
                sector,
            ]
        )
