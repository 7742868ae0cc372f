"""``gridsvc map heatmap|choropleth|timeline|compare --out FILE.html|FILE.png``: one
self-contained page or one image for a briefing; the format follows the file's suffix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

err = Console(stderr=True)

Out = Annotated[
    Path, typer.Option("--out", help="FILE.html (a page, all inlined) or FILE.png (an image)")
]
Category = Annotated[str | None, typer.Option(help="codes, comma-separated; groups too")]
Day = Annotated[str | None, typer.Option(help="Beijing day YYYY-MM-DD")]
Tiles = Annotated[
    str | None,
    typer.Option(help="HTML only: none, osm, tianditu or amap (default GRIDSVC_MAP_TILES)"),
]


def _is_png(out: Path, tiles: str | None) -> bool:
    """Whether ``out`` asks for an image; refuses other suffixes and tiles in an image."""
    from gridsvc.errors import InvalidInput
    from gridsvc.messages import Msg

    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".png"):
        raise InvalidInput("map.cli_suffix", out=out, suffix=suffix or Msg("common.none"))
    if suffix == ".png" and tiles not in (None, "none"):
        raise InvalidInput("map.cli_png_tiles")
    return suffix == ".png"


def _write(out: Path, body: str | bytes) -> None:
    if isinstance(body, bytes):
        out.write_bytes(body)
        err.print(f"wrote {out} ({len(body):,} bytes, PNG)")
    else:
        out.write_text(body, encoding="utf-8")
        err.print(f"wrote {out} ({len(body.encode()):,} bytes, works offline)")


def _render(out: Path, tiles: str | None, build: Callable[[Any, bool], str | bytes]) -> None:
    """Check the suffix, build the page (``image`` False) or the PNG (True) with a service
    that is closed afterwards, and write it to ``out``."""
    image = _is_png(out, tiles)
    svc = _service()
    try:
        body = build(svc, image)
    finally:
        svc.close()
    _write(out, body)


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
        cell_m: Annotated[
            float | None, typer.Option(help="bin size, metres (default: 200 or coarser)")
        ] = None,
        tiles: Tiles = None,
    ) -> None:
        """Events binned in PostGIS over the district outlines."""
        from gridsvc.maps import heatmap_html, png
        from gridsvc.stats.cli import cli_filter

        flt = cli_filter(category, date_from, date_to)
        _render(
            out,
            tiles,
            lambda svc, image: (
                png.heatmap_png(svc, flt, cell_m=cell_m)
                if image
                else heatmap_html(svc, flt, cell_m=cell_m, standalone=True, tiles=tiles)
            ),
        )

    @map_app.command("choropleth")
    def choropleth_cmd(
        out: Out,
        level: str = "street",
        value: Annotated[
            str, typer.Option(help="density_per_km2 (events per km²), rate_per_1000 or n")
        ] = "density_per_km2",
        scheme: Annotated[
            str, typer.Option(help="quantiles, fisher_jenks or equal_interval")
        ] = "quantiles",
        k: Annotated[int, typer.Option(help="number of classes")] = 5,
        category: Category = None,
        date_from: Annotated[str | None, typer.Option("--from")] = None,
        date_to: Annotated[str | None, typer.Option("--to")] = None,
        hotspots: Annotated[
            bool, typer.Option("--hotspots", help="add the Gi* hot and cold spots")
        ] = False,
        permutations: Annotated[int, typer.Option(help="of the hot-spot test, ≤ 9999")] = 999,
        tiles: Tiles = None,
    ) -> None:
        """Units of LEVEL coloured by class, legend in Chinese naming the method."""
        from gridsvc.maps import choropleth_html, png
        from gridsvc.stats.cli import cli_filter

        flt = cli_filter(category, date_from, date_to)
        options: dict[str, Any] = {
            "value": value,
            "scheme": scheme,
            "k": k,
            "hotspots": hotspots,
            "permutations": permutations,
        }
        _render(
            out,
            tiles,
            lambda svc, image: (
                png.choropleth_png(svc, level, flt, **options)
                if image
                else choropleth_html(svc, level, flt, standalone=True, tiles=tiles, **options)
            ),
        )

    @map_app.command("timeline")
    def timeline_cmd(
        out: Out,
        step: Annotated[str, typer.Option(help="day, week or month")] = "week",
        category: Category = None,
        date_from: Annotated[str | None, typer.Option("--from")] = None,
        date_to: Annotated[str | None, typer.Option("--to")] = None,
        cell_m: Annotated[float, typer.Option(help="bin size, metres")] = 500.0,
        tiles: Tiles = None,
    ) -> None:
        """Heat per period with a slider (PNG: the last 12 periods side by side)."""
        from gridsvc.maps import png, timeline_html
        from gridsvc.stats.cli import cli_filter

        flt = cli_filter(category, date_from, date_to)
        _render(
            out,
            tiles,
            lambda svc, image: (
                png.timeline_png(svc, flt, step=step, cell_m=cell_m)
                if image
                else timeline_html(svc, flt, step=step, cell_m=cell_m, standalone=True, tiles=tiles)
            ),
        )

    @map_app.command("compare")
    def compare_cmd(
        out: Out,
        date_from: Annotated[str, typer.Option("--from", help="first day of the period")],
        date_to: Annotated[str, typer.Option("--to", help="day after the period")],
        base_from: Annotated[str, typer.Option("--base-from")],
        base_to: Annotated[str, typer.Option("--base-to")],
        level: str = "street",
        category: Category = None,
        fdr: Annotated[bool, typer.Option("--fdr", help="significance after BH")] = False,
        tiles: Tiles = None,
    ) -> None:
        """Change from the base period per unit: rate ratio, significant units outlined."""
        from gridsvc.maps import compare_html, png
        from gridsvc.stats.cli import cli_filter

        current = cli_filter(category, date_from, date_to)
        base = cli_filter(category, base_from, base_to)
        _render(
            out,
            tiles,
            lambda svc, image: (
                png.compare_png(svc, level, current, base, fdr=fdr)
                if image
                else compare_html(svc, level, current, base, fdr=fdr, standalone=True, tiles=tiles)
            ),
        )
