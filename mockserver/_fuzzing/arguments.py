"""The ``fuzz`` subcommand's flags: kept apart from ``_fuzz`` so that ``--help`` imports no Hypothesis."""

from __future__ import annotations

import argparse
import re

_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
"""An HTTP field name (RFC 9110 token)."""


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    name, value = name.strip(), value.strip()
    if not colon or not _HEADER_NAME.match(name):
        raise argparse.ArgumentTypeError(f"{text!r} must be 'Name: value' with a valid header name")
    if any(ord(c) < 32 and c != "\t" for c in value):
        raise argparse.ArgumentTypeError(f"{text!r} has a control character in its value")
    return name, value


def configure(fuzz: argparse.ArgumentParser) -> None:
    """Add the fuzz command's flags to its subparser."""
    fuzz.add_argument(
        "--base-url", required=True, help="the server's root (no /v1), e.g. http://127.0.0.1:8283"
    )
    fuzz.add_argument(
        "--operations",
        type=lambda text: [name.strip() for name in text.split(",") if name.strip()],
        default=None,
        metavar="ID,...",
        help="operationIds to check (default: all 20)",
    )
    fuzz.add_argument(
        "--examples", type=_positive, default=20, metavar="N", help="requests per operation (default 20)"
    )
    fuzz.add_argument("--seed", type=int, default=0, help="seed of the generated requests")
    fuzz.add_argument("--api-key", default=None, metavar="KEY", help="send Authorization: Bearer KEY")
    fuzz.add_argument(
        "--header",
        type=_header,
        action="append",
        default=[],
        dest="headers",
        metavar="'NAME: VALUE'",
        help="send this header with every request (repeatable; wins over --api-key)",
    )
    fuzz.add_argument(
        "--allow-no-success",
        action="store_true",
        help="do not fail the run when an operation's success body was never validated (still reported)",
    )
    fuzz.add_argument("--json", action="store_true", help="print the report as JSON instead of the table")


def run(namespace: argparse.Namespace) -> int:
    """Run the fuzz command with the parsed flags; its exit status."""
    from mockserver._fuzzing.command import main

    return main(
        namespace.base_url,
        namespace.operations,
        namespace.examples,
        namespace.seed,
        namespace.api_key,
        headers=namespace.headers,
        allow_no_success=namespace.allow_no_success,
        json_output=namespace.json,
    )
