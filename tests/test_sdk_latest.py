"""Runs tests/sdk_latest against the newest letta-client, in a subprocess.

letta-client 1.12.1 (the newest, runs only) cannot share a virtualenv with 1.7.0 (the last with
batches): ``scripts/test`` installs it with ``pip install --no-deps --target .venv/sdk-latest``
and this test puts that directory first on ``PYTHONPATH`` for a nested pytest run.
``LETTA_SDK_LATEST_DIR`` overrides the directory.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # see pyproject's `slow` marker: the fast loop skips it

REPO = Path(__file__).resolve().parent.parent
INNER_SUITE = "tests/sdk_latest"


def sdk_latest_dir() -> Path:
    configured = os.environ.get("LETTA_SDK_LATEST_DIR")
    return Path(configured) if configured else REPO / ".venv" / "sdk-latest"


def test_newest_sdk_suite_passes() -> None:
    target = sdk_latest_dir()
    if not (target / "letta_client").is_dir():
        pytest.fail(
            f"the newest letta-client is not installed in {target}: run scripts/test, which installs it "
            "with `pip install --no-deps --target .venv/sdk-latest letta-client==1.12.1`",
            pytrace=False,
        )
    env = {key: value for key, value in os.environ.items() if key not in ("PYTEST_ADDOPTS", "PYTEST_PLUGINS")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(target), str(REPO), os.environ.get("PYTHONPATH")]))
    env["LETTA_MOCK_INNER_SDK_RUN"] = "1"
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", INNER_SUITE, "-q", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = f"{completed.stdout}\n{completed.stderr}"
    assert completed.returncode == 0, f"the newest-SDK suite failed (exit {completed.returncode}):\n{output}"
    passed = re.search(r"\b(\d+) passed\b", completed.stdout)
    assert passed is not None, f"no passed tests in the newest-SDK run:\n{output}"
    assert int(passed.group(1)) > 0, output
    assert not re.search(r"\b\d+ (failed|errors?)\b", completed.stdout), output
