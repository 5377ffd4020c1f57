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
- ``@pytest.mark.letta_mock(mode=..., validation=..., clock=..., seed=..., profile=..., quirks=[...],
  expect_violations=True, timeout=...)``: per-test settings, fed to the same ``Config`` the CLI builds.
- ``--letta-mock-profile NAME``: the profile of every mock a marker does not set (docs/profiles.md).
- ``--letta-mock-record DIR`` (or the marker's ``record=DIR``): each test's exchanges with its mocks,
  credentials redacted, in ``DIR/<test node id, sanitised>.har`` (docs/recording.md).
- ``letta_mock_timeout`` (ini option, seconds, default 60; 0 turns it off): a watchdog fails a
  test using either fixture that runs longer, with a message naming the mock and its last request,
  instead of hanging the run (an override that makes auto-paging loop, a stream waiting for a
  manual clock). The marker's ``timeout=`` wins for one test.

A test whose requests broke the documented contract fails at teardown with
``mockserver.ContractViolation`` (an ``AssertionError``), unless its marker says
``expect_violations=True``. A failing test that used either fixture gets a section in its
report listing its requests to the mock, their violations and the callbacks fired
(``--letta-mock-report=full`` adds bodies, ``off`` leaves it out). Under pytest-xdist each
worker is its own session, so it starts its own mocks. docs/python-api.md is the reference.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterator
from types import FrameType
from typing import Any

import pytest

from mockserver._contract.violations import ContractViolation

DEFAULTS: dict[str, Any] = {"mode": "stateful", "clock": "manual"}
TIMEOUT_OPTION = "letta_mock_timeout"
DEFAULT_TIMEOUT = 60.0
"""Seconds; far above what a test against a local mock needs, far below a CI job's own limit."""
REPORT_OPTION = "--letta-mock-report"
REPORT_CHOICES = ("short", "full", "off")
PROFILE_OPTION = "--letta-mock-profile"
RECORD_OPTION = "--letta-mock-record"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("letta_mock", "letta-mockserver").addoption(
        REPORT_OPTION,
        choices=REPORT_CHOICES,
        default="short",
        help="what a failing test that used letta_mock or letta_mock_asgi shows of its requests to the mock:"
        " short (method, path, status, duration, violations, callbacks; the default), full (also bodies),"
        " off",
    )
    parser.getgroup("letta_mock").addoption(
        PROFILE_OPTION,
        default=None,
        metavar="NAME",
        help="answer every letta_mock as this profile (contract, letta-oss: the real server's quirks;"
        " docs/profiles.md) unless a test's marker names one",
    )
    parser.getgroup("letta_mock").addoption(
        RECORD_OPTION,
        default=None,
        metavar="DIR",
        help="write each test's exchanges with letta_mock or letta_mock_asgi, credentials redacted, to"
        " DIR/<test node id>.har (HAR 1.2; docs/recording.md); a marker's record=DIR wins",
    )
    parser.addini(
        TIMEOUT_OPTION,
        "seconds a test using letta_mock or letta_mock_asgi may run before it fails (0: no limit);"
        " @pytest.mark.letta_mock(timeout=...) wins for one test",
        default=str(DEFAULT_TIMEOUT),
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "letta_mock(**settings): settings of the letta_mock fixture for this test (Config fields such as"
        " mode, validation, clock, seed, job_duration, profile, quirks, no_quirks);"
        " expect_violations=True allows contract violations; record=DIR writes the test's exchanges to"
        " DIR/<node id>.har;"
        f" timeout=seconds replaces the {TIMEOUT_OPTION} ini option (0: no limit)",
    )
    try:
        _seconds(config.getini(TIMEOUT_OPTION), f"the {TIMEOUT_OPTION} ini option")
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    record = config.getoption(RECORD_OPTION)
    if record is not None and (not record.strip() or os.path.isfile(record)):
        raise pytest.UsageError(
            f"{RECORD_OPTION} {record}: must be a directory (created if missing), not a file"
        )
    profile = config.getoption(PROFILE_OPTION)
    if profile is not None:
        from mockserver._contract.quirks import check_profile  # only when asked: costs others nothing

        try:
            check_profile(profile)
        except ValueError as exc:
            raise pytest.UsageError(f"{PROFILE_OPTION} {profile}: {exc}") from None


def _seconds(value: object, where: str) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = -1.0
    if isinstance(value, bool) or not 0 <= seconds < float("inf"):
        raise ValueError(f"{where} must be a number of seconds >= 0 (0: no limit), not {value!r}")
    return seconds


@pytest.fixture(scope="session")
def letta_mock_settings() -> dict[str, Any]:
    """Config fields for every ``letta_mock`` of the session; override in a conftest.py."""
    return {}


class _Settings:
    def __init__(self, request: pytest.FixtureRequest, base: dict[str, Any]) -> None:
        marker = request.node.get_closest_marker("letta_mock")
        profile = request.config.getoption(PROFILE_OPTION)
        chosen = {"profile": profile} if profile else {}
        settings = {**DEFAULTS, **base, **chosen, **(marker.kwargs if marker else {})}
        if "port" in settings:
            # A fixed port would collide between pytest-xdist workers and between sessions on one machine.
            raise ValueError(
                f"letta_mock settings: port={settings['port']!r} is not allowed: each session (each"
                " pytest-xdist worker) starts its mocks on a free port; for a fixed port run"
                " mockserver.MockServer(port=...) in a fixture of your own"
            )
        self.expect_violations = bool(settings.pop("expect_violations", False))
        # Per test, not per server: the session's server is shared, its recorder swapped test by test.
        self.record = settings.pop("record", None) or request.config.getoption(RECORD_OPTION)
        if "timeout" in settings:
            self.timeout = _seconds(settings.pop("timeout"), "@pytest.mark.letta_mock(timeout=...)")
        else:
            self.timeout = _seconds(request.config.getini(TIMEOUT_OPTION), f"the {TIMEOUT_OPTION} ini option")
        self.config = settings
        self.test = request.node.nodeid


class _Watchdog:
    """Fails the test running in this thread after ``seconds``, with ``describe()`` as the message.

    In the main thread it is a ``SIGALRM`` timer: it interrupts blocking waits too. An alarm
    already set to ring sooner (pytest-timeout's signal method) is left alone; one due later is
    put back, less the time spent, when this one stops. Elsewhere (another thread, Windows) a
    timer thread raises the failure in this thread at its next Python instruction.
    """

    def __init__(self, seconds: float, describe: Callable[[], str]) -> None:
        self._seconds = seconds
        self._describe = describe
        self._stop: Callable[[], None] = lambda: None
        if seconds <= 0:
            return
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
            self._arm_alarm()
        else:
            self._arm_thread()

    def _arm_alarm(self) -> None:
        before, interval = signal.getitimer(signal.ITIMER_REAL)
        if before and before <= self._seconds:
            return

        def ring(_signum: int, _frame: FrameType | None) -> None:
            pytest.fail(self._describe(), pytrace=True)

        started = time.monotonic()
        previous = signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, self._seconds)

        def stop() -> None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            if before:
                left = max(before - (time.monotonic() - started), 0.001)
                signal.setitimer(signal.ITIMER_REAL, left, interval)

        self._stop = stop

    def _arm_thread(self) -> None:
        target = threading.get_ident()
        lock = threading.Lock()
        stopped = False

        def ring() -> None:
            import ctypes

            message = self._describe()

            class LettaMockTimeout(pytest.fail.Exception):  # type: ignore[name-defined,misc]
                def __init__(self) -> None:
                    super().__init__(message, pytrace=True)

            with lock:
                if not stopped:
                    ctypes.pythonapi.PyThreadState_SetAsyncExc(
                        ctypes.c_ulong(target), ctypes.py_object(LettaMockTimeout)
                    )

        timer = threading.Timer(self._seconds, ring)
        timer.daemon = True
        timer.name = "letta-mock-watchdog"
        timer.start()

        def stop() -> None:
            nonlocal stopped
            with lock:
                stopped = True
            timer.cancel()

        self._stop = stop

    def stop(self) -> None:
        self._stop()
        self._stop = lambda: None


