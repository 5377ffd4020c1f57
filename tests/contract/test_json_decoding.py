"""A request body reads as the standard library reads it, whichever parser took it.

``decode_json`` parses with orjson where it can (a speed seam) and falls back to ``json`` for the rest;
the values, and every error a client sees, must be those of ``json.loads`` and the walk that refuses
what could not be answered. These tests hold the two to each other byte for byte.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mockserver._contract import parsing
from mockserver._contract.parsing import MAX_JSON_DEPTH, decode_json

JSON = "application/json"


def _reject(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def reference(raw: bytes) -> tuple[str, str]:
    """What the standard library alone makes of ``raw``: the value's repr (types shown), or the problems."""
    try:
        value = json.loads(raw, parse_constant=_reject)
    except json.JSONDecodeError as exc:
        return "error", repr((exc.pos, exc.msg))
    except ValueError as exc:
        return "error", repr(str(exc))
    except RecursionError:
        return "error", "too deep"
    problem = parsing._unanswerable(value)
    if problem is None:
        return "value", repr(value)
    return "error", "too deep" if problem.type == "json_invalid" else repr((problem.loc, problem.type))


def decoded(raw: bytes) -> tuple[str, str]:
    value, problems = decode_json(raw, JSON)
    if not problems:
        return "value", repr(value)
    (problem,) = problems
    context = problem.ctx or {}
    if problem.type == "json_invalid" and "nested too deeply" in str(problem.ctx):
        return "error", "too deep"
    if problem.type == "json_invalid" and len(problem.loc) == 2:
        return "error", repr((problem.loc[1], context["error"]))
    if problem.type == "json_invalid":
        return "error", repr(context["error"])
    return "error", repr((problem.loc, problem.type))


scalars = (
    st.none()
    | st.booleans()
    | st.integers()  # past 64 bits too: orjson would read those as floats
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(codec="utf-16", exclude_categories=()))  # lone surrogates included
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@st.composite
def bodies(draw: st.DrawFn) -> bytes:
    text = json.dumps(draw(values), ensure_ascii=draw(st.booleans()))
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):  # and broken: a byte changed, dropped or added
        at = draw(st.integers(0, len(raw)))
        junk = draw(st.binary(min_size=0, max_size=2))
        raw = raw[:at] + junk + raw[at + draw(st.integers(0, 2)) :]
    return raw


@settings(max_examples=400, deadline=None)
@given(bodies())
@example(b'{"a": 1e400}')
@example(b"[NaN]")
@example(b"123456789012345678901234567890")
@example(b'{"n": -9223372036854775809}')
@example(b"\xef\xbb\xbf{}")
@example(b'"a\x01b"')
@example(b"[1,2")
@example(b"\xff")
@example(b'{"\\udc00": 1}')
def test_a_body_reads_as_the_standard_library_reads_it(raw: bytes) -> None:
    assert decoded(raw) == reference(raw)


def test_integers_past_64_bits_stay_exact() -> None:
    value, problems = decode_json(b'{"max_steps": 123456789012345678901234567890}', JSON)
    assert problems == []
    assert value == {"max_steps": 123456789012345678901234567890}
    assert isinstance(value["max_steps"], int)


def test_nesting_past_the_limit_is_refused_below_and_above_orjsons_own_limit() -> None:
    for depth in (MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 1_000, 1_100):
        raw = b"[" * depth + b"]" * depth
        _, problems = decode_json(raw, JSON)
        assert (problems == []) == (depth <= MAX_JSON_DEPTH), depth
        if problems:
            assert "nested too deeply" in str(problems[0].ctx)
        assert decoded(raw) == reference(raw)


def test_a_big_body_with_brackets_in_its_strings_is_read_whole() -> None:
    text = "[" * (MAX_JSON_DEPTH + 10)
    raw = json.dumps({"requests": [{"agent_id": "a", "input": text}]}).encode()
    value, problems = decode_json(raw, JSON)
    assert problems == []
    assert value["requests"][0]["input"] == text


BRACKETS = json.dumps("[" * (MAX_JSON_DEPTH + 50)).encode()
"""A string that makes a body look deep enough to be read inside padding arrays."""


@settings(max_examples=200, deadline=None)
@given(
    head=st.sampled_from([b"", b"[", b"{", b"]", b"],", b"1,"]),
    body=bodies(),
    tail=st.text(alphabet="[]{},1 ", max_size=6).map(str.encode),
)
@example(head=b"", body=b'{"a": []}', tail=b'],[{"b": 1}')
@example(head=b"", body=b"1", tail=b"],[2")
@example(head=b"", body=b"[]", tail=b"]")
def test_a_body_read_inside_padding_arrays_is_refused_as_the_standard_library_refuses_it(
    head: bytes, body: bytes, tail: bytes
) -> None:
    # `[body, "[[[..."]` with whatever may close the padding's arrays early, or open more, around it.
    raw = head + b"[" + body + b", " + BRACKETS + b"]" + tail
    assert decoded(raw) == reference(raw)
