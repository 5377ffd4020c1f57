"""The lifecycle tables of jobs and runs, checked pair by pair against the behaviour reference."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from reference import STOP_REASONS_BY_STATUS

from mockserver._contract.resources import data_dir
from mockserver._simulation import lifecycle
from mockserver._simulation.lifecycle import IllegalTransition, Kind, move, path_to

_JOB_ENDS = {"completed", "failed", "cancelled", "expired"}
_RUN_ENDS = {"completed", "failed", "cancelled"}
# Spelled out independently of the module: reference section 3 (job and run statuses).
EXPECTED: Mapping[Kind, Mapping[str, set[str]]] = {
    "job": {
        "created": {"pending", "running"} | _JOB_ENDS,
        "pending": {"running"} | _JOB_ENDS,
        "running": set(_JOB_ENDS),
        "completed": set(),
        "failed": set(),
        "cancelled": set(),
        "expired": set(),
    },
    "run": {
        "created": {"running"} | _RUN_ENDS,
        "running": set(_RUN_ENDS),
        "completed": set(),
        "failed": set(),
        "cancelled": set(),
    },
}
EXPECTED_STOP_REASONS = STOP_REASONS_BY_STATUS
PAIRS = [
    pytest.param(kind, current, target, id=f"{kind}:{current}->{target}")
    for kind, statuses in EXPECTED.items()
    for current in statuses
    for target in statuses
]


def _components() -> Mapping[str, Any]:
    with (data_dir("schemas") / "letta-openapi.json").open(encoding="utf-8") as fh:
        document: dict[str, Any] = json.load(fh)
    components: Mapping[str, Any] = document["components"]["schemas"]
    return components


def test_tables_are_the_reference_tables() -> None:
    """Each table lists exactly the transitions of the behaviour reference, no more, no less."""
    for kind, expected in EXPECTED.items():
        assert {status: set(targets) for status, targets in lifecycle.table(kind).items()} == expected


def test_statuses_are_the_documented_enums() -> None:
    """The status tuples are the OpenAPI ``JobStatus`` and ``RunStatus`` enums, in order."""
    components = _components()
    assert list(lifecycle.JOB_STATUSES) == components["JobStatus"]["enum"]
    assert list(lifecycle.RUN_STATUSES) == components["RunStatus"]["enum"]
    assert set(lifecycle.JOB_TRANSITIONS) == set(lifecycle.JOB_STATUSES)
    assert set(lifecycle.RUN_TRANSITIONS) == set(lifecycle.RUN_STATUSES)


@pytest.mark.parametrize(("kind", "current", "target"), PAIRS)
def test_move_allows_exactly_the_table(kind: Kind, current: str, target: str) -> None:
    """An allowed step returns the target; any other raises ``IllegalTransition`` naming both statuses."""
    if target in EXPECTED[kind][current]:
        assert move(kind, current, target) == target
        return
    with pytest.raises(IllegalTransition) as raised:
        move(kind, current, target)
    error = raised.value
    assert (error.kind, error.current, error.target) == (kind, current, target)
    assert f"from {current!r} to {target!r}" in str(error)
    assert isinstance(error, ValueError)


@pytest.mark.parametrize(("kind", "status"), [("run", "pending"), ("run", "expired"), ("job", "bogus")])
def test_statuses_outside_the_kind_are_illegal_both_ways(kind: Kind, status: str) -> None:
    """A status the kind does not have can neither be left nor entered."""
    with pytest.raises(IllegalTransition, match=repr(status)):
        move(kind, status, "completed")
    with pytest.raises(IllegalTransition, match=repr(status)):
        move(kind, "created", status)


@pytest.mark.parametrize("kind", ["job", "run"])
def test_terminal_statuses_have_no_exits(kind: Kind) -> None:
    """Terminal statuses are final and say so; every other status has a way out and lists it."""
    terminal = lifecycle.JOB_TERMINAL if kind == "job" else lifecycle.RUN_TERMINAL
    assert terminal == (_JOB_ENDS if kind == "job" else _RUN_ENDS)
    for status, targets in lifecycle.table(kind).items():
        assert lifecycle.is_terminal(kind, status) == (status in terminal)
        message = str(IllegalTransition(kind, status, "created"))
        if status in terminal:
            assert not targets
            assert f"{status!r} is final" in message
        else:
            assert targets
            assert f"it may move to {', '.join(sorted(targets))}" in message
    assert set(lifecycle.ACTIVE) == {"created", "running"}


def test_stop_reasons_cover_the_enum_and_imply_terminal_statuses() -> None:
    """Every ``StopReasonType`` value has a run status, the one the reference gives, always terminal."""
    assert set(lifecycle.STOP_REASON_STATUS) == set(_components()["StopReasonType"]["enum"])
    for status, reasons in EXPECTED_STOP_REASONS.items():
        for reason in reasons:
            assert lifecycle.STOP_REASON_STATUS[reason] == status
    assert set(lifecycle.STOP_REASON_STATUS.values()) <= lifecycle.RUN_TERMINAL


@pytest.mark.parametrize(("kind", "current", "target"), PAIRS)
def test_path_to_goes_through_running(kind: Kind, current: str, target: str) -> None:
    """``path_to`` passes through ``running`` when it can, takes only legal steps, and refuses the rest."""
    if current == target:
        assert path_to(kind, current, target) == []
        return
    table = EXPECTED[kind]
    via_running = "running" in table[current] and target in table["running"]
    if not via_running and target not in table[current]:
        with pytest.raises(IllegalTransition):
            path_to(kind, current, target)
        return
    path = path_to(kind, current, target)
    assert path == (["running", target] if via_running else [target])
    status = current
    for step in path:
        status = move(kind, status, step)
    assert status == target


def test_path_to_examples() -> None:
    """The paths the simulation uses: a run finishing at once still shows ``running`` first."""
    assert path_to("run", "created", "completed") == ["running", "completed"]
    assert path_to("run", "created", "cancelled") == ["running", "cancelled"]
    assert path_to("run", "running", "failed") == ["failed"]
    assert path_to("job", "pending", "expired") == ["running", "expired"]
    assert path_to("job", "created", "pending") == ["pending"]
    with pytest.raises(IllegalTransition):
        path_to("run", "completed", "running")
