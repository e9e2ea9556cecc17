"""The `when` language compiles to durable_rules conditions that mean what they say.

An independent reading of the same condition trees, in plain Python, is the oracle: on
random facts the engine must fire exactly the rules the oracle says hold. `not` is the
delicate part (durable_rules has none: it is pushed down to the comparisons), and so are
unknown facts, which fail every comparison.
"""
from __future__ import annotations

import random
from typing import Any, Dict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whengen import compiled, random_when

from advisor.engine.durable import Engine
from advisor.packs.conditions import parse

WORDS = ("weekly", "none", "daily")
PURPOSES = ("coaching", "strategy", "status_update", "training")


def holds(condition: Dict[str, Any], facts: Dict[str, Any]) -> bool:
    """The oracle: what the condition means, read straight from the YAML form."""
    (key, value), = condition.items()
    if key == "all":
        return all(holds(c, facts) for c in value)
    if key == "any":
        return any(holds(c, facts) for c in value)
    if key == "not":
        return not holds(value, facts)
    actual = facts.get(key)
    if not isinstance(value, dict):
        value = {"eq": value}
    (op, operand), = value.items()
    if op == "known":
        return (actual is not None) == operand
    if actual is None:
        return False  # unknown facts fail every comparison
    if op == "contains":
        return operand in actual
    if op == "contains_any":
        return any(w in actual for w in operand)
    if op == "contains_all":
        return all(w in actual for w in operand)
    if op == "subset_of":
        return all(w in operand for w in actual)
    return {
        "eq": lambda: actual == operand, "ne": lambda: actual != operand,
        "lt": lambda: actual < operand, "lte": lambda: actual <= operand,
        "gt": lambda: actual > operand, "gte": lambda: actual >= operand,
        "in": lambda: actual in operand, "not_in": lambda: actual not in operand,
        "between": lambda: operand[0] <= actual <= operand[1],
    }[op]()


RNG = random.Random(20261127)
CONDITIONS = {f"c{i}": random_when(RNG, ["attendees", "load_hours"], {"recurrence": WORDS, "purposes": PURPOSES})
              for i in range(300)}
ENGINE = Engine({name: compiled(c) for name, c in CONDITIONS.items()})

facts_strategy = st.fixed_dictionaries({
    "attendees": st.integers(0, 12),
    "load_hours": st.one_of(st.none(), st.integers(0, 12), st.floats(0, 12).map(lambda x: round(x, 2))),
    "decision_required": st.booleans(),
    "recurrence": st.sampled_from(WORDS),
    "purposes": st.lists(st.sampled_from(PURPOSES), min_size=1, max_size=4, unique=True),
})


@settings(max_examples=400, deadline=None)
@given(facts_strategy)
def test_engine_fires_exactly_what_the_conditions_mean(facts):
    expected = {name for name, condition in CONDITIONS.items() if holds(condition, facts)}
    assert ENGINE.fired(facts) == expected


def test_or_branches_fire_a_rule_once_and_results_do_not_leak_between_checks():
    engine = Engine({"either": compiled({"any": [{"attendees": {"gt": 1}}, {"attendees": {"gt": 2}}]})})
    assert engine.fired({"attendees": 5}) == {"either"}
    assert engine.fired({"attendees": 0}) == set()
    assert engine.fired({"attendees": 5}) == {"either"}


@pytest.mark.parametrize("condition,message", [
    ({"attendeez": 3}, "unknown fact 'attendeez'; did you mean 'attendees'?"),
    ({"attendees": {"gtt": 3}}, "unknown operator 'gtt' for attendees; did you mean 'gt'?"),
    ({"attendees": {"gt": "many"}}, "expected a number (as attendees is), found 'many'"),
    ({"purposes": "coaching"}, "'purposes' is a list: use one of contains, contains_any, contains_all, subset_of"),
    ({"purposes": {"contains": "coachin"}}, "unknown value 'coachin' for purposes; did you mean 'coaching'?"),
    ({"recurrence": {"gt": "weekly"}}, "'gt' compares numbers, and recurrence is a word"),
    ({"attendees": {"between": [5, 2]}}, "expected [low, high] with low <= high, found [5, 2]"),
    ({"all": []}, "expected a non-empty list of conditions, found an empty list"),
    ({"decision_required": "yes"}, "expected true or false, found 'yes'"),
])
def test_bad_conditions_are_refused_with_a_reason(condition, message):
    problems = []
    parse(condition, (), lambda path, text, key=False: problems.append(text))
    assert problems == [message]


def _item_tests(condition: Any) -> list:
    """The inner test of every $iany and $iall in a compiled condition."""
    found = []
    if isinstance(condition, dict):
        for key, value in condition.items():
            if key in ("$iany", "$iall"):
                (inner,) = value.values()
                found.append(inner)
            found += _item_tests(value)
    elif isinstance(condition, list):
        for item in condition:
            found += _item_tests(item)
    return found


@pytest.mark.parametrize("operator", ["contains_any", "subset_of", "contains_all"])
@pytest.mark.parametrize("negate", [False, True])
def test_no_item_test_ends_in_an_or_which_durable_rules_reads_unset(operator: str, negate: bool) -> None:
    # durable_rules 2.0.28 reads the type of the node an $iany/$iall test ends in; an $or ends in
    # a joining node it never sets, so a ruleset was refused or not by what memory happened to hold.
    when = {"purposes": {operator: ["coaching", "strategy", "training"]}}
    inner = _item_tests(compiled({"not": when} if negate else when))
    assert inner and all("$or" not in test for test in inner)
    rng = random.Random(11)
    for _ in range(300):
        condition = compiled(random_when(rng, ["attendees"], {"purposes": PURPOSES}, branch=0.4))
        assert all("$or" not in test for test in _item_tests(condition))
