"""Pinyin initials of names, for search boxes (gridsvc.pinyin)."""

from __future__ import annotations

import pytest

from gridsvc.events.taxonomy_file import default_taxonomy
from gridsvc.pinyin import initials


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("电动自行车违规充电", "ddzxcwgcd"),  # 自行车: xing as in the phrase, not hang
        ("火灾隐患", "hzyh"),
        ("银行", "yh"),  # 行: hang as in the word
        ("A级 隐患2", "ajyh2"),  # Latin letters and digits kept, spaces dropped
        ("", ""),
    ],
)
def test_initials(name: str, expected: str) -> None:
    assert initials(name) == expected


def test_every_default_category_has_letters_only_initials_of_its_length() -> None:
    for category in default_taxonomy():
        got = initials(category.name_zh)
        assert got.isascii() and got.isalnum(), (category.code, got)
        assert len(got) == len(category.name_zh.replace(" ", "")), (category.code, got)
