"""pytest plugin: the ``letta_mock`` fixtures and the ``letta_mock`` marker.

Loaded in every pytest run of an environment where letta-mockserver is installed, so this
module imports only pytest and the standard library; the server is imported inside the
fixtures that need it.

- ``letta_mock``: a running mock (one per configuration per session, on 127.0.0.1 port 0),
  reset before each test. ``.url``, ``.client()``, ``.async_client()``, ``.advance(s)``,
  ``.seed_run(...)``, ``.add_fault(...)``, ``.override(...)`` and the other control methods.
- ``letta_mock_asgi``: the same app served in-process through httpx transports, no socket.
- ``letta_mock_settings``: session-scoped dict of ``Config`` fields; override it in a
  ``conftest.py`` to change the defaults for a whole suite.
- ``@pytest.mark.letta_mock(mode=..., validation=..., clock=..., seed=..., expect_violations=True)``:
  per-test settings, fed to the same ``Config`` the CLI builds.

A test whose requests broke the documented contract fails at teardown with
``mockserver.ContractViolation`` (an ``AssertionError``), unless its marker says
``expect_violations=True``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockserver._violations import ContractViolation

DEFAULTS: dict[str, Any] = {"mode": "stateful", "clock": "manual"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "letta_mock(**settings): settings of the letta_mock fixture for this test (Config fields such as"
        " mode, validation, clock, seed, job_duration); expect_violations=True allows contract violations",
    )


@pytest.fixture(scope="session")
def letta_mock_settings() -> dict[str, Any]:
    """Config fields for every ``letta_mock`` of the session; override in a conftest.py."""
    return {}


def _settings(request: pytest.FixtureRequest, base: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    marker = request.node.get_closest_marker("letta_mock")
    settings = {**DEFAULTS, **base, **(marker.kwargs if marker else {})}
    expect = bool(settings.pop("expect_violations", False))
    return settings, expect


class _Servers:
    """One running server per distinct configuration, for the whole session."""

    def __init__(self) -> None:
        self.running: dict[Any, Any] = {}

    def get(self, settings: dict[str, Any], *, in_process: bool) -> Any:
        from mockserver._config import Config

        config = Config(port=0, **settings)
        key = (config, in_process)
        if key not in self.running:
            if in_process:
                from mockserver._inprocess import InProcessMock

                self.running[key] = InProcessMock(config)
            else:
                from mockserver._server import MockServer

                self.running[key] = MockServer(config).start()
        return self.running[key]

    def close(self) -> None:
        for server in self.running.values():
            stop = getattr(server, "stop", None) or server.close
            stop()
        self.running.clear()


@pytest.fixture(scope="session")
def _letta_mock_servers() -> Iterator[_Servers]:
    servers = _Servers()
    yield servers
    servers.close()


def _use(server: Any, expect_violations: bool) -> Iterator[Any]:
    since = server.reset()
    yield server
    report = server.report(since=since)
    if report["violations"] and not expect_violations:
        raise ContractViolation(report["violations"])


@pytest.fixture
def letta_mock(
    request: pytest.FixtureRequest, letta_mock_settings: dict[str, Any], _letta_mock_servers: _Servers
) -> Iterator[Any]:
    """A running letta-mockserver, reset for this test (``mockserver.MockServer``)."""
    settings, expect = _settings(request, letta_mock_settings)
    yield from _use(_letta_mock_servers.get(settings, in_process=False), expect)


@pytest.fixture
def letta_mock_asgi(
    request: pytest.FixtureRequest, letta_mock_settings: dict[str, Any], _letta_mock_servers: _Servers
) -> Iterator[Any]:
    """The same mock served in-process, without a socket."""
    settings, expect = _settings(request, letta_mock_settings)
    yield from _use(_letta_mock_servers.get(settings, in_process=True), expect)
