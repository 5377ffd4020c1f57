"""Running an inner pytest session in a subprocess, so the plugin loads from its installed entry point.

Every other installed pytest plugin is blocked (``-p no:NAME``) unless asked otherwise: what the
inner session shows is this plugin's doing alone, whatever else the environment has
(schemathesis's plugin, for one, imports Hypothesis when it loads), and the sessions start faster.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import entry_points

import pytest

PLUGIN = "letta_mock"
"""The name of this package's ``pytest11`` entry point."""
INNER_TIMEOUT = 120.0
"""Seconds an inner session may take before the outer test fails."""
INNER_INI = """\
[pytest]
filterwarnings = error
addopts = -p no:cacheprovider
"""


def other_plugins() -> list[str]:
    names = {point.name for point in entry_points(group="pytest11")}
    assert PLUGIN in names, f"the {PLUGIN} entry point is not installed: pip install -e ."
    return sorted(names - {PLUGIN})


def run_inner(
    pytester: pytest.Pytester, *args: str, isolated: bool = True, allow: Sequence[str] = ()
) -> pytest.RunResult:
    """Run pytest in ``pytester.path`` in a fresh interpreter, warnings as errors (as in this suite).

    ``isolated``: block every other installed plugin but those ``allow`` names (``"xdist"``);
    without it the session is a user's, with all.
    """
    pytester.makeini(INNER_INI)
    others = [name for name in other_plugins() if name not in allow]
    blocked = [arg for name in others for arg in ("-p", f"no:{name}")] if isolated else []
    return pytester.runpytest_subprocess("-rA", *blocked, *args, timeout=INNER_TIMEOUT)
