"""What would change the answer: every change found is re-checked here through the same Advisor."""
from __future__ import annotations

import pytest
from conftest import EXAMPLES, ROOT, expected_examples
from hypothesis import given
from hypothesis import strategies as st

from advisor.api import Advisor
from advisor.core.decision import Step
from advisor.core.whatif import FREQUENCY, LEVERS, MAX_CHECKS, _shrink, apply_steps
from advisor.inputs.proposal import read_meeting
from advisor.report.changes import describe_change, describe_step
from advisor.report.json_format import to_dict
from advisor.report.render import render

EXAMPLE_NAMES = [name for name, _, _ in expected_examples()]


def test_what_if_is_computed_only_when_asked(advisor):
    plain = advisor.check(EXAMPLES / "shortfall-huddle.yaml")
    assert plain.what_if is None and to_dict(plain)["what_if"] is None
    asked = advisor.check(EXAMPLES / "shortfall-huddle.yaml", what_if=True)
    assert (asked.verdict, asked.score) == (plain.verdict, plain.score)
    assert to_dict(asked)["what_if"][0]["verdict"] == "hold"


def test_weighing_without_reasons_reaches_the_verdict_and_score_of_a_check():
    from advisor.inputs.proposal import meeting_from_mapping
    from bench.proposals import proposals

    advisor = Advisor(threshold=45)  # not the default: the threshold must be the Advisor's own
    verdicts = set()
    for data in proposals(300, seed=5):
        meeting = meeting_from_mapping(data)
        decision = advisor.check(meeting)
        raw = decision.base + sum(f.necessity for f in decision.fired)
        assert advisor.weigh(meeting) == (decision.verdict, decision.score, raw)
        verdicts.add(decision.verdict)
    assert verdicts == {"hold", "skip"}


def test_a_skip_is_flipped_to_hold_by_an_agenda_and_the_engine_confirms_it(advisor):
    meeting = read_meeting(EXAMPLES / "shortfall-huddle.yaml")
    decision = advisor.check(meeting, what_if=True)
    assert decision.verdict == "skip"
    first = decision.what_if.changes[0]
    assert first.steps == (Step("agenda", 0, 1),) and (first.verdict, first.score) == ("hold", 70)
    changed = advisor.check(apply_steps(meeting, first.steps))
    assert (changed.verdict, changed.score) == ("hold", 70)
    assert "agenda-prepared" in {f.rule for f in changed.fired} and "no-agenda" not in {f.rule for f in changed.fired}


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_change_flips_the_verdict_and_is_the_smallest_of_its_kind(advisor, name):
    meeting = read_meeting(EXAMPLES / name)
    decision = advisor.check(meeting, what_if=True)
    levers = {lever.kind: lever for lever in LEVERS}
    for change in decision.what_if.changes:
        changed = advisor.check(apply_steps(meeting, change.steps))
        assert changed.verdict != decision.verdict and (changed.verdict, changed.score) == (change.verdict, change.score)
        if len(change.steps) > 1:
            continue
        step, = change.steps
        sequence = next(seq for seq in levers[step.kind].sequences(meeting) if step in seq)
        for smaller in sequence[:sequence.index(step)]:  # every smaller change of that kind leaves it as it was
            assert advisor.check(levers[step.kind].apply(meeting, smaller)).verdict == decision.verdict


def test_no_single_change_saves_the_brainstorm_but_four_together_do_and_each_is_needed(advisor):
    meeting = read_meeting(EXAMPLES / "overloaded-brainstorm.yaml")
    decision = advisor.check(meeting, what_if=True)
    assert decision.what_if.combined
    change, = decision.what_if.changes
    assert {s.kind for s in change.steps} == {"agenda", "load", "duration", "attendees"}
    assert advisor.check(apply_steps(meeting, change.steps)).verdict == "hold"
    for left_out in change.steps:
        assert advisor.check(apply_steps(meeting, [s for s in change.steps if s is not left_out])).verdict == "skip"


def test_a_hold_shows_what_would_make_it_a_skip(advisor):
    decision = advisor.check(EXAMPLES / "pipeline-review.yaml", what_if=True)
    change, = decision.what_if.changes
    assert change.steps == (Step("load", 9.0, 20.0),) and change.verdict == "skip"
    assert describe_change(change.steps) == "The audience's meeting load rising to 20 hours a week (now 9)"


def test_changes_follow_the_rules_not_the_code(tmp_path):
    """A pack that rewards big meetings flips the other way: the engine decides, the levers only propose."""
    pack = tmp_path / "crowd.yaml"
    pack.write_text("- id: crowd\n  description: d\n  when: {attendees: {gte: 4}}\n  necessity: 30\n"
                    "  because: A crowd.\n  source: s\n")
    advisor = Advisor(rules=[pack])
    meeting = read_meeting(EXAMPLES / "coaching-1on1.yaml")
    decision = advisor.check(meeting, what_if=True)
    assert decision.verdict == "skip"
    change, = decision.what_if.changes
    assert change.steps == (Step("attendees", 2, 4),) and change.verdict == "hold"


