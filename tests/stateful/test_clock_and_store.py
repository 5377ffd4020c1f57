"""The injected clocks, and the ordered store that pages like the reference paginator."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver._answers.paging import Order, page
from mockserver._simulation.clock import ManualClock, SystemClock, make_clock
from mockserver._simulation.index import Collection, UnknownCursor

# -- clocks ---------------------------------------------------------------------------------


def test_manual_clock_moves_only_when_advanced_and_rewinds_to_its_start() -> None:
    """A manual clock stands still, adds what it is told, and ``rewind`` returns it to its start."""
    clock = ManualClock(start=1_000.0)
    assert clock.kind == "manual"
    assert clock.now() == clock.now() == 1_000.0
    assert clock.advance(2.5) == 1_002.5
    assert clock.advance(0) == 1_002.5
    assert clock.advance(0.25) == clock.now() == 1_002.75
    clock.rewind()
    assert clock.now() == 1_000.0


def test_manual_clock_starts_at_whole_wall_clock_seconds() -> None:
    """Without a start, the manual clock starts at the current wall-clock second."""
    before = time.time()
    clock = ManualClock()
    assert clock.now() == int(clock.now())
    assert int(before) <= clock.now() <= time.time()


@pytest.mark.parametrize("seconds", [-1.0, -1e-9, math.nan, -math.inf])
def test_manual_clock_refuses_negative_and_nan(seconds: float) -> None:
    """Time never goes backwards: a negative or NaN step raises and leaves the clock where it was."""
    clock = ManualClock(start=50.0)
    with pytest.raises(ValueError, match="non-negative"):
        clock.advance(seconds)
    assert clock.now() == 50.0


def test_system_clock_follows_the_wall_clock_and_refuses_advance() -> None:
    """The system clock is the wall clock: it cannot be advanced, and rewinding does nothing."""
    clock = SystemClock()
    assert clock.kind == "system"
    before = time.time()
    assert before <= clock.now() <= time.time()
    with pytest.raises(ValueError, match="--clock manual"):
        clock.advance(1)
    clock.rewind()
    assert before <= clock.now() <= time.time()


def test_make_clock_builds_each_kind() -> None:
    """``make_clock`` maps each clock kind to its class."""
    assert isinstance(make_clock("manual"), ManualClock)
    assert isinstance(make_clock("system"), SystemClock)


# -- the store ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    id: str
    created: int

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.created, self.id)


@st.composite
def collections(draw: st.DrawFn) -> list[Item]:
    """Items with few distinct creation times (so that ties on ``id`` matter), in any insertion order."""
    ids = draw(st.lists(st.text("abcdef", min_size=1, max_size=3), unique=True, max_size=25))
    return [Item(item_id, draw(st.integers(0, 4))) for item_id in ids]


def _stored(items: list[Item]) -> Collection[Item]:
    collection: Collection[Item] = Collection()
    for item in items:
        collection.add(item)
    return collection


def _cursor(data: st.DataObject, items: list[Item]) -> str | None:
    return data.draw(st.none() | st.sampled_from([item.id for item in items])) if items else None


def reference_page(
    chronological: list[Item],
    *,
    order: Order,
    before: str | None,
    after: str | None,
    limit: int | None,
) -> list[Item]:
    """The documented cursor rules by list slicing, written apart from the code both pagers share
    (``index.select``), so that this test can catch a mistake in it."""
    ordered = chronological if order == "asc" else chronological[::-1]
    ids = [item.id for item in ordered]
    start = ids.index(after) + 1 if after is not None else 0
    stop = ids.index(before) if before is not None else len(ordered)
    window = ordered[start:stop] if start <= stop else []
    if limit is None:
        return window
    if limit <= 0:
        return []
    return window[-limit:] if before is not None and after is None else window[:limit]


@given(data=st.data(), items=collections())
def test_page_equals_the_reference_paginator(data: st.DataObject, items: list[Item]) -> None:
    """For known cursors, ``Collection.page`` and ``paging.page`` both return what the rules say."""
    collection = _stored(items)
    chronological = sorted(items, key=lambda item: item.sort_key)
    assert list(collection) == chronological
    order: Order = data.draw(st.sampled_from(["asc", "desc"]))
    before = _cursor(data, items)
    after = _cursor(data, items)
    limit = data.draw(st.none() | st.integers(0, len(items) + 2))
    got = collection.page(order=order, before=before, after=after, limit=limit)
    listed = page(chronological, lambda item: item.id, order=order, before=before, after=after, limit=limit)
    expected = reference_page(chronological, order=order, before=before, after=after, limit=limit)
    assert [item.id for item in got] == [item.id for item in expected]
    assert [item.id for item in listed] == [item.id for item in expected]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_with_both_cursors_the_page_starts_right_after_after(order: Order) -> None:
    """Both cursors and a small limit: the page is nearest ``after`` (only ``before`` alone walks back)."""
    items = [Item(name, index) for index, name in enumerate("abcde")]
    first, last = ("a", "e") if order == "asc" else ("e", "a")
    expected = reference_page(items, order=order, before=last, after=first, limit=1)
    assert [item.id for item in expected] == (["b"] if order == "asc" else ["d"])
    got = _stored(items).page(order=order, before=last, after=first, limit=1)
    listed = page(items, lambda item: item.id, order=order, before=last, after=first, limit=1)
    assert [item.id for item in got] == [item.id for item in listed] == [item.id for item in expected]


@given(data=st.data(), items=collections())
def test_filtered_page_is_the_filtered_window_nearest_the_cursor(
    data: st.DataObject, items: list[Item]
) -> None:
    """With ``where``, a page keeps the matching records of the window: ``limit`` nearest the cursor."""
    collection = _stored(items)
    chronological = sorted(items, key=lambda item: item.sort_key)
    order: Order = data.draw(st.sampled_from(["asc", "desc"]))
    before = _cursor(data, items)
    after = _cursor(data, items)
    limit = data.draw(st.none() | st.integers(1, len(items) + 2))
    wanted = data.draw(st.integers(0, 4))

    def where(item: Item) -> bool:
        return item.created != wanted

    window = reference_page(chronological, order=order, before=before, after=after, limit=None)
    matching = [item.id for item in window if where(item)]
    if limit is not None:
        matching = matching[-limit:] if before is not None and after is None else matching[:limit]
    got = collection.page(order=order, before=before, after=after, limit=limit, where=where)
    assert [item.id for item in got] == matching


@given(items=collections(), removed=st.data())
def test_removed_records_leave_the_order_and_the_index(items: list[Item], removed: st.DataObject) -> None:
    """Removing records keeps the rest in ``(created, id)`` order; removed ids are gone for good."""
    collection = _stored(items)
    gone = removed.draw(st.sets(st.sampled_from([item.id for item in items]))) if items else set()
    for item_id in gone:
        assert collection.remove(item_id) is not None
        assert collection.remove(item_id) is None
    kept = sorted((item for item in items if item.id not in gone), key=lambda item: item.sort_key)
    assert list(collection) == kept
    assert len(collection) == len(kept)
    assert all((item.id in collection) == (item.id not in gone) for item in items)
    assert collection.page(order="asc") == kept


@pytest.mark.parametrize("name", ["before", "after"])
def test_unknown_cursor_raises_naming_the_cursor(name: str) -> None:
    """A cursor that names no record raises ``UnknownCursor`` with the parameter and the value."""
    collection = _stored([Item("a", 0), Item("b", 1)])
    with pytest.raises(UnknownCursor) as raised:
        collection.page(**{name: "zzz"})  # type: ignore[arg-type]
    assert (raised.value.name, raised.value.value) == (name, "zzz")
    empty: Collection[Item] = Collection()
    with pytest.raises(UnknownCursor):
        empty.page(**{name: "a"})  # type: ignore[arg-type]


def test_unknown_cursor_is_raised_even_with_limit_zero() -> None:
    """``limit=0`` does not hide a bad cursor: the cursor is checked first."""
    collection = _stored([Item("a", 0)])
    with pytest.raises(UnknownCursor):
        collection.page(after="nope", limit=0)
    assert collection.page(after="a", limit=0) == []


def test_duplicate_ids_are_refused_and_clear_empties() -> None:
    """An id can be stored once; ``clear`` forgets every record."""
    collection = _stored([Item("a", 1), Item("b", 0)])
    with pytest.raises(ValueError, match="duplicate id 'a'"):
        collection.add(Item("a", 2))
    assert collection.get("a") == Item("a", 1)
    collection.clear()
    assert len(collection) == 0
    assert collection.get("a") is None
    assert collection.page() == []
