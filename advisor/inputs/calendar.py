"""Meeting load from iCalendar exports: read .ics files, expand recurrences, add up per person.

What counts as a meeting, for each person on it (ORGANIZER or ATTENDEE, matched by email):

* an event with a start time whose start falls in the window, lasting more than 0 and less
  than 24 hours, with at least two people invited (rooms and resources are not people);
* not cancelled (STATUS:CANCELLED, on the series or on one instance), not free time
  (TRANSP:TRANSPARENT or Outlook's BUSYSTATUS FREE), not declined (or delegated) by that person;
* all-day events (a date, no time) are not meetings.

Recurring series are expanded by `recurring-ical-events` (RRULE, RDATE, EXDATE, overridden
instances); time zones come from TZID (IANA, Windows or VTIMEZONE), X-WR-TIMEZONE, or, for
floating times, the window's own zone. The same event in several files counts once: copies
are merged by UID and RECURRENCE-ID, the newest copy (SEQUENCE, then LAST-MODIFIED) winning,
and a person's explicit reply in any current copy beating "needs action" in another.

Bounds, so that no calendar hangs the advisor: files over MAX_FILE_BYTES are refused; so are
events and windows outside the years 1900 to 2200, a series that could repeat more than
MAX_PER_DAY times a day or would take more than MAX_SERIES_STEPS steps from its start to the
window, and a window holding more than MAX_OCCURRENCES meetings. Reading the files (their
lines, their time zones' rules) and expanding them for a window each run under a budget of
steps and seconds, per file and for all of them (`advisor.inputs.calendar_budget`).
"""
from __future__ import annotations

import dataclasses
import functools
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

import icalendar
import recurring_ical_events
import x_wr_timezone

from advisor.errors import InputError, Problem, describe
from advisor.inputs.calendar_budget import (
    EXPANSION_SECONDS,
    LATEST,
    MAX_SERIES_STEPS,
    Budget,
    frequency_of,
    in_years,
    per_day,
    rule_steps,
    years_expected,
)
from advisor.inputs.files import read_file, regular_files
from advisor.inputs.yamlsafe import decode

MAX_FILE_BYTES = 16 * 1024 * 1024  # measured ~15 s to read (icalendar parses ~1.4 MB/s); export a shorter range
MAX_PER_DAY = 48  # a series repeating more often than every half hour is no meeting series
MAX_OCCURRENCES = 200_000
MAX_MEETING = timedelta(hours=24)  # a day or longer is a block of days, not a meeting
MAX_PROBLEMS = 20

NOT_ATTENDING = ("DECLINED", "DELEGATED")
NO_REPLY = ("", "NEEDS-ACTION")
NOT_PEOPLE = ("RESOURCE", "ROOM")

_DATE_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")
_CHECKED_COMPONENTS = ("VCALENDAR", "VEVENT", "VTIMEZONE", "STANDARD", "DAYLIGHT")
_QUOTED = re.compile(r"'(.*?)'(?::|$)")  # the line icalendar quotes in its error messages

PathLike = Union[str, "Path"]


# -- values ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Attendee:
    email: str
    name: Optional[str] = None


@dataclass(frozen=True)
class Occurrence:
    """One meeting in the window, with the people who did not decline it."""

    uid: str
    title: str
    start: datetime  # aware
    end: datetime
    people: Tuple[Attendee, ...]

    @property
    def seconds(self) -> int:
        return int((self.end - self.start).total_seconds())


@dataclass(frozen=True)
class SeriesView:
    """One series (or single event) as the merged copies show it (`Calendars.series`)."""

    uid: str
    event: Any  # icalendar.Event: the best copy of the series itself, else of its first instance
    file: str
    line: Optional[int]
    recurring: bool
    attendees: Tuple[Attendee, ...]  # who has not declined it, each person's own reply winning


@dataclass(frozen=True)
class PersonLoad:
    email: str
    name: Optional[str]
    meetings: int
    seconds: int

    @property
    def hours(self) -> float:
        return self.seconds / 3600


