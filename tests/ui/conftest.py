"""Fixtures of the dashboard tests: a manual-clock mock of their own, and a fresh chromium per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from mockserver import MockServer

from .support import CHROMIUM, FLAGS, WAIT_MS, in_ci, missing_browser, require_browser, user_data_dir

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Playwright

ServerFactory = Callable[..., MockServer]


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    require_browser(missing_browser(), ci=in_ci())
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)  # the page polls once a second, on a machine that may be busy
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def context(playwright_driver: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A browser with a profile of its own (no cookie or cache from another test)."""
    launched = playwright_driver.chromium.launch_persistent_context(
        user_data_dir(tmp_path),
        executable_path=CHROMIUM,
        headless=True,
        args=FLAGS,
        viewport={"width": 1360, "height": 860},
        accept_downloads=True,
    )
    launched.set_default_timeout(WAIT_MS)
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    """The browser's page; a script error on it fails the test (at teardown, if nothing else did)."""
    found = context.pages[0] if context.pages else context.new_page()
    errors: list[str] = []
    found.on("pageerror", lambda error: errors.append(str(error)))
    yield found
    assert errors == [], errors


@pytest.fixture(scope="module")
def ui_server(server_factory: ServerFactory) -> MockServer:
    """Stateful, manual clock; a seed of its own so no other folder's tests share (and reset) it."""
    return server_factory(mode="stateful", clock="manual", seed=1717)


@pytest.fixture
def mock(ui_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=ui_server.url, timeout=10) as http:
        assert http.post("/_mock/reset").status_code == 200
        yield http
