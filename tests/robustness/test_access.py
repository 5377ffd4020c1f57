"""Who may steer the mock.

- The CLI binds 127.0.0.1 unless told otherwise.
- ``--api-key KEY``: every Letta operation needs ``Authorization: Bearer KEY`` (or
  ``X-BARE-PASSWORD: password KEY``); 401 ``{"detail": ...}`` otherwise.
- The control API answers loopback callers only, unless ``--control-token`` is set; then it needs
  the token (``X-Letta-Mock-Token``) from everyone, loopback included. The refusal of other callers
  is tested by binding the mock to a non-loopback address of this machine and calling from it.
- Binding a non-loopback address without a control token warns on stderr.
- Nothing the mocked API is sent changes the control settings.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from addresses import non_loopback_address

from mockserver import MockServer, default_table
from mockserver._running.cli import config_from_args

from .catalogue import AGENT, UNKNOWN
from .support import Spawned, spawn

ServerFactory = Callable[..., MockServer]
KEY = "mock-key-3f9a"
TOKEN = "control-token-77c1"


def _requests_of_every_operation() -> Iterator[tuple[str, str, str, bytes | None]]:
    """(operationId, method, path, body) for every operation of the table, with well-formed ids."""
    for op in default_table().values():
        path = op.path
        for name, value in UNKNOWN.items():
            path = path.replace("{" + name + "}", value)
        body = None
        if op.operation_id == "create_batch":
            body = b'{"requests": [{"agent_id": "%s", "input": "hi"}]}' % AGENT.encode()
        elif op.body_pointer is not None:
            body = b"{}"
        yield op.operation_id, op.method, path, body


def _call(http: httpx.Client, method: str, path: str, body: bytes | None, **headers: str) -> httpx.Response:
    if body is not None:
        headers["Content-Type"] = "application/json"
    return http.request(method, path, content=body, headers=headers)


# -- binding -----------------------------------------------------------------------------------------


def test_the_cli_binds_loopback_unless_told_otherwise(cli_server: Spawned) -> None:
    assert config_from_args([]).host == "127.0.0.1"
    assert config_from_args(["serve", "--port", "0"]).host == "127.0.0.1"
    assert cli_server.url.startswith("http://127.0.0.1:")
    warning = cli_server.stderr.read_text(errors="replace")
    assert "warning" not in warning, warning
    address = non_loopback_address()
    if address is not None:  # nothing listens on the machine's other address at that port
        port = httpx.URL(cli_server.url).port
        assert port is not None
        with pytest.raises(ConnectionRefusedError), socket.create_connection((address, port), timeout=2):
            pass


def test_a_non_loopback_bind_without_token_warns_and_keeps_the_control_api_closed(
    tmp_path: Path, outside: str
) -> None:
    """``--host <this machine's address> --api-key KEY``: a warning on stderr; from that address the
    Letta API needs the key and the control API is refused."""
    with spawn(tmp_path, "--host", outside, "--api-key", KEY, "--clock", "manual") as server:
        transport = httpx.HTTPTransport(local_address=outside)
        with httpx.Client(base_url=server.url, timeout=10, transport=transport) as http:
            assert server.url == f"http://{outside}:{httpx.URL(server.url).port}"
            refused = http.get("/v1/runs/")
            assert refused.status_code == 401, refused.text
            assert refused.json() == {"detail": "Unauthorized"}
            assert http.get("/v1/runs/", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
            control = http.get("/_mock/clock", headers={"Authorization": f"Bearer {KEY}"})
            assert control.status_code == 403, control.text
            assert "loopback callers only" in control.json()["detail"]
        code, _seconds, stderr = server.stop()
    assert code == 0, stderr
    assert f"warning: listening on {outside} without --control-token" in stderr, stderr


# -- the API key ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def keyed(server_factory: ServerFactory) -> Iterator[httpx.Client]:
    server = server_factory(mode="stateful", clock="manual", api_key=KEY, seed=13)
    server.reset()
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield http
    server.reset()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {KEY}x"},
        {"Authorization": f"Bearer {KEY[:-1]}"},
        {"Authorization": f"Basic {KEY}"},
        {"Authorization": KEY},
        {"X-BARE-PASSWORD": KEY},
        {"X-BARE-PASSWORD": f"password {KEY}x"},
        {"X-Api-Key": KEY},
        {"X-Letta-Mock-Token": KEY},
    ],
    ids=lambda headers: "|".join(f"{k}={v}" for k, v in headers.items()) or "none",
)
def test_every_operation_refuses_a_missing_or_wrong_key(keyed: httpx.Client, headers: dict[str, str]) -> None:
    before = keyed.get("/_mock/state").json()
    for operation_id, method, path, body in _requests_of_every_operation():
        reply = _call(keyed, method, f"{path}?api_key={KEY}", body, **headers)
        assert reply.status_code == 401, (operation_id, reply.status_code, reply.text)
        assert reply.headers["content-type"] == "application/json"
        assert reply.json() == {"detail": "Unauthorized"}, operation_id
    assert keyed.get("/_mock/state").json() == before


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": f"Bearer {KEY}"},
        {"Authorization": f"bearer {KEY}"},
        {"Authorization": f"Bearer  {KEY}"},
        {"X-BARE-PASSWORD": f"password {KEY}"},
    ],
    ids=["bearer", "lower-case-scheme", "extra-spaces", "bare-password"],
)
def test_every_operation_accepts_the_key(keyed: httpx.Client, headers: dict[str, str]) -> None:
    for operation_id, method, path, body in _requests_of_every_operation():
        reply = _call(keyed, method, path, body, **headers)
        assert reply.status_code in (200, 404), (operation_id, reply.status_code, reply.text)
    keyed.post("/_mock/reset")


def test_the_key_does_not_guard_the_control_api_or_the_document(keyed: httpx.Client) -> None:
    assert keyed.get("/_mock/clock").status_code == 200
    assert keyed.get("/openapi.json").status_code == 200


# -- the control token -----------------------------------------------------------------------------

_CONTROL_GETS = ["/_mock/clock", "/_mock/callbacks", "/_mock/scenarios", "/_mock/faults", "/_mock/requests"]
_CONTROL_CHANGES: list[tuple[str, str, Any]] = [
    ("POST", "/_mock/reset", None),
    ("POST", "/_mock/clock/advance", {"seconds": 5}),
    ("POST", "/_mock/runs", {"agent_id": AGENT}),
    ("POST", "/_mock/jobs", {}),
    ("POST", "/_mock/scenarios", {"match": {"agent_id": AGENT}, "status": "failed"}),
    ("POST", "/_mock/faults", {"operation": "*", "drop": True}),
    ("DELETE", "/_mock/faults", None),
    ("DELETE", "/_mock/scenarios", None),
    (
        "PUT",
        "/_mock/state",
        {"version": 1, "clock": {"kind": "manual", "now": 0}, "rng": [], "jobs": [], "runs": []},
    ),
]


@pytest.fixture(scope="module")
def tokened(server_factory: ServerFactory) -> Iterator[tuple[MockServer, httpx.Client]]:
    server = server_factory(mode="stateful", clock="manual", control_token=TOKEN, seed=13)
    server.reset()
    with httpx.Client(base_url=server.url, timeout=10) as http:
        yield server, http
    server.reset()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Letta-Mock-Token": TOKEN + "x"},
        {"X-Letta-Mock-Token": ""},
        {"X-Letta-Mock-Token": TOKEN.upper()},
    ],
    ids=["none", "wrong", "empty", "upper-case"],
)
def test_with_a_token_the_control_api_refuses_loopback_callers_without_it(
    tokened: tuple[MockServer, httpx.Client], headers: dict[str, str]
) -> None:
    server, http = tokened
    batch = http.post("/v1/messages/batches", json={"requests": [{"agent_id": AGENT, "input": "hi"}]})
    assert batch.status_code == 200, batch.text  # the Letta API needs no token
    before = server.snapshot()
    for path in _CONTROL_GETS:
        reply = http.get(path, headers=headers)
        assert reply.status_code == 401, (path, reply.text)
        assert "X-Letta-Mock-Token" in reply.json()["detail"]
    for method, path, payload in _CONTROL_CHANGES:
        reply = http.request(method, path, json=payload, headers=headers)
        assert reply.status_code == 401, (method, path, reply.text)
    assert server.snapshot() == before
    assert http.get(f"/v1/messages/batches/{batch.json()['id']}").status_code == 200


def test_with_a_token_the_control_api_answers_whoever_presents_it(
    tokened: tuple[MockServer, httpx.Client],
) -> None:
    _server, http = tokened
    for path in _CONTROL_GETS:
        reply = http.get(path, headers={"X-Letta-Mock-Token": TOKEN})
        assert reply.status_code == 200, (path, reply.text)


def test_without_a_token_other_hosts_are_refused(server_factory: ServerFactory, outside: str) -> None:
    """The mock bound to this machine's non-loopback address, called from that address."""
    server = server_factory(host=outside, mode="stateful", clock="manual", seed=13)
    transport = httpx.HTTPTransport(local_address=outside)
    with httpx.Client(base_url=server.url, timeout=10, transport=transport) as http:
        batch = http.post("/v1/messages/batches", json={"requests": [{"agent_id": AGENT, "input": "hi"}]})
        assert batch.status_code == 200, batch.text
        for path in [*_CONTROL_GETS, "/_mock/state", "/_mock/report"]:
            reply = http.get(path)
            assert reply.status_code == 403, (path, reply.text)
            assert reply.json()["detail"].startswith(
                f"the control API answers loopback callers only (not {outside})"
            )
        for method, path, payload in _CONTROL_CHANGES:
            reply = http.request(method, path, json=payload, headers={"X-Letta-Mock-Token": "guess"})
            assert reply.status_code == 403, (method, path, reply.text)
        assert http.get(f"/v1/messages/batches/{batch.json()['id']}").json()["status"] == "created"
        assert http.get("/v1/messages/batches").json() == [batch.json()]


