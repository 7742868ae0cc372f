"""Fuzzing every operation of the API's own OpenAPI document with schemathesis.

Each example is sent with the token of a role drawn by hypothesis (grid worker, dispatcher,
department, analyst, admin) to an app over a database with a few events, and must get no
5xx, a status the document declares, a declared content type and a body that fits its
declared schema (4xx bodies included: they are ``ErrorOut``). Valid and invalid inputs are
both generated (schemathesis' positive and negative modes).

``GRIDSVC_FUZZ_EXAMPLES`` sets the examples per operation (``make fuzz`` runs many more);
``derandomize`` makes a run repeatable, so a failure in CI is a failure on a laptop too
(``GRIDSVC_FUZZ_RANDOM=1`` draws new examples instead, to explore).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import create_app
from gridsvc.access import create_token
from gridsvc.service import Gridsvc
from gridsvc.settings import SecuritySettings
from tests.api.conftest import bearer
from tests.conftest import make_settings

EXAMPLES = int(os.environ.get("GRIDSVC_FUZZ_EXAMPLES", "200"))
# statistics, maps, imports and OGC items (statistics collections) cost 0.1–2 s per request:
# an eighth as many examples
HEAVY_EXAMPLES = max(3, EXAMPLES // 8)
HEAVY = r"^/(v1/(stats|maps|imports)|ogc/collections/\{collection_id\}/items$)"

ROLES = {
    "grid_worker": dict(role="grid_worker", name="fz-gw", scope_code="320102002001"),
    "dispatcher": dict(role="dispatcher", name="fz-d", scope_code="320102"),
    "department": dict(role="department", name="fz-dep", department_code="housing"),
    "analyst": dict(role="analyst", name="fz-an"),
    "admin": dict(role="admin", name="fz-root"),
}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

# The document does not depend on the database: build it from an app that never opens one.
schema = schemathesis.openapi.from_dict(
    create_app(make_settings("postgresql://fuzz.invalid/unused")).openapi()
)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
    deterministic=True,
    with_security_parameters=False,
)


@dataclass
class Fuzz:
    app: FastAPI
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
def fuzz(module_svc: Gridsvc) -> Iterator[Fuzz]:
    svc = module_svc
    tokens = {k: create_token(svc.db, **v)[1] for k, v in ROLES.items()}
    # the fuzzer sends many requests without a token (schemathesis' auth checks): no 429s
    app_settings = svc.settings.model_copy(
        update={"security": SecuritySettings(auth_failures_per_min=0)}
    )
    app = create_app(app_settings, service=svc)
    headers = {k: bearer(v) for k, v in tokens.items()}
    with TestClient(app, headers=headers["admin"]) as client:
        for i, (lon, lat) in enumerate([(118.7840, 32.0410), (118.7300, 32.0900)]):
            r = client.post(
                "/v1/events",
                json={
                    "client_event_id": f"fuzz-{i}",
                    "category": "hazard.fire",
                    "title": "楼道堆放杂物",
                    "occurred_at": "2026-11-20T09:30:00+08:00",
                    "lon": lon,
                    "lat": lat,
                },
            )
            assert r.status_code == 201, r.text
        client.post("/v1/events/1/actions", json={"action": "accept"})
        yield Fuzz(app, headers)


def _send(case: Any, fuzz: Fuzz, role: str) -> None:
    names = {p.name for p in case.operation.query}
    if "permutations" in names:
        # up to 99,999 permutations are valid but take seconds each (the maps' default of 999 too);
        # the count itself is tested in tests/core/test_hotspots.py
        query = case.query if isinstance(case.query, dict) else {}
        perms = query.get("permutations")
        if perms is None or (isinstance(perms, int) and perms > 999):
            query["permutations"] = 999
            case.query = query
    response = case.call(app=fuzz.app, headers=fuzz.headers[role], timeout=120)
    case.validate_response(response, checks=CHECKS)


_SETTINGS = dict(
    deadline=None,
    # repeatable by default; GRIDSVC_FUZZ_RANDOM=1 explores new examples on every run
    derandomize=os.environ.get("GRIDSVC_FUZZ_RANDOM") != "1",
    database=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.generate, Phase.shrink],
)


@schema.exclude(path_regex=HEAVY).parametrize()
@schema.given(role=st.sampled_from(sorted(ROLES)))
@settings(max_examples=EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
def test_fuzz_operation(case: Any, role: str, fuzz: Fuzz) -> None:
    _send(case, fuzz, role)


@schema.include(path_regex=HEAVY).parametrize()
@schema.given(role=st.sampled_from(sorted(ROLES)))
@settings(max_examples=HEAVY_EXAMPLES, **_SETTINGS)  # type: ignore[arg-type]
def test_fuzz_heavy_operation(case: Any, role: str, fuzz: Fuzz) -> None:
    _send(case, fuzz, role)


@schema.parametrize()
@settings(**{**_SETTINGS, "phases": [Phase.explicit]})  # type: ignore[arg-type]
def test_fuzz_documented_examples(case: Any, fuzz: Fuzz) -> None:
    """The examples the document gives (the ends of the date range and a day beyond each,
    :data:`api.params.DAY_EXAMPLES`), sent as an admin, who may call every operation."""
    _send(case, fuzz, "admin")
