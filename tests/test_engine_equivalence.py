"""The fast engine adapter fires exactly what durable_rules' ordinary path fires.

`advisor.engine` drives the engine's C layer directly (one reused session, rule ids read
from the queued actions, rules packed up to the alpha stack's bound); `advisor.reference`
uses the engine's Python layer the ordinary way (a ruleset per rule, a session per fact, a
Python action per fired rule). Both must agree on every generated proposal, and on random
conditions that pack many rules, `$or` joins and negations into each ruleset.
"""
from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import Any, Dict

import pytest
from conftest import ROOT
from whengen import compiled, random_when

from advisor.api import Advisor
from advisor.core.facts import derive_facts
from advisor.engine.durable import ALPHA_BUDGET, Engine, alpha_cost, ruleset_definition, shard
from advisor.engine.reference import ReferenceEngine
from advisor.inputs.proposal import meeting_from_mapping
from bench.proposals import proposals


@pytest.fixture(scope="module")
def default_conditions(advisor: Advisor) -> Dict[str, Dict[str, Any]]:
    return {rule.id: rule.condition for rule in advisor.pack.rules}


def test_default_pack_fires_the_same_rules_on_2000_proposals(advisor: Advisor, default_conditions) -> None:
    reference = ReferenceEngine(default_conditions)
    seen_fired, seen_unfired = set(), set()
    for data in proposals(2000, seed=7):
        facts = derive_facts(meeting_from_mapping(data))
        fast = advisor.engine.fired(facts)
        assert fast == reference.fired(facts), data
        seen_fired |= fast
        seen_unfired |= set(default_conditions) - fast
    # the comparison means something only if every rule went both ways
    assert seen_fired == seen_unfired == set(default_conditions)


def test_the_default_pack_fits_one_ruleset(advisor: Advisor) -> None:
    assert len(advisor.engine.definitions) == 1


WORDS = {"recurrence": ["none", "daily", "weekly", "monthly"], "purposes": ["coaching", "strategy", "training"]}


def random_condition(rng: random.Random) -> Dict[str, Any]:
    return compiled(random_when(rng, ["attendees", "load_hours", "cost"], WORDS, top=10, branch=0.35))


def random_facts(rng: random.Random) -> Dict[str, Any]:
    return {
        "attendees": rng.randint(0, 10),
        "load_hours": rng.choice([None, rng.randint(0, 10), rng.randint(0, 40) / 4]),
        "cost": rng.choice([None, 0, rng.randint(0, 40) / 4]),
        "decision_required": rng.random() < 0.5,
        "recurrence": rng.choice(WORDS["recurrence"]),
        "purposes": rng.sample(WORDS["purposes"], rng.randint(1, 3)),
    }


def test_random_conditions_packed_into_rulesets_fire_the_same_rules() -> None:
    rng = random.Random(20261127)
    conditions = {f"c{i}": random_condition(rng) for i in range(150)}
    fast, reference = Engine(conditions), ReferenceEngine(conditions)
    assert 1 < len(fast.definitions) < len(conditions)  # several rules per ruleset, several rulesets
    fired_somewhere = set()
    for _ in range(300):
        facts = random_facts(rng)
        result = fast.fired(facts)
        assert result == reference.fired(facts), facts
        fired_somewhere |= result
    assert len(fired_somewhere) > 100


def test_shards_stay_within_the_alpha_stack() -> None:
    rng = random.Random(5)
    conditions = {f"c{i}": random_condition(rng) for i in range(300)}
    conditions = {rule_id: c for rule_id, c in conditions.items() if alpha_cost(c) <= ALPHA_BUDGET}
    groups = shard(conditions)
    assert [rule_id for group in groups for rule_id in group] == list(conditions)
    for group in groups:
        assert sum(alpha_cost(c) for c in group.values()) <= ALPHA_BUDGET


