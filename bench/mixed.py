"""``python -m bench.mixed`` (``make load``): the service under a mixed load, bounded in time.

    python -m bench.mixed                       # 60 s (LOAD_SECONDS), 20,000 sample events
    python -m bench.mixed --seconds 5 --sample-events 1000 --out /tmp/load.json

A throwaway PostGIS (as ``make bench``'s) gets what ``gridsvc init`` loads plus generated
sample events; ``gridsvc serve`` runs on 127.0.0.1 (``bench.load.api_server``). Then, for
``--seconds``, one asyncio + httpx process plays four kinds of users in closed loops, each
sending its next request when the previous answer came:

- **grid workers** (``--workers``, own tokens) POST new reports (201 expected);
- **dispatchers** (city scope) list open events and act on one with the ``row_version`` they
  saw: accept (or reject one in ten), dispatch to a department, verify, close;
- **a department** lists what was dispatched to it, then starts or resolves it;
- **analysts** read per-community counts, a time series, a heat map and a choropleth.

Dispatchers race for the same newest events on purpose: a 409 (someone acted first) is the
optimistic check working and is counted as a conflict, not an error. Errors are anything
else: a 5xx, a transport error, an unexpected status. After the run the rollup is compared
with the raw counts and duplicate keys are counted: the load must leave both exact.

Writes ``bench/results/load-latest.json`` (or ``--out``) and the same table as Markdown next
to it, and prints the table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from bench.data import read_rows
from bench.environment import (
    BenchDatabase,
    cpu_busy_seconds,
    machine_info,
    postgres_info,
    process_cpu_seconds,
    throwaway_database,
)
from bench.load import Server, api_server, event_body
from bench.sql import bench_query
from bench.summary import percentile_ms
from gridsvc.access import create_token
from gridsvc.dates import CITY_OFFSET
from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.grids.default import default_dataset_path
from gridsvc.settings import GridSettings

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "load-latest.json"
BEIJING = CITY_OFFSET
DEPARTMENT = "urban_management"
err = Console(stderr=True)


@dataclass(frozen=True)
class MixPlan:
    """Sizes of one run: seconds, sample events, and how many users of each kind."""

    seconds: float = 60.0
    sample_events: int = 20_000
    workers: int = 4
    dispatchers: int = 2
    departments: int = 1
    analysts: int = 2
    seed: int = 20261128

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class KindStats:
    """Answers to one kind of request: latencies, ok, conflicts (409), errors by kind."""

    latencies_s: list[float] = field(default_factory=list)
    ok: int = 0
    conflicts: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    error_examples: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return self.ok + self.conflicts + sum(self.errors.values())

    def to_dict(self, elapsed_s: float) -> dict[str, Any]:
        errors = sum(self.errors.values())
        return {
            "requests": self.requests,
            "ok": self.ok,
            "conflicts_409": self.conflicts,
            "errors": errors,
            "error_rate": errors / self.requests if self.requests else 0.0,
            "errors_by_kind": dict(self.errors),
            "error_examples": self.error_examples[:5],
            "per_s": self.requests / elapsed_s if elapsed_s else 0.0,
            "p50_ms": percentile_ms(self.latencies_s, 50),
            "p99_ms": percentile_ms(self.latencies_s, 99),
            "max_ms": max(self.latencies_s) * 1000.0 if self.latencies_s else float("nan"),
        }


@dataclass
class Tokens:
    workers: list[str]
    dispatcher: str
    department: str
    analyst: str


class Mix:
    """The users' loops against one server until the deadline."""

    def __init__(self, server: Server, tokens: Tokens, rows: list[dict[str, str]], plan: MixPlan):
        self.server = server
        self.tokens = tokens
        self.rows = rows
        self.plan = plan
        self.stats: dict[str, KindStats] = {}
        self.deadline = 0.0
        self.run_id = datetime.now(UTC).strftime("%H%M%S")

    async def _call(
        self,
        client: httpx.AsyncClient,
        kind: str,
        method: str,
        path: str,
        *,
        token: str,
        ok: int = 200,
        **kwargs: Any,
    ) -> httpx.Response | None:
        stats = self.stats.setdefault(kind, KindStats())
        sent = time.perf_counter()
        try:
            r = await client.request(
                method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs
            )
        except httpx.HTTPError as exc:
            stats.errors[type(exc).__name__] += 1
            stats.error_examples.append(repr(exc)[:300])
            return None
        stats.latencies_s.append(time.perf_counter() - sent)
        if r.status_code == ok:
            stats.ok += 1
            return r
        if r.status_code == 409 and method == "POST" and "/actions" in path:
            stats.conflicts += 1
            return None
        stats.errors[f"HTTP {r.status_code}"] += 1
        stats.error_examples.append(f"{method} {path}: {r.text[:300]}")
        return None

    def _running(self) -> bool:
        return time.perf_counter() < self.deadline

    async def worker(self, client: httpx.AsyncClient, n: int) -> None:
        token = self.tokens.workers[n % len(self.tokens.workers)]
        i = n
        while self._running():
            body = event_body(self.rows[i % len(self.rows)], f"load-{self.run_id}-{n}-{i}")
            await self._call(
                client,
                "worker: POST /v1/events",
                "POST",
                "/v1/events",
                token=token,
                ok=201,
                json=body,
            )
            i += self.plan.workers

    async def _pick(
        self, client: httpx.AsyncClient, kind: str, token: str, statuses: str, rng: random.Random
    ) -> dict[str, Any] | None:
        r = await self._call(
            client, kind, "GET", "/v1/events", token=token, params={"status": statuses, "limit": 50}
        )
        if r is None:
            return None
        features = r.json()["features"]
        if not features:
            await asyncio.sleep(0.05)
            return None
        feature: dict[str, Any] = rng.choice(features)
        return feature

    async def dispatcher(self, client: httpx.AsyncClient, n: int) -> None:
        rng = random.Random(self.plan.seed + n)
        token = self.tokens.dispatcher
        while self._running():
            f = await self._pick(
                client,
                "dispatcher: GET /v1/events",
                token,
                "reported,accepted,resolved,verified",
                rng,
            )
            if f is None:
                continue
            status, version = f["properties"]["status"], f["properties"]["row_version"]
            body: dict[str, Any] = {"row_version": version}
            if status == "reported":
                body["action"] = "reject" if rng.random() < 0.1 else "accept"
                if body["action"] == "reject":
                    body["note"] = "不属于网格事项"
            elif status == "accepted":
                body.update(action="dispatch", departments=[DEPARTMENT])
            elif status == "resolved":
                body["action"] = "verify"
            else:
                body["action"] = "close"
            await self._call(
                client,
                "dispatcher: POST actions",
                "POST",
                f"/v1/events/{f['id']}/actions",
                token=token,
                json=body,
            )

    async def department(self, client: httpx.AsyncClient, n: int) -> None:
        rng = random.Random(self.plan.seed + 100 + n)
        token = self.tokens.department
        while self._running():
            f = await self._pick(
                client, "department: GET /v1/events", token, "dispatched,in_progress", rng
            )
            if f is None:
                continue
            status, version = f["properties"]["status"], f["properties"]["row_version"]
            body: dict[str, Any] = {"row_version": version}
            if status == "dispatched":
                body["action"] = "start"
            else:
                body.update(action="resolve", note="已处置完毕")
            await self._call(
                client,
                "department: POST actions",
                "POST",
                f"/v1/events/{f['id']}/actions",
                token=token,
                json=body,
            )

    def analyst_requests(self) -> list[tuple[str, str, dict[str, Any]]]:
        today = datetime.now(BEIJING).date()
        month = {"from": str(today - timedelta(days=30)), "to": str(today + timedelta(days=1))}
        return [
            ("analyst: GET /v1/stats/grids", "/v1/stats/grids", {"level": "community", **month}),
            (
                "analyst: GET /v1/stats/timeseries",
                "/v1/stats/timeseries",
                {"grid": "320102", "interval": "day", **month},
            ),
            ("analyst: GET /v1/maps/heatmap", "/v1/maps/heatmap", {"cell_m": 500, **month}),
            ("analyst: GET /v1/maps/choropleth", "/v1/maps/choropleth", {"level": "street"}),
        ]

    async def analyst(self, client: httpx.AsyncClient, n: int) -> None:
        requests = self.analyst_requests()
        i = n
        while self._running():
            kind, path, params = requests[i % len(requests)]
            await self._call(client, kind, "GET", path, token=self.tokens.analyst, params=params)
            i += 1

    async def run(self) -> float:
        """Every user's loop until ``plan.seconds`` have passed; returns the elapsed time."""
        kinds: list[tuple[Callable[[httpx.AsyncClient, int], Awaitable[None]], int]] = [
            (self.worker, self.plan.workers),
            (self.dispatcher, self.plan.dispatchers),
            (self.department, self.plan.departments),
            (self.analyst, self.plan.analysts),
        ]
        users = sum(count for _, count in kinds)
        limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
        async with httpx.AsyncClient(
            base_url=self.server.base_url, limits=limits, timeout=60.0
        ) as client:
            # warm-up, not counted: the first map and statistics of a process build caches
            for _, path, params in self.analyst_requests():
                await client.get(
                    path,
                    params=params,
                    headers={"Authorization": f"Bearer {self.tokens.analyst}"},
                )
            started = time.perf_counter()
            self.deadline = started + self.plan.seconds
            await asyncio.gather(*(user(client, n) for user, count in kinds for n in range(count)))
            return time.perf_counter() - started


