"""``python -m bench.import_cost``: the import's cost per row against PostgreSQL's floor, on
a mid-sized table (issue #24), in minutes rather than the full benchmark's hour.

    python -m bench.import_cost --events 200000 --preload 225000 --runs 3 \\
        --workdir /work/scratch/bench-storage [--profile import.svg]

Each run empties the event tables, imports ``--preload`` generated events (untimed), then
imports ``--events`` others (another seed) with ``gridsvc events import`` in a fresh process
(its wall time and peak RSS), then rows 1f and 1b (``bench/floor.py``) on the very rows the
first run stored, the preloaded ones loaded first (untimed). ``--profile``: one more
import under py-spy (both threads, native frames off), written as a flame graph (SVG) or,
for a ``.txt`` name, as raw collapsed stacks. Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from bench import floor, imports
from bench.data import generate_csv
from bench.environment import (
    BenchDatabase,
    gridsvc_command,
    run_measured,
    throwaway_database,
)
from bench.plan import make_plan
from bench.summary import summarise


def _import(bench_db: BenchDatabase, csv_path: Path, *, prefix: list[str] | None = None) -> Any:
    child = run_measured(
        [*(prefix or []), *gridsvc_command("events", "import", str(csv_path), "--synthetic")],
        env=bench_db.child_env(),
        timeout_s=3_600,
    )
    lines = [line for line in child.stdout.splitlines() if line.startswith("{")]
    if child.returncode not in (0, 1) or not lines:
        raise RuntimeError(f"import failed ({child.returncode}): {child.stderr[-2000:]}")
    report = json.loads(lines[-1])
    return child, int(report["stored"])


def _prepared(bench_db: BenchDatabase, preload_csv: Path) -> int:
    """Empty tables, then the preloaded events (untimed), vacuumed: how many."""
    imports.reset_events(bench_db)
    _, stored = _import(bench_db, preload_csv)
    bench_db.execute("VACUUM ANALYZE event")
    bench_db.execute("CHECKPOINT")
    return int(stored)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    with throwaway_database(args.workdir) as bench_db:
        folder = bench_db.folder
        preload_csv, csv_path = folder / "preload.csv", folder / "events.csv"
        generate_csv(preload_csv, make_plan(events=args.preload, quick=True, seed=args.seed + 1))
        generate_csv(csv_path, make_plan(events=args.events, quick=True, seed=args.seed))
        batch_rows = bench_db.settings().events.import_batch_rows
        runs: list[dict[str, Any]] = []
        floored: list[dict[str, Any]] = []
        bare: list[dict[str, Any]] = []
        dump: floor.Dump | None = None
        try:
            # import, floor and bare COPY side by side in each run: on a shared machine the
            # load drifts over minutes, and the ratio is the figure
            for _ in range(args.runs):
                preloaded = _prepared(bench_db, preload_csv)
                child, stored = _import(bench_db, csv_path)
                runs.append(
                    {
                        "stored": stored,
                        "wall_s": child.wall_s,
                        "events_per_s": stored / child.wall_s,
                        "max_rss_bytes": child.max_rss_bytes,
                    }
                )
                if dump is None:
                    dump = floor.dump_stored(
                        bench_db, folder, batch_rows, first_batch_rows=preloaded
                    )
                floored.append(floor.floor_once(bench_db, dump, untimed=1))
                bare.append(floor.bare_once(bench_db, dump, untimed=1))
                floor.drop_tables(bench_db)
                print(json.dumps([runs[-1], floored[-1], bare[-1]]), file=sys.stderr)
        finally:
            floor.drop_tables(bench_db)
            if dump is not None:
                dump.remove()
        storage = imports.storage(bench_db)
        profile = None
        if args.profile:
            _prepared(bench_db, preload_csv)
            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            fmt = "raw" if args.profile.suffix == ".txt" else "flamegraph"
            prefix = [spy, "record", "--rate", "200", "--format", fmt, "-o", str(args.profile)]
            child, stored = _import(bench_db, csv_path, prefix=[*prefix, "--"])
            profile = {"file": str(args.profile), "wall_s": child.wall_s, "stored": stored}

    def median(rows: list[dict[str, Any]]) -> float:
        return summarise([r["events_per_s"] for r in rows]).median

    return {
        "events": args.events,
        "preload": args.preload,
        "import_runs": runs,
        "floor_runs": floored,
        "bare_runs": bare,
        "import_events_per_s": median(runs),
        "floor_events_per_s": median(floored),
        "bare_events_per_s": median(bare),
        "import_share_of_floor": median(runs) / median(floored),
        "us_per_row_above_floor": 1e6 / median(runs) - 1e6 / median(floored),
        "storage": storage,
        "profile": profile,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_cost", description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--preload", type=int, default=225_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20260101)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.preload < 1 or args.events < 1 or args.runs < 1:
        parser.error("--events, --preload and --runs must be at least 1")
    print(json.dumps(measure(args), indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
