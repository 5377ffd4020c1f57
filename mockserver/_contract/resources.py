"""Where the data files the runtime loads live: ``schemas/`` and ``fixtures/``.

In a source checkout (and an editable install) they sit at the top of the repository;
the wheel maps them into ``mockserver/_data/``. Both layouts are looked up, packaged first.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

DataDir = Literal["schemas", "fixtures"]

_PACKAGE = Path(__file__).resolve().parents[1]  # mockserver/, this module sits in mockserver/_contract/


def data_dir(name: DataDir) -> Path:
    """Return the directory holding the shipped ``schemas`` or ``fixtures``."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"letta-mockserver data directory {name!r} not found next to {_PACKAGE}")


OPENAPI_FILE = "letta-openapi.json"
BATCH_JOB_SCHEMA_FILE = "batch-job.schema.json"
CONTROL_SCHEMA_FILE = "mock-control.schema.json"
ADDITIONS_FILE = "mock-additions.json"
