"""What the pytest fixtures cost a test: ``python -m bench.fixtures`` (and the ``fixtures`` section).

Measures ``letta_mock_asgi`` as the plugin drives it (``pytest_plugin._use``: ``reset()`` before the
test, ``report(since=...)`` after it), on one ``InProcessMock`` kept for the whole run as the
plugin keeps one per configuration:

- ``reset``: ``reset()`` alone, and with the teardown ``report()`` (target: reset <= 1 ms);
- ``test``: a whole test: reset, the SDK creates a batch, ``advance(2.5)``, the SDK retrieves it
  (``completed``), the teardown report. Target: <= 5 ms of the mock's own time.

The mock's own time is the CPU time of the in-process mock's event-loop thread (the app, the
transport's ASGI side, the lifespan's tasks), read from its thread CPU clock; the SDK's (and the
test's) time is this thread's CPU time, reported apart. Wall time is reported too: it includes
the hand-off between the two threads and whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from bench import seed

RESET_TARGET_MS = 1.0
TEST_TARGET_MS = 5.0


def _loop_thread() -> threading.Thread:
    found = [t for t in threading.enumerate() if t.name == "letta-mock-asgi"]
    if len(found) != 1:
        raise RuntimeError(f"expected one in-process mock thread, found {len(found)}")
    return found[0]


def _measure(iterations: int, once: Callable[[], object], warmup: int = 30) -> dict[str, float]:
    """Per iteration: wall, the mock thread's CPU and this thread's CPU, in ms (means and p50)."""
    thread = _loop_thread()
    assert thread.ident is not None
    clock = time.pthread_getcpuclockid(thread.ident)
    for _ in range(warmup):
        once()
    walls, mocks, callers = [], [], []
    for _ in range(iterations):
        wall, mock, caller = time.perf_counter(), time.clock_gettime(clock), time.thread_time()
        once()
        walls.append(time.perf_counter() - wall)
        mocks.append(time.clock_gettime(clock) - mock)
        callers.append(time.thread_time() - caller)

    def ms(values: list[float]) -> tuple[float, float]:
        return round(statistics.fmean(values) * 1000, 4), round(statistics.median(values) * 1000, 4)

    (wall_mean, wall_p50), (mock_mean, mock_p50), (sdk_mean, sdk_p50) = ms(walls), ms(mocks), ms(callers)
    return {
        "iterations": iterations,
        "wall_mean_ms": wall_mean,
        "wall_p50_ms": wall_p50,
        "mock_cpu_mean_ms": mock_mean,
        "mock_cpu_p50_ms": mock_p50,
        "caller_cpu_mean_ms": sdk_mean,
        "caller_cpu_p50_ms": sdk_p50,
    }


def measure(iterations: int = 300) -> dict[str, Any]:
    from mockserver import Config
    from mockserver._running.inprocess import InProcessMock

    # The plugin's defaults: stateful, manual clock (pytest_plugin.DEFAULTS).
    mock = InProcessMock(Config(port=0, mode="stateful", clock="manual"))
    try:
        sdk = mock.client()

        def reset() -> None:
            mock.reset()

        def reset_and_report() -> None:
            since = mock.reset()
            mock.report(since=since)

        def one_test() -> None:
            since = mock.reset()
            batch = sdk.batches.create(requests=seed.CREATE_BODY["requests"])
            mock.advance(2.5)
            again = sdk.batches.retrieve(batch.id)
            if again.status != "completed":
                raise RuntimeError(f"batch {batch.id} is {again.status} after advance(2.5)")
            report = mock.report(since=since)
            if report["violations"]:
                raise RuntimeError(f"contract violations: {report['violations'][:2]}")

        return {
            "reset": _measure(iterations, reset),
            "reset_and_report": _measure(iterations, reset_and_report),
            "test": _measure(iterations, one_test),
        }
    finally:
        mock.close()


def section(run: Any) -> dict[str, Any]:
    """The ``fixtures`` section of ``python -m bench``."""
    return measure(run.settings.reset_iterations // 3 or 1)


def rows(data: dict[str, Any]) -> list[Any]:
    from bench.report import row

    reset, test = data["reset"], data["test"]
    both = data["reset_and_report"]
    return [
        row(
            "letta_mock_asgi: reset() (mock CPU; wall)",
            "",
            f"{reset['mock_cpu_mean_ms']:.3f} ms; {reset['wall_mean_ms']:.3f} ms",
            "",
            f"<= {RESET_TARGET_MS} ms",
            reset["wall_mean_ms"] <= RESET_TARGET_MS,
        ),
        row(
            "letta_mock_asgi: reset() + teardown report() (mock CPU; wall)",
            "",
            f"{both['mock_cpu_mean_ms']:.3f} ms; {both['wall_mean_ms']:.3f} ms",
            "",
            "",
            None,
        ),
        row(
            "letta_mock_asgi test: create, advance, retrieve (mock CPU; SDK CPU; wall)",
            "",
            f"{test['mock_cpu_mean_ms']:.2f} ms; {test['caller_cpu_mean_ms']:.2f} ms; "
            f"{test['wall_mean_ms']:.2f} ms",
            "",
            f"<= {TEST_TARGET_MS} ms of the mock's",
            test["mock_cpu_mean_ms"] <= TEST_TARGET_MS,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fixtures", description=__doc__)
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args(argv)
    data = measure(args.iterations)
    print(f"per iteration, mean (p50), {args.iterations} iterations after 30 warm-ups")
    print(f"{'':18}{'wall':>18}{'mock CPU':>18}{'caller/SDK CPU':>18}")
    for name, found in data.items():
        cells = "".join(
            f"{found[f'{kind}_mean_ms']:9.3f} ({found[f'{kind}_p50_ms']:.3f})"
            for kind in ("wall", "mock_cpu", "caller_cpu")
        )
        print(f"{name:18}{cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
