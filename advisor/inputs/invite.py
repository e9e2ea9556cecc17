"""A calendar invitation (an .ics VEVENT) read as a meeting proposal.

From iCalendar: the title (SUMMARY), start and duration (DTSTART, DTEND or DURATION), recurrence
(RRULE, to the nearest of none, daily, weekly, biweekly, monthly), the organizer and attendees
(declined ones, rooms and resources left out), the description (its bulleted or numbered lines
become the agenda). Roles come from a roles file (an email address or an @domain to a role),
else `other`; people at another domain than the organizer's are external unless the roles file
says otherwise. Everyone is remote when the event has a conference link or no location.

What iCalendar cannot say comes from the caller (`purposes`, `decision_required`) or from the
event's own X-ADVISOR-PURPOSES (comma-separated purpose words) and X-ADVISOR-DECISION (TRUE or
FALSE) properties; an invitation without purposes is refused. The advisor's own note in the
description (`advisor.inputs.annotation`) is not the organizer's text, and is not read.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Union

from advisor.core.meeting import Meeting
from advisor.core.vocabulary import EXTERNAL_ROLES, OCCURRENCES_PER_YEAR, PURPOSES
from advisor.errors import InputError, Problem, describe, did_you_mean
from advisor.inputs.annotation import without_note
from advisor.inputs.calendar import NOT_ATTENDING, as_list, event_path, invited_people, normalize_email, parse_calendar
from advisor.inputs.files import read_file
from advisor.inputs.proposal import meeting_from_mapping
from advisor.inputs.schema import ROLE
from advisor.inputs.yamlsafe import Document, load_yaml

CONFERENCE_PROPERTIES = ("CONFERENCE", "X-GOOGLE-CONFERENCE", "X-MICROSOFT-SKYPETEAMSMEETINGURL",
                         "X-MICROSOFT-ONLINEMEETINGCONFLINK", "X-MICROSOFT-ONLINEMEETINGEXTERNALLINK")
CONFERENCE_LINK = re.compile(
    r"https?://[^\s\"'<>]*(zoom\.us|teams\.microsoft\.com|teams\.live\.com|meet\.google\.com|webex\.com|"
    r"whereby\.com|gotomeeting\.com|meet\.goto\.com|bluejeans\.com|chime\.aws|meet\.jit\.si)", re.IGNORECASE)
_AGENDA_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+(\S.*)$")
_DAYS_PER_PERIOD = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 30.44, "YEARLY": 365.25}
_PURPOSES_PROPERTY = "X-ADVISOR-PURPOSES"
_DECISION_PROPERTY = "X-ADVISOR-DECISION"


@dataclass(frozen=True)
class RoleEntry:
    role: str
    remote: Optional[bool] = None
    external: Optional[bool] = None
    hourly_cost: Optional[float] = None
    name: Optional[str] = None


@dataclass(frozen=True)
class Roles:
    """Who is who: an exact address first, then the address's @domain."""

    entries: Mapping[str, RoleEntry]

    def lookup(self, email: str) -> Optional[RoleEntry]:
        key = normalize_email(email)
        return self.entries.get(key) or self.entries.get("@" + key.rpartition("@")[2])


@dataclass(frozen=True)
class InviteOptions:
    """What the caller adds to an invitation: purposes, whether a decision is needed, roles."""

    purposes: Sequence[str] = ()
    decision_required: Optional[bool] = None
    roles: Optional[Roles] = None

    @classmethod
    def from_arguments(cls, purposes: Sequence[str] = (), decision_required: Optional[bool] = None,
                       roles_file: Optional[str] = None) -> "InviteOptions":
        """Options as the command line gives them: purposes repeated or comma-separated, a roles file."""
        words = [word.strip() for item in purposes for word in item.split(",") if word.strip()]
        return cls(tuple(words), decision_required, read_roles(roles_file) if roles_file else None)


def read_invite(path: Union[str, Path], options: InviteOptions = InviteOptions()) -> Meeting:
    """The proposal in the invitation file at `path`."""
    return parse_invite(read_file(path), str(path), options)


