"""Rule records: one checked rule, and the pack of active rules (`advisor.packs.loader` makes them).

A rule's condition is already compiled for the engine; its effects are plain numbers and words.
"""
from __future__ import annotations

import json
from functools import cached_property
from typing import Any, Dict, Mapping, NamedTuple, Optional, Set, Tuple

from advisor.core.records import EMPTY

# Names a `because`, `trade_off` or `suggestion` template may use besides the facts.
TEMPLATE_NAMES = ("title", "currency")
LOAD_FACTS = ("load_hours", "load_meetings")  # the audience's meeting load, shown against the rules' limits


class Rule(NamedTuple):
    """One checked rule: its condition compiled for the engine, its effects and its texts."""

    id: str
    description: str
    when: Any  # as written, for display
    condition: Dict[str, Any]  # compiled durable_rules condition
    because: str  # the reason, as shown when the rule fires
    source: str
    necessity: int = 0
    formats: Mapping[str, int] = EMPTY
    media: Mapping[str, int] = EMPTY  # points per medium, as `formats`
    alternative: Optional[str] = None
    suggestion: Optional[str] = None
    # The reason as shown when the advice goes another way than the rule's points do: its favoured
    # format or medium was not chosen ('In person would persuade more; ...'). None: `because` says it.
    trade_off: Optional[str] = None
    pack: str = "default"
    file: str = ""
    line: int = 0
    facts: Tuple[str, ...] = ()
    column: int = 0
    replaces: bool = False  # takes the place of an earlier pack's rule with this id
    translations: Mapping[str, Mapping[str, str]] = EMPTY  # language -> field -> text


class RulePack:
    """The active rules, in a stable order, with a digest naming exactly this content. Immutable.

    A plain class, not a frozen dataclass: building a dataclass costs every start of the
    command a millisecond (the module and the class), for three lines saved here.
    """

    rules: Tuple[Rule, ...]
    name: str

    def __init__(self, rules: Tuple[Rule, ...], name: str = "default"):
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "name", name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a RulePack does not change (its {name!r} cannot be set)")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RulePack):
            return NotImplemented
        return (self.rules, self.name) == (other.rules, other.name)

    def __hash__(self) -> int:
        return hash((self.rules, self.name))

    def __repr__(self) -> str:
        return f"RulePack({len(self.rules)} rules, name={self.name!r})"

    @property
    def version(self) -> str:
        return self.digest[:12]

    @cached_property  # read for every decision; the pack never changes
    def digest(self) -> str:
        import hashlib  # here, not above: a cached pack comes with its digest, and OpenSSL takes 2 ms to load

        payload = [(r.id, r.condition, r.necessity, dict(r.formats), dict(r.media), r.alternative, r.suggestion,
                    r.because, r.trade_off, r.translations) for r in self.rules]
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    @cached_property
    def load_limits(self) -> Dict[str, Tuple[float, ...]]:
        """The numbers the rules compare the load facts with, lowest first."""
        found: Dict[str, Set[float]] = {name: set() for name in LOAD_FACTS}
        for rule in self.rules:
            _collect_limits(rule.condition, found)
        return {name: tuple(sorted(values)) for name, values in found.items()}

    def by_id(self) -> Dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}


def _collect_limits(condition: Any, found: Dict[str, Set[float]]) -> None:
    if isinstance(condition, list):
        for child in condition:
            _collect_limits(child, found)
    elif isinstance(condition, dict):
        for key, value in condition.items():
            if key in ("$lt", "$lte", "$gt", "$gte") and isinstance(value, dict):
                for field, limit in value.items():
                    fact = field[2:] if field.startswith("f.") else field  # compiled facts live under f.
                    if fact in found and isinstance(limit, (int, float)) and not isinstance(limit, bool):
                        found[fact].add(float(limit))
            else:
                _collect_limits(value, found)
