"""`--explain`: every rule, fired or not, and for one that did not, the first condition the engine
reports false, with the fact's value against the rule's bound."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict

import pytest
from conftest import EXAMPLES, proposal

from advisor.api import Advisor
from advisor.engine.durable import Engine
from advisor.packs.conditions import compile_condition
from advisor.packs.explain import Explainer, condition_text, conjuncts, rule_tree


@pytest.fixture(scope="module")
def explainer(advisor: Advisor) -> Explainer:
    return Explainer(advisor.pack)


def _by_rule(explainer: Explainer, decision) -> Dict[str, object]:
    return {e.rule: e for e in explainer.explain(decision)}


def test_a_rule_that_did_not_fire_shows_the_value_against_the_bound(advisor, explainer) -> None:
    explained = _by_rule(explainer, advisor.check(EXAMPLES / "pipeline-review.yaml"))  # load 9 hours a week
    heavy = explained["heavy-meeting-load"]
    assert (heavy.fired, heavy.condition, heavy.detail) == (False, "load_hours >= 15", "load_hours 9 < 15")
    assert heavy.facts == {"load_hours": 9}
    # the first failing part of an `all`, in written order, with the values of that part only
    crowd = explained["everyone-in-the-room"]  # all: [remote_attendees: 0, attendees > 2]
    assert (crowd.condition, crowd.detail, crowd.facts) == ("remote_attendees = 0", "remote_attendees 3 != 0",
                                                            {"remote_attendees": 3})


def test_a_fired_rule_shows_its_effects_and_the_values_that_made_it_fire(advisor, explainer) -> None:
    explained = _by_rule(explainer, advisor.check(EXAMPLES / "overloaded-brainstorm.yaml"))
    heavy = explained["heavy-meeting-load"]
    assert (heavy.fired, heavy.necessity, heavy.detail) == (True, -15, "load_hours 22 >= 15")
    workshop = explained["workshop-without-agenda"]
    assert workshop.detail == "duration_minutes 120 >= 120 and has_agenda = false"


def test_every_rule_is_listed_once_and_a_rule_that_did_not_fire_has_a_failing_condition(advisor, explainer) -> None:
    # Its own engine, one condition per part, must find a false part of every rule that did not fire.
    for path in sorted(EXAMPLES.glob("*.yaml")):
        decision = advisor.check(path)
        explained = explainer.explain(decision)
        assert [e.rule for e in explained] == [rule.id for rule in advisor.pack.rules]
        for entry in explained:
            assert entry.fired or "yet the rule did not fire" not in entry.detail, (path.name, entry.rule)


def test_the_reported_condition_is_the_first_the_engine_finds_false(advisor, explainer) -> None:
    """Checked against a separate engine per condition, not against Python comparisons."""
    for path in sorted(EXAMPLES.glob("*.yaml")):
        decision = advisor.check(path)
        explained = _by_rule(explainer, decision)
        for rule in advisor.pack.rules:
            if explained[rule.id].fired:
                continue
            verdicts = []
            for tree in conjuncts(rule_tree(rule)):
                verdicts.append((condition_text(tree), bool(Engine({"c": compile_condition(tree)}).fired(decision.facts))))
            first_false = next(text for text, true in verdicts if not true)
            assert explained[rule.id].condition == first_false, (path.name, rule.id, verdicts)


def test_the_engine_decides_which_condition_failed(advisor, monkeypatch) -> None:
    """If the engine said every part held, the explanation says so instead of re-deciding in Python."""
    explainer = Explainer(advisor.pack)
    monkeypatch.setattr(explainer.engine, "fired", lambda facts: frozenset(explainer.engine.rule_ids))
    heavy = _by_rule(explainer, advisor.check(EXAMPLES / "pipeline-review.yaml"))["heavy-meeting-load"]
    assert (heavy.fired, heavy.detail) == (False, "every condition holds on its own, yet the rule did not fire")


def test_conditions_shared_by_rules_are_compiled_once(advisor, explainer) -> None:
    parts = [part for rule in advisor.pack.rules for _, part in explainer.parts[rule.id]]
    assert len(set(parts)) == len(explainer.engine.rule_ids) < len(parts)


def _rule_file(tmp_path: Path, when: str) -> Path:
    pack = tmp_path / "pack"
    pack.mkdir(exist_ok=True)
    (pack / "r.yaml").write_text(f"- id: probe\n  description: d\n  when: {when}\n  necessity: 1\n"
                                 f"  because: b\n  source: s\n")
    return pack


@pytest.mark.parametrize("when,facts,condition,detail", [
    ("{load_hours: {lt: 10}}", {}, "load_hours < 10", "load_hours unknown, the rule needs load_hours < 10"),
    ("{same_topic_days_ago: {known: true}}", {}, "same_topic_days_ago is known", "same_topic_days_ago unknown"),
    ("{duration_minutes: {between: [10, 20]}}", {}, "duration_minutes between 10 and 20",
     "duration_minutes 30 not between 10 and 20"),
    ("{recurrence: {in: [daily, weekly]}}", {}, "recurrence in [daily, weekly]", "recurrence none not in [daily, weekly]"),
    ("{roles: {contains_all: [executive, sales_rep]}}", {}, "roles contains all of [executive, sales_rep]",
     "roles [sales_manager, sales_rep] does not contain all of [executive, sales_rep]"),
    ("{purposes: {subset_of: [status_update]}}", {}, "purposes only from [status_update]",
     "purposes [problem_solving] not only from [status_update]"),
    ("{any: [{attendees: 2}, {decision_required: true}]}", {}, "attendees = 2 or decision_required = true",
     "attendees 4 != 2 and decision_required false != true"),
    ("{not: {attendees: {gt: 3}}}", {}, "not (attendees > 3)", "attendees 4 > 3"),
    ("{all: [{attendees: {gt: 1}}, {not: {any: [{attendees: 4}, {agenda_items: 9}]}}]}", {},
     "not (attendees = 4 or agenda_items = 9)", "(attendees = 4 or agenda_items = 9) holds, with attendees 4, "
                                                "agenda_items 2"),
])
def test_how_conditions_read(tmp_path: Path, when: str, facts: dict, condition: str, detail: str) -> None:
    advisor = Advisor(rules=[_rule_file(tmp_path, when)])
    decision = advisor.check(proposal(**facts))
    (explained,) = Explainer(advisor.pack).explain(decision)
    assert (explained.fired, explained.condition, explained.detail) == (False, condition, detail)


# ---------------------------------------------------------------------------- through the CLI


def test_check_explain_text_follows_the_report(cli) -> None:
    code, out, err = cli("check", "--explain", str(EXAMPLES / "pipeline-review.yaml"))
    assert (code, err) == (0, "")
    report, _, explained = out.partition("\nRules for Weekly pipeline review: ")
    assert report.startswith("HOLD  Weekly pipeline review")
    lines = explained.splitlines()
    assert lines[0].startswith("10 of ") and "rules fired (default " in lines[0]
    rows = {line.split()[1]: line for line in lines[1:]}
    assert rows["heavy-meeting-load"].split()[0] == "-" and rows["heavy-meeting-load"].endswith("load_hours 9 < 15")
    assert rows["remote-attendees"].split()[:2] == ["fired", "remote-attendees"]
    assert "call +10, video +20, formal -20" in rows["remote-attendees"]


def test_check_explain_json_adds_an_explain_list_to_each_decision(cli, advisor) -> None:
    code, out, _ = cli("check", "-f", "json", "--explain", str(EXAMPLES / "pipeline-review.yaml"),
                       str(EXAMPLES / "status-broadcast.yaml"))
    decisions = json.loads(out)
    assert code == 1 and len(decisions) == 2
    for decision in decisions:
        assert [e["rule"] for e in decision["explain"]] == [rule.id for rule in advisor.pack.rules]
        assert {e["rule"] for e in decision["explain"] if e["fired"]} == {f["rule"] for f in decision["fired"]}
    heavy = next(e for e in decisions[0]["explain"] if e["rule"] == "heavy-meeting-load")
    assert heavy == {"rule": "heavy-meeting-load", "pack": "default", "fired": False, "necessity": -15, "formats": {},
                     "media": {}, "condition": "load_hours >= 15", "detail": "load_hours 9 < 15", "facts": {"load_hours": 9}}


def test_check_explain_markdown_adds_a_table_and_html_is_refused(cli) -> None:
    code, out, _ = cli("check", "-f", "markdown", "--explain", str(EXAMPLES / "pipeline-review.yaml"))
    assert code == 0 and "### Rules for Weekly pipeline review" in out
    assert "| `heavy-meeting-load` | no |  | load_hours 9 < 15 |" in out
    code, out, err = cli("check", "-f", "html", "--explain", str(EXAMPLES / "pipeline-review.yaml"))
    assert (code, out) == (2, "") and "--explain works with --format text, markdown or json" in err


def test_explain_shows_a_rule_from_an_extra_pack_and_overridden_effects(cli, tmp_path: Path) -> None:
    pack = _rule_file(tmp_path, "{load_hours: {gte: 8}}")
    code, out, _ = cli("check", "-f", "json", "--explain", "--rules", str(pack), str(EXAMPLES / "pipeline-review.yaml"))
    probe = next(e for e in json.loads(out)["explain"] if e["rule"] == "probe")
    assert (probe["fired"], probe["pack"], probe["detail"]) == (True, "pack", "load_hours 9 >= 8")
    config = tmp_path / "advisor.yaml"
    config.write_text("overrides:\n  remote-attendees: {necessity: -3}\n")
    code, out, _ = cli("check", "-f", "json", "--explain", "--config", str(config),
                       str(EXAMPLES / "pipeline-review.yaml"))
    remote = next(e for e in json.loads(out)["explain"] if e["rule"] == "remote-attendees")
    assert (remote["fired"], remote["necessity"]) == (True, -3)
