"""A synthetic sales organisation's calendar export: one .ics file per person, for bench/audit.py.

    python bench/organisation.py OUT_DIR [--people 2000] [--weeks 8]

Regions of about 100 people, teams of 8 (a manager and seven reps), and the meetings such a
department holds, each written into the calendar of everyone invited (their own reply in it):

* per team: a weekly status round, a daily stand-up on weekdays, a weekly pipeline review,
  and a manager's one-on-one with each rep every two weeks;
* per region: a monthly sales meeting of everyone, a monthly product training, the managers'
  weekly forecast call, and a series whose title says nothing of its purpose;
* one-off meetings: customer calls and demos with people from outside, and ad hoc internal ones.

Half the regions title their meetings in Arabic. Some people decline; one series in ten has
a moved or cancelled instance; a few series state X-ADVISOR-PURPOSES. The export covers
`weeks` weeks starting on Monday 2026-03-02 (one-off meetings spread over them); series began
before it. Everything is drawn from a seeded generator: the same arguments, the same files.
"""
from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Dict, List, Optional, Tuple

START = datetime(2026, 3, 2)  # a Monday
SERIES_BEGIN = datetime(2025, 9, 1)
DOMAIN = "example.com"
REGION = 96  # people per region: 12 teams of 8
TEAM = 8

TITLES = {
    "en": {"status": "Weekly status round – team {team}", "standup": "Daily stand-up – team {team}",
           "pipeline": "Pipeline review – team {team}", "one_on_one": "1:1 {manager} / {rep}",
           "sales": "Monthly sales meeting – region {region}", "training": "Product training – region {region}",
           "forecast": "Forecast call – region {region} managers", "vague": "Sync – region {region}",
           "customer": "Call with {company}", "demo": "Product demo for {company}", "adhoc": "Quick chat"},
    "ar": {"status": "اجتماع الحالة الأسبوعي – الفريق {team}", "standup": "الاجتماع اليومي – الفريق {team}",
           "pipeline": "مراجعة الصفقات – الفريق {team}", "one_on_one": "اجتماع فردي {manager} / {rep}",
           "sales": "اجتماع المبيعات الشهري – المنطقة {region}", "training": "تدريب على المنتج – المنطقة {region}",
           "forecast": "مكالمة التوقعات – مدراء المنطقة {region}", "vague": "تنسيق – المنطقة {region}",
           "customer": "مكالمة مع {company}", "demo": "عرض المنتج لـ {company}", "adhoc": "دردشة سريعة"},
}


