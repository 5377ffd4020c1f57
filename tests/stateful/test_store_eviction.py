"""The ordered store when its oldest records are removed one by one (what the retention limit does):
the front is dropped in bulk, and every read agrees with a plain sorted list throughout."""

from __future__ import annotations

import random
from dataclasses import dataclass

from mockserver._simulation.index import Collection


@dataclass(frozen=True)
class Item:
    id: str
    created: int

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.created, self.id)


def _agrees(collection: Collection[Item], expected: list[Item]) -> None:
    assert list(collection) == expected
    assert len(collection) == len(expected)
    assert collection.page(order="asc", limit=5) == expected[:5]
    assert collection.page(order="desc", limit=5) == expected[::-1][:5]
    if len(expected) > 3:
        middle = expected[len(expected) // 2]
        position = len(expected) // 2
        assert collection.page(order="asc", after=middle.id, limit=3) == expected[position + 1 : position + 4]
        assert (
            collection.page(order="asc", before=middle.id, limit=3)
            == expected[max(0, position - 3) : position]
        )


def test_removing_from_the_front_mixed_with_adds_and_other_removals() -> None:
    rng = random.Random(7)
    collection: Collection[Item] = Collection()
    expected: list[Item] = []
    created = 0
    for step in range(6_000):
        action = rng.random()
        if action < 0.5 or not expected:
            created += rng.choice((0, 1))
            # Now and then one arrives out of order (a restored or seeded record).
            item = Item(f"i{step:05d}", created - (5 if rng.random() < 0.05 else 0))
            collection.add(item)
            expected.append(item)
            expected.sort(key=lambda one: one.sort_key)
        elif action < 0.95:
            oldest = expected.pop(0)
            assert collection.remove(oldest.id) is oldest
        else:
            other = expected.pop(rng.randrange(len(expected)))
            assert collection.remove(other.id) is other
        if step % 250 == 0:
            _agrees(collection, expected)
    _agrees(collection, expected)
    assert collection.remove("nobody") is None
    collection.clear()
    _agrees(collection, [])
    collection.add(Item("again", 1))
    assert list(collection) == [Item("again", 1)]
