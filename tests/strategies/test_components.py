"""The plural helpers: each draws its component, realistic draws read like the real server's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st

from mockserver import strategies

from .support import PROPERTY, RFC3339, id_pattern, realistic_problems, violations, walk

Helper = Callable[..., st.SearchStrategy[Any]]
# helper, its component, the prefix of its `id` (None: no id of a known form).
HELPERS: list[tuple[Helper, str, str | None]] = [
    (strategies.batch_jobs, "BatchJob", "job"),
    (strategies.create_batch_requests, "CreateBatch", None),
    (strategies.jobs, "Job", "job"),
    (strategies.letta_messages, "LettaMessageUnion", "message"),
    (strategies.messages, "Message", "message"),
    (strategies.run_metrics, "RunMetrics", "run"),
    (strategies.runs, "Run", "run"),
    (strategies.steps, "Step", "step"),
    (strategies.usage_statistics, "UsageStatistics", None),
]
HELPER_IDS = [helper.__name__ for helper, _, _ in HELPERS]
# Ids whose schema has a pattern come out as `<prefix>-<uuid4>` in the default mode too.
PATTERNED_IDS: list[tuple[Helper, str, str]] = [
    (strategies.batch_jobs, "id", "job"),
    (strategies.jobs, "id", "job"),
    (strategies.runs, "id", "run"),
    (strategies.messages, "id", "message"),
]
# Generation only: the first example found is proof enough, and shrinking a big object takes long.
FIND = settings(database=None, max_examples=500, phases=[Phase.generate])
TIME_FIELDS = frozenset({"created_at", "completed_at", "callback_sent_at", "date"})


@pytest.mark.parametrize(("helper", "component", "id_prefix"), HELPERS, ids=HELPER_IDS)
@PROPERTY
@given(data=st.data())
def test_each_helper_draws_its_component(
    helper: Helper, component: str, id_prefix: str | None, data: st.DataObject
) -> None:
    value = data.draw(helper())
    assert violations(f"/components/schemas/{component}", value) == []


@pytest.mark.parametrize(("helper", "component", "id_prefix"), HELPERS, ids=HELPER_IDS)
@PROPERTY
@given(data=st.data())
def test_realistic_draws_are_readable_sdk_safe_and_have_prefixed_ids(
    helper: Helper, component: str, id_prefix: str | None, data: st.DataObject
) -> None:
    """Still valid; readable strings, arrays of at most 3, no SDK-unsafe enum, `<prefix>-<uuid4>` ids."""
    value = data.draw(helper(realistic=True))
    assert violations(f"/components/schemas/{component}", value) == []
    assert realistic_problems(value, id_prefix) == []
    if id_prefix is not None and "id" in value:
        assert id_pattern(id_prefix).match(value["id"])


@pytest.mark.parametrize(
    ("helper", "field", "prefix"), PATTERNED_IDS, ids=lambda v: getattr(v, "__name__", v)
)
@PROPERTY
@given(data=st.data())
def test_ids_with_a_pattern_are_prefixed_uuid4s_in_the_default_mode(
    helper: Helper, field: str, prefix: str, data: st.DataObject
) -> None:
    value = data.draw(helper(overrides=None))
    if field in value:  # optional in BatchJob and Job
        assert id_pattern(prefix).match(value[field])


@pytest.mark.parametrize("realistic", [False, True], ids=["default", "realistic"])
@PROPERTY
@given(data=st.data())
def test_times_are_rfc3339_with_an_offset(realistic: bool, data: st.DataObject) -> None:
    run = data.draw(strategies.runs(realistic=realistic))
    message = data.draw(strategies.letta_messages(realistic=realistic))
    times = [v for k, v in walk([run, message]) if k in TIME_FIELDS and v is not None]
    assert all(RFC3339.match(time) for time in times), times


@PROPERTY
@given(data=st.data())
def test_overrides_fix_fields_of_the_drawn_object(data: st.DataObject) -> None:
    run = data.draw(strategies.runs(realistic=True, overrides={"status": "failed", "stop_reason": "error"}))
    assert (run["status"], run["stop_reason"]) == ("failed", "error")


def _strings(value: Any) -> list[str]:
    return [item for _, item in walk(value) if isinstance(item, str)]


@pytest.mark.slow
def test_the_default_mode_explores_unicode_nulls_and_empty_arrays() -> None:
    """Reachable by default, never in realistic mode: non-ASCII text, nulls, `[]`, SDK-unsafe values."""
    find(strategies.runs(), lambda run: any(not s.isascii() for s in _strings(run)), settings=FIND)
    find(strategies.batch_jobs(), lambda job: job.get("completed_at", "") is None, settings=FIND)
    find(strategies.steps(), lambda step: step.get("tags") == [], settings=FIND)
    find(strategies.letta_messages(), lambda m: m["message_type"] == "summary_message", settings=FIND)
