"""The settings of one server, built alike by the CLI, the pytest plugin and Python callers.

Each field of :class:`Config` is declared once, with a :class:`Setting` in its metadata: its
flag (``--job-duration``), its environment variable (``LETTA_MOCK_JOB_DURATION``), how text
becomes a value, the rule a value must follow and the help text. The CLI, its environment
layer, ``Config``'s own validation and the flag table of docs/cli.md are all built from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from mockserver._contract.quirks import DEFAULT_PROFILE, NAMES, PROFILE_NAMES, check_quirks
from mockserver._contract.validation import LEVELS, Level
from mockserver._simulation.clock import CLOCK_KINDS, ClockKind
from mockserver._simulation.retention import DEFAULT_MAX_RECORDS

Mode = Literal["stateless", "stateful"]
MODES: tuple[Mode, ...] = ("stateless", "stateful")
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


def flag_of(name: str) -> str:
    spec = {spec.name: spec for spec in fields(Config)}.get(name)
    if spec is not None and setting_of(spec).flag:
        return f"--{setting_of(spec).flag}"
    return "--" + name.replace("_", "-")


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


@dataclass(frozen=True, slots=True)
class Config:
    """The settings of one server; every field is also a flag and a variable (see docs/cli.md).

    Each field's ``metadata["setting"]`` (a :class:`Setting`) is its one declaration.
    """

    host: str = field(
        default="127.0.0.1",
        metadata={
            "setting": Setting(
                "address to bind; 0.0.0.0 listens on every interface",
                "server",
                str.strip,
                "a host name or an IP address",
                _host,
            )
        },
    )
    port: int = field(
        default=DEFAULT_PORT, metadata=_integer(0, 65535, "port to listen on; 0 picks a free port", "server")
    )
    mode: Mode = field(
        default="stateful",
        metadata=_choice(
            MODES,
            "stateless: generated answers, Prism-like; stateful: simulated jobs, batches and runs",
            "server",
        ),
    )
    validation: Level = field(
        default="strict",
        metadata=_choice(
            LEVELS,
            "requests are checked against the schema (422 on violations): strict, everything it says and"
            " the real server's request rules; lenient, types, required fields and enums only (a batch"
            " request may give neither input nor messages, and any callback_url); off, nothing",
            "server",
        ),
    )
    seed: int = field(
        default=0,
        metadata=_integer(
            None,
            None,
            "seed of ids and generated data: the same seed gives the same answers",
            "behaviour",
            metavar="N",
        ),
    )
    responses: Literal["realistic", "fuzz"] = field(
        default="realistic",
        metadata=_choice(
            ("realistic", "fuzz"),
            "fuzz (stateless mode): schema-valid but adversarial bodies, deterministic per --seed",
            "behaviour",
        ),
    )
    fixtures: Path | None = field(
        default=None,
        metadata=_path(
            "directory",
            "response fixtures (<operationId>.json) and state seeds (batches.json, jobs.json, runs.json)",
            "behaviour",
            "the shipped fixtures/",
        ),
    )
    log_level: str = field(default="warning", metadata=_choice(LOG_LEVELS, "uvicorn's log level", "output"))
    access_log: bool = field(
        default=False,
        metadata=_switch("uvicorn's access log: one line per request, with the client", "output"),
    )
    clock: ClockKind = field(
        default="system",
        metadata=_choice(
            CLOCK_KINDS,
            "system: real time; manual: simulated time moves only by POST /_mock/clock/advance",
            "behaviour",
        ),
    )
    job_duration: float = field(
        default=2.0,
        metadata=_seconds(
            31_536_000, "simulated time from a job's (or run's) creation to its end", "behaviour", zero=True
        ),
    )
    stream_ping_interval: float = field(
        default=20.0,
        metadata=_seconds(
            3600, "keep-alive ping after this much silence on a run stream", "behaviour", zero=False
        ),
    )
    callback_timeout: float = field(
        default=5.0,
        metadata=_seconds(600, "timeout of each completion callback POST", "callbacks", zero=False),
    )
    callback_retries: int = field(
        default=0,
        metadata=_integer(
            0, 10, "retries after a failed callback (0.5 s backoff, doubling)", "callbacks", metavar="N"
        ),
    )
    callback_concurrency: int = field(
        default=16, metadata=_integer(1, 1024, "callbacks delivered at once", "callbacks", metavar="N")
    )
    callback_allow_hosts: frozenset[str] = field(
        default=frozenset(),
        metadata={
            "setting": Setting(
                "the only hosts completion callbacks may reach",
                "callbacks",
                _hosts,
                "comma-separated host names",
                _host_set,
                "HOST,...",
                shown_default="any host",
                value_rule="a frozenset of host names",
            )
        },
    )
    max_records: int = field(
        default=DEFAULT_MAX_RECORDS,
        metadata=_integer(
            0,
            1_000_000_000,
            "stored batches, jobs and runs kept (stateful); past it the first finished are evicted (never one"
            " still running) and their ids answer 404 saying so; 0 keeps everything",
            "behaviour",
            metavar="N",
        ),
    )
    journal_size: int = field(
        default=1000,
        metadata=_integer(
            1, 1_000_000, "entries kept by each journal (requests, callbacks)", "behaviour", metavar="N"
        ),
    )
    api_key: str | None = field(
        default=None,
        metadata=_secret("require `Authorization: Bearer KEY` on the Letta API (else 401)", "KEY"),
    )
    control_token: str | None = field(
        default=None,
        metadata=_secret(
            "require this token (header X-Letta-Mock-Token) on /_mock from everyone;"
            " without it, /_mock answers loopback callers only",
            "TOKEN",
        ),
    )
    quiet: bool = field(
        default=False, metadata=_switch("no start-up URLs and no per-request log line", "output")
    )
    state: Path | None = field(
        default=None,
        metadata=_path(
            "file",
            "a snapshot (the GET /_mock/state format) loaded at start-up (stateful mode)",
            "behaviour",
            "none",
        ),
    )
    openapi: Path | None = field(
        default=None,
        metadata=_path(
            "file", "a Letta OpenAPI document served in place of the shipped one", "server", "the shipped one"
        ),
    )

    profile: str = field(
        default=DEFAULT_PROFILE,
        metadata=_choice(
            PROFILE_NAMES,
            "which server to answer as: contract, the documentation; letta-oss, the open-source Letta"
            " server with its quirks (docs/profiles.md)",
            "behaviour",
        ),
    )
    quirks: frozenset[str] = field(
        default=frozenset(),
        metadata=_quirk_names("turn a quirk on, beyond the profile's", "quirk"),
    )
    no_quirks: frozenset[str] = field(
        default=frozenset(),
        metadata=_quirk_names("turn one of the profile's quirks off", "no-quirk"),
    )

    record: Path | None = field(
        default=None,
        metadata=_recording_path(
            "write every API exchange, credentials redacted, to DIR/letta-mock-<UTC time>-<pid>.har"
            " (HAR 1.2, a whole file after every exchange; docs/recording.md)",
            "output",
            _record_dir,
            "a directory (created if missing), not a file",
            "DIR",
        ),
    )
    replay: Path | None = field(
        default=None,
        metadata=_recording_path(
            "answer the requests a recording holds (a HAR file, a VCR.py cassette, or a directory of"
            " them) as recorded; every other request as the mode and profile would (docs/recording.md)",
            "behaviour",
            _replay_path,
            "an existing file or directory",
            "FILE_OR_DIR",
        ),
    )
    upstream: str | None = field(
        default=None,
        metadata={
            "setting": Setting(
                "the Letta server the proxy forwards the API's 20 operations to (a self-hosted Letta or"
                " Letta Cloud)",
                "proxy",
                str.strip,
                "an http:// or https:// URL with a host (a path prefix is kept; no query)",
                _upstream_url,
                "URL",
                shown_default="none",
            )
        },
    )
    upstream_api_key: str | None = field(
        default=None,
        metadata={
            "setting": Setting(
                "send `Authorization: Bearer KEY` to the upstream in place of the client's own",
                "proxy",
                str,
                "a non-empty printable string without spaces",
                lambda value: (
                    isinstance(value, str) and bool(value) and value.isprintable() and " " not in value
                ),
                "KEY",
                shown_default="the client's Authorization",
            )
        },
    )
    upstream_timeout: float = field(
        default=60.0,
        metadata=_seconds(
            3600,
            "how long the proxy waits to connect to the upstream and for each part of its answer (then 504)",
            "proxy",
            zero=False,
        ),
    )
    report_on_exit: bool = field(
        default=False,
        metadata=_switch(
            "print the contract report (client violations, server deviations, quirks seen) on shutdown",
            "proxy",
        ),
    )

    def __post_init__(self) -> None:
        for name in ("quirks", "no_quirks"):
            value = getattr(self, name)
            if isinstance(value, list | tuple | set):  # a marker or a caller may hand any collection
                object.__setattr__(self, name, frozenset(value))
            elif isinstance(value, str):
                object.__setattr__(self, name, frozenset({value}))
            if isinstance(getattr(self, name), frozenset):
                check_quirks(getattr(self, name), f"quirk in {name}")
        for spec in fields(self):
            value = getattr(self, spec.name)
            setting = setting_of(spec)
            if not (setting.valid(value) or (value is None and spec.default is None)):
                rule = setting.value_rule or setting.rule
                raise ValueError(f"{spec.name} must be {rule}, not {value!r}")
        if self.responses == "fuzz" and self.mode != "stateless":
            raise ValueError(
                "--responses fuzz needs --mode stateless (stateful answers come from the simulation)"
            )

    def but(self, **changes: Any) -> Config:
        """A copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)


def settings() -> list[tuple[str, Setting, Any]]:
    """Every field of :class:`Config` with its setting and its default, in declaration order."""
    return [(spec.name, setting_of(spec), spec.default) for spec in fields(Config)]
