"""The ``verify`` subcommand's flags; the replay itself is in ``verify_command``, imported when it runs."""

from __future__ import annotations

import argparse


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 3600:
        raise ValueError(text)
    return value


def configure(verify: argparse.ArgumentParser) -> None:
    """Add the verify command's flags to its subparser."""
    verify.add_argument(
        "--recording",
        required=True,
        metavar="FILE_OR_DIR",
        help="a HAR file, or a folder of them (replayed in name order)",
    )
    verify.add_argument(
        "--base-url", required=True, help="the server to check (no /v1), e.g. http://127.0.0.1:8283"
    )
    verify.add_argument("--api-key", default=None, metavar="KEY", help="send Authorization: Bearer KEY")
    verify.add_argument("--json", action="store_true", help="print a JSON document instead of the table")
    verify.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="S",
        help="seconds to wait for each answer (default 30; at most 3600)",
    )
    verify.add_argument(
        "--seed-mock",
        action="store_true",
        help="when the target is a letta-mockserver, first store the runs the recording read"
        " (made outside the 20 operations) through its control API",
    )
    verify.add_argument(
        "--control-token",
        default=None,
        metavar="TOKEN",
        help="the target mock's control token, for --seed-mock against a mock that has one",
    )


def run(namespace: argparse.Namespace) -> int:
    """Run the verify command with the parsed flags; its exit status."""
    from mockserver._fuzzing.verify_command import main

    return main(
        namespace.recording,
        namespace.base_url,
        api_key=namespace.api_key,
        json_output=namespace.json,
        timeout=namespace.timeout,
        seed_mock=namespace.seed_mock,
        control_token=namespace.control_token,
    )
