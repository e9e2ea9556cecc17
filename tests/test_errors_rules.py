"""Bad rule packs are refused when they load, before any proposal: file, line, column, rule id."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import List

import pytest
from conftest import EXAMPLES, ROOT

DEFAULT_PURPOSE = ROOT / "rules" / "purpose.yaml"


def rule(rule_id: str = "company-rule", when: str = "{attendees: {gte: 3}}", because: str = "Three or more.",
         extra: str = "") -> str:
    return (f"- id: {rule_id}\n"
            "  description: A company rule.\n"
            f"  when: {when}\n"
            f"  because: \"{because}\"\n"
            "  source: Company policy\n" + extra)


@pytest.fixture
def pack(tmp_path):
    """A rule pack folder holding `files` (name -> text)."""

    def make(name: str = "company", **files: str) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        for file, text in files.items():
            (folder / f"{file}.yaml").write_text(text)
        return folder

    return make


@pytest.fixture
def refused(cli, pack, tmp_path):
    """The stderr lines of checking an example with the default pack plus a pack of one file."""
    packs = iter(range(100))

    def check(text: str) -> List[str]:
        folder = pack(f"company{next(packs)}", rules=text)
        code, out, err = cli("check", "-f", "json", "--rules", str(folder), str(EXAMPLES / "coaching-1on1.yaml"))
        assert (code, out) == (2, ""), err
        return err.replace(str(folder) + os.sep, "").splitlines()

    return check


def line_of(path: Path, rule_id: str) -> int:
    lines = path.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip() == f"- id: {rule_id}")


# ------------------------------------------------------------------ conditions


def test_unknown_fact(refused):
    assert refused(rule(when="{atendees: {gte: 3}}")) == [
        "rules.yaml:3:10: company-rule.when.atendees: unknown fact 'atendees'; did you mean 'attendees'?"]


def test_unknown_operator(refused):
    assert refused(rule(when="{attendees: {gtee: 3}}")) == [
        "rules.yaml:3:22: company-rule.when.attendees.gtee: unknown operator 'gtee' for attendees; did you mean 'gte'?"]


def test_operator_of_another_kind_of_fact(refused):
    assert refused(rule(when="{purposes: {gt: 3}}")) == [
        "rules.yaml:3:21: company-rule.when.purposes.gt: unknown operator 'gt' for purposes; "
        "expected one of contains, contains_any, contains_all, subset_of"]


def test_wrong_type_of_operand(refused):
    assert refused(rule(when="{attendees: {gte: three}}")) == [
        "rules.yaml:3:27: company-rule.when.attendees.gte: expected a number (as attendees is), found 'three'"]
    assert refused(rule(when="{decision_required: 'yes'}")) == [
        "rules.yaml:3:29: company-rule.when.decision_required.eq: expected true or false, found 'yes'"]


def test_unknown_word_of_a_fact(refused):
    assert refused(rule(when="{purposes: {contains: stauts_update}}")) == [
        "rules.yaml:3:31: company-rule.when.purposes.contains: unknown value 'stauts_update' for purposes; "
        "did you mean 'status_update'?"]


@pytest.mark.parametrize("number,shown", [("1e300", "1e+300"), (".nan", "nan"), ("12345678901234567890", None)])
def test_numbers_the_engine_cannot_read(refused, number, shown):
    assert refused(rule(when=f"{{cost: {{gt: {number}}}}}")) == [
        "rules.yaml:3:21: company-rule.when.cost.gt: expected a number from -1000000000 to 1000000000, "
        f"found {shown or number}"]


def test_small_floats_are_read_at_the_facts_precision(cli, pack):
    # 0.00001 would be written 1e-05, which the engine's JSON reader refuses
    folder = pack(rules=rule(when="{cost: {gt: 0.00001}}"))
    code, out, err = cli("check", "-f", "json", "--rules", str(folder), str(EXAMPLES / "coaching-1on1.yaml"))
    assert err == "" and "company-rule" in [f["rule"] for f in json.loads(out)["fired"]]


def test_between_bounds_in_order(refused):
    assert refused(rule(when="{attendees: {between: [9, 3]}}")) == [
        "rules.yaml:3:31: company-rule.when.attendees.between: expected [low, high] with low <= high, found [9, 3]"]


def test_condition_too_complex_for_the_engine(refused):
    from advisor.engine.durable import ALPHA_BUDGET, alpha_cost
    from advisor.packs.conditions import compile_condition, parse

    any_of = {"any": [{"attendees": 1}, {"attendees": 2}, {"attendees": 3}]}
    ways = alpha_cost(compile_condition(parse({"all": [any_of] * 4}, (), print)))
    assert ways == 3 ** 4 > ALPHA_BUDGET
    when = "{all: [" + ", ".join(["{any: [{attendees: 1}, {attendees: 2}, {attendees: 3}]}"] * 4) + "]}"
    assert refused(rule(when=when)) == [
        f"rules.yaml:3:9: company-rule.when: condition too complex for the engine: {ways} ways to match once 'any' "
        f"and 'in' are expanded, at most {ALPHA_BUDGET}; split it into several rules"]


# ------------------------------------------------------------------ templates


def test_template_that_does_not_compile(refused):
    assert refused(rule(because="{{ attendees ")) == [
        "rules.yaml:4:12: company-rule.because: template does not compile: unexpected end of template, "
        "expected 'end of print statement'. (template line 1)"]


def test_template_with_an_undefined_name(refused):
    assert refused(rule(because="{{ atendees }} people")) == [
        "rules.yaml:4:12: company-rule.because: template uses unknown name 'atendees'; did you mean 'attendees'?"]


def test_template_with_an_unknown_filter(refused):
    assert refused(rule(extra="  suggestion: \"{{ cost | dollars }}\"\n")) == [
        "rules.yaml:6:15: company-rule.suggestion: template does not compile: No filter named 'dollars'. "
        "(template line 1)"]


def test_template_that_fails_when_it_runs(refused):
    assert refused(rule(because="{{ title | num }}")) == [
        "rules.yaml:4:12: company-rule.because: template fails on a sample proposal: ValueError: "
        "could not convert string to float: 'Weekly review'"]


def test_template_using_a_fact_that_may_be_unknown(refused):
    problem, = refused(rule(because="{{ load_hours | num }} hours a week"))
    # Python's own words for the TypeError differ between versions; ours do not.
    assert problem.startswith("rules.yaml:4:12: company-rule.because: template fails on a sample proposal: "
                              "TypeError: float() argument must be a string or a ")
    assert problem.endswith("(load_hours may be unknown here: require it with 'load_hours: {known: true}')")


def test_templates_run_in_the_sandbox(refused):
    assert refused(rule(because="{{ title.__class__.__mro__ }}")) == [
        "rules.yaml:4:12: company-rule.because: template fails on a sample proposal: SecurityError: "
        "access to attribute '__class__' of 'str' object is unsafe."]


@pytest.mark.parametrize("because,message", [
    ("{{ '%1000000000d' % attendees }}", "template would do too much work: a width of 1,000,000,000 in %, more than 100"),
    ("{{ '{:>1000000000}'.format(attendees) }}",
     "template would do too much work: a width of 1,000,000,000 in format, more than 100"),
    ("{{ '%*d' % (attendees, 1) }}", "template would do too much work: a width taken from a value ('*') is not "
                                    "allowed in %"),
    ("{% for i in range(1000) %}{% for j in range(1000) %}x{% endfor %}{% endfor %}",
     "template would do too much work: loops would take more than 1,000 steps"),
    ("{{ title.center(1000000000) }}", "template would do too much work: 'center' would build 1,000,000,000 "
                                       "characters, more than 10,039"),
    # within the budget on a plausible proposal, past it on a large one
    ("{{ 'x' * 128 * attendees }}", "template would do too much work on a large proposal: '*' repeating 128 "
                                    "characters or items would build 128,000,000,000 characters, more than 70,000"),
    ("{{ title ~ title ~ title ~ title }}", "template would do too much work on a large proposal: '~' would build "
                                           "80,000 characters, more than 70,000"),
])
def test_a_snippet_past_the_budget_is_refused_when_the_pack_loads(refused, because, message):
    assert refused(rule(because=because.replace('"', '\\"'))) == [f"rules.yaml:4:12: company-rule.because: {message}"]


def test_a_snippet_may_print_the_title_and_build_a_sentence(cli, pack):
    folder = pack(rules=rule(when="{attendees: {gte: 1}}",
                             because="{{ 'Title: ' ~ title }}, {{ '%5d' % attendees }} people{{ '!' * 3 }}"))
    code, out, err = cli("check", "-f", "json", "--rules", str(folder), str(EXAMPLES / "coaching-1on1.yaml"))
    assert err == ""
    reasons = [f["reason"] for f in json.loads(out)["fired"] if f["rule"] == "company-rule"]
    assert reasons == ["Title: Call review with Sam, 2 people!!!"]


def test_a_snippet_past_the_budget_on_one_proposal_is_the_rules_error(cli, pack, tmp_path):
    # within the budget for the sample and the largest proposal; past it for exactly 2 attendees
    folder = pack(rules=rule(when="{attendees: {gte: 1}}",
                             because="{% if attendees == 2 %}{{ 'x' * 100000 }}{% endif %}ok"))
    code, out, err = cli("check", "-f", "json", "--rules", str(folder), str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out) == (2, "")
    assert err == (f"{folder / 'rules.yaml'}:1:3: company-rule.because: template fails on the proposal "
                   "'Call review with Sam': OverBudget: '*' repeating 1 characters or items would build 100,000 "
                   "characters, more than 10,060\n")


def test_template_failing_on_one_proposal_is_the_rules_error_and_others_are_decided(cli, pack, tmp_path):
    # passes the sample proposal (3 purposes), fails on a meeting with one
    folder = pack(rules=rule(when="{purpose_count: {gte: 1}}", because="{{ 6 // (purpose_count - 1) }} points"))
    code, out, err = cli("check", "-f", "json", "--rules", str(folder), str(EXAMPLES / "coaching-1on1.yaml"),
                         str(EXAMPLES / "pipeline-review.yaml"))
    assert code == 2
    assert [d["meeting"] for d in json.loads(out)] == ["Weekly pipeline review"]  # two files named: an array
    assert err == (f"{folder / 'rules.yaml'}:1:3: company-rule.because: template fails on the proposal "
                   "'Call review with Sam': ZeroDivisionError: integer division or modulo by zero\n")


# ------------------------------------------------------------------ rule fields


def test_rule_fields(refused):
    text = rule(extra="  necessity: 150\n  formats: {vidoe: 5, call: loud}\n  alternative: emial\n  sorce: x\n")
    assert refused(text) == [
        "rules.yaml:6:14: company-rule.necessity: expected an integer from -100 to 100, found 150",
        "rules.yaml:7:13: company-rule.formats.vidoe: unknown format 'vidoe'; did you mean 'video'?",
        "rules.yaml:7:29: company-rule.formats.call: expected an integer from -100 to 100, found 'loud'",
        "rules.yaml:8:16: company-rule.alternative: unknown alternative 'emial'; expected one of written_update, "
        "shared_document, async_thread, one_on_one, merge_with_existing, postpone, decide_alone",
        "rules.yaml:9:3: company-rule.sorce: unknown rule field 'sorce'; did you mean 'source'?",
    ]


def test_missing_fields_and_bad_id(refused):
    assert refused("- id: Company Rule\n  when: {attendees: 2}\n") == [
        "rules.yaml:1:3: Company Rule: missing required field 'description'",
        "rules.yaml:1:3: Company Rule: missing required field 'because'",
        "rules.yaml:1:3: Company Rule: missing required field 'source'",
        "rules.yaml:1:7: Company Rule.id: expected lower-case letters, digits, '-' or '_' (at most 64), "
        "found 'Company Rule'",
    ]


def test_rule_file_shapes(cli, pack):
    folder = pack(a="{id: x}\n", b="", c="- just a word\n", d="- !!python/name:os.system x\n")
    code, out, err = cli("check", "--rules", str(folder), str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out) == (2, "")
    assert err.replace(str(folder) + os.sep, "").splitlines() == [
        "a.yaml:1:1: expected a list of rules (each '- id: ...'), found a mapping",
        "b.yaml: the file is empty: expected a list of rules",
        "c.yaml:1:3: rule[0]: expected a rule (a mapping with id, description, when, because, source), "
        "found 'just a word'",
        "d.yaml:1:3: [0]: the YAML tag '!!python/name:os.system' is not allowed: only plain data is read",
    ]


def test_missing_and_empty_packs(cli, tmp_path):
    (tmp_path / "empty").mkdir()
    code, out, err = cli("check", "--rules", str(tmp_path / "nope"), "--rules", str(tmp_path / "empty"),
                         str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{tmp_path / 'nope'}: no such rule pack: expected a folder of rule files or a rule file",
        f"{tmp_path / 'empty'}: no rule files (*.yaml) in this folder",
    ]


# ------------------------------------------------------------------ rule ids across packs


def test_duplicate_id_within_a_pack(refused):
    assert refused(rule() + rule()) == [
        "rules.yaml:6:3: company-rule: duplicate rule id 'company-rule': this pack defines it at "
        "rules.yaml:1:3 already; a pack uses an id once"]


def test_duplicate_id_across_packs_names_both_places(refused):
    line = line_of(DEFAULT_PURPOSE, "coaching-one-on-one")
    assert refused(rule("coaching-one-on-one")) == [
        "rules.yaml:1:3: coaching-one-on-one: duplicate rule id 'coaching-one-on-one': pack 'default' defines it at "
        f"{DEFAULT_PURPOSE}:{line}:3; add 'replaces: true' to replace that rule"]


def test_replaces_true_replaces_the_earlier_rule_in_place(cli, pack):
    folder = pack(rules=rule("coaching-one-on-one", when="{purposes: {contains: coaching}}", because="Replaced.",
                             extra="  replaces: true\n  necessity: -50\n"))
    code, out, err = cli("check", "-f", "json", "--rules", str(folder), str(EXAMPLES / "coaching-1on1.yaml"))
    decision = json.loads(out)
    fired = {f["rule"]: f for f in decision["fired"]}
    assert err == "" and (fired["coaching-one-on-one"]["necessity"], fired["coaching-one-on-one"]["reason"]) == (
        -50, "Replaced.")
    from advisor.api import Advisor

    default_order = [r.id for r in Advisor().pack.rules]
    replaced_order = [r.id for r in Advisor(extra_rules=[folder]).pack.rules]
    assert replaced_order == default_order  # the rule keeps its place


def test_replaces_with_nothing_to_replace(refused):
    assert refused(rule("coaching-one-on-on", extra="  replaces: true\n")) == [
        "rules.yaml:1:3: coaching-one-on-on.replaces: 'replaces: true', but no earlier pack has a rule "
        "'coaching-one-on-on'; did you mean 'coaching-one-on-one'?"]
    assert refused(rule("brand-new", extra="  replaces: true\n")) == [
        "rules.yaml:1:3: brand-new.replaces: 'replaces: true', but no earlier pack has a rule 'brand-new'; "
        "remove 'replaces: true' to add it as a new rule"]


def test_replaces_must_be_true_or_false(refused):
    assert refused(rule(extra="  replaces: sometimes\n")) == [
        "rules.yaml:6:13: company-rule.replaces: expected true or false, found 'sometimes'"]


def test_problems_of_every_pack_are_reported_before_any_proposal(cli, pack):
    first = pack("first", rules=rule(when="{atendees: 3}"))
    second = pack("second", rules=rule("coaching-one-on-one") + rule("other", because="{{ nope }}"))
    code, out, err = cli("check", "--rules", str(first), "--rules", str(second), str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out) == (2, "")
    assert [line.split(": ", 2)[1] for line in err.splitlines()] == [
        "company-rule.when.atendees", "other.because", "coaching-one-on-one"]
