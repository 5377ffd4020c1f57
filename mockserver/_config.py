"""The settings of one server, built alike by the CLI, the pytest plugin and Python callers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from mockserver._schemas import LEVELS, Level

Mode = Literal["stateless", "stateful"]
MODES: tuple[Mode, ...] = ("stateless", "stateful")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
DEFAULT_PORT = 8283


@dataclass(frozen=True, slots=True)
class Config:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    mode: Mode = "stateless"
    validation: Level = "strict"
    seed: int = 0
    fixtures: Path | None = None
    """A directory of fixtures; ``None`` uses the ``fixtures/`` shipped with the package."""
    log_level: str = "warning"
    access_log: bool = False

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.validation not in LEVELS:
            raise ValueError(f"validation must be one of {', '.join(LEVELS)}, not {self.validation!r}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, not {self.port}")
        if self.log_level not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}")

    def but(self, **changes: Any) -> Config:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)
