"""The command line: ``letta-mockserver serve [flags]``; every flag also reads ``LETTA_MOCK_*``.

A thin layer built from the one declaration of the settings (``Config``'s fields, see
``_config``): the ``serve`` flags, their environment variables and the flag table of
docs/cli.md all come from it. A bad flag or variable is one line on stderr and exit status 2.
Variables are read only when a server is to be built, so that a bad one cannot break
``--help``, ``--version`` or ``fuzz``.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from mockserver._config import Config, flag_of, settings
from mockserver._config.rules import GROUPS, Setting, env_of
from mockserver._contract.quirks import quirk_listing
from mockserver._fuzzing.arguments import configure as configure_fuzz
from mockserver._fuzzing.arguments import run as run_fuzz
from mockserver._fuzzing.verify import configure as configure_verify
from mockserver._fuzzing.verify import run as run_verify
from mockserver._version import __version__

PROG = "letta-mockserver"
_TOP_LEVEL = ("-h", "--help", "--version")
_ARGPARSE_VALUE = re.compile(r"^argument (?P<flag>[^:]+): invalid (?P<kind>\w+) value: (?P<value>.*)$")
_KINDS = {
    "int": "an integer",
    "float": "a number",
    "_positive": "an integer of at least 1",
    "_seconds": "a number of seconds above 0, at most 3600",
}


class UsageError(Exception):
    """A flag or a variable the CLI cannot use; its message is the one line the user sees."""


def _one_line(message: str) -> str:
    """argparse's own messages, reworded to say the flag, the value and what was expected."""
    found = _ARGPARSE_VALUE.match(message)
    if found:
        kind = _KINDS.get(found.group("kind"))
        value = found.group("value")
        rule = f"must be {kind}" if kind else "is not a valid value"
        return f"{found.group('flag')} {value}: {rule}"
    return message.removeprefix("argument ")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # argparse prints the whole usage block before its message; one line says more.
        self.exit(2, f"{PROG}: {_one_line(message)} (see {self.prog} --help)\n")


def shown_default(setting: Setting, default: Any) -> str:
    """The default as the help and the docs say it."""
    if setting.shown_default is not None:
        return setting.shown_default
    if setting.switch:
        return "on" if default else "off"
    if isinstance(default, float):
        return f"{default:g}"
    return str(default)


def _metavar(name: str, setting: Setting) -> str:
    if setting.choices:
        return "{" + ",".join(setting.choices) + "}"
    return setting.metavar or name.upper()


_PROXY_GROUPS = ("server", "security", "output", "proxy")


def _add_serve_flags(serve: argparse.ArgumentParser, only: Sequence[str] | None = None) -> None:
    wanted = only if only is not None else [group for group in GROUPS if group != "proxy"]
    groups = {group: serve.add_argument_group(group, GROUPS[group]) for group in wanted}  # type: ignore[index]
    for name, setting, default in settings():
        if setting.group not in groups:
            continue
        text = f"{setting.help} (default: {shown_default(setting, default)}; env {env_of(name)})"
        text = text.replace("%", "%%")
        group = groups[setting.group]
        if setting.switch:
            group.add_argument(
                flag_of(name), dest=name, action=argparse.BooleanOptionalAction, default=None, help=text
            )
        else:
            group.add_argument(
                flag_of(name),
                dest=name,
                default=None,
                metavar=_metavar(name, setting),
                help=text,
                action="append" if setting.repeat else "store",
            )


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A contract-testing mock server for the Letta Batches & Runs HTTP API.",
        epilog="Without a command, `serve` is meant: `letta-mockserver --port 0` serves.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the mock server (the default command)",
        description="Run the mock server. Every flag can also be set by its LETTA_MOCK_* variable;"
        " a flag wins over its variable.",
    )
    serve.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    _add_serve_flags(serve)
    proxy = commands.add_parser(
        "proxy",
        help="forward the API to a real Letta server, checking both directions against the contract",
        description="Forward the 20 operations to --upstream and report client violations, server"
        " deviations and the real server's quirks seen (docs/proxy.md).",
    )
    _add_serve_flags(proxy, _PROXY_GROUPS)
    fuzz = commands.add_parser(
        "fuzz", help="check a server speaking this API against the documented contract"
    )
    configure_fuzz(fuzz)
    verify = commands.add_parser(
        "verify", help="replay a recording against a server and report what differs for a client"
    )
    configure_verify(verify)
    commands.add_parser(
        "quirks",
        help="list the real server's quirks a profile can reproduce",
        description="Every quirk --quirk and --no-quirk can name: what it does, where the real server"
        " does it, and the profiles that include it.",
    )
    return parser


