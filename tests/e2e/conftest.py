"""What the browser tests share: Debian's Chromium, started once per test module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from bench.maps import CHROMIUM_ARGS as ARGS  # the bench's flags: one list for both

CHROMIUM = os.environ.get("GRIDSVC_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for one test module (each test opens contexts of its own)."""
    playwright_sync = pytest.importorskip("playwright.sync_api")
    with playwright_sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
