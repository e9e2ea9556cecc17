"""`advisor load`, and `advisor check` with --calendar and .ics invitations, through the CLI."""
from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from conftest import write_yaml
from test_calendar import DANA, TEAM, attendee, calendar, event, organizer

AT = "2026-03-02T10:00[Europe/Berlin]"

# Mondays to Fridays 09:00-12:30 Berlin for the four of them. In the window
# [Mon 23 Feb 10:00, Mon 2 Mar 10:00): Mon 23 starts before it; Tue 24 to Fri 27 and Mon 2 at
# 09:00 are in: 5 meetings x 3.5 h = 17.5 h each, past the 15 hours a week the rules call heavy.
HEAVY = calendar(event(
    "standup@test", "Deal desk", "DTSTART;TZID=Europe/Berlin:20260202T090000",
    "DTEND;TZID=Europe/Berlin:20260202T123000", "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
    organizer("dana"), attendee("sam"), attendee("lee"), attendee("kim")))

AUDIENCE = [{"role": "sales_manager", "name": "Dana Reyes", "email": "dana@example.com"},
            {"role": "sales_rep", "email": "sam@example.com", "remote": True},
            {"role": "sales_rep", "email": "lee@example.com", "remote": True},
            {"role": "sales_rep", "email": "kim@example.com", "remote": True}]


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "team.ics").write_bytes(TEAM.encode())
    (folder / "dana.ics").write_bytes(DANA.encode())
    return folder


def proposal_file(tmp_path: Path, hours: float) -> Path:
    """A one-off strategy meeting with an agenda and nothing to decide: a borderline hold."""
    return write_yaml(tmp_path / "plan.yaml", {
        "title": "Q2 plan", "purposes": ["strategy"], "duration_minutes": 60, "agenda": ["Targets", "Accounts"],
        "start": AT, "audience": AUDIENCE, "recent_load": {"meeting_hours": hours, "meetings": 5}})


def test_load_prints_a_table_with_a_chart(cli, exports):
    code, out, err = cli("load", str(exports / "team.ics"), str(exports / "dana.ics"), "--at", AT)
    assert (code, err) == (0, "")
    assert out == f"""\
Meeting load over 7 days, Mon 23 Feb 2026 10:00 to Mon 02 Mar 2026 10:00 (UTC+0100), from {exports / 'team.ics'}, {exports / 'dana.ics'}

person                         meetings   hours
Dana Reyes <dana@example.com>         6    5.25   ██████████████████████████████
Sam Ortiz <sam@example.com>           5    5.00   ████████████████████████████▋
Lee Park <lee@example.com>            4    4.75   ███████████████████████████▏
Kim Novak <kim@example.com>           2    1.50   ████████▋
buyer@acme.example                    1    1.00   █████▊
average of 5 people                3.60    3.50
"""


def test_load_by_day_adds_up_each_day(cli, exports):
    code, out, _ = cli("load", str(exports), "--at", AT, "--by", "day", "--format", "json")
    days = {d["day"]: (d["meetings"], d["meeting_hours"], d["attendee_hours"]) for d in json.loads(out)["per_day"]}
    # Mon: kickoff 0.5 h x 2; Tue: pipeline 1 h x 3; Wed: forecast 0.75 h x 2 (Kim declined);
    # Thu: India 1.25 h x 2 and the customer call 1 h x 2; Fri: moved pipeline 1.5 h x 3 and the
    # 1:1 0.5 h x 2; Mon 2: Tokyo 1 h x 2.
    assert days == {"2026-02-23": (1, 0.5, 1.0), "2026-02-24": (1, 1.0, 3.0), "2026-02-25": (1, 0.75, 1.5),
                    "2026-02-26": (2, 2.25, 4.5), "2026-02-27": (2, 2.0, 5.5), "2026-02-28": (0, 0.0, 0.0),
                    "2026-03-01": (0, 0.0, 0.0), "2026-03-02": (1, 1.0, 2.0)}
    assert code == 0


def test_load_as_csv_and_for_chosen_people(cli, exports):
    code, out, _ = cli("load", str(exports), "--at", AT, "--window", "14", "--format", "csv",
                       "--person", "@example.com", "--person", "new@example.com")
    rows = {r["email"]: (int(r["meetings"]), float(r["meeting_hours"]), float(r["hours_per_7_days"]))
            for r in csv.DictReader(io.StringIO(out))}
    # 14 days add the series' Feb 16 to 19 for Dana, Sam and Lee (4 x 1 h), and the early call
    # (Kim and Sam, 1 h); the buyer is at another domain, the new colleague has no meetings.
    assert rows == {"dana@example.com": (10, 9.25, 4.62), "sam@example.com": (10, 10.0, 5.0),
                    "lee@example.com": (8, 8.75, 4.38), "kim@example.com": (3, 2.5, 1.25),
                    "new@example.com": (0, 0.0, 0.0)}
    assert code == 0


