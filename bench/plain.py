"""The benchmark's baseline: the same compiled conditions evaluated by plain Python.

Each rule's durable_rules condition (the JSON that `advisor.packs.conditions` compiles and the
engine runs) becomes one Python lambda over the facts, as a programmer would write it by
hand: `lambda f: f["attendees"] is not None and f["attendees"] >= 9`. An unknown fact
(None) fails every comparison, as in the engine. This is what "plain Python" costs; it is
never used to decide (the engine decides), only to measure against, and the benchmark
checks that it fires the same rules as the engine on every proposal it times.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Tuple

_COMPARISONS = {"$lt": "<", "$lte": "<=", "$gt": ">", "$gte": ">=", "$neq": "!="}


def expression(condition: Dict[str, Any]) -> str:
    """A Python expression over `f` (the facts) and `i` (a list item) for a compiled condition."""
    (key, value), = condition.items()
    if key in ("$and", "$or"):
        joiner = " and " if key == "$and" else " or "
        return "(" + joiner.join(expression(child) for child in value) + ")"
    if key in ("$iany", "$iall"):
        (field, inner), = value.items()
        quantifier = "any" if key == "$iany" else "all"
        return f"({quantifier}({expression(inner)} for i in f[{field[2:]!r}]))"
    if key in ("$ex", "$nex"):
        (field, _), = value.items()
        return f"(f[{field[2:]!r}] is {'not ' if key == '$ex' else ''}None)"
    if key in _COMPARISONS:
        (field, operand), = value.items()
        operator = _COMPARISONS[key]
    else:
        field, operand, operator = key, value, "=="
    if field == "$i":
        return f"(i {operator} {operand!r})"
    name = field[2:]
    return f"(f[{name!r}] is not None and f[{name!r}] {operator} {operand!r})"


class PlainRules:
    """Rule id -> compiled condition, evaluated as Python lambdas."""

    def __init__(self, conditions: Mapping[str, Dict[str, Any]]):
        self.tests: List[Tuple[str, Callable[[Mapping[str, Any]], bool]]] = [
            (rule_id, eval(f"lambda f: {expression(condition)}")) for rule_id, condition in conditions.items()
        ]

    def fired(self, facts: Mapping[str, Any]) -> FrozenSet[str]:
        return frozenset([rule_id for rule_id, test in self.tests if test(facts)])
