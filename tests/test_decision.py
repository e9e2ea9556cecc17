"""What a decision adds up besides the verdict: medium, trade-offs, alternative, margin, cost, assumptions.

Small packs written here isolate each piece; the engine decides which of their rules fire.
"""
from __future__ import annotations

from pathlib import Path

from conftest import EXAMPLES, proposal

from advisor.api import Advisor
from advisor.report.json_format import to_dict

RULE = "- id: {id}\n  description: d\n  when: {when}\n{effects}  because: {because}\n  source: s\n"


def _pack(tmp_path: Path, *rules: str) -> Advisor:
    path = tmp_path / "pack.yaml"
    path.write_text("".join(rules), encoding="utf-8")
    return Advisor(rules=[path])


def _rule(rule_id: str, when: str, effects: str = "", because: str = "Because.") -> str:
    return RULE.format(id=rule_id, when=when, effects=effects, because=because)


def test_the_medium_is_the_best_of_those_the_format_allows(tmp_path):
    advisor = _pack(tmp_path, _rule("room", "{attendees: {gt: 2}}", "  formats: {formal: 10}\n  media: {video: 50, "
                                                                   "hybrid: 5}\n"))
    decision = advisor.check(proposal())
    assert (decision.format, decision.medium) == ("formal", "hybrid")  # video has more points, but not in a room
    assert dict(decision.medium_scores) == {"phone": 0, "video": 50, "hybrid": 5, "in_person": 0}
    assert to_dict(decision)["medium"] == "hybrid"


def test_a_tie_between_media_goes_to_the_lighter(tmp_path):
    advisor = _pack(tmp_path, _rule("two", "{attendees: 2}", "  formats: {one_on_one: 10}\n"))
    decision = advisor.check(proposal(audience=[{"role": "sales_manager"}, {"role": "sales_rep"}]))
    assert (decision.format, decision.medium) == ("one_on_one", "phone")


def test_an_overruled_reason_is_given_as_its_trade_off(tmp_path):
    advisor = _pack(
        tmp_path,
        _rule("persuade", "{attendees: {gt: 0}}", "  formats: {formal: 20}\n  trade_off:\n    en: In person would "
              "persuade more; {{ attendees }} people must make do.\n    ar: الحضور أكثر إقناعًا.\n",
              because="In person persuades more."),
        _rule("far", "{remote_attendees: {gt: 0}}", "  formats: {call: 30}\n", because="They are far."))
    in_room = advisor.check(proposal())
    assert in_room.format == "formal"
    assert [(f.reason, f.trade_off) for f in in_room.fired] == [("In person persuades more.", False)]
    away = advisor.check(proposal(audience=[{"role": "sales_manager", "remote": True}, {"role": "sales_rep"}]))
    assert away.format == "call"
    assert [(f.reason, f.trade_off) for f in away.fired] == [
        ("In person would persuade more; 2 people must make do.", True), ("They are far.", False)]
    assert to_dict(away, "ar")["fired"][0]["reason"] == "الحضور أكثر إقناعًا."


def test_a_rule_without_a_trade_off_keeps_its_reason(tmp_path):
    advisor = _pack(tmp_path, _rule("persuade", "{attendees: {gt: 0}}", "  formats: {formal: 20}\n",
                                    because="In person persuades more."),
                    _rule("far", "{attendees: {gt: 0}}", "  formats: {call: 30}\n", because="They are far."))
    decision = advisor.check(proposal())
    assert decision.format == "call" and decision.fired[0].reason == "In person persuades more."


WAIT = _rule("busy", "{load_hours: {gte: 15}}", "  necessity: -20\n  alternative: postpone\n")
SMALL = _rule("small", "{attendees: {lte: 4}}", "  necessity: 15\n")
BARE = _rule("bare", "{has_agenda: false}", "  necessity: -10\n  alternative: shared_document\n")


def test_waiting_is_the_alternative_only_when_it_would_be_enough(tmp_path):
    advisor = _pack(tmp_path, WAIT, SMALL, BARE)
    busy = proposal(recent_load={"meeting_hours": 16})
    enough = advisor.check(busy)  # 40 + 15 - 20 = 35; without the load, 55: waiting is enough
    assert (enough.verdict, enough.alternative) == ("skip", "postpone")
    not_enough = advisor.check({**busy, "agenda": []})  # 25; without the load 45: still a skip
    assert (not_enough.verdict, not_enough.alternative) == ("skip", "shared_document")


def test_the_margin_is_how_far_the_score_ends_from_the_threshold(advisor):
    held = advisor.check(EXAMPLES / "pipeline-review.yaml")
    skipped = advisor.check(EXAMPLES / "shortfall-huddle.yaml")
    assert (held.margin, skipped.margin) == (held.score - 50, -5)
    assert to_dict(skipped)["margin"] == -5


def test_only_staff_hours_are_priced(advisor):
    cost = to_dict(advisor.check(EXAMPLES / "customer-webinar.yaml"))["cost"]  # a rep, an expert, 25 customers
    assert (cost["staff_hours"], cost["guest_hours"], cost["attendee_hours"]) == (1.5, 18.75, 20.25)
    assert cost["amount"] == 0.75 * (50 + 95)


def test_what_the_proposal_leaves_unsaid_is_stated(advisor):
    said = advisor.check(proposal(setting={"location": "Room 4", "reliable_internet": True},
                                  audience=[{"role": "sales_manager"}, {"role": "sales_rep", "count": 3,
                                                                        "remote": True}],
                                  recent_load={"meeting_hours": 8}))
    assert said.assumptions == () and to_dict(said)["assumptions"] == []
    unsaid = advisor.check(proposal(audience=[{"role": "sales_manager"}, {"role": "sales_rep", "count": 2},
                                              {"role": "sales_rep", "remote": True,
                                               "meeting_hours_last_7_days": 12}]))
    assert unsaid.assumptions == ("one_room", "reliable_connection", "load_partial")
    assert to_dict(unsaid)["assumptions"] == [
        "The attendees not marked remote are taken to share one room: the proposal names no place.",
        "The remote attendee is taken to have a device and a reliable connection: the proposal does not say.",
        "The meeting load is the average of the attendees whose figure is given; the others' is not known."]
    assert advisor.check(proposal()).assumptions == ("one_room", "load_unknown")
