from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api import create_app
from gridsvc.access import create_token
from gridsvc.service import Gridsvc


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def client(shared_svc: Gridsvc) -> Iterator[TestClient]:
    """The API over the shared read-only database, as an admin."""
    _, token = create_token(shared_svc.db, role="admin", name="test-admin")
    with TestClient(
        create_app(shared_svc.settings, service=shared_svc), headers=bearer(token)
    ) as c:
        yield c


@pytest.fixture
def write_client(svc: Gridsvc) -> Iterator[TestClient]:
    """The API over a fresh database of its own, as an admin."""
    _, token = create_token(svc.db, role="admin", name="test-admin")
    with TestClient(create_app(svc.settings, service=svc), headers=bearer(token)) as c:
        yield c
