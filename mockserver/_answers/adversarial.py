"""Adversarial, still schema-valid data: the corners of the contract, for ``--responses fuzz``.

Optional fields go missing or null, strings are empty, huge, or unusual unicode, numbers sit
on their bounds or at the extremes JSON allows, lists are empty, and every enum member and
union branch is fair game, including those an older SDK does not know. Ids keep their
documented format (and stay unique), so that pagination and retrieval still work.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mockserver._contract.generate import _MAX_DEPTH, DataGenerator, _Walk

_STRINGS = (
    "",
    " ",
    "ünïcødé ✓ 漢字 🚀",
    "\u0000nul",
    "line\nbreak\ttab",
    "\u202eright-to-left",
    "<script>alert(1)</script>",
    "null",
    "x" * 10_000,
)
_TIMES = (
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2038, 1, 19, 3, 14, 8, 999_999, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
)
_URIS = ("https://example.com/%E2%9C%93?q=a&b=c#frag", "http://127.0.0.1:1/", "https://x.invalid")
_INTEGERS = (0, 1, -1, 2**31 - 1, 2**53, 2**63 - 1, -(2**63))
_NUMBERS = (0.0, -0.0, 0.1, 1e308, -1e308, 5e-324)


class AdversarialGenerator(DataGenerator):
    def _enum(self, values: list[Any], walk: _Walk) -> Any:
        return walk.rng.choice(values)

    def _union(
        self,
        schema: Mapping[str, Any],
        key: str,
        walk: _Walk,
        name: str | None,
        owner: str | None,
        depth: int,
    ) -> Any:
        branches = list(schema[key])
        if depth >= _MAX_DEPTH:
            nullable = [b for b in branches if self._resolve(b).get("type") == "null"]
            branches = nullable or branches
        return self._value(walk.rng.choice(branches), walk, name, owner, depth + 1)

    def _object(self, schema: Mapping[str, Any], walk: _Walk, name: str | None, depth: int) -> dict[str, Any]:
        full = super()._object(schema, walk, name, depth)
        required = set(schema.get("required", ()))
        # A `const` property is how a oneOf tells its branches apart: without it, two match.
        required |= {
            key for key, sub in schema.get("properties", {}).items() if "const" in self._resolve(sub)
        }
        if name is None:  # keep the top level's ids and shape, for paging and retrieval
            required |= {"id"}
        return {key: value for key, value in full.items() if key in required or walk.rng.random() < 0.7}

    def _array(
        self, schema: Mapping[str, Any], walk: _Walk, name: str | None, owner: str | None, depth: int
    ) -> list[Any]:
        low = int(schema.get("minItems", 0))
        count = walk.rng.choice((low, low, low + 1, low + 3)) if depth < _MAX_DEPTH else low
        count = min(count, int(schema.get("maxItems", count)))
        items = schema.get("items", {})
        return [self._value(items, walk, name, owner, depth + 1) for _ in range(count)]

    def _string(self, schema: Mapping[str, Any], walk: _Walk, name: str | None, owner: str | None) -> str:
        fmt = schema.get("format")
        if fmt == "date-time":
            moment = walk.rng.choice(_TIMES)
            offset = walk.rng.choice((0, 14 * 60, -12 * 60))
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + _offset(offset)
        if fmt == "uri":
            return walk.rng.choice(_URIS)
        if name == "id" or schema.get("pattern"):
            return super()._string(schema, walk, name, owner)
        low, high = int(schema.get("minLength", 0)), int(schema.get("maxLength", 100_000))
        text = walk.rng.choice(_STRINGS)
        if len(text) < low:
            text += "é" * (low - len(text))
        return text[:high]

    def _integer(self, schema: Mapping[str, Any], walk: _Walk, name: str | None) -> int:
        low = schema.get("minimum")
        high = schema.get("maximum")
        choices = [v for v in _INTEGERS if (low is None or v >= low) and (high is None or v <= high)]
        choices += [b for b in (low, high) if b is not None]
        return int(walk.rng.choice(choices))

    def _number(self, schema: Mapping[str, Any], walk: _Walk) -> float:
        low = schema.get("minimum")
        high = schema.get("maximum")
        choices = [v for v in _NUMBERS if (low is None or v >= low) and (high is None or v <= high)]
        fallback = [float(b) for b in (low, high) if b is not None] or [0.0]
        return float(walk.rng.choice(choices or fallback))


def _offset(minutes: int) -> str:
    if minutes == 0:
        return "Z"
    sign = "+" if minutes > 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{mins:02d}"
