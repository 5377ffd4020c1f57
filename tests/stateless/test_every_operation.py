"""No stateless answer fails, for any seed, operation or valid request, realistic or fuzzed.

tests/contract/test_properties.py checks the realistic backend's answer to each operation's
default request for any seed, and tests/strategies/test_against_server.py drawn requests
against seed 0. Here the two meet, for both kinds of responses: drawn requests (filters,
cursors, bodies) against any seed, plus a plain sweep of seeds 0..199 over all 20 operations.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.strategies import from_operation

from .support import PROPERTY, RESPONSES, TABLE, Call, Responses, answer, backend, undocumented

OPERATION_IDS = list(TABLE)
SEEDS = range(200)
BATCH_ID = "job-00000000-0000-4000-8000-00000000000b"
RUN_ID = "run-00000000-0000-4000-8000-00000000000c"
PATH_IDS = {"batch_id": BATCH_ID, "run_id": RUN_ID, "job_id": BATCH_ID}
BODIES = {
    "create_batch": {"requests": [{"agent_id": "agent-00000000-0000-4000-8000-000000000001", "input": "hi"}]},
    "retrieve_stream_for_run": {},
}


def default_call(operation_id: str) -> Call:
    op = TABLE[operation_id]
    path = {p.name: PATH_IDS[p.name] for p in op.params_in("path")}
    return Call(operation_id, path, body=BODIES.get(operation_id))


def test_the_sweep_covers_all_20_operations() -> None:
    assert len(OPERATION_IDS) == 20
    assert {p.name for op in TABLE.values() for p in op.params_in("path")} <= set(PATH_IDS)


@pytest.mark.slow
@pytest.mark.parametrize("responses", RESPONSES)
def test_every_seed_answers_every_operation_as_documented(responses: Responses) -> None:
    calls = [default_call(operation_id) for operation_id in OPERATION_IDS]
    failures = {}
    for seed in SEEDS:
        stateless = backend(seed, responses)
        for call in calls:
            found = answer(stateless, call)
            problems = [f"status {found.status}"] if not 200 <= found.status < 300 else []
            problems += undocumented(TABLE[call.operation_id], found)
            if problems:
                failures[seed, call.operation_id] = problems
    assert failures == {}


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
@PROPERTY
@given(data=st.data(), seed=st.integers(), responses=st.sampled_from(RESPONSES), realistic=st.booleans())
def test_any_valid_request_and_seed_gets_a_documented_2xx(
    operation_id: str, data: st.DataObject, seed: int, responses: Responses, realistic: bool
) -> None:
    drawn = data.draw(from_operation(operation_id, realistic=realistic), label="request")
    call = Call(operation_id, dict(drawn.path), drawn.params, drawn.body)
    found = answer(backend(seed, responses), call)
    assert 200 <= found.status < 300, found.text
    assert undocumented(TABLE[operation_id], found) == []


@pytest.mark.parametrize("responses", RESPONSES)
def test_the_same_seed_gives_byte_identical_answers_and_another_seed_others(responses: Responses) -> None:
    calls = [default_call(operation_id) for operation_id in OPERATION_IDS]
    calls += [default_call("create_batch")] * 2  # the second create is another batch, alike in both

    def texts(seed: int) -> list[str]:
        stateless = backend(seed, responses)
        return [answer(stateless, call).text for call in calls]

    for seed in (0, 3, 41):
        assert texts(seed) == texts(seed)
        assert texts(seed) != texts(seed + 1000)