def test_load_shows_calendar_text_as_data(cli, tmp_path):
    # A name that drives a terminal (a C1 escape: iCalendar refuses C0 ones) and reorders its
    # line, and one a spreadsheet would run.
    text = calendar(event("x@test", "Review", "DTSTART:20260227T100000Z", "DTEND:20260227T110000Z",
                          'ORGANIZER;CN="\x9b2J\u202eDana":mailto:dana@example.com',
                          "ATTENDEE;CN=@SUM(1+1):mailto:sam@example.com"))
    path = tmp_path / "hostile.ics"
    path.write_text(text)
    code, out, err = cli("load", str(path), "--at", AT)
    assert (code, err) == (0, "")
    assert "\\x9b2J\\u202eDana <dana@example.com>" in out and "\x9b" not in out and "\u202e" not in out
    code, out, err = cli("load", str(path), "--at", AT, "--format", "csv")
    assert (code, err) == (0, "")
    assert [row["name"] for row in csv.DictReader(io.StringIO(out))] == ["\x9b2J\u202eDana", "'@SUM(1+1)"]


def test_load_json_has_the_average(cli, exports):
    _, out, _ = cli("load", str(exports), "--at", AT, "--format", "json", "--person", "@example.com")
    # (5.25 + 5 + 4.75 + 1.5) / 4 and (6 + 5 + 4 + 2) / 4
    assert json.loads(out)["average"] == {"people": 4, "meeting_hours": 4.12, "meetings": 4.25}


def test_load_refuses_a_bad_calendar_in_one_line(cli, tmp_path):
    bad = tmp_path / "bad.ics"
    bad.write_bytes(calendar(event("x@test", "X", "DTSTART;TZID=Mars/Olympus:20260224T100000")).encode())
    code, out, err = cli("load", str(bad))
    assert (code, out) == (2, "")
    assert err == (f"{bad}:8:1: VEVENT[x@test].DTSTART: unknown time zone 'Mars/Olympus': expected an IANA or "
                   "Windows name, or a VTIMEZONE in the file\n")


def test_load_refuses_a_bad_moment_and_a_missing_file(cli, tmp_path, exports):
    assert cli("load", str(exports), "--at", "next monday") == (
        2, "", "--at: expected a date and time such as 2026-03-02T10:00+01:00 or 2026-03-02T10:00[Europe/Berlin], "
               "found 'next monday'\n")
    assert cli("load", str(tmp_path / "nope.ics")) == (
        2, "", f"{tmp_path / 'nope.ics'}: cannot read the calendar: No such file or directory\n")
    assert cli("load", str(exports), "--at", "0001-01-02T00:00Z") == (
        2, "", "--at: expected a date from the year 1900 to 2200, found 0001-01-02T00:00:00+00:00\n")


def test_check_refuses_a_proposal_start_outside_the_calendar_years(cli, tmp_path, exports):
    proposal = tmp_path / "m.yaml"
    proposal.write_text("title: x\npurposes: coaching\nduration_minutes: 30\nstart: 0001-01-02T00:00Z\n"
                        "audience: [{role: sales_rep, email: dana@example.com}]\n")
    assert cli("check", str(proposal), "--calendar", str(exports)) == (
        2, "", f"{proposal}: start: expected a date from the year 1900 to 2200, found 0001-01-02T00:00:00+00:00\n")


def check_json(cli, *args: str):
    code, out, err = cli("check", "--format", "json", "--no-what-if", *args)
    assert err == ""
    return code, json.loads(out)


