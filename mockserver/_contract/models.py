"""What the real server's request models enforce beyond the OpenAPI document.

Letta parses request bodies with pydantic models whose validators say more than the schema they
publish: a batch request takes exactly one of ``input`` or ``messages`` (``LettaRequest``,
``letta/schemas/letta_request.py:146-152``), and ``callback_url`` is a pydantic ``HttpUrl``
(``CreateBatch``, ``:215-224``), checked and normalised (``https://example.com`` is stored as
``https://example.com/``). These rules turn into the same 422 violations as the schema's own, so
they are journaled and reported like any other contract violation.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from mockserver._contract.validation import Violation

URL_MAX_LENGTH = 2083
"""pydantic's ``HttpUrl`` limit, which the document repeats as ``maxLength``."""

_NEITHER = "Must specify either 'input' or 'messages'."
_BOTH = "Cannot specify both 'input' and 'messages'. Use one or the other."


@functools.cache
def _http_url() -> Callable[[str], Any]:
    # pydantic-core is what the real server validates with: the same WHATWG parser, the same
    # normalisation and the same error types and messages. Imported on first use, not at start-up.
    from pydantic_core import SchemaValidator, core_schema

    validator = SchemaValidator(
        core_schema.url_schema(max_length=URL_MAX_LENGTH, allowed_schemes=["http", "https"])
    )
    return validator.validate_python


def http_url(value: str) -> tuple[str | None, Violation | None]:
    """``value`` as the real server stores it, or the violation pydantic reports (``loc`` empty)."""
    from pydantic_core import ValidationError

    try:
        return str(_http_url()(value)), None
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        return None, Violation((), error["msg"], error["type"], dict(error.get("ctx") or {}))


def _under(loc: tuple[Any, ...], reported: list[Violation]) -> bool:
    return any(problem.loc[: len(loc)] == loc for problem in reported)


def check_create_batch(body: Any, level: str, reported: list[Violation]) -> tuple[Any, list[Violation]]:
    """The body as the real server would use it, and every violation in it: ``reported`` (the
    schema's), with its generic ``format: uri`` message replaced by pydantic's, and what the models add.

    ``reported`` is what the schema already found wrong: pydantic runs a model's own validator only
    once its fields are valid, so a value the schema refused gets no second violation here.
    The ``input``/``messages`` rule applies under strict validation only (SDK-generated tests send
    ``{"agent_id": "agent_id"}`` alone, which lenient exists to accept). ``callback_url`` is checked
    and normalised under both, as the real server always does (the SDK's generated tests send an
    http(s) URL, and the lenient served document keeps the field's ``format: uri`` to say so).
    """
    url_loc = ("body", "callback_url")
    if reported:
        reported = [p for p in reported if not (p.loc == url_loc and p.schema_path.endswith("/format"))]
    if not isinstance(body, dict):
        return body, reported
    problems: list[Violation] = []
    requests = body.get("requests")
    if level == "strict" and isinstance(requests, list):
        for index, item in enumerate(requests):
            loc = ("body", "requests", index)
            if not isinstance(item, dict) or (reported and _under(loc, reported)):
                continue
            # pydantic's `Optional[...] = None`: an explicit null is the same as leaving the field out.
            has_input = item.get("input") is not None
            if has_input == (item.get("messages") is not None):
                text = _BOTH if has_input else _NEITHER
                problems.append(Violation(loc, f"Value error, {text}", "value_error", {"error": text}))
    url = body.get("callback_url")
    if isinstance(url, str) and not (reported and _under(url_loc, reported)):
        normal, problem = http_url(url)
        if problem is not None:
            problems.append(Violation(url_loc, problem.msg, problem.type, problem.ctx))
        elif normal != url:
            body = {**body, "callback_url": normal}
    return body, [*reported, *problems]