def _describe(server: Any, fixture: str, settings: _Settings, since: int) -> Callable[[], str]:
    def describe() -> str:
        where = f"{fixture} at {server.url}"
        try:  # the journal, read directly: a request to the mock could wait on the very thing that hangs
            journal = server._parts().journal
            count = journal.last_seq - since
            last = journal.entries[-1] if count else None
        except Exception:  # a message must come out whatever state the mock is in
            count, last = -1, None
        if last is not None:
            label = f" ({last.operation_id})" if last.operation_id else ""
            activity = (
                f"; it answered {count} request(s) in this test, the last {last.method} {last.path}{label}"
            )
            activity += f" with {last.status}"
        elif count == 0:
            activity = "; it answered no request in this test"
        else:
            activity = ""
        return (
            f"{settings.test} did not finish within {settings.timeout:g} s ({TIMEOUT_OPTION}), using the"
            f" letta-mockserver {where}{activity}. Usual causes: an override of a list operation that"
            " never ends its pages under auto-paging, a run stream or wait_for() on a manual clock that"
            " nobody advances. Raise the limit with @pytest.mark.letta_mock(timeout=...) or the"
            f" {TIMEOUT_OPTION} ini option (0: no limit)."
        )

    return describe


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
                from mockserver._running.inprocess import InProcessMock

                self.running[key] = InProcessMock(config)
            else:
                from mockserver._running.server import MockServer

                self.running[key] = MockServer(config).start()
        return self.running[key]

    def close(self) -> None:
        """Stop every server; one that fails to stop does not keep the others running."""
        servers = list(self.running.values())
        self.running.clear()
        failures: list[Exception] = []
        for server in servers:
            try:
                (getattr(server, "stop", None) or server.close)()
            except Exception as exc:
                failures.append(exc)
        if failures:
            raise failures[0]