def test_load_limits_come_from_the_pack(advisor):
    decision = advisor.check(EXAMPLES / "coaching-1on1.yaml")  # what-if off: the limits are the pack's
    assert decision.load_limits == {"load_hours": (15.0, 20.0), "load_meetings": (17.0,)}
    assert "load_limits" not in to_dict(decision)  # not part of docs/decision.md
    shown = render(advisor.check(EXAMPLES / "shortfall-huddle.yaml"), "text")
    load_line = next(line for line in shown.splitlines() if line.startswith("Load:"))
    assert "thresholds of 15 and 20" in load_line


def test_the_search_is_bounded(advisor):
    for name in EXAMPLE_NAMES:
        assert advisor.check(EXAMPLES / name, what_if=True).what_if.checked < 400


def test_fewer_people_come_from_the_largest_internal_group_and_nobody_is_dropped_entirely():
    meeting = read_meeting(EXAMPLES / "prospect-demo.yaml")  # a rep, an expert, three prospects
    lever = next(lever for lever in LEVERS if lever.kind == "attendees")
    fewer, more = lever.sequences(meeting)
    assert fewer == []  # the two internal people are one each, the prospects are the point
    assert more[-1].after == 10  # never more than twice the audience
    grown = lever.apply(meeting, more[2])
    assert [g.count for g in grown.audience] == [1, 1 + 3, 3]  # of equal groups, the later one
    status = read_meeting(EXAMPLES / "status-broadcast.yaml")
    fewer, _ = lever.sequences(status)
    assert [s.after for s in fewer][:3] == [20, 19, 18] and fewer[-1].after == 11  # never below half
    assert [g.count for g in lever.apply(status, fewer[-1]).audience] == [1, 10]


def test_the_bounds_of_a_realistic_change_are_settings(tmp_path):
    from advisor.core.bounds import Bounds
    from advisor.core.whatif import explore

    settings = tmp_path / "advisor.yaml"
    settings.write_text("what_if: {min_audience_share: 0.25, kept_roles: [customer, prospect, sales_manager], "
                        "max_length_minutes: 60, more_often: true}\n")
    advisor = Advisor(config=settings)
    assert advisor.what_if_bounds == Bounds(min_audience_share=0.25, kept_roles=("customer", "prospect",
                                                                                  "sales_manager"),
                                            max_length_minutes=60, more_often=True)
    status = read_meeting(EXAMPLES / "status-broadcast.yaml")  # a manager and 20 reps, weekly, 60 minutes
    levers = {lever.kind: lever for lever in LEVERS}
    fewer, more = levers["attendees"].sequences(status, advisor.what_if_bounds)
    assert fewer[-1].after == 6 and more[-1].after == 42
    assert levers["duration"].sequences(status, advisor.what_if_bounds)[1] == []  # 60 minutes is the longest
    assert [s.after for s in levers["recurrence"].sequences(status, advisor.what_if_bounds)[1]] == ["daily"]
    assert levers["recurrence"].sequences(status)[1] == []  # by default, never more often
    # from Python: the Advisor's bounds handed to the search, with a subset of the levers
    decision = advisor.check(status)
    found = explore(advisor.weigh, status, decision, levers=[levers["attendees"]], bounds=advisor.what_if_bounds)
    assert all(step.after >= 6 for change in found.changes for step in change.steps)


@pytest.mark.parametrize("step,lang,text", [
    (Step("duration", 120, 10), "en", "Shorten it to 10 minutes"),
    (Step("duration", 120, 10), "ar", "اختصره إلى 10 دقائق"),
    (Step("duration", 120, 30), "ar", "اختصره إلى 30 دقيقة"),
    (Step("duration", 30, 60), "en", "Lengthen it to 60 minutes"),
    (Step("attendees", 21, 9), "en", "Invite 12 fewer people (9 instead of 21)"),
    (Step("attendees", 21, 9), "ar", "قلّل عدد الحضور إلى 9 بدلًا من 21"),
    (Step("recurrence", "weekly", "none"), "en", "Hold it once instead of weekly"),
    (Step("recurrence", "weekly", "monthly"), "ar", "اعقده شهريًا لا أسبوعيًا"),
    (Step("decision", False, True), "en", "Give it a decision to make"),
    (Step("load", 22.0, 14.0), "ar", "انتظر حتى ينخفض عبء الاجتماعات على الحضور إلى 14 ساعة أسبوعيًا (حاليًا 22)"),
    (Step("load", 22.0, 2.0), "ar", "انتظر حتى ينخفض عبء الاجتماعات على الحضور إلى ساعتين أسبوعيًا (حاليًا 22)"),
    (Step("topic", 3.0, 7.0), "en", "Wait until 7 days have passed since the last meeting on this topic (now 3)"),
    (Step("topic", 3.0, 7.0), "ar", "انتظر حتى تمضي 7 أيام على آخر اجتماع في الموضوع نفسه (حاليًا 3)"),
])
def test_changes_are_worded_with_plural_forms(step, lang, text):
    assert describe_step(step, lang) == text


