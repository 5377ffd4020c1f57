"""The id map: learned from answers walked in parallel, and requests rewritten through it."""

from __future__ import annotations

import uuid

from mockserver._recording.idmap import IdMap, is_id, pair_items


def ident(kind: str, n: int) -> str:
    return f"{kind}-{uuid.UUID(int=n, version=4)}"


def test_ids_have_the_prefix_uuid_shape() -> None:
    assert is_id(ident("batch_item", 1))
    assert not is_id("run-123")
    assert not is_id(f"{ident('run', 1)}0")
    assert not is_id(7)


def test_learned_from_bodies_walked_in_parallel() -> None:
    ids = IdMap()
    recorded = {"id": ident("job", 1), "items": [{"id": ident("message", 2), "agent_id": ident("agent", 3)}]}
    seen = {"id": ident("job", 11), "items": [{"id": ident("message", 12), "agent_id": ident("agent", 3)}]}
    ids.learn_bodies(recorded, seen)
    assert ids.get(ident("job", 1)) == ident("job", 11)
    assert ids.get(ident("message", 2)) == ident("message", 12)
    assert ids.get(ident("agent", 3)) == ident("agent", 3)


def test_kinds_never_mix_and_the_first_pairing_wins() -> None:
    ids = IdMap()
    ids.learn(ident("job", 1), ident("run", 2))
    assert ident("job", 1) not in ids
    ids.learn(ident("job", 1), ident("job", 2))
    ids.learn(ident("job", 1), ident("job", 3))
    assert ids.get(ident("job", 1)) == ident("job", 2)
    assert ids.conflicts == [(ident("job", 1), ident("job", 2), ident("job", 3))]


def test_rewrite_replaces_known_ids_in_paths_queries_and_bodies() -> None:
    ids = IdMap()
    ids.learn(ident("job", 1), ident("job", 2))
    text = f"/v1/messages/batches/{ident('job', 1)}/messages?after={ident('job', 1)}&x={ident('job', 9)}"
    assert ids.rewrite(text) == text.replace(ident("job", 1), ident("job", 2))
    assert ids.rewrite(f'{{"batch_id": "{ident("job", 1)}"}}') == f'{{"batch_id": "{ident("job", 2)}"}}'


def test_list_items_pair_through_the_map_then_by_position() -> None:
    ids = IdMap()
    ids.same(ident("run", 1))
    recorded = [{"id": ident("run", 1)}, {"id": ident("run", 2)}]
    seen = [{"id": ident("run", 50)}, {"id": ident("run", 1)}]
    pairs = list(pair_items(recorded, seen, ids))
    assert pairs == [(recorded[0], seen[1]), (recorded[1], seen[0])]
    assert list(pair_items([1, 2, 3], [4, 5], ids)) == [(1, 4), (2, 5)]