@dataclass(frozen=True)
class WindowLoad:
    """Everyone's meetings in [start, end): per person, and the meetings themselves."""

    start: datetime
    end: datetime
    window_days: int
    files: Tuple[str, ...]
    per_person: Tuple[PersonLoad, ...]  # most hours first
    occurrences: Tuple[Occurrence, ...]  # by start

    def person(self, email: str) -> PersonLoad:
        key = normalize_email(email)
        for load in self.per_person:
            if load.email == key:
                return load
        return PersonLoad(key, None, 0, 0)

    def only(self, selectors: Sequence[str]) -> "WindowLoad":
        """Only the people named by email or @domain; a named email without meetings shows as 0."""
        wanted = [normalize_email(s) for s in selectors]
        if not wanted:
            return self

        def chosen(email: str) -> bool:
            return any(email == w or (w.startswith("@") and email.endswith(w)) for w in wanted)

        people = [p for p in self.per_person if chosen(p.email)]
        known = {p.email for p in people}
        people += [PersonLoad(w, None, 0, 0) for w in dict.fromkeys(wanted) if not w.startswith("@") and w not in known]
        occurrences = []
        for occurrence in self.occurrences:
            kept = tuple(p for p in occurrence.people if chosen(p.email))
            if kept:
                occurrences.append(dataclasses.replace(occurrence, people=kept))
        return dataclasses.replace(self, per_person=tuple(people), occurrences=tuple(occurrences))

    def average(self) -> Tuple[int, float, float]:
        """How many people are listed, and their average meeting hours and meetings."""
        count = len(self.per_person)
        if not count:
            return 0, 0.0, 0.0
        return (count, sum(p.hours for p in self.per_person) / count,
                sum(p.meetings for p in self.per_person) / count)

    def meeting_load(self, meeting: Any, known: "frozenset[str]") -> "MeetingLoad":
        """The load of `meeting`'s audience in this window; `known` are the people the calendars
        name (an attendee no calendar knows is not counted as a person without meetings)."""
        people: Dict[str, AttendeeLoad] = {}
        for group in meeting.audience:
            if not group.email:
                continue
            email = normalize_email(group.email)
            if email in people:
                continue
            own = self.person(email)
            people[email] = AttendeeLoad(email, group.name or own.name, group.role, group.count,
                                         email in known, own.hours, own.meetings)
        if not people:
            raise InputError([Problem(meeting.source, "no attendee has an email: the calendars' meetings are "
                                      "matched to the audience by email", path="audience")])
        found = [p for p in people.values() if p.found]
        if not found:
            raise InputError([Problem(meeting.source, f"no attendee's email appears in {', '.join(self.files)}: "
                                      f"expected one of the audience ({', '.join(sorted(people))}) as ORGANIZER "
                                      "or ATTENDEE of an event", path="audience")])
        weight = sum(p.count for p in found)
        typed = meeting.recent_load
        replaced = {k: v for k, v in (("meeting_hours", typed.meeting_hours), ("meetings", typed.meetings))
                    if v is not None}
        return MeetingLoad(
            meeting_hours=sum(p.count * p.meeting_hours for p in found) / weight,
            meetings=sum(p.count * p.meetings for p in found) / weight,
            window_days=self.window_days,
            start=self.start,
            end=self.end,
            files=self.files,
            per_person=tuple(people.values()),
            replaced=replaced or None,
        )

    def per_day(self) -> List["DayLoad"]:
        """Each day of the window (in the zone of its end): meetings, their hours, attendee-hours."""
        zone = self.end.tzinfo
        days: Dict[date, DayLoad] = {}
        first, last = self.start.astimezone(zone).date(), (self.end - timedelta(microseconds=1)).astimezone(zone).date()
        day = first
        while day <= last:
            days[day] = DayLoad(day, 0, 0, 0)
            day += timedelta(days=1)
        for occurrence in self.occurrences:
            key = occurrence.start.astimezone(zone).date()
            before = days[key]
            days[key] = DayLoad(key, before.meetings + 1, before.seconds + occurrence.seconds,
                                before.attendee_seconds + occurrence.seconds * len(occurrence.people))
        return list(days.values())


@dataclass(frozen=True)
class DayLoad:
    day: date
    meetings: int
    seconds: int  # each meeting once
    attendee_seconds: int  # each meeting once per person on it

    @property
    def hours(self) -> float:
        return self.seconds / 3600

    @property
    def attendee_hours(self) -> float:
        return self.attendee_seconds / 3600


@dataclass(frozen=True)
class AttendeeLoad:
    """One person of a proposal's audience and their load, when the calendars know them."""

    email: str
    name: Optional[str]
    role: str
    count: int
    found: bool
    meeting_hours: float
    meetings: int

    def to_dict(self) -> Dict[str, Any]:
        return {"email": self.email, "name": self.name, "role": self.role,
                "meeting_hours": round(self.meeting_hours, 2), "meetings": self.meetings, "found": self.found}


