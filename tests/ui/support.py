"""What the dashboard tests share: Debian's chromium driven by Playwright, launched the same way each time.

Nothing is downloaded at test time: Playwright drives the system browser (``scripts/_venv.sh`` installs
it with apt-get for the test extra). Without it the browser tests skip on a developer's machine and
fail under ``CI=true``, where a skipped browser test would read as a passed one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("LETTA_MOCK_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 10_000
"""How long an expectation waits for the page to catch up (it polls the mock once a second)."""
AGENT_A = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
AGENT_B = "agent-11111111-2222-4333-8444-555566667777"


def missing_browser(chromium: str = CHROMIUM) -> str | None:
    """Why the browser tests cannot run here, or ``None`` when they can."""
    if shutil.which(chromium) is None:
        return f"no chromium at {chromium} (scripts/_venv.sh test installs Debian's chromium with apt-get)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (the test extra pins it)"
    return None


def require_browser(reason: str | None, *, ci: bool) -> None:
    """Skip without a browser, except under CI, where the missing browser fails the test."""
    if reason is None:
        return
    if ci:
        pytest.fail(f"CI=true and the dashboard's browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def user_data_dir(tmp_path: Path) -> Path:
    found = tmp_path / "chromium-profile"
    found.mkdir()
    return found
