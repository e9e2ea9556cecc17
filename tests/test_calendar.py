"""Meeting load from .ics exports: expansion, exclusions, time zones, de-duplication, bounds.

The calendars are written here; every expected figure is added up by hand in the comments.
The window is the 7 days before Mon 2026-03-02 10:00 Berlin (09:00 UTC):
[Mon 2026-02-23 10:00, Mon 2026-03-02 10:00) Berlin, start inclusive, end exclusive.
"""
from __future__ import annotations

import builtins
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import List, Sequence
from zoneinfo import ZoneInfo

import pytest

from advisor.errors import InputError
from advisor.inputs.calendar import MAX_PER_DAY, read_calendars

BERLIN = ZoneInfo("Europe/Berlin")
END = datetime(2026, 3, 2, 10, 0, tzinfo=BERLIN)
NAMES = {"dana": "Dana Reyes", "sam": "Sam Ortiz", "lee": "Lee Park", "kim": "Kim Novak"}


def organizer(key: str) -> str:
    return f"ORGANIZER;CN={NAMES[key]}:mailto:{key}@example.com"


def attendee(key: str, reply: str = "ACCEPTED") -> str:
    return f"ATTENDEE;CN={NAMES[key]};PARTSTAT={reply}:mailto:{key}@example.com"


def event(uid: str, summary: str, *lines: str) -> List[str]:
    return ["BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260201T000000Z", f"SUMMARY:{summary}", *lines, "END:VEVENT"]


def calendar(*events: Sequence[str], header: Sequence[str] = ()) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//advisor tests//EN", *header]
    for one in events:
        lines.extend(one)
    return "\r\n".join(lines + ["END:VCALENDAR"]) + "\r\n"


PIPELINE_PEOPLE = (organizer("dana"), attendee("sam"), attendee("lee"),
                   "ATTENDEE;CUTYPE=ROOM;CN=Room 1:mailto:room1@example.com")
# Mondays to Thursdays 14:00-15:00 Berlin. In the window: Mon 23 cancelled, Tue 24 held (1 h),
# Wed 25 excluded by EXDATE, Thu 26 moved to Fri 27 15:00-16:30 (1.5 h). Mon 2 Mar is after.
PIPELINE = event(
    "pipeline@test", "Pipeline review",
    "DTSTART;TZID=Europe/Berlin:20260202T140000", "DTEND;TZID=Europe/Berlin:20260202T150000",
    "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH", "EXDATE;TZID=Europe/Berlin:20260225T140000", *PIPELINE_PEOPLE)
PIPELINE_CANCELLED = event(
    "pipeline@test", "Pipeline review", "RECURRENCE-ID;TZID=Europe/Berlin:20260223T140000",
    "DTSTART;TZID=Europe/Berlin:20260223T140000", "DTEND;TZID=Europe/Berlin:20260223T150000",
    "STATUS:CANCELLED", "SEQUENCE:1", *PIPELINE_PEOPLE)
PIPELINE_MOVED = event(
    "pipeline@test", "Pipeline review (moved)", "RECURRENCE-ID;TZID=Europe/Berlin:20260226T140000",
    "DTSTART;TZID=Europe/Berlin:20260227T150000", "DTEND;TZID=Europe/Berlin:20260227T163000",
    "SEQUENCE:1", *PIPELINE_PEOPLE)


def forecast(dana_reply: str) -> List[str]:
    # 09:00-09:45 New York = 15:00-15:45 Berlin on Wed 25: 0.75 h; Kim declined.
    return event("forecast@test", "Forecast call",
                 "DTSTART;TZID=America/New_York:20260225T090000", "DTEND;TZID=America/New_York:20260225T094500",
                 organizer("sam"), attendee("dana", dana_reply), attendee("kim", "DECLINED"))


INDIA_ZONE = ["BEGIN:VTIMEZONE", "TZID:India Standard", "BEGIN:STANDARD", "DTSTART:19700101T000000",
              "TZOFFSETFROM:+0530", "TZOFFSETTO:+0530", "END:STANDARD", "END:VTIMEZONE"]