def _load_sample(bench_db: BenchDatabase, plan: MixPlan, folder: Path) -> list[dict[str, str]]:
    """Import ``plan.sample_events`` generated events over 90 days; return other generated
    rows (the last day) for the workers to report."""
    import geopandas as gpd

    units = gpd.read_file(default_dataset_path(GridSettings()), layer="grid_unit")
    end = datetime.now(BEIJING).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    sample = folder / "sample-events.csv"
    write_events_csv(
        sample,
        generate_events(
            units, DEFAULT_MIX, count=plan.sample_events, days=90, seed=plan.seed, end=end
        ),
    )
    svc = bench_db.service()
    try:
        with sample.open("rb") as stream:
            report = import_events(svc, stream, filename=sample.name, synthetic=True)
    finally:
        svc.close()
    if report.rejected:
        raise RuntimeError(f"the sample import rejected {report.rejected} rows")
    reports = folder / "reports.csv"
    write_events_csv(
        reports,
        generate_events(units, DEFAULT_MIX, count=5_000, days=1, seed=plan.seed + 1, end=end),
    )
    return read_rows(reports, 5_000)


def _tokens(bench_db: BenchDatabase, plan: MixPlan) -> Tokens:
    svc = bench_db.service()
    try:
        db = svc.db
        return Tokens(
            workers=[
                create_token(db, role="grid_worker", name=f"gw-load-{i}", scope_code="320102002")[1]
                for i in range(plan.workers)
            ],
            dispatcher=create_token(db, role="dispatcher", name="load-调度", scope_code="320100")[
                1
            ],
            department=create_token(
                db, role="department", name="load-城管", department_code=DEPARTMENT
            )[1],
            analyst=create_token(db, role="analyst", name="load-研判")[1],
        )
    finally:
        svc.close()


