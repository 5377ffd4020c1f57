"""Who hears about stored records: one mechanism for every observer of the simulation."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from mockserver._simulation.lifecycle import RecordKind


class Event(Enum):
    FINISHED = "finished"
    """A record reached a terminal status (callbacks are sent on it)."""
    CHANGED = "changed"
    """A run's status, messages or steps changed, or it was deleted (streams follow it)."""


Observer = Callable[[RecordKind, Any], None]
"""Called with the record's kind and the record."""


class Observers:
    def __init__(self) -> None:
        self._by_event: dict[Event, list[Observer]] = {event: [] for event in Event}

    def add(self, event: Event, observer: Observer) -> None:
        self._by_event[event].append(observer)

    def emit(self, event: Event, kind: RecordKind, record: Any) -> None:
        for observer in self._by_event[event]:
            observer(kind, record)
