"""``gridsvc events …``, ``gridsvc categories …`` and ``gridsvc init``."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

err = Console(stderr=True)


def _service() -> Any:
    from gridsvc.service import Gridsvc

    return Gridsvc.open()


def register_event_commands(
    events_app: typer.Typer, categories_app: typer.Typer, app: typer.Typer
) -> None:
    """Add the event, taxonomy and init commands to the CLI."""

    @events_app.command("import")
    def import_cmd(
        file: Path,
        crs: Annotated[str, typer.Option(help="CRS of rows without a crs column")] = "wgs84",
        source: Annotated[str, typer.Option(help="source of rows without one")] = "import",
        fmt: Annotated[str | None, typer.Option("--format", help="csv, geojson or ndjson")] = None,
        encoding: Annotated[str, typer.Option(help="text encoding, e.g. gbk")] = "utf-8",
        rejections: Annotated[
            Path | None,
            typer.Option(help="write the rejected rows (row number, field, reason) to this CSV"),
        ] = None,
        synthetic: Annotated[
            bool, typer.Option(help="the file is made-up data (events say `synthetic`)")
        ] = False,
    ) -> None:
        """Import a file of reports; prints a report, exits 1 if any row was rejected."""
        from gridsvc.events.importer import import_events, rejections_csv

        svc = _service()
        try:
            with (
                Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    TextColumn("{task.completed:,} rows"),
                    TimeElapsedColumn(),
                    console=err,
                    transient=True,
                ) as bar,
                file.open("rb") as stream,
            ):
                task = bar.add_task(f"importing {file.name}", total=None)
                report = import_events(
                    svc,
                    stream,
                    filename=file.name,
                    fmt=fmt,
                    crs=crs,
                    source=source,
                    encoding=encoding,
                    progress=lambda n: bar.update(task, completed=n),
                    synthetic=synthetic,
                )
            if rejections is not None:
                rejections.write_text(rejections_csv(svc, report.import_id), encoding="utf-8")
        finally:
            svc.close()
        rate = report.rows_read / report.seconds if report.seconds else 0
        err.print(
            f"import {report.import_id}: {report.rows_read:,} rows read, "
            f"{report.stored:,} stored, {report.already_stored:,} already stored, "
            f"{report.rejected:,} rejected ({report.seconds:.1f} s, {rate:,.0f} rows/s)"
        )
        for r in report.rejections[:20]:
            err.print(f"  row {r.row_number}: {r.reason}", highlight=False)
        if report.rejected > 20:
            err.print(f"  … and {report.rejected - 20:,} more (--rejections FILE lists all)")
        print(json.dumps(report.to_dict(max_rejections=0), ensure_ascii=False))
        if report.rejected:
            raise typer.Exit(code=1)

    @events_app.command("generate")
    def generate_cmd(
        out: Annotated[Path, typer.Option("--out", help="CSV file to write")],
        count: Annotated[int, typer.Option(min=1)] = 10_000,
        days: Annotated[int, typer.Option(min=1)] = 90,
        seed: Annotated[int, typer.Option()] = 1,
    ) -> None:
        """Write realistic synthetic reports (the import format) for demos and benchmarks."""
        n = _generate(out, count=count, days=days, seed=seed)
        err.print(f"wrote {n:,} synthetic events to {out}")

    @categories_app.command("load")
    def categories_load_cmd(file: Path) -> None:
        """Load a city's taxonomy (JSON or TOML); categories it lacks are deactivated."""
        from gridsvc.events.taxonomy_db import store_taxonomy
        from gridsvc.events.taxonomy_file import load_taxonomy_file

        taxonomy = load_taxonomy_file(file)
        svc = _service()
        try:
            with svc.db.connection() as conn:
                gone = store_taxonomy(conn, taxonomy)
        finally:
            svc.close()
        err.print(
            f"loaded {len(taxonomy)} categories from {file.name}"
            + (f"; deactivated {', '.join(gone)}" if gone else "")
        )

    @categories_app.command("list")
    def categories_list_cmd() -> None:
        """The stored taxonomy."""
        from gridsvc.events.store import taxonomy_of

        svc = _service()
        try:
            taxonomy = taxonomy_of(svc)
        finally:
            svc.close()
        for c in taxonomy:
            indent = "  " if c.leaf else ""
            print(f"{indent}{c.code:<36} {c.name_zh}  {c.name_en}")

    @app.command("init")
    def init_cmd(
        sample_events: Annotated[
            int, typer.Option(help="synthetic events to load when none are stored")
        ] = 0,
        sample_days: Annotated[int, typer.Option()] = 90,
    ) -> None:
        """First-start data: the Nanjing grids, the default taxonomy and, optionally, sample
        events — each only where nothing is loaded yet."""
        svc = _service()
        try:
            for line in initialise(svc, sample_events=sample_events, sample_days=sample_days):
                err.print(line)
        finally:
            svc.close()


