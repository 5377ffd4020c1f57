"""What a session observes, reduced to what must agree between servers: statuses, shapes, symbolic ids.

Ids and times always differ between two servers; they are compared by shape (a timestamp's offset form, an
id's prefix) and by the symbolic name the session gave each record (b1, r2, ...), never by value.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

_OFFSET = re.compile(r"[+-]\d\d:\d\d$")
_UUID_TAIL = re.compile(r"^[a-z_]+-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def stamp(value: Any) -> str | None:
    """A timestamp's form: 'Z', '+00:00' or 'naive' (no offset); None when absent or null."""
    if value is None:
        return None
    if not isinstance(value, str):
        return f"not a string: {type(value).__name__}"
    if value.endswith("Z"):
        return "Z"
    if _OFFSET.search(value):
        return "+00:00" if value.endswith("+00:00") else "offset"
    return "naive"


def id_shape(value: Any) -> str:
    if isinstance(value, str) and _UUID_TAIL.match(value):
        return value.split("-", 1)[0] + "-<uuid>"
    return f"other: {value!r}"


def body_of(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def error(response: httpx.Response) -> dict[str, Any]:
    """An answer whose body matters only as its status and its `detail`'s type (string or list)."""
    body = body_of(response)
    detail = body.get("detail", "absent") if isinstance(body, dict) else "not an object"
    kind = type(detail).__name__ if detail != "absent" else "absent"
    return {"status": response.status_code, "detail": kind}


class Names:
    """Symbolic names for the records a session made (b1, r1, ...), to compare lists across servers."""

    def __init__(self) -> None:
        self.by_id: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def add(self, name: str, record_id: str) -> str:
        self.by_id[record_id] = name
        self.ids[name] = record_id
        return record_id

    def __getitem__(self, name: str) -> str:
        return self.ids[name]

    def listed(self, items: Any) -> list[str] | str:
        """The session's own records in a list answer, in order; other records (earlier sessions) ignored."""
        if isinstance(items, dict) and "messages" in items:
            items = items["messages"]
        if not isinstance(items, list):
            return f"not a list: {type(items).__name__}"
        return [
            self.by_id[item["id"]]
            for item in items
            if isinstance(item, dict) and item.get("id") in self.by_id
        ]
