"""Every word the console shows, by language: one place to add another.

Keys are English identifiers; templates use ``t.key`` and scripts ``T.key`` (the same
dictionary, written into each page as JSON). Each page family keeps its words in a module
of this package (``console``, ``field``, ``dispatch``, ``ogc``); a language is the union of them,
and no key may be defined twice.
"""

from __future__ import annotations

from typing import Final

from gridsvc.messages.entry import union
from web.labels import console, dispatch, field, ogc

ZH_CN: Final[dict[str, str]] = union(
    console.ZH_CN, field.ZH_CN, dispatch.ZH_CN, ogc.ZH_CN, what="labels"
)

LANGUAGES: Final[dict[str, dict[str, str]]] = {"zh-CN": ZH_CN}
DEFAULT_LANGUAGE: Final = "zh-CN"


def labels(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    return LANGUAGES.get(language, ZH_CN)
