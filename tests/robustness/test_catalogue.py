"""Bad input never hurts: every case of the catalogue, against two servers (and a sample against a
third answering as the real server, ``--profile letta-oss``).

For each case: an answer below 500 among those the case allows, a JSON body with ``detail`` for
every error (for a 422, a list of ``{loc, msg, type}`` items whose ``loc`` names the field at fault),
the same store, faults and scenarios before and after (a documented 2xx that stores something is
undone with ``PUT /_mock/state``), and a normal request answered afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from mockserver import MockServer

from .catalogue import AGENT, CASES, Case
from .support import RawResponse, send

ServerFactory = Callable[..., MockServer]


@dataclass
class Target:
    name: str
    url: str
    stateful: bool
    ids: dict[str, str]
    http: httpx.Client
    last: dict[str, Any] | None = None
    """The fingerprint after the previous case, if it passed."""
    quirks: bool = False
    """It answers as letta-oss: an answer the journal marks as a quirk's is held to the quirk."""

    def fill(self, text: str) -> str:
        for token, value in self.ids.items():
            text = text.replace(token, value)
        return text

    def fingerprint(self) -> dict[str, Any]:
        """What no hostile request may change: the store (minus the clock), faults and scenarios."""
        found: dict[str, Any] = {"faults": self._get("/_mock/faults")}
        if self.stateful:  # scenarios are part of the state; a stateless server has none
            state = self._get("/_mock/state")
            state.pop("clock")
            found["state"] = state
        else:
            found["scenarios"] = self._get("/_mock/scenarios")
        return found

    def last_seq(self) -> int:
        return int(self._get("/_mock/requests?limit=1")["last_seq"])

    def deviations(self, since: int) -> set[str]:
        """The quirks that shaped the answers journaled after ``since`` (at most this case's)."""
        entries = self._get(f"/_mock/requests?since={since}")["requests"]
        return {quirk for entry in entries for quirk in entry["deviations"]}

    def snapshot(self) -> dict[str, Any]:
        state: dict[str, Any] = self._get("/_mock/state")
        return state

    def restore(self, state: dict[str, Any]) -> None:
        reply = self.http.put("/_mock/state", json=state)
        assert reply.status_code == 200, reply.text

    def _get(self, path: str) -> Any:
        reply = self.http.get(path)
        assert reply.status_code == 200, (path, reply.status_code, reply.text)
        return reply.json()


def _with_encoded(ids: dict[str, str]) -> dict[str, str]:
    """``<batch>`` -> id, and ``<batch:encoded>`` -> the id with every character percent-encoded."""
    encoded = {
        f"{token[:-1]}:encoded>": "".join(f"%{byte:02X}" for byte in value.encode())
        for token, value in ids.items()
    }
    return {**encoded, **ids}


def _stateful(server_factory: ServerFactory, profile: str) -> Iterator[Target]:
    """Stateful, strict, manual clock; one batch, one finished run (with messages) and one job exist."""
    server = server_factory(mode="stateful", validation="strict", clock="manual", seed=8, profile=profile)
    server.reset()
    with httpx.Client(base_url=server.url, timeout=10) as http:
        batch = http.post("/v1/messages/batches", json={"requests": [{"agent_id": AGENT, "input": "hi"}]})
        run = http.post(
            "/_mock/runs",
            json={
                "agent_id": AGENT,
                "status": "completed",
                "stop_reason": "end_turn",
                "messages": [{"message_type": "assistant_message", "content": "hello"}],
            },
        )
        job = http.post("/_mock/jobs", json={"status": "running"})
        for reply in (batch, run, job):
            assert reply.is_success, reply.text
        ids = {"<batch>": batch.json()["id"], "<run>": run.json()["id"], "<job>": job.json()["id"]}
        name = "stateful-strict" + ("" if profile == "contract" else f"-{profile}")
        yield Target(name, server.url, True, _with_encoded(ids), http, quirks=profile != "contract")
    server.reset()


@pytest.fixture(scope="module")
def strict(server_factory: ServerFactory) -> Iterator[Target]:
    yield from _stateful(server_factory, "contract")


@pytest.fixture(scope="module")
def oss(server_factory: ServerFactory) -> Iterator[Target]:
    yield from _stateful(server_factory, "letta-oss")


@pytest.fixture(scope="module")
def lenient(server_factory: ServerFactory) -> Iterator[Target]:
    """Stateless, lenient validation: every well-formed request gets a generated 2xx."""
    server = server_factory(mode="stateless", validation="lenient", seed=8)
    server.reset()
    ids = {
        "<batch>": "job-11111111-1111-4111-8111-111111111111",
        "<run>": "run-22222222-2222-4222-8222-222222222222",
        "<job>": "job-33333333-3333-4333-8333-333333333333",
    }
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield Target("stateless-lenient", server.url, False, _with_encoded(ids), http)
    server.reset()


