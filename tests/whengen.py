"""Random `when` conditions over a few facts, for the tests that compare the engine with an oracle."""
from __future__ import annotations

import random
from typing import Any, Dict, List, Sequence

from advisor.packs.conditions import compile_condition, parse

NUMERIC_OPERATORS = ("eq", "ne", "lt", "lte", "gt", "gte", "in", "not_in", "between", "known")
LIST_OPERATORS = ("contains", "contains_any", "contains_all", "subset_of")


def random_when(rng: random.Random, numbers: Sequence[str], words: Dict[str, Sequence[str]],
                top: int = 12, branch: float = 0.3, depth: int = 0) -> Dict[str, Any]:
    """A condition nested up to three levels; `words` maps the word facts to their vocabulary
    (`purposes` is the list fact)."""
    if depth < 3 and rng.random() < branch:
        kind = rng.choice(["all", "any", "not"])
        if kind == "not":
            return {"not": random_when(rng, numbers, words, top, branch, depth + 1)}
        return {kind: [random_when(rng, numbers, words, top, branch, depth + 1) for _ in range(rng.randint(1, 3))]}
    fact = rng.choice([*numbers, "decision_required", *words])
    if fact in numbers:
        op = rng.choice(NUMERIC_OPERATORS)
        if op in ("in", "not_in"):
            return {fact: {op: rng.sample(range(top), rng.randint(1, 3))}}
        if op == "between":
            low = rng.randint(0, top - 2)
            return {fact: {op: [low, low + rng.randint(0, 5)]}}
        if op == "known":
            return {fact: {op: rng.random() < 0.5}}
        return {fact: {op: rng.choice([rng.randint(0, top), rng.randint(0, 4 * top) / 4])}}
    if fact == "decision_required":
        return {fact: rng.random() < 0.5}
    vocabulary = list(words[fact])
    if fact == "purposes":
        op = rng.choice(LIST_OPERATORS)
        return {fact: {op: rng.choice(vocabulary) if op == "contains" else rng.sample(vocabulary, rng.randint(1, 3))}}
    op = rng.choice(["eq", "ne", "in", "not_in"])
    return {fact: {op: rng.choice(vocabulary) if op in ("eq", "ne") else rng.sample(vocabulary, rng.randint(1, 2))}}


def compiled(when: Dict[str, Any]) -> Dict[str, Any]:
    """The durable_rules condition of a `when` that must be valid."""
    problems: List[str] = []
    tree = parse(when, (), lambda path, message, key=False: problems.append(message))
    assert not problems, problems
    return compile_condition(tree)
