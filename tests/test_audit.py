"""`advisor audit` on calendars written here, every figure added up by hand in the comments.

The audit's moment is Mon 2026-03-02 09:00 Berlin; its window the 28 days after it. Dana is a
sales manager (80 USD an hour), Sam, Lee and Kim sales reps (50 USD), by the roles file.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Dict

import pytest
from test_calendar import attendee, calendar, event, organizer

AT = "2026-03-02T09:00[Europe/Berlin]"
ROLES = "dana@example.com: sales_manager\n\"@example.com\": sales_rep\n"

# Mondays 10:00-11:00 since January; Kim declined it in her own copy (the others' copies still
# wait for her reply). 3 attendees x 1 h x 52 = 156 attendee-hours a year, (80 + 50 + 50) x 52 = 9,360 USD.
STATUS = event("status@test", "Weekly status round", "DTSTART;TZID=Europe/Berlin:20260105T100000",
               "DTEND;TZID=Europe/Berlin:20260105T110000", "RRULE:FREQ=WEEKLY;BYDAY=MO",
               organizer("dana"), attendee("sam"), attendee("lee"), attendee("kim", "NEEDS-ACTION"))
STATUS_KIM = event("status@test", "Weekly status round", "DTSTART;TZID=Europe/Berlin:20260105T100000",
                   "DTEND;TZID=Europe/Berlin:20260105T110000", "RRULE:FREQ=WEEKLY;BYDAY=MO",
                   organizer("dana"), attendee("sam"), attendee("lee"), attendee("kim", "DECLINED"))
# Weekdays 09:00-09:15: 260 a year; 4 x 0.25 h x 260 = 260 attendee-hours, 230 x 0.25 x 260 = 14,950 USD.
STANDUP = event("standup@test", "Daily stand-up", "DTSTART;TZID=Europe/Berlin:20260105T090000",
                "DTEND;TZID=Europe/Berlin:20260105T091500", "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
                organizer("dana"), attendee("sam"), attendee("lee"), attendee("kim"))
# A title no purpose rule reads: Wednesdays 30 min, Sam and Lee; 2 x 0.5 x 52 = 52 h, 2,600 USD.
SYNC = event("sync@test", "Sync", "DTSTART;TZID=Europe/Berlin:20260107T150000",
             "DTEND;TZID=Europe/Berlin:20260107T153000", "RRULE:FREQ=WEEKLY;BYDAY=WE",
             organizer("sam"), attendee("lee"))
# Stated purpose: coaching every two weeks, 30 min, Dana and Sam: 2 x 0.5 x 26 = 26 h, 130 x 0.5 x 26 = 1,690 USD.
COACHING = event("coaching@test", "Tuesday chat", "DTSTART;TZID=Europe/Berlin:20260106T140000",
                 "DTEND;TZID=Europe/Berlin:20260106T143000", "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
                 "X-ADVISOR-PURPOSES:coaching", "LOCATION:Room 2", organizer("dana"), attendee("sam"))
# Not audited: a cancelled series, a series that ended in February, a one-off (without --one-offs).
CANCELLED = event("cancelled@test", "Weekly status round (old)", "DTSTART;TZID=Europe/Berlin:20260105T160000",
                  "DTEND;TZID=Europe/Berlin:20260105T170000", "RRULE:FREQ=WEEKLY;BYDAY=MO", "STATUS:CANCELLED",
                  organizer("dana"), attendee("sam"))
ENDED = event("ended@test", "Pipeline review", "DTSTART;TZID=Europe/Berlin:20260105T130000",
              "DTEND;TZID=Europe/Berlin:20260105T140000", "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20260216T130000Z",
              organizer("dana"), attendee("sam"))
ONE_OFF = event("oneoff@test", "Pipeline review", "DTSTART;TZID=Europe/Berlin:20260304T130000",
                "DTEND;TZID=Europe/Berlin:20260304T140000", organizer("dana"), attendee("sam"), attendee("lee"))

LIVE = {"status@test", "standup@test", "sync@test", "coaching@test"}


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    """Dana's, Sam's and Kim's calendars: most series in two or three of them."""
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "dana.ics").write_text(calendar(STATUS, STANDUP, COACHING, CANCELLED, ENDED, ONE_OFF))
    (folder / "sam.ics").write_text(calendar(STATUS, STANDUP, SYNC, COACHING, ONE_OFF))
    (folder / "kim.ics").write_text(calendar(STATUS_KIM, STANDUP))
    (tmp_path / "roles.yaml").write_text(ROLES)
    return folder


