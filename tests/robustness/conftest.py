"""The robustness suite: hostile requests, load, faults of the surroundings, who may steer the mock.

The catalogue's size is printed at the end of every run that ran part of it, so the README can state it.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .support import MEASURED, Spawned, spawn


@pytest.fixture(scope="session")
def cli_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Spawned]:
    """``python -m mockserver serve --port 0 --mode stateless``: the CLI's defaults otherwise, in a
    process of its own (its memory is measurable, and it binds what the CLI binds by default)."""
    with spawn(tmp_path_factory.mktemp("cli-server"), "--mode", "stateless") as server:
        assert httpx.get(f"{server.url}/v1/runs/", timeout=10).status_code == 200  # imports done, warm
        yield server
        code, _seconds, stderr = server.stop()
        assert code == 0, stderr
        assert "Traceback" not in stderr, stderr


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    from .catalogue import CASES

    ran = [
        report
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if "robustness/test_catalogue.py" in getattr(report, "nodeid", "") and report.when == "call"
    ]
    if ran:
        terminalreporter.write_line(
            f"robustness catalogue: {len(CASES)} hostile requests, each sent to a stateful strict and a "
            f"stateless lenient server, every 5th also to a letta-oss one ({len(ran)} checks ran)"
        )
    for name, figure in MEASURED.items():
        terminalreporter.write_line(f"robustness measured: {name}: {figure}")
