"""``gridsvc embed publish|list|revoke``: public map links, as ``/v1/embeds`` does."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console

err = Console(stderr=True)


def _service() -> Any:
    from gridsvc.service import Gridsvc

    return Gridsvc.open()


def _params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        params[name.strip()] = value.strip()
    return params


def register_embed_commands(app: typer.Typer) -> None:
    embed_app = typer.Typer(
        help="Public map links: signed, expiring, small counts hidden.", no_args_is_help=True
    )
    app.add_typer(embed_app, name="embed")

    @embed_app.command("publish")
    def embed_publish(
        kind: Annotated[str, typer.Argument(help="choropleth or heatmap")],
        title: Annotated[str, typer.Option(help="names the map and its page")],
        param: Annotated[
            list[str] | None,
            typer.Option(
                help="NAME=VALUE, as the /v1/maps query parameters (repeat), e.g. "
                "level=street, category=hazard, from=2026-11-01"
            ),
        ] = None,
        days: Annotated[int, typer.Option(help="days until the link expires (1-365)")] = 30,
        by: Annotated[str, typer.Option(help="who publishes, as listed")] = "cli",
    ) -> None:
        """Make the page now and print its link (relative to the server's address)."""
        from gridsvc.embeds import publish

        svc = _service()
        try:
            done = publish(svc, kind, _params(param or []), title=title, created_by=by, days=days)
        finally:
            svc.close()
        expires = done.embed.expires_at
        err.print(f"embed {done.embed.id}, expires {expires:%Y-%m-%d %H:%M} (UTC+08:00):")
        print(done.link.path)

    @embed_app.command("list")
    def embed_list() -> None:
        """Every embed with its state and link (JSON)."""
        from gridsvc.embeds import list_embeds

        svc = _service()
        try:
            now = svc.now()
            rows = [
                {**vars(p.embed), "state": p.embed.state(now), "url": p.link.path}
                for p in list_embeds(svc)
            ]
        finally:
            svc.close()
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))

    @embed_app.command("revoke")
    def embed_revoke(embed_id: int) -> None:
        """Withdraw an embed: its link answers 410 Gone from now on."""
        from gridsvc.embeds import revoke

        svc = _service()
        try:
            revoke(svc, embed_id)
        finally:
            svc.close()
        err.print(f"embed {embed_id} revoked")
