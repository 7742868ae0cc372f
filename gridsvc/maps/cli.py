"""``gridsvc map heatmap|choropleth --out FILE.html``: one self-contained page for a briefing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

err = Console(stderr=True)

Out = Annotated[Path, typer.Option("--out", help="the HTML file to write (all inlined)")]
Category = Annotated[str | None, typer.Option(help="codes, comma-separated; groups too")]
Day = Annotated[str | None, typer.Option(help="Beijing day YYYY-MM-DD")]


def _service() -> Any:
    from gridsvc.service import Gridsvc

    return Gridsvc.open()


def register_map_commands(app: typer.Typer) -> None:
    map_app = typer.Typer(help="Offline maps as single HTML files.", no_args_is_help=True)
    app.add_typer(map_app, name="map")

    @map_app.command("heatmap")
    def heatmap_cmd(
        out: Out,
        category: Category = None,
        date_from: Annotated[str | None, typer.Option("--from")] = None,
        date_to: Annotated[str | None, typer.Option("--to")] = None,
        cell_m: Annotated[float, typer.Option(help="bin size, metres")] = 200.0,
    ) -> None:
        """Events binned in PostGIS over the district outlines."""
        from gridsvc.maps import heatmap_html
        from gridsvc.stats.cli import cli_filter

        svc = _service()
        try:
            html = heatmap_html(
                svc, cli_filter(category, date_from, date_to), cell_m=cell_m, standalone=True
            )
        finally:
            svc.close()
        out.write_text(html, encoding="utf-8")
        err.print(f"wrote {out} ({len(html.encode()):,} bytes, works offline)")

    @map_app.command("choropleth")
    def choropleth_cmd(
        out: Out,
        level: str = "street",
        value: Annotated[str, typer.Option(help="n, density_per_km2 or rate_per_1000")] = "n",
        scheme: Annotated[
            str, typer.Option(help="quantiles, fisher_jenks or equal_interval")
        ] = "quantiles",
        k: Annotated[int, typer.Option(help="number of classes")] = 5,
        category: Category = None,
        date_from: Annotated[str | None, typer.Option("--from")] = None,
        date_to: Annotated[str | None, typer.Option("--to")] = None,
    ) -> None:
        """Units of LEVEL coloured by class, legend in Chinese naming the method."""
        from gridsvc.maps import choropleth_html
        from gridsvc.stats.cli import cli_filter

        svc = _service()
        try:
            html = choropleth_html(
                svc,
                level,
                cli_filter(category, date_from, date_to),
                value=value,
                scheme=scheme,
                k=k,
                standalone=True,
            )
        finally:
            svc.close()
        out.write_text(html, encoding="utf-8")
        err.print(f"wrote {out} ({len(html.encode()):,} bytes, works offline)")
