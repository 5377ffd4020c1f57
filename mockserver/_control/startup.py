"""The start-up state: what ``--state`` and the state seed files load, and load again on every reset.

Kept apart from the control API's handlers: it runs before the server answers anything, and reset
replays it in the same order, so a test suite's every test starts from the same state.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mockserver._answers.fixtures import parse_json, read_bytes, read_state_seeds
from mockserver._contract.errors import MockError
from mockserver._simulation import gc_freeze
from mockserver._simulation.snapshot import READABLE, SnapshotError, restore

if TYPE_CHECKING:
    from mockserver._control.api import Control


def _seed_copy(seed: Callable[[Any], object], one: Any) -> None:
    seed(copy.deepcopy(one))  # a seeder may keep or change what it is given


class StartupState:
    def __init__(self, control: Control) -> None:
        self._control = control
        self._loads: list[Callable[[], object]] = []
        """What start-up loaded, in order."""

    def load_again(self) -> None:
        """Load everything start-up loaded, in the same order (after a reset emptied the store)."""
        for load in self._loads:
            load()

    def load_seed_files(self, directory: Path) -> None:
        """Seed ``batches.json`` (create-batch bodies), ``jobs.json`` and ``runs.json`` (seeds)."""
        control = self._control
        seeders: dict[str, Callable[[Any], object]] = {
            "batches.json": control.seed_batch,
            "jobs.json": lambda one: self._validated("JobSeed", one, control.seed_job),
            "runs.json": lambda one: self._validated("RunSeed", one, control.seed_run),
        }
        for name, seeds in read_state_seeds(directory):
            seed = seeders[name]
            for index, one in enumerate(seeds):
                try:
                    seed(copy.deepcopy(one))
                except MockError as exc:  # 409 too: an id given twice, or one the --state file holds
                    raise ValueError(f"fixture {name}, item {index}: {exc}") from None
                self._loads.append(functools.partial(_seed_copy, seed, one))

    def load_snapshot(self, path: Path) -> None:
        """Restore the snapshot in ``path`` (``--state``) as ``PUT /_mock/state`` would.

        An unusable file is a ``ValueError`` naming it.
        """
        where = f"state file {str(path)!r}"
        sim = self._control.sim
        if sim is None:
            raise ValueError(f"{where}: --state needs --mode stateful (stateless mode keeps no state)")
        raw = read_bytes(path, where)
        data = parse_json(raw, where)
        # Another version is named as such (by `restore`), not as a schema mismatch.
        other_version = isinstance(data, dict) and data.get("version", READABLE[-1]) not in READABLE
        problems = [] if other_version else self._control.schemas.violations("/$defs/StateSnapshot", data)
        if problems:
            listed = "; ".join(f"{'.'.join(map(str, p.loc)) or '<root>'}: {p.msg}" for p in problems[:5])
            raise ValueError(f"{where}: not a snapshot as GET /_mock/state writes it: {listed}")
        try:
            with gc_freeze.paused():
                restore(sim, data)
        except SnapshotError as exc:
            raise ValueError(f"{where}: {exc}") from None
        del data

        def load() -> None:
            # Read again from the file's bytes: a fresh copy for `restore` to keep, in a fraction of
            # `copy.deepcopy`'s time (100k records, collector paused: 0.46 s against 1.08 s), and the
            # bytes are about a tenth of the memory the parsed snapshot would hold between two resets.
            with gc_freeze.paused():
                restore(sim, parse_json(raw, where))

        self._loads.append(load)

    def _validated(self, schema: str, payload: Any, seed: Callable[[Any], object]) -> None:
        self._control.validate(schema, payload)
        seed(payload)
