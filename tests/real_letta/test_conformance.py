"""The same session against the real Letta server and the mock under `letta-oss`, compared step by step.

Every step's observation must agree, or be listed in KNOWN_DIFFERENCES with its reason; a listed difference
that has gone away fails too, so the list stays true. The real server's answers are written to
`last_run.json` beside this file (docs/real-letta.md reports them).
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerFactory

from .session import Observations, run_session
from .setups import MockSetup, RealSetup

SUMMARY = Path(os.environ.get("LETTA_REAL_SUMMARY") or Path(__file__).with_name("last_run.json"))

# step -> why the mock under letta-oss answers differently (fix it in the profile, then remove it here).
KNOWN_DIFFERENCES: dict[str, str] = {}


@pytest.fixture(scope="module")
def mock_observations(server_factory: ServerFactory) -> Observations:
    # A manual clock that never moves: the mock's batches stay as the real server's do with polling off.
    server = server_factory(profile="letta-oss", clock="manual")
    return run_session(server.url, MockSetup(server.url))


@pytest.fixture(scope="module")
def real_observations(real_url: str) -> Observations:
    obs = run_session(real_url, RealSetup(real_url))
    health = RealSetup(real_url).http.get("/v1/health/").json()
    SUMMARY.write_text(
        json.dumps(
            {
                "server": f"letta {health.get('version')}",
                "date": datetime.now(UTC).date().isoformat(),
                "observations": obs,
            },
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    return obs


def differences(real: Observations, mock: Observations) -> dict[str, tuple[Any, Any]]:
    return {
        key: (real.get(key), mock.get(key))
        for key in sorted(set(real) | set(mock))
        if real.get(key) != mock.get(key)
    }


def test_the_session_runs_against_the_mock(mock_observations: Observations) -> None:
    """The session itself, in every run of the suite: a base URL is all it needs."""
    assert mock_observations["create_batch.no_callback"]["status"] == 200
    assert mock_observations["list_batches.desc"]["listed"][:1] == ["b3"]
    assert mock_observations["delete_run"]["status"] == 500


@pytest.mark.real_letta
def test_the_real_server_shows_the_quirks(real_observations: Observations) -> None:
    """Section 8 of the behaviour reference, on the server itself."""
    obs = real_observations
    assert obs["create_batch.no_callback"]["callback_url"] == "None"
    assert obs["create_batch.callback"]["callback_url"] == "http://127.0.0.1:9/"
    assert obs["create_batch.no_callback"]["batch_status"] == "running"
    assert obs["list_messages_for_batch.after"]["status"] == 500
    assert "b2" not in obs["list_batches.after_cancel"]["listed"]
    assert obs["cancel_batch.again"]["status"] == 200
    assert obs["create_batch.422"] == {"status": 422, "detail": "str"}
    assert obs["retrieve_batch.malformed"]["status"] == 400
    assert obs["retrieve_job.malformed"]["status"] == 422
    assert obs["delete_run"]["status"] == 500
    assert obs["cancel_job"]["status"] == 500
    assert obs["cancel_job.batch_after"]["batch_status"] == "cancelled"
    assert obs["retrieve_stream_for_run.no_body"]["status"] == 500
    assert obs["retrieve_run"]["total_duration_ns_null"] is True


@pytest.mark.real_letta
def test_the_mock_answers_as_the_real_server(
    real_observations: Observations, mock_observations: Observations
) -> None:
    found = differences(real_observations, mock_observations)
    unexplained = {k: v for k, v in found.items() if k not in KNOWN_DIFFERENCES}
    gone = sorted(set(KNOWN_DIFFERENCES) - set(found))
    report = "\n".join(f"{k}:\n  real: {r}\n  mock: {m}" for k, (r, m) in unexplained.items())
    assert not unexplained, f"the mock under letta-oss differs from the real server:\n{report}"
    assert not gone, f"listed as known differences but now equal (remove them): {gone}"
