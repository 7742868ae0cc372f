"""The event taxonomy: which kinds of events gridsvc accepts, as data.

A taxonomy is two levels deep. A *group* (``hazard``) has no parent; a *leaf*
(``hazard.fire``) has ``parent_code`` = its group and a code ``<group>.<name>``. Codes are
lowercase ASCII and stable: stored events keep them, so a category is never deleted, only
deactivated. Events are filed under leaves; a filter on a group means all its leaves
(:meth:`Taxonomy.codes_under`).

The default taxonomy ships as ``gridsvc/data/categories.json``. A taxonomy file (JSON, or TOML
with ``[[categories]]`` tables) holds:

- ``version`` (text, required), ``source`` and ``notes`` (text, optional);
- ``defaults`` (optional): ``time_limits``, ``dedupe_radius_m``, ``dedupe_window_h``;
- ``categories``: entries with ``code``, ``parent_code`` (null or absent for a group),
  ``name_zh``, ``name_en``, and optionally ``default_urgency`` (``normal`` | ``urgent`` |
  ``critical``), ``sensitive`` (exact locations hidden from other roles), ``fields``,
  ``time_limits``, ``dedupe_radius_m`` (metres, 0-10000), ``dedupe_window_h`` (hours,
  0-8760) and ``sort_order`` (among siblings; ties by code).

``default_urgency``, ``sensitive``, ``time_limits`` and the dedupe settings a leaf leaves out
come from its group, then from ``defaults``, then from the built-in values (normal, false,
:data:`DEFAULT_TIME_LIMITS`, 100 m, 72 h). ``fields`` are not inherited.

``time_limits`` sets, per urgency, the hours within which a report must be accepted and the
time within which it must be resolved::

    {"accept_hours": {"normal": 24, "urgent": 4, "critical": 1},
     "resolve": {"normal": {"value": 5, "unit": "working_days"},
                 "urgent": {"value": 24, "unit": "hours"},
                 "critical": {"value": 4, "unit": "hours"}}}

All three urgencies are required; ``unit`` is ``hours``, ``days`` (calendar days) or
``working_days`` (per the official calendar, including adjusted working weekends; counting
them is the deadline code's job). A more urgent level may not allow longer to accept.

``fields`` are the category's extra attributes, each ``{"name", "type", "label_zh"}`` plus
``required`` (default false), ``label_en``, and by type: ``integer`` / ``number``: ``min``,
``max``; ``string``: ``max_length`` (default :data:`DEFAULT_MAX_LENGTH`); ``enum``:
``choices`` (value codes) and optionally ``choice_labels_zh`` (one label per choice);
``boolean``: nothing more.

Files are read and validated in :mod:`gridsvc.events.taxonomy_file`, a report's attributes
are checked against ``fields`` in :mod:`gridsvc.events.attributes`, and a taxonomy is stored
in and read from the ``category`` table in :mod:`gridsvc.events.taxonomy_db`.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from gridsvc.errors import InvalidInput, UnknownCategory
from gridsvc.messages import Local, Msg
from gridsvc.vocabulary import URGENCIES, Urgency

FieldType = Literal["integer", "number", "string", "boolean", "enum"]
FIELD_TYPES: tuple[FieldType, ...] = get_args(FieldType)
DurationUnit = Literal["hours", "days", "working_days"]
DURATION_UNITS: tuple[DurationUnit, ...] = get_args(DurationUnit)

DEFAULT_MAX_LENGTH = 200
DEFAULT_DEDUPE_RADIUS_M = 100.0
DEFAULT_DEDUPE_WINDOW_H = 72.0
MAX_DEDUPE_RADIUS_M = 10_000.0
MAX_DEDUPE_WINDOW_H = 8_760.0
MAX_LIMIT_HOURS = 8_760.0


# --- value types -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duration:
    value: float
    unit: DurationUnit

    def to_dict(self) -> dict[str, Any]:
        return {"value": _plain_number(self.value), "unit": self.unit}


@dataclass(frozen=True)
class UrgencyLimits:
    """Handling limits for one urgency: accept within ``accept_hours``, resolve within
    ``resolve``."""

    accept_hours: float
    resolve: Duration


@dataclass(frozen=True)
class TimeLimits:
    normal: UrgencyLimits
    urgent: UrgencyLimits
    critical: UrgencyLimits

    def for_urgency(self, urgency: Urgency) -> UrgencyLimits:
        limits: UrgencyLimits = getattr(self, urgency)
        return limits

    def to_dict(self) -> dict[str, Any]:
        """The file shape (see the module docstring)."""
        return {
            "accept_hours": {u: _plain_number(self.for_urgency(u).accept_hours) for u in URGENCIES},
            "resolve": {u: self.for_urgency(u).resolve.to_dict() for u in URGENCIES},
        }


DEFAULT_TIME_LIMITS = TimeLimits(
    normal=UrgencyLimits(24, Duration(5, "working_days")),
    urgent=UrgencyLimits(4, Duration(24, "hours")),
    critical=UrgencyLimits(1, Duration(4, "hours")),
)


@dataclass(frozen=True)
class AttributeField:
    """One category-specific attribute an event report may carry (see the module docstring)."""

    name: str
    type: FieldType
    label_zh: str
    required: bool = False
    label_en: str | None = None
    choices: tuple[str, ...] = ()
    choice_labels_zh: tuple[tuple[str, str], ...] = ()  # (choice, label) in choice order
    min: int | float | None = None
    max: int | float | None = None
    max_length: int | None = None

    def choice_label(self, choice: str) -> str:
        """The Chinese label of an enum choice (the choice itself when it has none)."""
        return dict(self.choice_labels_zh).get(choice, choice)

    def expected(self) -> str:
        """What a valid value looks like, in English (:meth:`expected_msg`)."""
        return self.expected_msg().render("en")

    def expected_msg(self) -> Msg:
        """What a valid value looks like, in words a field worker's app can show."""
        if self.type == "boolean":
            return Msg("attr.boolean")
        if self.type == "enum":
            options = [
                Local(f"{c} ({label})", f"{label}（{c}）")
                if (label := self.choice_label(c)) != c
                else c
                for c in self.choices
            ]
            return Msg("attr.one_of", {"options": options})
        if self.type == "string":
            return Msg("attr.text", {"limit": self.max_length or DEFAULT_MAX_LENGTH})
        kind = Msg("attr.integer" if self.type == "integer" else "attr.number")
        low = None if self.min is None else _plain_number(self.min)
        high = None if self.max is None else _plain_number(self.max)
        if low is not None and high is not None:
            return Msg("attr.between", {"kind": kind, "low": low, "high": high})
        if low is not None:
            return Msg("attr.at_least", {"kind": kind, "low": low})
        if high is not None:
            return Msg("attr.at_most", {"kind": kind, "high": high})
        return kind

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "label_zh": self.label_zh,
            "required": self.required,
        }
        if self.label_en is not None:
            out["label_en"] = self.label_en
        if self.type == "enum":
            out["choices"] = list(self.choices)
            if self.choice_labels_zh:
                out["choice_labels_zh"] = dict(self.choice_labels_zh)
        for key in ("min", "max", "max_length"):
            value = getattr(self, key)
            if value is not None:
                out[key] = _plain_number(value)
        return out


