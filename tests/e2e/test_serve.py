"""The service as `make run` starts it: real processes, a real private PostGIS, real HTTP.

Also the foundation's fault drill: kill the server's PostgreSQL, see 503 from /health, bring
it back with `gridsvc db up` and see the data still there, without restarting the API.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

GRIDSVC = str(Path(sys.executable).parent / "gridsvc")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, token: str | None = None) -> tuple[int, dict[str, object]]:
    # English: tests read the messages (the server's default is zh-CN)
    headers = {"Accept-Language": "en", **({"Authorization": f"Bearer {token}"} if token else {})}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


class Service:
    def __init__(self, folder: Path, port: int) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDSVC_")}
        self.env.update(
            GRIDSVC_DATA_DIR=str(folder / "data"), GRIDSVC_PORT=str(port), GRIDSVC_LOG_FORMAT="json"
        )
        self.base = f"http://127.0.0.1:{port}"
        self.token_file = folder / "data" / "admin-token"
        self.proc: subprocess.Popen[str] | None = None

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [GRIDSVC, *args], env=self.env, capture_output=True, text=True, timeout=300, check=False
        )

    def serve(self) -> None:
        self.proc = subprocess.Popen(
            [GRIDSVC, "serve"],
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                _get(self.base + "/health")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise AssertionError("server did not start")

    def stop(self) -> str:
        if self.proc is None:
            return ""
        self.proc.send_signal(signal.SIGINT)
        try:
            _, stderr = self.proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, stderr = self.proc.communicate()
        return stderr


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    folder = Path(tempfile.mkdtemp(prefix="gridsvc-serve-"))
    folder.chmod(0o755)
    svc = Service(folder, _free_port())
    try:
        up = svc.run("db", "up")
        assert up.returncode == 0, up.stderr
        loaded = svc.run("init", "--sample-events", "2000")  # as `make run` does
        assert loaded.returncode == 0, loaded.stderr
        assert "2,000 synthetic sample events" in loaded.stderr
        svc.serve()
        yield svc
    finally:
        svc.stop()
        svc.run("db", "down")
        from gridsvc.db.local import LocalCluster

        LocalCluster(folder / "data").destroy()
        shutil.rmtree(folder, ignore_errors=True)


def test_served_health_counts_the_nanjing_communities(service: Service) -> None:
    status, body = _get(service.base + "/health")
    assert status == 200
    assert body["database"] == "ok" and str(body["postgis"]).startswith("3.")
    assert body["grid_units"] == {
        "city": 1,
        "district": 11,
        "sector": 12,
        "street": 101,
        "community": 1255,
    }
    token = service.token_file.read_text().strip()  # `gridsvc init` made the first admin
    assert oct(service.token_file.stat().st_mode & 0o777) == "0o600"
    status, _ = _get(service.base + "/v1/locate?lon=118.784&lat=32.041")
    assert status == 401
    status, located = _get(service.base + "/v1/locate?lon=118.784&lat=32.041", token)
    assert status == 200 and located["codes"]["district"] in ("320102", "320104", "320106")
    status, events = _get(service.base + "/v1/events?limit=5", token)
    assert status == 200 and len(events["features"]) == 5  # sample events were loaded
    again = service.run("init", "--sample-events", "2000")
    assert "nothing to load" in again.stderr  # a second start loads nothing twice


def test_db_status_and_url_describe_the_running_cluster(service: Service) -> None:
    status = service.run("db", "status", "--json")
    assert status.returncode == 0, status.stderr
    info = json.loads(status.stdout)
    assert info["running"] is True and info["reachable"] is True
    assert str(info["postgis"]).startswith("3.")
    url = service.run("db", "url").stdout.strip()
    assert url.startswith("postgresql://gridsvc:") and f":{info['port']}/" in url
    again = service.run("db", "up")  # starting twice is harmless
    assert again.returncode == 0
    assert json.loads(service.run("db", "status", "--json").stdout)["pid"] == info["pid"]


def test_killing_postgres_gives_503_and_db_up_recovers_without_restarting_the_api(
    service: Service,
) -> None:
    info = json.loads(service.run("db", "status", "--json").stdout)
    os.kill(int(info["pid"]), signal.SIGKILL)
    deadline = time.monotonic() + 20
    status = 200
    body: dict[str, object] = {}
    while time.monotonic() < deadline:
        status, body = _get(service.base + "/health")
        if status == 503:
            break
        time.sleep(0.2)
    assert status == 503
    assert body["database"] == "unreachable" and "not reachable" in str(body["message"])
    down = service.run("db", "status", "--json")
    assert down.returncode == 1 and json.loads(down.stdout)["running"] is False
    up = service.run("db", "up")
    assert up.returncode == 0, up.stderr
    status, body = _get(service.base + "/health")
    assert status == 200 and body["grid_units"]["community"] == 1255  # nothing lost


def _listeners(port: int) -> int:
    """Listening TCP sockets on ``port`` (IPv4), from /proc/net/tcp."""
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for r in rows if r.split()[1].endswith(f":{port:04X}") and r.split()[3] == "0A")


def _workers(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return {
        int(c)
        for c in children
        if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()  # not a resource tracker
    }


def _until(check: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_REUSEPORT groups: Linux")
def test_workers_listen_on_sockets_of_their_own_and_a_dead_worker_is_replaced(
    service: Service,
) -> None:
    """``--workers 2``: each worker has a listening socket of its own in one SO_REUSEPORT
    group (uvicorn's supervisor shares one socket, where one worker could take every
    connection), a killed worker is replaced, a second server on the port is refused, and
    Ctrl-C (SIGINT to the process group) stops them all, quietly."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return _get(base + "/health")[0] == 200
        except (urllib.error.URLError, ConnectionError):
            return False

    # a file, not a pipe: the workers log every request, and a full pipe would block them
    with tempfile.TemporaryFile(mode="w+") as log_file:
        proc = subprocess.Popen(
            [GRIDSVC, "serve", "--port", str(port), "--workers", "2"],
            env=service.env,
            text=True,
            stderr=log_file,
            start_new_session=True,  # a process group of its own, as in a terminal
        )
        try:
            assert _until(lambda: healthy() and _listeners(port) == 2)
            workers = _workers(proc.pid)
            assert len(workers) == 2
            victim = min(workers)
            os.kill(victim, signal.SIGKILL)
            assert _until(lambda: victim not in _workers(proc.pid) and len(_workers(proc.pid)) == 2)
            assert _until(lambda: healthy() and _listeners(port) == 2)

            second = service.run("serve", "--port", str(port), "--workers", "2")
            assert second.returncode == 1
            assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
            assert "another --port" in second.stderr
            assert _listeners(port) == 2  # the first server is untouched
        finally:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the supervisor and every worker
            try:
                proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
        log_file.seek(0)
        stderr = log_file.read()
    assert proc.returncode == 0, stderr
    assert f"worker {victim} ended (exit status -9); starting another" in stderr
    assert "Traceback" not in stderr  # a graceful stop, not KeyboardInterrupt in the workers
    assert _listeners(port) == 0 and not healthy()


def test_one_json_log_line_per_request_with_id_status_and_duration(service: Service) -> None:
    req = urllib.request.Request(service.base + "/health", headers={"X-Request-ID": "abc123"})
    with urllib.request.urlopen(req, timeout=10) as r:
        assert r.headers["X-Request-ID"] == "abc123"
    stderr = service.stop()
    service.proc = None
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("request_id") == "abc123"]
    assert len(mine) == 1
    assert mine[0]["status"] == 200 and mine[0]["path"] == "/health"
    assert isinstance(mine[0]["duration_ms"], float)
