"""The Python face of the control API, shared by ``MockServer`` and the pytest fixtures.

Every method is one request to ``/_mock/...`` (so it works the same against a socket or an
in-process app), except :meth:`MockControls.override`, which registers a Python function on
the app itself. docs/python-api.md is the reference of all of it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

import httpx

from mockserver._contract.quirks import resolve
from mockserver._control.overrides import Override

if TYPE_CHECKING:
    from letta_client import AsyncLetta, Letta

    from mockserver._config import Config
    from mockserver._web.app import Parts

API_KEY = "letta-mock"
CLIENT_TIMEOUT = 10.0
"""Seconds an SDK or httpx client made here waits for an answer: a local mock answers in milliseconds,
so a hang fails fast instead of at the SDK's 60 s."""
CLIENT_RETRIES = 2
"""The SDK's own default: retries stay on, so injected 5xx/429 faults exercise the caller's retry path."""
POLL_INTERVAL = 0.02

ScenarioStatus = Literal["completed", "failed", "cancelled", "expired"]


class ControlError(RuntimeError, ValueError):
    """A control request the mock refused; the message carries its answer (status and body).

    A ``ValueError`` too: a refusal means the arguments were bad.
    """


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _positive(name: str, value: float, *, zero: bool = True) -> float:
    if not _is_number(value) or value < 0 or (value == 0 and not zero):
        rule = "a number >= 0" if zero else "a number > 0"
        raise ValueError(f"{name} must be {rule}, not {value!r}")
    return float(value)


