"""Scenarios: scripted outcomes for batches, runs and jobs, without touching client code.

A rule matches by ``agent_id``, by batch, run or job id, or takes the next N batches, runs or
jobs, and says how the match ends: final status, stop reason, duration, messages, reply. Rules
for "the next N" are used up as they match; the others stay until cleared.

An ``agent_id`` rule scripts that agent's *runs* whole, but in a batch only that agent's *items*:
the batch still completes. A whole batch is scripted by ``batch_id`` or ``next_batches``.
docs/scenarios-and-faults.md shows every form with an example.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_OUTCOME_FIELDS = ("status", "stop_reason", "duration", "messages", "reply")


@dataclass
class Rule:
    id: str
    match: Mapping[str, Any]
    outcome: dict[str, Any]
    remaining: int | None = None
    spec: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, **self.spec, "remaining": self.remaining}


@dataclass(frozen=True)
class BatchPlan:
    status: str | None = None
    stop_reason: str | None = None
    duration: float | None = None
    items: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """agent_id -> outcome of that agent's items."""


class Scenarios:
    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._ids = itertools.count(1)

    def add(self, spec: Mapping[str, Any]) -> Rule:
        match = dict(spec["match"])
        outcome = {name: spec[name] for name in _OUTCOME_FIELDS if name in spec}
        remaining = match.get("next_batches", match.get("next_runs", match.get("next_jobs")))
        rule = Rule(f"scenario-{next(self._ids)}", match, outcome, remaining, dict(spec))
        self._rules.append(rule)
        return rule

    def all(self) -> list[Rule]:
        return list(self._rules)

    def clear(self) -> None:
        self._rules.clear()

    def remove(self, rule_id: str) -> bool:
        """Drop one rule; ``False`` when none has that id."""
        kept = [rule for rule in self._rules if rule.id != rule_id]
        found = len(kept) < len(self._rules)
        self._rules[:] = kept
        return found

    def _use(self, rule: Rule) -> dict[str, Any]:
        if rule.remaining is not None:
            rule.remaining -= 1
            if rule.remaining <= 0:
                self._rules.remove(rule)
        return rule.outcome

    def _first(self, key: str, value: Any = None) -> Rule | None:
        for rule in self._rules:
            if key in rule.match and (value is None or rule.match[key] == value):
                return rule
        return None

    def for_id(self, record_id: str) -> dict[str, Any] | None:
        for key in ("batch_id", "run_id", "job_id"):
            rule = self._first(key, record_id)
            if rule is not None:
                return rule.outcome
        return None

    def for_batch(self, agent_ids: list[str]) -> BatchPlan:
        """The plan of a new batch: a "next batches" rule for the batch as a whole, agent rules for
        their agents' items only (an agent rule never changes the batch's own status)."""
        rule = self._first("next_batches")
        whole = self._use(rule) if rule is not None else {}
        items = {}
        for agent_id in dict.fromkeys(agent_ids):
            agent_rule = self._first("agent_id", agent_id)
            if agent_rule is not None:
                items[agent_id] = agent_rule.outcome
        return BatchPlan(whole.get("status"), whole.get("stop_reason"), whole.get("duration"), items)

    def for_run(self, agent_id: str) -> dict[str, Any]:
        """Seed fields for a new run: a "next runs" rule first, else a rule for its agent."""
        rule = self._first("next_runs")
        if rule is not None:
            return self._use(rule)
        agent_rule = self._first("agent_id", agent_id)
        return agent_rule.outcome if agent_rule is not None else {}

    def for_job(self) -> dict[str, Any]:
        rule = self._first("next_jobs")
        return self._use(rule) if rule is not None else {}
