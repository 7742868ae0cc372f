"""Unknown query parameters are refused (400 naming them) on every /v1 endpoint, and so are
parameters holding NUL characters (PostgreSQL text cannot store them).

A misspelt filter (``catgory=hazard``, ``form=2026-11-01``) would otherwise be ignored and
the caller would get every event or the whole year without noticing; a record system must
say so instead.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from gridsvc.errors import InvalidInput
from gridsvc.messages import Msg

# kept on the route object itself (not by id(): ids are reused once an app is collected,
# and routes are not hashable)
_ATTRIBUTE = "gridsvc_query_names"


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters of an endpoint and of every dependency it uses."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _known(route: APIRoute) -> frozenset[str]:
    names: frozenset[str] | None = getattr(route, _ATTRIBUTE, None)
    if names is None:
        names = frozenset(_query_names(route.dependant))
        setattr(route, _ATTRIBUTE, names)
    return names


async def reject_unknown_query(request: Request) -> None:
    """A router dependency: 400 for a query parameter the endpoint does not take."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    for name, value in [*request.query_params.multi_items(), *request.path_params.items()]:
        if "\x00" in str(value):
            raise InvalidInput("http.param_nul", field=name)
    known = _known(route)
    unknown = sorted({k for k in request.query_params if k not in known})
    if unknown:
        takes: list[str | Msg] = [*sorted(known)] or [Msg("http.takes_nothing")]
        raise InvalidInput("http.unknown_params", field=unknown[0], unknown=unknown, takes=takes)


def _examples(values: dict[str, str]) -> dict[str, Any]:
    return {name: {"summary": name, "value": value} for name, value in values.items()}


# The ends of gridsvc.dates' range and one day beyond each, as documented examples of every
# date parameter: schemathesis sends a parameter's examples first, so the fuzz run always
# tries the edges (a statistic of 0244-11-25 once answered 500).
DAY_EXAMPLES = _examples(
    {
        "earliest": "1900-01-01",
        "latest": "2200-01-01",
        "before the range": "1899-12-31",
        "after the range": "2200-01-02",
        "year 244": "0244-11-25",
    }
)
TIME_EXAMPLES = _examples(
    {
        "earliest": "1900-01-01T00:00:00+08:00",
        "latest": "2200-01-01T23:59:59+08:00",
        "before the range": "1899-12-31T23:59:59+08:00",
        "after the range": "2200-01-02T00:00:00+08:00",
        "year 244": "0244-11-25T00:00:00+08:00",
    }
)
