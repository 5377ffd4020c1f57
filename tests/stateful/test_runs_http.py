"""Runs over HTTP on the manual clock: seeding, progression, every runs endpoint, errors and the stream."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from .conftest import (
    AGENT_A,
    AGENT_B,
    AGENT_C,
    JOB_DURATION,
    RUNNING_AFTER,
    UNKNOWN_RUN,
    MockApi,
    date_stamp,
    parse_time,
    stamp,
)

RUNS = "/v1/runs/"
DEFAULT_TYPES = ["user_message", "reasoning_message", "assistant_message"]
Run = dict[str, Any]


def _types(messages: list[dict[str, Any]]) -> list[str]:
    return [str(m["message_type"]) for m in messages]


def _stream(api: MockApi, run_id: str, body: Any = None) -> list[Any]:
    """Every ``data:`` payload of the run's stream, ``[DONE]`` included as the string."""
    kwargs: dict[str, Any] = {} if body is None else {"json": body}
    with api.http.stream("POST", f"/v1/runs/{run_id}/stream", **kwargs) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        text = response.read().decode()
    assert text.endswith("\n\n")
    events: list[Any] = []
    for block in text.split("\n\n")[:-1]:
        assert block.startswith("data: "), block
        payload = block.removeprefix("data: ")
        events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


# -- seeding and progression -----------------------------------------------------------------


def test_default_seed_runs_a_small_exchange_on_the_clock(api: MockApi) -> None:
    """A seed with only ``agent_id`` runs user, reasoning and assistant messages in one step,
    then completes.
    """
    t0 = api.now()
    run = api.seed_run(agent_id=AGENT_A)
    assert run["id"].startswith("run-")
    assert (run["status"], run["agent_id"], run["background"]) == ("created", AGENT_A, True)
    assert run["created_at"] == stamp(t0)
    assert run["completed_at"] is None
    assert run["stop_reason"] is None
    assert api.get_list(f"/v1/runs/{run['id']}/messages") == []

    api.advance(RUNNING_AFTER)
    assert api.run(run["id"])["status"] == "running"
    api.advance(0.5 - RUNNING_AFTER)
    messages = api.get_list(f"/v1/runs/{run['id']}/messages")
    assert _types(messages) == ["user_message"]
    assert messages[0]["date"] == date_stamp(t0 + 0.5)
    assert messages[0]["run_id"] == run["id"]
    assert len(api.get_list(f"/v1/runs/{run['id']}/steps")) == 1

    api.advance(1.0)
    assert _types(api.get_list(f"/v1/runs/{run['id']}/messages")) == DEFAULT_TYPES
    assert api.run(run["id"])["status"] == "running"

    api.advance(0.5)
    done = api.run(run["id"])
    assert done["status"] == "completed"
    assert done["stop_reason"] == "end_turn"
    assert done["completed_at"] == stamp(t0 + JOB_DURATION)
    assert done["total_duration_ns"] == 2_000_000_000
    steps = api.get_list(f"/v1/runs/{run['id']}/steps")
    assert [step["stop_reason"] for step in steps] == ["end_turn"]
    assert {m["step_id"] for m in api.get_list(f"/v1/runs/{run['id']}/messages")} == {steps[0]["id"]}


@pytest.mark.parametrize(
    ("status", "stop_reason", "expected_reason", "expected_types"),
    [
        ("completed", None, "end_turn", DEFAULT_TYPES),
        ("completed", "max_steps", "max_steps", DEFAULT_TYPES),
        ("failed", None, "error", DEFAULT_TYPES),
        ("failed", "llm_api_error", "llm_api_error", DEFAULT_TYPES),
        ("cancelled", None, "cancelled", ["user_message"]),
    ],
)
def test_terminal_seed_is_finished_at_once(
    api: MockApi, status: str, stop_reason: str | None, expected_reason: str, expected_types: list[str]
) -> None:
    """A run seeded terminal has lived its duration already: finished now, with everything it produced."""
    now = api.now()
    spec: dict[str, Any] = {"status": status}
    if stop_reason is not None:
        spec["stop_reason"] = stop_reason
    run = api.seed_run(**spec)
    assert run["status"] == status
    assert run["stop_reason"] == expected_reason
    assert run["created_at"] == stamp(now - JOB_DURATION)
    assert run["completed_at"] == stamp(now)
    assert run["total_duration_ns"] == 2_000_000_000
    assert _types(api.get_list(f"/v1/runs/{run['id']}/messages")) == expected_types
    assert api.clock()["pending_changes"] == 0
    api.advance(10)
    assert api.run(run["id"]) == run


