"""The JSON Schema of a proposal, built from the vocabulary, and validation against it.

The schema is the one definition of a valid `meeting.yaml`: `advisor schema` prints it for
editors, and every refusal is one of its errors turned into a sentence a person can act on.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from advisor.core.vocabulary import PURPOSES, RECURRENCES, ROLES
from advisor.errors import Problem, choice_hint, describe, did_you_mean
from advisor.inputs.yamlsafe import Document

_INT = {"type": "integer"}
_NUMBER_NON_NEGATIVE = {"type": "number", "minimum": 0, "maximum": 10_000}
_BOOL = {"type": "boolean"}
_TEXT = {"type": "string", "minLength": 1}

PURPOSE = {"title": "purpose", "type": "string", "enum": list(PURPOSES)}
ROLE = {"title": "role", "type": "string", "enum": list(ROLES)}

MEETING_SCHEMA: Dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "advisor meeting proposal, version 1",
    "type": "object",
    "required": ["title", "purposes", "duration_minutes", "audience"],
    "additionalProperties": False,
    "properties": {
        "version": {"const": 1, "description": "1 is the only version today"},
        "title": {**_TEXT, "pattern": r"\S", "description": "what the meeting is called"},
        "purposes": {
            "title": "purposes",
            "description": "one purpose or a list of them",
            "if": {"type": "string"},
            "then": PURPOSE,
            "else": {"type": "array", "items": PURPOSE, "minItems": 1, "uniqueItems": True},
        },
        "duration_minutes": {**_INT, "minimum": 5, "maximum": 480, "description": "planned length in minutes"},
        "decision_required": {**_BOOL, "description": "something must be decided in the meeting (default false)"},
        "recurrence": {"title": "recurrence", "type": "string", "enum": list(RECURRENCES)},
        "agenda": {"type": ["array", "null"], "items": _TEXT,
                   "description": "the items to discuss; none means no agenda"},
        "organizer": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"name": _TEXT, "role": ROLE, "email": _TEXT},
        },
        "audience": {
            "description": "everyone who attends, the organizer included, in groups of alike people",
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["role"],
                "additionalProperties": False,
                "properties": {
                    "role": ROLE,
                    "name": _TEXT,
                    "email": _TEXT,
                    "count": {**_INT, "minimum": 1, "maximum": 100_000},
                    "remote": _BOOL,
                    "external": _BOOL,
                    "hourly_cost": {**_NUMBER_NON_NEGATIVE, "maximum": 100_000},
                    "meeting_hours_last_7_days": {**_NUMBER_NON_NEGATIVE, "maximum": 168},
                    "meetings_last_7_days": {**_NUMBER_NON_NEGATIVE, "maximum": 1_000},
                },
            },
        },
        "recent_load": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "window_days": {**_INT, "minimum": 1, "maximum": 366},
                "meeting_hours": _NUMBER_NON_NEGATIVE,
                "meetings": _NUMBER_NON_NEGATIVE,
                "same_topic_days_ago": {**_NUMBER_NON_NEGATIVE, "maximum": 36_500},
            },
        },
        "setting": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"reliable_internet": _BOOL, "visual_material": _BOOL, "sensitive": _BOOL,
                           "about_one_person": _BOOL, "individual_failures": _BOOL,
                           "location": {**_TEXT, "pattern": r"\S", "description": "where the attendees not "
                                                                                   "marked remote meet"}},
        },
        "description": {"type": "string"},
        "start": {**_TEXT, "description": "when it starts: 2026-03-02T10:00, with +01:00, Z or "
                                           "[Europe/Berlin] for its zone (else local time)"},
    },
}

_TYPE_WORDS = {
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "string": "text",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing",
}


def expectation(schema: Dict[str, Any]) -> str:
    """What a (sub)schema accepts, in words: 'an integer from 5 to 480'."""
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if "const" in schema:
        return repr(schema["const"])
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    words = " or ".join(_TYPE_WORDS[t] for t in types if t != "null") or "a value"
    if types == ["string"] and schema.get("minLength"):
        words = "non-empty text"
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        words += f" from {low} to {high}"
    elif low is not None:
        words += f" >= {low}"
    elif high is not None:
        words += f" <= {high}"
    if types == ["array"] and schema.get("minItems"):
        words = "a non-empty list"
    return words


def _validator() -> Any:
    from jsonschema import Draft202012Validator  # imported when needed: it is slow to import

    global _VALIDATOR
    if _VALIDATOR is None:
        _VALIDATOR = Draft202012Validator(MEETING_SCHEMA)
    return _VALIDATOR


_VALIDATOR: Optional[Any] = None


def validate(document: Document) -> List[Problem]:
    """Every way `document` breaks the proposal's schema, as problems sorted by position."""
    return problems_against(_validator(), document)


