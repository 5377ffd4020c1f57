"""The command line: ``letta-mockserver serve [flags]``; every flag also reads ``LETTA_MOCK_*``.

A thin layer: it builds a :class:`Config` (the same one the pytest plugin builds) and hands
it to the server. Bad flags and bad environment values exit with status 2 and a message.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mockserver._clock import CLOCK_KINDS
from mockserver._config import DEFAULT_PORT, LOG_LEVELS, MODES, Config
from mockserver._fuzz_args import configure as configure_fuzz
from mockserver._fuzz_args import run as run_fuzz
from mockserver._schemas import LEVELS

ENV_PREFIX = "LETTA_MOCK_"


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise ValueError(text)
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 31_536_000:  # also refuses NaN
        raise ValueError(text)
    return value


def _hosts(text: str) -> frozenset[str]:
    return frozenset(host.strip().lower() for host in text.split(",") if host.strip())


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(text)


def _env(parser: argparse.ArgumentParser, name: str, convert: Callable[[str], Any], default: Any) -> Any:
    raw = os.environ.get(ENV_PREFIX + name)
    if raw is None:
        return default
    try:
        return convert(raw)
    except ValueError:
        parser.error(f"environment variable {ENV_PREFIX}{name}={raw!r} is not valid")


def _choice(choices: Sequence[str]) -> Callable[[str], str]:
    def convert(text: str) -> str:
        if text not in choices:
            raise ValueError(text)
        return text

    return convert


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="letta-mockserver",
        description="A contract-testing mock server for the Letta Batches & Runs HTTP API.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the mock server (the default command)")
    defaults = Config()

    def env(name: str, convert: Callable[[str], Any], default: Any) -> Any:
        return _env(serve, name, convert, default)

    serve.add_argument(
        "--host",
        default=env("HOST", str, defaults.host),
        help="address to bind (default 127.0.0.1; env LETTA_MOCK_HOST)",
    )
    serve.add_argument(
        "--port",
        type=_port,
        default=env("PORT", _port, DEFAULT_PORT),
        help="port to listen on, 0 for any free port (default 8283; env LETTA_MOCK_PORT)",
    )
    serve.add_argument(
        "--mode",
        choices=MODES,
        default=env("MODE", _choice(MODES), defaults.mode),
        help="stateless: generated answers, Prism-like; stateful: simulated jobs (env LETTA_MOCK_MODE)",
    )
    serve.add_argument(
        "--validation",
        choices=LEVELS,
        default=env("VALIDATION", _choice(LEVELS), defaults.validation),
        help="how much of the request schema is enforced (default strict; env LETTA_MOCK_VALIDATION)",
    )
    serve.add_argument(
        "--seed",
        type=int,
        default=env("SEED", int, defaults.seed),
        help="seed of the generated data (default 0; env LETTA_MOCK_SEED)",
    )
    serve.add_argument(
        "--responses",
        choices=("realistic", "fuzz"),
        default=env("RESPONSES", _choice(("realistic", "fuzz")), defaults.responses),
        help="fuzz (stateless mode): schema-valid, adversarial bodies, per --seed (env LETTA_MOCK_RESPONSES)",
    )
    serve.add_argument(
        "--fixtures",
        type=Path,
        default=env("FIXTURES", Path, None),
        metavar="DIR",
        help="directory of <operationId>.json response fixtures (default: the shipped fixtures/)",
    )
    serve.add_argument(
        "--clock",
        choices=CLOCK_KINDS,
        default=env("CLOCK", _choice(CLOCK_KINDS), defaults.clock),
        help="system: real time; manual: time moves only by POST /_mock/clock/advance (env LETTA_MOCK_CLOCK)",
    )
    serve.add_argument(
        "--job-duration",
        type=_seconds,
        default=env("JOB_DURATION", _seconds, defaults.job_duration),
        metavar="SECONDS",
        help="simulated time from a job's creation to its end (default 2.0; env LETTA_MOCK_JOB_DURATION)",
    )
    serve.add_argument(
        "--stream-ping-interval",
        type=_seconds,
        default=env("STREAM_PING_INTERVAL", _seconds, defaults.stream_ping_interval),
        metavar="SECONDS",
        help="keep-alive ping after this much silence on a run stream (default 20)",
    )
    serve.add_argument(
        "--callback-timeout",
        type=_seconds,
        default=env("CALLBACK_TIMEOUT", _seconds, defaults.callback_timeout),
        metavar="SECONDS",
        help="timeout of each completion callback POST (default 5; env LETTA_MOCK_CALLBACK_TIMEOUT)",
    )
    serve.add_argument(
        "--callback-retries",
        type=int,
        default=env("CALLBACK_RETRIES", int, defaults.callback_retries),
        metavar="N",
        help="retries after a failed callback, with backoff (default 0; env LETTA_MOCK_CALLBACK_RETRIES)",
    )
    serve.add_argument(
        "--callback-concurrency",
        type=int,
        default=env("CALLBACK_CONCURRENCY", int, defaults.callback_concurrency),
        metavar="N",
        help="callbacks delivered at once (default 16; env LETTA_MOCK_CALLBACK_CONCURRENCY)",
    )
    serve.add_argument(
        "--callback-allow-hosts",
        type=_hosts,
        default=env("CALLBACK_ALLOW_HOSTS", _hosts, defaults.callback_allow_hosts),
        metavar="HOST,...",
        help="only these hosts may receive callbacks (default: any; env LETTA_MOCK_CALLBACK_ALLOW_HOSTS)",
    )
    serve.add_argument(
        "--journal-size",
        type=int,
        default=env("JOURNAL_SIZE", int, defaults.journal_size),
        metavar="N",
        help="entries kept by each journal (default 1000; env LETTA_MOCK_JOURNAL_SIZE)",
    )
    serve.add_argument(
        "--api-key",
        default=env("API_KEY", str, defaults.api_key),
        metavar="KEY",
        help="require `Authorization: Bearer KEY` on the Letta API (env LETTA_MOCK_API_KEY)",
    )
    serve.add_argument(
        "--control-token",
        default=env("CONTROL_TOKEN", str, defaults.control_token),
        metavar="TOKEN",
        help="require this token (header X-Letta-Mock-Token) on /_mock from everyone; without it,"
        " /_mock answers loopback callers only (env LETTA_MOCK_CONTROL_TOKEN)",
    )
    serve.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        default=env("LOG_LEVEL", _choice(LOG_LEVELS), defaults.log_level),
        help="server log level (default warning; env LETTA_MOCK_LOG_LEVEL)",
    )
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=env("ACCESS_LOG", _bool, defaults.access_log),
        help="log every request (off by default; env LETTA_MOCK_ACCESS_LOG)",
    )
    fuzz = commands.add_parser(
        "fuzz", help="check a server speaking this API against the documented contract"
    )
    configure_fuzz(fuzz)
    return parser


def config_from_args(argv: Sequence[str] | None = None) -> Config:
    parser = build_parser()
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0].startswith("-") and args[0] not in ("-h", "--help")):
        args.insert(0, "serve")
    namespace = parser.parse_args(args)
    if namespace.fixtures is not None and not namespace.fixtures.is_dir():
        parser.error(f"--fixtures {str(namespace.fixtures)!r} is not a directory")
    try:
        return Config(
            host=namespace.host,
            port=namespace.port,
            mode=namespace.mode,
            validation=namespace.validation,
            seed=namespace.seed,
            responses=namespace.responses,
            fixtures=namespace.fixtures,
            log_level=namespace.log_level,
            access_log=namespace.access_log,
            clock=namespace.clock,
            job_duration=namespace.job_duration,
            stream_ping_interval=namespace.stream_ping_interval,
            callback_timeout=namespace.callback_timeout,
            callback_retries=namespace.callback_retries,
            callback_concurrency=namespace.callback_concurrency,
            callback_allow_hosts=namespace.callback_allow_hosts,
            journal_size=namespace.journal_size,
            api_key=namespace.api_key,
            control_token=namespace.control_token,
        )
    except ValueError as exc:
        parser.error(str(exc))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "fuzz":
        return run_fuzz(build_parser().parse_args(args))
    config = config_from_args(args)
    from mockserver._server import serve  # heavy imports only once the flags are known

    return serve(config)
