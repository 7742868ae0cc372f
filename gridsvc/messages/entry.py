"""One entry of the catalogue: a message in English and Chinese, and maybe its hint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NotRequired, TypedDict, TypeVar

V = TypeVar("V")


class Entry(TypedDict):
    en: str
    zh: str
    hint_en: NotRequired[str]
    hint_zh: NotRequired[str]


def m(en: str, zh: str, hint_en: str | None = None, hint_zh: str | None = None) -> Entry:
    """An entry: the message in English and Chinese, then its hint in both (or neither)."""
    if (hint_en is None) != (hint_zh is None):
        raise ValueError(f"a hint in one language only: {en!r}")
    entry: Entry = {"en": en, "zh": zh}
    if hint_en is not None and hint_zh is not None:
        entry["hint_en"] = hint_en
        entry["hint_zh"] = hint_zh
    return entry


def union(*parts: Mapping[str, V], what: str = "message ids") -> dict[str, V]:
    """Parts of a table kept in several modules (the catalogue's areas, the console's page
    families) as one; a key defined twice is a mistake (``what`` names the keys)."""
    merged: dict[str, V] = {}
    for part in parts:
        twice = merged.keys() & part.keys()
        if twice:
            raise ValueError(f"{what} defined twice: {sorted(twice)}")
        merged.update(part)
    return merged
