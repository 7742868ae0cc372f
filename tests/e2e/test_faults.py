"""PostgreSQL stopped and restarted under a real server and real imports: nothing accepted is
lost, nothing is stored twice, the rollup stays exact.

The module runs its own private cluster (not the session's), which it stops and restarts,
and ``gridsvc serve`` pointed at it, started and stopped by ``bench.load.api_server``.
"""

from __future__ import annotations

import csv
import hashlib
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import geopandas as gpd
import httpx
import pytest

from bench.environment import BenchDatabase, gridsvc_command, throwaway_database
from bench.load import Server, api_server, event_body
from gridsvc.access import create_token
from gridsvc.db import pool
from gridsvc.db.local import LocalCluster
from gridsvc.db.pool import Database
from gridsvc.errors import DatabaseUnavailable
from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids.default import default_dataset_path
from gridsvc.service import Gridsvc
from gridsvc.settings import DatabaseSettings, EventSettings, GridSettings, Settings
from tests.invariants import duplicate_keys, rollup_differences, stored_keys

# a fixed end an hour ago: the generated reports are never "in the future"
END = (datetime.now(timezone(timedelta(hours=8))) - timedelta(hours=1)).replace(
    minute=0, second=0, microsecond=0
)
CLIENTS = 4
PER_CLIENT = 80


@dataclass
class World:
    bench_db: BenchDatabase
    cluster: LocalCluster
    server: Server
    db: Database
    units: gpd.GeoDataFrame
    worker_tokens: list[str]


@pytest.fixture(scope="module", name="w")
def world() -> Iterator[World]:
    with throwaway_database() as bench_db:
        cluster = LocalCluster(bench_db.folder / "db")  # the cluster throwaway_database runs
        db = Database(bench_db.url)
        tokens = [
            create_token(db, role="grid_worker", name=f"gw-fault-{i}", scope_code="320102002")[1]
            for i in range(CLIENTS + 1)
        ]
        units = gpd.read_file(default_dataset_path(GridSettings()), layer="grid_unit")
        try:
            with api_server(bench_db) as server:
                yield World(bench_db, cluster, server, db, units, tokens)
        finally:
            db.close()


def _generated_csv(w: World, path: Path, count: int, seed: int) -> Path:
    chunks = generate_events(w.units, DEFAULT_MIX, count=count, days=30, seed=seed, end=END)
    write_events_csv(path, chunks)
    return path


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _restart(w: World) -> None:
    """Start the stopped cluster; the checking pool forgets connections the stop broke."""
    w.cluster.up()
    w.db.close()


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


@dataclass
class Client:
    """One grid worker's app: each report is sent until acknowledged (201 or 200), resent
    with the same client_event_id after a connection error, a timeout or a 503."""

    token: str
    reports: list[dict[str, Any]]
    base_url: str
    deadline: float
    acked: dict[str, tuple[int, int]] = field(default_factory=dict)  # cid -> (status, id)
    retries_503: int = 0
    retries_transport: int = 0
    unexpected: list[str] = field(default_factory=list)

    def run(self) -> None:
        # English: the assertions below read the messages (the default is zh-CN)
        headers = {"Authorization": f"Bearer {self.token}", "Accept-Language": "en"}
        with httpx.Client(base_url=self.base_url, headers=headers, timeout=5.0) as http:
            for body in self.reports:
                while time.monotonic() < self.deadline:
                    try:
                        r = http.post("/v1/events", json=body)
                    except httpx.TransportError:
                        self.retries_transport += 1
                        time.sleep(0.05)
                        continue
                    if r.status_code in (200, 201):
                        self.acked[body["client_event_id"]] = (
                            r.status_code,
                            int(r.json()["event"]["id"]),
                        )
                        break
                    if r.status_code == 503:
                        assert "not reachable" in r.json()["message"], r.text
                        self.retries_503 += 1
                        time.sleep(0.05)
                        continue
                    self.unexpected.append(f"{r.status_code} {r.text[:300]}")
                    break


def _expect_503(w: World, token: str) -> None:
    """While the database is away: /health and a report both answer 503, saying so."""
    english = {"Accept-Language": "en"}  # the default is zh-CN
    health = httpx.get(w.server.base_url + "/health", headers=english, timeout=10)
    assert health.status_code == 503, health.text
    assert health.json()["database"] == "unreachable"
    assert "not reachable" in health.json()["message"]
    assert health.headers["Retry-After"]
    body = event_body(
        {
            "category": "hazard.fire",
            "occurred_at": END.isoformat(),
            "lon": "118.78",
            "lat": "32.04",
        },
        "probe-while-down",
    )
    post = httpx.post(
        w.server.base_url + "/v1/events",
        json=body,
        headers={"Authorization": f"Bearer {token}", **english},
        timeout=10,
    )
    assert post.status_code == 503, post.text
    assert post.json()["error"] == "DatabaseUnavailable"
    assert "nothing was stored" in post.json()["message"]
    assert post.headers["Retry-After"]