class Organisation:
    """People, their regions and teams, and the events each person's calendar holds."""

    def __init__(self, people: int, weeks: int, seed: int = 2026):
        self.random = random.Random(seed)
        self.weeks = weeks
        self.emails = [f"p{n:05d}@{DOMAIN}" for n in range(people)]
        self.calendars: Dict[str, List[str]] = {email: [] for email in self.emails}
        self.series = 0
        self.events = 0

    def build(self) -> "Organisation":
        for first in range(0, len(self.emails), REGION):
            region = first // REGION + 1
            members = self.emails[first:first + REGION]
            lang = "ar" if region % 2 == 0 else "en"
            self._region(region, members, lang)
        return self

    def _region(self, region: int, members: List[str], lang: str) -> None:
        titles = TITLES[lang]
        teams = [members[i:i + TEAM] for i in range(0, len(members), TEAM)]
        managers = [team[0] for team in teams]
        for number, team in enumerate(teams, start=1):
            label = f"{region}.{number}"
            self._series(titles["status"].format(team=label), team, 60, "FREQ=WEEKLY;BYDAY=MO", 9)
            self._series(titles["standup"].format(team=label), team, 15, "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", 8)
            self._series(titles["pipeline"].format(team=label), team, 45, "FREQ=WEEKLY;BYDAY=TH", 14,
                         stated="sales_shortfall,problem_solving" if number % 4 == 0 else None)
            for rep in team[1:]:
                self._series(titles["one_on_one"].format(manager=_name(team[0]), rep=_name(rep)), [team[0], rep],
                             30, "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE", 11)
        self._series(titles["sales"].format(region=region), members, 90, "FREQ=MONTHLY;BYDAY=1TU", 10)
        self._series(titles["training"].format(region=region), members[::2], 120, "FREQ=MONTHLY;BYDAY=3WE", 13)
        self._series(titles["forecast"].format(region=region), managers, 60, "FREQ=WEEKLY;BYDAY=FR", 15)
        self._series(titles["vague"].format(region=region), managers[:6], 30, "FREQ=WEEKLY;BYDAY=TU", 16)
        for person in members:
            for _ in range(self.weeks // 2):
                kind = self.random.choice(("customer", "demo", "adhoc"))
                company = f"Customer {self.random.randint(1, 400)}"
                others = self.random.sample(members, self.random.randint(1, 3))
                guests = [f"buyer{self.random.randint(1, 3)}@customer{company.split()[-1]}.example"] \
                    if kind != "adhoc" else []
                day = START + timedelta(days=self.random.randrange(self.weeks * 7 - 2), hours=9)
                start = day + timedelta(hours=self.random.randint(0, 7))
                self._one_off(titles[kind].format(company=company), [person] + [o for o in others if o != person],
                              guests, start, self.random.choice((30, 45, 60)))

    def _series(self, title: str, people: List[str], minutes: int, rule: str, hour: int,
                stated: Optional[str] = None) -> None:
        self.series += 1
        uid = f"series-{self.series}@{DOMAIN}"
        begin = SERIES_BEGIN + timedelta(hours=hour)
        first = _first_on(begin, rule)
        replies = {p: ("DECLINED" if self.random.random() < 0.04 and p != people[0] else "ACCEPTED") for p in people}
        lines = [f"UID:{uid}", "DTSTAMP:20260201T000000Z", "SEQUENCE:0", f"SUMMARY:{_escape(title)}",
                 f"DTSTART;TZID=Europe/Berlin:{first:%Y%m%dT%H%M%S}",
                 f"DTEND;TZID=Europe/Berlin:{first + timedelta(minutes=minutes):%Y%m%dT%H%M%S}",
                 f"RRULE:{rule}", "LOCATION:https://meet.example.com/" + uid.split("@")[0]]
        if stated:
            lines.append(f"X-ADVISOR-PURPOSES:{stated}")
        overrides: List[List[str]] = []
        stamp = "%Y%m%dT%H%M%S"
        if self.series % 10 == 0 and "MONTHLY" not in rule:  # in the export, one instance moved, one cancelled
            moved = _first_on(START + timedelta(hours=hour), rule)
            for offset, extra in ((0, []), (1, ["STATUS:CANCELLED"])):
                instance = _next_on(moved, rule, offset)
                begins, ends = instance + timedelta(hours=1), instance + timedelta(hours=1, minutes=minutes)
                overrides.append([f"UID:{uid}", "DTSTAMP:20260201T000000Z", "SEQUENCE:1", f"SUMMARY:{_escape(title)}",
                                  f"RECURRENCE-ID;TZID=Europe/Berlin:{instance.strftime(stamp)}",
                                  f"DTSTART;TZID=Europe/Berlin:{begins.strftime(stamp)}",
                                  f"DTEND;TZID=Europe/Berlin:{ends.strftime(stamp)}",
                                  *extra])
        for owner in people:
            people_lines = _people(people, replies, owner)
            self._add(owner, lines + people_lines)
            for override in overrides:
                self._add(owner, override + people_lines)

    def _one_off(self, title: str, people: List[str], guests: List[str], start: datetime, minutes: int) -> None:
        self.events += 1
        uid = f"event-{self.events}@{DOMAIN}"
        lines = [f"UID:{uid}", "DTSTAMP:20260201T000000Z", f"SUMMARY:{_escape(title)}",
                 f"DTSTART;TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}",
                 f"DTEND;TZID=Europe/Berlin:{start + timedelta(minutes=minutes):%Y%m%dT%H%M%S}"]
        replies = dict.fromkeys(people + guests, "ACCEPTED")
        for owner in people:
            self._add(owner, lines + _people(people + guests, replies, owner))

    def _add(self, owner: str, lines: List[str]) -> None:
        self.calendars[owner].append("\r\n".join(["BEGIN:VEVENT", *lines, "END:VEVENT"]))

    def write(self, folder: Path) -> Tuple[int, int]:
        """One .ics file per person; returns (files, bytes)."""
        folder.mkdir(parents=True, exist_ok=True)
        total = 0
        for email, events in self.calendars.items():
            header = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//advisor synthetic organisation//EN"]
            text = "\r\n".join([*header, *events, "END:VCALENDAR"]) + "\r\n"
            data = text.encode()
            (folder / f"{email.split('@')[0]}.ics").write_bytes(data)
            total += len(data)
        return len(self.calendars), total


def _people(people: List[str], replies: Dict[str, str], owner: str) -> List[str]:
    """The organizer (the first) and the attendees, as the owner's copy shows them."""
    lines = [f"ORGANIZER;CN={_name(people[0])}:mailto:{people[0]}"]
    for person in people:
        reply = replies[person] if person == owner or replies[person] == "DECLINED" else "ACCEPTED"
        lines.append(f"ATTENDEE;CN={_name(person)};PARTSTAT={reply}:mailto:{person}")
    return lines


def _name(email: str) -> str:
    return f"Person {int(email.split('@')[0][1:])}" if email.endswith(DOMAIN) else email.split("@")[0]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")


_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _first_on(begin: datetime, rule: str) -> datetime:
    """The first day on or after `begin` that the rule's BYDAY allows (same time of day)."""
    day = rule.split("BYDAY=")[1].split(";")[0].split(",")[0].lstrip("0123456789")
    moment = begin
    while _WEEKDAYS[moment.weekday()] != day:
        moment += timedelta(days=1)
    return moment


def _next_on(moment: datetime, rule: str, offset: int) -> datetime:
    """The instance `offset` periods after `moment`, for daily and weekly rules."""
    step = timedelta(days=1) if "FREQ=DAILY" in rule else timedelta(weeks=2 if "INTERVAL=2" in rule else 1)
    return moment + step * offset


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=8)
    args = parser.parse_args()
    organisation = Organisation(args.people, args.weeks).build()
    files, size = organisation.write(args.out)
    print(f"{files} files, {size / 1e6:.1f} MB, {organisation.series} series, {organisation.events} one-off meetings")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