@dataclass(frozen=True)
class MeetingLoad:
    """A proposal's audience load computed from calendars: the figures the rules use."""

    meeting_hours: float  # average per attendee found, over the window
    meetings: float
    window_days: int
    start: datetime
    end: datetime
    files: Tuple[str, ...]
    per_person: Tuple[AttendeeLoad, ...]
    replaced: Optional[Mapping[str, Any]] = None  # the typed recent_load figures: now only for those not found

    @property
    def source(self) -> str:
        found = sum(p.count for p in self.per_person if p.found)
        listed = sum(p.count for p in self.per_person)
        return f"calendar: {', '.join(self.files)} ({found} of {listed} attendees with an email found)"

    def apply_to(self, meeting: Any) -> Any:
        """The meeting with the figures of the attendees found taking the place of their groups' own.

        A calendar's figure comes first; the groups it did not find keep their own figures, else
        `recent_load`'s (docs/proposal.md, "Recent load").
        """
        found = {p.email: p for p in self.per_person if p.found}
        scale = 7 / self.window_days

        def counted(group: Any) -> Any:
            person = found.get(normalize_email(group.email)) if group.email else None
            if person is None:
                return group
            return group._replace(meeting_hours_last_7_days=round(person.meeting_hours * scale, 4),
                                  meetings_last_7_days=round(person.meetings * scale, 4))

        return meeting._replace(audience=tuple(counted(g) for g in meeting.audience))

    def to_dict(self) -> Dict[str, Any]:
        return {
            "meeting_hours": round(self.meeting_hours, 2),
            "meetings": round(self.meetings, 2),
            "window_days": self.window_days,
            "source": self.source,
            "files": list(self.files),
            "window": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "per_person": [p.to_dict() for p in self.per_person],
            "replaced": dict(self.replaced) if self.replaced else None,
        }


# -- reading ---------------------------------------------------------------------------------

@dataclass
class _Copy:
    """One VEVENT as one file has it."""

    event: Any  # icalendar.Event
    file: str
    line: Optional[int]
    order: int
    rule_line: Optional[int] = None  # of its RRULE, for errors found when it is expanded

    @functools.cached_property
    def rank(self) -> Tuple[int, float, int]:
        """Newer copies first: SEQUENCE, then LAST-MODIFIED, then the earlier file. Read once, when
        the copy joins its series (its order is set by then): a series is sorted at every join."""
        return (_sequence(self.event), _modified(self.event), -self.order)

    @functools.cached_property
    def invited(self) -> Tuple["Invited", ...]:
        """invited_people(event), once: every occurrence of a series asks for it again."""
        return tuple(invited_people(self.event))


@dataclass
class _Series:
    """Every copy of one UID: the series (or single event) and its overridden instances."""

    uid: str
    masters: List[_Copy] = dataclasses.field(default_factory=list)
    overrides: Dict[Any, List[_Copy]] = dataclasses.field(default_factory=dict)

    def add(self, copy: _Copy, recurrence_id: Any) -> None:
        target = self.masters if recurrence_id is None else self.overrides.setdefault(recurrence_id, [])
        target.append(copy)
        target.sort(key=lambda c: c.rank, reverse=True)

    @property
    def master(self) -> Optional[_Copy]:
        return self.masters[0] if self.masters else None

    @property
    def recurring(self) -> bool:
        master = self.master
        return bool(self.overrides) or (master is not None and ("RRULE" in master.event or "RDATE" in master.event))


