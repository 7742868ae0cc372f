"""The one catalogue of messages: message id → English and Chinese, for message and hint.

Ids are ``<area>.<what>`` (``event.not_found``); each area keeps its entries in a module of
this package, and no id may be defined twice. Placeholders are named (``{event_id}``) and
the same in both languages; see :mod:`gridsvc.messages` for the format specs (``:label``,
``:term``, ``:list``, ``:or``). English keeps the words gridsvc always used where they were
good; Chinese is what a grid worker's app shows: short, and a polite imperative in hints.
"""

from __future__ import annotations

from typing import Final

from gridsvc.messages.catalogue import (
    access,
    admin,
    api,
    common,
    embeds,
    events,
    grids,
    maps,
    open311,
    standards,
    stats,
    workflow,
)
from gridsvc.messages.entry import Entry, union

MESSAGES: Final[dict[str, Entry]] = union(
    access.MESSAGES,
    admin.MESSAGES,
    api.MESSAGES,
    common.MESSAGES,
    embeds.MESSAGES,
    events.MESSAGES,
    grids.MESSAGES,
    maps.MESSAGES,
    open311.MESSAGES,
    standards.MESSAGES,
    stats.MESSAGES,
    workflow.MESSAGES,
)