def audit_json(cli, *args: str) -> Dict:
    code, out, err = cli("audit", *args, "--at", AT, "--format", "json")
    assert (code, err) == (0, ""), err
    return json.loads(out)


def by_uid(result: Dict) -> Dict[str, Dict]:
    return {one["uid"]: one for one in result["series"]}


def test_every_live_series_appears_once_with_its_hand_computed_figures(cli, exports):
    result = audit_json(cli, str(exports), "--roles", str(exports.parent / "roles.yaml"))
    series = by_uid(result)
    assert [one["uid"] for one in result["series"]].count("status@test") == 1
    assert set(series) == LIVE
    status, standup, sync, coaching = (series[uid] for uid in ("status@test", "standup@test", "sync@test",
                                                                "coaching@test"))
    assert (status["attendees"], status["occurrences_per_year"], status["yearly_attendee_hours"],
            status["yearly_cost"]) == (3, 52, 156.0, 9360.0)
    assert (standup["attendees"], standup["occurrences_per_year"], standup["yearly_attendee_hours"],
            standup["yearly_cost"]) == (4, 260, 260.0, 14950.0)
    assert (sync["occurrences_per_year"], sync["yearly_attendee_hours"], sync["yearly_cost"]) == (52, 52.0, 2600.0)
    assert (coaching["occurrences_per_year"], coaching["yearly_attendee_hours"],
            coaching["yearly_cost"]) == (26, 26.0, 1690.0)
    assert (status["purposes"], status["purpose_source"]) == (["status_update"], "inferred")
    assert (coaching["purposes"], coaching["purpose_source"]) == (["coaching"], "stated")
    assert result["window"] == {"start": "2026-03-02T09:00:00+01:00", "days": 28}


def test_an_unknown_purpose_stays_unknown_with_its_cost_and_no_verdict(cli, exports):
    sync = by_uid(audit_json(cli, str(exports)))["sync@test"]
    assert (sync["purposes"], sync["purpose_source"]) == ([], "unknown")
    assert (sync["verdict"], sync["recommendation"], sync["reclaimable_hours"], sync["reclaimable_cost"]) == \
        (None, None, None, None)
    assert sync["yearly_attendee_hours"] == 52.0
    assert "X-ADVISOR-PURPOSES" in sync["reasons"][0]


def test_totals_are_the_sums_of_the_series_and_a_cancel_reclaims_everything(cli, exports):
    result = audit_json(cli, str(exports), "--roles", str(exports.parent / "roles.yaml"))
    series, totals = result["series"], result["totals"]
    assert totals["series"] == len(series) == 4 and totals["unknown_purpose"] == 1 and totals["decided"] == 3
    assert totals["yearly_attendee_hours"] == round(sum(s["yearly_attendee_hours"] for s in series), 2)
    assert totals["reclaimable_hours"] == round(sum(s["reclaimable_hours"] or 0 for s in series), 2)
    assert totals["reclaimable_cost"] == sum(s["reclaimable_cost"] or 0 for s in series)
    assert sum(totals["by_recommendation"].values()) == 3
    for one in series:
        if one["recommendation"] == "cancel":
            assert (one["reclaimable_hours"], one["reclaimable_cost"]) == (one["yearly_attendee_hours"],
                                                                         one["yearly_cost"])
            assert one["alternative"]
        if one["recommendation"] == "keep":
            assert (one["verdict"], one["reclaimable_hours"]) == ("hold", 0)
    assert any(one["recommendation"] == "cancel" for one in series)
    # what each person is freed adds up to the total, to the hundredth of an hour
    freed = sum(p["yearly_hours_freed"] for p in result["people"])
    assert round(freed, 2) == totals["reclaimable_hours"]
    dana = next(p for p in result["people"] if p["person"] == "dana@example.com")
    # Dana's week before the audit: the status round (1 h), five stand-ups (1.25 h), no coaching that week
    assert dana["weekly_meeting_hours"] == 2.25


def test_one_offs_are_decided_when_asked_for(cli, exports):
    assert "oneoff@test" in by_uid(audit_json(cli, str(exports), "--one-offs"))
    assert "oneoff@test" not in by_uid(audit_json(cli, str(exports)))
    one = by_uid(audit_json(cli, str(exports), "--one-offs"))["oneoff@test"]
    assert (one["occurrences_per_year"], one["yearly_attendee_hours"]) == (1, 3.0)


