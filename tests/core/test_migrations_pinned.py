"""Released migrations never change: their checksums are pinned here."""

from __future__ import annotations

import hashlib
from pathlib import Path

from gridsvc.sql import migrations

PINNED = Path(__file__).parents[1] / "data" / "migrations.sha256"


def test_every_migration_matches_its_pinned_checksum() -> None:
    pinned = {}
    for line in PINNED.read_text().splitlines():
        if line and not line.startswith("#"):
            name, digest = line.split()
            pinned[name] = digest
    found = {
        f"{m.version:04d}_{m.name}": hashlib.sha256(m.sql.encode()).hexdigest()
        for m in migrations()
    }
    assert found == pinned, (
        "A migration was edited or added without updating tests/data/migrations.sha256; "
        "edit released migrations never — add a new numbered one."
    )
