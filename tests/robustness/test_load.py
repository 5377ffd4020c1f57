"""Load and concurrency: 64 clients create 10,000 batches while others list and walk the pages.

Under the ``letta-oss`` profile too, with 1,000 batches (the same code paths; the time stays small),
walking the desc order the real server's way: ``before`` = the last id (its batch cursors are
chronological, so the documented ``after`` would page back to the newest).

The server runs in a subprocess (manual clock: every batch has the same ``created_at``, so the
order is decided by ids alone, and nothing changes under the walks but the creations). Afterwards
every batch is retrievable, ids are unique, and a page walk in each order sees each batch once. A
hard deadline fails the test instead of letting it hang. Deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from .catalogue import AGENT
from .support import measured, spawn

pytestmark = pytest.mark.slow  # see pyproject's `slow` marker: the fast loop skips it

CLIENTS = 64
BATCHES = 10_000
WALKERS = 4
"""Of the clients, how many walk every page while the others create."""
PAGE = 100
DEADLINE = 120.0
"""Seconds the whole load may take; past it the test fails."""


@dataclass
class Tally:
    requests: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    walks_during: int = 0
    oss: bool = False
    """The server answers as letta-oss."""

    def count(self, kind: str, response: httpx.Response, expected: int = 200) -> None:
        self.requests[kind] += 1
        if response.status_code != expected:
            self.failures.append(f"{kind}: {response.status_code} {response.text[:200]}")


async def _walk(http: httpx.AsyncClient, tally: Tally, order: str, kind: str) -> list[str]:
    """Every batch id, page by page (``limit=100``, the cursor = the last id of the previous page:
    ``after`` as documented, ``before`` for desc under letta-oss)."""
    seen: list[str] = []
    after: str | None = None
    cursor = "before" if tally.oss and order == "desc" else "after"
    while True:
        params: dict[str, str | int] = {"limit": PAGE, "order": order}
        if after is not None:
            params[cursor] = after
        response = await http.get("/v1/messages/batches", params=params)
        tally.count(kind, response)
        page = [item["id"] for item in response.json()] if response.status_code == 200 else []
        seen += page
        if len(page) < PAGE:
            return seen
        after = page[-1]


async def _creator(url: str, tally: Tally, todo: list[int]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        made = 0
        while todo:
            todo.pop()
            response = await http.post(
                "/v1/messages/batches", json={"requests": [{"agent_id": AGENT, "input": "hi"}]}
            )
            tally.count("create", response)
            if response.status_code == 200:
                tally.created.append(response.json()["id"])
            made += 1
            if made % 25 == 0:  # and list while the others create
                tally.count("list", await http.get("/v1/messages/batches", params={"limit": 20}))


async def _walker(url: str, tally: Tally, creating: asyncio.Event, order: str) -> None:
    """Walks while the creators run: no id twice, and every id created before the walk began is seen."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        while creating.is_set():
            existed = set(tally.created)
            seen = await _walk(http, tally, order, "walk-during")
            duplicates = [one for one, n in Counter(seen).items() if n > 1]
            if duplicates:
                tally.failures.append(f"a walk ({order}) saw {len(duplicates)} ids twice: {duplicates[:3]}")
            missing = existed - set(seen)
            if missing:
                tally.failures.append(
                    f"a walk ({order}) missed {len(missing)} existing ids: {sorted(missing)[:3]}"
                )
            tally.walks_during += 1


async def _retriever(url: str, tally: Tally, ids: list[str]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        while ids:
            batch_id = ids.pop()
            response = await http.get(f"/v1/messages/batches/{batch_id}")
            tally.count("retrieve", response)
            if response.status_code == 200 and response.json()["id"] != batch_id:
                tally.failures.append(f"retrieve {batch_id} answered {response.json()['id']}")


async def _load(url: str, batches: int, oss: bool) -> tuple[Tally, dict[str, list[str]]]:
    tally = Tally(oss=oss)
    todo = list(range(batches))
    creating = asyncio.Event()
    creating.set()
    walkers = [
        asyncio.create_task(_walker(url, tally, creating, "asc" if i % 2 else "desc")) for i in range(WALKERS)
    ]
    await asyncio.gather(*(_creator(url, tally, todo) for _ in range(CLIENTS - WALKERS)))
    creating.clear()
    await asyncio.gather(*walkers)
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        walks = {order: await _walk(http, tally, order, "walk-after") for order in ("asc", "desc")}
    ids = list(tally.created)
    await asyncio.gather(*(_retriever(url, tally, ids) for _ in range(CLIENTS)))
    return tally, walks


@pytest.mark.slow
@pytest.mark.parametrize(("profile", "batches"), [("contract", BATCHES), ("letta-oss", BATCHES // 10)])
def test_64_clients_create_10000_batches_while_others_list(
    tmp_path: Path, profile: str, batches: int
) -> None:
    with spawn(tmp_path, "--clock", "manual", "--profile", profile) as server:
        started = time.monotonic()
        try:
            tally, walks = asyncio.run(
                asyncio.wait_for(_load(server.url, batches, profile == "letta-oss"), DEADLINE)
            )
        except TimeoutError:
            pytest.fail(f"the load did not finish within {DEADLINE:.0f} s")
        elapsed = time.monotonic() - started
        code, _seconds, stderr = server.stop()
    total = sum(tally.requests.values())
    measured(
        f"load ({profile}): requests",
        total,
        f"in {elapsed:.1f} s ({total / elapsed:.0f}/s): {dict(tally.requests)}",
    )
    measured(f"load ({profile}): full page walks during the creation", tally.walks_during, "walks")
    assert not tally.failures, tally.failures[:10]
    assert code == 0, stderr
    assert "Traceback" not in stderr, stderr
    created = tally.created
    assert len(created) == batches
    assert len(set(created)) == batches, "ids are not unique"
    assert tally.requests["retrieve"] == batches
    for order, seen in walks.items():
        assert len(seen) == batches, (order, len(seen))
        assert set(seen) == set(created), order
    assert walks["asc"] == walks["desc"][::-1]
    assert tally.walks_during >= WALKERS
