"""Compiled JSON Schema validators over the operation table, and their errors as violations.

One :class:`SchemaSet` per validation level holds a validator per JSON pointer, built once
and reused. Every validator refers into the whole document through the ``referencing``
registry of :class:`~mockserver._contract.spec.Refs`, so ``#/components/schemas/...``
references resolve without copying schemas, exactly as the rest of the contract layer
resolves them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

from mockserver._contract.spec import Refs

Level = Literal["strict", "lenient", "off"]
LEVELS: tuple[Level, ...] = ("strict", "lenient", "off")
Loc = tuple[str | int, ...]

# `lenient` keeps types, required fields and enums; everything that constrains a value's
# shape beyond its type is switched off.
LENIENT_OFF = frozenset(
    (
        "pattern",
        "format",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
    )
)


def without_keywords(node: Any, keywords: frozenset[str]) -> Any:
    """A copy of a schema without ``keywords`` (a property *named* like one stays)."""
    if isinstance(node, dict):
        return {
            k: without_keywords(v, keywords)
            for k, v in node.items()
            if not (k in keywords and not isinstance(v, dict))
        }
    if isinstance(node, list):
        return [without_keywords(v, keywords) for v in node]
    return node


@dataclass(frozen=True, slots=True)
class Violation:
    """One contract violation, shaped like FastAPI's validation error item."""

    loc: Loc
    msg: str
    type: str
    ctx: Mapping[str, Any] | None = None
    schema_path: str = ""
    detail: str = field(default="", compare=False)
    """jsonschema's own message, kept for the contract report."""

    def as_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"loc": list(self.loc), "msg": self.msg, "type": self.type}
        if self.ctx:
            item["ctx"] = dict(self.ctx)
        return item


class SchemaSet:
    """Validators for one validation level over one OpenAPI document."""

    def __init__(self, document: Mapping[str, Any] | Refs, level: Level = "strict") -> None:
        """Validators over ``document``; give a table's ``refs`` to share its resolver."""
        self.level = level
        self._refs = document if isinstance(document, Refs) else Refs(document)
        if level != "strict":
            # Lenient (and off) validate a copy without the value-shaping keywords: both validators
            # below then read one schema, and a table's resolver cannot be shared with it.
            self._refs = Refs(without_keywords(self._refs.document, LENIENT_OFF))
        document = self._refs.document
        self._cache: dict[str, Validator] = {}
        self._fast: dict[str, Any] = {}
        self._format_checker = FormatChecker() if level == "strict" else None
        self._document = document

    def fast_validator(self, pointer: str) -> Any:
        """A compiled jsonschema-rs validator of the same schema: the fast yes/no.

        jsonschema (Python) stays the authority: it writes every error message, and an answer
        "invalid" from the fast validator is always confirmed by it.
        """
        cached = self._fast.get(pointer)
        if cached is None:
            subschema = self._refs.at(pointer)
            # The document's shared definitions ride along, so the sub-schema's local refs resolve:
            # `#/components/...` in the API's document, `#/$defs/...` in the control document.
            shared = {key: self._document[key] for key in ("components", "$defs") if key in self._document}
            root = {**shared, **subschema} if isinstance(subschema, dict) else subschema
            cached = jsonschema_rs.Draft202012Validator(root, validate_formats=self.level == "strict")
            self._fast[pointer] = cached
        return cached

    def validator(self, pointer: str) -> Validator:
        cached = self._cache.get(pointer)
        if cached is None:
            # The sub-schema itself, with a resolver rooted at the document: its local refs
            # (`#/components/...`) resolve, and no `$ref` hop is paid on every validation.
            subschema = self._refs.at(pointer)
            cached = Draft202012Validator(
                subschema,
                format_checker=self._format_checker,
                _resolver=self._refs.resolver,  # type: ignore[call-arg]
            )
            self._cache[pointer] = cached
        return cached

    def violations(self, pointer: str, instance: Any, prefix: Loc = ()) -> list[Violation]:
        """Every violation of the schema at ``pointer`` by ``instance``, locations prefixed."""
        if self.level == "off":
            return []
        try:
            if self.fast_validator(pointer).is_valid(instance):
                return []
        except (ValueError, TypeError, OverflowError, RecursionError):
            pass  # what the fast validator cannot take (huge ints, deep nesting), Python judges
        try:
            errors = list(self.validator(pointer).iter_errors(instance))
        except RecursionError:
            return [Violation(prefix, "Input is nested too deeply to validate", "recursion_loop")]
        return [one for error in errors for one in _violations(_deepest(error), prefix)]

    def is_valid(self, pointer: str, instance: Any) -> bool:
        return self.level == "off" or self.validator(pointer).is_valid(instance)


def _relevant(errors: Iterable[ValidationError]) -> list[ValidationError]:
    # In `anyOf: [X, {type: null}]` the null branch's complaint says nothing useful.
    kept = [e for e in errors if not (e.validator == "type" and e.validator_value == "null")]
    return kept or list(errors)


