"""Why each rule fired or not: what a manager reads when they disagree with the advice.

For a rule that did not fire, the engine itself is asked which part of its `when` failed:
each top-level condition of every rule (`all: [A, B, C]` gives A, B and C) is compiled into
a durable_rules condition of its own, and one Engine holding them all is asked about the
same facts as the decision. The first condition the engine reports false is shown with the
fact's value next to the bound written in the rule: `load_hours 9 < 15`. Python only words
the answer; it compares nothing.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Tuple

from advisor.core.decision import Decision
from advisor.core.numbers import num
from advisor.core.rules import Rule, RulePack
from advisor.engine.durable import Engine
from advisor.packs.conditions import compile_condition, facts_used, parse

# How an operator reads when its test holds, and when it fails.
_HOLDS = {"eq": "=", "ne": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "in": "in", "not_in": "not in",
          "contains": "contains", "contains_any": "contains any of", "contains_all": "contains all of",
          "subset_of": "only from"}
_FAILS = {"eq": "!=", "ne": "=", "lt": ">=", "lte": ">", "gt": "<=", "gte": "<", "in": "not in", "not_in": "in",
          "contains": "does not contain", "contains_any": "contains none of",
          "contains_all": "does not contain all of", "subset_of": "not only from"}


@dataclass(frozen=True)
class RuleExplanation:
    """One rule against one decision's facts."""

    rule: str
    pack: str
    fired: bool
    necessity: int
    formats: Mapping[str, int]
    media: Mapping[str, int]
    condition: str  # the rule's `when` in words; for a rule that did not fire, the part that failed
    detail: str  # that condition with the facts' values: 'load_hours 9 < 15'
    facts: Mapping[str, Any] = field(default_factory=dict)  # the values `detail` shows

    def to_dict(self) -> Dict[str, Any]:
        return {"rule": self.rule, "pack": self.pack, "fired": self.fired, "necessity": self.necessity,
                "formats": dict(self.formats), "media": dict(self.media), "condition": self.condition,
                "detail": self.detail, "facts": dict(self.facts)}


class Explainer:
    """Explains decisions made with `pack`; the sub-condition engine is built once."""

    def __init__(self, pack: RulePack):
        self.pack = pack
        self.parts: Dict[str, List[Tuple[Any, str]]] = {}  # rule id -> [(condition tree, engine id)]
        conditions: Dict[str, Dict[str, Any]] = {}
        ids: Dict[str, str] = {}  # compiled JSON -> engine id: rules sharing a condition share its test
        for rule in pack.rules:
            parts = []
            for tree in conjuncts(rule_tree(rule)):
                compiled = compile_condition(tree)
                key = json.dumps(compiled, sort_keys=True)
                if key not in ids:
                    ids[key] = f"c{len(ids)}"
                    conditions[ids[key]] = compiled
                parts.append((tree, ids[key]))
            self.parts[rule.id] = parts
        self.engine = Engine(conditions)

    def explain(self, decision: Decision) -> List[RuleExplanation]:
        """Every rule of the pack, in order: fired or not, and for one that did not, why."""
        facts = decision.facts
        true = self.engine.fired(facts)
        fired = {f.rule for f in decision.fired}
        explained = []
        for rule in self.pack.rules:
            parts = self.parts[rule.id]
            trees = [tree for tree, _ in parts]
            condition = " and ".join(condition_text(tree, nested=True) for tree in trees)
            if rule.id in fired:
                detail = " and ".join(holds(tree, facts) for tree in trees)
            else:
                failed = next((tree for tree, part in parts if part not in true), None)
                if failed is None:  # the engine disagreeing with itself: say so rather than guess
                    detail = "every condition holds on its own, yet the rule did not fire"
                else:
                    trees = [failed]
                    condition, detail = condition_text(failed), fails(failed, facts)
            used = {name: facts.get(name) for tree in trees for name in facts_used(tree)}
            explained.append(RuleExplanation(rule.id, rule.pack, rule.id in fired, rule.necessity,
                                             dict(rule.formats), dict(rule.media), condition, detail, used))
        return explained


