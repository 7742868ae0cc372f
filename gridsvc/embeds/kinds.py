"""The kinds of map an admin can publish, and the parameters each takes.

Parameters use the names of the ``/v1/maps`` query parameters: the filter (``category``,
``status``, ``urgency``, ``source`` — a comma-separated string or a list —, ``from``, ``to``
as Beijing days ``YYYY-MM-DD``, ``overdue``) plus the kind's options. An unknown name is an
error rather than ignored: a typo must not publish a different map than the one meant.

A new kind is one more :class:`EmbedKind` in :data:`KINDS`: its options with defaults, an
optional check, and a renderer that must suppress counts below ``min_count``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from gridsvc.errors import InvalidInput
from gridsvc.maps import choropleth_html, heatmap_html
from gridsvc.messages import Msg
from gridsvc.service import Gridsvc
from gridsvc.stats import StatsFilter

Option = str | int | float
Renderer = Callable[[Gridsvc, StatsFilter, Mapping[str, Option], int], str]

MIN_HEAT_CELL_M: Final = 500.0
"""Heat cells of public embeds are at least this wide: finer cells would place events near
a building even with small cells dropped."""

# the query parameter names of the filter → StatsFilter fields
_FILTER_FIELDS: Final = {
    "category": "categories",
    "status": "status",
    "urgency": "urgency",
    "source": "source",
    "from": "date_from",
    "to": "date_to",
    "overdue": "overdue",
}


def _no_check(_options: Mapping[str, Option]) -> None:
    return None


@dataclass(frozen=True)
class EmbedKind:
    """A publishable map: option defaults (their types are the options' types), a check of
    the options beyond their types, and the renderer ``(svc, filter, options, min_count)``."""

    name: str
    defaults: Mapping[str, Option]
    render: Renderer
    check: Callable[[Mapping[str, Option]], None] = field(default=_no_check)


def _render_choropleth(
    svc: Gridsvc, flt: StatsFilter, options: Mapping[str, Option], min_count: int
) -> str:
    return choropleth_html(
        svc,
        str(options["level"]),
        flt,
        value=str(options["value"]),
        scheme=str(options["scheme"]),
        k=int(options["k"]),
        min_count=min_count,
        tiles="none",  # offline, whatever base layer the server's own pages use
    )


def _render_heatmap(
    svc: Gridsvc, flt: StatsFilter, options: Mapping[str, Option], min_count: int
) -> str:
    return heatmap_html(
        svc, flt, cell_m=float(options["cell_m"]), min_count=min_count, tiles="none"
    )


def _check_heatmap(options: Mapping[str, Option]) -> None:
    if float(options["cell_m"]) < MIN_HEAT_CELL_M:
        raise InvalidInput(
            "embed.heat_cells",
            field="cell_m",
            minimum=MIN_HEAT_CELL_M,
            value=float(options["cell_m"]),
        )


KINDS: Final[dict[str, EmbedKind]] = {
    kind.name: kind
    for kind in (
        EmbedKind(
            "choropleth",
            {"level": "community", "value": "n", "scheme": "quantiles", "k": 5},
            _render_choropleth,
        ),
        EmbedKind("heatmap", {"cell_m": MIN_HEAT_CELL_M}, _render_heatmap, _check_heatmap),
    )
}


def embed_kind(name: str) -> EmbedKind:
    kind = KINDS.get(name)
    if kind is None:
        raise InvalidInput("common.unknown_choice", field="kind", value=name, choices=list(KINDS))
    return kind


_TYPES: Final = {str: "embed.type_str", int: "embed.type_int", float: "embed.type_float"}


def _option(name: str, value: Any, default: Option) -> Option:
    wrong = InvalidInput(
        "embed.option_type",
        field=name,
        kind=Msg(_TYPES[type(default)]),
        value=repr(value),
    )
    if isinstance(value, bool):
        raise wrong
    if isinstance(default, str):
        if not isinstance(value, str):
            raise wrong
        return value
    if isinstance(default, int):
        if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
            return int(value)
        if not isinstance(value, int):
            raise wrong
        return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise wrong from None
    if not math.isfinite(number):
        raise wrong
    return number


def _filter_value(name: str, value: Any) -> Any:
    if name in ("from", "to"):
        if not isinstance(value, str):
            raise InvalidInput("embed.day", field=name, value=repr(value))
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise InvalidInput("embed.day", field=name, value=repr(value)) from None
    if name == "overdue":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise InvalidInput("embed.overdue", field=name, value=repr(value))
        return value
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip()) or None
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InvalidInput("embed.codes", field=name, value=repr(value))


def parse_params(
    kind: EmbedKind, params: Mapping[str, Any]
) -> tuple[StatsFilter, dict[str, Option]]:
    """The filter and the options (defaults filled in) that ``params`` give for ``kind``."""
    for name, value in params.items():
        # PostgreSQL text cannot hold NUL: refuse it here rather than fail in the database
        if "\x00" in str(value):
            raise InvalidInput("embed.param_nul", field=str(name))
    allowed = [*_FILTER_FIELDS, *kind.defaults]
    unknown = [name for name in params if name not in allowed]
    if unknown:
        raise InvalidInput(
            "embed.unknown_params",
            field=str(unknown[0]),
            kind=kind.name,
            unknown=unknown,
            allowed=allowed,
        )
    flt = StatsFilter(
        **{
            _FILTER_FIELDS[name]: _filter_value(name, value)
            for name, value in params.items()
            if name in _FILTER_FIELDS and value is not None
        }
    )
    options = {
        name: _option(name, params[name], default) if params.get(name) is not None else default
        for name, default in kind.defaults.items()
    }
    kind.check(options)
    return flt, options


def canonical_params(flt: StatsFilter, options: Mapping[str, Option]) -> dict[str, Any]:
    """``params`` as stored and listed: the same names, lists for codes, ISO days, every
    option (defaults included)."""
    names = {field_name: name for name, field_name in _FILTER_FIELDS.items()}
    return {**{names[k]: v for k, v in flt.describe().items()}, **options}
