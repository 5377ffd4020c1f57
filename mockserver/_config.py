"""The settings of one server, built alike by the CLI, the pytest plugin and Python callers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from mockserver._clock import CLOCK_KINDS, ClockKind
from mockserver._schemas import LEVELS, Level

Mode = Literal["stateless", "stateful"]
MODES: tuple[Mode, ...] = ("stateless", "stateful")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
DEFAULT_PORT = 8283


@dataclass(frozen=True, slots=True)
class Config:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    mode: Mode = "stateful"
    validation: Level = "strict"
    seed: int = 0
    responses: Literal["realistic", "fuzz"] = "realistic"
    """``fuzz`` (stateless mode): schema-valid but adversarial bodies, deterministic per seed."""
    fixtures: Path | None = None
    """A directory of fixtures; ``None`` uses the ``fixtures/`` shipped with the package."""
    log_level: str = "warning"
    access_log: bool = False
    clock: ClockKind = "system"
    """``manual``: simulated time moves only through ``POST /_mock/clock/advance``."""
    job_duration: float = 2.0
    """Seconds from a job's (or run's) creation to its end."""
    stream_ping_interval: float = 20.0
    """Seconds of silence after which a run stream sends a keep-alive ping, as the real server does."""
    callback_timeout: float = 5.0
    callback_retries: int = 0
    callback_concurrency: int = 16
    callback_allow_hosts: frozenset[str] = frozenset()
    """Hosts completion callbacks may reach; empty: any."""
    journal_size: int = 1000
    """Entries kept by each journal of the server (callbacks, requests)."""
    api_key: str | None = None
    """With a key, the Letta API needs ``Authorization: Bearer <key>``; 401 otherwise."""
    control_token: str | None = None
    """With a token, the control API needs it from every caller; without, it answers loopback callers only."""
    quiet: bool = False
    """No start-up banner and no per-request log line."""
    state: Path | None = None
    """A snapshot (the ``GET /_mock/state`` format) loaded at start-up (stateful mode)."""
    openapi: Path | None = None
    """A Letta OpenAPI document served in place of the shipped one."""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.validation not in LEVELS:
            raise ValueError(f"validation must be one of {', '.join(LEVELS)}, not {self.validation!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {self.port}")
        if self.responses not in ("realistic", "fuzz"):
            raise ValueError(f"responses must be realistic or fuzz, not {self.responses!r}")
        if self.responses == "fuzz" and self.mode != "stateless":
            raise ValueError(
                "--responses fuzz needs --mode stateless (stateful answers come from the simulation)"
            )
        if self.clock not in CLOCK_KINDS:
            raise ValueError(f"clock must be one of {', '.join(CLOCK_KINDS)}, not {self.clock!r}")
        if not 0 <= self.job_duration <= 31_536_000:
            raise ValueError(f"job_duration must be between 0 and 31536000 seconds, not {self.job_duration}")
        if not 0 < self.stream_ping_interval <= 3600:
            raise ValueError(
                f"stream_ping_interval must be between 0 and 3600 seconds, not {self.stream_ping_interval}"
            )
        if not 0 < self.callback_timeout <= 600:
            raise ValueError(
                f"callback_timeout must be between 0 and 600 seconds, not {self.callback_timeout}"
            )
        if not 0 <= self.callback_retries <= 10:
            raise ValueError(f"callback_retries must be between 0 and 10, not {self.callback_retries}")
        if not 1 <= self.callback_concurrency <= 1024:
            raise ValueError(
                f"callback_concurrency must be between 1 and 1024, not {self.callback_concurrency}"
            )
        if not 1 <= self.journal_size <= 1_000_000:
            raise ValueError(f"journal_size must be between 1 and 1000000, not {self.journal_size}")
        for name in ("api_key", "control_token"):
            secret = getattr(self, name)
            if secret is not None and (not secret or not secret.isprintable() or " " in secret):
                raise ValueError(f"{name} must be a non-empty printable string without spaces")
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}")

    def but(self, **changes: Any) -> Config:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)
