"""``gridsvc token …``, ``gridsvc departments …`` and ``gridsvc calendar …``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

err = Console(stderr=True)


def _service() -> Any:
    from gridsvc.service import Gridsvc

    return Gridsvc.open()


def register_workflow_commands(app: typer.Typer) -> None:
    token_app = typer.Typer(help="API tokens (only their hashes are stored).", no_args_is_help=True)
    departments_app = typer.Typer(
        help="The departments events are dispatched to.", no_args_is_help=True
    )
    calendar_app = typer.Typer(help="The working-day calendar for deadlines.", no_args_is_help=True)
    app.add_typer(token_app, name="token")
    app.add_typer(departments_app, name="departments")
    app.add_typer(calendar_app, name="calendar")

    @token_app.command("create")
    def token_create(
        role: Annotated[
            str, typer.Option(help="grid_worker, dispatcher, department, analyst or admin")
        ],
        name: Annotated[str, typer.Option(help="who holds it; grid workers report as it")],
        scope: Annotated[
            str | None, typer.Option(help="grid code (grid_worker, dispatcher)")
        ] = None,
        department: Annotated[str | None, typer.Option(help="department code")] = None,
    ) -> None:
        """Create a token and print it (it cannot be shown again)."""
        from gridsvc.access import create_token

        svc = _service()
        try:
            token_id, token = create_token(
                svc.db, role=role, name=name, scope_code=scope, department_code=department
            )
        finally:
            svc.close()
        err.print(f"token {token_id} for {role} '{name}' — store it now, it is not kept:")
        print(token)

    @token_app.command("revoke")
    def token_revoke(token_id: int) -> None:
        """Revoke a token: it stops working within GRIDSVC_TOKEN_CACHE_S seconds (5)."""
        from gridsvc.access import revoke_token

        svc = _service()
        try:
            revoke_token(svc.db, token_id)
        finally:
            svc.close()
        err.print(
            f"token {token_id} revoked; running servers stop accepting it within "
            f"{svc.settings.server.token_cache_s:g} s"
        )

    @token_app.command("list")
    def token_list() -> None:
        """Tokens (never their secrets)."""
        from gridsvc.access import list_tokens

        svc = _service()
        try:
            rows = list_tokens(svc.db)
        finally:
            svc.close()
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))

    @departments_app.command("load")
    def departments_load(file: Path) -> None:
        """Load a city's departments (JSON); ones missing from it are deactivated."""
        from gridsvc.workflow.departments import load_departments_file, store_departments

        departments = load_departments_file(file)
        svc = _service()
        try:
            with svc.db.connection() as conn:
                store_departments(conn, departments)
        finally:
            svc.close()
        err.print(f"loaded {len(departments)} departments")

    @departments_app.command("list")
    def departments_list() -> None:
        from gridsvc.workflow.departments import read_departments

        svc = _service()
        try:
            with svc.db.connection() as conn:
                known = read_departments(conn)
        finally:
            svc.close()
        for d in known.values():
            print(f"{d.code:<20} {d.name_zh}  ({', '.join(d.categories)})")

    @calendar_app.command("load")
    def calendar_load(file: Path) -> None:
        """Load holidays and make-up working days: CSV `date,working,note`."""
        from gridsvc.workflow.calendar import load_calendar_file, store_calendar

        days = load_calendar_file(file)
        svc = _service()
        try:
            with svc.db.connection() as conn:
                n = store_calendar(conn, days)
        finally:
            svc.close()
        err.print(f"loaded {n} calendar days")
