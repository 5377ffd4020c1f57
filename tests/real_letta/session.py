"""The conformance session: one scripted client session over the 20 operations and the quirks of section 8.

`run_session(base_url, setup)` runs against any server (the real one, the mock, later a recording proxy):
the 20 operations go to `base_url`, the set-up the 20 cannot do goes through `setup`. It answers a dict of
observations keyed by step, reduced by `observe` to what two servers must agree on.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
from letta_client import APIStatusError, Letta

from .observe import Names, body_of, error, id_shape, stamp
from .setups import Setup
from .sse import read_stream

Observations = dict[str, Any]
# A freshly started real server answers its first requests slowly on a busy machine (a minute and more).
TIMEOUT_S = 300


def _unknown(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4()}"


def _sdk(call: Callable[[], Any]) -> tuple[int, Any]:
    """An SDK call through `with_raw_response`: the status and the JSON body, errors included."""
    try:
        raw = call()
    except APIStatusError as exc:
        return exc.status_code, body_of(exc.response)
    return raw.http_response.status_code, body_of(raw.http_response)


def _batch(status: int, body: Any) -> dict[str, Any]:
    if status != 200 or not isinstance(body, dict):
        return {"status": status, "body": type(body).__name__}
    return {
        "status": status,
        "id": id_shape(body.get("id")),
        "batch_status": body.get("status"),
        "callback_url": body.get("callback_url"),
        "created_at": stamp(body.get("created_at")),
        "completed_at": stamp(body.get("completed_at")),
        "has_user_id": "user_id" in body,
    }


def _run(body: Any) -> dict[str, Any]:
    return {
        "id": id_shape(body.get("id")),
        "run_status": body.get("status"),
        "stop_reason": body.get("stop_reason"),
        "created_at": stamp(body.get("created_at")),
        "completed_at": stamp(body.get("completed_at")),
        "total_duration_ns_null": body.get("total_duration_ns") is None,
    }


def run_session(base_url: str, setup: Setup) -> Observations:
    # A fresh connection per request: after an unhandled exception (its 500s) the real server's uvicorn
    # drops the connection without saying so, and the next request on it would fail with a reset.
    fresh = {"Connection": "close"}
    with (
        Letta(base_url=base_url, max_retries=0, timeout=TIMEOUT_S, default_headers=fresh) as sdk,
        httpx.Client(base_url=base_url, timeout=TIMEOUT_S, headers=fresh) as http,
    ):
        return _session(sdk, http, setup)


def _session(sdk: Letta, http: httpx.Client, setup: Setup) -> Observations:
    obs: Observations = {}
    names = Names()
    agent = setup.agent_id()
    one: list[Any] = [{"agent_id": agent, "messages": [{"role": "user", "content": "hi"}]}]

    # -- batches: create without and with callback_url, retrieve, lists and cursors
    status, body = _sdk(lambda: sdk.batches.with_raw_response.create(requests=one))
    obs["create_batch.no_callback"] = _batch(status, body)
    names.add("b1", body["id"])
    status, body = _sdk(
        lambda: sdk.batches.with_raw_response.create(requests=one, callback_url="http://127.0.0.1:9")
    )
    obs["create_batch.callback"] = _batch(status, body)
    names.add("b2", body["id"])
    status, body = _sdk(lambda: sdk.batches.with_raw_response.create(requests=one))
    names.add("b3", body["id"])
    obs["retrieve_batch"] = _batch(*_sdk(lambda: sdk.batches.with_raw_response.retrieve(names["b1"])))

    for order in ("desc", "asc"):
        status, body = _sdk(lambda o=order: sdk.batches.with_raw_response.list(order=o))  # type: ignore[misc]
        obs[f"list_batches.{order}"] = {"status": status, "listed": names.listed(body)}
        for cursor in ("after", "before"):
            cursors: dict[str, Any] = {cursor: names["b2"]}
            status, body = _sdk(
                lambda o=order, k=cursors: sdk.batches.with_raw_response.list(order=o, **k)  # type: ignore[misc]
            )
            obs[f"list_batches.{order}.{cursor}_b2"] = {"status": status, "listed": names.listed(body)}
    status, body = _sdk(lambda: sdk.batches.with_raw_response.list(limit=0))
    obs["list_batches.limit_0"] = {"status": status, "listed": sorted(names.listed(body))}
    # Both cursors, `before` naming the older batch: a window in order=desc's terms.
    answer = http.get("/v1/messages/batches", params={"before": names["b1"], "after": names["b3"]})
    obs["list_batches.crossed"] = error(answer) if answer.status_code != 200 else {"status": 200}

    # -- batch messages, with `after`
    status, body = _sdk(lambda: sdk.batches.messages.with_raw_response.list(names["b1"]))
    messages = body.get("messages", []) if isinstance(body, dict) else []
    obs["list_messages_for_batch"] = {
        "status": status,
        "envelope": sorted(body) if isinstance(body, dict) else type(body).__name__,
        "count": len(messages),
        "item_kind": (
            "Message"
            if messages and "role" in messages[0] and "message_type" not in messages[0]
            else "LettaMessage"
            if messages
            else None
        ),
    }
    first = messages[0]["id"] if messages else _unknown("message")
    answer = http.get(f"/v1/messages/batches/{names['b1']}/messages", params={"after": first})
    obs["list_messages_for_batch.after"] = error(answer) if answer.status_code != 200 else {"status": 200}
    answer = http.get(f"/v1/messages/batches/{names['b1']}/messages", params={"before": first})
    again = answer.json().get("messages", []) if answer.status_code == 200 else []
    obs["list_messages_for_batch.before"] = {
        "status": answer.status_code,
        "holds_the_cursor": any(message.get("id") == first for message in again),
    }

    # -- cancel, twice, and what the list shows afterwards
    status, body = _sdk(lambda: sdk.batches.with_raw_response.cancel(names["b2"]))
    obs["cancel_batch"] = {"status": status, "body": body}
    obs["cancel_batch.retrieve"] = _batch(*_sdk(lambda: sdk.batches.with_raw_response.retrieve(names["b2"])))
    status, body = _sdk(lambda: sdk.batches.with_raw_response.cancel(names["b2"]))
    obs["cancel_batch.again"] = {"status": status, "body": body}
    status, body = _sdk(lambda: sdk.batches.with_raw_response.list())
    obs["list_batches.after_cancel"] = {"status": status, "listed": names.listed(body)}

    # -- a 422, unknown and malformed ids
    answer = http.post("/v1/messages/batches", json={"callback_url": "http://127.0.0.1:9"})
    obs["create_batch.422"] = error(answer)
    for label, path in [
        ("retrieve_batch.unknown", f"/v1/messages/batches/{_unknown('job')}"),
        ("retrieve_batch.malformed", "/v1/messages/batches/not-an-id"),
        ("retrieve_run.unknown", f"/v1/runs/{_unknown('run')}"),
        ("retrieve_run.malformed", "/v1/runs/not-an-id"),
        ("retrieve_job.unknown", f"/v1/jobs/{_unknown('job')}"),
        ("retrieve_job.malformed", "/v1/jobs/not-an-id"),
    ]:
        obs[label] = error(http.get(path))
    obs["cancel_batch.unknown"] = error(http.patch(f"/v1/messages/batches/{_unknown('job')}/cancel"))

    _runs(obs, names, http, setup, agent)
    _jobs(obs, names, http)
    return obs


def _runs(obs: Observations, names: Names, http: httpx.Client, setup: Setup, agent: str) -> None:
    for n in (1, 2, 3):
        names.add(f"r{n}", setup.async_run(agent))
    names.add("rs", setup.background_run(agent))

    for order in ("desc", "asc"):
        answer = http.get("/v1/runs/", params={"agent_id": agent, "order": order})
        obs[f"list_runs.{order}"] = {"status": answer.status_code, "listed": names.listed(body_of(answer))}
        for cursor in ("after", "before"):
            answer = http.get("/v1/runs/", params={"agent_id": agent, "order": order, cursor: names["r2"]})
            obs[f"list_runs.{order}.{cursor}_r2"] = {
                "status": answer.status_code,
                "listed": names.listed(body_of(answer)),
            }
    answer = http.get("/v1/runs/", params={"agent_id": agent, "after": _unknown("run")})
    obs["list_runs.unknown_cursor"] = {
        "status": answer.status_code,
        "listed": sorted(names.listed(body_of(answer))),
    }
    obs["list_runs.limit_0"] = error(http.get("/v1/runs/", params={"limit": 0}))
    listed = [r for r in body_of(http.get("/v1/runs/", params={"agent_id": agent})) if r["id"] == names["r1"]]
    obs["list_runs.r1"] = _run(listed[0]) if listed else "r1 not listed"

    answer = http.get(f"/v1/runs/{names['r1']}")
    obs["retrieve_run"] = {"status": answer.status_code, **_run(body_of(answer))}
    answer = http.get("/v1/runs/active", params={"agent_id": agent})
    obs["list_active_runs"] = {"status": answer.status_code, "listed": names.listed(body_of(answer))}

    answer = http.get(f"/v1/runs/{names['r1']}/messages")
    items = body_of(answer)
    obs["list_messages_for_run"] = {
        "status": answer.status_code,
        "types": [m.get("message_type") for m in items] if isinstance(items, list) else items,
        "date": sorted({stamp(m.get("date")) or "null" for m in items}) if isinstance(items, list) else None,
    }
    obs["list_messages_for_run.unknown_cursor"] = error(
        http.get(f"/v1/runs/{names['r1']}/messages", params={"after": _unknown("message")})
    )

    answer = http.get(f"/v1/runs/{names['r1']}/usage")
    usage = body_of(answer)
    obs["retrieve_usage_for_run"] = {
        "status": answer.status_code,
        "keys": sorted(usage) if isinstance(usage, dict) else usage,
    }
    answer = http.get(f"/v1/runs/{names['r1']}/metrics")
    metrics = body_of(answer)
    obs["retrieve_metrics_for_run"] = {
        "status": answer.status_code,
        "has_organization_id": isinstance(metrics, dict) and "organization_id" in metrics,
        "ttft_ns_null": isinstance(metrics, dict) and metrics.get("ttft_ns") is None,
    }
    answer = http.get(f"/v1/runs/{names['r1']}/steps")
    steps = body_of(answer)
    obs["list_steps_for_run"] = {
        "status": answer.status_code,
        "count": len(steps) if isinstance(steps, list) else steps,
        "has_organization_id": bool(steps) and isinstance(steps, list) and "organization_id" in steps[0],
    }
    obs["list_steps_for_run.unknown_cursor"] = error(
        http.get(f"/v1/runs/{names['r1']}/steps", params={"after": _unknown("step")})
    )
    answer = http.get(f"/v1/runs/{names['r1']}/trace")
    obs["retrieve_trace_for_run"] = {"status": answer.status_code}

    obs["retrieve_stream_for_run"] = read_stream(http, f"/v1/runs/{names['rs']}/stream", body={})
    obs["retrieve_stream_for_run.no_body"] = error(http.post(f"/v1/runs/{names['rs']}/stream"))
    # Not streamed: an async-messages run is a background run with nothing in Redis, and its stream on
    # the real server never sends a byte (no headers either), so a client without a read timeout hangs.

    obs["delete_run"] = error(http.delete(f"/v1/runs/{names['r3']}"))
    obs["delete_run.retrieve"] = {"status": http.get(f"/v1/runs/{names['r3']}").status_code}


def _jobs(obs: Observations, names: Names, http: httpx.Client) -> None:
    answer = http.get("/v1/jobs/")
    obs["list_jobs"] = {"status": answer.status_code, "listed": names.listed(body_of(answer))}
    answer = http.get("/v1/jobs/active")
    obs["list_active_jobs"] = {"status": answer.status_code, "listed": names.listed(body_of(answer))}
    obs["list_jobs.unknown_cursor"] = error(http.get("/v1/jobs/", params={"after": _unknown("job")}))
    answer = http.get(f"/v1/jobs/{names['b1']}")
    job = body_of(answer)
    obs["retrieve_job.batch"] = {
        "status": answer.status_code,
        "job_type": job.get("job_type") if isinstance(job, dict) else None,
    }
    obs["retrieve_job.run"] = {"status": http.get(f"/v1/jobs/{names['r1']}").status_code}

    # Cancel through the jobs route: the real server cancels, then fails to answer.
    obs["cancel_job"] = error(http.patch(f"/v1/jobs/{names['b1']}/cancel"))
    answer = http.get(f"/v1/messages/batches/{names['b1']}")
    obs["cancel_job.batch_after"] = {
        "status": answer.status_code,
        "batch_status": body_of(answer).get("status"),
    }
    answer = http.patch(f"/v1/messages/batches/{names['b1']}/cancel")
    obs["cancel_batch.after_end"] = {"status": answer.status_code, "body": body_of(answer)}

    answer = http.delete(f"/v1/jobs/{names['b3']}")
    obs["delete_job"] = {
        "status": answer.status_code,
        "id": names.by_id.get(body_of(answer).get("id", "")) if answer.status_code == 200 else None,
    }
    obs["delete_job.retrieve_batch"] = error(http.get(f"/v1/messages/batches/{names['b3']}"))
