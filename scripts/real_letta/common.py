"""Paths, the state file and the one error every step raises."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LETTA_VERSION = "0.16.8"
PGSERVER_VERSION = "0.1.4"
# uv exports the sdist's lock; a closed range so a fresh install behaves like the one measured.
UV_REQUIREMENT = "uv>=0.13,<0.14"
EXTRAS = ("server", "postgres", "redis")
PG_USER_OS = "letta-pg"
DB_NAME = "letta"
DB_ROLE = "letta"


class StepError(Exception):
    """A step failed: the message names the step, says why, and points at the log to read."""

    def __init__(self, step: str, reason: str, log: Path | None = None) -> None:
        self.step = step
        self.reason = reason
        self.log = log
        where = f" (log: {log})" if log is not None else ""
        super().__init__(f"real-letta: {step} failed: {reason}{where}")


@dataclass(frozen=True)
class Paths:
    home: Path

    @classmethod
    def from_env(cls) -> Paths:
        default = Path.home() / ".cache" / "letta-mockserver" / f"real-letta-{LETTA_VERSION}"
        return cls(Path(os.environ.get("LETTA_REAL_HOME") or default).absolute())

    @property
    def tools(self) -> Path:
        return self.home / "tools"

    @property
    def venv(self) -> Path:
        return self.home / "venv"

    @property
    def sdist_dir(self) -> Path:
        return self.home / "sdist"

    @property
    def source(self) -> Path:
        return self.home / "src" / f"letta-{LETTA_VERSION}"

    @property
    def requirements(self) -> Path:
        return self.home / "requirements.txt"

    @property
    def logs(self) -> Path:
        return self.home / "logs"

    @property
    def scratch_home(self) -> Path:
        return self.home / "server-home"

    @property
    def state_file(self) -> Path:
        return self.home / "state.json"

    @property
    def secret_file(self) -> Path:
        return self.home / "pg-password"

    @property
    def pg_home(self) -> Path:
        """PostgreSQL's binaries and data: it runs as an unprivileged user, who cannot enter root's home
        (0700), so as root they live where that user can reach them, unless LETTA_REAL_PG_HOME says where."""
        chosen = os.environ.get("LETTA_REAL_PG_HOME")
        if chosen:
            return Path(chosen).absolute()
        if os.geteuid() == 0 and not _traversable_by_others(self.home):
            return Path("/var/lib/letta-mockserver") / f"real-letta-{LETTA_VERSION}" / "pg"
        return self.home / "pg"

    @property
    def pg_bin(self) -> Path:
        return self.pg_home / "pgserver" / "pgserver" / "pginstall" / "bin"

    @property
    def pg_data(self) -> Path:
        return self.pg_home / "data"


def _traversable_by_others(path: Path) -> bool:
    return all(not part.exists() or part.stat().st_mode & 0o001 for part in [path, *path.parents])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def read_state(paths: Paths) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads(paths.state_file.read_text())
    except FileNotFoundError:
        return None
    return state


def write_state(paths: Paths, state: dict[str, Any]) -> None:
    tmp = paths.state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(paths.state_file)
