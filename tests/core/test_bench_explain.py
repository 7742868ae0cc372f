"""``bench.run --explain`` reads the plans auto_explain wrote to the server's log back and
names each statement by the SQL files it was made of (issue #24)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.explain import plans_by_query

STAGE = "-- A batch of checked rows, staged before one INSERT ... SELECT (event_insert_stage.sql):"
NEARBY = (
    "-- The points fragment of event_nearby.sql: the reports in event_stage (store.store_together),"
)


def _entry(text: str, plan: dict[str, object]) -> str:
    body = json.dumps({"Query Text": text, "Plan": plan}, indent=2)
    return f"2026-12-05 23:00:00.000 UTC [1] LOG:  duration: 1.000 ms  plan:\n{body}\n"


def test_plans_are_named_by_their_files_and_list_indexes_and_seq_scans(tmp_path: Path) -> None:
    insert = {
        "Node Type": "ModifyTable",
        "Relation Name": "event_daily",
        "Conflict Arbiter Indexes": ["event_daily_pkey"],
        "Plans": [{"Node Type": "Seq Scan", "Relation Name": "event"}],
    }
    nearby = {"Node Type": "Index Scan", "Relation Name": "event", "Index Name": "event_open_near"}
    log = tmp_path / "postgres.log"
    sent_together = "\n".join((STAGE, "SET LOCAL x;", NEARBY, "SELECT 1"))  # a log's text
    entries = [
        _entry(sent_together, nearby),
        _entry(sent_together, nearby),
        "2026-12-05 23:00:01.000 UTC [1] WARNING:  something else\n",
        _entry("INSERT INTO event_daily SELECT 1", insert),
        _entry("SELECT 1 FROM category", {"Node Type": "Seq Scan", "Relation Name": "category"}),
    ]
    log.write_text("".join(entries))
    plans = plans_by_query(log)
    both = (
        "gridsvc.sql:queries/event_nearby_staged.sql + gridsvc.sql:queries/event_stage_create.sql"
    )
    assert plans[both] == {"calls": 2, "indexes": {"event_open_near": 2}, "seq_scans": []}
    other = plans["other: INSERT INTO event_daily SELECT 1"]
    assert other == {"calls": 1, "indexes": {"event_daily_pkey": 1}, "seq_scans": ["event"]}
    assert len(plans) == 2  # a plan touching no event table is left out
