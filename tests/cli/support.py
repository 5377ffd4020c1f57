"""``python -m mockserver`` in a subprocess, its stdout and stderr in files read after it stopped."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    out_path: Path
    err_path: Path
    stdout: str = ""
    stderr: str = ""


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without its ``LETTA_MOCK_*`` variables, plus ``extra``."""
    return {**{k: v for k, v in os.environ.items() if not k.startswith("LETTA_MOCK_")}, **extra}


@contextmanager
def serving(directory: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[Served]:
    """Serve with ``args``; on the way out, stop it with SIGINT and keep what it printed."""
    out_path, err_path = directory / "server.out", directory / "server.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", *args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env if env is not None else clean_env(),
        )
    try:
        end = time.monotonic() + 30
        while not (match := re.search(r"listening on (http://\S+)", out_path.read_text())):
            if process.poll() is not None or time.monotonic() > end:
                raise AssertionError(f"the server did not start: {err_path.read_text()}")
            time.sleep(0.02)
        served = Served(match.group(1), process, out_path, err_path)
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            code = process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
            raise
    served.stdout, served.stderr = out_path.read_text(), err_path.read_text()
    assert code == 0, served.stderr