def problems_against(validator: Any, document: Document,
                     explain: Optional[Callable[[Any, Document], Iterator[Problem]]] = None) -> List[Problem]:
    """Every way `document` breaks `validator`'s schema, each error worded by `explain`
    (by default as for proposals), without repeats, sorted by position."""
    explain = explain or explain_error
    non_finite = dict(_non_finite(document.data, ()))
    problems: List[Problem] = [document.problem(path, f"expected a finite number, found {value}")
                               for path, value in non_finite.items()]
    for error in validator.iter_errors(document.data):
        if tuple(error.absolute_path) not in non_finite:
            problems.extend(explain(error, document))
    unique = {(p.line, p.column, p.path, p.message): p for p in problems}
    return sorted(unique.values(), key=lambda p: (p.line or 0, p.column or 0, p.path))


def _non_finite(value: Any, path: Tuple[Any, ...]) -> Iterator[Tuple[Tuple[Any, ...], float]]:
    """NaN and infinities pass JSON Schema's bounds (every comparison with NaN is false)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _non_finite(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _non_finite(item, path + (index,))


def _unknown_field(key: Any, known: List[str]) -> str:
    if not isinstance(key, str):
        return f"expected a field name (text), found {describe(key)} as a key"
    return f"unknown field '{key}'{choice_hint(key, known)}"


def explain_error(error: Any, document: Document) -> Iterator[Problem]:
    """One JSON Schema error as sentences a person can act on, at the value's position."""
    path = tuple(error.absolute_path)
    schema, value, kind = error.schema, error.instance, error.validator
    if kind in ("if", "then", "else"):  # purposes: report the branch's own errors
        for sub in error.context or ():
            yield from explain_error(sub, document)
        return
    if path == ("purposes",) and kind in ("type", "minItems"):  # neither a word nor a list of them
        yield document.problem(path, f"expected a purpose or a non-empty list of purposes, found {describe(value)}")
        return
    if kind == "additionalProperties":
        known = list(schema.get("properties", {}))
        for key in value:
            if key not in known:
                yield document.problem(path + (key,), _unknown_field(key, known), key=True)
        return
    if kind == "required":
        missing = error.validator_value
        for key in missing:
            if key not in value:
                yield document.problem(path, f"missing required field '{key}'")
        return
    if kind == "type" and "enum" in schema:  # the enum's message says it all
        return
    if kind == "enum" and "title" in schema:
        hint = did_you_mean(value, schema["enum"])
        if not isinstance(value, str):
            expected = f"expected a {schema['title']} ({expectation(schema)})"
            yield document.problem(path, f"{expected}, found {describe(value)}")
        elif hint:
            yield document.problem(path, f"unknown {schema['title']} '{value}'{hint}")
        else:
            yield document.problem(path, f"unknown {schema['title']} '{value}': expected {expectation(schema)}")
        return
    if kind == "uniqueItems":
        repeated = next((item for index, item in enumerate(value) if item in value[:index]), None)
        yield document.problem(path, f"{describe(repeated)} is listed twice")
        return
    if kind == "pattern":
        yield document.problem(path, f"expected non-empty text, found {describe(value)}")
        return
    yield document.problem(path, f"expected {expectation(schema)}, found {describe(value)}")