def parse_invite(raw: bytes, file: str, options: InviteOptions = InviteOptions()) -> Meeting:
    """The proposal an invitation makes, or InputError naming what is missing or wrong."""
    calendars, _ = parse_calendar(raw, file)
    event = _the_event([e for calendar in calendars for e in calendar.walk("VEVENT")], file)
    return meeting_from_mapping(invite_to_proposal(event, file, options), file)


def invite_to_proposal(event: Any, file: str, options: InviteOptions = InviteOptions(), *,
                       purposes_required: bool = True) -> Dict[str, Any]:
    """The proposal (docs/proposal.md) an icalendar VEVENT makes, as a mapping still to validate.

    With `purposes_required=False`, an event that states no purpose (and is given none) gets an
    empty list of purposes instead of a refusal: the caller says what it is for, or that nobody can."""
    where = event_path(event)
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        raise _problem(file, f"{where}.STATUS", "the event is cancelled: expected an event to take place")
    title = str(event.get("SUMMARY", "")).strip()
    if not title:
        raise _problem(file, f"{where}.SUMMARY", "expected a SUMMARY (the meeting's title), found none")
    begins = event.get("DTSTART")
    if begins is None or not isinstance(begins.dt, datetime):
        raise _problem(file, f"{where}.DTSTART", "expected a start date and time, found "
                       + ("none" if begins is None else "a whole day (an all-day event is not a meeting)"))
    if "DTEND" not in event and "DURATION" not in event:
        raise _problem(file, f"{where}.DTEND", "expected DTEND or DURATION, found neither")
    minutes = round((event.end - event.start).total_seconds() / 60)
    proposal: Dict[str, Any] = {
        "title": title,
        "purposes": _purposes(event, file, options, purposes_required),
        "duration_minutes": minutes,
        "recurrence": recurrence_of(event),
        "decision_required": _decision(event, file, options),
        "audience": list(_audience(event, options.roles)),
        "start": _start_text(begins.dt),
    }
    organizer = _organizer(event, options.roles)
    if organizer:
        proposal["organizer"] = organizer
    description = organizer_description(event).strip()
    if description:
        proposal["description"] = description
        agenda = [m.group(1).strip() for m in map(_AGENDA_ITEM.match, description.splitlines()) if m]
        if agenda:
            proposal["agenda"] = agenda
    if not proposal["audience"]:
        raise _problem(file, f"{where}.ATTENDEE", "expected an ORGANIZER or ATTENDEE with an email address, "
                                                  "found none who attends")
    return proposal


def recurrence_of(event: Any) -> str:
    """The nearest recurrence word for the event's first RRULE, by occurrences a year."""
    rules = as_list(event.get("RRULE"))
    if not rules:
        return "none"
    rule = rules[0]
    frequency = str((rule.get("FREQ") or [""])[0]).upper()
    interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
    days = _DAYS_PER_PERIOD.get(frequency, 1 / 24) * interval  # sub-daily rules count as daily
    per_period = len(rule.get("BYDAY") or []) if frequency == "WEEKLY" else 1
    per_year = 365.25 / days * max(1, per_period)
    if per_year >= 150:
        return "daily"
    rarer = {word: count for word, count in OCCURRENCES_PER_YEAR.items() if word != "daily"}
    return min(rarer, key=lambda word: abs(math.log(rarer[word]) - math.log(per_year)))


