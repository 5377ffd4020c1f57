"""Timestamps written by the simulation are the text ``datetime`` gives, to the microsecond."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mockserver._contract.generate import rfc3339
from mockserver._simulation.wire import stamp


@settings(max_examples=2_000, deadline=None)
@given(
    st.floats(min_value=-2e9, max_value=4e9, allow_nan=False)
    | st.builds(lambda s, us: s + us / 1e6, st.integers(0, 4 * 10**9), st.integers(0, 999_999))
    | st.builds(lambda s, half: s + half / 2e6, st.integers(0, 4 * 10**9), st.integers(0, 2_000_000))
)
@example(1_764_695_000.0)
@example(1_764_695_000.9999996)  # rounds up into the next second
@example(1_764_695_000.0000005)  # a tie at half a microsecond
@example(-0.5)
def test_stamp_is_the_text_datetime_gives(seconds: float) -> None:
    assert stamp(seconds) == rfc3339(datetime.fromtimestamp(seconds, UTC))


def test_stamps_of_one_second_and_the_next() -> None:
    assert stamp(1_764_695_000.25) == "2025-12-02T17:03:20.250000Z"
    assert stamp(1_764_695_000.0) == "2025-12-02T17:03:20Z"
    assert stamp(1_764_695_001.5) == "2025-12-02T17:03:21.500000Z"