@pytest.fixture(scope="session")
def _letta_mock_servers() -> Iterator[_Servers]:
    servers = _Servers()
    yield servers
    servers.close()


class _Used:
    """A mock one test used: where its requests start in the journal, and where they end once it is over.

    The journal is read only if the test fails (:func:`pytest_runtest_makereport`); what the next
    test's reset would wipe (the last sequence number, the callback attempts, usually none) is noted
    when the fixture ends.
    """

    def __init__(self, server: Any, fixture: str, since: int) -> None:
        self.fixture = fixture
        self.url: str = server.url
        self.parts = server._parts()  # held: the session's last teardown stops the server first
        self.since = since
        self.until: int | None = None
        self.callbacks: list[Any] | None = None

    def end(self) -> None:
        self.until = self.parts.journal.last_seq
        if self.parts.callbacks is not None:
            self.callbacks = list(self.parts.callbacks.journal)

    def section(self, full: bool) -> tuple[str, str]:
        from mockserver._running.traffic import read, render

        traffic = read(self.parts, self.since, self.until)
        if self.callbacks is not None:
            traffic.callbacks = self.callbacks
        return f"{self.fixture} traffic", render(traffic, self.url, full=full)


_USED = pytest.StashKey[list[_Used]]()
_REPORTED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    used = item.stash.get(_USED, [])
    # One section per failing test: a test that failed, then broke the contract too, shows it once.
    if used and report.failed and not item.stash.get(_REPORTED, False):
        mode = item.config.getoption(REPORT_OPTION, "short")
        item.stash[_REPORTED] = True
        for one in used if mode != "off" else []:
            try:
                report.sections.append(one.section(full=mode == "full"))
            except Exception as exc:  # the test's own failure must reach the report whatever happens here
                report.sections.append((f"{one.fixture} traffic", f"not available: {exc!r}"))
    if call.when == "teardown":  # a rerun of the item (pytest-rerunfailures) starts afresh
        if _USED in item.stash:
            del item.stash[_USED]
        if _REPORTED in item.stash:
            del item.stash[_REPORTED]
    return report


def _use(server: Any, fixture: str, settings: _Settings, node: pytest.Item | None = None) -> Iterator[Any]:
    """Reset ``server`` for the test, watch it, and check its contract report after; ``node``: the test,
    whose report shows this mock's traffic if it fails."""
    since = server.reset()
    used = _Used(server, fixture, since)
    if node is not None:
        node.stash.setdefault(_USED, []).append(used)
    recorder = _recorder(server, settings) if getattr(settings, "record", None) else None
    watchdog = _Watchdog(settings.timeout, _describe(server, fixture, settings, since))
    try:
        yield server
    finally:
        watchdog.stop()
        used.end()
        if recorder is not None:
            server._parts().api.taps.recorder = None
            recorder.close()
    report = server.report(since=since)
    if report["violations"] and not settings.expect_violations:
        raise ContractViolation(report["violations"])


def _recorder(server: Any, settings: _Settings) -> Any:
    """This test's recorder, put in place of whatever ``server`` recorded before."""
    from pathlib import Path

    from mockserver._recording.recorder import Recorder, file_for_test

    recorder = Recorder(file_for_test(Path(settings.record), settings.test), base_url=server.url)
    server._parts().api.taps.recorder = recorder
    return recorder


@pytest.fixture
def letta_mock(
    request: pytest.FixtureRequest, letta_mock_settings: dict[str, Any], _letta_mock_servers: _Servers
) -> Iterator[Any]:
    """A running letta-mockserver, reset for this test (``mockserver.MockServer``)."""
    settings = _Settings(request, letta_mock_settings)
    server = _letta_mock_servers.get(settings.config, in_process=False)
    yield from _use(server, "letta_mock", settings, request.node)


@pytest.fixture
def letta_mock_asgi(
    request: pytest.FixtureRequest, letta_mock_settings: dict[str, Any], _letta_mock_servers: _Servers
) -> Iterator[Any]:
    """The same mock served in-process, without a socket (``mockserver._running.inprocess.InProcessMock``)."""
    settings = _Settings(request, letta_mock_settings)
    server = _letta_mock_servers.get(settings.config, in_process=True)
    yield from _use(server, "letta_mock_asgi", settings, request.node)
