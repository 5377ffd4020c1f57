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


def receiver_source(status: int) -> str:
    """Source for an inner test module: a session-wide callback receiver (fixture ``hook_url``) that
    answers every POST with ``status``, and a batch request ``REQUEST`` for agent ``AGENT``."""
    return f"""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

AGENT = "agent-0a1b2c3d-4e5f-4a6b-9c7d-8e9fa0b1c2d3"
REQUEST = {{"agent_id": AGENT, "messages": [{{"role": "user", "content": "Hello there"}}]}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response({status})
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def hook_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{{server.server_address[1]}}/hook"
    server.shutdown()
    server.server_close()
"""