def test_one_off_meetings_far_outside_the_windows_are_not_read(tmp_path, cli):
    """A one-off in January, even with a broken line, counts for nothing: it is skipped unread.
    The same broken line in the window is a problem."""
    def broken(day: str) -> list:
        return event(f"old-{day}@test", "Pipeline review", f"DTSTART;TZID=Europe/Berlin:{day}T130000",
                     f"DTEND;TZID=Europe/Berlin:{day}T140000", "BROKEN LINE", organizer("dana"), attendee("sam"))

    (tmp_path / "dana.ics").write_text(calendar(STATUS, broken("20260112")))
    code, out, err = cli("audit", str(tmp_path / "dana.ics"), "--at", AT, "--format", "json")
    assert (code, err) == (0, "") and set(by_uid(json.loads(out))) == {"status@test"}
    (tmp_path / "dana.ics").write_text(calendar(STATUS, broken("20260303")))
    code, _, err = cli("audit", str(tmp_path / "dana.ics"), "--at", AT)
    assert code == 2 and "BROKEN LINE" in err


def test_the_same_audit_in_one_process_and_in_two(cli, exports):
    one = audit_json(cli, str(exports), "--jobs", "1")
    two = audit_json(cli, str(exports), "--jobs", "2")
    assert one == two


def test_a_series_changed_reclaims_what_the_change_saves(tmp_path, cli):
    """A weekly 2-hour pipeline review of 9 people: 9 x 2 h x 52 = 936 attendee-hours a year.

    Within the realistic bounds of the what-if search (never below half the audience, nor
    longer), the smallest change that makes it a hold is 25 minutes for 8 people: 8 x 25 min =
    3.33 attendee-hours an occurrence (rounded as the decision states it), x 52 = 173.16 h, so
    936 - 173.16 = 762.84 h are reclaimed, named after the step that saves most alone (shorten:
    741 h, against 104 h for one person fewer). Each person keeps 25 of 120 minutes a week
    (104 - 21.67 = 82.33 h a year freed); the one seat trimmed is shared among the 8 other than
    Dana (21.67 / 8 = 2.71 h more each). The shares of the rounded total are made by largest
    remainder, so that they add up to it exactly.
    """
    lines = [organizer("dana")] + [attendee(p) for p in ("sam", "lee", "kim")]
    lines += [f"ATTENDEE;CN=Rep {n};PARTSTAT=ACCEPTED:mailto:rep{n}@example.com" for n in range(5)]
    big = event("big@test", "Weekly pipeline review", "DTSTART;TZID=Europe/Berlin:20260105T100000",
                "DTEND;TZID=Europe/Berlin:20260105T120000", "RRULE:FREQ=WEEKLY;BYDAY=MO", *lines)
    (tmp_path / "team.ics").write_text(calendar(big))
    result = audit_json(cli, str(tmp_path / "team.ics"))
    one, = result["series"]
    assert (one["verdict"], one["recommendation"]) == ("skip", "shorten")
    assert one["change"] == "Shorten it to 25 minutes; invite 1 person fewer (8 instead of 9)"
    assert (one["yearly_attendee_hours"], one["reclaimable_hours"]) == (936.0, 762.84)
    freed = {p["person"]: p["yearly_hours_freed"] for p in result["people"]}
    assert abs(freed["dana@example.com"] - 82.33) < 0.05
    others = [hours for person, hours in freed.items() if person != "dana@example.com"]
    assert len(others) == 8 and all(abs(hours - (82.33 + 2.71)) < 0.05 for hours in others)
    assert round(sum(freed.values()), 2) == 762.84


def test_csv_neutralises_formulas_and_keeps_numbers(tmp_path, cli):
    nasty = event("nasty@test", "=HYPERLINK(\"http://x.example\")", "DTSTART;TZID=Europe/Berlin:20260105T100000",
                  "DTEND;TZID=Europe/Berlin:20260105T110000", "RRULE:FREQ=WEEKLY;BYDAY=MO",
                  organizer("dana"), attendee("sam"))
    (tmp_path / "x.ics").write_text(calendar(nasty))
    code, out, _ = cli("audit", str(tmp_path / "x.ics"), "--at", AT, "--format", "csv")
    rows = list(csv.reader(io.StringIO(out), quoting=csv.QUOTE_NONNUMERIC))
    header, row = rows
    assert code == 0 and row[header.index("title")].startswith("'=HYPERLINK")
    assert row[header.index("yearly_attendee_hours")] == 104.0  # 2 x 1 h x 52, a number


def test_html_is_one_file_in_english_and_arabic(cli, exports):
    for lang, heading in (("en", "Meeting audit"), ("ar", "تدقيق الاجتماعات")):
        code, out, _ = cli("audit", str(exports), "--at", AT, "--format", "html", "--lang", lang)
        assert code == 0 and heading in out and f'lang="{lang}"' in out
        assert "<script" not in out and "http://" not in out and "https://" not in out
        assert 'data-recommendation="cancel"' in out


