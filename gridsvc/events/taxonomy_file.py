"""Reading a taxonomy file (JSON or TOML) into a :class:`~gridsvc.events.taxonomy.Taxonomy`.

The file format is described in :mod:`gridsvc.events.taxonomy`; the shipped default is
``gridsvc/data/categories.json`` (:func:`default_taxonomy`). Files are validated strictly
(unknown keys are errors, so a typo never passes silently); every problem is reported at once
in one :class:`InvalidInput`, each naming its entry. Values a leaf leaves out are resolved
here (from its group, then ``defaults``, then the built-in values), so a parsed
:class:`~gridsvc.events.taxonomy.Category` carries them all.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from os import PathLike
from pathlib import Path
from typing import Any, NoReturn

from gridsvc.errors import InvalidInput
from gridsvc.events.taxonomy import (
    DEFAULT_DEDUPE_RADIUS_M,
    DEFAULT_DEDUPE_WINDOW_H,
    DEFAULT_MAX_LENGTH,
    DEFAULT_TIME_LIMITS,
    DURATION_UNITS,
    FIELD_TYPES,
    MAX_DEDUPE_RADIUS_M,
    MAX_DEDUPE_WINDOW_H,
    MAX_LIMIT_HOURS,
    AttributeField,
    Category,
    Duration,
    Taxonomy,
    TimeLimits,
    UrgencyLimits,
    shown,
)
from gridsvc.vocabulary import URGENCIES, Urgency

_GROUP_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_LEAF_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}\.[a-z][a-z0-9_]{0,39}$")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def load_taxonomy_file(path: str | PathLike[str]) -> Taxonomy:
    """Read and validate a taxonomy file: JSON, or TOML when the name ends in ``.toml``."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput("taxonomy.unreadable", name=path.name, error=exc) from exc
    try:
        if path.suffix.lower() == ".toml":
            document: object = tomllib.loads(text)
        else:
            document = json.loads(
                text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant
            )
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInput(
            "taxonomy.syntax",
            name=path.name,
            kind="TOML" if path.suffix.lower() == ".toml" else "JSON",
            error=exc,
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


def parse_category_rows(rows: list[Any], *, origin: str) -> tuple[Category, ...]:
    """Validate category entries on their own, as a file's ``categories`` with no
    ``defaults`` (e.g. the rows of the ``category`` table); ``origin`` names them in error
    messages. Returns them in display order."""
    p = _Problems(origin)
    categories = _parse_categories(p, rows, _BUILT_IN)
    p.raise_if_any()
    return categories


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
        # the problems name entries and keys of the file, for the admin who wrote it: in
        # English, as the file's keys are
        raise InvalidInput(
            "taxonomy.problem" if len(self.items) == 1 else "taxonomy.problems",
            origin=self.origin,
            count=len(self.items),
            problems=list(self.items),
            details={"problems": list(self.items)},
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
        p.add(where, f"default_urgency {shown(urgency)} is not one of {', '.join(URGENCIES)}")
        urgency = base.default_urgency
    sensitive = entry.get("sensitive", base.sensitive)
    if not isinstance(sensitive, bool):
        p.add(where, f"sensitive must be true or false, not {shown(sensitive)}")
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
                f"{MAX_LIMIT_HOURS:g}, not {shown(hours)}",
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
                f"of {', '.join(DURATION_UNITS)}}}, not {shown(r)}",
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
                f"name {shown(name)} must be lowercase ASCII letters, digits and _, "
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
            p.add(at, f"type {shown(ftype)} is not one of {', '.join(FIELD_TYPES)}")
            continue
        label_zh = _text(p, at, spec, "label_zh", required=True, max_length=100)
        label_en = _text(p, at, spec, "label_en", required=False, max_length=200)
        required = spec.get("required", False)
        if not isinstance(required, bool):
            p.add(at, f"required must be true or false, not {shown(required)}")
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
                    f"not {shown(value)}",
                )
                value = None
            bounds.append(value)
        if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
            p.add(at, f"min ({bounds[0]}) is greater than max ({bounds[1]})")
        max_length = spec.get("max_length", DEFAULT_MAX_LENGTH if ftype == "string" else None)
        if max_length is not None and (not _is_whole(max_length) or not 1 <= max_length <= 10_000):
            p.add(at, f"max_length must be a whole number from 1 to 10000, not {shown(max_length)}")
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
            f"{key} must be non-empty text of at most {max_length} characters, not {shown(value)}",
        )
        return None
    return value


def _bounded(
    p: _Problems, where: str, entry: Mapping[str, Any], key: str, default: float, top: float
) -> float:
    value = entry.get(key, default)
    if not _is_number(value) or not 0 <= value <= top:
        p.add(where, f"{key} must be a number from 0 to {top:g}, not {shown(value)}")
        return default
    return float(value)


def _sort_order(p: _Problems, where: str, entry: Mapping[str, Any]) -> int:
    value = entry.get("sort_order", 0)
    if not _is_whole(value) or abs(value) >= 2**31:
        p.add(where, f"sort_order must be a whole number, not {shown(value)}")
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


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
