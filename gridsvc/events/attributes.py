"""Checking the attributes of an event report against its category's ``fields``.

The field types and their limits are described in :mod:`gridsvc.events.taxonomy`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from gridsvc.errors import InvalidInput
from gridsvc.events.taxonomy import DEFAULT_MAX_LENGTH, AttributeField, Category, shown
from gridsvc.messages import Msg


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
            "attr.not_object", field="attributes", hint=_takes(category), value=shown(attributes)
        )
    for key in attributes:
        if not isinstance(key, str) or category.attribute(key) is None:
            raise InvalidInput(
                "attr.unknown",
                field=f"attributes.{key}",
                hint=_takes(category),
                key=key,
                code=category.code,
                name_zh=category.name_zh,
                details={"category": category.code},
            )
    out: dict[str, object] = {}
    for spec in category.fields:
        value = attributes.get(spec.name)
        if isinstance(value, str) and spec.type in ("string", "enum"):
            value = value.strip() or None
        if value is None:
            if spec.required:
                raise InvalidInput(
                    "attr.required",
                    field=f"attributes.{spec.name}",
                    **_about(category, spec),
                    name_zh=category.name_zh,
                    details={"category": category.code, "expected": spec.expected()},
                )
            continue
        out[spec.name] = _check_value(category, spec, value)
    return out


def _check_value(category: Category, spec: AttributeField, value: object) -> object:
    def wrong() -> InvalidInput:
        return InvalidInput(
            "attr.wrong",
            field=f"attributes.{spec.name}",
            **_about(category, spec),
            value=shown(value),
            details={"category": category.code, "expected": spec.expected()},
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
                "attr.too_long",
                field=f"attributes.{spec.name}",
                **_about(category, spec),
                length=len(value),
                limit=limit,
                details={"category": category.code, "expected": spec.expected()},
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


def _about(category: Category, spec: AttributeField) -> dict[str, Any]:
    """The placeholders every message about an attribute has."""
    return {
        "code": category.code,
        "name": spec.name,
        "label_zh": spec.label_zh,
        "expected": spec.expected_msg(),
    }


def _takes(category: Category) -> Msg:
    if not category.fields:
        return Msg("attr.takes_nothing", {"code": category.code})
    listed = [
        Msg("attr.field", {"name": f.name, "label_zh": f.label_zh, "expected": f.expected_msg()})
        for f in category.fields
    ]
    return Msg("attr.takes", {"code": category.code, "listed": listed})