class MockControls:
    """Control methods over an ``httpx.Client`` pointed at a mock server."""

    url: str
    config: Config

    @property
    def api_key(self) -> str:
        """The key SDK clients made by :meth:`client` send (the server's ``api_key``, if it has one)."""
        return self.config.api_key or API_KEY

    def _headers(self) -> dict[str, str]:
        """What control requests carry: the control token, and the API key for API reads."""
        headers = {"Authorization": f"Bearer {self.api_key}"}
        if self.config.control_token:
            headers["X-Letta-Mock-Token"] = self.config.control_token
        return headers

    def _http(self) -> httpx.Client:
        raise NotImplementedError

    def _parts(self) -> Parts:
        raise NotImplementedError

    def _call(self, method: str, path: str, payload: Any = None, **params: Any) -> Any:
        query = {k: v for k, v in params.items() if v is not None}
        response = self._http().request(method, path, json=payload, params=query)
        if response.status_code >= 400:
            raise ControlError(f"{method} {path} answered {response.status_code}: {response.text}")
        return response.json()

    # -- time and state --------------------------------------------------------------------

    def reset(self) -> int:
        """Empty the store, rewind the manual clock, clear journals, scenarios, faults and overrides.

        Returns the request journal's last sequence number: later requests are the caller's.
        """
        answer = self._call("POST", "/_mock/reset")
        self._parts().api.overrides.clear()
        return int(answer["last_seq"])

    def clock(self) -> dict[str, Any]:
        """The simulated clock: ``{"clock": "manual" or "system", "now": ISO time, "epoch": seconds,
        "pending_changes": n}``."""
        result: dict[str, Any] = self._call("GET", "/_mock/clock")
        return result

    def advance(self, seconds: float, *, wait_for_callbacks: bool = True) -> dict[str, Any]:
        """Move the manual clock ``seconds`` forward; everything due by then happens before this returns.

        With ``wait_for_callbacks`` (the default) the server also waits, bounded, for the completion
        callbacks this move triggered, so the receiver has them when this returns; ``False`` returns
        as soon as the state has changed. Returns :meth:`clock`'s answer after the move.
        """
        payload: dict[str, Any] = {"seconds": seconds}
        if not wait_for_callbacks:
            # Sent only when off: a server without the field (older) still takes the default call.
            payload["wait_for_callbacks"] = False
        result: dict[str, Any] = self._call("POST", "/_mock/clock/advance", payload)
        return result

    def seed_run(self, **spec: Any) -> dict[str, Any]:
        """Create a run directly (``RunSeed``: ``agent_id`` required; ``status``, ``stop_reason``,
        ``messages``, ``duration``, ``callback_url``, ...). Returns the run as the API shows it."""
        result: dict[str, Any] = self._call("POST", "/_mock/runs", spec)
        return result

    def seed_job(self, **spec: Any) -> dict[str, Any]:
        """Create a job directly (``JobSeed``: ``status``, ``final_status``, ``duration``, ...).
        Returns the job as the API shows it."""
        result: dict[str, Any] = self._call("POST", "/_mock/jobs", spec)
        return result

    def snapshot(self) -> dict[str, Any]:
        """The whole simulated state as JSON, for :meth:`restore` (or a ``--state`` file)."""
        result: dict[str, Any] = self._call("GET", "/_mock/state")
        return result

    def restore(self, state: Mapping[str, Any]) -> None:
        """Replace the simulated state with one taken by :meth:`snapshot`."""
        # Without the state answered back, which this method would only throw away.
        response = self._http().put("/_mock/state", json=dict(state), headers={"Prefer": "return=minimal"})
        if response.status_code >= 400:
            raise ControlError(f"PUT /_mock/state answered {response.status_code}: {response.text}")

    # -- scenarios, faults, overrides ------------------------------------------------------

    def add_scenario(
        self,
        match: Mapping[str, Any],
        *,
        status: ScenarioStatus | None = None,
        stop_reason: str | None = None,
        duration: float | None = None,
        messages: Sequence[Mapping[str, Any]] | None = None,
        reply: str | None = None,
    ) -> dict[str, Any]:
        """Script the outcome of what ``match`` selects; returns the stored scenario.

        ``match`` has exactly one key: ``agent_id``, ``batch_id``, ``run_id`` or ``job_id`` (a string),
        or ``next_batches``, ``next_runs`` or ``next_jobs`` (a count of the next ones created).
        ``status``: the final status; ``stop_reason``: its stop reason; ``duration``: seconds from
        creation to the end; ``messages``: a run's messages (as in ``seed_run``); ``reply``: the text of a
        batch item's answer. Omitted fields keep the mock's defaults. E.g.
        ``add_scenario({"agent_id": X}, status="failed", stop_reason="llm_api_error")``.
        """
        outcome = {"status": status, "stop_reason": stop_reason, "duration": duration, "reply": reply}
        spec: dict[str, Any] = {"match": dict(match), **{k: v for k, v in outcome.items() if v is not None}}
        if messages is not None:
            spec["messages"] = [dict(message) for message in messages]
        result: dict[str, Any] = self._call("POST", "/_mock/scenarios", spec)
        return result

    def scenarios(self) -> list[dict[str, Any]]:
        """The scenarios in force, oldest first."""
        result: list[dict[str, Any]] = self._call("GET", "/_mock/scenarios")["scenarios"]
        return result

    def clear_scenarios(self) -> None:
        """Remove every scenario."""
        self._call("DELETE", "/_mock/scenarios")

    def remove_scenario(self, scenario_id: str) -> None:
        """Remove one scenario, by the ``id`` :meth:`add_scenario` gave it (``ControlError``: none has it)."""
        self._call("DELETE", f"/_mock/scenarios/{quote(scenario_id, safe='')}")

    def add_fault(
        self,
        operation: str = "*",
        *,
        latency: float | Mapping[str, float] | None = None,
        error: int | Mapping[str, Any] | None = None,
        drop: bool | None = None,
        stream_error: int | Mapping[str, Any] | None = None,
        times: int | None = None,
    ) -> dict[str, Any]:
        """Make requests to ``operation`` (an operationId, or ``"*"`` for all) misbehave; returns the fault.

        Applied in order before the request reaches the API: ``latency`` (seconds, or
        ``{"seconds": s}`` / ``{"min": a, "max": b}`` for a seeded random delay), then ``error`` (a
        status, or ``{"status": 503, "body": ..., "retry_after": s}``) or ``drop=True`` (the connection
        closes without an answer). ``stream_error`` (only for ``"retrieve_stream_for_run"``: a number of
        events, or ``{"after_events": n, "message": text}``) lets the run stream start and ends it after
        that many events with the real server's mid-stream ``event: error``. ``times``: how many matching
        requests it applies to (``None``: until cleared). At least one of ``latency``, ``error``, ``drop``,
        ``stream_error``. E.g.
        ``add_fault("create_batch", error={"status": 503, "retry_after": 0}, times=2)``.
        """
        spec: dict[str, Any] = {"operation": operation}
        if isinstance(latency, Mapping):
            spec["latency"] = dict(latency)
        elif latency is not None:
            spec["latency"] = {"seconds": latency}  # the server names a bad value
        if isinstance(error, Mapping):
            spec["error"] = dict(error)
        elif error is not None:
            spec["error"] = {"status": error}
        if drop is not None:
            spec["drop"] = drop
        if isinstance(stream_error, Mapping):
            spec["stream_error"] = dict(stream_error)
        elif stream_error is not None:
            spec["stream_error"] = {"after_events": stream_error}
        if times is not None:
            spec["times"] = times
        result: dict[str, Any] = self._call("POST", "/_mock/faults", spec)
        return result

    def faults(self) -> list[dict[str, Any]]:
        """The faults in force, with how many times each has still to apply."""
        result: list[dict[str, Any]] = self._call("GET", "/_mock/faults")["faults"]
        return result

    def clear_faults(self) -> None:
        """Remove every fault."""
        self._call("DELETE", "/_mock/faults")

    def remove_fault(self, fault_id: str) -> None:
        """Remove one fault, by the ``id`` :meth:`add_fault` returned (``ControlError``: none has it)."""
        self._call("DELETE", f"/_mock/faults/{quote(fault_id, safe='')}")

    def override(self, operation_id: str, function: Override) -> None:
        """Answer ``operation_id`` with ``function(request)`` until :meth:`reset` or :meth:`clear_overrides`.

        ``function`` gets a ``mockserver.MockRequest`` (validated: ``path_params``, ``query``, ``body``, ...)
        and returns a ``mockserver.MockResponse(status, body, headers)``, any JSON value (a 200), or
        ``None`` for the mock's own answer; it may be ``async``. It runs on the server's event loop:
        it must not block, nor call this object's methods. Raises ``KeyError`` for an unknown operation.
        """
        parts = self._parts()
        parts.table[operation_id]  # raises KeyError naming the known operations
        parts.api.overrides[operation_id] = function

    def clear_overrides(self) -> None:
        """Remove every override."""
        self._parts().api.overrides.clear()

    # -- journals --------------------------------------------------------------------------

    def requests(
        self, *, operation: str | None = None, status: int | None = None, since: int = 0
    ) -> list[dict[str, Any]]:
        """Journaled API requests after ``since``, oldest first; filtered by ``operation``, ``status``.

        Each entry has ``seq``, ``method``, ``path``, ``query``, ``operation_id``, ``status``, ...
        """
        result: list[dict[str, Any]] = self._call(
            "GET", "/_mock/requests", operation=operation, status=status, since=since
        )["requests"]
        return result

    def last_request_seq(self) -> int:
        """The sequence number of the latest journaled request (``since=`` for later reads)."""
        return int(self._call("GET", "/_mock/requests", limit=1)["last_seq"])

    def profile(self) -> dict[str, Any]:
        """The server answered as: ``{"profile", "server", "quirks": {name: on}}`` (docs/profiles.md)."""
        result: dict[str, Any] = self._call("GET", "/_mock/profile")
        return result

    def set_profile(self, profile: str, quirks: dict[str, bool] | None = None) -> dict[str, Any]:
        """Answer as ``profile``, with ``quirks`` turned on or off, until the next reset.

        ``ValueError`` naming the valid names for an unknown profile or quirk."""
        wanted = quirks or {}
        resolve(
            profile,
            [name for name, on in wanted.items() if on],
            [name for name, on in wanted.items() if not on],
        )
        result: dict[str, Any] = self._call(
            "PUT", "/_mock/profile", {"profile": profile, "quirks": quirks or {}}
        )
        return result

    def report(self, *, since: int = 0) -> dict[str, Any]:
        """The contract report of requests after ``since``: ``violations`` and per-operation coverage."""
        result: dict[str, Any] = self._call("GET", "/_mock/report", since=since)
        return result

    def callbacks(self) -> list[dict[str, Any]]:
        """Every callback attempt, oldest first: ``kind``, ``id``, ``url``, ``payload``, ``status_code``,
        ``error``, ``started_at``, ``duration_ms``, ``attempt``."""
        result: list[dict[str, Any]] = self._call("GET", "/_mock/callbacks")["callbacks"]
        return result

    def wait_for_callbacks(self, n: int = 1, *, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until at least ``n`` callback attempts are journaled; returns them all (:meth:`callbacks`).

        Raises ``TimeoutError`` naming how many arrived if fewer than ``n`` did within ``timeout`` seconds.
        """
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be an integer >= 0, not {n!r}")
        deadline = time.monotonic() + _positive("timeout", timeout)
        while True:
            answer = self._call("GET", "/_mock/callbacks")
            attempts: list[dict[str, Any]] = answer["callbacks"]
            if len(attempts) >= n:
                return attempts
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{len(attempts)} of {n} callback attempt(s) journaled after {timeout:g} s"
                    f" ({answer.get('pending', 0)} still queued or in flight)"
                )
            time.sleep(POLL_INTERVAL)

    def wait_for(
        self, batch_id: str, status: str, *, timeout: float = 10.0, interval: float = POLL_INTERVAL
    ) -> dict[str, Any]:
        """Poll a batch until it has ``status`` (for servers on the system clock); returns the batch.

        Raises ``TimeoutError`` naming the status it still has after ``timeout`` seconds.
        """
        deadline = time.monotonic() + _positive("timeout", timeout)
        _positive("interval", interval, zero=False)
        while True:
            body: dict[str, Any] = self._call("GET", f"/v1/messages/batches/{batch_id}")
            if body.get("status") == status:
                return body
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"batch {batch_id} is still {body.get('status')!r} after {timeout} s, not {status!r}"
                )
            time.sleep(interval)

    # -- clients ---------------------------------------------------------------------------

    @property
    def transport(self) -> httpx.BaseTransport:
        """A sync httpx transport that reaches this mock (a fresh ``httpx.HTTPTransport`` for a socket)."""
        return httpx.HTTPTransport()

    @property
    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An async httpx transport that reaches this mock."""
        return httpx.AsyncHTTPTransport()

    def http_client(self, **options: Any) -> httpx.Client:
        """An ``httpx.Client`` with ``base_url`` and transport set for this mock, for an app's own
        ``Letta(base_url=mock.url, http_client=mock.http_client())``. ``options`` go to ``httpx.Client``."""
        options.setdefault("base_url", self.url)
        options.setdefault("timeout", CLIENT_TIMEOUT)
        options.setdefault("transport", self.transport)
        return httpx.Client(**options)

    def async_http_client(self, **options: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` for this mock, as :meth:`http_client` is for sync code."""
        options.setdefault("base_url", self.url)
        options.setdefault("timeout", CLIENT_TIMEOUT)
        options.setdefault("transport", self.async_transport)
        return httpx.AsyncClient(**options)

    def _sdk_options(self, options: dict[str, Any]) -> dict[str, Any]:
        options.setdefault("base_url", self.url)
        options.setdefault("api_key", self.api_key)
        options.setdefault("timeout", CLIENT_TIMEOUT)
        options.setdefault("max_retries", CLIENT_RETRIES)
        # Answers are checked against the SDK's models, so a mock answer the SDK cannot read fails here.
        options.setdefault("_strict_response_validation", True)
        return options

    def client(self, **options: Any) -> Letta:
        """A ``letta_client.Letta`` for this mock (needs letta-client installed).

        Defaults, each overridable by keyword: the mock's ``api_key``, ``timeout=10`` s,
        ``max_retries=2``, ``_strict_response_validation=True`` (an answer that does not fit the
        SDK's models raises ``APIResponseValidationError``).
        """
        from letta_client import Letta

        return Letta(**self._sdk_options(options))

    def async_client(self, **options: Any) -> AsyncLetta:
        """A ``letta_client.AsyncLetta`` for this mock, with :meth:`client`'s defaults."""
        from letta_client import AsyncLetta

        return AsyncLetta(**self._sdk_options(options))
