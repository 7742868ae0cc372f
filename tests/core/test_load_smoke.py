"""``make load`` still runs: a few seconds of ``python -m bench.mixed`` from start to end.

No speed is asserted (figures are measured, not tested). The run must reach every kind of
user, answer without errors (a 409 between racing dispatchers is not one), and leave the
rollup and the stored keys exact, which ``bench.mixed`` checks after the load.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ALWAYS = {
    "worker: POST /v1/events",
    "dispatcher: GET /v1/events",
    "dispatcher: POST actions",
    "department: GET /v1/events",
    "analyst: GET /v1/stats/grids",
    "analyst: GET /v1/stats/timeseries",
    "analyst: GET /v1/maps/heatmap",
    "analyst: GET /v1/maps/choropleth",
}


def test_the_mixed_load_reaches_every_user_and_leaves_the_counts_exact(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRIDSVC_", "BENCH_"))}
    args = ["--seconds", "4", "--sample-events", "500", "--out", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "bench.mixed", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-4000:] + proc.stdout[-2000:]
    doc = json.loads(out.read_text())
    kinds = doc["kinds"]
    assert set(kinds) >= ALWAYS, sorted(kinds)
    for name, kind in kinds.items():
        assert kind["errors"] == 0, (name, kind["error_examples"])
        assert kind["requests"] == kind["ok"] + kind["conflicts_409"], name
        assert kind["p50_ms"] <= kind["p99_ms"], name
    for name in ALWAYS - {"dispatcher: POST actions"}:
        assert kinds[name]["ok"] > 0, name
    # the dispatchers acted: the workflow moved under load
    assert kinds["dispatcher: POST actions"]["requests"] > 0
    reported = kinds["worker: POST /v1/events"]["ok"]
    assert doc["integrity"] == {
        "events": 500 + reported,  # every 201 stored once, nothing else
        "rollup_keys_differing": 0,
        "duplicate_keys": 0,
    }
    assert doc["total"]["requests"] == sum(k["requests"] for k in kinds.values())
    table = out.with_suffix(".md").read_text()
    for name in kinds:
        assert f"| {name} |" in table
