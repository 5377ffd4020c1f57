"""Seeding runs, jobs and batches (``POST /_mock/runs``, ``/_mock/jobs``, state seed files).

A seeded run's messages and steps are partial: the fields they leave out are generated from the
documented schemas, and the completed ones must match those schemas (a 400 naming each field).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mockserver._contract.errors import BadRequest, Conflict, RequestInvalid
from mockserver._contract.generate import DataGenerator
from mockserver._contract.models import check_create_batch
from mockserver._contract.parsing import batch_requests
from mockserver._contract.spec import default_table, ref_pointer
from mockserver._contract.validation import SchemaSet, Violation
from mockserver._simulation.jobs import JobRecord
from mockserver._simulation.records import RunRecord, letta_message
from mockserver._simulation.run_plans import SeedError
from mockserver._simulation.simulation import Simulation

_MESSAGE_UNION = "/components/schemas/LettaMessageUnion"
_STEP = "/components/schemas/Step"
_PLACEHOLDER_ID = "placeholder-00000000-0000-4000-8000-000000000000"


def _seconds(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


class Seeder:
    def __init__(self, api_schemas: SchemaSet) -> None:
        self._api = api_schemas
        self._table = default_table()
        self._generator = DataGenerator(self._table)
        self._branches: Mapping[str, str] = self._table.component("LettaMessageUnion")["discriminator"][
            "mapping"
        ]

    def run(self, sim: Simulation, payload: Mapping[str, Any]) -> RunRecord:
        spec = dict(payload)
        if "created_at" in spec:
            spec["created"] = _seconds(spec.pop("created_at"))
        if spec.get("messages"):
            spec["messages"] = [self._complete_message(partial) for partial in spec["messages"]]
        problems = self._problems(spec)
        if problems:
            # The payload matched its schema; what it describes does not match the documented
            # message and step schemas: a bad request, naming each field.
            raise BadRequest("; ".join(f"{'.'.join(map(str, p.loc))}: {p.msg}" for p in problems))
        try:
            return sim.seed_run(spec)
        except SeedError as exc:
            raise RequestInvalid(None, [Violation(("body", exc.field), str(exc), "value_error")]) from None
        except ValueError as exc:
            raise Conflict(str(exc)) from None

    def _complete_message(self, partial: Mapping[str, Any]) -> dict[str, Any]:
        """A seeded message's required fields that it leaves out, generated from its schema."""
        target = self._branches.get(str(partial.get("message_type")))
        if target is None:
            return dict(partial)
        branch = self._table.schema_at(ref_pointer(target))
        rng = random.Random(f"seed-message:{sorted(partial.items())!r}")
        # `id` and `date` come from the run's plan, when the message is produced.
        return self._generator.fill_required(branch, partial, rng, datetime.now(UTC), skip=("id", "date"))

    def _problems(self, spec: Mapping[str, Any]) -> list[Violation]:
        problems: list[Violation] = []
        for index, partial in enumerate(spec.get("messages") or ()):
            full = letta_message(
                partial, message_id=_PLACEHOLDER_ID, at=0.0, run_id=_PLACEHOLDER_ID, step_id=None
            )
            # The discriminator names the branch: validating just it is ~10x cheaper than the union.
            target = self._branches.get(str(partial.get("message_type")), "#" + _MESSAGE_UNION)
            problems += self._api.violations(ref_pointer(target), full, ("body", "messages", index))
        for index, partial in enumerate(spec.get("steps") or ()):
            problems += self._api.violations(
                _STEP, {"id": _PLACEHOLDER_ID, **partial}, ("body", "steps", index)
            )
        return problems

    def job(self, sim: Simulation, payload: Mapping[str, Any]) -> JobRecord:
        spec = dict(payload)
        if "created_at" in spec:
            spec["created"] = _seconds(spec.pop("created_at"))
        try:
            return sim.seed_job(spec)
        except ValueError as exc:
            raise Conflict(str(exc)) from None

    def batch(self, sim: Simulation, body: Any) -> None:
        pointer = self._table["create_batch"].body_pointer
        assert pointer is not None
        problems = self._api.violations(pointer, body, ("body",))
        if self._api.level != "off":
            body, problems = check_create_batch(body, self._api.level, problems)
        if problems:
            raise RequestInvalid(self._table["create_batch"], problems)
        sim.create_batch(batch_requests(body), body.get("callback_url"))