@dataclass(frozen=True)
class Category:
    """A group (``parent_code`` None) or a leaf; inherited values are already resolved."""

    code: str
    parent_code: str | None
    name_zh: str
    name_en: str
    default_urgency: Urgency = "normal"
    sensitive: bool = False
    fields: tuple[AttributeField, ...] = ()
    time_limits: TimeLimits = DEFAULT_TIME_LIMITS
    dedupe_radius_m: float = DEFAULT_DEDUPE_RADIUS_M
    dedupe_window_h: float = DEFAULT_DEDUPE_WINDOW_H
    sort_order: int = 0
    active: bool = True

    @property
    def is_group(self) -> bool:
        return self.parent_code is None

    @property
    def leaf(self) -> bool:
        return self.parent_code is not None

    def attribute(self, name: str) -> AttributeField | None:
        return next((f for f in self.fields if f.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The API shape (no ``sort_order`` or ``active``: lists come sorted and active)."""
        return {
            "code": self.code,
            "parent_code": self.parent_code,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "default_urgency": self.default_urgency,
            "sensitive": self.sensitive,
            "fields": [f.to_dict() for f in self.fields],
            "time_limits": self.time_limits.to_dict(),
            "dedupe_radius_m": _plain_number(self.dedupe_radius_m),
            "dedupe_window_h": _plain_number(self.dedupe_window_h),
        }


@dataclass(frozen=True)
class Taxonomy:
    """Categories in display order: each group followed by its leaves.

    ``version`` and ``source`` come from the file; a taxonomy read from the database has
    neither (the ``category`` table does not keep them).
    """

    categories: tuple[Category, ...]
    version: str | None = None
    source: str | None = None
    _by_code: dict[str, Category] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        by_code: dict[str, Category] = {}
        for c in self.categories:
            if c.code in by_code:
                raise ValueError(f"category code {c.code!r} appears twice")
            by_code[c.code] = c
        for c in self.categories:
            if c.parent_code is not None and c.parent_code not in by_code:
                raise ValueError(f"category {c.code!r} has unknown parent {c.parent_code!r}")
        object.__setattr__(self, "_by_code", by_code)

    def __len__(self) -> int:
        return len(self.categories)

    def __iter__(self) -> Iterator[Category]:
        return iter(self.categories)

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def get(self, code: str) -> Category:
        """The category with this code; :class:`UnknownCategory` (field ``category``) if none."""
        found = self._by_code.get(code)
        if found is None:
            raise UnknownCategory(
                "category.unknown",
                field="category",
                hint=self.suggestion(code),
                code=code,
                details={"code": code},
            )
        return found

    def get_leaf(self, code: str) -> Category:
        """Like :meth:`get`, but a group is refused: events are filed under its leaves."""
        found = self.get(code)
        if found.is_group:
            leaves = [Local(c.code, f"{c.name_zh}（{c.code}）") for c in self.children(code)]
            raise InvalidInput(
                "category.group",
                field="category",
                hint="category.choose_or_other" if f"{code}.other" in self else "category.choose",
                code=code,
                name_zh=found.name_zh,
                leaves=leaves,
                details={"code": code},
            )
        return found

    def groups(self) -> tuple[Category, ...]:
        return tuple(c for c in self.categories if c.is_group)

    def leaves(self) -> tuple[Category, ...]:
        return tuple(c for c in self.categories if c.leaf)

    def children(self, group_code: str) -> tuple[Category, ...]:
        """The leaves of a group, in display order (empty for a leaf)."""
        self.get(group_code)
        return tuple(c for c in self.categories if c.parent_code == group_code)

    def codes_under(self, code: str) -> tuple[str, ...]:
        """The leaf codes a filter on ``code`` means: a group's leaves, or the leaf itself."""
        category = self.get(code)
        if category.leaf:
            return (category.code,)
        return tuple(c.code for c in self.children(code))

    def suggest(self, text: str) -> str:
        """:meth:`suggestion` in English."""
        return self.suggestion(text).render("en")

    def suggestion(self, text: str) -> Msg:
        """A sentence pointing from an unknown code (or a category name) to known
        categories, by name and code."""
        needle = text.strip().lower()
        leaves = self.leaves()
        if not leaves:
            return Msg("category.none_loaded")
        matches: list[str] = []
        if needle:
            # a category's name, as hotline exports often carry ("消防" -> hazard.fire)
            for c in leaves:
                names = (c.name_zh.lower(), c.name_en.lower())
                if needle in names or (len(needle) >= 2 and any(needle in n for n in names)):
                    matches.append(c.code)
            # a misspelt code, or a leaf's last part without its group ("fire")
            matches += difflib.get_close_matches(needle, [c.code for c in leaves], n=3)
            last = [c.code.rsplit(".", 1)[1] for c in leaves]
            unique_last = {
                n: c.code for n, c in zip(last, leaves, strict=True) if last.count(n) == 1
            }
            matches += [unique_last[n] for n in difflib.get_close_matches(needle, unique_last)]
        found = list(dict.fromkeys(matches))[:3]
        if found:
            choices = [
                Msg(
                    "category.choice",
                    {"code": c.code, "name": Local(c.name_en, c.name_zh)},
                )
                for c in (self._by_code[code] for code in found)
            ]
            return Msg("category.did_you_mean", {"choices": choices})
        groups = [Local(c.code, f"{c.name_zh}（{c.code}）") for c in self.groups()]
        return Msg("category.use_code", {"example": leaves[0].code, "groups": groups})

    def to_dict(self) -> dict[str, Any]:
        """A complete taxonomy file: ``load_taxonomy_file`` reads it back unchanged."""
        out: dict[str, Any] = {"version": self.version or "unversioned"}
        if self.source is not None:
            out["source"] = self.source
        out["categories"] = [{**c.to_dict(), "sort_order": c.sort_order} for c in self.categories]
        return out


# --- small helpers -----------------------------------------------------------------------------


def _plain_number(value: float) -> int | float:
    """3.0 -> 3, so files and API bodies show whole numbers as written."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def shown(value: object) -> str:
    """A value as the sender wrote it (JSON), shortened for a message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