def occurrences_per_year(event: Any) -> int:
    """How many times a year the event's first RRULE holds it, from its frequency, interval and
    days: weekdays (FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR) 260, FREQ=WEEKLY;BYDAY=MO,TH 104, every
    two weeks 26, FREQ=MONTHLY;BYDAY=1TU 12; 1 without a rule. A year is 52 weeks of 7 days,
    so that the figures of a series add up as people count them."""
    rules = as_list(event.get("RRULE"))
    if not rules:
        return 1
    rule = rules[0]
    frequency = str((rule.get("FREQ") or [""])[0]).upper()
    interval = max(1, int((rule.get("INTERVAL") or [1])[0]))
    days = [str(day) for day in rule.get("BYDAY") or []]
    every_week = [day for day in days if day == day.lstrip("+-0123456789")]  # MO; 1MO is once a month
    if frequency == "DAILY":
        per_year = 52 * len(set(days)) if days else 364
    elif frequency == "WEEKLY":
        per_year = 52 * max(1, len(set(days)))
    elif frequency == "MONTHLY":
        per_month = len(rule.get("BYMONTHDAY") or []) or len(days) - len(every_week)
        per_year = 12 * per_month + 52 * len(every_week) if per_month or every_week else 12
    elif frequency == "YEARLY":
        per_year = max(1, len(rule.get("BYMONTH") or []))
    else:  # sub-daily rules are no meeting series; count them as daily ones
        per_year = 364
    return max(1, round(per_year / interval))


def has_conference_link(event: Any) -> bool:
    if any(event.get(name) for name in CONFERENCE_PROPERTIES):
        return True
    return any(CONFERENCE_LINK.search(text) for text in (str(event.get("LOCATION", "")), str(event.get("URL", "")),
                                                         organizer_description(event)))


def organizer_description(event: Any) -> str:
    """The event's DESCRIPTION as the organizer wrote it, without the advisor's note."""
    return without_note(str(event.get("DESCRIPTION", "")))


def read_roles(path: Union[str, Path]) -> Roles:
    """The roles file: `email: role`, `"@domain": role`, or `email: {role, remote, external, hourly_cost, name}`."""
    name = str(path)
    document = load_yaml(read_file(path), name)
    return roles_from_document(document)


def roles_from_document(document: Document) -> Roles:
    from jsonschema import Draft202012Validator

    from advisor.inputs.schema import problems_against

    problems = problems_against(Draft202012Validator(ROLES_SCHEMA), document, _explain)
    if problems:
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.column or 0)))
    entries = {}
    for key, value in document.data.items():
        fields = {"role": value} if isinstance(value, str) else dict(value)
        entries[normalize_email(key)] = RoleEntry(**fields)
    return Roles(entries)


ROLES_SCHEMA: Dict[str, Any] = {
    "type": "object",
    "propertyNames": {"pattern": "@"},
    "additionalProperties": {
        "if": {"type": "string"},
        "then": ROLE,
        "else": {
            "type": "object",
            "required": ["role"],
            "additionalProperties": False,
            "properties": {
                "role": ROLE,
                "remote": {"type": "boolean"},
                "external": {"type": "boolean"},
                "hourly_cost": {"type": "number", "minimum": 0, "maximum": 100_000},
                "name": {"type": "string", "minLength": 1},
            },
        },
    },
}


# -- the parts -------------------------------------------------------------------------------

def _the_event(events: List[Any], file: str) -> Any:
    """The invitation's one event: the series itself when overridden instances come along."""
    uids = list(dict.fromkeys(str(e.get("UID", "")) for e in events))
    if not events:
        raise InputError([Problem(file, "expected a VEVENT (the invitation), found none")])
    if len(uids) > 1:
        shown = ", ".join(uids[:3]) + (", ..." if len(uids) > 3 else "")
        raise InputError([Problem(file, f"expected one event (an invitation), found {len(uids)}: {shown}; "
                                        "use --calendar to count a calendar's meetings")])
    masters = [e for e in events if "RECURRENCE-ID" not in e]
    return masters[0] if masters else events[0]


def stated_purposes(event: Any) -> List[str]:
    """The purpose words of the event's own X-ADVISOR-PURPOSES property (none when it has none)."""
    if event.get(_PURPOSES_PROPERTY) is None:
        return []
    text = str(event.get(_PURPOSES_PROPERTY)).replace("\\,", ",")
    return [word.strip().lower() for word in text.split(",") if word.strip()]


