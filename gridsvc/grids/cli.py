"""``gridsvc grids …`` and ``gridsvc locate``: thin over :mod:`gridsvc.grids`."""

from __future__ import annotations

import contextlib
import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import numpy as np
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
            f"loaded {path.name} as grid version {result.version_id} ("
            + ", ".join(f"{n} {level}" for level, n in result.counts.items())
            + ")"
            + (" and activated it (--no-activate keeps the current one)" if activate else "")
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
                bad = _locate_csv(svc, file, crs)
                if bad:
                    shown = ", ".join(str(n) for n in bad[:20]) + (" …" if len(bad) > 20 else "")
                    err.print(
                        f"Row {shown}: lon/lat are not decimal degrees in range; their "
                        f"output columns are empty ({len(bad)} rows).",
                        highlight=False,
                    )
                    raise typer.Exit(code=1)
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


def _locate_csv(svc: Any, file: str, crs: str) -> list[int]:
    """Stream a lon,lat CSV through the locator in chunks; one output row per input row.
    Returns the line numbers (header = line 1) whose lon/lat were not coordinates."""
    from gridsvc.errors import InvalidInput

    handle = sys.stdin if file == "-" else open(file, newline="", encoding="utf-8-sig")  # noqa: SIM115
    try:
        reader = csv.DictReader(handle)
        fields = [f.strip().lower() for f in (reader.fieldnames or [])]
        if "lon" not in fields or "lat" not in fields:
            raise InvalidInput("locate.csv_header", field="header", fields=fields)
        reader.fieldnames = fields
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(LOCATE_CSV_COLUMNS)
        chunk: list[tuple[str, str]] = []
        bad: list[int] = []
        row_number = 1
        for row in reader:
            row_number += 1
            chunk.append((row["lon"], row["lat"]))
            if len(chunk) >= _CHUNK:
                bad += _write_chunk(svc, writer, chunk, crs, row_number - len(chunk) + 1)
                chunk = []
        if chunk:
            bad += _write_chunk(svc, writer, chunk, crs, row_number - len(chunk) + 1)
        return bad
    finally:
        if handle is not sys.stdin:
            handle.close()


def _write_chunk(
    svc: Any, writer: Any, chunk: list[tuple[str, str]], crs: str, first_row: int
) -> list[int]:
    """Locate one chunk and write it; rows that are not coordinates get empty columns and
    their row numbers are returned, so one bad row does not lose the others."""
    lon = np.full(len(chunk), np.nan)
    lat = np.full(len(chunk), np.nan)
    for i, (x, y) in enumerate(chunk):
        with contextlib.suppress(TypeError, ValueError):
            lon[i], lat[i] = float(x), float(y)
    ok = np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    found = iter(svc.locate_many(lon[ok], lat[ok], crs=crs) if ok.any() else [])
    bad: list[int] = []
    for i, (x, y) in enumerate(chunk):
        if not ok[i]:
            bad.append(first_row + i)
            writer.writerow([x, y, "", "", "", "", "", ""])
            continue
        loc = next(found)
        sector = next((u.name for u in loc.units if u.level == "sector"), "")
        writer.writerow(
            [
                x,
                y,
                f"{loc.lon_wgs84:.7f}",
                f"{loc.lat_wgs84:.7f}",
                loc.code("community") or "",
                loc.code("street") or "",
                loc.code("district") or "",
                sector,
            ]
        )
    return bad