TEAM = calendar(
    INDIA_ZONE,
    PIPELINE, PIPELINE_CANCELLED, PIPELINE_MOVED,
    forecast("NEEDS-ACTION"),
    # 17:00-18:00 Tokyo on Mon 2 Mar = 09:00-10:00 Berlin, inside: 1 h for Lee and Kim.
    event("tokyo@test", "Tokyo sync", "DTSTART;TZID=Asia/Tokyo:20260302T170000",
          "DTEND;TZID=Asia/Tokyo:20260302T180000", organizer("lee"), attendee("kim")),
    # 18:30 Tokyo = 10:30 Berlin: after the window.
    event("tokyo-late@test", "Tokyo late", "DTSTART;TZID=Asia/Tokyo:20260302T183000",
          "DTEND;TZID=Asia/Tokyo:20260302T193000", organizer("lee"), attendee("kim")),
    # 09:00 UTC = 10:00 Berlin, the window's first instant: 0.5 h for Kim and Dana.
    event("kickoff@test", "Kickoff", "DTSTART:20260223T090000Z", "DTEND:20260223T093000Z",
          organizer("kim"), attendee("dana")),
    # 08:30 UTC = 09:30 Berlin: starts before the window.
    event("early@test", "Early", "DTSTART:20260223T083000Z", "DTEND:20260223T093000Z",
          organizer("kim"), attendee("sam")),
    event("offsite@test", "Offsite", "DTSTART;VALUE=DATE:20260225", "DTEND;VALUE=DATE:20260226",
          organizer("dana"), attendee("sam")),
    event("travel@test", "Travel hold", "DTSTART;TZID=Europe/Berlin:20260224T090000",
          "DTEND;TZID=Europe/Berlin:20260224T110000", "TRANSP:TRANSPARENT", organizer("dana"), attendee("sam")),
    event("focus@test", "Focus", "DTSTART;TZID=Europe/Berlin:20260226T090000",
          "DTEND;TZID=Europe/Berlin:20260226T100000", organizer("dana")),
    event("cancelled@test", "Cancelled sync", "DTSTART;TZID=Europe/Berlin:20260224T160000",
          "DTEND;TZID=Europe/Berlin:20260224T170000", "STATUS:CANCELLED", organizer("dana"), attendee("lee")),
    # 18:00-19:15 at +05:30 = 12:30-13:45 UTC on Thu 26: 1.25 h for Lee and Sam.
    event("india@test", "India review", "DTSTART;TZID=India Standard:20260226T180000",
          "DTEND;TZID=India Standard:20260226T191500", organizer("lee"), attendee("sam")),
)

DANA = calendar(
    PIPELINE,  # the same series again (without its exceptions): counted once
    forecast("ACCEPTED"),  # the same event again, with Dana's own reply
    # 12:00-13:00 UTC: 1 h for Dana and the prospect.
    event("customer@test", "Customer call", "DTSTART:20260226T120000Z", "DTEND:20260226T130000Z",
          organizer("dana"), "ATTENDEE;PARTSTAT=ACCEPTED:mailto:buyer@acme.example"),
    # Floating 09:00-09:30, read in X-WR-TIMEZONE (Berlin) on Fri 27: 0.5 h for Dana and Sam.
    event("one-on-one@test", "Floating 1:1", "DTSTART:20260227T090000", "DTEND:20260227T093000",
          organizer("dana"), attendee("sam")),
    header=["X-WR-TIMEZONE:Europe/Berlin"],
)

# Hand-added, per person: (meetings, hours)
#   dana: pipeline 1 + 1.5, forecast 0.75, kickoff 0.5, customer 1, 1:1 0.5   -> 6 meetings, 5.25 h
#   sam:  pipeline 1 + 1.5, forecast 0.75, india 1.25, 1:1 0.5                 -> 5 meetings, 5.00 h
#   lee:  pipeline 1 + 1.5, tokyo 1, india 1.25                                -> 4 meetings, 4.75 h
#   kim:  tokyo 1, kickoff 0.5 (forecast declined)                             -> 2 meetings, 1.50 h
#   buyer@acme.example: customer 1                                             -> 1 meeting, 1.00 h
EXPECTED = {
    "dana@example.com": (6, 5.25),
    "sam@example.com": (5, 5.0),
    "lee@example.com": (4, 4.75),
    "kim@example.com": (2, 1.5),
    "buyer@acme.example": (1, 1.0),
}


@pytest.fixture
def team_files(tmp_path: Path) -> List[Path]:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "team.ics").write_bytes(TEAM.encode())
    (folder / "dana.ics").write_bytes(DANA.encode())
    return [folder / "team.ics", folder / "dana.ics"]


def figures(window) -> dict:
    return {p.email: (p.meetings, p.hours) for p in window.per_person}


