"""The `when` language: validated against the facts' schema, compiled to durable_rules JSON.

    when:
      all:
        - purposes: {subset_of: [status_update, policy_update]}
        - decision_required: false
        - not: {attendees: {lt: 9}}

A condition is `all: [...]`, `any: [...]`, `not: condition`, or `FACT: value` (equality) or
`FACT: {OPERATOR: operand, ...}` (every operator must hold). durable_rules has no negation,
so `not` is pushed down to the comparisons (De Morgan) before compiling.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, Tuple

from advisor.core.facts import FACTS, FactSpec
from advisor.errors import choice_hint, describe, did_you_mean

SCALAR_OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "between", "known")
LIST_OPERATORS = ("contains", "contains_any", "contains_all", "subset_of")
COMBINATORS = ("all", "any", "not")
_ORDERED = ("lt", "lte", "gt", "gte", "between")
# Operands the engine can read: its JSON reader refuses exponents (1e-05, 1e+16) and
# non-finite numbers, so numbers are bounded here and floats rounded as the facts are.
NUMBER_LIMIT = 1_000_000_000
DECIMALS = 4
_NEGATED = {"eq": "ne", "ne": "eq", "lt": "gte", "gte": "lt", "gt": "lte", "lte": "gt", "in": "not_in", "not_in": "in"}

Path = Tuple[Any, ...]
Report = Callable[..., None]  # report(path, message, key=False): key=True points at the key


# A validated condition is kept as a small tree of tuples:
#   ("all", [nodes]) | ("any", [nodes]) | ("not", node) | ("test", fact, operator, operand, path)


def parse(when: Any, path: Path, report: Report) -> Any:
    """Check a `when` value and return its tree; problems go to `report`, None if unusable."""
    if not isinstance(when, dict) or not when:
        report(path, f"expected a condition (a mapping such as 'attendees: {{gt: 8}}'), found {describe(when)}")
        return None
    if len(when) > 1:
        return ("all", [parse({key: value}, path, report) for key, value in when.items()])
    (key, value), = when.items()
    here = path + (key,)
    if key in ("all", "any"):
        if not isinstance(value, list) or not value:
            report(here, f"expected a non-empty list of conditions, found {describe(value)}")
            return None
        return (key, [parse(item, here + (i,), report) for i, item in enumerate(value)])
    if key == "not":
        return ("not", parse(value, here, report))
    spec = FACTS.get(key)
    if spec is None:
        report(here, f"unknown fact '{key}'{did_you_mean(key, list(FACTS) + list(COMBINATORS))}", key=True)
        return None
    if not isinstance(value, dict):
        if spec.is_list:
            report(here, f"'{key}' is a list: use one of {', '.join(LIST_OPERATORS)}")
            return None
        value = {"eq": value}
    tests = []
    allowed = LIST_OPERATORS if spec.is_list else SCALAR_OPERATORS
    for operator, operand in value.items():
        where = here + (operator,)
        if operator not in allowed:
            hint = choice_hint(operator, allowed)
            report(where, f"unknown operator '{operator}' for {key}{hint}", key=True)
            continue
        if _operand_ok(spec, operator, operand, where, report):
            tests.append(("test", key, operator, operand, where))
    return ("all", tests) if len(tests) != 1 else tests[0]


def _operand_ok(spec: FactSpec, operator: str, operand: Any, path: Path, report: Report) -> bool:
    if operator == "known":
        return _expect(isinstance(operand, bool), "true or false", operand, path, report)
    if operator in ("in", "not_in", "contains_any", "contains_all", "subset_of"):
        if not isinstance(operand, list) or not operand:
            return _expect(False, "a non-empty list", operand, path, report)
        return all(_value_ok(spec, item, path + (i,), report) for i, item in enumerate(operand))
    if operator == "between":
        if not (isinstance(operand, list) and len(operand) == 2):
            return _expect(False, "a list of two bounds [low, high]", operand, path, report)
        ok = all(_value_ok(spec, item, path + (i,), report) for i, item in enumerate(operand))
        if ok and operand[0] > operand[1]:
            report(path, f"expected [low, high] with low <= high, found [{operand[0]}, {operand[1]}]")
            return False
        return ok
    if operator in _ORDERED and spec.kind not in ("int", "number"):
        report(path, f"'{operator}' compares numbers, and {spec.name} is {_KIND_WORDS[spec.kind]}")
        return False
    return _value_ok(spec, operand, path, report)


_KIND_WORDS = {"int": "an integer", "number": "a number", "bool": "true or false",
               "word": "a word", "words": "a list of words"}


def _value_ok(spec: FactSpec, value: Any, path: Path, report: Report) -> bool:
    kind = spec.kind
    if kind == "bool":
        return _expect(isinstance(value, bool), "true or false", value, path, report)
    if kind in ("int", "number"):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if number and not (math.isfinite(value) and -NUMBER_LIMIT <= value <= NUMBER_LIMIT):
            report(path, f"expected a number from {-NUMBER_LIMIT} to {NUMBER_LIMIT}, found {describe(value)}")
            return False
        return _expect(number, f"a number (as {spec.name} is)", value, path, report)
    if not isinstance(value, str) or value not in spec.words:
        hint = choice_hint(value, spec.words)
        report(path, f"unknown value {describe(value)} for {spec.name}{hint}")
        return False
    return True


def _expect(ok: bool, expected: str, found: Any, path: Path, report: Report) -> bool:
    if not ok:
        report(path, f"expected {expected}, found {describe(found)}")
    return ok


def facts_used(tree: Any) -> List[str]:
    """The facts a condition reads, in order of first use."""
    seen: Dict[str, None] = {}

    def walk(node: Any) -> None:
        if node[0] == "test":
            seen.setdefault(node[1])
        elif node[0] == "not":
            walk(node[1])
        else:
            for child in node[1]:
                walk(child)

    walk(tree)
    return list(seen)


def compile_condition(tree: Any, negate: bool = False) -> Dict[str, Any]:
    """The durable_rules condition for a validated tree (facts live under the `f` key)."""
    kind = tree[0]
    if kind == "not":
        return compile_condition(tree[1], not negate)
    if kind in ("all", "any"):
        children = [compile_condition(child, negate) for child in tree[1]]
        conjunction = (kind == "all") != negate
        if len(children) == 1:
            return children[0]
        return {"$and" if conjunction else "$or": children}
    _, fact, operator, operand, _path = tree
    spec = FACTS[fact]
    operand = _engine_number(operand)
    condition = _compile_test(f"f.{fact}", operator, operand, negate)
    if negate and spec.optional and operator != "known":
        # an unknown value fails every comparison, so it passes the negation of one
        return {"$or": [{"$nex": {f"f.{fact}": 1}}, condition]}
    return condition


def _engine_number(operand: Any) -> Any:
    """Floats as the engine reads them, at the precision of the facts (engine._without_exponents)."""
    if isinstance(operand, list):
        return [_engine_number(item) for item in operand]
    if isinstance(operand, float):
        return round(operand, DECIMALS)
    return operand


def _compile_test(field: str, operator: str, operand: Any, negate: bool) -> Dict[str, Any]:
    if operator == "known":
        return {"$ex" if operand != negate else "$nex": {field: 1}}
    if operator == "between":
        low, high = operand
        if negate:
            return {"$or": [{"$lt": {field: low}}, {"$gt": {field: high}}]}
        return {"$and": [{"$gte": {field: low}}, {"$lte": {field: high}}]}
    if operator in _NEGATED:
        if negate:
            operator = _NEGATED[operator]
        if operator == "in":
            return _either([{field: value} for value in operand])
        if operator == "not_in":
            return _both([{"$neq": {field: value}} for value in operand])
        if operator == "eq":
            return {field: operand}
        return {f"${'neq' if operator == 'ne' else operator}": {field: operand}}
    # list operators; lists of facts are never empty (purposes and audience are required)
    words = [operand] if operator == "contains" else operand
    any_of = _item_test(_either([{"$i": w} for w in words]))
    none_of = _both([{"$neq": {"$i": w}} for w in words])
    if operator in ("contains", "contains_any"):
        return {"$iall": {field: none_of}} if negate else {"$iany": {field: any_of}}
    if operator == "subset_of":
        return {"$iany": {field: none_of}} if negate else {"$iall": {field: any_of}}
    # contains_all: every word present
    parts = [_compile_test(field, "contains", w, negate) for w in words]
    return _either(parts) if negate else _both(parts)


# A test every item passes: list facts hold vocabulary words, never empty text.
_ANY_ITEM = {"$neq": {"$i": ""}}


def _item_test(test: Dict[str, Any]) -> Dict[str, Any]:
    """`test` as the inner test of an $iany or $iall, for durable_rules 2.0.28.

    When it builds one, the engine reads the type of the node the inner test ends in; an $or
    ends in a joining node whose type it never sets, so whatever the memory held decided, and
    now and then the whole ruleset was refused (error 102, seen with `subset_of` and
    `contains_any`). Ending the test in a real comparison that every item passes makes it
    read a set value, and changes no answer.
    """
    return {"$and": [test, _ANY_ITEM]} if "$or" in test else test


def _either(parts: List[Dict[str, Any]]) -> Dict[str, Any]:
    return parts[0] if len(parts) == 1 else {"$or": parts}


def _both(parts: List[Dict[str, Any]]) -> Dict[str, Any]:
    return parts[0] if len(parts) == 1 else {"$and": parts}