def _conditions_all_true(ways: int, shape: str = "single") -> Dict[str, Dict[str, Any]]:
    """Rules with `ways` ways to match in all, every one true for attendees = 5 and cost = 3: a
    single test each, a chain of three tests each, or each an `$or` of two tests."""
    def test(i: int, fact: str = "attendees") -> Dict[str, Any]:
        return {"$gt": {f"f.{fact}": -1 - i}}

    if shape == "chain":
        return {f"r{i}": {"$and": [test(i), test(i + 1), test(i + 2, "cost")]} for i in range(ways)}
    if shape == "or":
        return {f"r{i}": {"$or": [test(i), test(i, "cost")]} for i in range(ways // 2)}
    return {f"r{i}": test(i) for i in range(ways)}


SHAPES = ["single", "chain", "or"]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_ruleset_at_the_bound_fires_every_rule(shape: str) -> None:
    conditions = _conditions_all_true(ALPHA_BUDGET, shape)
    assert sum(alpha_cost(c) for c in conditions.values()) == ALPHA_BUDGET
    engine = Engine(conditions)
    assert len(engine.definitions) == 1
    assert engine.fired({"attendees": 5, "cost": 3}) == set(conditions)
    assert len(Engine(_conditions_all_true(ALPHA_BUDGET + 2, shape)).definitions) == 2


@pytest.mark.parametrize("shape", SHAPES)
def test_one_way_past_the_bound_overflows_the_engine(shape: str) -> None:
    """The bound is the engine's: 65 ways to match, all true at once, in one ruleset fail the
    assert (303), however long each way is.

    Run in a process of its own: an overflowed engine may crash later.
    """
    definition = ruleset_definition(_conditions_all_true(ALPHA_BUDGET + (2 if shape == "or" else 1), shape))
    script = (
        "import json, sys, durable_rules_engine as e\n"
        "h = e.create_ruleset('overflow', sys.argv[1])\n"
        "try:\n"
        "    e.assert_fact(h, json.dumps({'sid': 's', 'id': 'f', 't': 'proposal', 'attendees': 5, 'cost': 3}))\n"
        "except Exception as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, json.dumps(definition)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert "error code: 303" in done.stdout


def test_the_session_is_reused_and_left_empty(advisor: Advisor) -> None:
    import durable_rules_engine

    before = advisor.engine.sessions()
    for data in proposals(200, seed=11):
        advisor.check(data)
    assert advisor.engine.sessions() == before
    for handle, sid in before:
        assert json.loads(durable_rules_engine.get_facts(handle, sid)) == []
        assert json.loads(durable_rules_engine.get_events(handle, sid)) == []


def test_an_interrupted_check_moves_to_a_fresh_session(default_conditions, monkeypatch) -> None:
    import durable_rules_engine

    engine = Engine(default_conditions)
    facts = [derive_facts(meeting_from_mapping(data)) for data in proposals(20, seed=3)]
    expected = [engine.fired(f) for f in facts]
    (_, sid_before), = engine.sessions()

    def interrupted(*args: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(durable_rules_engine, "complete_and_start_action", interrupted)
    with pytest.raises(KeyboardInterrupt):
        Engine(default_conditions).fired(facts[0])  # the same ruleset and session, interrupted
    monkeypatch.undo()
    (_, sid_after), = engine.sessions()
    assert sid_after != sid_before
    assert [engine.fired(f) for f in facts] == expected


def test_floats_the_engine_cannot_read_are_written_plainly() -> None:
    engine = Engine({"tiny": compiled({"cost": {"gt": 0}}), "huge": {"$gte": {"f.cost": 10 ** 17}}})
    assert engine.fired({"cost": 1e-05}) == {"tiny"}
    assert engine.fired({"cost": 2.5e17}) == {"tiny", "huge"}
    assert engine.fired({"cost": 0.0}) == set()


def test_facts_named_like_the_messages_own_fields_are_kept_apart() -> None:
    engine = Engine({"r": {"$gt": {"f.sid": 1}}, "s": {"f.t": "x"}, "u": {"$lt": {"f.id": 3}}})
    assert engine.fired({"sid": 2, "t": "x", "id": 5}) == {"r", "s"}
    assert engine.fired({"sid": 0, "t": "proposal", "id": 1}) == {"u"}
