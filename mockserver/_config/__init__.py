"""The settings of one server, built alike by the CLI, the pytest plugin and Python callers.

Each field of :class:`Config` is declared once, with a :class:`Setting` in its metadata: its
flag (``--job-duration``), its environment variable (``LETTA_MOCK_JOB_DURATION``), how text
becomes a value, the rule a value must follow and the help text. The CLI, its environment
layer, ``Config``'s own validation and the flag table of docs/cli.md are all built from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from mockserver._config.rules import (
    DEFAULT_PORT,
    LOG_LEVELS,
    Setting,
    _choice,
    _host,
    _host_set,
    _hosts,
    _integer,
    _path,
    _quirk_names,
    _record_dir,
    _recording_path,
    _replay_path,
    _seconds,
    _secret,
    _switch,
    _upstream_url,
    setting_of,
)
from mockserver._contract.quirks import DEFAULT_PROFILE, PROFILE_NAMES, check_quirks
from mockserver._contract.validation import LEVELS, Level
from mockserver._simulation.clock import CLOCK_KINDS, ClockKind
from mockserver._simulation.retention import DEFAULT_MAX_RECORDS

Mode = Literal["stateless", "stateful"]
MODES: tuple[Mode, ...] = ("stateless", "stateful")


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
            " the real server's request rules; lenient, types, required fields, enums and callback_url"
            " as the real server checks it (a batch request may give neither input nor messages); off,"
            " nothing",
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


def flag_of(name: str) -> str:
    spec = {spec.name: spec for spec in fields(Config)}.get(name)
    if spec is not None and setting_of(spec).flag:
        return f"--{setting_of(spec).flag}"
    return "--" + name.replace("_", "-")
