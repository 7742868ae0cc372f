"""``gridsvc user …``: console accounts (the password is printed once, or read from stdin)."""

from __future__ import annotations

import json
import secrets
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

err = Console(stderr=True)
# typer reads the options' annotations by name, in this module's globals
STDIN_HELP = "read the password from standard input instead of making one"


def _service() -> Any:
    from gridsvc.service import Gridsvc

    return Gridsvc.open()


def _password(from_stdin: bool) -> tuple[str, bool]:
    """The password to set and whether it was made here (and must be shown)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    return "-".join(secrets.token_urlsafe(4) for _ in range(4)), True


def register_user_commands(app: typer.Typer) -> None:
    user_app = typer.Typer(
        help="Accounts for the web console (role and scope as for tokens).", no_args_is_help=True
    )
    app.add_typer(user_app, name="user")

    @user_app.command("create")
    def user_create(
        role: Annotated[
            str, typer.Option(help="grid_worker, dispatcher, department, analyst or admin")
        ],
        name: Annotated[str, typer.Option(help="the user name to sign in with")],
        scope: Annotated[
            str | None, typer.Option(help="grid code (grid_worker, dispatcher)")
        ] = None,
        department: Annotated[str | None, typer.Option(help="department code")] = None,
        display_name: Annotated[str | None, typer.Option(help="shown in the console")] = None,
        password_stdin: Annotated[bool, typer.Option(help=STDIN_HELP)] = False,
    ) -> None:
        """Create an account; prints its password once unless it came from stdin."""
        from gridsvc.users import create_user

        password, made = _password(password_stdin)
        svc = _service()
        try:
            create_user(
                svc.db,
                username=name,
                password=password,
                role=role,
                display_name=display_name,
                scope_code=scope,
                department_code=department,
            )
        finally:
            svc.close()
        err.print(f"user '{name}' ({role}) created" + (" — its password:" if made else ""))
        if made:
            print(password)

    @user_app.command("password")
    def user_password(
        name: str, password_stdin: Annotated[bool, typer.Option(help=STDIN_HELP)] = False
    ) -> None:
        """Set a new password (prints it if made here); ends the user's sessions."""
        from gridsvc.users import set_password

        password, made = _password(password_stdin)
        svc = _service()
        try:
            set_password(svc.db, name, password)
        finally:
            svc.close()
        err.print(f"new password for '{name}'; its sessions have ended" + (":" if made else ""))
        if made:
            print(password)

    @user_app.command("disable")
    def user_disable(name: str) -> None:
        """The user can no longer sign in; its sessions end at once."""
        from gridsvc.users import disable_user

        svc = _service()
        try:
            disable_user(svc.db, name)
        finally:
            svc.close()
        err.print(f"user '{name}' disabled")

    @user_app.command("list")
    def user_list() -> None:
        """Accounts (never their passwords)."""
        from gridsvc.users import list_users

        svc = _service()
        try:
            rows = list_users(svc.db)
        finally:
            svc.close()
        print(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