def test_a_recent_meeting_on_the_topic_can_be_waited_out(advisor):
    meeting = read_meeting(EXAMPLES / "shortfall-huddle.yaml")
    meeting = meeting._replace(agenda=("Where we are",), duration_minutes=45,
                               recent_load=meeting.recent_load._replace(meeting_hours=16, same_topic_days_ago=2))
    decision = advisor.check(meeting, what_if=True)
    assert decision.verdict == "skip"
    topic = [c for c in decision.what_if.changes if c.steps[0].kind == "topic"]
    assert topic and topic[0].steps[0].after == 7.0 and topic[0].verdict == "hold"


def _one_at_a_time(counts, people):
    counts = dict(counts)
    for _ in range(people):
        largest = max((i for i in counts if counts[i] > 1), key=lambda i: (counts[i], i), default=None)
        if largest is None:
            break
        counts[largest] -= 1
    return counts


@given(counts=st.lists(st.integers(1, 60), min_size=1, max_size=6), people=st.integers(0, 200))
def test_fewer_people_are_taken_as_if_one_at_a_time_from_the_largest_group(counts, people):
    groups = dict(enumerate(counts))
    assert _shrink(groups, people) == _one_at_a_time(groups, people)


def test_a_huge_audience_is_explored_within_the_budget(advisor):
    """46,888 people and 120 hours of load: bounded candidates, no loop per person."""
    decision = advisor.check({"title": "All hands", "purposes": "training", "duration_minutes": 74,
                              "audience": [{"role": "sales_manager", "count": 46888, "remote": True,
                                            "meeting_hours_last_7_days": 120.5}]}, what_if=True)
    assert decision.what_if.checked <= MAX_CHECKS
    change, = decision.what_if.changes
    assert change.verdict == "hold" and {s.kind for s in change.steps} >= {"load"}


def _every_proposal():
    """Every example, and every proposal of the default pack's case files."""
    from advisor.inputs.proposal import meeting_from_document
    from advisor.packs.casetests import load_cases

    meetings = [(path.name, read_meeting(path)) for path in sorted(EXAMPLES.glob("*.yaml"))]
    for case in load_cases(ROOT / "rules" / "tests"):
        if case.origin is not None:
            meetings.append((case.name, meeting_from_document(case.origin)))
    return meetings


EVERY_PROPOSAL = _every_proposal()


@pytest.mark.parametrize("name,meeting", EVERY_PROPOSAL, ids=[name for name, _ in EVERY_PROPOSAL])
def test_no_change_found_breaks_the_bounds_of_a_realistic_change(advisor, name, meeting):
    bounds = advisor.what_if_bounds
    decision = advisor.check(meeting, what_if=True)
    informs = set(meeting.purposes) <= set(bounds.informational_purposes) and not meeting.decision_required
    for change in decision.what_if.changes:
        changed = apply_steps(meeting, change.steps, bounds)
        people, now = sum(g.count for g in meeting.audience), sum(g.count for g in changed.audience)
        assert people * bounds.min_audience_share <= now <= people * bounds.max_audience_share, change
        for group, kept in zip(meeting.audience, changed.audience):
            assert kept.count >= 1, change  # nobody's group, the organizer's included, goes entirely
            if group.external or group.role in bounds.kept_roles:
                assert kept.count == group.count, change  # customers, prospects and guests stay
        longest = max(meeting.duration_minutes,
                      min(meeting.duration_minutes * bounds.max_length_share, bounds.max_length_minutes))
        assert changed.duration_minutes <= longest, change
        assert not (informs and changed.decision_required), change  # no decision invented
        assert FREQUENCY.index(changed.recurrence) <= FREQUENCY.index(meeting.recurrence), change  # never more often


@pytest.mark.parametrize("name,meeting", EVERY_PROPOSAL, ids=[name for name, _ in EVERY_PROPOSAL])
def test_the_search_changes_nothing_else_and_never_contradicts_the_alternative(advisor, name, meeting):
    searched = to_dict(advisor.check(meeting, what_if=True))
    plain = to_dict(advisor.check(meeting))
    assert {**searched, "what_if": None} == plain  # the alternative is chosen without the search
    if searched["alternative"] == "postpone":  # waiting is named only when waiting would do
        waits = [c for c in searched["what_if"] if [s["kind"] for s in c["steps"]] == ["load"]]
        assert waits and waits[0]["verdict"] == "hold", searched["what_if"]


def test_a_proposal_alone_and_in_a_batch_gets_the_same_json(cli, tmp_path):
    import json

    alone = json.loads(cli("check", "-f", "json", str(EXAMPLES / "overloaded-brainstorm.yaml"))[1])
    batch = json.loads(cli("check", "-f", "json", str(EXAMPLES / "overloaded-brainstorm.yaml"),
                           str(EXAMPLES / "shortfall-huddle.yaml"))[1])
    assert alone["what_if"] is not None and batch[0]["what_if"] is None  # the search runs for one file only
    assert {**alone, "what_if": None} == batch[0]