def test_load_matches_the_hand_computed_figures(team_files):
    window = read_calendars(team_files).load(END, 7)
    assert figures(window) == EXPECTED
    assert (window.start, window.end) == (datetime(2026, 2, 23, 10, tzinfo=BERLIN), END)


def test_a_folder_reads_every_ics_file_in_it(team_files):
    assert figures(read_calendars([team_files[0].parent]).load(END, 7)) == EXPECTED


def test_the_same_files_twice_change_nothing(team_files):
    assert figures(read_calendars(team_files + team_files[::-1]).load(END, 7)) == EXPECTED


def test_each_exclusion_is_seen_in_the_occurrences(team_files):
    window = read_calendars(team_files).load(END, 7)
    titles = sorted(o.title for o in window.occurrences)
    assert titles == sorted(["Pipeline review", "Pipeline review (moved)", "Forecast call", "Tokyo sync", "Kickoff",
                             "India review", "Customer call", "Floating 1:1"])
    moved = next(o for o in window.occurrences if o.title == "Pipeline review (moved)")
    assert moved.start == datetime(2026, 2, 27, 15, 0, tzinfo=BERLIN) and moved.seconds == 90 * 60
    assert "room1@example.com" not in {p.email for o in window.occurrences for p in o.people}


def test_without_the_exceptions_the_series_counts_every_instance(tmp_path):
    only_series = tmp_path / "series.ics"
    only_series.write_bytes(calendar(PIPELINE).encode())
    # Mon 23, Tue 24, Thu 26 at 1 h each (Wed 25 is still excluded by EXDATE).
    assert figures(read_calendars([only_series]).load(END, 7))["sam@example.com"] == (3, 3.0)


def test_a_longer_window_reaches_earlier_instances(team_files):
    window = read_calendars(team_files).load(END, 14)
    # Before Feb 23 10:00 the series adds Mon 16 (14:00 is inside the 14 days), Tue 17, Wed 18, Thu 19.
    assert figures(window)["lee@example.com"] == (8, 8.75)


def test_a_reply_in_the_persons_own_copy_wins_over_needs_action(tmp_path):
    organizer_copy = tmp_path / "sam.ics"
    organizer_copy.write_bytes(calendar(forecast("NEEDS-ACTION")).encode())
    own_copy = tmp_path / "dana.ics"
    own_copy.write_bytes(calendar(forecast("DECLINED")).encode())
    window = read_calendars([organizer_copy, own_copy]).load(END, 7)
    assert figures(window) == {"sam@example.com": (1, 0.75)}


def test_load_for_a_meeting_averages_the_audience_found(team_files):
    from advisor.inputs.proposal import meeting_from_mapping

    meeting = meeting_from_mapping({
        "title": "Q1 plan", "purposes": ["strategy"], "duration_minutes": 60, "start": "2026-03-02T10:00[Europe/Berlin]",
        "audience": [{"role": "sales_manager", "email": "Dana@Example.com"}, {"role": "sales_rep", "email": "sam@example.com"},
                     {"role": "sales_rep", "email": "lee@example.com"}, {"role": "sales_rep", "email": "kim@example.com"},
                     {"role": "sales_rep", "email": "new@example.com"}, {"role": "sales_rep", "count": 3}],
        "recent_load": {"meeting_hours": 9, "meetings": 8},
    })
    load = read_calendars(team_files).load_for(meeting)
    # (5.25 + 5 + 4.75 + 1.5) / 4 = 4.125 h and (6 + 5 + 4 + 2) / 4 = 4.25 meetings; new@ is in no calendar.
    assert (load.meeting_hours, load.meetings, load.window_days) == (4.125, 4.25, 7)
    assert [(p.email, p.found) for p in load.per_person][-1] == ("new@example.com", False)
    assert load.replaced == {"meeting_hours": 9, "meetings": 8}
    assert load.source.endswith("(4 of 5 attendees with an email found)")
    # A calendar's figure comes first; new@ and the group of three, whom no calendar knows,
    # keep recent_load's 9 hours and 8 meetings: (16.5 + 4 x 9) / 8 hours, (17 + 4 x 8) / 8 meetings.
    from advisor.core.facts import weekly_load

    assert weekly_load(load.apply_to(meeting)) == (6.56, 6.12)
    assert weekly_load(meeting) == (9, 8)