@pytest.mark.parametrize(
    ("status", "stop_reason"),
    [("completed", "error"), ("failed", "end_turn"), ("cancelled", "max_steps"), ("completed", "cancelled")],
)
def test_terminal_seed_with_a_contradicting_stop_reason_is_422(
    api: MockApi, status: str, stop_reason: str
) -> None:
    """A terminal status and a stop reason implying another status are refused at ``body.stop_reason``."""
    response = api.http.post(
        "/_mock/runs", json={"agent_id": AGENT_A, "status": status, "stop_reason": stop_reason}
    )
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"] == ["body", "stop_reason"]
    assert problem["type"] == "value_error"
    assert repr(stop_reason) in problem["msg"]
    assert repr(status) in problem["msg"]
    assert api.get_list(RUNS) == []


@pytest.mark.parametrize(
    ("stop_reason", "final"),
    [("llm_api_error", "failed"), ("cancelled", "cancelled"), ("requires_approval", "completed")],
)
def test_stop_reason_of_a_live_seed_decides_its_final_status(
    api: MockApi, stop_reason: str, final: str
) -> None:
    """A run in progress ends in the status its stop reason implies, passing through ``running``."""
    run = api.seed_run(stop_reason=stop_reason)
    api.advance(1.0)
    assert api.run(run["id"])["status"] == "running"
    api.advance(1.0)
    done = api.run(run["id"])
    assert (done["status"], done["stop_reason"]) == (final, stop_reason)


def test_seed_running_with_custom_fields(api: MockApi) -> None:
    """``status``, ``background``, ``metadata``, ``conversation_id``,
    ``callback_url`` and ``duration`` are kept.
    """
    t0 = api.now()
    run = api.seed_run(
        agent_id=AGENT_B,
        status="running",
        background=False,
        metadata={"run_type": "send_message"},
        conversation_id="conversation-1",
        callback_url="https://example.com/hook",
        duration=10,
    )
    assert run["status"] == "running"
    assert (run["background"], run["metadata"], run["conversation_id"], run["callback_url"]) == (
        False,
        {"run_type": "send_message"},
        "conversation-1",
        "https://example.com/hook",
    )
    api.advance(9.5)
    assert api.run(run["id"])["status"] == "running"
    api.advance(0.5)
    assert api.run(run["id"])["completed_at"] == stamp(t0 + 10)


def test_seed_with_custom_messages_steps_and_usage(api: MockApi) -> None:
    """Seeded messages are completed and kept in order; given steps are kept; usage sums the steps."""
    messages = [
        {"message_type": "user_message", "content": "Plan my week"},
        {"message_type": "assistant_message", "content": "Monday: rest."},
        {"message_type": "assistant_message", "content": "Tuesday: more rest."},
    ]
    steps = [{"prompt_tokens": 700, "completion_tokens": 20}, {"prompt_tokens": 300, "completion_tokens": 7}]
    run = api.seed_run(messages=messages, steps=steps)
    api.advance(JOB_DURATION)
    stored = api.get_list(f"/v1/runs/{run['id']}/messages")
    assert [(m["message_type"], m["content"]) for m in stored] == [
        (m["message_type"], m["content"]) for m in messages
    ]
    assert all(m["run_id"] == run["id"] and m["id"].startswith("message-") for m in stored)
    step_bodies = api.get_list(f"/v1/runs/{run['id']}/steps", order="asc")
    assert [(s["prompt_tokens"], s["completion_tokens"]) for s in step_bodies] == [(700, 20), (300, 7)]
    assert all(s["run_id"] == run["id"] for s in step_bodies)
    usage = api.obj(api.http.get(f"/v1/runs/{run['id']}/usage"))
    assert usage == {
        "completion_tokens": 27,
        "prompt_tokens": 1000,
        "total_tokens": 1027,
        "prompt_tokens_details": None,
        "completion_tokens_details": None,
    }
    metrics = api.obj(api.http.get(f"/v1/runs/{run['id']}/metrics"))
    assert metrics["num_steps"] == 2