def _purposes(event: Any, file: str, options: InviteOptions, required: bool = True) -> List[str]:
    words = list(options.purposes) or stated_purposes(event)
    if not words and not required:
        return []
    if not words:
        raise _problem(file, "purposes", f"an invitation does not say what the meeting is for: expected --purpose "
                                         f"WORD or an {_PURPOSES_PROPERTY} property (words: {', '.join(PURPOSES)}), "
                                         "found none")
    return list(dict.fromkeys(words))


def _decision(event: Any, file: str, options: InviteOptions) -> bool:
    if options.decision_required is not None:
        return options.decision_required
    value = event.get(_DECISION_PROPERTY)
    if value is None:
        return False
    text = str(value).strip().upper()
    if text not in ("TRUE", "FALSE"):
        raise _problem(file, f"{event_path(event)}.{_DECISION_PROPERTY}", f"expected TRUE or FALSE, found "
                                                                           f"{describe(str(value))}")
    return text == "TRUE"


def _organizer(event: Any, roles: Optional[Roles]) -> Optional[Dict[str, Any]]:
    people = [p for p in invited_people(event) if p.organizer]
    if not people:
        return None
    person = people[0]
    entry = roles.lookup(person.email) if roles else None
    found = {"email": person.email, "name": (entry and entry.name) or person.name,
             "role": entry.role if entry else "other"}
    return {key: value for key, value in found.items() if value}


def _audience(event: Any, roles: Optional[Roles]) -> Iterator[Dict[str, Any]]:
    """The organizer and attendees who did not decline, one group each."""
    people = invited_people(event)
    organizers = [p for p in people if p.organizer]
    home = organizers[0].email.rpartition("@")[2] if organizers else None
    remote = has_conference_link(event) or not str(event.get("LOCATION", "")).strip()
    for person in people:
        if person.reply in NOT_ATTENDING:
            continue
        entry = roles.lookup(person.email) if roles else None
        role = entry.role if entry else "other"
        external = entry.external if entry and entry.external is not None else (
            role in EXTERNAL_ROLES or (home is not None and person.email.rpartition("@")[2] != home))
        group: Dict[str, Any] = {
            "role": role,
            "email": person.email,
            "remote": entry.remote if entry and entry.remote is not None else remote,
            "external": external,
        }
        name = (entry and entry.name) or person.name
        if name:
            group["name"] = name
        if entry and entry.hourly_cost is not None:
            group["hourly_cost"] = entry.hourly_cost
        yield group


def _start_text(value: datetime) -> str:
    """DTSTART for the proposal's `start`, keeping an IANA zone so that windows follow its clock."""
    key = getattr(value.tzinfo, "key", None)
    return value.isoformat() + (f"[{key}]" if key else "")


def _problem(file: str, path: str, message: str) -> InputError:
    return InputError([Problem(file, message, path=path)])


def _explain(error: Any, document: Document) -> Iterator[Problem]:
    """A roles-file schema error as a sentence a person can act on."""
    path = tuple(error.absolute_path)
    kind, value, schema = error.validator, error.instance, error.schema
    if kind in ("if", "then", "else"):
        for sub in error.context or ():
            yield from _explain(sub, document)
    elif kind == "pattern":  # propertyNames: the instance is the key itself
        yield document.problem(path + (value,), f"expected an email address or an @domain, found {describe(value)}",
                               key=True)
    elif kind == "enum":
        hint = did_you_mean(value, schema["enum"]) or f": expected one of {', '.join(schema['enum'])}"
        yield document.problem(path, f"unknown role {describe(value)}{hint}")
    elif kind == "additionalProperties":
        for key in value:
            if key not in schema.get("properties", {}):
                known = list(schema.get("properties", {}))
                yield document.problem(path + (key,), f"unknown field '{key}'{did_you_mean(key, known)}", key=True)
    elif kind == "required":
        yield document.problem(path, "missing required field 'role'")
    else:
        from advisor.inputs.schema import expectation

        yield document.problem(path, f"expected {expectation(schema)}, found {describe(value)}")
