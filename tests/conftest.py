"""Fixtures: a throwaway PostGIS for the whole run, and a fresh database per test.

The cluster is started by the same manager as `gridsvc db up`, in a temporary folder, unless
GRIDSVC_TEST_DATABASE_URL points at a server to use (its user needs CREATEDB). A template
database is migrated and loaded with the default Nanjing grids once; each test that writes
gets its own copy (CREATE DATABASE … TEMPLATE), so tests never see each other's data.

Under CI=true a skipped test fails the run: a database test must never pass by not running.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg2
import pytest

from gridsvc.db.local import LocalCluster
from gridsvc.db.migrate import migrate
from gridsvc.db.pool import Database
from gridsvc.events.cli import initialise
from gridsvc.service import Gridsvc
from gridsvc.settings import (
    CitySettings,
    DatabaseSettings,
    GridSettings,
    ServerSettings,
    Settings,
)

TEMPLATE = "gridsvc_test_template"


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str, sql: str) -> None:
    conn = psycopg2.connect(url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[LocalCluster | None]:
    """The private cluster the run started; None when GRIDSVC_TEST_DATABASE_URL names a
    server instead."""
    if os.environ.get("GRIDSVC_TEST_DATABASE_URL"):
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="gridsvc-test-"))
    folder.chmod(0o755)  # as root, the server's unprivileged user must reach it
    cluster = LocalCluster(folder / "db")
    cluster.up()
    try:
        yield cluster
    finally:
        cluster.destroy()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server(pg_cluster: LocalCluster | None) -> str:
    """URL of the server's maintenance database (`postgres`)."""
    if pg_cluster is None:
        return _with_db(os.environ["GRIDSVC_TEST_DATABASE_URL"], "postgres")
    return pg_cluster.url("postgres")


@pytest.fixture(scope="module")
def pg_standby_cluster(pg_cluster: LocalCluster | None) -> Iterator[LocalCluster]:
    """A hot standby of the run's private cluster, streaming from it (a base backup of the
    small test cluster takes a few seconds). One per module, gone after it: a standby's
    hot_standby_feedback holds back the primary's vacuum horizon, which other modules'
    tests of what VACUUM leaves (pages all-visible after an import) would see."""
    if pg_cluster is None:
        pytest.skip("a streaming replica needs the private test cluster")
    folder = Path(tempfile.mkdtemp(prefix="gridsvc-standby-"))
    folder.chmod(0o755)
    standby = LocalCluster(folder / "db")
    standby.up_standby(pg_cluster)
    try:
        yield standby
    finally:
        standby.destroy()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_standby(pg_standby_cluster: LocalCluster) -> Iterator[LocalCluster]:
    """The standby, running and replaying (a test may stop it or pause its replay)."""
    pg_standby_cluster.up()  # started again if a test stopped it
    yield pg_standby_cluster
    pg_standby_cluster.up()
    _admin(pg_standby_cluster.url("postgres"), "SELECT pg_wal_replay_resume()")


@pytest.fixture(scope="session")
def template_url(pg_server: str) -> str:
    """A database with the schema and the default Nanjing grids; never connected to by tests."""
    _admin(pg_server, f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
    _admin(pg_server, f'CREATE DATABASE "{TEMPLATE}"')
    url = _with_db(pg_server, TEMPLATE)
    db = Database(url)
    try:
        migrate(db)
    finally:
        db.close()
    service = Gridsvc.open(make_settings(url))
    try:
        initialise(service)  # the default grids and taxonomy, as `gridsvc init` loads them
    finally:
        service.close()
    return url


def _clone(pg_server: str) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    _admin(pg_server, f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    return name


@pytest.fixture
def db_url(pg_server: str, template_url: str) -> Iterator[str]:
    """A fresh database (schema + default grids) for one test."""
    name = _clone(pg_server)
    yield _with_db(pg_server, name)
    _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def shared_db_url(pg_server: str, template_url: str) -> Iterator[str]:
    """One database for the whole run, for tests that only read."""
    name = _clone(pg_server)
    yield _with_db(pg_server, name)
    _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_DATA_DIR = Path(tempfile.gettempdir()) / f"gridsvc-test-data-{os.getpid()}"


def make_settings(url: str, *, language: str = "en") -> Settings:
    # data_dir: where `gridsvc init` writes the first admin token — never the checkout's.
    # language: tests assert English words unless they ask for Chinese; the product's
    # default (zh-CN) is checked by tests/api/test_messages.py
    return Settings(
        db=DatabaseSettings(database_url=url, data_dir=_DATA_DIR),
        server=ServerSettings(),
        grids=GridSettings(locator_refresh_s=0),
        city=CitySettings(language=language),
    )


@pytest.fixture
def svc(db_url: str) -> Iterator[Gridsvc]:
    service = Gridsvc.open(make_settings(db_url))
    yield service
    service.close()


@pytest.fixture(scope="session")
def shared_svc(shared_db_url: str) -> Iterator[Gridsvc]:
    service = Gridsvc.open(make_settings(shared_db_url))
    yield service
    service.close()


@pytest.fixture(scope="module")
def module_svc(pg_server: str, template_url: str) -> Iterator[Gridsvc]:
    """A database of one test module's own, for tests that write but share set-up.
    (`shared_svc` must stay free of events: statistics tests count on an empty one.)"""
    name = _clone(pg_server)
    service = Gridsvc.open(make_settings(_with_db(pg_server, name)))
    yield service
    service.close()
    _admin(pg_server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("CI", "").lower() not in ("1", "true", "yes"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if skipped:
        for report in skipped:
            print(f"\nCI: skipped test counts as a failure: {report.nodeid}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