def test_seed_usage_is_split_over_the_steps(api: MockApi) -> None:
    """``usage`` totals are shared out over the steps (one per assistant message) and sum back exactly."""
    messages = [
        {"message_type": "user_message", "content": "q"},
        {"message_type": "assistant_message", "content": "a1"},
        {"message_type": "assistant_message", "content": "a2"},
    ]
    run = api.seed_run(messages=messages, usage={"prompt_tokens": 1001, "completion_tokens": 11})
    api.advance(JOB_DURATION)
    steps = api.get_list(f"/v1/runs/{run['id']}/steps", order="asc")
    assert [(s["prompt_tokens"], s["completion_tokens"]) for s in steps] == [(501, 6), (500, 5)]
    usage = api.obj(api.http.get(f"/v1/runs/{run['id']}/usage"))
    assert (usage["prompt_tokens"], usage["completion_tokens"], usage["total_tokens"]) == (1001, 11, 1012)


@pytest.mark.parametrize(
    ("messages", "loc"),
    [
        ([{"message_type": "shouting_message", "content": "HI"}], 0),
        ([{"content": "no type"}], 0),
    ],
    ids=["unknown-type", "no-type"],
)
def test_seed_message_without_a_known_type_is_422_naming_its_index(
    api: MockApi, messages: list[Any], loc: int
) -> None:
    """The payload schema wants a known ``message_type``: 422 at ``body.messages.N``."""
    response = api.http.post("/_mock/runs", json={"agent_id": AGENT_A, "messages": messages})
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert problems
    assert all(problem["loc"][:3] == ["body", "messages", loc] for problem in problems)
    assert api.get_list(RUNS) == []


def test_seed_message_that_cannot_be_a_letta_message_is_400_naming_the_field(api: MockApi) -> None:
    """The payload matches its schema, but what it describes breaks the documented message schema."""
    messages = [
        {"message_type": "user_message", "content": "hi"},
        {"message_type": "reasoning_message", "reasoning": 42},
    ]
    response = api.http.post("/_mock/runs", json={"agent_id": AGENT_A, "messages": messages})
    assert response.status_code == 400
    assert response.json() == {"detail": "body.messages.1.reasoning: Input should be a valid string"}
    assert api.get_list(RUNS) == []


def test_seed_message_missing_required_fields_gets_them_generated(api: MockApi) -> None:
    """Only ``message_type`` is needed: the rest of a documented message is filled in."""
    run = api.seed_run(messages=[{"message_type": "assistant_message"}])
    api.advance(JOB_DURATION)
    (message,) = api.get_list(f"/v1/runs/{run['id']}/messages")
    assert message["message_type"] == "assistant_message"
    assert message["content"]
    assert message["run_id"] == run["id"]


def test_seed_with_an_existing_id_is_409(api: MockApi) -> None:
    """Seeding an id twice conflicts; the first run is untouched."""
    run = api.seed_run(id=UNKNOWN_RUN)
    response = api.http.post("/_mock/runs", json={"agent_id": AGENT_B, "id": UNKNOWN_RUN})
    assert response.status_code == 409
    assert UNKNOWN_RUN in response.json()["detail"]
    assert api.run(UNKNOWN_RUN) == run


