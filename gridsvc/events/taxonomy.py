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
``boolean``: nothing more. :func:`validate_attributes` checks a report's attributes against
them.

Files are validated strictly (unknown keys are errors, so a typo never passes silently); every
problem is reported at once in one :class:`InvalidInput`, each naming its entry.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, Literal, NoReturn, get_args

import psycopg2.extras

from gridsvc.db.pool import Connection
from gridsvc.errors import InvalidInput, UnknownCategory
from gridsvc.sql import query

Urgency = Literal["normal", "urgent", "critical"]
URGENCIES: tuple[Urgency, ...] = get_args(Urgency)
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

_GROUP_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_LEAF_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}\.[a-z][a-z0-9_]{0,39}$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


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
        """What a valid value looks like, in words a field worker's app can show."""
        if self.type == "boolean":
            return "true or false"
        if self.type == "enum":
            options = ", ".join(
                f"{c} ({self.choice_label(c)})" if self.choice_label(c) != c else c
                for c in self.choices
            )
            return f"one of {options}"
        if self.type == "string":
            return f"text of at most {self.max_length or DEFAULT_MAX_LENGTH} characters"
        kind = "a whole number" if self.type == "integer" else "a number"
        if self.min is not None and self.max is not None:
            return f"{kind} from {_plain_number(self.min)} to {_plain_number(self.max)}"
        if self.min is not None:
            return f"{kind} of at least {_plain_number(self.min)}"
        if self.max is not None:
            return f"{kind} of at most {_plain_number(self.max)}"
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
                f"Unknown category '{code}'.",
                field="category",
                hint=self.suggest(code),
                code=code,
            )
        return found

    def get_leaf(self, code: str) -> Category:
        """Like :meth:`get`, but a group is refused: events are filed under its leaves."""
        found = self.get(code)
        if found.is_group:
            leaves = ", ".join(c.code for c in self.children(code))
            raise InvalidInput(
                f"'{code}' ({found.name_zh}) is a group of categories; a report needs one of "
                f"its categories: {leaves}.",
                field="category",
                hint="Choose the category that fits best"
                + (f", or '{code}.other'." if f"{code}.other" in self else "."),
                code=code,
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
        """A sentence pointing from an unknown code (or a category name) to known codes."""
        needle = text.strip().lower()
        leaves = self.leaves()
        if not leaves:
            return "No categories are loaded yet."
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
            return "Did you mean " + " or ".join(f"'{m}'" for m in found) + "?"
        groups = ", ".join(c.code for c in self.groups())
        return (
            f"Use a category code such as '{leaves[0].code}': a group and a name joined by a "
            f"dot. The groups are {groups}."
        )

    def to_dict(self) -> dict[str, Any]:
        """A complete taxonomy file: ``load_taxonomy_file`` reads it back unchanged."""
        out: dict[str, Any] = {"version": self.version or "unversioned"}
        if self.source is not None:
            out["source"] = self.source
        out["categories"] = [{**c.to_dict(), "sort_order": c.sort_order} for c in self.categories]
        return out


# --- loading -----------------------------------------------------------------------------------


def load_taxonomy_file(path: str | PathLike[str]) -> Taxonomy:
    """Read and validate a taxonomy file: JSON, or TOML when the name ends in ``.toml``."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"Cannot read the taxonomy file {path.name}: {exc}.",
            hint="Give the path of a readable UTF-8 JSON or TOML file.",
        ) from exc
    try:
        if path.suffix.lower() == ".toml":
            document: object = tomllib.loads(text)
        else:
            document = json.loads(
                text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant
            )
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(
            f"The taxonomy file {path.name} is not valid "
            f"{'TOML' if path.suffix.lower() == '.toml' else 'JSON'}: {exc}",
            hint="Fix the syntax at the position named.",
        ) from exc
    return parse_taxonomy(document, origin=path.name)


@cache
def default_taxonomy() -> Taxonomy:
    """The taxonomy shipped with gridsvc (``gridsvc/data/categories.json``)."""
    resource = resources.files("gridsvc") / "data" / "categories.json"
    document = json.loads(resource.read_text("utf-8"), object_pairs_hook=_no_duplicate_keys)
    return parse_taxonomy(document, origin="gridsvc/data/categories.json")


def parse_taxonomy(document: object, *, origin: str) -> Taxonomy:
    """Validate a parsed taxonomy file; ``origin`` names it in error messages."""
    p = _Problems(origin)
    if not isinstance(document, Mapping):
        p.fail("file", "must be an object with version and categories")
    _check_keys(p, "file", document, {"version", "source", "notes", "defaults", "categories"})
    version = _text(p, "file", document, "version", required=True)
    source = _text(p, "file", document, "source", required=False)
    _text(p, "file", document, "notes", required=False, max_length=10_000)
    base = _BUILT_IN
    defaults = document.get("defaults")
    if defaults is not None:
        if isinstance(defaults, Mapping):
            _check_keys(
                p, "defaults", defaults, {"time_limits", "dedupe_radius_m", "dedupe_window_h"}
            )
            base = _inherit(p, "defaults", defaults, base)
        else:
            p.add("defaults", "must be an object")
    entries = document.get("categories")
    if not isinstance(entries, list) or not entries:
        p.fail("file", "categories must be a non-empty list of category entries")
    categories = _parse_categories(p, entries, base)
    p.raise_if_any()
    return Taxonomy(categories, version=version, source=source)


@dataclass(frozen=True)
class _Inherited:
    default_urgency: Urgency
    sensitive: bool
    time_limits: TimeLimits
    dedupe_radius_m: float
    dedupe_window_h: float


_BUILT_IN = _Inherited(
    "normal", False, DEFAULT_TIME_LIMITS, DEFAULT_DEDUPE_RADIUS_M, DEFAULT_DEDUPE_WINDOW_H
)


class _Problems:
    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.items: list[str] = []

    def add(self, where: str, text: str) -> None:
        self.items.append(f"{where}: {text}")

    def fail(self, where: str, text: str) -> NoReturn:
        self.add(where, text)
        self.raise_if_any()
        raise AssertionError("unreachable")

    def raise_if_any(self) -> None:
        if not self.items:
            return
        if len(self.items) == 1:
            message = f"Taxonomy {self.origin}: {self.items[0]}."
        else:
            message = (
                f"Taxonomy {self.origin} has {len(self.items)} problems: "
                + "; ".join(self.items)
                + "."
            )
        raise InvalidInput(
            message,
            hint="Fix the entries named and load the taxonomy again.",
            problems=list(self.items),
        )


def _parse_categories(p: _Problems, entries: list[Any], base: _Inherited) -> tuple[Category, ...]:
    known = {
        "code",
        "parent_code",
        "name_zh",
        "name_en",
        "default_urgency",
        "sensitive",
        "fields",
        "time_limits",
        "dedupe_radius_m",
        "dedupe_window_h",
        "sort_order",
    }
    good: dict[str, tuple[str, Mapping[str, Any]]] = {}  # code -> (where, entry)
    first_seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            p.add(f"categories[{i}]", "must be an object")
            continue
        code = entry.get("code")
        if not isinstance(code, str) or not code:
            p.add(f"categories[{i}]", "code is missing; every entry needs a code")
            continue
        where = f"categories[{i}] ({code})"
        if code in first_seen:
            p.add(where, f"duplicate code; it is already defined at categories[{first_seen[code]}]")
            continue
        first_seen[code] = i
        _check_keys(p, where, entry, known)
        parent = entry.get("parent_code")
        if parent is None:
            if not _GROUP_CODE.match(code):
                hint = (
                    f"; a leaf needs parent_code '{code.split('.')[0]}'"
                    if _LEAF_CODE.match(code)
                    else ""
                )
                p.add(
                    where,
                    "a group code must be lowercase ASCII letters, digits and _, "
                    f"starting with a letter, without a dot{hint}",
                )
                continue
        elif not isinstance(parent, str):
            p.add(where, "parent_code must be text (or null for a group)")
            continue
        elif not _GROUP_CODE.match(parent):
            p.add(
                where,
                f"parent_code '{parent}' is not a group code; categories are two "
                "levels deep, so a leaf's parent is a group (a code without a dot)",
            )
            continue
        elif not _LEAF_CODE.match(code) or not code.startswith(parent + "."):
            p.add(
                where,
                f"code '{code}' is not under its parent: a leaf of '{parent}' needs "
                f"a code '{parent}.<name>' (lowercase ASCII letters, digits and _)",
            )
            continue
        good[code] = (where, entry)

    named_parents = {e.get("parent_code") for e in entries if isinstance(e, Mapping)}
    for code, (where, entry) in list(good.items()):
        parent = entry.get("parent_code")
        if parent is None:
            if code not in named_parents:
                p.add(where, "group has no categories under it; add at least one leaf")
        elif parent not in first_seen:
            p.add(where, f"parent_code '{parent}' is not defined in this taxonomy")
            del good[code]
        elif parent not in good:  # the parent's own entry is broken and reported
            del good[code]

    # A leaf may come before its group in the file: resolve the group's values on first use.
    resolved: dict[str, _Inherited] = {}
    built: list[Category] = []
    for code, (where, entry) in good.items():
        parent = entry.get("parent_code")
        if parent is None:
            inherited = base
        else:
            if parent not in resolved:
                resolved[parent] = _inherit(p, good[parent][0], good[parent][1], base)
            inherited = resolved[parent]
        own = resolved.get(code) or _inherit(p, where, entry, inherited)
        resolved[code] = own
        built.append(
            Category(
                code=code,
                parent_code=parent,
                name_zh=_text(p, where, entry, "name_zh", required=True, max_length=50) or "",
                name_en=_text(p, where, entry, "name_en", required=True, max_length=100) or "",
                default_urgency=own.default_urgency,
                sensitive=own.sensitive,
                fields=_fields(p, where, entry.get("fields", [])),
                time_limits=own.time_limits,
                dedupe_radius_m=own.dedupe_radius_m,
                dedupe_window_h=own.dedupe_window_h,
                sort_order=_sort_order(p, where, entry),
            )
        )
    return _display_order(built)


def _display_order(categories: list[Category]) -> tuple[Category, ...]:
    def key(c: Category) -> tuple[int, str]:
        return (c.sort_order, c.code)

    ordered: list[Category] = []
    for group in sorted((c for c in categories if c.is_group), key=key):
        ordered.append(group)
        ordered += sorted((c for c in categories if c.parent_code == group.code), key=key)
    return tuple(ordered)


def _inherit(p: _Problems, where: str, entry: Mapping[str, Any], base: _Inherited) -> _Inherited:
    urgency = entry.get("default_urgency", base.default_urgency)
    if urgency not in URGENCIES:
        p.add(where, f"default_urgency {_show(urgency)} is not one of {', '.join(URGENCIES)}")
        urgency = base.default_urgency
    sensitive = entry.get("sensitive", base.sensitive)
    if not isinstance(sensitive, bool):
        p.add(where, f"sensitive must be true or false, not {_show(sensitive)}")
        sensitive = base.sensitive
    limits = base.time_limits
    if "time_limits" in entry:
        limits = _time_limits(p, where, entry["time_limits"]) or base.time_limits
    return _Inherited(
        default_urgency=urgency,
        sensitive=sensitive,
        time_limits=limits,
        dedupe_radius_m=_bounded(
            p, where, entry, "dedupe_radius_m", base.dedupe_radius_m, MAX_DEDUPE_RADIUS_M
        ),
        dedupe_window_h=_bounded(
            p, where, entry, "dedupe_window_h", base.dedupe_window_h, MAX_DEDUPE_WINDOW_H
        ),
    )


def _time_limits(p: _Problems, where: str, raw: object) -> TimeLimits | None:
    where = f"{where} time_limits"
    if not isinstance(raw, Mapping):
        p.add(where, "must be an object with accept_hours and resolve")
        return None
    before = len(p.items)
    _check_keys(p, where, raw, {"accept_hours", "resolve"})
    accept = raw.get("accept_hours")
    resolve = raw.get("resolve")
    for name, value in (("accept_hours", accept), ("resolve", resolve)):
        if not isinstance(value, Mapping) or set(value) != set(URGENCIES):
            p.add(where, f"{name} must be an object with exactly the keys {', '.join(URGENCIES)}")
    if len(p.items) > before:
        return None
    assert isinstance(accept, Mapping) and isinstance(resolve, Mapping)
    per_urgency: dict[str, UrgencyLimits] = {}
    for u in URGENCIES:
        hours = accept[u]
        if not _is_number(hours) or not 0 < hours <= MAX_LIMIT_HOURS:
            p.add(
                where,
                f"accept_hours.{u} must be a number of hours above 0 and at most "
                f"{MAX_LIMIT_HOURS:g}, not {_show(hours)}",
            )
            continue
        r = resolve[u]
        if (
            not isinstance(r, Mapping)
            or set(r) != {"value", "unit"}
            or not _is_number(r["value"])
            or not r["value"] > 0
            or r["unit"] not in DURATION_UNITS
        ):
            p.add(
                where,
                f'resolve.{u} must be {{"value": a number above 0, "unit": one '
                f"of {', '.join(DURATION_UNITS)}}}, not {_show(r)}",
            )
            continue
        per_urgency[u] = UrgencyLimits(float(hours), Duration(float(r["value"]), r["unit"]))
    if len(per_urgency) != len(URGENCIES):
        return None
    for slower, faster in (("normal", "urgent"), ("urgent", "critical")):
        if per_urgency[faster].accept_hours > per_urgency[slower].accept_hours:
            p.add(
                where,
                f"accept_hours.{faster} ({per_urgency[faster].accept_hours:g}) is "
                f"longer than accept_hours.{slower} ({per_urgency[slower].accept_hours:g}); "
                "a more urgent level cannot allow longer",
            )
            return None
    return TimeLimits(per_urgency["normal"], per_urgency["urgent"], per_urgency["critical"])


def _fields(p: _Problems, where: str, raw: object) -> tuple[AttributeField, ...]:
    if not isinstance(raw, list):
        p.add(where, "fields must be a list of field definitions")
        return ()
    known = {
        "name",
        "type",
        "label_zh",
        "label_en",
        "required",
        "choices",
        "choice_labels_zh",
        "min",
        "max",
        "max_length",
    }
    out: list[AttributeField] = []
    names: set[str] = set()
    for j, spec in enumerate(raw):
        at = f"{where} fields[{j}]"
        if not isinstance(spec, Mapping):
            p.add(at, "must be an object")
            continue
        name = spec.get("name")
        if not isinstance(name, str) or not _FIELD_NAME.match(name):
            p.add(
                at,
                f"name {_show(name)} must be lowercase ASCII letters, digits and _, "
                "starting with a letter (at most 40)",
            )
            continue
        at = f"{where} fields[{j}] ({name})"
        if name in names:
            p.add(at, "duplicate field name")
            continue
        names.add(name)
        before = len(p.items)
        _check_keys(p, at, spec, known)
        ftype = spec.get("type")
        if ftype not in FIELD_TYPES:
            p.add(at, f"type {_show(ftype)} is not one of {', '.join(FIELD_TYPES)}")
            continue
        label_zh = _text(p, at, spec, "label_zh", required=True, max_length=100)
        label_en = _text(p, at, spec, "label_en", required=False, max_length=200)
        required = spec.get("required", False)
        if not isinstance(required, bool):
            p.add(at, f"required must be true or false, not {_show(required)}")
        for key, types in (
            ("choices", ("enum",)),
            ("choice_labels_zh", ("enum",)),
            ("min", ("integer", "number")),
            ("max", ("integer", "number")),
            ("max_length", ("string",)),
        ):
            if key in spec and ftype not in types:
                p.add(at, f"{key} is only for {' and '.join(types)} fields, not {ftype}")
        choices, labels = _choices(p, at, spec) if ftype == "enum" else ((), ())
        bounds: list[int | float | None] = []
        for key in ("min", "max"):
            value = spec.get(key)
            whole = ftype == "integer"
            if value is not None and not (_is_whole(value) if whole else _is_number(value)):
                p.add(
                    at,
                    f"{key} must be {'a whole number' if whole else 'a number'}, "
                    f"not {_show(value)}",
                )
                value = None
            bounds.append(value)
        if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
            p.add(at, f"min ({bounds[0]}) is greater than max ({bounds[1]})")
        max_length = spec.get("max_length", DEFAULT_MAX_LENGTH if ftype == "string" else None)
        if max_length is not None and (not _is_whole(max_length) or not 1 <= max_length <= 10_000):
            p.add(at, f"max_length must be a whole number from 1 to 10000, not {_show(max_length)}")
        if len(p.items) > before:
            continue
        out.append(
            AttributeField(
                name=name,
                type=ftype,
                label_zh=label_zh or "",
                required=bool(required),
                label_en=label_en,
                choices=choices,
                choice_labels_zh=labels,
                min=bounds[0],
                max=bounds[1],
                max_length=max_length,
            )
        )
    return tuple(out)


def _choices(
    p: _Problems, at: str, spec: Mapping[str, Any]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    raw = spec.get("choices")
    if (
        not isinstance(raw, list)
        or not raw
        or not all(isinstance(c, str) and c.strip() == c and 0 < len(c) <= 100 for c in raw)
        or len(set(raw)) != len(raw)
    ):
        p.add(
            at,
            "an enum field needs choices: a non-empty list of distinct texts (no "
            "surrounding spaces, at most 100 characters each)",
        )
        return (), ()
    labels = spec.get("choice_labels_zh")
    if labels is None:
        return tuple(raw), ()
    if (
        not isinstance(labels, Mapping)
        or set(labels) != set(raw)
        or not all(isinstance(v, str) and v for v in labels.values())
    ):
        p.add(at, "choice_labels_zh must give one non-empty label for each choice and no others")
        return tuple(raw), ()
    return tuple(raw), tuple((c, labels[c]) for c in raw)


def _check_keys(p: _Problems, where: str, entry: Mapping[Any, Any], known: set[str]) -> None:
    unknown = sorted(str(k) for k in entry if k not in known)
    if unknown:
        p.add(
            where,
            f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(known))}",
        )


def _text(
    p: _Problems,
    where: str,
    entry: Mapping[str, Any],
    key: str,
    *,
    required: bool,
    max_length: int = 1_000,
) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            p.add(where, f"{key} is missing")
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        p.add(
            where,
            f"{key} must be non-empty text of at most {max_length} characters, not {_show(value)}",
        )
        return None
    return value


def _bounded(
    p: _Problems, where: str, entry: Mapping[str, Any], key: str, default: float, top: float
) -> float:
    value = entry.get(key, default)
    if not _is_number(value) or not 0 <= value <= top:
        p.add(where, f"{key} must be a number from 0 to {top:g}, not {_show(value)}")
        return default
    return float(value)


def _sort_order(p: _Problems, where: str, entry: Mapping[str, Any]) -> int:
    value = entry.get("sort_order", 0)
    if not _is_whole(value) or abs(value) >= 2**31:
        p.add(where, f"sort_order must be a whole number, not {_show(value)}")
        return 0
    return int(value)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice in one object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


# --- attributes of a report --------------------------------------------------------------------


def validate_attributes(category: Category, attributes: Mapping[str, object]) -> dict[str, object]:
    """Check a report's ``attributes`` against the category's fields; return them normalised.

    Normalised means: in field order; absent, null and blank optional values left out; text
    stripped; integers as ``int`` (a JSON 3.0 becomes 3); numbers as ``float``; an enum given
    as its Chinese label or in another letter case becomes its choice code. Nothing else is
    coerced: ``"3"`` is not a number and ``1`` is not ``true``.

    Raises :class:`InvalidInput` with ``field="attributes.<name>"`` for the first attribute
    that is unknown, missing though required, of the wrong type, out of range, not among the
    choices or too long.
    """
    if not isinstance(attributes, Mapping):
        raise InvalidInput(
            f"attributes must be an object of name: value pairs, not {_show(attributes)}.",
            field="attributes",
            hint=_takes(category),
        )
    for key in attributes:
        if not isinstance(key, str) or category.attribute(key) is None:
            raise InvalidInput(
                f"Unknown attribute '{key}' for category {category.code} ({category.name_zh}).",
                field=f"attributes.{key}",
                hint=_takes(category),
                category=category.code,
            )
    out: dict[str, object] = {}
    for spec in category.fields:
        value = attributes.get(spec.name)
        if isinstance(value, str) and spec.type in ("string", "enum"):
            value = value.strip() or None
        if value is None:
            if spec.required:
                raise InvalidInput(
                    f"Attribute '{spec.name}' ({spec.label_zh}) is required for category "
                    f"{category.code} ({category.name_zh}).",
                    field=f"attributes.{spec.name}",
                    hint=f"Send {spec.name} as {spec.expected()}.",
                    category=category.code,
                    expected=spec.expected(),
                )
            continue
        out[spec.name] = _check_value(category, spec, value)
    return out


def _check_value(category: Category, spec: AttributeField, value: object) -> object:
    def wrong() -> InvalidInput:
        return InvalidInput(
            f"Attribute '{spec.name}' ({spec.label_zh}) of category {category.code} must be "
            f"{spec.expected()}; got {_show(value)}.",
            field=f"attributes.{spec.name}",
            hint=f"Send {spec.name} as {spec.expected()}.",
            category=category.code,
            expected=spec.expected(),
        )

    if spec.type == "boolean":
        if not isinstance(value, bool):
            raise wrong()
        return value
    if spec.type == "string":
        if not isinstance(value, str):
            raise wrong()
        limit = spec.max_length or DEFAULT_MAX_LENGTH
        if len(value) > limit:
            raise InvalidInput(
                f"Attribute '{spec.name}' ({spec.label_zh}) of category {category.code} is "
                f"{len(value)} characters long; at most {limit} are allowed.",
                field=f"attributes.{spec.name}",
                hint=f"Shorten {spec.name} to {limit} characters.",
                category=category.code,
                expected=spec.expected(),
            )
        return value
    if spec.type == "enum":
        if isinstance(value, str):
            for choice in spec.choices:
                if value in (choice, spec.choice_label(choice)) or value.lower() == choice.lower():
                    return choice
        raise wrong()
    number: int | float
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise wrong()
    if not math.isfinite(value):
        raise wrong()
    if spec.type == "integer":
        if isinstance(value, float) and not value.is_integer():
            raise wrong()
        number = int(value)
    else:
        number = float(value)
    if (spec.min is not None and number < spec.min) or (spec.max is not None and number > spec.max):
        raise wrong()
    return number


def _takes(category: Category) -> str:
    if not category.fields:
        return f"Category {category.code} takes no attributes; send an empty object."
    listed = "; ".join(f"{f.name} ({f.label_zh}): {f.expected()}" for f in category.fields)
    return f"Category {category.code} takes: {listed}."


# --- database ----------------------------------------------------------------------------------


def store_taxonomy(conn: Connection, taxonomy: Taxonomy) -> list[str]:
    """Upsert every category into the ``category`` table and deactivate the ones missing.

    Categories are never deleted (stored events keep their codes); one that the taxonomy no
    longer has gets ``active = false``, and comes back active if a later taxonomy has it
    again. Runs in the caller's transaction, as one statement. Returns the codes deactivated
    now, sorted.
    """
    rows = [{**c.to_dict(), "sort_order": c.sort_order} for c in taxonomy.categories]
    with conn.cursor() as cur:
        cur.execute(query("category_upsert"), {"categories": psycopg2.extras.Json(rows)})
        return sorted(str(code) for (code,) in cur.fetchall())


def read_taxonomy(conn: Connection, *, include_inactive: bool = False) -> Taxonomy:
    """The taxonomy stored in the ``category`` table (empty when none was stored).

    With ``include_inactive``, deactivated categories are included (``active`` False), e.g.
    to name the categories of old events. Rows are checked as a file would be; a table edited
    by hand into an inconsistent state raises :class:`InvalidInput` naming the rows.
    """
    with conn.cursor() as cur:
        cur.execute(query("category_all"), {"include_inactive": include_inactive})
        names = [d[0] for d in cur.description or ()]
        rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if not rows:
        return Taxonomy(())
    active = {r["code"]: r.pop("active") for r in rows}
    p = _Problems("in the category table")
    categories = _parse_categories(p, rows, _BUILT_IN)
    p.raise_if_any()
    return Taxonomy(tuple(replace(c, active=active[c.code]) for c in categories))


# --- small helpers -----------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _plain_number(value: float) -> int | float:
    """3.0 -> 3, so files and API bodies show whole numbers as written."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _show(value: object) -> str:
    """A value as the sender wrote it (JSON), shortened for a message."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
