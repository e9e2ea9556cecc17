"""`advisor check invite.ics --annotate out.ics`: the verdict written back into the invitation,
read back with icalendar."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Tuple

import icalendar
import pytest
from test_calendar import attendee, calendar, event, organizer

from advisor.api import Advisor
from advisor.inputs.annotation import BEGIN, END, with_note, without_note
from advisor.inputs.invite import InviteOptions, parse_invite
from advisor.report.render import render_note

DESCRIPTION = "Where the quarter stands.\\n- Targets by region\\n- Accounts to push\\nJoin: Room 4"
INVITE = calendar(event(
    "q2-plan@test", "Q2 plan", "SEQUENCE:3", "DTSTART;TZID=Europe/Berlin:20260302T100000",
    "DTEND;TZID=Europe/Berlin:20260302T110000", "RRULE:FREQ=WEEKLY", "LOCATION:Room 4",
    "X-ADVISOR-PURPOSES:strategy,sales_shortfall", f"DESCRIPTION:{DESCRIPTION}",
    organizer("dana"), attendee("sam"), attendee("lee"), attendee("kim")))
ORIGINAL_DESCRIPTION = DESCRIPTION.replace("\\n", "\n")


@pytest.fixture
def invite(tmp_path: Path) -> Path:
    path = tmp_path / "invite.ics"
    path.write_bytes(INVITE.encode())
    return path


def the_event(path: Path) -> Any:
    (one,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    return one


def decided(cli, *args: str) -> Tuple[int, Dict[str, Any], str]:
    code, out, err = cli("check", "--format", "json", "--no-what-if", *args)
    return code, json.loads(out) if out else {}, err


def test_the_annotated_invitation_carries_the_verdict_and_keeps_the_rest(cli, invite, tmp_path):
    out, log = tmp_path / "out.ics", tmp_path / "decisions.jsonl"
    before = datetime.now(timezone.utc).replace(microsecond=0)
    code, decision, err = decided(cli, str(invite), "--annotate", str(out), "--decision-log", str(log))
    assert (code, err) == (0 if decision["verdict"] == "hold" else 1, "")
    original, annotated = the_event(invite), the_event(out)
    assert (str(annotated["UID"]), annotated["SEQUENCE"]) == ("q2-plan@test", 3)
    assert before <= annotated["DTSTAMP"].dt <= datetime.now(timezone.utc)
    assert annotated["DTSTAMP"].dt > original["DTSTAMP"].dt
    (record,) = [json.loads(line) for line in log.read_text().splitlines()]
    assert uuid.UUID(record["decision_id"]).version == 7
    assert (str(annotated["X-ADVISOR-VERDICT"]), str(annotated["X-ADVISOR-SCORE"]), str(annotated["X-ADVISOR-FORMAT"]),
            str(annotated["X-ADVISOR-DECISION-ID"])) == (
        decision["verdict"].upper(), str(decision["score"]), decision["format"], record["decision_id"])
    description = str(annotated["DESCRIPTION"])
    meeting = parse_invite(invite.read_bytes(), "invite.ics")
    note = render_note(Advisor().check(meeting))
    assert description == f"{BEGIN}\n{note}\n{END}\n\n{ORIGINAL_DESCRIPTION}"
    closeness = "borderline" if abs(decision["margin"]) < 10 else "clear"  # docs/decision.md: margin
    assert note.splitlines()[0] == (f"{decision['verdict'].upper()}  (a {closeness} {decision['verdict']}: "
                                    f"{decision['score']}, threshold 50)")
    assert note.splitlines()[2].startswith("Cost: 4 staff hours")  # after the verdict and the headline
    for name in ("SUMMARY", "DTSTART", "DTEND", "RRULE", "LOCATION", "ORGANIZER", "X-ADVISOR-PURPOSES"):
        assert annotated[name].to_ical() == original[name].to_ical()
    assert [a.to_ical() for a in annotated["ATTENDEE"]] == [a.to_ical() for a in original["ATTENDEE"]]


def test_an_annotated_invitation_is_decided_as_before(cli, invite, tmp_path):
    out = tmp_path / "out.ics"
    cli("check", str(invite), "--annotate", str(out))
    _, first, _ = decided(cli, str(invite))
    _, again, _ = decided(cli, str(out))
    assert {**again, "source": None} == {**first, "source": None}
    assert parse_invite(out.read_bytes(), "out.ics").agenda == ("Targets by region", "Accounts to push")
    assert parse_invite(out.read_bytes(), "x").description == parse_invite(invite.read_bytes(), "x").description


def test_annotating_twice_replaces_the_note(cli, invite, tmp_path):
    once, twice = tmp_path / "once.ics", tmp_path / "twice.ics"
    cli("check", str(invite), "--annotate", str(once), "--threshold", "90")
    cli("check", str(once), "--annotate", str(twice), "--lang", "ar")
    description = str(the_event(twice)["DESCRIPTION"])
    assert description.count(BEGIN) == description.count(END) == 1
    assert description.endswith(f"{END}\n\n{ORIGINAL_DESCRIPTION}")
    assert "الدرجة" in description and "score" not in description  # the second note, in Arabic
    assert str(the_event(twice)["X-ADVISOR-VERDICT"]) == "HOLD"  # the first was a skip at threshold 90
    assert str(the_event(once)["X-ADVISOR-VERDICT"]) == "SKIP"
    cli("check", str(twice), "--annotate", str(twice))  # in place
    assert str(the_event(twice)["DESCRIPTION"]).count(BEGIN) == 1


def test_an_invitation_without_a_description_gets_the_note_alone(cli, tmp_path):
    path = tmp_path / "bare.ics"
    path.write_text(INVITE.replace(f"DESCRIPTION:{DESCRIPTION}\r\n", ""))
    cli("check", str(path), "--annotate", str(path))
    description = str(the_event(path)["DESCRIPTION"])
    assert description.startswith(BEGIN + "\n") and description.endswith("\n" + END)


def test_nothing_is_written_when_the_invitation_cannot_be_decided(cli, tmp_path):
    path, out = tmp_path / "no-purpose.ics", tmp_path / "out.ics"
    path.write_text(INVITE.replace("X-ADVISOR-PURPOSES:strategy,sales_shortfall\r\n", ""))
    out.write_text("kept")
    code, _, err = cli("check", str(path), "--annotate", str(out))
    assert code == 2 and "purposes: an invitation does not say what the meeting is for" in err
    assert out.read_text() == "kept" and sorted(p.name for p in tmp_path.iterdir()) == ["no-purpose.ics", "out.ics"]


def test_annotate_takes_one_invitation(cli, invite, tmp_path):
    code, out, err = cli("check", str(invite), str(invite), "--annotate", str(tmp_path / "out.ics"))
    assert code == 2 and "--annotate writes back one invitation: give one .ics file" in err


def test_a_proposal_that_is_not_an_invitation_is_not_annotated(cli, tmp_path):
    path = tmp_path / "meeting.yaml"
    path.write_text("title: T\n")
    code, out, err = cli("check", str(path), "--annotate", str(tmp_path / "out.ics"))
    assert (code, out, err) == (2, "", f"{path}: --annotate writes back an .ics invitation (BEGIN:VCALENDAR), "
                                       "and this is not one\n")
    assert not (tmp_path / "out.ics").exists()


@pytest.mark.parametrize("text,expected", [
    (f"{BEGIN}\nHOLD\n{END}\n\nAgenda:\n- One", "Agenda:\n- One"),
    (f"{BEGIN}\r\nHOLD\r\n{END}\r\n\r\n- One", "- One"),  # a client that wrote CRLF
    (f"Intro\n{BEGIN}\nSKIP\n{END}\n- One", "Intro\n- One"),  # moved down by someone's edit
    (f"{BEGIN}\nA\n{END}\n{BEGIN}\nB\n{END}\nText", "Text"),
    (f"{BEGIN}\nno end: the organizer's text is kept\n- One", f"{BEGIN}\nno end: the organizer's text is kept\n- One"),
    ("Say [advisor] in a sentence\n- One", "Say [advisor] in a sentence\n- One"),
])
def test_the_note_is_found_wherever_it_stands(text, expected):
    assert without_note(text) == expected
    assert without_note(with_note(text, "NEW")) == expected.strip("\r\n")


def test_readers_ignore_the_note(tmp_path):
    lines = ("DTSTART:20260302T090000Z", "DURATION:PT30M", "LOCATION:Room 4", organizer("dana"), attendee("sam"))
    note = "HOLD\n- Not an agenda item\nhttps://acme.zoom.us/j/1"
    text = with_note("- Real item", note).replace("\n", "\\n")
    meeting = parse_invite(calendar(event("n@test", "T", *lines, f"DESCRIPTION:{text}")).encode(), "n.ics",
                           InviteOptions(purposes=("coaching",)))
    assert meeting.agenda == ("Real item",) and meeting.description == "- Real item"
    assert [g.remote for g in meeting.audience] == [False, False]  # the link in the note is no conference link


def test_the_stamp_is_fresh(cli, invite, tmp_path):
    out = tmp_path / "out.ics"
    cli("check", str(invite), "--annotate", str(out))
    assert datetime.now(timezone.utc) - the_event(out)["DTSTAMP"].dt < timedelta(minutes=1)
