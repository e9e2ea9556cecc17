"""The durable_rules adapter: facts in, fired rule ids out; the Rete network decides.

The engine's C layer is driven directly. Its Python layer (`durable.engine.Host`) costs a
closure, a promise and a JSON round trip per fired rule, starts timer threads that cannot be
stopped, and keeps no locks; none of that is needed to learn which rules match one fact.
(`advisor.engine.reference` drives that ordinary path; the tests check both fire the same rules.)

How a fact is decided, and the hazards of design.md this avoids:
* each rule is `{"all": [{"m": {"$and": [TAG, <condition>]}}]}`; the fact carries the tag,
  so the session's own state object (which also reaches conditions) never matches. Facts
  are top-level fields of the message ("attendees", not "f.attendees"): nested objects cost
  the engine's JSON reader a third more;
* each ruleset keeps one session. A fact is asserted, every queued action is taken and
  completed without running Python code per rule, and the fact is retracted: the session
  is reused, so the 1,024-session cap is never near, and nothing accumulates. (Creating a
  session clears about 8 KB per rule, which made deleting and recreating it per fact cost
  more than the matching itself.) A session left in doubt by an error is abandoned, never
  deleted, and the next fact goes to a fresh one;
* a sentinel rule matches every fact: a fact that matched nothing would leave the session
  half made (deleting such a session corrupted the engine's memory here);
* the alpha network is walked with a fixed stack of 64 nodes (MAX_STACK_SIZE in events.c):
  past it an assert fails half done (error 303) and the process later crashes. Rules are
  packed into rulesets whose alpha nodes can never overflow it (see `alpha_cost`);
* a rule with `$or` is queued once per true branch: ids are de-duplicated;
* an `$iany`/`$iall` whose test is an `$or` makes the engine read memory it never set while
  it creates the ruleset, which then fails now and then (error 102, found under valgrind):
  `conditions._item_test` ends such tests in a comparison every item passes;
* single facts only: the batch calls lose results and have crashed the process;
* rulesets cannot be unloaded, so each definition is created once per process, then reused;
* no timer threads, and one lock serialises every call into the engine: its C layer is not
  re-entrant and never releases the GIL, so threads lose nothing by waiting.
"""
from __future__ import annotations

import json
import os
import sys
import threading
from operator import itemgetter
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Set, Tuple

from advisor.errors import AdvisorError, Problem

TAG = {"t": "proposal"}
RESERVED_FIELDS = ("sid", "id", "t")  # the message's own fields: facts travel under other names
_FACT_ID = "f"


# durable-rules 2.0.28 calls PyEval_CallObject, which Python 3.13 removed: built as it is, it
# fails to compile (GCC 14) or compiles and then does not import (older compilers). Defining
# the name as its successor at build time (README, "Quick start") gives a working engine.
BUILD_FIX = "CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject"


def _engine_module() -> Any:
    try:
        import durable_rules_engine
    except ImportError as error:
        raise AdvisorError([engine_import_problem(error)]) from None
    return durable_rules_engine


