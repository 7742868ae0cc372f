from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api import create_app
from gridsvc.service import Gridsvc


@pytest.fixture(scope="module")
def client(shared_svc: Gridsvc) -> Iterator[TestClient]:
    """The API over the shared read-only database."""
    with TestClient(create_app(shared_svc.settings, service=shared_svc)) as c:
        yield c


@pytest.fixture
def write_client(svc: Gridsvc) -> Iterator[TestClient]:
    """The API over a fresh database of its own."""
    with TestClient(create_app(svc.settings, service=svc)) as c:
        yield c
