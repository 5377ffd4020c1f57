"""The Python face of the control API, shared by ``MockServer`` and the pytest fixtures.

Every method is one request to ``/_mock/...`` (so it works the same against a socket or an
in-process app), except :meth:`MockControls.override`, which registers a Python function on
the app itself.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from mockserver._overrides import Override

if TYPE_CHECKING:
    from letta_client import AsyncLetta, Letta

    from mockserver._app import Parts
    from mockserver._config import Config

API_KEY = "letta-mock"


class ControlError(RuntimeError):
    """A control request the mock refused; the message carries its answer."""


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
        result: dict[str, Any] = self._call("GET", "/_mock/clock")
        return result

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the manual clock; everything due by then happens before this returns."""
        result: dict[str, Any] = self._call("POST", "/_mock/clock/advance", {"seconds": seconds})
        return result

    def seed_run(self, **spec: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/_mock/runs", spec)
        return result

    def seed_job(self, **spec: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/_mock/jobs", spec)
        return result

    def snapshot(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_mock/state")
        return result

    def restore(self, state: Mapping[str, Any]) -> None:
        self._call("PUT", "/_mock/state", dict(state))

    # -- scenarios, faults, overrides ------------------------------------------------------

    def add_scenario(self, match: Mapping[str, Any], **outcome: Any) -> dict[str, Any]:
        """E.g. ``add_scenario({"agent_id": X}, status="failed", stop_reason="llm_api_error")``."""
        result: dict[str, Any] = self._call("POST", "/_mock/scenarios", {"match": dict(match), **outcome})
        return result

    def scenarios(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/_mock/scenarios")["scenarios"]
        return result

    def clear_scenarios(self) -> None:
        self._call("DELETE", "/_mock/scenarios")

    def add_fault(self, operation: str = "*", **spec: Any) -> dict[str, Any]:
        """E.g. ``add_fault("create_batch", error={"status": 503, "retry_after": 0}, times=2)``."""
        result: dict[str, Any] = self._call("POST", "/_mock/faults", {"operation": operation, **spec})
        return result

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/_mock/faults")["faults"]
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "/_mock/faults")

    def override(self, operation_id: str, function: Override) -> None:
        """Answer ``operation_id`` with ``function(request)``; ``None`` from it means the default answer."""
        parts = self._parts()
        parts.table[operation_id]  # raises KeyError naming the known operations
        parts.api.overrides[operation_id] = function

    def clear_overrides(self) -> None:
        self._parts().api.overrides.clear()

    # -- journals --------------------------------------------------------------------------

    def requests(
        self, *, operation: str | None = None, status: int | None = None, since: int = 0
    ) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call(
            "GET", "/_mock/requests", operation=operation, status=status, since=since
        )["requests"]
        return result

    def last_request_seq(self) -> int:
        return int(self._call("GET", "/_mock/requests", limit=1)["last_seq"])

    def report(self, *, since: int = 0) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/_mock/report", since=since)
        return result

    def callbacks(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/_mock/callbacks")["callbacks"]
        return result

    def wait_for(
        self, batch_id: str, status: str, *, timeout: float = 10.0, interval: float = 0.02
    ) -> dict[str, Any]:
        """Poll a batch until it has ``status`` (for servers on the system clock)."""
        deadline = time.monotonic() + timeout
        while True:
            body: dict[str, Any] = self._call("GET", f"/v1/messages/batches/{batch_id}")
            if body.get("status") == status:
                return body
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"batch {batch_id} is still {body.get('status')!r} after {timeout} s, not {status!r}"
                )
            time.sleep(interval)

    # -- SDK clients -----------------------------------------------------------------------

    def client(self, **options: Any) -> Letta:
        """A ``letta_client.Letta`` configured for this mock (needs letta-client installed)."""
        from letta_client import Letta

        options.setdefault("api_key", self.api_key)
        return Letta(base_url=self.url, **options)

    def async_client(self, **options: Any) -> AsyncLetta:
        from letta_client import AsyncLetta

        options.setdefault("api_key", self.api_key)
        return AsyncLetta(base_url=self.url, **options)
