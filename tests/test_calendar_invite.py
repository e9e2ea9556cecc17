"""An .ics invitation read as a proposal: what iCalendar says, and what the caller adds."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_calendar import attendee, calendar, event, organizer

from advisor.errors import InputError
from advisor.inputs.invite import InviteOptions, parse_invite, read_roles

BERLIN = ZoneInfo("Europe/Berlin")

INVITE_LINES = (
    "DTSTART;TZID=Europe/Berlin:20260302T100000", "DTEND;TZID=Europe/Berlin:20260302T110000",
    "RRULE:FREQ=WEEKLY;INTERVAL=2", "LOCATION:Room 4",
    "DESCRIPTION:Join: https://acme.zoom.us/j/123\\nAgenda:\\n- Where we stand\\n2. Which accounts to push",
    organizer("dana"), attendee("sam"), attendee("lee", "DECLINED"),
    "ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:buyer@acme.example",
    "ATTENDEE;CUTYPE=ROOM:mailto:room4@example.com",
)


def invite(*lines: str, summary: str = "Q2 strategy") -> bytes:
    return calendar(event("q2@test", summary, *lines)).encode()


def roles_file(tmp_path: Path, text: str = 'dana@example.com: sales_manager\n"@example.com": sales_rep\n') -> Path:
    path = tmp_path / "roles.yaml"
    path.write_text(text)
    return path


def test_an_invitation_becomes_a_proposal(tmp_path):
    options = InviteOptions(roles=read_roles(roles_file(tmp_path)))
    meeting = parse_invite(invite(*INVITE_LINES, "X-ADVISOR-PURPOSES:strategy,sales_shortfall"), "q2.ics", options)
    assert (meeting.title, meeting.purposes, meeting.duration_minutes, meeting.recurrence, meeting.decision_required) == (
        "Q2 strategy", ("strategy", "sales_shortfall"), 60, "biweekly", False)
    assert meeting.start == datetime(2026, 3, 2, 10, tzinfo=BERLIN)
    people = [(g.email, g.role, g.remote, g.external) for g in meeting.audience]
    # Lee declined and the room is no person; the zoom link makes everyone remote; the buyer's
    # domain is not the organizer's, so the buyer is external.
    assert people == [("dana@example.com", "sales_manager", True, False), ("sam@example.com", "sales_rep", True, False),
                      ("buyer@acme.example", "other", True, True)]
    assert meeting.agenda == ("Where we stand", "Which accounts to push")
    assert meeting.organizer.email == "dana@example.com" and meeting.source == "q2.ics"


def test_options_say_what_icalendar_cannot():
    options = InviteOptions.from_arguments(["coaching, training"], decision_required=True)
    meeting = parse_invite(invite(*INVITE_LINES, "X-ADVISOR-PURPOSES:strategy"), "q2.ics", options)
    assert (meeting.purposes, meeting.decision_required) == (("coaching", "training"), True)


def test_the_decision_property_is_read():
    meeting = parse_invite(invite(*INVITE_LINES, "X-ADVISOR-PURPOSES:strategy", "X-ADVISOR-DECISION:TRUE"), "q2.ics")
    assert meeting.decision_required is True


def test_missing_purposes_is_a_clear_error():
    with pytest.raises(InputError) as raised:
        parse_invite(invite(*INVITE_LINES), "q2.ics")
    assert str(raised.value).startswith("q2.ics: purposes: an invitation does not say what the meeting is for: "
                                        "expected --purpose WORD or an X-ADVISOR-PURPOSES property")


def test_an_unknown_purpose_names_the_nearest():
    with pytest.raises(InputError) as raised:
        parse_invite(invite(*INVITE_LINES), "q2.ics", InviteOptions(purposes=("stratgy",)))
    assert str(raised.value) == "q2.ics: purposes[0]: unknown purpose 'stratgy'; did you mean 'strategy'?"


@pytest.mark.parametrize("location,remote", [
    ("LOCATION:Room 4", False),
    ("LOCATION:https://meet.google.com/abc-defg-hij", True),
    ("X-ADVISOR-NONE:1", True),  # no location at all
])
def test_remote_when_there_is_a_conference_link_or_no_place(location, remote):
    meeting = parse_invite(invite("DTSTART:20260302T090000Z", "DURATION:PT45M", location, organizer("dana"),
                                  attendee("sam")), "x.ics", InviteOptions(purposes=("coaching",)))
    assert [g.remote for g in meeting.audience] == [remote, remote] and meeting.duration_minutes == 45


@pytest.mark.parametrize("rule,recurrence", [
    ("FREQ=DAILY", "daily"),
    ("FREQ=WEEKLY;BYDAY=MO,WE,FR", "daily"),
    ("FREQ=WEEKLY", "weekly"),
    ("FREQ=WEEKLY;BYDAY=TU,TH", "weekly"),
    ("FREQ=WEEKLY;INTERVAL=2", "biweekly"),
    ("FREQ=MONTHLY;BYDAY=1MO", "monthly"),
    ("FREQ=MONTHLY;INTERVAL=3", "monthly"),
    ("FREQ=YEARLY", "none"),
])
def test_recurrence_is_the_nearest_word(rule, recurrence):
    meeting = parse_invite(invite("DTSTART:20260302T090000Z", "DTEND:20260302T100000Z", f"RRULE:{rule}",
                                  organizer("dana"), attendee("sam")), "x.ics", InviteOptions(purposes=("coaching",)))
    assert meeting.recurrence == recurrence


@pytest.mark.parametrize("lines,message", [
    (("DTSTART;VALUE=DATE:20260302", organizer("dana")),
     "x.ics: VEVENT[q2@test].DTSTART: expected a start date and time, found a whole day (an all-day event is not a meeting)"),
    (("DTSTART:20260302T090000Z", organizer("dana")), "x.ics: VEVENT[q2@test].DTEND: expected DTEND or DURATION, found neither"),
    (("DTSTART:20260302T090000Z", "DURATION:PT1H", "STATUS:CANCELLED", organizer("dana")),
     "x.ics: VEVENT[q2@test].STATUS: the event is cancelled: expected an event to take place"),
    (("DTSTART:20260302T090000Z", "DURATION:PT10H", organizer("dana")),
     "x.ics: duration_minutes: expected an integer from 5 to 480, found 600"),
])
def test_what_is_no_meeting_is_refused(lines, message):
    with pytest.raises(InputError) as raised:
        parse_invite(invite(*lines), "x.ics", InviteOptions(purposes=("coaching",)))
    assert str(raised.value) == message


def test_a_calendar_of_several_events_is_no_invitation():
    text = calendar(event("a@test", "A", "DTSTART:20260302T090000Z", "DURATION:PT1H"),
                    event("b@test", "B", "DTSTART:20260303T090000Z", "DURATION:PT1H")).encode()
    with pytest.raises(InputError) as raised:
        parse_invite(text, "x.ics", InviteOptions(purposes=("coaching",)))
    assert str(raised.value).startswith("x.ics: expected one event (an invitation), found 2: a@test, b@test")


def test_a_series_with_its_exceptions_is_one_invitation():
    text = calendar(event("s@test", "Series", "DTSTART:20260302T090000Z", "DURATION:PT1H", "RRULE:FREQ=WEEKLY",
                          organizer("dana"), attendee("sam")),
                    event("s@test", "Series (moved)", "RECURRENCE-ID:20260309T090000Z", "DTSTART:20260310T090000Z",
                          "DURATION:PT1H", organizer("dana"), attendee("sam"))).encode()
    meeting = parse_invite(text, "x.ics", InviteOptions(purposes=("coaching",)))
    assert (meeting.title, meeting.recurrence) == ("Series", "weekly")


@pytest.mark.parametrize("text,message", [
    ("sam@example.com: sales_rp\n", "roles.yaml:1:18: sam@example.com: unknown role 'sales_rp'; did you mean 'sales_rep'?"),
    ("sam: sales_rep\n", "roles.yaml:1:1: sam: expected an email address or an @domain, found 'sam'"),
    ("sam@example.com: {role: sales_rep, remot: true}\n",
     "roles.yaml:1:36: sam@example.com.remot: unknown field 'remot'; did you mean 'remote'?"),
    ("sam@example.com: {remote: true}\n", "roles.yaml:1:18: sam@example.com: missing required field 'role'"),
])
def test_a_bad_roles_file_is_refused_with_positions(tmp_path, text, message):
    path = roles_file(tmp_path, text)
    with pytest.raises(InputError) as raised:
        read_roles(path)
    assert str(raised.value) == message.replace("roles.yaml", str(path))


def test_a_roles_entry_can_say_more_than_the_role(tmp_path):
    path = roles_file(tmp_path, "sam@example.com: {role: sales_rep, remote: false, hourly_cost: 70}\n"
                                "'@acme.example': prospect\n")
    meeting = parse_invite(invite(*INVITE_LINES), "q2.ics",
                           InviteOptions(purposes=("sales_pitch",), roles=read_roles(path)))
    groups = {g.email: g for g in meeting.audience}
    assert (groups["sam@example.com"].remote, groups["sam@example.com"].hourly_cost) == (False, 70)
    assert (groups["buyer@acme.example"].role, groups["buyer@acme.example"].external) == ("prospect", True)
    assert groups["dana@example.com"].role == "other"
