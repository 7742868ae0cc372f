"""``gridsvc stats …``: the statistics library to files (CSV for Excel, GeoJSON, GeoPackage)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated, Any, cast

import geopandas as gpd
import pandas as pd
import typer
from rich.console import Console

from gridsvc.errors import InvalidInput
from gridsvc.stats.timeseries import Interval

err = Console(stderr=True)

Category = Annotated[str | None, typer.Option(help="codes, comma-separated; groups too")]
Day = Annotated[str | None, typer.Option(help="Beijing day YYYY-MM-DD")]
Out = Annotated[Path | None, typer.Option("--out", help="file to write; default stdout (csv)")]
Fmt = Annotated[str, typer.Option("--format", help="csv, geojson or gpkg")]


def _day(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput("stats.cli_not_a_day", name=name, value=value) from None


def cli_filter(category: str | None, date_from: str | None, date_to: str | None) -> Any:
    from gridsvc.stats import StatsFilter

    cats = tuple(c.strip() for c in category.split(",")) if category else None
    return StatsFilter(
        categories=cats, date_from=_day(date_from, "from"), date_to=_day(date_to, "to")
    )


def _write(frame: pd.DataFrame, fmt: str, out: Path | None) -> None:
    from gridsvc.export import excel_csv

    if fmt == "csv":
        plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
        text = excel_csv(list(plain.columns), plain.itertuples(index=False, name=None))
        if out is None:
            print(text.lstrip("\ufeff"), end="")
        else:
            out.write_text(text, encoding="utf-8")
        return
    if not isinstance(frame, gpd.GeoDataFrame):
        raise InvalidInput("stats.cli_needs_geometry", format=fmt)
    if out is None:
        raise InvalidInput("stats.cli_needs_out", format=fmt)
    if fmt == "geojson":
        frame.to_file(out, driver="GeoJSON")
    elif fmt == "gpkg":
        frame.to_file(out, driver="GPKG", layer="stats")
    else:
        raise InvalidInput("stats.cli_format", format=fmt)


def _service() -> Any:
    from gridsvc.service import Gridsvc

    return Gridsvc.open()


def register_stats_commands(app: typer.Typer) -> None:
    stats_app = typer.Typer(
        help="Statistics per grid unit, over time, compared, hot spots.", no_args_is_help=True
    )
    app.add_typer(stats_app, name="stats")

    @stats_app.command("grids")
    def grids_cmd(
        level: str = "community",
        category: Category = None,
        date_from: Annotated[str | None, typer.Option("--from")] = None,
        date_to: Annotated[str | None, typer.Option("--to")] = None,
        fmt: Fmt = "csv",
        out: Out = None,
    ) -> None:
        """Counts, density and rates per unit of LEVEL (zeros included)."""
        from gridsvc.stats import counts_by_unit

        svc = _service()
        try:
            flt = cli_filter(category, date_from, date_to)
            frame: pd.DataFrame = (
                counts_by_unit(svc, level, flt)
                if fmt == "csv"
                else counts_by_unit(svc, level, flt, with_geometry=True)
            )
        finally:
            svc.close()
        _write(frame, fmt, out)

    @stats_app.command("timeseries")
    def timeseries_cmd(
        grid: str = "320100",
        interval: str = "day",
        category: Category = None,
        date_from: Annotated[str | None, typer.Option("--from")] = None,
        date_to: Annotated[str | None, typer.Option("--to")] = None,
        out: Out = None,
    ) -> None:
        """Counts per day, week or month of one unit, zero-filled (CSV)."""
        from gridsvc.stats import timeseries

        if interval not in ("day", "week", "month"):
            raise InvalidInput("stats.cli_interval")
        svc = _service()
        try:
            frame = timeseries(
                svc, grid, cast(Interval, interval), cli_filter(category, date_from, date_to)
            )
        finally:
            svc.close()
        _write(frame, "csv", out)

    @stats_app.command("compare")
    def compare_cmd(
        date_from: Annotated[str, typer.Option("--from")],
        date_to: Annotated[str, typer.Option("--to")],
        base_from: Annotated[str, typer.Option("--base-from")],
        base_to: Annotated[str, typer.Option("--base-to")],
        level: str = "district",
        category: Category = None,
        out: Out = None,
    ) -> None:
        """Two periods per unit: counts, change and its significance (CSV)."""
        from gridsvc.stats import compare

        svc = _service()
        try:
            frame = compare(
                svc,
                level,
                cli_filter(category, date_from, date_to),
                cli_filter(category, base_from, base_to),
            )
        finally:
            svc.close()
        _write(frame, "csv", out)

    @stats_app.command("hotspots")
    def hotspots_cmd(
        level: str = "community",
        category: Category = None,
        date_from: Annotated[str | None, typer.Option("--from")] = None,
        date_to: Annotated[str | None, typer.Option("--to")] = None,
        permutations: int = 99_999,
        fmt: Fmt = "csv",
        out: Out = None,
    ) -> None:
        """Getis-Ord Gi* hot and cold spots with FDR-corrected permutation p-values."""
        from gridsvc.stats import hotspots

        svc = _service()
        try:
            frame = hotspots(
                svc, level, cli_filter(category, date_from, date_to), permutations=permutations
            )
        finally:
            svc.close()
        _write(frame, fmt, out)