def _check_error_body(case: Case, response: RawResponse) -> None:
    assert response.media_type == "application/json", str(response)
    body = response.json()
    assert isinstance(body, dict), str(response)
    assert "detail" in body, str(response)
    detail = body["detail"]
    if response.status != 422:
        assert isinstance(detail, str), str(response)
        assert detail, str(response)
        return
    assert isinstance(detail, list), str(response)
    assert detail, str(response)
    for item in detail:
        assert isinstance(item, dict), item
        for key in ("msg", "type"):
            assert isinstance(item.get(key), str), item
            assert item[key], item
        loc = item.get("loc")
        assert isinstance(loc, list), item
        assert loc, item
        assert loc[0] in ("path", "query", "body"), item
        if case.field is not None:
            assert case.field in [str(part) for part in loc], f"{item} does not name {case.field!r}"


_STATUS_QUIRKS = frozenset(
    {
        "run-delete-500",
        "job-cancel-500",
        "batch-messages-after-500",
        "batch-polling-off",
        "job-cursors-crossed-400",
        "stream-without-body-500",
    }
)
"""Quirks whose answer has a status the documentation does not give."""
_FAILING_QUIRKS = frozenset(
    {
        "run-delete-500",
        "job-cancel-500",
        "batch-messages-after-500",
        "batch-polling-off",
        "stream-without-body-500",
    }
)
"""Quirks whose answer is one of the real server's 5xx (the 500s, the batch cancel's 501)."""


def _check_deviation(case: Case, response: RawResponse, quirks: set[str]) -> None:
    """An answer a quirk shaped: the real server's, held to what the quirk says instead of the contract."""
    assert response.status < 500 or quirks & _FAILING_QUIRKS, (quirks, str(response))
    if not quirks & _STATUS_QUIRKS:
        assert response.status in case.strict, f"expected one of {sorted(case.strict)}: {response}"
    if response.status >= 400:
        assert response.media_type == "application/json", str(response)
        body = response.json()
        assert isinstance(body, dict), str(response)
        assert body.get("detail"), str(response)
        if "validation-detail-string" in quirks:
            assert response.status == 422, str(response)
            assert isinstance(body["detail"], str), str(response)
            assert body["detail"].startswith("[{'type': "), str(response)
            assert body["trace_id"] == "", str(response)


def _check(target: Target, case: Case) -> None:
    before, target.last = target.last or target.fingerprint(), None
    since = target.last_seq() if target.quirks else 0
    snapshot = target.snapshot() if case.mutates and target.stateful else None
    body = None if case.body is None else target.fill(case.body.decode("latin-1")).encode("latin-1")
    try:
        response = send(
            target.url, case.method, target.fill(case.target), body=body, headers=case.header_list()
        )
    finally:
        if snapshot is not None:  # undo the documented 2xx (or whatever the failed case did)
            target.restore(snapshot)
    quirks = target.deviations(since) if target.quirks else set()
    if quirks:
        _check_deviation(case, response, quirks)
    else:
        _check_documented(target, case, response)
    after = target.fingerprint()
    assert after == before
    target.last = after  # the next case starts from it (a failed case leaves it unset)
    health = target.http.get("/v1/runs/", params={"limit": 1})
    assert health.status_code == 200, health.text


def _check_documented(target: Target, case: Case, response: RawResponse) -> None:
    allowed = case.strict if target.stateful else case.lenient
    assert response.status < 500, str(response)
    assert response.status in allowed, f"expected one of {sorted(allowed)}: {response}"
    if response.status >= 400:
        _check_error_body(case, response)
    elif response.media_type == "application/json":
        response.json()
    else:
        assert response.media_type == "text/event-stream", str(response)
        assert response.body.rstrip().endswith(b"data: [DONE]"), str(response)


SAMPLE_EVERY = 40
"""The fast loop (`-m "not slow"`) runs every 40th case; the full run (and CI) runs them all."""
PARAMS = [
    pytest.param(case, id=case.id, marks=() if index % SAMPLE_EVERY == 0 else pytest.mark.slow)
    for index, case in enumerate(CASES)
]


@pytest.mark.parametrize("case", PARAMS)
def test_stateful_strict(case: Case, strict: Target) -> None:
    _check(strict, case)


@pytest.mark.parametrize("case", PARAMS)
def test_stateless_lenient(case: Case, lenient: Target) -> None:
    _check(lenient, case)


OSS_EVERY = 5
"""letta-oss gets every 5th case (every 40th in the fast loop): its quirks reshape a few routes'
answers, not how the mock parses and refuses input, which the other two servers cover case by case."""
OSS_PARAMS = [
    pytest.param(case, id=case.id, marks=() if index % SAMPLE_EVERY == 0 else pytest.mark.slow)
    for index, case in enumerate(CASES)
    if index % OSS_EVERY == 0
]


@pytest.mark.parametrize("case", OSS_PARAMS)
def test_stateful_strict_letta_oss(case: Case, oss: Target) -> None:
    _check(oss, case)