# -- listing -----------------------------------------------------------------------------------


@pytest.fixture
def fleet(api: MockApi) -> dict[str, Run]:
    """Five runs of three agents, two running and three finished, some created together; now ``t0 + 1``."""
    live = api.seed_run(agent_id=AGENT_A, conversation_id="conversation-1")
    api.advance(1.0)
    return {
        "live": live,
        "failed": api.seed_run(
            agent_id=AGENT_B, status="failed", stop_reason="llm_api_error", background=False, duration=0.5
        ),
        "cancelled": api.seed_run(agent_id=AGENT_A, status="cancelled", duration=0.25),
        "max_steps": api.seed_run(agent_id=AGENT_C, status="completed", stop_reason="max_steps", duration=0),
        "running": api.seed_run(agent_id=AGENT_B, status="running"),
    }


def _newest_first(runs: list[Run]) -> list[str]:
    ordered = sorted(runs, key=lambda run: (parse_time(run["created_at"]), run["id"]), reverse=True)
    return [run["id"] for run in ordered]


FILTERS: list[tuple[dict[str, Any], Callable[[Run], bool]]] = [
    ({}, lambda r: True),
    ({"agent_id": AGENT_A}, lambda r: r["agent_id"] == AGENT_A),
    ({"agent_ids": [AGENT_A, AGENT_C]}, lambda r: r["agent_id"] in (AGENT_A, AGENT_C)),
    ({"agent_id": AGENT_B, "agent_ids": [AGENT_A]}, lambda r: r["agent_id"] == AGENT_B),
    ({"statuses": ["failed", "cancelled"]}, lambda r: r["status"] in ("failed", "cancelled")),
    ({"statuses": ["running"]}, lambda r: r["status"] == "running"),
    ({"background": False}, lambda r: r["background"] is False),
    ({"background": True}, lambda r: r["background"] is True),
    ({"stop_reason": "max_steps"}, lambda r: r["stop_reason"] == "max_steps"),
    ({"stop_reason": "end_turn"}, lambda r: False),
    ({"conversation_id": "conversation-1"}, lambda r: r["conversation_id"] == "conversation-1"),
    ({"active": True}, lambda r: r["status"] in ("created", "running")),
    ({"active": True, "statuses": ["failed"]}, lambda r: r["status"] == "failed"),
    ({"active": True, "agent_id": AGENT_A}, lambda r: r["status"] == "running" and r["agent_id"] == AGENT_A),
]


@pytest.mark.parametrize(("params", "keep"), FILTERS, ids=[json.dumps(p) for p, _ in FILTERS])
def test_list_runs_filters(
    api: MockApi, fleet: dict[str, Run], params: dict[str, Any], keep: Callable[[Run], bool]
) -> None:
    """Each filter of ``GET /v1/runs/`` keeps exactly the matching runs, newest first."""
    everything = [api.run(run["id"]) for run in fleet.values()]
    assert {run["status"] for run in everything} == {"running", "failed", "cancelled", "completed"}
    assert api.ids(RUNS, **params) == _newest_first([run for run in everything if keep(run)])


