"""Goals 3 and 4: the API under concurrent clients.

The server is ``gridsvc serve`` as an operator starts it (``--workers``: one process per
core, the setting the README recommends) on 127.0.0.1. The load comes from one asyncio
process (``bench.http``, a lean keep-alive client: httpx would spend more CPU than the
server): ``clients`` workers, each sending its next request as soon as the previous answer
arrived (a closed loop), bounded both in requests and in seconds. The client shares the
machine with the server and PostgreSQL, so its CPU use is recorded with every run: a client
that saturates a core makes the figure a lower bound of what the server can do.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import resource
import signal
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import http
from bench.environment import (
    BenchDatabase,
    cpu_busy_seconds,
    gridsvc_command,
    process_cpu_seconds,
)
from bench.summary import percentile_ms

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None


@dataclass
class LoadResult:
    """One load run: latencies of every answered request, errors, CPU use."""

    latencies_s: list[float] = field(default_factory=list)
    ok: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    client_cpu_s: float = 0.0
    server_cpu_s: float = 0.0
    machine_busy_fraction: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        sent = self.ok + sum(self.errors.values())
        return {
            "requests": sent,
            "ok": self.ok,
            "errors": sum(self.errors.values()),
            "errors_by_kind": dict(self.errors),
            "error_examples": self.error_examples[:5],
            "elapsed_s": self.elapsed_s,
            "ok_per_s": self.ok / self.elapsed_s if self.elapsed_s else 0.0,
            "p50_ms": percentile_ms(self.latencies_s, 50),
            "p99_ms": percentile_ms(self.latencies_s, 99),
            "max_ms": max(self.latencies_s) * 1000.0 if self.latencies_s else float("nan"),
            "client_cpu_fraction_of_one_core": self.client_cpu_s / self.elapsed_s
            if self.elapsed_s
            else 0.0,
            "server_cpu_fraction_of_one_core": self.server_cpu_s / self.elapsed_s
            if self.elapsed_s
            else 0.0,
            "machine_busy_fraction": self.machine_busy_fraction,
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Server:
    base_url: str
    pid: int
    log: Path


@contextmanager
def api_server(
    bench_db: BenchDatabase,
    *,
    workers: int = 1,
    startup_s: float = 90.0,
    ready_status: int = 200,
    env_extra: dict[str, str] | None = None,
) -> Iterator[Server]:
    """``gridsvc serve --workers N`` on a free port of 127.0.0.1 until the block ends (then
    SIGINT, and SIGKILL of that process if it does not stop within 20 s). Started means
    ``/health`` answers ``ready_status`` (503 for a service that has no grids yet).
    ``env_extra``: more ``GRIDSVC_*`` settings of the server."""
    port = _free_port()
    env = bench_db.child_env()
    env.update(GRIDSVC_HOST=HOST, GRIDSVC_PORT=str(port), **(env_extra or {}))
    log = bench_db.folder / "api-server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            gridsvc_command(
                "serve", "--host", HOST, "--port", str(port), "--workers", str(workers)
            ),
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the API server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(base + "/health", timeout=2).status_code == ready_status:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield Server(base_url=base, pid=proc.pid, log=log)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def _drive(
    server: Server,
    token: str,
    make: Callable[[int], Request],
    expected: frozenset[int],
    clients: int,
    max_requests: int,
    max_seconds: float,
) -> LoadResult:
    result = LoadResult()
    counter = itertools.count()
    host = server.base_url.removeprefix("http://")
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker() -> None:
        conn = http.Connection(server.base_url)
        try:
            while True:
                i = next(counter)
                if i >= max_requests or time.perf_counter() >= deadline:
                    return
                req = make(i)
                raw = http.encode_request(
                    req.method, req.path, host=host, token=token, params=req.params, body=req.body
                )
                sent = time.perf_counter()
                try:
                    answer = await asyncio.wait_for(conn.send(raw), timeout=30.0)
                except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                    result.errors[type(exc).__name__] += 1
                    result.error_examples.append(repr(exc)[:300])
                    continue
                result.latencies_s.append(time.perf_counter() - sent)
                if answer.status in expected:
                    result.ok += 1
                else:
                    result.errors[f"HTTP {answer.status}"] += 1
                    result.error_examples.append(answer.body[:300].decode(errors="replace"))
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(clients)))
    result.elapsed_s = time.perf_counter() - started
    return result


def run_load(
    server: Server,
    token: str,
    make: Callable[[int], Request],
    *,
    expected: frozenset[int],
    clients: int,
    max_requests: int,
    max_seconds: float,
) -> LoadResult:
    """One closed-loop load run; see the module doc."""
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    server_before = process_cpu_seconds(server.pid)
    busy_before, total_before = cpu_busy_seconds()
    result = _run(_drive(server, token, make, expected, clients, max_requests, max_seconds))
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    busy_after, total_after = cpu_busy_seconds()
    result.client_cpu_s = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    result.server_cpu_s = process_cpu_seconds(server.pid) - server_before
    if total_after > total_before:
        result.machine_busy_fraction = (busy_after - busy_before) / (total_after - total_before)
    return result


def _run(coro: Any) -> LoadResult:
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)  # type: ignore[no-any-return]
    return uvloop.run(coro)  # type: ignore[no-any-return]


def locate_requests(rows: list[dict[str, str]]) -> Callable[[int], Request]:
    """GET /v1/locate for the points of the generated rows, in their sent CRS, in turn."""
    params = [{"lon": r["lon"], "lat": r["lat"], "crs": r.get("crs") or "wgs84"} for r in rows]

    def make(i: int) -> Request:
        return Request("GET", "/v1/locate", params=params[i % len(params)])

    return make


def event_body(row: dict[str, str], client_event_id: str) -> dict[str, Any]:
    """A generated row as a POST /v1/events body (the reporter: the token's name)."""
    body: dict[str, Any] = {
        "client_event_id": client_event_id,
        "category": row["category"],
        "title": row.get("title") or "",
        "description": row.get("description") or "",
        "occurred_at": row["occurred_at"],
        "lon": float(row["lon"]),
        "lat": float(row["lat"]),
        "crs": row.get("crs") or "wgs84",
        "source": row.get("source") or "grid_worker",
    }
    for key in ("reported_at", "urgency", "address"):
        if row.get(key):
            body[key] = row[key]
    if row.get("accuracy_m"):
        body["accuracy_m"] = float(row["accuracy_m"])
    if row.get("attributes"):
        body["attributes"] = json.loads(row["attributes"])
    return body


def post_requests(rows: list[dict[str, str]], prefix: str) -> Callable[[int], Request]:
    """POST /v1/events of the generated rows in turn, each a new report (its own id)."""

    def make(i: int) -> Request:
        return Request("POST", "/v1/events", body=event_body(rows[i % len(rows)], f"{prefix}-{i}"))

    return make


def server_threads(pid: int) -> int | None:
    """Threads of the server process (uvicorn's worker thread pool grows on demand)."""
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return None