class Calendars:
    """Events of one or more .ics files, merged by UID, ready to be counted over any window."""

    def __init__(self, files: Sequence[str], series: Mapping[str, _Series]):
        self.files = tuple(files)
        self._series = dict(series)
        self.people = frozenset(
            person.email
            for one in self._series.values()
            for copy in one.masters + [c for copies in one.overrides.values() for c in copies]
            for person in copy.invited
        )

    def occurrences(self, start: datetime, end: datetime, *,
                    budget_seconds: float = EXPANSION_SECONDS) -> List[Occurrence]:
        """The meetings whose start lies in [start, end) (aware datetimes), by start."""
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("the window needs aware datetimes")
        check_window(start, "the window")
        check_window(end, "the window")
        zone = end.tzinfo
        budget = Budget(seconds=budget_seconds, file_seconds=budget_seconds)
        found: List[Occurrence] = []
        singles: List[_Series] = []
        for series in self._series.values():
            if not series.recurring:
                singles.append(series)
                continue
            copy = _first_copy(series)
            budget.working_on(copy.file)
            budget.check_time(copy.file, copy.line, "expanding the recurring events", event_path(copy.event))
            found.extend(self._expand(series, start, end, zone, budget))
            if len(found) > MAX_OCCURRENCES:
                raise _too_many(series)
        budget.done()
        for series in singles:
            occurrence = self._single(series, start, end, zone)
            if occurrence is not None:
                found.append(occurrence)
        if len(found) > MAX_OCCURRENCES:
            raise _too_many(singles[-1])
        found.sort(key=lambda o: (o.start, o.uid))
        return found

    def load(self, end: datetime, window_days: int = 7, **options: Any) -> WindowLoad:
        """Everyone's meeting load in the `window_days` days before `end` (aware)."""
        check_window(end, "the window")
        start = end - timedelta(days=window_days)
        occurrences = self.occurrences(start, end, **options)
        totals: Dict[str, List[Any]] = {}
        for occurrence in occurrences:
            for person in occurrence.people:
                entry = totals.setdefault(person.email, [person.name, 0, 0])
                entry[0] = entry[0] or person.name
                entry[1] += 1
                entry[2] += occurrence.seconds
        per_person = sorted((PersonLoad(email, name, count, seconds)
                             for email, (name, count, seconds) in totals.items()),
                            key=lambda p: (-p.seconds, -p.meetings, p.email))
        return WindowLoad(start, end, window_days, self.files, tuple(per_person), tuple(occurrences))

    def load_for(self, meeting: Any, now: Optional[datetime] = None, **options: Any) -> MeetingLoad:
        """The audience's load in the window before the meeting's start (else before now)."""
        end = meeting.start or now or datetime.now(timezone.utc).astimezone()
        if meeting.start is not None:
            check_window(meeting.start, meeting.source, "start")
        window = self.load(end, meeting.recent_load.window_days, **options)
        return window.meeting_load(meeting, self.people)

    def series(self, uid: str) -> "SeriesView":
        """The event that stands for series (or single event) `uid`, and who attends it."""
        one = self._series[uid]
        copies = one.masters or next(iter(one.overrides.values()))
        return SeriesView(uid, copies[0].event, copies[0].file, copies[0].line, one.recurring,
                          _attending(copies, copies[0].invited))

    # -- expansion ---------------------------------------------------------------------------

    def _expand(self, series: _Series, start: datetime, end: datetime, zone: tzinfo,
                budget: Budget) -> Iterator[Occurrence]:
        master = series.master
        if master is not None:
            _check_rules(master, end, budget)
        calendar = icalendar.Calendar()
        if master is not None:
            calendar.add_component(master.event)
        for copies in series.overrides.values():
            calendar.add_component(copies[0].event)
        try:
            events = recurring_ical_events.of(calendar).between(start, end)
        except (ValueError, TypeError, OverflowError) as error:  # the library's InvalidCalendar is a ValueError
            copy = _first_copy(series)
            raise InputError([Problem(copy.file, f"cannot expand the series: {error}", copy.line, 1,
                                      event_path(copy.event))]) from None
        copy = _first_copy(series)
        budget.spend(len(events), copy.file, copy.line, "the occurrences of this series", event_path(copy.event))
        budget.check_time(copy.file, copy.line, "expanding the recurring events", event_path(copy.event))
        for event in events:
            key = _instant_key(event.get("RECURRENCE-ID"))
            copies = series.overrides.get(key) or series.masters
            occurrence = _occurrence(event, copies, series.masters, start, end, zone)
            if occurrence is not None:
                yield occurrence

    def _single(self, series: _Series, start: datetime, end: datetime, zone: tzinfo) -> Optional[Occurrence]:
        copies = series.masters or next(iter(series.overrides.values()))
        return _occurrence(copies[0].event, copies, series.masters, start, end, zone)


def read_calendars(paths: Iterable[PathLike], max_bytes: int = MAX_FILE_BYTES,
                   budget: Optional[Budget] = None) -> Calendars:
    """Read .ics files (or folders of them) into one set of events, or raise InputError.

    `budget` bounds the reading of all the files (by default, `Budget()`'s limits)."""
    files = calendar_files(paths)
    budget = budget or Budget()

    def parsed() -> Iterator[Tuple[str, List[Any], "_Lines"]]:
        for file in files:
            budget.working_on(file)
            budget.check_time(file, None, "reading the calendars")
            yield (file, *read_calendar_file(file, max_bytes, budget))

    calendars = build_calendars(parsed())
    budget.done()
    return calendars


def build_calendars(parsed: Iterable[Tuple[str, List[Any], "_Lines"]]) -> Calendars:
    """One set of events from files already parsed (`parse_calendar`): (file, VCALENDARs, lines)."""
    files: List[str] = []
    series: Dict[str, _Series] = {}
    order = 0
    for file, calendars, lines in parsed:
        files.append(file)
        for copy, recurrence_id in _copies(calendars, file, lines):
            order += 1
            copy.order = order
            uid = str(copy.event.get("UID") or f"{file}#{order}")
            series.setdefault(uid, _Series(uid)).add(copy, recurrence_id)
    return Calendars(files, series)