def test_posts_with_retries_across_two_database_restarts_are_stored_exactly_once(
    w: World, tmp_path: Path
) -> None:
    rows = _rows(_generated_csv(w, tmp_path / "stream.csv", CLIENTS * PER_CLIENT, seed=71))
    deadline = time.monotonic() + 45
    clients = [
        Client(
            token=w.worker_tokens[i],
            reports=[
                event_body(row, f"stream-{i}-{n}")
                for n, row in enumerate(rows[i * PER_CLIENT : (i + 1) * PER_CLIENT])
            ],
            base_url=w.server.base_url,
            deadline=deadline,
        )
        for i in range(CLIENTS)
    ]
    threads = [threading.Thread(target=c.run) for c in clients]
    for t in threads:
        t.start()
    try:
        total = CLIENTS * PER_CLIENT
        for cut, mode in ((total // 4, "immediate"), (total * 3 // 5, "fast")):
            _wait_for(lambda cut=cut: sum(len(c.acked) for c in clients) >= cut, 30, "reports")
            assert w.cluster.down(mode=mode)
            _expect_503(w, w.worker_tokens[CLIENTS])
            time.sleep(1.0)  # the clients keep retrying against a database that is away
            _restart(w)
    finally:
        for t in threads:
            t.join(timeout=60)
    assert [c.unexpected for c in clients] == [[]] * CLIENTS
    assert sum(c.retries_503 + c.retries_transport for c in clients) > 0  # the cuts were felt
    assert _alive(w.server.pid)  # the same server process throughout: recovered, no restart
    health = httpx.get(w.server.base_url + "/health", timeout=10)
    assert health.status_code == 200 and health.json()["database"] == "ok"

    for i, c in enumerate(clients):
        sent = [r["client_event_id"] for r in c.reports]
        assert sorted(c.acked) == sorted(sent)  # every report was eventually acknowledged
        stored = stored_keys(w.db, f"gw-fault-{i}")
        assert stored == dict.fromkeys(sent, 1)  # each exactly once, nothing else
        ids = w.db.cursor_fetchall(
            "SELECT client_event_id, id FROM event WHERE reporter_id = %s", (f"gw-fault-{i}",)
        )
        assert {str(cid): int(eid) for cid, eid in ids} == {
            cid: eid for cid, (_, eid) in c.acked.items()
        }
    assert duplicate_keys(w.db) == []
    assert rollup_differences(w.db) == {}


def test_the_same_report_posted_at_once_by_many_threads_is_created_once(w: World) -> None:
    body = event_body(
        {
            "category": "hazard.fire",
            "title": "楼道冒烟",
            "occurred_at": END.isoformat(),
            "lon": "118.7840",
            "lat": "32.0410",
        },
        "storm-1",
    )
    headers = {"Authorization": f"Bearer {w.worker_tokens[0]}"}
    barrier = threading.Barrier(12)
    answers: list[tuple[int, int]] = []

    def post() -> None:
        with httpx.Client(base_url=w.server.base_url, headers=headers, timeout=30) as http:
            barrier.wait(timeout=30)
            r = http.post("/v1/events", json=body)
            answers.append((r.status_code, int(r.json()["event"]["id"])))

    threads = [threading.Thread(target=post) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(s for s, _ in answers) == [200] * 11 + [201]
    assert len({eid for _, eid in answers}) == 1
    assert stored_keys(w.db, "gw-fault-0")["storm-1"] == 1
    assert rollup_differences(w.db) == {}


def _file_events(db: Database, sha: str) -> tuple[int, int]:
    """(events, distinct client_event_ids) stored by every import of the file ``sha``."""
    rows = db.cursor_fetchall(
        "SELECT count(*), count(DISTINCT (e.reporter_id, e.client_event_id)) FROM event AS e "
        "JOIN import_job AS j ON j.id = e.import_id WHERE j.file_sha256 = %s",
        (sha,),
    )
    return int(rows[0][0]), int(rows[0][1])


def _service(w: World, batch_rows: int) -> Gridsvc:
    settings = Settings(
        db=DatabaseSettings(database_url=w.bench_db.url, data_dir=w.bench_db.data_dir),
        events=EventSettings(import_batch_rows=batch_rows),
    )
    return Gridsvc(settings, Database(w.bench_db.url))


def test_an_import_cut_by_a_database_stop_completes_when_run_again(
    w: World, tmp_path: Path
) -> None:
    path = _generated_csv(w, tmp_path / "cut.csv", 2000, seed=72)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    batches: list[int] = []

    def stop_after_third_batch(rows_read: int) -> None:
        batches.append(rows_read)
        if len(batches) == 3:
            w.cluster.down(mode="immediate")  # three batches committed, the rest not

    svc = _service(w, batch_rows=250)
    try:
        with path.open("rb") as stream, pytest.raises(DatabaseUnavailable):
            import_events(svc, stream, filename=path.name, progress=stop_after_third_batch)
    finally:
        svc.close()
        _restart(w)
    assert batches == [250, 500, 750]
    assert _file_events(w.db, sha) == (750, 750)

    svc = _service(w, batch_rows=250)  # run again, as `gridsvc events import` would
    try:
        with path.open("rb") as stream:
            report = import_events(svc, stream, filename=path.name)
    finally:
        svc.close()
    assert (report.stored, report.already_stored, report.rejected) == (1250, 750, 0)
    assert _file_events(w.db, sha) == (2000, 2000)
    assert duplicate_keys(w.db) == []
    assert rollup_differences(w.db) == {}


def test_a_killed_import_process_completes_without_duplicates_when_run_again(
    w: World, tmp_path: Path
) -> None:
    path = _generated_csv(w, tmp_path / "killed.csv", 3000, seed=73)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    env = {**w.bench_db.child_env(), "GRIDSVC_IMPORT_BATCH_ROWS": "100"}
    args = gridsvc_command("events", "import", str(path))
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: _file_events(w.db, sha)[0] >= 500, 60, "the import to store rows")
        proc.kill()  # SIGKILL: no handler runs, the batch in flight is never committed
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -9
    stored_before = _file_events(w.db, sha)[0]
    assert 500 <= stored_before < 3000, stored_before  # killed mid-way, not after the end
    assert stored_before % 100 == 0  # whole batches only: the cut one rolled back

    svc = _service(w, batch_rows=100)  # run again (in process: a second start-up is slow)
    try:
        with path.open("rb") as stream:
            report = import_events(svc, stream, filename=path.name)
    finally:
        svc.close()
    assert report.stored + report.already_stored == 3000, report
    assert report.already_stored >= stored_before and report.rejected == 0
    assert _file_events(w.db, sha) == (3000, 3000)
    assert duplicate_keys(w.db) == []
    assert rollup_differences(w.db) == {}
    jobs = w.db.cursor_fetchall(
        "SELECT status FROM import_job WHERE file_sha256 = %s ORDER BY id", (sha,)
    )
    assert [j[0] for j in jobs][-1] == "finished"


def test_after_a_restart_a_pool_fails_one_call_not_one_per_idle_connection(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # no probe of idle connections: a restart quicker than the probe delay
    monkeypatch.setattr(pool, "_PROBE_AFTER_S", 3600.0)
    db = Database(w.bench_db.url, maxconn=4)
    try:
        pids = set()
        with ExitStack() as stack:  # four connections at once, then all four idle
            for _ in range(4):
                conn = stack.enter_context(db.connection())
                with conn.cursor() as cur:
                    cur.execute("SELECT pg_backend_pid()")
                    pids.add(cur.fetchone())
        assert len(pids) == 4
        assert w.cluster.down(mode="fast")
        _restart(w)
        failures = 0
        for _ in range(4):
            try:
                db.cursor_fetchall("SELECT 1")
            except DatabaseUnavailable:
                failures += 1
        assert failures == 1  # the first finds the restart; the other idle ones are dropped
    finally:
        db.close()


def test_a_service_with_no_grids_yet_says_what_to_run() -> None:
    """The state "migrated, nothing loaded" (`gridsvc db up` then `gridsvc serve` before
    `gridsvc init`, as the README's own-PostGIS order allows): every request that needs
    grids answers 503 naming the commands, /health says so, `serve` warns at start, nothing
    is logged as an error; `gridsvc init` while the server runs makes it whole."""
    with throwaway_database(initialised=False) as bench_db:
        db = Database(bench_db.url)
        try:
            token = create_token(db, role="admin", name="first-admin")[1]
        finally:
            db.close()
        auth = {"Authorization": f"Bearer {token}"}
        with (
            api_server(bench_db, ready_status=503) as server,
            httpx.Client(base_url=server.base_url, headers=auth, timeout=30) as client,
        ):
            health = client.get("/health")
            assert health.json()["status"] == "no_grids"
            assert "gridsvc init" in health.json()["message"]
            requests = [
                client.get("/v1/locate", params={"lon": 118.784, "lat": 32.041}),
                client.get("/v1/grids"),
                client.get("/v1/stats/grids", params={"level": "street"}),
                client.get("/v1/maps/heatmap"),
                client.post(
                    "/v1/events",
                    json={
                        "client_event_id": "first-1",
                        "category": "hazard.fire",
                        "occurred_at": "2026-11-28T09:30:00+08:00",
                        "lon": 118.784,
                        "lat": 32.041,
                    },
                ),
            ]
            for response in requests:
                assert response.status_code == 503, (response.request.url, response.text)
                assert response.json()["error"] == "NoActiveGridVersion"
                assert "gridsvc init" in response.json()["hint"]
                assert response.headers["Retry-After"] == "5"

            init = subprocess.run(
                gridsvc_command("init", "--sample-events", "0"),
                env=bench_db.child_env(),
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert init.returncode == 0, init.stderr
            assert client.get("/health").status_code == 200
            located = client.get("/v1/locate", params={"lon": 118.784, "lat": 32.041})
            assert located.status_code == 200 and located.json()["found"] is True
            log = server.log.read_text()
        assert "warning: No grid version is active" in " ".join(log.split())
        assert " ERROR " not in log, log[-2000:]
        assert log.count("No grid version is active") >= len(requests)