def test_a_heavy_calendar_turns_a_borderline_hold_into_a_skip(cli, tmp_path):
    plan = proposal_file(tmp_path, hours=9)
    heavy = tmp_path / "heavy.ics"
    heavy.write_bytes(HEAVY.encode())
    code, typed = check_json(cli, str(plan))
    assert (code, typed["verdict"]) == (0, "hold") and "load" not in typed
    code, computed = check_json(cli, str(plan), "--calendar", str(heavy))
    assert (code, computed["verdict"]) == (1, "skip")
    assert "heavy-meeting-load" in [f["rule"] for f in computed["fired"]]
    assert computed["facts"]["load_hours"] == 17.5 and computed["facts"]["load_meetings"] == 5
    load = computed["load"]
    assert (load["meeting_hours"], load["meetings"], load["window_days"]) == (17.5, 5, 7)
    assert load["source"] == f"calendar: {heavy} (4 of 4 attendees with an email found)"
    assert load["replaced"] == {"meeting_hours": 9, "meetings": 5}
    assert load["window"] == {"start": "2026-02-23T10:00:00+01:00", "end": "2026-03-02T10:00:00+01:00"}
    assert [(p["email"], p["meeting_hours"], p["meetings"]) for p in load["per_person"]] == [
        (a["email"], 17.5, 5) for a in AUDIENCE]
    # The same as typing the true figures by hand.
    _, typed_true = check_json(cli, str(proposal_file(tmp_path, hours=17.5)))
    assert (typed_true["verdict"], typed_true["score"]) == (computed["verdict"], computed["score"])


def test_a_light_calendar_turns_a_typed_heavy_skip_into_a_hold(cli, tmp_path, exports):
    plan = proposal_file(tmp_path, hours=17.5)
    code, typed = check_json(cli, str(plan))
    assert (code, typed["verdict"]) == (1, "skip")
    code, computed = check_json(cli, str(plan), "--calendar", str(exports))
    # (5.25 + 5 + 4.75 + 1.5) / 4 = 4.125 hours a week: no heavy load
    assert (code, computed["verdict"], computed["load"]["meeting_hours"]) == (0, "hold", 4.12)
    assert computed["facts"]["load_hours"] == 4.12
    assert "heavy-meeting-load" not in [f["rule"] for f in computed["fired"]]


def test_check_with_a_bad_calendar_stops_before_any_proposal(cli, tmp_path):
    bad = tmp_path / "bad.ics"
    bad.write_bytes(b"hello\r\n")
    code, out, err = cli("check", str(proposal_file(tmp_path, 9)), "--calendar", str(bad))
    assert (code, out) == (2, "")
    assert err == f"{bad}:1:1: not an iCalendar file: Content line could not be parsed into parts: 'hello'\n"


INVITE = calendar(event(
    "q2@test", "Q2 plan", "DTSTART;TZID=Europe/Berlin:20260302T100000", "DTEND;TZID=Europe/Berlin:20260302T110000",
    "DESCRIPTION:- Targets\\n- Accounts", organizer("dana"), attendee("sam"), attendee("lee"), attendee("kim")))


def test_check_an_invitation_with_purposes_roles_and_a_calendar(cli, tmp_path):
    invite = tmp_path / "invite.ics"
    invite.write_bytes(INVITE.encode())
    roles = tmp_path / "roles.yaml"
    roles.write_text("dana@example.com: sales_manager\n'@example.com': sales_rep\n")
    heavy = tmp_path / "heavy.ics"
    heavy.write_bytes(HEAVY.encode())
    base = (str(invite), "--purpose", "strategy", "--no-decision", "--roles", str(roles))
    code, light = check_json(cli, *base)
    assert (code, light["meeting"], light["facts"]["roles"], light["facts"]["remote_attendees"]) == (
        0, "Q2 plan", ["sales_manager", "sales_rep"], 4)
    assert light["facts"]["load_hours"] is None
    code, loaded = check_json(cli, *base, "--calendar", str(heavy))
    assert (code, loaded["verdict"], loaded["load"]["meeting_hours"]) == (1, "skip", 17.5)
    assert loaded["load"]["window"]["end"] == "2026-03-02T10:00:00+01:00"  # the invitation's own start


def test_an_invitation_without_purposes_is_refused(cli, tmp_path):
    invite = tmp_path / "invite.ics"
    invite.write_bytes(INVITE.encode())
    code, out, err = cli("check", str(invite))
    assert (code, out) == (2, "")
    assert err.startswith(f"{invite}: purposes: an invitation does not say what the meeting is for: expected "
                          "--purpose WORD or an X-ADVISOR-PURPOSES property")


def test_an_invitation_on_standard_input(cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(INVITE.encode())))
    code, out, err = cli("check", "-", "--purpose", "coaching", "--format", "json", "--no-what-if")
    assert (err, json.loads(out)["source"], json.loads(out)["facts"]["attendees"]) == ("", "<stdin>", 4)
