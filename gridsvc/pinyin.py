"""Pinyin initials of Chinese names, so that a person can find 电动自行车违规充电 by typing
``ddz`` (as the search boxes of Chinese apps let them). pypinyin reads known phrases as
phrases (自行车 is ``zxc``, not ``zhc``)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=4096)
def initials(text: str) -> str:
    """The lower-case first letter of each character's pinyin; characters that are not
    Chinese (digits, Latin letters) are kept, lower-cased, and spaces dropped.

    pypinyin is imported here, not with the module: its dictionaries take ~0.15 s and
    ~55 MB, paid only by a process that is asked for initials (a server on its first
    ``/v1/categories``), not by every start of the CLI, an import or a worker."""
    from pypinyin import Style, lazy_pinyin

    letters = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default", strict=False)
    return "".join(letters).replace(" ", "").lower()
