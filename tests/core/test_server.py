"""The supervisor of `gridsvc serve --workers N` (gridsvc.server) with workers that cannot
start: it must give up and say so, not restart them forever. (Served requests, replacing a
killed worker and refusing a taken port: tests/e2e/test_serve.py.)

The workers here are functions of this module (a spawned process imports it by name), and
kept free of heavy imports so that each start is quick."""

from __future__ import annotations

import logging
import sys
import time

import pytest

from gridsvc import server


def _exit_at_once(host: str, port: int) -> None:
    sys.exit(1)


def _app_fails_to_start(host: str, port: int) -> None:
    sys.exit(server.STARTUP_FAILURE)


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "BACKOFF_MAX_S", 0.05)
    # an app built earlier in this process may have made the gridsvc loggers stop there
    monkeypatch.setattr(logging.getLogger("gridsvc"), "propagate", True)


def test_workers_that_keep_ending_at_start_make_the_supervisor_give_up(
    quick: None, caplog: pytest.LogCaptureFixture
) -> None:
    supervisor = server._Supervisor("127.0.0.1", 1, 2, target=_exit_at_once)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="gridsvc.server"):
        assert supervisor.run() == 1
    assert time.monotonic() - started < 60
    restarts = [r for r in caplog.records if "starting another in" in r.getMessage()]
    # each slot may fail QUICK_FAILURES_MAX - 1 times before the one that ends it all
    assert server.QUICK_FAILURES_MAX - 1 <= len(restarts) <= 2 * server.QUICK_FAILURES_MAX
    assert "ended within" in caplog.records[-1].getMessage()
    assert all(s.process is None or s.process.exitcode is not None for s in supervisor.slots)


def test_an_app_that_cannot_start_stops_the_supervisor_at_once(
    quick: None, caplog: pytest.LogCaptureFixture
) -> None:
    supervisor = server._Supervisor("127.0.0.1", 1, 2, target=_app_fails_to_start)
    with caplog.at_level(logging.WARNING, logger="gridsvc.server"):
        assert supervisor.run() == server.STARTUP_FAILURE
    assert not [r for r in caplog.records if "starting another" in r.getMessage()]
    assert "could not start" in caplog.records[-1].getMessage()


def test_addresses_are_written_as_urls_write_them() -> None:
    assert server.address("127.0.0.1", 8000) == "127.0.0.1:8000"
    assert server.address("::1", 8000) == "[::1]:8000"