def test_list_runs_order_and_the_deprecated_ascending_flag(api: MockApi, fleet: dict[str, Run]) -> None:
    """``order=asc`` reverses the list; ``ascending=true`` forces ascending;
    ``ascending=false`` forces nothing.
    """
    newest_first = _newest_first(list(fleet.values()))
    assert api.ids(RUNS) == newest_first
    assert api.ids(RUNS, order="asc") == newest_first[::-1]
    assert api.ids(RUNS, ascending=True) == newest_first[::-1]
    assert api.ids(RUNS, ascending=True, order="desc") == newest_first[::-1]
    assert api.ids(RUNS, ascending=False, order="asc") == newest_first[::-1]
    assert api.ids(RUNS, ascending=False) == newest_first


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_list_runs_cursors_follow_the_documented_order(
    api: MockApi, fleet: dict[str, Run], order: str
) -> None:
    """``after``/``before`` mean after/before in the requested order; an unknown cursor is ignored."""
    ids = api.ids(RUNS, order=order)
    assert len(ids) == len(fleet)
    assert api.ids(RUNS, order=order, after=ids[1]) == ids[2:]
    assert api.ids(RUNS, order=order, after=ids[0], limit=2) == ids[1:3]
    assert api.ids(RUNS, order=order, before=ids[4], limit=2) == ids[2:4]
    assert api.ids(RUNS, order=order, after=ids[0], before=ids[3]) == ids[1:3]
    assert api.ids(RUNS, order=order, after=UNKNOWN_RUN) == ids
    assert api.ids(RUNS, order=order, before=UNKNOWN_RUN, limit=2) == ids[:2]
    assert api.ids(RUNS, order=order, agent_id=AGENT_A, after=ids[0]) == [
        run_id for run_id in ids[1:] if api.run(run_id)["agent_id"] == AGENT_A
    ]


def test_list_runs_limit_bounds(api: MockApi, fleet: dict[str, Run]) -> None:
    """``limit`` is 1..1000: it cuts the page, and 0 or 1001 are 422."""
    assert len(api.ids(RUNS, limit=3)) == 3
    for bad, kind in ((0, "greater_than_equal"), (1001, "less_than_equal")):
        response = api.http.get(RUNS, params={"limit": bad})
        assert response.status_code == 422
        assert [(p["loc"], p["type"]) for p in response.json()["detail"]] == [(["query", "limit"], kind)]


def test_list_runs_unknown_status_is_400(api: MockApi) -> None:
    """An unknown ``statuses`` value is the real server's 400."""
    response = api.http.get(RUNS, params={"statuses": ["running", "bogus"]})
    assert response.status_code == 400
    assert response.json() == {"detail": "'bogus' is not a valid RunStatus"}


def test_active_runs_endpoint(api: MockApi, fleet: dict[str, Run]) -> None:
    """``/v1/runs/active`` lists created and running runs newest first, filtered by agent and background."""
    assert api.ids("/v1/runs/active") == _newest_first([fleet["live"], fleet["running"]])
    assert api.ids("/v1/runs/active", agent_id=AGENT_B) == [fleet["running"]["id"]]
    assert api.ids("/v1/runs/active", background=False) == []
    api.advance(JOB_DURATION)
    assert api.ids("/v1/runs/active") == []
    assert api.ids(RUNS, stop_reason="end_turn") == _newest_first([fleet["live"], fleet["running"]])


# -- one run ---------------------------------------------------------------------------------


def test_retrieve_then_delete_then_404_everywhere(api: MockApi, fleet: dict[str, Run]) -> None:
    """``DELETE`` answers 200 ``null``; the run is then gone from every endpoint and every list."""
    run_id = fleet["live"]["id"]
    assert api.run(run_id)["status"] == "running"
    response = api.http.delete(f"/v1/runs/{run_id}")
    assert response.status_code == 200
    assert response.json() is None
    for suffix in ("", "/messages", "/usage", "/metrics", "/steps", "/trace"):
        response = api.http.get(f"/v1/runs/{run_id}{suffix}")
        assert response.status_code == 404, suffix
        assert response.json() == {"detail": f"Run not found with id='{run_id}'"}
    assert api.http.post(f"/v1/runs/{run_id}/stream", json={}).status_code == 404
    assert api.http.delete(f"/v1/runs/{run_id}").status_code == 404
    assert run_id not in api.ids(RUNS)
    assert run_id not in api.ids(RUNS, agent_id=AGENT_A)
    assert run_id not in api.ids("/v1/runs/active")
    api.advance(JOB_DURATION)
    assert run_id not in api.ids(RUNS)


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_run_messages_order_and_cursors(api: MockApi, order: str) -> None:
    """Run messages page like every list; the default order is ``asc``; an unknown cursor is 404."""
    run = api.seed_run(messages=[{"message_type": "user_message", "content": str(i)} for i in range(5)])
    api.advance(JOB_DURATION)
    path = f"/v1/runs/{run['id']}/messages"
    contents = [m["content"] for m in api.get_list(path, order=order)]
    assert contents == (["0", "1", "2", "3", "4"] if order == "asc" else ["4", "3", "2", "1", "0"])
    assert api.get_list(path) == api.get_list(path, order="asc")
    ids = api.ids(path, order=order)
    assert api.ids(path, order=order, after=ids[1], limit=2) == ids[2:4]
    assert api.ids(path, order=order, before=ids[4], limit=3) == ids[1:4]
    assert api.ids(path, order=order, after=ids[4]) == []
    response = api.http.get(path, params={"before": UNKNOWN_RUN})
    assert response.status_code == 404
    assert response.json() == {"detail": f"No message found with id '{UNKNOWN_RUN}' for run '{run['id']}'"}


