"""durable_rules' ordinary path: its Python layer, a Python action per fired rule.

This is how the engine is meant to be used, and it is slow (hundreds of microseconds a
fact, most of it the Python dispatch of each action). advisor never decides with it: the
tests use it as the yardstick that `advisor.engine` must match, rule for rule, and the
benchmarks as the cost the fast adapter avoids.

Kept as independent of `advisor.engine` as the engine allows: every rule has a ruleset of
its own (no packing to reason about), facts are nested under "f" as the conditions are
compiled, a new session serves each fact, and rules are told apart by their own actions.
The hazards of design.md still apply to the ordinary path, so:
* `durable.engine.Host` starts two timer threads that dispatch pending actions on their
  own; `QuietHost` does not start them, so every action runs inside `assert_fact`;
* each session is deleted after its fact (at most 1,024 may live per ruleset), and only
  after a match: every ruleset holds a sentinel rule that matches every fact;
* `$or` runs an action once per true branch: fired ids are a set.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import threading
from typing import Any, Callable, Dict, FrozenSet, Mapping, Set

from durable.engine import Host

from advisor.engine.durable import SENTINEL, TAG

_names = itertools.count()


class QuietHost(Host):
    """A Host without timer threads, whose actions record the rule they belong to."""

    def __init__(self) -> None:
        self.fired: Set[str] = set()
        super().__init__()

    def _run(self) -> None:  # Host starts its timer threads here; they would run actions beside assert_fact
        pass

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        return lambda closure: self.fired.add(action_name)


class ReferenceEngine:
    """Which rules a fact satisfies, as durable_rules' own Python layer reports it."""

    def __init__(self, conditions: Mapping[str, Dict[str, Any]]):
        self.rule_ids = tuple(conditions)
        self._host = QuietHost()
        self._lock = threading.Lock()
        self._rulesets = []
        for rule_id, condition in conditions.items():
            definition = {
                rule_id: {"all": [{"m": {"$and": [TAG, condition]}}], "run": rule_id},
                SENTINEL: {"all": [{"m": TAG}], "run": SENTINEL},
            }
            digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:12]
            name = f"reference-{digest}-{next(_names)}"  # a name can be registered only once
            self._host.set_rulesets({name: definition})
            self._rulesets.append(name)
        self._sessions = itertools.count()

    def fired(self, facts: Mapping[str, Any]) -> FrozenSet[str]:
        known = {name: value for name, value in facts.items() if value is not None}
        with self._lock:
            self._host.fired.clear()
            for name in self._rulesets:
                sid = f"reference-{next(self._sessions)}"
                self._host.assert_fact(name, {"sid": sid, "id": "f", **TAG, "f": known})
                self._host.delete_state(name, sid)
            return frozenset(self._host.fired - {SENTINEL})
