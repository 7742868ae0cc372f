"""``bench.run --explain``: the plan of every statement the measured steps run, and the
indexes each named query used (issue #24: an index no measured query uses is a candidate to
drop, ``docs/scaling.md``).

``auto_explain`` logs the plan of every statement of every new session (JSON, no ANALYZE:
the plan as chosen) from :func:`enable` to :func:`disable`; :func:`plans_by_query` reads them
back from the server's log and names each statement by the SQL files it came from (their
first lines). The figures of a run with ``--explain`` pay for the logging: plans only.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import psycopg2

from bench.environment import BenchDatabase
from gridsvc.db.local import LocalCluster

_ENTRY = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")
EVENT_TABLES = frozenset(
    {"event", "event_key", "event_daily", "event_status_count", "event_tile_bin"}
)


def enable(bench_db: BenchDatabase) -> None:
    """Every session opened from now on logs each statement's plan."""
    conn = psycopg2.connect(bench_db.url)
    try:
        conn.autocommit = True  # ALTER SYSTEM runs outside a transaction
        with conn.cursor() as cur:
            # one session: ALTER SYSTEM knows auto_explain's settings once it is loaded here
            cur.execute("LOAD 'auto_explain'")
            for statement in (
                "ALTER SYSTEM SET auto_explain.log_min_duration = 0",
                "ALTER SYSTEM SET auto_explain.log_format = 'json'",
                "ALTER SYSTEM SET auto_explain.log_nested_statements = on",
                "ALTER SYSTEM SET session_preload_libraries = 'auto_explain'",
                "SELECT pg_reload_conf()",
            ):
                cur.execute(statement)
    finally:
        conn.close()


def disable(bench_db: BenchDatabase) -> None:
    bench_db.execute("ALTER SYSTEM RESET auto_explain.log_min_duration")
    bench_db.execute("ALTER SYSTEM RESET session_preload_libraries")
    bench_db.execute("SELECT pg_reload_conf()")


def log_file(bench_db: BenchDatabase) -> Path:
    return LocalCluster(bench_db.folder / "db").log_file


def _query_names() -> dict[str, str]:
    """First line of each SQL file of gridsvc and of the harness → its name."""
    names: dict[str, str] = {}
    for package, prefix in (("gridsvc.sql", "queries/"), ("bench.sql", "")):
        folder = resources.files(package) / prefix if prefix else resources.files(package)
        for item in folder.iterdir():
            if item.name.endswith(".sql"):
                first = item.read_text("utf-8").strip().splitlines()[0].strip()
                names.setdefault(first, f"{package}:{prefix}{item.name}")
    return names


def _plans(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON plans auto_explain wrote to the log at ``path``."""
    entry: list[str] = []

    def flush() -> Iterator[dict[str, Any]]:
        text = "\n".join(entry)
        if "plan:" in text:
            body = text.split("plan:", 1)[1]
            try:
                yield json.loads(body)
            except json.JSONDecodeError:
                return

    with path.open(encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if _ENTRY.match(line):
                yield from flush()
                entry = [line.rstrip("\n")]
            elif entry:
                entry.append(line.rstrip("\n"))
    yield from flush()


def _walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for child in node.get("Plans", []):
        yield from _walk(child)


def plans_by_query(path: Path) -> dict[str, dict[str, Any]]:
    """Per named query that touched an event table: how often it ran, the indexes its plans
    used (with counts) and the event tables it read by sequential scan."""
    names = _query_names()
    out: dict[str, dict[str, Any]] = {}
    for plan in _plans(path):
        text = str(plan.get("Query Text", "")).strip()
        # a statement sent with others in one string, or made of several files' fragments,
        # carries each one's first line: named by all of them
        found = sorted(name for first, name in names.items() if first in text)
        name = " + ".join(found) or ("other: " + " ".join(text.split())[:80])
        indexes: Counter[str] = Counter()
        seq: set[str] = set()
        tables: set[str] = set()
        for node in _walk(plan.get("Plan", {})):
            relation = node.get("Relation Name")
            if relation:
                tables.add(relation)
            if "Index Name" in node:
                indexes[node["Index Name"]] += 1
            for arbiter in node.get("Conflict Arbiter Indexes", []):
                indexes[arbiter] += 1
            if node.get("Node Type") == "Seq Scan" and relation in EVENT_TABLES:
                seq.add(relation)
        if not tables & EVENT_TABLES:
            continue
        item = out.setdefault(name, {"calls": 0, "indexes": Counter(), "seq_scans": set()})
        item["calls"] += 1
        item["indexes"].update(set(indexes))
        item["seq_scans"] |= seq
    return {
        name: {
            "calls": item["calls"],
            "indexes": dict(item["indexes"]),
            "seq_scans": sorted(item["seq_scans"]),
        }
        for name, item in sorted(out.items())
    }
