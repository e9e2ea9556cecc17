"""The durable_rules adapter: facts in, fired rule ids out; the Rete network decides.

The engine's C layer is driven directly. Its Python layer (`durable.engine.Host`) costs a
closure, a promise and a JSON round trip per fired rule, starts timer threads that cannot be
stopped, and keeps no locks; none of that is needed to learn which rules match one fact.

What the engine does here, and the hazards it avoids (see design.md):
* each rule is `{"all": [{"m": <condition>}]}`; the fact carries a tag that every condition
  requires, so the session's own state object (which also reaches conditions) never matches;
* one fact is asserted, every queued action is taken and completed without running Python
  code per rule, then the session is deleted: no state and no sessions accumulate;
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
_NOT_HANDLED = 1  # the engine's result code when no rule matched


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


def ruleset_definition(conditions: Mapping[str, Dict[str, Any]]) -> Dict[str, Any]:
    """The durable_rules ruleset for rule id -> compiled condition."""
    return {rule_id: {"all": [{"m": {"$and": [TAG, condition]}}]} for rule_id, condition in conditions.items()}


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


class Engine:
    """A compiled ruleset that tells which rules a fact satisfies. Safe to share between threads."""

    def __init__(self, conditions: Mapping[str, Dict[str, Any]]):
        self.rule_ids = tuple(conditions)
        self.definition = ruleset_definition(conditions)
        self._engine = _engine_module()
        self._handle, self._lock = _ruleset(self.definition)

    def fired(self, facts: Mapping[str, Any]) -> FrozenSet[str]:
        """The ids of the rules whose conditions `facts` satisfy."""
        # Unknown (None) facts are left out, so that `known: false` ($nex) sees them absent.
        message = json.dumps({"sid": _SESSION, "id": "f", **TAG,
                              "f": {k: v for k, v in facts.items() if v is not None}})
        engine, handle = self._engine, self._handle
        fired: List[str] = []
        with self._lock:
            try:
                code, state = engine.assert_fact(handle, message)
                if code != _NOT_HANDLED:
                    started = engine.start_action_for_state(handle, state)
                    action = started[1] if started else None
                    while action:
                        # an action is '{"<rule id>":{...}}'; ids are [a-z0-9_-], so no JSON parse is needed
                        fired.append(action[2:action.index('"', 2)])
                        action = engine.complete_and_start_action(handle, state)
            finally:
                engine.delete_state(handle, _SESSION)
        return frozenset(fired)
