"""The ``gridsvc`` command: thin over the library, one sub-command group per concept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from gridsvc.embeds.cli import register_embed_commands
from gridsvc.errors import GridsvcError
from gridsvc.events.cli import register_event_commands
from gridsvc.grids.cli import register_grid_commands
from gridsvc.maps.cli import register_map_commands
from gridsvc.settings import Settings, load_settings
from gridsvc.stats.cli import register_stats_commands
from gridsvc.users_cli import register_user_commands
from gridsvc.workflow.cli import register_workflow_commands


class _Group(TyperGroup):
    """Turns a :class:`GridsvcError` from any command into its message, hint and exit 1."""

    def invoke(self, ctx: Any) -> Any:  # click.Context, vendored privately by typer
        try:
            return super().invoke(ctx)
        except GridsvcError as exc:
            err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
            if exc.hint:
                err.print(f"[yellow]hint:[/] {exc.hint}", highlight=False)
            raise typer.Exit(code=1) from None


err = Console(stderr=True)
out = Console()

app = typer.Typer(
    help="gridsvc: grid-based social governance over PostGIS.",
    cls=_Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(
    help="The database: a local PostGIS managed by gridsvc, or GRIDSVC_DATABASE_URL.",
    no_args_is_help=True,
)
grids_app = typer.Typer(
    help="Grid versions: load, import, validate, activate, reassign.", no_args_is_help=True
)
events_app = typer.Typer(help="Event reports: bulk import, synthetic data.", no_args_is_help=True)
categories_app = typer.Typer(help="The event taxonomy.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(grids_app, name="grids")
app.add_typer(events_app, name="events")
app.add_typer(categories_app, name="categories")


def _settings() -> Settings:
    return load_settings()


def _cluster(settings: Settings) -> Any:
    from gridsvc.db.local import LocalCluster

    s = settings.db
    return LocalCluster(s.data_dir, port=s.db_port, os_user=s.db_os_user, bindir=s.pg_bindir)


def _ensure_database(settings: Settings) -> None:
    """Start the local cluster when no URL is set, then migrate."""
    from gridsvc.db.migrate import migrate
    from gridsvc.db.pool import Database

    if not settings.db.database_url:
        _cluster(settings).up()
    db = Database.from_settings(settings.db)
    try:
        result = migrate(db)
    finally:
        db.close()
    for name in result.applied:
        err.print(f"applied migration {name}")


# --- db --------------------------------------------------------------------------------------


@db_app.command("up")
def db_up() -> None:
    """Create (first time) and start the local PostGIS, then apply migrations."""
    settings = _settings()
    _ensure_database(settings)
    if settings.db.database_url:
        err.print("GRIDSVC_DATABASE_URL is set: using that server, nothing to start.")
    else:
        st = _cluster(settings).status()
        err.print(f"PostGIS running on 127.0.0.1:{st.port} (data in {st.storage_dir})")


@db_app.command("down")
def db_down() -> None:
    """Stop the local PostGIS (data is kept)."""
    settings = _settings()
    if settings.db.database_url:
        err.print("GRIDSVC_DATABASE_URL is set: gridsvc does not manage that server.")
        return
    stopped = _cluster(settings).down()
    err.print("stopped" if stopped else "not running")


@db_app.command("destroy")
def db_destroy(
    yes: Annotated[bool, typer.Option("--yes", help="really delete all data")] = False,
) -> None:
    """Stop the local PostGIS and delete its data (cluster, sockets, state)."""
    settings = _settings()
    if settings.db.database_url:
        err.print("GRIDSVC_DATABASE_URL is set: gridsvc does not manage that server.")
        raise typer.Exit(code=1)
    if not yes:
        err.print("This deletes every event and grid in the local database; add --yes.")
        raise typer.Exit(code=1)
    _cluster(settings).destroy()
    err.print(f"deleted the local database under {settings.db.data_dir}")


@db_app.command("status")
def db_status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Whether the database runs, where, and its PostgreSQL and PostGIS versions; exits 1
    when it cannot be reached."""
    from gridsvc.db.pool import Database

    settings = _settings()
    info: dict[str, Any] = {"managed": not settings.db.database_url}
    if not settings.db.database_url:
        info.update(_cluster(settings).status().to_dict())
        info.pop("url", None)
    try:
        db = Database.from_settings(settings.db)
        rows = db.cursor_fetchall(
            "SELECT current_setting('server_version'),"
            " (SELECT extversion FROM pg_extension WHERE extname = 'postgis')"
        )
        db.close()
        info.update(reachable=True, postgresql=rows[0][0], postgis=rows[0][1])
    except GridsvcError as exc:
        stopped = info.get("managed") and not info.get("running")
        info.update(
            reachable=False,
            problem="stopped: start it with `gridsvc db up`" if stopped else exc.message,
        )
    if as_json:
        print(json.dumps(info, default=str, indent=2))
    else:
        for key, value in info.items():
            out.print(f"{key:>12}: {value}", highlight=False)
    if not info["reachable"]:
        raise typer.Exit(code=1)