def _integrity(bench_db: BenchDatabase) -> dict[str, int]:
    """What the load must leave exact: rollup vs raw counts, and stored keys."""
    ((mismatched,),) = bench_db.execute(bench_query("rollup_mismatches"))
    ((duplicates,),) = bench_db.execute(
        "SELECT count(*) FROM (SELECT 1 FROM event GROUP BY reporter_id, client_event_id "
        "HAVING count(*) > 1) AS d"
    )
    ((events,),) = bench_db.execute("SELECT count(*) FROM event")
    return {
        "events": int(events),
        "rollup_keys_differing": int(mismatched),
        "duplicate_keys": int(duplicates),
    }


def measure(plan: MixPlan, workdir: Path | None = None) -> dict[str, Any]:
    """One mixed-load run on a throwaway PostGIS; the result document."""
    started_at = datetime.now(UTC)
    doc: dict[str, Any] = {"plan": plan.to_dict(), "machine": machine_info()}
    doc["machine"]["load_average_before"] = os.getloadavg()
    with throwaway_database(workdir) as bench_db:
        doc["postgres"] = postgres_info(bench_db)
        err.print(f"loading {plan.sample_events:,} sample events …")
        rows = _load_sample(bench_db, plan, bench_db.folder)
        tokens = _tokens(bench_db, plan)
        with api_server(bench_db) as server:
            mix = Mix(server, tokens, rows, plan)
            err.print(f"mixed load for {plan.seconds:g} s …")
            cpu_before = resource.getrusage(resource.RUSAGE_SELF)
            server_before = process_cpu_seconds(server.pid)
            busy_before, total_before = cpu_busy_seconds()
            elapsed = asyncio.run(mix.run())
            cpu_after = resource.getrusage(resource.RUSAGE_SELF)
            busy_after, total_after = cpu_busy_seconds()
            server_cpu = process_cpu_seconds(server.pid) - server_before
        client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
            cpu_before.ru_utime + cpu_before.ru_stime
        )
        doc["integrity"] = _integrity(bench_db)
    kinds = {kind: s.to_dict(elapsed) for kind, s in sorted(mix.stats.items())}
    requests = sum(k["requests"] for k in kinds.values())
    errors = sum(k["errors"] for k in kinds.values())
    doc["kinds"] = kinds
    doc["total"] = {
        "elapsed_s": elapsed,
        "requests": requests,
        "per_s": requests / elapsed if elapsed else 0.0,
        "ok": sum(k["ok"] for k in kinds.values()),
        "conflicts_409": sum(k["conflicts_409"] for k in kinds.values()),
        "errors": errors,
        "error_rate": errors / requests if requests else 0.0,
        "p99_ms": percentile_ms([x for s in mix.stats.values() for x in s.latencies_s], 99),
    }
    doc["cpu"] = {
        "client_cores": client_cpu / elapsed,
        "server_cores": server_cpu / elapsed,
        "machine_busy_fraction": (busy_after - busy_before) / (total_after - total_before)
        if total_after > total_before
        else 0.0,
        "load_average_after": os.getloadavg(),
    }
    doc["started_at"] = started_at.isoformat()
    doc["finished_at"] = datetime.now(UTC).isoformat()
    return doc


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:,.0f}"  # NaN: no answer of that kind