def test_a_groups_own_figure_comes_before_recent_load():
    from advisor.core.facts import weekly_load
    from advisor.inputs.proposal import meeting_from_mapping

    meeting = meeting_from_mapping({
        "title": "Q1 plan", "purposes": ["strategy"], "duration_minutes": 60,
        "audience": [{"role": "sales_manager", "meeting_hours_last_7_days": 20},
                     {"role": "sales_rep", "count": 3}],
        "recent_load": {"window_days": 14, "meeting_hours": 16, "meetings": 20},
    })
    # The manager's own 20 hours; recent_load's 8 hours a week for the three reps who give none.
    assert weekly_load(meeting) == ((20 + 3 * 8) / 4, 10)


def test_an_audience_nobody_in_the_calendars_knows_is_refused(team_files):
    from advisor.inputs.proposal import meeting_from_mapping

    meeting = meeting_from_mapping({"title": "x", "purposes": "coaching", "duration_minutes": 30,
                                    "audience": [{"role": "sales_rep", "email": "who@else.example"}]})
    with pytest.raises(InputError) as raised:
        read_calendars(team_files).load_for(meeting, now=END)
    assert "no attendee's email appears in" in str(raised.value)


# -- bad calendars -------------------------------------------------------------------------------

def write(tmp_path: Path, text: str, name: str = "bad.ics") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_a_broken_line_is_named_with_its_line(tmp_path):
    text = calendar(event("x@test", "X", "DTSTART:20260224T100000Z", "this line is broken", "DTEND:20260224T110000Z"))
    with pytest.raises(InputError) as raised:
        read_calendars([write(tmp_path, text)])
    assert str(raised.value) == (f"{tmp_path / 'bad.ics'}:9:1: VEVENT[x@test]: unreadable line: expected NAME:value "
                                 "or NAME;PARAMETER=...:value, found 'this line is broken'")


def test_a_bad_value_is_named_with_its_line(tmp_path):
    text = calendar(event("x@test", "X", "DTSTART:2026-02-24", "DTEND:20260224T110000Z"))
    with pytest.raises(InputError) as raised:
        read_calendars([write(tmp_path, text)])
    assert str(raised.value).startswith(f"{tmp_path / 'bad.ics'}:8:1: VEVENT[x@test].DTSTART: bad DTSTART value:")


def test_an_unknown_time_zone_is_refused(tmp_path):
    text = calendar(event("x@test", "X", "DTSTART;TZID=Mars/Olympus:20260224T100000",
                          "DTEND;TZID=Mars/Olympus:20260224T110000", organizer("dana"), attendee("sam")))
    with pytest.raises(InputError) as raised:
        read_calendars([write(tmp_path, text)])
    assert str(raised.value) == (f"{tmp_path / 'bad.ics'}:8:1: VEVENT[x@test].DTSTART: unknown time zone "
                                 "'Mars/Olympus': expected an IANA or Windows name, or a VTIMEZONE in the file")


def test_a_windows_time_zone_name_is_understood(tmp_path):
    text = calendar(event("x@test", "X", "DTSTART;TZID=W. Europe Standard Time:20260224T100000",
                          "DTEND;TZID=W. Europe Standard Time:20260224T111500", organizer("dana"), attendee("sam")))
    window = read_calendars([write(tmp_path, text, "outlook.ics")]).load(END, 7)
    assert figures(window)["sam@example.com"] == (1, 1.25)
    assert window.occurrences[0].start == datetime(2026, 2, 24, 10, tzinfo=BERLIN)


def test_an_unknown_x_wr_timezone_is_refused(tmp_path):
    with pytest.raises(InputError) as raised:
        read_calendars([write(tmp_path, calendar(header=["X-WR-TIMEZONE:Nowhere/Land"]))])
    assert "X-WR-TIMEZONE: unknown time zone 'Nowhere/Land'" in str(raised.value)


@pytest.mark.parametrize("text,message", [
    ("hello\r\n", "not an iCalendar file: Content line could not be parsed into parts: 'hello'"),
    ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:a\r\n", "not an iCalendar file: expected BEGIN:VCALENDAR ... END:VCALENDAR"),
    ("", "not an iCalendar file: expected BEGIN:VCALENDAR ... END:VCALENDAR"),
])
def test_what_is_no_calendar_is_refused(tmp_path, text, message):
    with pytest.raises(InputError) as raised:
        read_calendars([write(tmp_path, text)])
    assert str(raised.value) == f"{tmp_path / 'bad.ics'}:1:1: {message}"