def test_with_a_token_other_hosts_need_it_too(server_factory: ServerFactory, outside: str) -> None:
    server = server_factory(host=outside, mode="stateful", clock="manual", control_token=TOKEN, seed=13)
    transport = httpx.HTTPTransport(local_address=outside)
    with httpx.Client(base_url=server.url, timeout=10, transport=transport) as http:
        assert http.get("/_mock/clock").status_code == 401
        assert http.get("/_mock/clock", headers={"X-Letta-Mock-Token": TOKEN}).status_code == 200
        assert http.post("/_mock/reset", headers={"X-Letta-Mock-Token": TOKEN}).status_code == 200


# -- the mocked API cannot steer the mock ------------------------------------------------------------

_STEERING = {
    "callback_allow_hosts": ["127.0.0.1", "*"],
    "api_key": None,
    "control_token": "mine",
    "faults": [{"operation": "*", "drop": True}],
    "fault": {"operation": "*", "error": {"status": 503}},
    "scenarios": [{"match": {"agent_id": AGENT}, "status": "failed"}],
    "seconds": 100000,
    "clock": {"kind": "system"},
    "mode": "stateless",
    "validation": "off",
}


def test_the_api_cannot_change_control_settings(server_factory: ServerFactory) -> None:
    """Bodies, queries and headers full of control words: stored as data at most, obeyed never."""
    server = server_factory(
        mode="stateful", clock="manual", callback_allow_hosts=frozenset({"allowed.example"}), seed=14
    )
    server.reset()
    parts = server._parts()
    config, callbacks = parts.config, parts.callbacks
    assert callbacks is not None
    settings = callbacks.settings
    with (
        socket.create_server(("127.0.0.1", 0)) as receiver,
        httpx.Client(base_url=server.url, timeout=10) as http,
    ):
        callback_url = f"http://127.0.0.1:{receiver.getsockname()[1]}/callback"
        clock = http.get("/_mock/clock").json()
        run = http.post(
            "/_mock/runs", json={"agent_id": AGENT, "status": "completed", "stop_reason": "end_turn"}
        ).json()
        sneaky = {"X-Letta-Mock-Token": "mine", "X-Callback-Allow-Hosts": "127.0.0.1"}
        query = {"callback_allow_hosts": "127.0.0.1", "seconds": "1000", "operation": "*", "drop": "true"}
        created = http.post(
            "/v1/messages/batches",
            params=query,
            headers=sneaky,
            json={
                "requests": [{"agent_id": AGENT, "input": "hi", **_STEERING}],
                "callback_url": callback_url,
                **_STEERING,
            },
        )
        assert created.status_code == 200, created.text
        streamed = http.post(f"/v1/runs/{run['id']}/stream", params=query, headers=sneaky, json=_STEERING)
        assert streamed.status_code == 200
        for path in ["/v1/runs/", "/v1/jobs/", "/v1/messages/batches"]:
            assert http.get(path, params=query, headers=sneaky).status_code == 200
        assert parts.config is config
        assert parts.config == config
        assert callbacks.settings == settings
        assert http.get("/_mock/faults").json() == {"faults": []}
        assert http.get("/_mock/scenarios").json() == {"scenarios": []}
        assert http.get("/_mock/clock").json()["epoch"] == clock["epoch"]
        assert http.get("/v1/runs/").status_code == 200  # still no key needed
        assert http.get("/_mock/clock").status_code == 200  # still no token needed
        # The allow list still holds: the batch's callback to 127.0.0.1 is refused, not sent.
        http.post("/_mock/clock/advance", json={"seconds": 3})
        end = time.monotonic() + 10
        while not (entries := http.get("/_mock/callbacks").json()["callbacks"]):
            assert time.monotonic() < end, "no callback attempt recorded"
            time.sleep(0.02)
        [entry] = [one for one in entries if one["id"] == created.json()["id"]]
        assert entry["status_code"] is None
        assert "is not in --callback-allow-hosts" in entry["error"]
    server.reset()


def test_stateless_mode_refuses_a_missing_key_too(server_factory: ServerFactory) -> None:
    """The key guards the API in both modes (stateless once answered everyone)."""
    server = server_factory(mode="stateless", api_key=KEY)
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for operation_id, method, path, body in _requests_of_every_operation():
            assert _call(http, method, path, body).status_code == 401, operation_id
            keyed = _call(http, method, path, body, Authorization=f"Bearer {KEY}")
            assert keyed.status_code < 300, (operation_id, keyed.status_code, keyed.text)