def rule_tree(rule: Rule) -> Any:
    """The condition tree of a loaded (so already valid) rule."""
    def report(path: Any, message: str, key: bool = False) -> None:
        raise ValueError(f"rule {rule.id}: {message}")  # cannot happen: the rule loaded

    return parse(rule.when, ("when",), report)


def conjuncts(tree: Any) -> List[Any]:
    """The top-level conditions that must all hold: nested `all`s flattened, in written order."""
    if tree[0] != "all":
        return [tree]
    return [part for child in tree[1] for part in conjuncts(child)]


# ---------------------------------------------------------------------------- words


def value_text(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return num(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    return str(value)


def _operand_text(operator: str, operand: Any) -> str:
    if operator == "between":
        return f"between {value_text(operand[0])} and {value_text(operand[1])}"
    return value_text(operand)


def condition_text(tree: Any, nested: bool = False) -> str:
    """A condition in words: 'load_hours >= 15 and not (recurrence = daily)'."""
    kind = tree[0]
    if kind == "test":
        _, fact, operator, operand, _ = tree
        if operator == "known":
            return f"{fact} is {'known' if operand else 'unknown'}"
        if operator == "between":
            return f"{fact} {_operand_text(operator, operand)}"
        return f"{fact} {_HOLDS[operator]} {value_text(operand)}"
    if kind == "not":
        return f"not ({condition_text(tree[1])})"
    text = f" {'and' if kind == 'all' else 'or'} ".join(condition_text(child, nested=True) for child in tree[1])
    return f"({text})" if nested and len(tree[1]) > 1 else text


def holds(tree: Any, facts: Mapping[str, Any]) -> str:
    """A condition the engine found true, with the values that make it so."""
    kind = tree[0]
    if kind == "test":
        _, fact, operator, operand, _ = tree
        value = facts.get(fact)
        if operator == "known" or value is None:
            return f"{fact} {value_text(value)}"
        if operator == "eq":
            return f"{fact} = {value_text(operand)}"
        if operator == "between":
            return f"{fact} {value_text(value)} {_operand_text(operator, operand)}"
        return f"{fact} {value_text(value)} {_HOLDS[operator]} {value_text(operand)}"
    if kind == "all":  # every part of a true conjunction is true
        return " and ".join(holds(child, facts) for child in tree[1])
    if kind == "not":
        return fails(tree[1], facts)
    return f"{condition_text(tree, nested=True)} holds, with {_values(tree, facts)}"


def fails(tree: Any, facts: Mapping[str, Any]) -> str:
    """A condition the engine found false, with the values that make it so: 'load_hours 9 < 15'."""
    kind = tree[0]
    if kind == "test":
        _, fact, operator, operand, _ = tree
        value = facts.get(fact)
        if operator == "known":
            return f"{fact} {value_text(value)}" if operand else f"{fact} {value_text(value)}, known"
        if value is None:
            return f"{fact} unknown, the rule needs {condition_text(tree)}"
        if operator == "ne":
            return f"{fact} = {value_text(operand)}"
        if operator == "between":
            return f"{fact} {value_text(value)} not {_operand_text(operator, operand)}"
        return f"{fact} {value_text(value)} {_FAILS[operator]} {value_text(operand)}"
    if kind == "any":  # every part of a false disjunction is false
        return " and ".join(fails(child, facts) for child in tree[1])
    if kind == "not":
        return holds(tree[1], facts)
    return f"{condition_text(tree, nested=True)} does not hold, with {_values(tree, facts)}"


def _values(tree: Any, facts: Mapping[str, Any]) -> str:
    return ", ".join(f"{name} {value_text(facts.get(name))}" for name in facts_used(tree))
