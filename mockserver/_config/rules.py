"""What a setting is (:class:`Setting`) and the builders of its metadata: the rules, parsers and help that
:class:`~mockserver._config.Config`'s fields declare, one call each."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from mockserver._contract.quirks import NAMES

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
DEFAULT_PORT = 8283
ENV_PREFIX = "LETTA_MOCK_"

Group = Literal["server", "behaviour", "callbacks", "security", "output", "proxy"]
GROUPS: dict[Group, str] = {
    "server": "where it listens and what it serves",
    "behaviour": "generated data, simulated time and the journal",
    "callbacks": "completion callbacks of batches and runs",
    "security": "who may call the Letta API and the control API",
    "output": "what the server prints",
    "proxy": "`letta-mockserver proxy` only: the upstream it forwards to (docs/proxy.md)",
}


@dataclass(frozen=True, slots=True)
class Setting:
    """How one ``Config`` field is set from outside, and which values it takes."""

    help: str
    group: Group
    parse: Callable[[str], Any]
    """Text (a flag's or a variable's value) to the value; raises ``ValueError`` when it cannot."""
    rule: str
    """What a valid value is, said the way messages end: ``must be <rule>``."""
    valid: Callable[[Any], bool]
    """Whether a value (from Python or from ``parse``) follows the rule."""
    metavar: str | None = None
    switch: bool = False
    """A flag without a value (``--quiet``, ``--no-quiet``)."""
    shown_default: str | None = None
    """The default as ``--help`` and the docs say it, when its ``repr`` would not do."""
    value_rule: str | None = None
    """What a Python value must be, where that differs from ``rule`` (which is about text)."""
    choices: tuple[str, ...] = ()
    flag: str | None = None
    """The flag when it is not the field's name (``--quirk`` for ``quirks``)."""
    repeat: bool = False
    """A flag given any number of times; its values (and a variable's) are joined by commas."""


def setting_of(spec: Field[Any]) -> Setting:
    found: Setting = spec.metadata["setting"]
    return found


def env_of(name: str) -> str:
    return ENV_PREFIX + name.upper()


Metadata = Mapping[str, Setting]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _integer(low: int | None, high: int | None, help: str, group: Group, **kw: Any) -> Metadata:
    rule = "an integer" if low is None or high is None else f"an integer from {low} to {high}"

    def valid(value: Any) -> bool:
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        return (low is None or value >= low) and (high is None or value <= high)

    return {"setting": Setting(help, group, lambda text: int(text.strip()), rule, valid, **kw)}


def _seconds(high: float, help: str, group: Group, *, zero: bool) -> Metadata:
    rule = f"a number of seconds {'from 0' if zero else 'above 0'} up to {high:.0f}"

    def valid(value: Any) -> bool:
        return _number(value) and (value >= 0 if zero else value > 0) and value <= high

    return {"setting": Setting(help, group, float, rule, valid, metavar="SECONDS")}


def _choice(choices: tuple[str, ...], help: str, group: Group) -> Metadata:
    rule = "one of " + ", ".join(choices)
    return {"setting": Setting(help, group, str.strip, rule, lambda value: value in choices, choices=choices)}


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(text)


def _switch(help: str, group: Group) -> Metadata:
    rule = "one of 1, true, yes, on, 0, false, no, off"

    def valid(value: Any) -> bool:
        return isinstance(value, bool)

    return {"setting": Setting(help, group, _bool, rule, valid, switch=True, value_rule="True or False")}


def _existing(kind: Literal["file", "directory"]) -> Callable[[str], Path]:
    def parse(text: str) -> Path:
        path = Path(text)
        if not (path.is_dir() if kind == "directory" else path.is_file()):
            raise ValueError(text)
        return path

    return parse


def _path(kind: Literal["file", "directory"], help: str, group: Group, shown: str) -> Metadata:
    # Python callers may hand any path; whether it can be used is found at start-up (a ValueError
    # naming the setting). The CLI refuses a path that is not there before it starts anything.
    metavar = "DIR" if kind == "directory" else "FILE"
    rule = f"an existing {kind}"
    return {
        "setting": Setting(help, group, _existing(kind), rule, lambda _v: True, metavar, shown_default=shown)
    }


def _recording_path(
    help: str, group: Group, parse: Callable[[str], Path], rule: str, metavar: str
) -> Metadata:
    # As `_path`: a Python caller's value is checked when the server starts (a ValueError naming it).
    return {"setting": Setting(help, group, parse, rule, lambda _v: True, metavar, shown_default="none")}


def _record_dir(text: str) -> Path:
    path = Path(text.strip())
    if not text.strip() or (path.exists() and not path.is_dir()):
        raise ValueError(text)
    return path


def _replay_path(text: str) -> Path:
    path = Path(text.strip())
    if not text.strip() or not path.exists():
        raise ValueError(text)
    return path


def _secret(help: str, metavar: str) -> Metadata:
    def valid(value: Any) -> bool:
        return isinstance(value, str) and bool(value) and value.isprintable() and " " not in value

    rule = "a non-empty printable string without spaces"
    return {"setting": Setting(help, "security", str, rule, valid, metavar, shown_default="none")}


def _hosts(text: str) -> frozenset[str]:
    return frozenset(host.strip().lower() for host in text.split(",") if host.strip())


def _host_set(value: Any) -> bool:
    return isinstance(value, frozenset) and all(isinstance(host, str) for host in value)


def _names(text: str) -> frozenset[str]:
    return frozenset(name.strip() for name in text.split(",") if name.strip())


def _quirk_names(help: str, flag: str) -> Metadata:
    def valid(value: Any) -> bool:
        return _host_set(value) and all(name in NAMES for name in value)

    rule = "quirk names (see `letta-mockserver quirks`), some of " + ", ".join(NAMES)
    setting = Setting(
        help,
        "behaviour",
        _names,
        rule,
        valid,
        "NAME",
        shown_default="none",
        value_rule="a set of " + rule,
        flag=flag,
        repeat=True,
    )
    return {"setting": setting}


def _upstream_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return (
        parts.scheme in ("http", "https") and bool(parts.hostname) and not parts.query and not parts.fragment
    )


def _host(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())
