"""The small pieces every stored record is written with: timestamps, derived ids, stored messages.

Pure: times are POSIX seconds passed in; ids come from the caller's generator or are derived from
an id that was (so a record can name what it will produce without storing it).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mockserver._contract.generate import message_date

DEFAULT_USER = "user-00000000-0000-4000-8000-000000000000"
DEFAULT_MODEL = "claude-sonnet-4-5-20250929"

_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)


def stamp(seconds: float) -> str:
    """``rfc3339(datetime.fromtimestamp(seconds, UTC))``, the same text for every time.

    A speed seam: every create and every transition writes one, and the ``datetime`` round trip cost
    ~2.5 us where this costs ~0.6 us (bench/instructions.py, ``create_batch_finished``). The whole
    seconds' text is kept from the last call (times arrive in order, so it mostly repeats); the
    microseconds are rounded as ``datetime.fromtimestamp`` rounds them (half to even), and
    tests/stateful/test_wire.py holds the two to each other.
    """
    global _last
    whole = math.floor(seconds)
    micro = round((seconds - whole) * 1_000_000)
    if micro >= 1_000_000:
        whole, micro = whole + 1, micro - 1_000_000
    last = _last  # one tuple, read and replaced whole: simulations in other threads share it
    if last[0] != whole:
        last = _last = (whole, datetime.fromtimestamp(whole, UTC).isoformat().removesuffix("+00:00"))
    return f"{last[1]}.{micro:06d}Z" if micro else f"{last[1]}Z"


_last: tuple[int | None, str] = (None, "")


def date_stamp(seconds: float) -> str:
    return message_date(datetime.fromtimestamp(seconds, UTC))


def ns(seconds: float) -> int:
    return round(seconds * 1_000_000_000)


def derived_id(prefix: str, source: str) -> str:
    """``<prefix>-<uuid4>`` computed from ``source`` (itself a seeded id): the same for the same seed,
    and nothing to store, so a batch's items and messages can be named when they are read."""
    digest = hashlib.blake2b(source.encode(), digest_size=16).digest()
    value = int.from_bytes(digest) & _UUID_CLEAR | _UUID_SET
    text = f"{value:032x}"
    return f"{prefix}-{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


@dataclass(eq=False, slots=True)
class MessageRecord:
    id: str
    seq: int
    body: dict[str, Any]

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.seq, self.id)


def internal_message(
    message_id: str, *, agent_id: str, role: str, text: str, at: str, batch_item_id: str | None
) -> dict[str, Any]:
    """A message in the internal ``Message`` schema, as ``GET .../batches/{id}/messages`` serves it."""
    return {
        "created_by_id": DEFAULT_USER,
        "last_updated_by_id": DEFAULT_USER,
        "created_at": at,
        "updated_at": at,
        "id": message_id,
        "agent_id": agent_id,
        "model": DEFAULT_MODEL if role == "assistant" else None,
        "role": role,
        "content": [{"type": "text", "text": text, "signature": None}],
        "name": None,
        "tool_calls": None,
        "tool_call_id": None,
        "step_id": None,
        "run_id": None,
        "otid": None,
        "tool_returns": None,
        "group_id": None,
        "sender_id": None,
        "batch_item_id": batch_item_id,
        "conversation_id": None,
        "is_err": None,
        "approval_request_id": None,
        "approve": None,
        "denial_reason": None,
        "approvals": None,
    }
