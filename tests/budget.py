"""How many examples each property-based test draws: one knob for the whole suite.

``LETTA_MOCK_EXAMPLES=N`` gives every property N examples (raise it for a deeper run). Otherwise each
property keeps its own default, except in the fast loop (``scripts/test --fast`` sets
``LETTA_MOCK_FAST=1``), where none draws more than ``FAST``: every property still runs, on fewer cases.
"""

from __future__ import annotations

import os

FAST = 5


def examples(default: int) -> int:
    """The examples a property draws whose default is ``default``."""
    given = os.environ.get("LETTA_MOCK_EXAMPLES")
    if given:
        return int(given)
    if os.environ.get("LETTA_MOCK_FAST") == "1":
        return min(default, FAST)
    return default