def calendar_files(paths: Iterable[PathLike]) -> List[str]:
    """The .ics files named, a folder standing for the .ics files in it (sorted)."""
    files: List[str] = []
    problems: List[Problem] = []
    for path in paths:
        entry = Path(path)
        if entry.is_dir():
            try:
                inside = regular_files(entry, (".ics",), hidden_files=True, ignore_case=True)
            except OSError as error:
                problems.append(Problem(str(path), f"cannot read the folder: {error.strerror or error}"))
                continue
            if not inside:
                problems.append(Problem(str(path), "the folder holds no .ics file"))
            files.extend(inside)
        elif entry.exists():  # a file, or a pipe named here; read_calendar_file refuses the rest
            files.append(str(path))
        else:
            problems.append(Problem(str(path), "cannot read the calendar: No such file or directory"))
    if problems:
        raise InputError(problems)
    return list(dict.fromkeys(files))


def read_calendar_file(file: str, max_bytes: int = MAX_FILE_BYTES,
                       budget: Optional[Budget] = None) -> Tuple[List[Any], "_Lines"]:
    """The VCALENDARs of one file, and where its lines are; InputError if unreadable."""
    return parse_calendar(read_calendar_bytes(file, max_bytes), file, max_bytes, budget=budget)


def read_calendar_bytes(file: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a calendar file, through the one bounded reader (a device is refused unread,
    a pipe read under the limit); InputError if it cannot be read or is too large."""
    try:
        size = os.stat(file).st_size
    except OSError as error:
        raise InputError([Problem(file, f"cannot read the calendar: {error.strerror or error}")]) from None
    if size > max_bytes:  # a regular file says its size: refused without reading it
        raise InputError([_too_large(file, size, max_bytes)])
    return read_file(file, max_bytes)


def parse_calendar(raw: bytes, file: str, max_bytes: int = MAX_FILE_BYTES, *,
                   budget: Optional[Budget] = None) -> Tuple[List[Any], "_Lines"]:
    """The VCALENDARs (icalendar objects) in `raw`, X-WR-TIMEZONE applied, and where its lines
    are; InputError naming the line of every broken line or value, or of what would take more
    than `budget` (by default, a `Budget()` of its own) allows."""
    check_size(raw, file, max_bytes)
    budget = budget or Budget()
    lines_written = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    budget.spend(lines_written, file, None, "reading its lines")  # before they cost any memory
    return _parse_text(decode(raw, file), file, budget)


def check_size(raw: bytes, file: str, max_bytes: int = MAX_FILE_BYTES) -> None:
    """InputError when a calendar is over `max_bytes`, before anything of it is read."""
    if len(raw) > max_bytes:
        raise InputError([_too_large(file, len(raw), max_bytes)])


def parse_calendar_text(text: str, file: str, *, budget: Optional[Budget] = None) -> Tuple[List[Any], "_Lines"]:
    """`parse_calendar` for a calendar already decoded (its size checked by `check_size`)."""
    budget = budget or Budget()
    budget.spend(text.count("\n") + (0 if text.endswith("\n") else 1), file, None, "reading its lines")
    return _parse_text(text, file, budget)


def _parse_text(text: str, file: str, budget: Budget) -> Tuple[List[Any], "_Lines"]:
    lines = _Lines(text)
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except ValueError as error:
        raise InputError([Problem(file, f"not an iCalendar file: {_short(error)}",
                                  lines.find_quoted(str(error)), 1)]) from None
    budget.check_time(file, None, "reading the file")
    if not calendars:
        raise InputError([Problem(file, "not an iCalendar file: expected BEGIN:VCALENDAR ... END:VCALENDAR", 1, 1)])
    problems = list(_component_problems(calendars, file, lines))
    if problems:
        raise InputError(_capped(problems))
    _charge_time_zones(calendars, file, lines, budget)  # before any time is converted with them
    return [_standard_time(calendar, file, lines) for calendar in calendars], lines


def _charge_time_zones(calendars: Sequence[Any], file: str, lines: "_Lines", budget: Budget) -> None:
    """Charge each VTIMEZONE rule the transitions dateutil may work through up to the latest
    window, before anything asks a time zone for an offset: a rule repeating every minute since
    1601 is refused here, instead of being expanded, unbounded, by the first conversion."""
    seen = {"STANDARD": 0, "DAYLIGHT": 0}
    for calendar in calendars:
        for zone in calendar.walk("VTIMEZONE"):
            for part in zone.subcomponents:
                if part.name not in seen:
                    continue
                begin = lines.begin_line(part.name, seen[part.name])
                seen[part.name] += 1
                where = f"VTIMEZONE[{zone.get('TZID', '')}].{part.name}.RRULE"
                line = lines.property_line(begin, "RRULE")
                starts = getattr(part.get("DTSTART"), "dt", None)
                for rule in as_list(part.get("RRULE")):
                    if not isinstance(starts, datetime):
                        raise InputError([Problem(file, "expected a DTSTART date and time before an RRULE", begin,
                                                  1, where)])
                    try:
                        steps = rule_steps(rule, _aware(starts, timezone.utc), LATEST)
                    except ValueError as error:
                        raise InputError([Problem(file, f"RRULE {error}", line, 1, where)]) from None
                    budget.spend(steps, file, line, "the time zone's rule", where)


def _too_large(file: str, size: int, limit: int) -> Problem:
    return Problem(file, f"file too large: {size:,} bytes, the limit is {limit:,}; export a shorter date range")


def _copies(calendars: Sequence[Any], file: str, lines: "_Lines") -> List[Tuple[_Copy, Any]]:
    """Every VEVENT with its RECURRENCE-ID key, after checking what icalendar lets through."""
    problems: List[Problem] = []
    copies: List[Tuple[_Copy, Any]] = []
    index = 0
    for calendar in calendars:
        for event in calendar.walk("VEVENT"):
            line = lines.begin_line("VEVENT", index)
            index += 1
            problem = _event_problem(event, file, line, lines)
            if problem is not None:
                problems.append(problem)
                continue
            rule_line = lines.property_line(line, "RRULE") if "RRULE" in event else None
            copies.append((_Copy(event, file, line, index, rule_line), _instant_key(event.get("RECURRENCE-ID"))))
    if problems:
        raise InputError(_capped(problems))
    return copies


def _event_problem(event: Any, file: str, line: Optional[int], lines: "_Lines") -> Optional[Problem]:
    where = event_path(event)
    if "DTSTART" not in event:
        return Problem(file, "expected a DTSTART: an event needs a start", line, 1, where)
    for name in _DATE_PROPERTIES:
        for value in as_list(event.get(name)):
            zone = value.params.get("TZID") if hasattr(value, "params") else None
            moments = _datetimes(value)
            if zone and any(isinstance(d, datetime) and d.tzinfo is None for d in moments):
                return Problem(file, f"unknown time zone '{zone}': expected an IANA or Windows name, or a "
                                     "VTIMEZONE in the file", lines.property_line(line, name), 1, f"{where}.{name}")
            outside = next((d for d in moments if isinstance(d, date) and not in_years(d)), None)
            if outside is not None:
                return Problem(file, f"{years_expected()}, found {outside.isoformat()}",
                               lines.property_line(line, name), 1, f"{where}.{name}")
    return None


def _standard_time(calendar: Any, file: str, lines: "_Lines") -> Any:
    """Apply X-WR-TIMEZONE (Google's calendar zone): UTC and floating times move into it."""
    zone_name = calendar.get("X-WR-TIMEZONE")
    if not zone_name:
        return calendar
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo(str(zone_name))
    except (ValueError, KeyError, OSError):
        raise InputError([Problem(file, f"unknown time zone '{zone_name}': expected an IANA name",
                                  lines.find_prefix("X-WR-TIMEZONE"), 1, "X-WR-TIMEZONE")]) from None
    converted = _ZoneWalker(zone).walk(calendar)
    converted.pop("X-WR-TIMEZONE", None)  # applied once, here
    return converted


class _ZoneWalker(x_wr_timezone.UTCChangingWalker):  # type: ignore[misc]
    """x-wr-timezone's walker, except that a VTIMEZONE without TZNAME is not 'floating'."""

    def is_Floating(self, dt: datetime) -> bool:
        return dt.tzinfo is None


def _component_problems(calendars: Sequence[Any], file: str, lines: "_Lines") -> Iterator[Problem]:
    seen: Dict[str, int] = {}
    for calendar in calendars:
        for component in calendar.walk():
            name = component.name or ""
            index = seen.get(name, 0)
            seen[name] = index + 1
            if name not in _CHECKED_COMPONENTS or not component.errors:
                continue
            begin = lines.begin_line(name, index)
            for prop, message in component.errors:
                if prop is None:
                    line = lines.find_quoted(message, begin) or begin
                    quoted = _QUOTED.search(message)
                    found = describe(quoted.group(1)) if quoted else _first_part(message)
                    yield Problem(file, f"unreadable line: expected NAME:value or NAME;PARAMETER=...:value, found "
                                        f"{found}", line, 1, _component_path(component))
                else:
                    line = lines.property_line(begin, prop) or begin
                    yield Problem(file, f"bad {prop} value: {message}", line, 1, f"{_component_path(component)}.{prop}")


# -- one occurrence --------------------------------------------------------------------------

def _occurrence(event: Any, copies: Sequence[_Copy], masters: Sequence[_Copy], start: datetime, end: datetime,
                zone: tzinfo) -> Optional[Occurrence]:
    """The meeting `event` is in [start, end), or None when it is no meeting or not there."""
    begins = event.get("DTSTART")
    if begins is None or not isinstance(begins.dt, datetime):
        return None  # all-day
    first = _aware(begins.dt, zone)
    if not start <= first < end:
        return None
    try:
        last = _aware(event.end, zone) if ("DTEND" in event or "DURATION" in event) else first
    except Exception:
        return None
    if not timedelta(0) < last - first < MAX_MEETING:
        return None
    if str(event.get("STATUS", "")).upper() == "CANCELLED" or _free(event):
        return None
    people_source = copies if copies[0].invited else masters or copies
    invited = people_source[0].invited
    if len({p.email for p in invited}) < 2:
        return None  # a block in one person's calendar, not a meeting
    attending = _attending(people_source, invited)
    if not attending:
        return None
    return Occurrence(str(event.get("UID", "")), str(event.get("SUMMARY", "")), first, last, attending)


def _free(event: Any) -> bool:
    return (str(event.get("TRANSP", "")).upper() == "TRANSPARENT"
            or str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() == "FREE")


@dataclass(frozen=True)
class Invited:
    email: str
    name: Optional[str]
    reply: str  # PARTSTAT, upper case; "" when absent
    organizer: bool


def invited_people(event: Any) -> List[Invited]:
    """Organizer and attendees who are people, each once (the organizer first)."""
    people: Dict[str, Invited] = {}
    for prop, organizer in [(event.get("ORGANIZER"), True)] + [(a, False) for a in as_list(event.get("ATTENDEE"))]:
        if prop is None:
            continue
        params = getattr(prop, "params", {})
        if str(params.get("CUTYPE", "")).upper() in NOT_PEOPLE:
            continue
        email = normalize_email(str(prop))
        if "@" not in email:
            continue
        reply = str(params.get("PARTSTAT", "")).upper()
        name = params.get("CN")
        known = people.get(email)
        if known is None:
            people[email] = Invited(email, str(name) if name else None, reply, organizer)
        elif not organizer:  # the organizer also listed as attendee: their reply counts
            people[email] = Invited(email, known.name or (str(name) if name else None), reply, known.organizer)
    return list(people.values())


def _attending(copies: Sequence[_Copy], invited: Sequence[Invited]) -> Tuple[Attendee, ...]:
    """Who did not decline: the newest copy's reply, unless it is 'needs action' and another
    current copy (same SEQUENCE) holds the person's own reply."""
    sequence = _sequence(copies[0].event)
    current = [c for c in copies if _sequence(c.event) == sequence]
    replies: Dict[str, str] = {}
    for copy in reversed(current):  # the best copy last, so that it wins among explicit replies
        for person in copy.invited:
            if person.reply not in NO_REPLY or person.email not in replies:
                replies[person.email] = person.reply
    winner = {p.email: p.reply for p in invited}
    result = []
    for person in invited:
        reply = winner[person.email]
        if reply in NO_REPLY:
            reply = replies.get(person.email, reply)
        if reply not in NOT_ATTENDING:
            result.append(Attendee(person.email, person.name))
    return tuple(result)


# -- recurrence bounds ----------------------------------------------------------------------

def _check_rules(master: _Copy, end: datetime, budget: Budget) -> None:
    """Refuse a rule no meeting series has, and charge the budget what expanding it costs,
    before dateutil works through it from the series' start to the window."""
    event = master.event
    first = _aware(event.get("DTSTART").dt, end.tzinfo or timezone.utc)
    for rule in as_list(event.get("RRULE")):
        try:
            frequency_of(rule)
        except ValueError as error:
            raise _rule_problem(master, str(error)) from None
        times = per_day(rule)
        if times > MAX_PER_DAY:
            raise _rule_problem(master, f"repeats up to {times:,.0f} times a day, more than {MAX_PER_DAY}: "
                                        "not a meeting series")
        steps = rule_steps(rule, first, end)
        if steps > MAX_SERIES_STEPS:
            raise _rule_problem(master, f"would take {steps:,} steps from its start to the window, more "
                                        f"than {MAX_SERIES_STEPS:,}: not a meeting series")
        budget.spend(steps, master.file, master.rule_line or master.line, "expanding this series",
                     f"{event_path(event)}.RRULE")


def check_window(moment: datetime, source: str, path: str = "") -> None:
    """Refuse a window that starts or ends outside the years calendars are read for."""
    if not in_years(moment):
        raise InputError([Problem(source, f"{years_expected()}, found {moment.isoformat()}", path=path)])


def _rule_problem(copy: _Copy, message: str) -> InputError:
    return InputError([Problem(copy.file, f"RRULE {message}", copy.rule_line or copy.line, 1,
                               f"{event_path(copy.event)}.RRULE")])


def _first_copy(series: _Series) -> _Copy:
    return series.master or next(iter(series.overrides.values()))[0]


def _too_many(series: _Series) -> InputError:
    copy = _first_copy(series)
    return InputError([Problem(copy.file, f"more than {MAX_OCCURRENCES:,} meetings in the window: "
                                          "not a calendar of people", copy.line, 1, event_path(copy.event))])


# -- small helpers ---------------------------------------------------------------------------

def normalize_email(value: str) -> str:
    """'MAILTO:Dana@Example.com ' -> 'dana@example.com'."""
    text = value.strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    return text.strip().lower()


def _aware(value: Any, zone: tzinfo) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    return datetime(value.year, value.month, value.day, tzinfo=zone)


def _instant_key(prop: Any) -> Any:
    """A RECURRENCE-ID as a comparable key: UTC for aware times, else the wall time or date."""
    if prop is None:
        return None
    value = getattr(prop, "dt", prop)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat() if isinstance(value, (date, datetime)) else str(value)


def _sequence(event: Any) -> int:
    try:
        return int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _modified(event: Any) -> float:
    for name in ("LAST-MODIFIED", "DTSTAMP"):
        value = getattr(event.get(name), "dt", None)
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    return 0.0


def as_list(value: Any) -> List[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _datetimes(value: Any) -> List[Any]:
    if hasattr(value, "dts"):  # EXDATE / RDATE lists
        return [d.dt for d in value.dts]
    return [getattr(value, "dt", None)]


def event_path(event: Any) -> str:
    uid = event.get("UID")
    return f"VEVENT[{uid}]" if uid else "VEVENT"


def _component_path(component: Any) -> str:
    return event_path(component) if component.name == "VEVENT" else str(component.name)


def _short(error: Exception) -> str:
    return _first_part(str(error))[:120]


def _first_part(message: str) -> str:
    """icalendar's messages repeat the line after a colon; keep the reason."""
    return message.split(": Invalid content line")[0]


def _capped(problems: List[Problem]) -> List[Problem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    return problems[:MAX_PROBLEMS] + [Problem(problems[0].file, f"... and {rest} more problems")]


class _Lines:
    """Where things are in the file, for error positions (icalendar keeps none).

    Content lines are unfolded (a line starting with a space continues the one before) and
    keep the number of the physical line they start on.
    """

    def __init__(self, text: str):
        self.logical: List[Tuple[int, str]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line[:1] in (" ", "\t") and self.logical:
                first, before = self.logical[-1]
                self.logical[-1] = (first, before + line[1:])
            else:
                self.logical.append((number, line))
        self._begins: Dict[str, List[int]] = {}
        # built once: a scan per lookup made reading quadratic in the number of events
        self._positions = {number: position for position, (number, _) in enumerate(self.logical)}
        for position, (_, line) in enumerate(self.logical):
            if line.upper().startswith("BEGIN:"):
                self._begins.setdefault(line[6:].strip().upper(), []).append(position)

    def begin_line(self, component: str, index: int) -> Optional[int]:
        positions = self._begins.get(component.upper(), [])
        return self.logical[positions[index]][0] if index < len(positions) else None

    def _from(self, line: Optional[int]) -> Iterator[Tuple[int, str]]:
        """The logical lines from the one starting at physical `line` (else the first), without
        copying the rest of the list: a slice per lookup is quadratic too."""
        first = self._positions.get(line, 0) if line is not None else 0
        for position in range(first, len(self.logical)):
            yield self.logical[position]

    def property_line(self, begin: Optional[int], name: str) -> Optional[int]:
        """The first line of property `name` in the component starting at line `begin`."""
        prefix = name.upper()
        for number, line in self._from(begin):
            head = line.upper()
            if head.startswith("END:"):
                break
            if head.startswith(prefix) and head[len(prefix):len(prefix) + 1] in (":", ";"):
                return number
        return begin

    def find_prefix(self, name: str) -> Optional[int]:
        return self.property_line(self.logical[0][0] if self.logical else None, name)

    def find_quoted(self, message: str, begin: Optional[int] = None) -> Optional[int]:
        """The line that icalendar quotes in `message` ('...'), searched from `begin`."""
        match = _QUOTED.search(message)
        if not match:
            return begin
        quoted = match.group(1)
        for number, line in self._from(begin):
            if line == quoted or (quoted and line.startswith(quoted)):
                return number
        return begin
