"""Checking the attributes of an event report against its category's ``fields``.

The field types and their limits are described in :mod:`gridsvc.events.taxonomy`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from gridsvc.errors import InvalidInput
from gridsvc.events.taxonomy import DEFAULT_MAX_LENGTH, AttributeField, Category, shown


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
            f"attributes must be an object of name: value pairs, not {shown(attributes)}.",
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
            f"{spec.expected()}; got {shown(value)}.",
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
