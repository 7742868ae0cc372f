"""The benchmark harness still runs: a tiny ``python -m bench.run`` from start to end.

Speed is not asserted (it is measured in ``bench/``, not in timed tests): the test checks that
the harness starts its own PostGIS, measures every goal and writes a complete result, so that
``make bench`` does not rot between manual runs.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ROW_IDS = {
    *("1", "1f", "1b", "1m", "2", "2q", "3", "3p", "4", "4p", "4e", "4r", "5", "5t", "5c"),
    *("6", "D", "7", "7t", "7h", "7i", "7r", "7g", "7c"),
    *("C1", "C2", "Q1", "Q2", "F1"),
    *("V1", "V1a", "V1f", "V2", "V3"),
    *("L1", "L1p", "L2", "L2p", "L3", "L3p"),
}
WITH_BASELINE = {
    *("1", "2", "2q", "4r", "5", "D", "C1", "Q1", "V1", "V2", "V3"),
    *("L1", "L1p", "L2", "L2p", "L3", "L3p"),
}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def test_bench_harness_measures_every_goal(tmp_path: Path) -> None:
    out = tmp_path / "latest.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRIDSVC_", "BENCH_"))}
    args = ["--events", "2000", "--quick", "--runs", "2", "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]

    doc = json.loads(out.read_text())
    rows = {row["id"]: row for row in doc["rows"]}
    assert set(rows) == ROW_IDS
    for rid, row in rows.items():
        figure = row["figure"]
        assert len(figure["runs"]) >= 1, rid
        assert all(_number(v) for v in figure["runs"]), (rid, figure)
        assert _number(figure["median"]) and figure["min"] <= figure["median"] <= figure["max"]
        assert row["status"] in ("met", "NOT MET", "info"), rid
        assert (row["status"] == "NOT MET") == bool(row["failures"]), rid
        if rid in WITH_BASELINE:
            assert _number(row["baseline"]["figure"]["median"]), rid
            assert row["baseline"]["figure"]["median"] > 0, rid
            assert _number(row["ratio"]) and row["ratio"] > 0, rid
    assert rows["1"]["details"]["imports"][0]["events_stored"] == 2000
    # the floor rows loaded the very rows the import stored (floor_counts.sql), in row 1's runs
    for rid in ("1f", "1b"):
        assert [r["rows"] for r in rows[rid]["details"]["runs"]] == [2000, 2000], rid
    assert rows["1"]["target"]["value"] == min(40_000, 0.7 * rows["1f"]["figure"]["median"])
    # storage: the split adds up to row 7, and the steps' index scans were seen
    split = rows["7t"]["figure"]["median"] + rows["7h"]["figure"]["median"]
    assert math.isclose(split + rows["7i"]["figure"]["median"], rows["7"]["figure"]["median"])
    assert math.isclose(
        rows["7g"]["figure"]["median"],
        rows["7"]["figure"]["median"] - rows["7t"]["figure"]["median"],
    )
    # 7c, measured last: every index of the event tables was rebuilt (a new file each)
    compact = rows["7c"]["details"]["compact"]
    assert compact["rebuilt"] == compact["indexes_before"]
    assert set(compact["rebuilt"]) == set(compact["index_bytes_per_event"])
    assert len(compact["rebuilt"]) >= 10
    steps = rows["7i"]["details"]["steps"]
    assert "event_key.event_key_pkey" in steps["per-row INSERT baseline"]
    assert "event_key.event_key_pkey" in steps["import (rows 1, 7; the dump for 1f)"]
    # the load reached the API: requests answered as a client expects (errors are a figure)
    for rid in ("3", "4"):
        runs = rows[rid]["details"]["runs"]
        assert all(run["ok"] > 0 for run in runs), [run["error_examples"] for run in runs]
    assert doc["goals_not_met"] == [r["id"] for r in doc["rows"] if r["met"] is False]
    # the maps: real pages, a raw-point baseline larger than the binned page, a drawn heat map
    assert rows["5"]["baseline"]["figure"]["median"] > 0
    assert rows["5c"]["figure"]["median"] > 100_000  # 1,255 community polygons
    paints = rows["6"]["details"]["runs"]
    assert paints and all(run["failed_requests"] == [] for run in paints)
    pages = rows["C1"]["details"]["runs"]  # the console drawn, in a signed-in browser
    assert pages and all(run["failed_requests"] == [] and "error" not in run for run in pages)
    assert all(run["default_view_ms"] > 0 and run["filter_change_ms"] > 0 for run in pages)
    field_load = rows["F1"]["details"]  # the field page, in a phone-sized browser
    assert field_load["bytes_total"] == rows["F1"]["figure"]["median"] > 100_000
    for queue_row in ("Q1", "Q2"):  # the dispatch queue's first page, over HTTP
        runs = rows[queue_row]["details"]["runs"]
        assert runs and all(r["p95_ms"] > 0 and r["first_ms"] > 0 for r in runs)

    # 4r: POST under the analysts' load, on one server and with the reads on a replica
    replica = rows["4r"]["details"]
    for runs in (replica["replica_runs"], replica["one_server_runs"]):
        assert runs and all(r["ok"] > 0 and r["analysts"]["ok"] > 0 for r in runs)
        assert all(r["analysts"]["errors"] == 0 for r in runs), [
            r["analysts"]["error_examples"] for r in runs
        ]
    assert all(r["read_connections_on_replica"] > 0 for r in replica["replica_runs"])

    tiles = rows["V1"]["details"]  # vector tiles, made from the bench's events
    assert all(sum(run["kinds"].values()) > 0 for run in tiles["runs"])
    assert tiles["tiles"]["events"] and tiles["tiles"]["community"]
    assert rows["V3"]["figure"]["median"] > 0

    machine = doc["machine"]
    assert machine["nproc"] >= 1 and machine["memory_bytes"] > 0
    assert machine["cpu_model"] and machine["python"]
    postgres = doc["postgres"]
    assert postgres["server_version"] and postgres["postgis_version"]
    assert postgres["settings"]["shared_buffers"] and postgres["settings"]["work_mem"]
    assert doc["plan"]["events"] == 2000 and doc["data"]["rows"] == 2000

    # the readable table: every row, and every goal not met named under the table
    table = out.with_suffix(".md").read_text()
    for rid, row in rows.items():
        assert f"| {rid} | {row['measure']} |" in table
    unmet = table.split("Goals NOT MET:", 1)[1] if doc["goals_not_met"] else ""
    for rid in doc["goals_not_met"]:
        assert f"- {rid} " in unmet
    assert "NOT MET" in proc.stdout or not doc["goals_not_met"]
