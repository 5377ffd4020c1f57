"""``--replay``: recorded answers for the requests a recording holds, in recorded order.

A request matches a recorded one with the same method, path, query (its pairs as a multiset: order
does not matter) and body (JSON compared as JSON, so key order and spacing do not matter; any other
body byte for byte). Credentials are left out of the comparison: a recording has them redacted.
Several recorded requests alike answer in their recorded order, and the last one answers again after.
An answer is served as recorded, so the ids a recorded create returned are the ids the later recorded
requests name: a replay is consistent within itself, whatever the mock would have generated.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson

from mockserver._recording import cassette, har
from mockserver._recording.exchange import Exchange
from mockserver._recording.redact import redact_query

SUFFIXES = {".har": har.loads, ".yaml": cassette.loads, ".yml": cassette.loads}
Key = tuple[str, str, tuple[tuple[tuple[str, str], int], ...], Any]


def _canonical(value: Any) -> Any:
    """A JSON value as something hashable that ignores key order."""
    if isinstance(value, dict):
        return ("{}", frozenset((key, _canonical(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("[]", tuple(_canonical(item) for item in value))
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _body_key(body: bytes) -> Any:
    if not body.strip():
        return None
    try:
        return ("json", _canonical(orjson.loads(body)))
    except orjson.JSONDecodeError:
        return ("bytes", body)


def key(method: str, path: str, query: str, body: bytes) -> Key:
    pairs = Counter(parse_qsl(redact_query(query), keep_blank_values=True))
    return method.upper(), path.rstrip("/") or "/", tuple(sorted(pairs.items())), _body_key(body)


class Replay:
    """The recorded exchanges by request, each kind answered in order, then its last one again."""

    def __init__(self, exchanges: Iterable[Exchange]) -> None:
        self._answers: dict[Key, list[Exchange]] = {}
        self._next: dict[Key, int] = {}
        self.count = 0
        for exchange in exchanges:
            found = key(exchange.method, exchange.path, exchange.query, exchange.request_body)
            self._answers.setdefault(found, []).append(exchange)
            self.count += 1

    def answer(self, method: str, path: str, query: str, body: bytes) -> Exchange | None:
        """The recorded exchange this request is answered with, or None (the mock answers)."""
        found = key(method, path, query, body)
        answers = self._answers.get(found)
        if not answers:
            return None
        position = self._next.get(found, 0)
        self._next[found] = min(position + 1, len(answers) - 1)
        return answers[position]

    def rewind(self) -> None:
        """Every request kind answers from its first recorded exchange again."""
        self._next.clear()


def files(path: Path) -> list[Path]:
    """The recordings ``path`` names: itself, or the ``.har``/``.yaml``/``.yml`` files in it (recursively,
    by name)."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
    return [path]


def load(path: Path, flag: str = "replay") -> list[Exchange]:
    """Every exchange of the recordings at ``path`` (HAR files and cassettes); ``ValueError`` naming the
    setting (``flag``), the file and its problem."""
    if not path.exists():
        raise ValueError(f"{flag} {str(path)!r}: no such file or directory")
    found = files(path)
    if not found:
        raise ValueError(f"{flag} {str(path)!r}: the directory holds no .har, .yaml or .yml file")
    exchanges: list[Exchange] = []
    for one in found:
        exchanges += read_one(one, flag)
    return exchanges


def read_one(path: Path, flag: str = "replay") -> Sequence[Exchange]:
    reader = SUFFIXES.get(path.suffix.lower())
    try:
        data = path.read_bytes()
        if reader is None:  # by its content: a HAR is a JSON object, a cassette YAML
            reader = har.loads if data.lstrip().startswith(b"{") else cassette.loads
        return reader(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ValueError(f"{flag} file {str(path)!r}: {problem or type(exc).__name__}") from None