def _value(name: str, setting: Setting, given: Any) -> Any:
    """The flag's value, else the variable's, else ``None`` (the default); refused with the rule."""
    if given is None:
        raw = os.environ.get(env_of(name))
        if raw is None:
            return None
        text, source = raw, f"environment {env_of(name)}={shlex.quote(raw)}"
    elif setting.switch:
        return given
    else:
        if isinstance(given, list):  # a repeatable flag
            given = ",".join(given)
        text, source = given, f"{flag_of(name)} {shlex.quote(given)}"
    try:
        value = setting.parse(text)
    except ValueError:
        raise UsageError(f"{source}: must be {setting.rule}") from None
    if not setting.valid(value):
        raise UsageError(f"{source}: must be {setting.rule}")
    return value


def config_from_namespace(namespace: argparse.Namespace) -> Config:
    """The ``Config`` of parsed ``serve`` flags, with ``LETTA_MOCK_*`` for those not given."""
    values: dict[str, Any] = {}
    for name, setting, _default in settings():
        if not hasattr(namespace, name):  # a setting of another command (`serve` reads no --upstream)
            continue
        value = _value(name, setting, getattr(namespace, name))
        if value is not None:
            values[name] = value
    try:
        return Config(**values)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _with_command(argv: Sequence[str] | None) -> list[str]:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or (args[0].startswith("-") and args[0] not in _TOP_LEVEL):
        args.insert(0, "serve")
    return args


def _usage_error(error: UsageError, command: str = "serve") -> NoReturn:
    print(f"{PROG}: {error} (see {PROG} {command} --help)", file=sys.stderr)
    raise SystemExit(2)


def config_from_args(argv: Sequence[str] | None = None) -> Config:
    """The ``Config`` the command line asks for; exits with status 2 and one line when it cannot."""
    namespace = build_parser().parse_args(_with_command(argv))
    try:
        return config_from_namespace(namespace)
    except UsageError as error:
        _usage_error(error)


def main(argv: Sequence[str] | None = None) -> int:
    namespace = build_parser().parse_args(_with_command(argv))
    if namespace.command == "fuzz":
        return run_fuzz(namespace)
    if namespace.command == "verify":
        return run_verify(namespace)
    if namespace.command == "quirks":
        sys.stdout.write(quirk_listing())
        return 0
    try:
        config = config_from_namespace(namespace)
        if namespace.command == "proxy" and config.upstream is None:
            raise UsageError("proxy needs --upstream URL (or LETTA_MOCK_UPSTREAM)")
    except UsageError as error:
        _usage_error(error, namespace.command or "serve")
    from mockserver._running.server import serve  # heavy imports only once the flags are known

    return serve(config)


def flag_table() -> str:
    """The Markdown flag table of docs/cli.md, one table per group of flags."""
    lines: list[str] = []
    for group, about in GROUPS.items():
        lines += [f"**{group.capitalize()}**: {about}.", "", "| flag | environment | default | meaning |"]
        lines.append("|---|---|---|---|")
        for name, setting, default in settings():
            if setting.group != group:
                continue
            flag = f"`{flag_of(name)}`" if setting.switch else f"`{flag_of(name)} {_metavar(name, setting)}`"
            if setting.switch:
                flag += f", `--no-{flag_of(name)[2:]}`"
            if setting.repeat:
                flag += " (repeatable)"
            meaning = setting.help
            if not (setting.switch or setting.choices):
                meaning += f"; must be {setting.rule}"
            meaning = meaning.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
            lines.append(f"| {flag} | `{env_of(name)}` | {shown_default(setting, default)} | {meaning} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    if sys.argv[1:] != ["--markdown-table"]:
        sys.exit(f"usage: python -m mockserver._running.cli --markdown-table (not {' '.join(sys.argv[1:])})")
    sys.stdout.write(flag_table())