@db_app.command("url")
def db_url() -> None:
    """Print the connection URL (contains the local cluster's password)."""
    from gridsvc.db.pool import resolve_database_url

    print(resolve_database_url(_settings().db))


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending schema migrations (safe to repeat)."""
    from gridsvc.db.migrate import migrate
    from gridsvc.db.pool import Database

    db = Database.from_settings(_settings().db)
    try:
        result = migrate(db)
    finally:
        db.close()
    for name in result.applied:
        err.print(f"applied {name}")
    err.print(f"schema at version {result.current_version}")


@db_app.command("dump")
def db_dump(
    file: Annotated[Path, typer.Argument(help="where to write the dump (pg_dump custom format)")],
) -> None:
    """Back up the whole database to FILE (mode 600: it holds personal data)."""
    from gridsvc.db import backup
    from gridsvc.db.pool import resolve_database_url

    settings = _settings()
    written = backup.dump(resolve_database_url(settings.db), file, bindir=settings.db.pg_bindir)
    err.print(f"wrote {written} ({written.stat().st_size:,} bytes)")


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="a dump written by `gridsvc db dump`")],
    database: Annotated[
        str | None,
        typer.Option(help="restore into this database on the same server (created if missing)"),
    ] = None,
    clean: Annotated[
        bool, typer.Option("--clean", help="replace what the target database holds")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="confirm: this writes the database")] = False,
) -> None:
    """Restore FILE into the database (it must have no tables, or give --clean), or into a
    new database with --database NAME."""
    from gridsvc.db import backup
    from gridsvc.db.pool import resolve_database_url

    settings = _settings()
    entries = backup.check_dump(file, bindir=settings.db.pg_bindir)
    url = resolve_database_url(settings.db)
    target = database or backup.Connection.parse(url).database
    if not yes:
        what = "replaces everything in" if clean else "writes into"
        err.print(f"This {what} the database '{target}'; add --yes.")
        raise typer.Exit(code=1)
    if database:
        url = backup.create_database(url, database)
    backup.restore(url, file, clean=clean, bindir=settings.db.pg_bindir)
    err.print(f"restored {file} ({entries} entries) into '{target}'")


# --- serve -----------------------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="default GRIDSVC_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="default GRIDSVC_PORT or 8000")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="processes; default GRIDSVC_WORKERS or 1")
    ] = None,
) -> None:
    """Run the HTTP API with uvicorn (uvloop and httptools), in ``workers`` processes (on
    Linux each with a listening socket of its own, so connections spread over them).

    The library does not import the web framework: uvicorn loads ``api:create_app`` by name,
    and the app reads its settings from the environment (host and port given here are put
    there first)."""
    import os

    from gridsvc import logs, server
    from gridsvc.db.pool import resolve_database_url

    settings = _settings()
    resolve_database_url(settings.db)  # fails here, clearly, when there is no database yet
    if host:
        os.environ["GRIDSVC_HOST"] = settings.server.host = host
    if port:
        settings.server.port = port
        os.environ["GRIDSVC_PORT"] = str(port)
    base = f"http://{settings.server.host}:{settings.server.port}"
    err.print(f"gridsvc API on {base}  (health: {base}/health, docs: {base}/docs)")
    token = settings.db.data_dir / "admin-token"
    if token.is_file():
        err.print(f"admin token: {token} (send it as `Authorization: Bearer …`)")
    _warn_without_grids(settings)
    logs.configure(settings.server.log_format, settings.server.log_level)
    status = server.serve(
        settings.server.host, settings.server.port, workers or settings.server.workers
    )
    if status:
        raise typer.Exit(status)


def _warn_without_grids(settings: Settings) -> None:
    """Say at start, not at the first request, that a service without grids cannot locate,
    count or draw anything yet, and what to run. The service starts all the same: it picks
    up grids loaded while it runs."""
    from gridsvc.db.pool import Database, resolve_database_url
    from gridsvc.errors import NoActiveGridVersion
    from gridsvc.grids import store

    try:
        db = Database(resolve_database_url(settings.db), maxconn=1)
    except GridsvcError:
        return  # the server's own start says what is wrong with the database
    try:
        store.active_version(db)
    except NoActiveGridVersion as exc:
        err.print(
            f"[yellow]warning:[/] {exc.message} Until then locate, reports, statistics and "
            f"maps answer 503. {exc.hint}"
        )
    except GridsvcError:
        pass
    finally:
        db.close()


register_grid_commands(grids_app, app)
register_event_commands(events_app, categories_app, app)
register_workflow_commands(app)
register_user_commands(app)
register_stats_commands(app)
register_map_commands(app)
register_embed_commands(app)


def main() -> None:
    """The console entry point."""
    app()
