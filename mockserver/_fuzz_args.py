"""The ``fuzz`` subcommand's flags: kept apart from ``_fuzz`` so that ``--help`` imports no Hypothesis."""

from __future__ import annotations

import argparse


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def configure(fuzz: argparse.ArgumentParser) -> None:
    """Add the fuzz command's flags to its subparser."""
    fuzz.add_argument("--base-url", required=True, help="the server to check, e.g. http://127.0.0.1:8283")
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


def run(namespace: argparse.Namespace) -> int:
    """Run the fuzz command with the parsed flags; its exit status."""
    from mockserver._fuzz import main

    return main(
        namespace.base_url, namespace.operations, namespace.examples, namespace.seed, namespace.api_key
    )
