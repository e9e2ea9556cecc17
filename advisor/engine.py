"""The durable_rules adapter: facts in, fired rule ids out; the Rete network decides.

The engine's C layer is driven directly. Its Python layer (`durable.engine.Host`) costs a
closure, a promise and a JSON round trip per fired rule, starts timer threads that cannot be
stopped, and keeps no locks; none of that is needed to learn which rules match one fact.

What the engine does here, and the hazards it avoids (see design.md):
* each rule is `{"all": [{"m": <condition>}]}`; the fact carries a tag that every condition
  requires, so the session's own state object (which also reaches conditions) never matches;
* one fact is asserted, every queued action is taken and completed without running Python
  code per rule, then the session is deleted: no state and no sessions accumulate;
* a sentinel rule matches every fact: deleting a session whose fact matched nothing
  corrupts the engine's memory (segfaults seen here);
* the alpha network is walked with a fixed stack of 64 nodes (MAX_STACK_SIZE in events.c):
  past it an assert fails half done (error 303) and the process later crashes. So rules are
  split into shards, each a ruleset of at most ALPHA_BUDGET condition tests, counted after
  `$or` expansion; a single rule over the budget is refused when its pack loads;
* a rule with `$or` is queued once per true branch: ids are de-duplicated;
* single facts only: the batch calls lose results and have crashed the process;
* rulesets cannot be unloaded, so each is named by a digest of its definition and created
  once per process, then reused;
* a lock serialises every use of a ruleset: the C layer is not re-entrant.
"""
from __future__ import annotations

import hashlib
import json
import sys
import threading
from typing import Any, Dict, FrozenSet, List, Mapping, Tuple

from .errors import AdvisorError, Problem

TAG = {"t": "proposal"}
_SESSION = "advisor"


def _engine_module() -> Any:
    try:
        import durable_rules_engine
    except ImportError as error:  # missing, or 3.13+ where it no longer imports
        raise AdvisorError([Problem(
            "durable_rules",
            f"the rule engine cannot be loaded on Python {sys.version_info.major}.{sys.version_info.minor} "
            f"({error}); advisor supports Python 3.9 to 3.12",
        )]) from None
    return durable_rules_engine


# Matches every fact. Without it, a fact that matches no rule leaves the session half made,
# and deleting it then corrupts the engine's memory (a segfault seen here, depending on the
# memory layout). Its id cannot clash with a rule's: rule ids start with a letter or digit.
SENTINEL = "_seen"


def ruleset_definition(conditions: Mapping[str, Dict[str, Any]]) -> Dict[str, Any]:
    """The durable_rules ruleset for rule id -> compiled condition, plus the sentinel."""
    definition = {rule_id: {"all": [{"m": {"$and": [TAG, condition]}}]} for rule_id, condition in conditions.items()}
    definition[SENTINEL] = {"all": [{"m": TAG}]}
    return definition


ALPHA_BUDGET = 48  # condition tests per ruleset, well below the engine's stack of 64


def alpha_cost(condition: Any) -> int:
    """An upper bound on the alpha nodes a condition adds to a ruleset.

    durable_rules expands `$or` into separate paths, so a conjunction costs each child's
    tests once per combination of its siblings' branches; this counts that without expanding.
    """
    return _cost(condition)[1]


def _cost(condition: Any) -> Tuple[int, int]:
    """(paths, tests) of a condition: how many `$or` branches it expands to, and their tests."""
    if isinstance(condition, dict) and len(condition) == 1:
        (key, value), = condition.items()
        if key == "$or":
            costs = [_cost(child) for child in value]
            return sum(c[0] for c in costs), sum(c[1] for c in costs)
        if key == "$and":
            costs = [_cost(child) for child in value]
            paths = 1
            for child_paths, _ in costs:
                paths *= child_paths
            tests = sum(child_tests * paths // child_paths for child_paths, child_tests in costs)
            return paths, tests
        if key in ("$iany", "$iall"):
            (_, inner), = value.items()
            return 1, 1 + _cost(inner)[1]
    return 1, 1


def shard(conditions: Mapping[str, Dict[str, Any]], budget: int = ALPHA_BUDGET) -> List[Dict[str, Dict[str, Any]]]:
    """Rules in order, cut into groups whose conditions fit one ruleset each."""
    shards: List[Dict[str, Dict[str, Any]]] = [{}]
    used = 1  # the sentinel
    for rule_id, condition in conditions.items():
        cost = alpha_cost(condition) + 1  # the tag test
        if cost + 1 > budget:
            raise ValueError(f"rule {rule_id!r}: condition too complex ({cost} tests, at most {budget - 1})")
        if used + cost > budget and shards[-1]:
            shards.append({})
            used = 1
        shards[-1][rule_id] = condition
        used += cost
    return shards


_registry: Dict[str, Tuple[Any, threading.Lock]] = {}
_registry_lock = threading.Lock()


def _ruleset(definition: Dict[str, Any]) -> Tuple[Any, threading.Lock]:
    text = json.dumps(definition, sort_keys=True)
    name = "advisor-" + hashlib.sha256(text.encode()).hexdigest()[:20]
    with _registry_lock:
        if name not in _registry:
            handle = _engine_module().create_ruleset(name, text)
            _registry[name] = (handle, threading.Lock())
        return _registry[name]


def _plain(value: Any) -> Any:
    """Floats the engine's JSON reader accepts: it refuses exponents ('1e-05' is error 204)."""
    if isinstance(value, float):
        return round(value, 4)  # facts are bounded by the proposal's schema, so never >= 1e16
    return value


class Engine:
    """Compiled rules that tell which of them a fact satisfies. Safe to share between threads."""

    def __init__(self, conditions: Mapping[str, Dict[str, Any]]):
        self.rule_ids = tuple(conditions)
        self.definitions = [ruleset_definition(group) for group in shard(conditions)]
        self._engine = _engine_module()
        self._rulesets = [_ruleset(definition) for definition in self.definitions]

    def fired(self, facts: Mapping[str, Any]) -> FrozenSet[str]:
        """The ids of the rules whose conditions `facts` satisfy."""
        # Unknown (None) facts are left out, so that `known: false` ($nex) sees them absent.
        message = json.dumps({"sid": _SESSION, "id": "f", **TAG,
                              "f": {k: _plain(v) for k, v in facts.items() if v is not None}})
        engine = self._engine
        fired: List[str] = []
        for handle, lock in self._rulesets:
            with lock:
                _code, state = engine.assert_fact(handle, message)  # the sentinel always matches
                try:
                    started = engine.start_action_for_state(handle, state)
                    action = started[1] if started else None
                    while action:
                        # an action is '{"<rule id>":{...}}'; ids are [a-z0-9_-]: no JSON parse needed
                        fired.append(action[2:action.index('"', 2)])
                        action = engine.complete_and_start_action(handle, state)
                finally:
                    engine.delete_state(handle, _SESSION)
        return frozenset(fired).difference((SENTINEL,))