def test_a_bad_file_is_one_line_and_the_others_are_audited(cli, exports):
    (exports / "broken.ics").write_text(calendar(event("x@test", "X", "DTSTART:notadate", organizer("dana"))))
    code, out, err = cli("audit", str(exports), "--at", AT, "--format", "json")
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith(f"{exports / 'broken.ics'}:")
    assert set(by_uid(json.loads(out))) == LIVE


def test_unreachable_calendars_and_bad_options_exit_2(cli, tmp_path):
    code, _, err = cli("audit", str(tmp_path / "missing.ics"), "--at", AT)
    assert code == 2 and "No such file" in err
    code, _, err = cli("audit", "http://calendar.example.com/dav/", "--at", AT)
    assert code == 2 and len(err.splitlines()) == 1 and "https://" in err
    code, _, err = cli("audit", "http://127.0.0.1:9/dav/", "--at", AT)
    assert code == 2 and len(err.splitlines()) == 1 and "http://127.0.0.1:9/dav/" in err



def test_each_decided_series_says_how_people_would_meet(cli, exports):
    from advisor.core.vocabulary import MEDIA_OF_FORMAT

    series = audit_json(cli, str(exports))["series"]
    decided = [one for one in series if one["verdict"] is not None]
    assert decided and all(one["medium"] in MEDIA_OF_FORMAT[one["format"]] for one in decided)
    assert all(one["medium"] is None for one in series if one["verdict"] is None)


@pytest.mark.parametrize("lang", ["en", "ar"])
def test_a_series_reasons_read_as_its_decision_report_words_them(lang):
    """The audit's reasons are the decision's, counted words and amounts in the reader's language
    (a daily meeting of 100 is held 250 times a year, not 'once')."""
    from types import SimpleNamespace

    from advisor.api import Advisor
    from advisor.report.audit import top_reasons
    from advisor.report.render import view

    decision = Advisor().check({
        "title": "Daily numbers", "purposes": ["status_update"], "duration_minutes": 15, "recurrence": "daily",
        "audience": [{"role": "sales_manager"}, {"role": "sales_rep", "count": 99}],
        "recent_load": {"meeting_hours": 22, "meetings": 19, "same_topic_days_ago": 3}})
    reasons = top_reasons(SimpleNamespace(decision=decision), lang, most=len(decision.fired))
    assert len(reasons) > 5
    assert reasons == [r["text"] for r in view(decision, lang)["reasons"] if r["delta"] < 0][:len(reasons)]


def test_an_arabic_audit_reads_right_to_left_with_arabic_punctuation(cli, exports):
    code, out, _ = cli("audit", str(exports), "--at", AT, "--format", "markdown", "--lang", "ar")
    assert code == 0 and out.startswith('<div dir="rtl" lang="ar">\n\n# تدقيق الاجتماعات') and out.endswith("</div>\n")
    code, out, _ = cli("audit", str(exports), "--at", AT, "--lang", "ar")
    assert code == 0 and "؛" in out and ";" not in out
    code, out, _ = cli("audit", str(exports), "--at", AT, "--format", "markdown")
    assert code == 0 and out.startswith("# Meeting audit")


def test_grouping_alike_attendees_keeps_the_load_the_rules_see() -> None:
    from advisor.audit.deciding import _grouped
    from advisor.core.facts import weekly_load
    from advisor.core.meeting import AttendeeGroup
    from advisor.inputs.proposal import meeting_from_mapping

    meeting = meeting_from_mapping({"title": "Sync", "purposes": ["status_update"], "duration_minutes": 30,
                                    "audience": [{"role": "sales_rep"}]}, "sync.ics")
    people = [AttendeeGroup("sales_rep", 1, email=f"{name}@x.com", meeting_hours_last_7_days=hours,
                            meetings_last_7_days=meetings)
              for name, hours, meetings in [("a", 1.0, 1.0), ("b", 10.0, 5.0), ("c", 2.0, 1.0), ("d", None, None)]]
    meeting = meeting._replace(audience=(AttendeeGroup("sales_manager", 1, email="o@x.com"), *people))
    grouped = _grouped(meeting, "o@x.com")
    assert [group.count for group in grouped.audience] == [1, 3, 1]  # the organizer; three alike with a load; one without
    assert weekly_load(grouped) == weekly_load(meeting) == (4.33, 2.33)