def test_run_steps_order_cursors_and_unknown_cursor(api: MockApi) -> None:
    """Steps default to newest first, page with cursors, and answer 404 for an unknown cursor."""
    run = api.seed_run(
        messages=[{"message_type": "assistant_message", "content": str(i)} for i in range(3)],
        steps=[{"prompt_tokens": i, "completion_tokens": 0} for i in range(3)],
    )
    api.advance(JOB_DURATION)
    path = f"/v1/runs/{run['id']}/steps"
    assert [s["prompt_tokens"] for s in api.get_list(path)] == [2, 1, 0]
    assert [s["prompt_tokens"] for s in api.get_list(path, order="asc")] == [0, 1, 2]
    ids = api.ids(path)
    assert api.ids(path, after=ids[0]) == ids[1:]
    assert api.ids(path, before=ids[2], limit=1) == ids[1:2]
    response = api.http.get(path, params={"after": "step-x"})
    assert response.status_code == 404
    assert response.json() == {"detail": "No Step found with id step-x"}


def test_usage_and_metrics_follow_the_steps(api: MockApi) -> None:
    """Usage is zero before the first step and the sum after; metrics count steps and time the run."""
    t0 = api.now()
    run = api.seed_run()
    path = f"/v1/runs/{run['id']}"
    empty = api.obj(api.http.get(f"{path}/usage"))
    assert (empty["prompt_tokens"], empty["completion_tokens"], empty["total_tokens"]) == (0, 0, 0)
    metrics = api.obj(api.http.get(f"{path}/metrics"))
    assert metrics == {
        "id": run["id"],
        "agent_id": AGENT_A,
        "project_id": None,
        "run_start_ns": round(t0 * 1_000_000_000),
        "run_ns": None,
        "num_steps": 0,
        "tools_used": None,
        "template_id": None,
        "base_template_id": None,
    }
    api.advance(JOB_DURATION)
    steps = api.get_list(f"{path}/steps")
    usage = api.obj(api.http.get(f"{path}/usage"))
    assert usage["prompt_tokens"] == sum(s["prompt_tokens"] for s in steps) > 0
    assert usage["completion_tokens"] == sum(s["completion_tokens"] for s in steps) > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    metrics = api.obj(api.http.get(f"{path}/metrics"))
    assert (metrics["num_steps"], metrics["run_ns"]) == (len(steps), 2_000_000_000)