def engine_import_problem(error: ImportError) -> Problem:
    """Why the engine did not load, and the command that mends it, in one line."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    if "PyEval_CallObject" in str(error):  # built without the fix, often a wheel reused from pip's cache
        message = (f"the rule engine was built without the fix Python {version} needs ({error}); build it again, "
                   f"not from pip's cache: {BUILD_FIX} {sys.executable} -m pip install --no-cache-dir "
                   "--force-reinstall --no-deps durable-rules")
    else:
        message = (f"the rule engine cannot be loaded on Python {version} ({error}); install the advisor as "
                   "README.md's quick start says (Python 3.9 to 3.13, a C compiler and the Python headers)")
    return Problem("durable_rules", message)


# Matches every fact. Without it, a fact that matches no rule leaves the session half made,
# and deleting it then corrupts the engine's memory (a segfault seen here, depending on the
# memory layout). Its id cannot clash with a rule's: rule ids start with a letter or digit.
SENTINEL = "_seen"


def flatten(condition: Any, names: Optional[Mapping[str, str]] = None) -> Any:
    """A compiled condition reading top-level fields, each fact under its name in `names` (or
    its own): {"$gt": {"f.attendees": 8}} -> {"$gt": {"attendees": 8}}."""
    if isinstance(condition, dict):
        return {(_field(key[2:], names) if key.startswith("f.") else key): flatten(value, names)
                for key, value in condition.items()}
    if isinstance(condition, list):
        return [flatten(item, names) for item in condition]
    return condition


def _field(fact: str, names: Optional[Mapping[str, str]]) -> str:
    return fact if names is None else names[fact]


_LETTERS = "abcdefghijklmnopqrsuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def short_names(facts: Sequence[str]) -> Dict[str, str]:
    """Fact name -> the one- or two-letter field that carries it to the engine. The engine's
    JSON (each fact, and each fired rule's copy of it) halves, and a decision takes a tenth less.
    No short name is one of the message's own fields (sid, id, and the tag t)."""
    candidates = list(_LETTERS) + [a + b for a in _LETTERS for b in _LETTERS if a + b not in RESERVED_FIELDS]
    return dict(zip(facts, candidates))


def fields_read(condition: Any) -> List[str]:
    """The facts a compiled condition reads, in order of first use."""
    found: Dict[str, None] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.startswith("f."):
                    found.setdefault(key[2:])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(condition)
    return list(found)


def ruleset_definition(conditions: Mapping[str, Dict[str, Any]],
                       names: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """The durable_rules ruleset for rule id -> compiled condition, plus the sentinel; facts
    are read from the fields `names` gives them (by default, their own names)."""
    definition: Dict[str, Any] = {rule_id: {"all": [{"m": {"$and": [TAG, flatten(condition, names)]}}]}
                                  for rule_id, condition in conditions.items()}
    definition[SENTINEL] = {"all": [{"m": TAG}]}
    return definition


STACK_SIZE = 64  # MAX_STACK_SIZE in durable_rules' events.c
ALPHA_BUDGET = STACK_SIZE  # what a ruleset's conditions may add up to (`alpha_cost`)


def alpha_cost(condition: Any) -> int:
    """How many entries a condition can ever hold on the engine's alpha stack at once: the
    number of ways through it to the rule's end.

    The walk (handleAlpha in events.c) pops a node and pushes each child that matches; a
    node reached twice is pushed twice. Seen as a tree (a node reached twice copied), every
    entry on the stack is the root of a part of the network not yet walked, apart from the
    others, and each such part holds at least one end of a rule. So the stack never holds
    more entries than the network has ends of rules: one per way through a condition. A
    chain of tests is one way however long; `$or` branches each end in a joining node that
    is pushed once per true branch, and the rest of the conjunction hangs below that join,
    so each true branch is a way of its own; `$iany`/`$iall` are one node (their inner tests
    are walked by recursion, off the stack). The tag node, where the sentinel ends, is popped
    before any rule node is pushed, so the conditions of a ruleset may add up to the whole
    stack. tests/test_engine_equivalence.py runs the engine at this bound and one past it,
    with single tests, chains and `$or`.
    """
    if isinstance(condition, dict) and len(condition) == 1:
        (key, value), = condition.items()
        if key == "$and":
            ways = 1
            for child in value:
                ways *= alpha_cost(child)  # each way out of the previous part enters the next
            return ways
        if key == "$or":
            return sum(alpha_cost(child) for child in value)
    return 1


def shard(conditions: Mapping[str, Dict[str, Any]], budget: int = ALPHA_BUDGET) -> List[Dict[str, Dict[str, Any]]]:
    """Rules in order, cut into groups whose conditions fit one ruleset each."""
    shards: List[Dict[str, Dict[str, Any]]] = [{}]
    used = 0
    for rule_id, condition in conditions.items():
        cost = alpha_cost(condition)
        if cost > budget:
            raise ValueError(f"rule {rule_id!r}: condition too complex ({cost} alpha nodes, at most {budget})")
        if used + cost > budget and shards[-1]:
            shards.append({})
            used = 0
        shards[-1][rule_id] = condition
        used += cost
    return shards


class _Ruleset:
    """One ruleset created in the engine, and the session its facts go through."""

    def __init__(self, name: str, handle: Any):
        self.name = name
        self.handle = handle
        self.sessions = 0
        self.head = ""
        self.next_session()

    def next_session(self) -> None:
        """Move to a fresh session: the current one is left as it is, never deleted."""
        self.sessions += 1
        self.sid = "advisor" if self.sessions == 1 else f"advisor-{self.sessions}"
        self.head = json.dumps({"sid": self.sid, "id": _FACT_ID, **TAG}, separators=(",", ":"))[:-1]


_registry: Dict[str, _Ruleset] = {}  # definition (JSON) -> its ruleset, created once per process
_lock = threading.Lock()  # every call into the engine, and the registry


def _reset_lock_in_child() -> None:
    global _lock
    _lock = threading.Lock()  # a fork while another thread held it must not leave it held


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_lock_in_child)


def _ruleset(definition: Dict[str, Any]) -> _Ruleset:
    text = json.dumps(definition, sort_keys=True)
    with _lock:
        if text not in _registry:
            name = f"advisor-{len(_registry) + 1}"
            _registry[text] = _Ruleset(name, _engine_module().create_ruleset(name, text))
        return _registry[text]


def _encoder() -> Callable[[Any], str]:
    """Compact JSON, NaN refused. json's C encoder is built once here: json.dumps builds one per
    call, which is a tenth of a decision."""
    from json import encoder

    c_make_encoder = getattr(encoder, "c_make_encoder", None)  # CPython's C encoder, when built
    encode_basestring_ascii = encoder.encode_basestring_ascii
    encode = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
    if c_make_encoder is None:  # pragma: no cover - Pythons without the C accelerator
        return encode

    def refuse(value: Any) -> Any:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    c_encode = c_make_encoder(None, refuse, encode_basestring_ascii, None, ":", ",", False, False, False)
    return lambda value: "".join(c_encode(value, 0))


_encode = _encoder()


def _getter(fields: Sequence[str]) -> Callable[[Mapping[str, Any]], Tuple[Any, ...]]:
    """The values of `fields` in `facts`, as a tuple, in one C call."""
    if len(fields) == 1:
        return lambda facts: (facts[fields[0]],)
    return itemgetter(*fields) if fields else lambda facts: ()


def _message(head: str, fields: Sequence[str], values: Sequence[Any]) -> str:
    # Unknown (None) facts are left out, so that `known: false` ($nex) sees them absent.
    if None in values:
        present = {name: value for name, value in zip(fields, values) if value is not None}
    else:
        present = dict(zip(fields, values))
    if not present:
        return head + "}"
    body = _encode(present)
    if "e-" in body or "e+" in body:  # a float in exponent notation, or text that looks like one
        body = _without_exponents(present)
    return head + "," + body[1:]


def _without_exponents(values: Dict[str, Any]) -> str:
    """The JSON of `values` with every float written in plain notation: the engine's JSON
    reader refuses exponents ('1e-05' is error 204)."""
    from decimal import Decimal

    plain: Dict[str, str] = {}  # JSON of a placeholder -> the number it stands for
    safe = dict(values)
    for name, value in values.items():
        if isinstance(value, float) and "e" in repr(value):
            marker = f"\0advisor-number-{len(plain)}"
            text = format(Decimal(repr(value)), "f")
            plain[json.dumps(marker)] = text if "." in text else text + ".0"
            safe[name] = marker
    body = _encode(safe)
    for marker, text in plain.items():
        body = body.replace(marker, text, 1)
    return body


class Engine:
    """Compiled rules that tell which of them a fact satisfies. Safe to share between threads."""

    def __init__(self, conditions: Mapping[str, Dict[str, Any]]):
        self.rule_ids = tuple(conditions)
        self.definitions: List[Dict[str, Any]] = []
        # (ruleset, the fields of its messages, the facts they carry in the same order, their getter)
        self._shards: List[Tuple[_Ruleset, Tuple[str, ...], Tuple[str, ...],
                                 Callable[[Mapping[str, Any]], Tuple[Any, ...]]]] = []
        for group in shard(conditions):
            facts = tuple(dict.fromkeys(name for condition in group.values() for name in fields_read(condition)))
            names = short_names(facts)
            self.definitions.append(ruleset_definition(group, names))
            self._shards.append((_ruleset(self.definitions[-1]), tuple(names.values()), facts, _getter(facts)))
        engine = _engine_module()
        self._calls = (engine.assert_fact, engine.start_action_for_state, engine.complete_and_start_action,
                       engine.retract_fact)

    def fired(self, facts: Mapping[str, Any]) -> FrozenSet[str]:
        """The ids of the rules whose conditions `facts` satisfy."""
        assert_fact, start_action, complete_and_start_action, retract_fact = self._calls
        fired: Set[str] = set()
        with _lock:
            for ruleset, fields, names, values in self._shards:
                handle = ruleset.handle
                try:
                    message = _message(ruleset.head, fields, values(facts))
                except KeyError:  # facts without some field: it is unknown
                    message = _message(ruleset.head, fields, [facts.get(name) for name in names])
                try:
                    code, state = assert_fact(handle, message)
                    if code != 0:  # the sentinel matches every fact, so it was already there
                        raise RuntimeError(f"the rule engine refused a fact (code {code})")
                    started = start_action(handle, state)
                    action = started[1] if started else None
                    while action:
                        # an action is '{"<rule id>":{...}}'; ids are [a-z0-9_-]: no JSON parse needed
                        fired.add(action[2:action.index('"', 2)])
                        action = complete_and_start_action(handle, state)
                    retract_fact(handle, message)
                except BaseException:
                    ruleset.next_session()  # whatever state the session is in, no later fact meets it
                    raise
        fired.discard(SENTINEL)
        return frozenset(fired)

    def sessions(self) -> List[Tuple[Any, str]]:
        """(ruleset handle, session id) of each ruleset this engine uses, for inspection."""
        return [(ruleset.handle, ruleset.sid) for ruleset, _, _, _ in self._shards]
