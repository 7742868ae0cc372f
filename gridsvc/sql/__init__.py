"""SQL shipped inside the package: numbered migrations and named queries.

Queries take values only as psycopg2 parameters (``%(name)s``); nothing is formatted into
the SQL text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


@cache
def query(name: str) -> str:
    """The text of ``gridsvc/sql/queries/<name>.sql``."""
    return (resources.files(__package__) / "queries" / f"{name}.sql").read_text("utf-8")


def statements(*names: str) -> str:
    """Named queries sent together, in one round trip, each ended by a semicolon (a cursor's
    result is the last one's)."""
    return "".join(query(name) + "\n;\n" for name in names)


def migrations() -> list[Migration]:
    """Every migration in ``gridsvc/sql/migrations``, in version order."""
    found = []
    for entry in (resources.files(__package__) / "migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migrations share a version number: {versions}")
    return found
