"""Ids of one server translated into another's: what ``verify`` replays a recording through.

Two servers never hand out the same ids, so a recorded session replayed against another server must
send the ids *that* server answered with. The map is learned from the answers themselves: the recorded
body and the body just seen are walked in parallel, and wherever both hold an id (``<prefix>-<uuid>``,
the shape Letta and the mock give every record) the recorded one maps to the one seen. Later requests'
path, query and body are rewritten through it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

ID_SHAPE = re.compile(
    r"(?<![0-9A-Za-z_-])([a-z][a-z_]*)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![0-9A-Za-z_-])"
)
_WHOLE_ID = re.compile(r"^[a-z][a-z_]*-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def is_id(value: object) -> bool:
    return isinstance(value, str) and _WHOLE_ID.match(value) is not None


def prefix(value: str) -> str:
    return value.partition("-")[0]


def item_id(item: object) -> str | None:
    """The id a list item is known by: its ``id`` field, when it has the shape of one."""
    if isinstance(item, Mapping):
        candidate = item.get("id")
        if is_id(candidate):
            return str(candidate)
    return None


class IdMap:
    """Recorded id -> the id the target answered with; the first pairing wins."""

    def __init__(self) -> None:
        self._forward: dict[str, str] = {}
        self._backward: dict[str, str] = {}
        self.conflicts: list[tuple[str, str, str]] = []
        """(recorded, mapped before, seen now): a recorded id answered as two different ids."""

    def __contains__(self, recorded: object) -> bool:
        return recorded in self._forward

    def __len__(self) -> int:
        return len(self._forward)

    def get(self, recorded: str) -> str | None:
        return self._forward.get(recorded)

    def knows_seen(self, seen: str) -> bool:
        return seen in self._backward

    def learn(self, recorded: str, seen: str) -> None:
        """Pair two ids of the same kind; a pairing that contradicts an earlier one is kept aside."""
        if prefix(recorded) != prefix(seen):
            return
        before = self._forward.get(recorded)
        if before is None:
            if seen in self._backward:
                return  # the target's id already stands for another recorded one
            self._forward[recorded] = seen
            self._backward[seen] = recorded
        elif before != seen:
            self.conflicts.append((recorded, before, seen))

    def same(self, recorded: str) -> None:
        """An id both servers share (a record seeded under its recorded id)."""
        self.learn(recorded, recorded)

    def rewrite(self, text: str) -> str:
        """``text`` with every recorded id the map knows replaced by the target's."""
        if not self._forward:
            return text
        return ID_SHAPE.sub(lambda found: self._forward.get(found.group(0), found.group(0)), text)

    def learn_bodies(self, recorded: Any, seen: Any) -> None:
        """Walk two answers in parallel and pair every id found at the same place."""
        if is_id(recorded) and is_id(seen):
            self.learn(recorded, seen)
        elif isinstance(recorded, Mapping) and isinstance(seen, Mapping):
            for key, value in recorded.items():
                if key in seen:
                    self.learn_bodies(value, seen[key])
        elif isinstance(recorded, list) and isinstance(seen, list):
            for left, right in pair_items(recorded, seen, self):
                self.learn_bodies(left, right)


def pair_items(recorded: list[Any], seen: list[Any], ids: IdMap) -> Iterator[tuple[Any, Any]]:
    """The items of two lists that stand for the same thing.

    Items with ids pair through the map; those whose ids it does not know yet pair by position among
    the unpaired (a list of records created moments ago, in the same order); a list of plain values
    pairs by position.
    """
    if not any(item_id(item) for item in [*recorded, *seen]):
        yield from zip(recorded, seen, strict=False)
        return
    seen_at = {item_id(item): index for index, item in enumerate(seen) if item_id(item)}
    taken: set[int] = set()
    unknown: list[Any] = []
    for item in recorded:
        own = item_id(item)
        mapped = ids.get(own) if own else None
        if mapped is not None and mapped in seen_at:
            taken.add(seen_at[mapped])
            yield item, seen[seen_at[mapped]]
        elif own is not None and mapped is None:
            unknown.append(item)
    # Only target items no recorded id accounts for can be the new ones.
    free = [
        item
        for index, item in enumerate(seen)
        if index not in taken and not (item_id(item) and ids.knows_seen(str(item_id(item))))
    ]
    yield from zip(unknown, free, strict=False)


def walk_ids(node: Any, visit: Callable[[str], None]) -> None:
    """Call ``visit`` with every id-shaped string value in a JSON document."""
    if is_id(node):
        visit(node)
    elif isinstance(node, Mapping):
        for value in node.values():
            walk_ids(value, visit)
    elif isinstance(node, list):
        for value in node:
            walk_ids(value, visit)