def test_trace_returns_the_fixture_spans_up_to_limit(api: MockApi) -> None:
    """The trace is the shipped fixture's spans; ``limit`` cuts them."""
    run = api.seed_run()
    spans = api.get_list(f"/v1/runs/{run['id']}/trace")
    assert spans
    assert all({"trace_id", "span_id", "name"} <= set(span) for span in spans)
    assert api.get_list(f"/v1/runs/{run['id']}/trace", limit=1) == spans[:1]


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("DELETE", ""),
        ("GET", "/messages"),
        ("GET", "/usage"),
        ("GET", "/metrics"),
        ("GET", "/steps"),
        ("GET", "/trace"),
        ("POST", "/stream"),
    ],
)
def test_malformed_and_unknown_run_ids(api: MockApi, method: str, suffix: str) -> None:
    """A malformed run id is 400 ``INVALID_ARGUMENT`` on every endpoint; an unknown one is 404 naming it."""
    body: dict[str, Any] | None = {} if method == "POST" else None
    response = api.http.request(method, f"/v1/runs/run_id{suffix}", json=body)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "INVALID_ARGUMENT: Invalid run ID format: run_id. Expected format: 'run-<uuid4>'"
    }
    response = api.http.request(method, f"/v1/runs/{UNKNOWN_RUN}{suffix}", json=body)
    assert response.status_code == 404
    assert response.json() == {"detail": f"Run not found with id='{UNKNOWN_RUN}'"}


# -- the stream ------------------------------------------------------------------------------


def test_stream_of_a_finished_run_replays_everything(api: MockApi) -> None:
    """The opening ping (``seq_id`` 1), the agent's messages (2..n; the user's input is not part of
    the stream), the stop reason, usage, then ``[DONE]``."""
    run = api.seed_run()
    api.advance(JOB_DURATION)
    events = _stream(api, run["id"], {})
    assert [e if isinstance(e, str) else e["message_type"] for e in events] == [
        "ping",
        *DEFAULT_TYPES[1:],
        "stop_reason",
        "usage_statistics",
        "[DONE]",
    ]
    assert events[0]["run_id"] == run["id"]
    assert [e["seq_id"] for e in events[:3]] == [1, 2, 3]
    stored = api.get_list(f"/v1/runs/{run['id']}/messages")
    assert [{k: v for k, v in e.items() if k != "seq_id"} for e in events[1:3]] == [
        {k: v for k, v in m.items() if k != "seq_id"} for m in stored[1:]
    ]
    assert events[3] == {"message_type": "stop_reason", "stop_reason": "end_turn"}
    usage = api.obj(api.http.get(f"/v1/runs/{run['id']}/usage"))
    assert events[4]["step_count"] == 1
    assert events[4]["total_tokens"] == usage["total_tokens"]


def test_stream_options_skip_seen_messages_and_pings(api: MockApi) -> None:
    """``starting_after`` skips chunks already seen; ``include_pings: false`` drops the ping;
    no body is fine.
    """
    run = api.seed_run(status="completed")
    resumed = _stream(api, run["id"], {"starting_after": 2, "include_pings": False})
    assert [e if isinstance(e, str) else e["message_type"] for e in resumed] == [
        "assistant_message",
        "stop_reason",
        "usage_statistics",
        "[DONE]",
    ]
    assert resumed[0]["seq_id"] == 3
    assert resumed[1]["stop_reason"] == "end_turn"
    assert _stream(api, run["id"])[0]["message_type"] == "ping"


def test_stream_of_a_foreground_run_is_400(api: MockApi) -> None:
    """A run not created in background mode cannot be streamed."""
    run = api.seed_run(background=False)
    response = api.http.post(f"/v1/runs/{run['id']}/stream", json={})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "INVALID_ARGUMENT: Run was not created in background mode, so it cannot be retrieved."
    }


def test_stream_of_a_run_older_than_three_hours_is_410(api: MockApi) -> None:
    """Three hours after creation the stream is still there; a moment later it has expired."""
    run = api.seed_run()
    api.advance(3 * 60 * 60)
    assert _stream(api, run["id"], {"include_pings": False})[-1] == "[DONE]"
    api.advance(1)
    response = api.http.post(f"/v1/runs/{run['id']}/stream", json={})
    assert response.status_code == 410
    assert response.json() == {
        "detail": "EXPIRED: Run was created more than 3 hours ago, and is now expired."
    }
    old = api.seed_run(created_at=stamp(api.now() - 4 * 60 * 60))
    assert api.http.post(f"/v1/runs/{old['id']}/stream", json={}).status_code == 410