def _deepest(error: ValidationError) -> ValidationError:
    """Follow ``anyOf``/``oneOf`` down to the branch error that explains the failure."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        candidates = _relevant(error.context)
        branch = _discriminated_branch(error, candidates)
        chosen = branch if branch is not None else best_match(candidates)
        if chosen is None or (chosen.validator == "type" and len(candidates) > 1 and branch is None):
            break
        error = chosen
    return error


def _discriminated_branch(
    error: ValidationError, candidates: list[ValidationError]
) -> ValidationError | None:
    # With a discriminator the branch whose const matched is the one the client meant.
    by_branch: dict[int, list[ValidationError]] = {}
    for candidate in candidates:
        if candidate.relative_schema_path:
            by_branch.setdefault(int(candidate.relative_schema_path[0]), []).append(candidate)
    meant = [errs for errs in by_branch.values() if not any(e.validator == "const" for e in errs)]
    if len(by_branch) > 1 and len(meant) == 1:
        chosen: ValidationError | None = best_match(meant[0])
        return chosen
    return None


_TYPE_NAMES = {
    "string": ("string_type", "Input should be a valid string"),
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
    "array": ("list_type", "Input should be a valid list"),
    "object": ("dict_type", "Input should be a valid dictionary or object"),
    "null": ("none_required", "Input should be None"),
}


def _choices(values: Iterable[Any]) -> str:
    shown = [repr(v) if not isinstance(v, str) else f"'{v}'" for v in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _violations(error: ValidationError, prefix: Loc) -> list[Violation]:
    """One violation per field: an unexpected property is named in ``loc``, like pydantic does."""
    if (
        error.validator in ("additionalProperties", "unevaluatedProperties")
        and error.validator_value is False
    ):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extras = (
            [key for key in error.instance if key not in known] if isinstance(error.instance, dict) else []
        )
        if extras:
            base = _violation(error, prefix)
            return [
                Violation((*base.loc, key), base.msg, base.type, None, base.schema_path, base.detail)
                for key in extras
            ]
    return [_violation(error, prefix)]


def _violation(error: ValidationError, prefix: Loc) -> Violation:
    loc: Loc = prefix + tuple(error.absolute_path)
    kind = str(error.validator)
    value: Any = error.validator_value
    schema_path = "/".join(str(p) for p in error.absolute_schema_path)
    ctx: dict[str, Any] | None = None
    if kind == "required":
        name = ast.literal_eval(error.message.removesuffix(" is a required property"))
        return Violation((*loc, name), "Field required", "missing", None, schema_path, error.message)
    if kind == "type":
        expected = value if isinstance(value, str) else value[0]
        type_, msg = _TYPE_NAMES.get(expected, ("type_error", error.message))
    elif kind == "enum":
        type_, msg, ctx = "enum", f"Input should be {_choices(value)}", {"expected": _choices(value)}
    elif kind == "const":
        type_, msg, ctx = "literal_error", f"Input should be {_choices([value])}", {"expected": repr(value)}
    elif kind == "pattern":
        type_, msg, ctx = (
            "string_pattern_mismatch",
            f"String should match pattern '{value}'",
            {"pattern": value},
        )
    elif kind == "minLength":
        type_, msg, ctx = (
            "string_too_short",
            f"String should have at least {value} characters",
            {"min_length": value},
        )
    elif kind == "maxLength":
        type_, msg, ctx = (
            "string_too_long",
            f"String should have at most {value} characters",
            {"max_length": value},
        )
    elif kind == "minimum":
        type_, msg, ctx = (
            "greater_than_equal",
            f"Input should be greater than or equal to {value}",
            {"ge": value},
        )
    elif kind == "maximum":
        type_, msg, ctx = "less_than_equal", f"Input should be less than or equal to {value}", {"le": value}
    elif kind == "exclusiveMinimum":
        type_, msg, ctx = "greater_than", f"Input should be greater than {value}", {"gt": value}
    elif kind == "exclusiveMaximum":
        type_, msg, ctx = "less_than", f"Input should be less than {value}", {"lt": value}
    elif kind == "format" and value == "uri":
        type_, msg = "url_parsing", "Input should be a valid URL"
    elif kind == "format" and value == "date-time":
        type_, msg = "datetime_parsing", "Input should be a valid datetime"
    elif kind in ("additionalProperties", "unevaluatedProperties") and value is False:
        type_, msg = "extra_forbidden", "Extra inputs are not permitted"
    elif kind in ("oneOf", "anyOf"):
        type_, msg = "union_tag_invalid" if kind == "oneOf" else "union_type", error.message
    else:
        type_, msg = kind, error.message
    return Violation(loc, msg, type_, ctx, schema_path, error.message)
