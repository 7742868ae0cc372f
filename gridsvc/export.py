"""Writing tables for people: CSV that Excel opens correctly and safely."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """A value safe for a spreadsheet: text that Excel would run as a formula (=, +, -, @)
    gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def excel_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """UTF-8 CSV with a BOM (so Excel reads Chinese), every text cell formula-safe."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()