def test_a_huge_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = write(tmp_path, calendar(PIPELINE))

    def no_reading(*args, **kwargs):  # not an OSError: a reader that reads first fails here
        raise AssertionError("the file was read")

    with monkeypatch.context() as patch, pytest.raises(InputError) as raised:
        for owner, name in ((Path, "read_bytes"), (Path, "read_text"), (Path, "open"), (builtins, "open")):
            patch.setattr(owner, name, no_reading)
        read_calendars([path], max_bytes=100)
    assert f"file too large: {path.stat().st_size:,} bytes, the limit is 100" in str(raised.value)


@pytest.mark.parametrize("rule,start,message", [
    ("FREQ=SECONDLY;COUNT=1000000", "20260224T100000Z", "repeats up to 86,400 times a day"),
    ("FREQ=MINUTELY", "20260224T100000Z", "repeats up to 1,440 times a day"),
    ("FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15;BYMINUTE=0,10,20,30,40,50,55", "20260224T100000Z", "up to 49 times a day"),
    # 46,080 days and 23 hours from 1900-01-01 10:00 to 2026-03-02 09:00 UTC, and the first hour
    ("FREQ=HOURLY", "19000101T100000Z", "would take 1,105,944 steps from its start to the window"),
    # 48 times a day, every day since 1950: dateutil works through each time of each day
    ("FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,30",
     "19500101T000000Z", "would take 1,335,378 steps from its start to the window"),
])
def test_a_runaway_rule_is_refused_at_once(tmp_path, rule, start, message):
    text = calendar(event("runaway@test", "Runaway", f"DTSTART:{start}", f"DTEND:{start[:-3]}30Z",
                          f"RRULE:{rule}", organizer("dana"), attendee("sam")))
    began = time.monotonic()
    with pytest.raises(InputError) as raised:
        read_calendars([write(tmp_path, text)]).load(END, 7)
    assert message in str(raised.value) and f"{tmp_path / 'bad.ics'}:10:1: VEVENT[runaway@test].RRULE: RRULE" in str(raised.value)
    assert time.monotonic() - began < 5  # refused before any expansion, not after one


def test_the_densest_allowed_rule_is_counted(tmp_path):
    # Every 30 minutes, 20 minutes long, from Fri 27 00:00 Berlin: 48 a day. In the window: Fri 27,
    # Sat 28, Sun 1 (3 x 48) and Mon 2 from 00:00 to 09:30 (20): 164 meetings of 1/3 h.
    assert MAX_PER_DAY == 48
    text = calendar(event("dense@test", "Dense", "DTSTART;TZID=Europe/Berlin:20260227T000000",
                          "DTEND;TZID=Europe/Berlin:20260227T002000", "RRULE:FREQ=MINUTELY;INTERVAL=30",
                          organizer("dana"), attendee("sam")))
    meetings, hours = figures(read_calendars([write(tmp_path, text)]).load(END, 7))["sam@example.com"]
    assert meetings == 164 and hours == pytest.approx(164 / 3)


def test_an_expansion_over_its_time_budget_stops_with_an_error(team_files):
    calendars = read_calendars(team_files)
    with pytest.raises(InputError) as raised:
        calendars.occurrences(END - timedelta(days=7), END, budget_seconds=-1)
    assert str(raised.value).startswith(f"{team_files[0]}:12:1: VEVENT[pipeline@test]: expanding the recurring "
                                        "events: this file took more than -1 s")


RUNAWAY_ZONE = ["BEGIN:VTIMEZONE", "TZID:Runaway", "BEGIN:STANDARD", "DTSTART:16010101T000000",
                "RRULE:FREQ=MINUTELY", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0000", "END:STANDARD", "BEGIN:DAYLIGHT",
                "DTSTART:16010101T000030", "RRULE:FREQ=MINUTELY", "TZOFFSETFROM:+0000", "TZOFFSETTO:+0100",
                "END:DAYLIGHT", "END:VTIMEZONE"]
OUTLOOK_ZONE = ["BEGIN:VTIMEZONE", "TZID:W. Europe Standard Time (Outlook)", "BEGIN:STANDARD",
                "DTSTART:16010101T030000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "TZOFFSETFROM:+0200",
                "TZOFFSETTO:+0100", "END:STANDARD", "BEGIN:DAYLIGHT", "DTSTART:16010101T020000",
                "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "END:DAYLIGHT",
                "END:VTIMEZONE"]


