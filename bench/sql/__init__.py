"""SQL of the harness: baselines and bookkeeping, one statement per file."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def bench_query(name: str) -> str:
    """The text of ``bench/sql/<name>.sql``."""
    return (resources.files(__package__) / f"{name}.sql").read_text("utf-8")
