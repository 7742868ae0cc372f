"""The app as ``gridsvc serve`` runs it: opening its own service at start-up."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from api import create_app
from tests.conftest import make_settings


def test_start_up_freezes_what_it_built_and_shutdown_releases_it(shared_db_url: str) -> None:
    # a full collection should not walk the grids, locator and taxonomy on every pass: the
    # cause of ~100 ms pauses in /v1/locate's p99
    assert gc.get_freeze_count() == 0
    with TestClient(create_app(make_settings(shared_db_url))) as client:
        assert client.get("/health").status_code == 200
        assert gc.get_freeze_count() > 50_000
        r = client.get("/v1/locate", params={"lon": 118.78, "lat": 32.05})
        assert r.status_code == 401, r.text  # answered after the freeze (no token sent)
    assert gc.get_freeze_count() == 0  # unfrozen at shutdown: collectable again