def test_a_time_zone_rule_repeating_every_minute_is_refused_before_any_time_is_converted(tmp_path):
    meeting = event("zoned@test", "Zoned", "DTSTART;TZID=Runaway:20260227T100000",
                    "DTEND;TZID=Runaway:20260227T110000", organizer("dana"), attendee("sam"))
    path = write(tmp_path, calendar(meeting, header=RUNAWAY_ZONE))
    began = time.monotonic()
    with pytest.raises(InputError) as raised:
        read_calendars([path]).load(END, 7)
    assert time.monotonic() - began < 5
    # 1601 to 2200 is 315 million minutes: past the file's budget at once
    assert str(raised.value).startswith(f"{path}:8:1: VTIMEZONE[Runaway].STANDARD.RRULE: the time zone's rule would "
                                        "take 315,")
    assert "steps for this file, more than 800,000" in str(raised.value)


def test_an_outlook_time_zone_from_1601_is_read(tmp_path):
    meeting = event("zoned@test", "Zoned", "DTSTART;TZID=W. Europe Standard Time (Outlook):20260227T100000",
                    "DTEND;TZID=W. Europe Standard Time (Outlook):20260227T110000", organizer("dana"), attendee("sam"))
    path = write(tmp_path, calendar(meeting, header=OUTLOOK_ZONE))
    assert figures(read_calendars([path]).load(END, 7)) == {"dana@example.com": (1, 1.0), "sam@example.com": (1, 1.0)}


@pytest.mark.parametrize("start,found", [("00010101T000000Z", "0001-01-01T00:00:00+00:00"),
                                         ("22010101", "2201-01-01")])
def test_an_event_outside_the_years_1900_to_2200_is_refused(tmp_path, start, found):
    dense = "RRULE:FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=0,30"
    path = write(tmp_path, calendar(event("old@test", "Old", f"DTSTART:{start}", dense, organizer("dana"),
                                          attendee("sam"))))
    with pytest.raises(InputError) as raised:
        read_calendars([path])
    assert str(raised.value) == (f"{path}:8:1: VEVENT[old@test].DTSTART: expected a date from the year 1900 to 2200, "
                                 f"found {found}")


def test_a_window_outside_the_years_1900_to_2200_is_refused(team_files):
    calendars = read_calendars(team_files)
    for end in (datetime(1, 1, 2, tzinfo=timezone.utc), datetime(2201, 1, 1, tzinfo=timezone.utc)):
        with pytest.raises(InputError) as raised:
            calendars.load(end, 7)
        assert str(raised.value) == f"the window: expected a date from the year 1900 to 2200, found {end.isoformat()}"


def test_each_file_and_the_run_have_a_budget_of_steps(team_files, tmp_path):
    from advisor.inputs.calendar_budget import Budget

    lines = [len(path.read_text().splitlines()) for path in team_files]  # one step a line
    with pytest.raises(InputError) as raised:
        read_calendars(team_files, budget=Budget(file_steps=lines[0] - 1))
    assert str(raised.value).startswith(f"{team_files[0]}: reading its lines would take {lines[0]:,} steps for "
                                        f"this file, more than {lines[0] - 1:,}")
    with pytest.raises(InputError) as raised:
        read_calendars(team_files, budget=Budget(steps=sum(lines) - 1))
    assert str(raised.value).startswith(f"{team_files[1]}: reading its lines would take the calendars read together "
                                        f"past {sum(lines) - 1:,} steps")
    assert figures(read_calendars(team_files, budget=Budget(steps=sum(lines) + 100)).load(END, 7)) == EXPECTED


def test_each_file_and_the_run_have_a_budget_of_seconds(team_files):
    from advisor.inputs.calendar_budget import Budget

    def clock():  # a clock that moves a second each time it is read
        return float(next(ticks))

    ticks = iter(range(1000))  # 1 s when the file is begun (checked), 2 s once icalendar has read it
    with pytest.raises(InputError) as raised:
        read_calendars(team_files, budget=Budget(file_seconds=1.5, clock=clock))
    assert str(raised.value).startswith(f"{team_files[0]}: reading the file: this file took more than 1.5 s")
    ticks = iter(range(1000))
    with pytest.raises(InputError) as raised:
        read_calendars(team_files, budget=Budget(seconds=6.5, clock=clock))
    assert str(raised.value).startswith(f"{team_files[1]}: reading the file: the calendars read together took "
                                        "more than 6.5 s")


def test_a_window_needs_aware_times(team_files):
    with pytest.raises(ValueError):
        read_calendars(team_files).occurrences(datetime(2026, 2, 23), datetime(2026, 3, 2))


def test_window_in_utc_gives_the_same_figures(team_files):
    assert figures(read_calendars(team_files).load(END.astimezone(timezone.utc), 7)) == EXPECTED
