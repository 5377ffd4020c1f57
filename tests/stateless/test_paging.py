"""Cursor pagination: walking pages the way the SDK does visits every item exactly once."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mockserver._answers.paging import Order, page


def _walk(items: list[str], order: Order, limit: int, backwards: bool) -> list[str]:
    seen: list[str] = []
    first = page(items, str, order=order, limit=limit)
    if backwards:
        # Start from the end of the requested order and walk with `before=<first id>`.
        everything = page(items, str, order=order)
        first = everything[-limit:] if everything else []
    current = first
    for _ in range(len(items) + 2):
        if not current:
            return seen
        seen.extend(reversed(current) if backwards else current)
        cursor = {"before": current[0]} if backwards else {"after": current[-1]}
        current = page(items, str, order=order, limit=limit, **cursor)
    raise AssertionError("pagination did not end")


@given(
    count=st.integers(0, 30),
    limit=st.integers(1, 8),
    order=st.sampled_from(["asc", "desc"]),
    backwards=st.booleans(),
)
def test_auto_pagination_visits_each_item_once(count: int, limit: int, order: Order, backwards: bool) -> None:
    items = [f"id-{i:03d}" for i in range(count)]
    walked = _walk(items, order, limit, backwards)
    expected = items if order == "asc" else list(reversed(items))
    assert walked == (list(reversed(expected)) if backwards else expected)


def test_after_and_before_follow_the_requested_order() -> None:
    items = ["a", "b", "c", "d", "e"]
    assert page(items, str, order="asc", after="b") == ["c", "d", "e"]
    assert page(items, str, order="desc", after="b") == ["a"]
    assert page(items, str, order="asc", before="d", limit=2) == ["b", "c"]
    assert page(items, str, order="desc", before="b", limit=2) == ["d", "c"]
    assert page(items, str, order="asc", after="a", before="e") == ["b", "c", "d"]


def test_limit_zero_is_empty_and_unknown_cursors_are_ignored() -> None:
    items = ["a", "b", "c"]
    assert page(items, str, order="asc", limit=0) == []
    assert page(items, str, order="asc", after="zzz", limit=2) == ["a", "b"]
    assert page(items, str, order="asc", after="c") == []