def markdown(doc: dict[str, Any]) -> str:
    """The result as a Markdown table with the conditions of the run."""
    plan, total, cpu = doc["plan"], doc["total"], doc["cpu"]
    lines = [
        f"Mixed load, {total['elapsed_s']:.0f} s on loopback, {doc['integrity']['events']:,} "
        f"events at the end ({plan['sample_events']:,} sample events before); users: "
        f"{plan['workers']} grid workers, {plan['dispatchers']} dispatchers, "
        f"{plan['departments']} department, {plan['analysts']} analysts (closed loops).",
        "",
        "| request | requests | per s | 409 conflicts | errors | error rate | p50 ms | p99 ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, k in doc["kinds"].items():
        lines.append(
            f"| {kind} | {k['requests']:,} | {k['per_s']:.1f} | {k['conflicts_409']:,} | "
            f"{k['errors']:,} | {k['error_rate']:.2%} | {_ms(k['p50_ms'])} | {_ms(k['p99_ms'])} |"
        )
    lines += [
        f"| **all** | {total['requests']:,} | {total['per_s']:.1f} | "
        f"{total['conflicts_409']:,} | {total['errors']:,} | {total['error_rate']:.2%} | - | "
        f"{_ms(total['p99_ms'])} |",
        "",
        f"After the run: rollup keys differing from the raw counts: "
        f"{doc['integrity']['rollup_keys_differing']}; duplicate (reporter, client_event_id): "
        f"{doc['integrity']['duplicate_keys']}.",
        "",
        f"Machine: {doc['machine']['nproc']} cores ({doc['machine']['cpu_model']}); CPU used "
        f"(cores): load client {cpu['client_cores']:.2f}, API server {cpu['server_cores']:.2f}, "
        f"machine busy {cpu['machine_busy_fraction']:.0%}; load average before "
        f"{doc['machine']['load_average_before'][0]:.1f}, after "
        f"{cpu['load_average_after'][0]:.1f}. The client, the server and PostgreSQL share "
        "the machine.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mixed", description=__doc__)
    parser.add_argument("--seconds", type=float, default=MixPlan.seconds)
    parser.add_argument("--sample-events", type=int, default=MixPlan.sample_events)
    parser.add_argument("--workers", type=int, default=MixPlan.workers)
    parser.add_argument("--dispatchers", type=int, default=MixPlan.dispatchers)
    parser.add_argument("--analysts", type=int, default=MixPlan.analysts)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    plan = MixPlan(
        seconds=args.seconds,
        sample_events=args.sample_events,
        workers=args.workers,
        dispatchers=args.dispatchers,
        analysts=args.analysts,
    )
    doc = measure(plan, args.workdir)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
    table = markdown(doc)
    args.out.with_suffix(".md").write_text(table, encoding="utf-8")
    print(table)
    integrity = doc["integrity"]
    # the figures are the figures; broken counts are a failure of the run
    return 1 if integrity["rollup_keys_differing"] or integrity["duplicate_keys"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