def _generate(out: Path, *, count: int, days: int, seed: int) -> int:
    import geopandas as gpd

    from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
    from gridsvc.grids.default import default_dataset_path
    from gridsvc.settings import GridSettings

    units = gpd.read_file(default_dataset_path(GridSettings()), layer="grid_unit")
    chunks = generate_events(units, DEFAULT_MIX, count=count, days=days, seed=seed)
    return write_events_csv(out, chunks)


def initialise(svc: Any, *, sample_events: int = 0, sample_days: int = 90) -> list[str]:
    """Load what a fresh database lacks; returns one line per thing done, and always ends
    the credential lines saying how to sign in (:func:`_admin_credentials`)."""
    from gridsvc.events.importer import import_events
    from gridsvc.events.taxonomy_db import read_taxonomy, store_taxonomy
    from gridsvc.events.taxonomy_file import default_taxonomy
    from gridsvc.grids.default import load_default
    from gridsvc.workflow.departments import (
        default_departments,
        read_departments,
        store_departments,
    )

    done: list[str] = []
    version = load_default(svc.db, svc.settings.grids, if_empty=True)
    if version is not None:
        done.append(f"loaded the default Nanjing grids as version {version}")
    with svc.db.connection() as conn:
        if len(read_taxonomy(conn)) == 0:
            store_taxonomy(conn, default_taxonomy())
            done.append("loaded the default event taxonomy")
        if not read_departments(conn):
            store_departments(conn, default_departments())
            done.append("loaded the default departments")
    credentials = _admin_credentials(svc)
    if sample_events > 0:
        (n,) = svc.db.cursor_fetchall("SELECT count(*) FROM event")[0]
        if n == 0:
            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "sample-events.csv"
                _generate(path, count=sample_events, days=sample_days, seed=20261128)
                with path.open("rb") as stream:
                    report = import_events(
                        svc, stream, filename=path.name, source="import", synthetic=True
                    )
            done.append(
                f"loaded {report.stored:,} synthetic sample events ({report.rejected} rejected)"
            )
    if not done and not credentials.made:
        done.append(
            "nothing to load: grids, taxonomy, departments, tokens, users and events are there"
        )
    return done + credentials.lines  # last, so the way to sign in ends what a start prints


@dataclass(frozen=True)
class Credentials:
    lines: list[str]
    made: bool
    """Whether this start created the first token or account."""


def _admin_credentials(svc: Any) -> Credentials:
    """How to sign in, always: the first admin token and console account when this start
    made them (and where they are), else where the files of an earlier start are or, when
    there are none (a database another clone or a restore filled), that credentials exist
    and the commands that make new ones. Secrets already stored are never printed: only
    their hashes are in the database."""
    from gridsvc.access import create_token, list_tokens
    from gridsvc.users import create_first_admin

    data_dir: Path = svc.settings.db.data_dir
    lines: list[str] = []
    made = False
    token_file = data_dir / "admin-token"
    if not list_tokens(svc.db):
        _, token = create_token(svc.db, role="admin", name="local-admin")
        _write_secret(token_file, token)
        made = True
        lines.append(f"created the first admin token; it is in {token_file}")
    elif token_file.is_file():
        lines.append(f"API admin token: {token_file} (send it as `Authorization: Bearer …`)")
    else:
        lines.append(
            "API tokens exist already, and this checkout has no admin-token file "
            f"({token_file}); make a new admin token with "
            "`gridsvc token create --role admin --name NAME` (it is printed once)"
        )
    password_file = data_dir / "admin-password"
    first = create_first_admin(svc.db)
    if first is not None:
        name, password = first
        _write_secret(password_file, password)
        made = True
        lines.append(
            f"created the console account '{name}' with password {password} (also in "
            f"{password_file}); open the service's address in a browser and sign in"
        )
    elif password_file.is_file():
        lines.append(
            f"console: sign in as 'admin' with the password in {password_file} (if it was "
            "changed since, `gridsvc user password admin` sets a new one)"
        )
    else:
        lines.append(
            "console accounts exist already, and this checkout has no admin-password file "
            f"({password_file}); `gridsvc user password admin` sets and prints a new password "
            "for 'admin' (`gridsvc user list` shows the accounts)"
        )
    return Credentials(lines, made)


def _write_secret(path: Path, secret: str) -> None:
    """``secret`` alone in ``path``, readable by its owner only (mode 600 before the secret
    is written, so it is never readable by others)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(secret + "\n")
