"""The facts rules may talk about: one typed schema, and their derivation from a proposal.

The schema is the rule language's vocabulary: a rule naming a fact that is not here, or
comparing it with a value of another type, is refused when its pack loads.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, NamedTuple, Optional, Tuple

from advisor.core.meeting import Meeting
from advisor.core.vocabulary import DEFAULT_HOURLY_COST, OCCURRENCES_PER_YEAR, PURPOSES, RECURRENCES, ROLES


class FactSpec(NamedTuple):
    """One fact rules may name: its type, its meaning, and the words it may hold."""

    name: str
    kind: str  # "int", "number", "bool", "word" (one of `words`), "words" (a list of them)
    description: str
    words: Tuple[str, ...] = ()
    optional: bool = False  # may be unknown (null); comparisons on it are then false

    @property
    def is_list(self) -> bool:
        return self.kind == "words"


FACTS: Dict[str, FactSpec] = {spec.name: spec for spec in (
    FactSpec("purposes", "words", "why the meeting is proposed", words=PURPOSES),
    FactSpec("purpose_count", "int", "how many purposes are given"),
    FactSpec("duration_minutes", "int", "planned length in minutes"),
    FactSpec("decision_required", "bool", "something must be decided in the meeting"),
    FactSpec("recurrence", "word", "none, daily, weekly, biweekly or monthly", words=RECURRENCES),
    FactSpec("recurring", "bool", "the meeting repeats"),
    FactSpec("occurrences_per_year", "int", "how often it is held in a year (1 when one-off)"),
    FactSpec("has_agenda", "bool", "an agenda is given"),
    FactSpec("agenda_items", "int", "number of agenda items"),
    FactSpec("attendees", "int", "everyone who attends, the organizer included"),
    FactSpec("remote_attendees", "int", "attendees joining from elsewhere"),
    FactSpec("remote_share", "number", "the percentage of attendees joining from elsewhere (0 to 100)"),
    FactSpec("in_person_attendees", "int", "attendees in the room"),
    FactSpec("all_remote", "bool", "every attendee joins from elsewhere"),
    FactSpec("external_attendees", "int", "customers, prospects and others from outside"),
    FactSpec("external_in_person", "int", "attendees from outside who come to the room"),
    FactSpec("internal_attendees", "int", "attendees from the company"),
    FactSpec("roles", "words", "the roles present", words=ROLES),
    FactSpec("managers", "int", "sales managers and executives attending"),
    FactSpec("attendee_hours", "number", "attendees x hours: staff_hours + guest_hours"),
    FactSpec("staff_hours", "number", "the hours of the company's own people (attendees from the company x hours)"),
    FactSpec("guest_hours", "number", "the hours of customers, prospects and other people from outside"),
    FactSpec("cost", "number", "staff hours x hourly cost (guests' time is not the company's cost)"),
    FactSpec("yearly_attendee_hours", "number", "attendee-hours over a year of occurrences"),
    FactSpec("yearly_cost", "number", "cost over a year of occurrences"),
    FactSpec("load_hours", "number", "average meeting hours per attendee per 7 days", optional=True),
    FactSpec("load_meetings", "number", "average meetings per attendee per 7 days", optional=True),
    FactSpec("same_topic_days_ago", "number", "days since the last meeting on this topic", optional=True),
    FactSpec("reliable_internet", "bool", "every remote attendee has a device and a reliable connection"),
    FactSpec("visual_material", "bool", "slides, a demo or a shared screen are needed"),
    FactSpec("sensitive", "bool", "a personal or confidential matter"),
    FactSpec("about_one_person", "bool", "the matter concerns one attendee: their pay, performance, or a complaint "
                                         "about them"),
    FactSpec("individual_failures", "bool", "named people's failures (lost deals, missed targets, mistakes) are gone "
                                            "through in front of the others"),
)}


def derive_facts(meeting: Meeting, hourly_cost: Optional[Mapping[str, float]] = None) -> Dict[str, Any]:
    """Every fact of FACTS for `meeting`; unknown optional facts are None."""
    rates = {**DEFAULT_HOURLY_COST, **(hourly_cost or {})}
    groups = meeting.audience
    attendees = sum(g.count for g in groups)
    remote = sum(g.count for g in groups if g.remote)
    external = sum(g.count for g in groups if g.external)
    hours = meeting.duration_minutes / 60
    per_hour = sum(g.count * (rates[g.role] if g.hourly_cost is None else g.hourly_cost)
                   for g in groups if not g.external)
    occurrences = OCCURRENCES_PER_YEAR[meeting.recurrence]
    load_hours, load_meetings = weekly_load(meeting)
    attendee_hours = round(attendees * hours, 2)
    staff_hours = round((attendees - external) * hours, 2)
    cost = round(per_hour * hours, 2)
    return {
        "purposes": list(meeting.purposes),
        "purpose_count": len(meeting.purposes),
        "duration_minutes": meeting.duration_minutes,
        "decision_required": meeting.decision_required,
        "recurrence": meeting.recurrence,
        "recurring": meeting.recurrence != "none",
        "occurrences_per_year": occurrences,
        "has_agenda": bool(meeting.agenda),
        "agenda_items": len(meeting.agenda),
        "attendees": attendees,
        "remote_attendees": remote,
        "remote_share": round(100 * remote / attendees, 2),
        "in_person_attendees": attendees - remote,
        "all_remote": remote == attendees,
        "external_attendees": external,
        "external_in_person": sum(g.count for g in groups if g.external and not g.remote),
        "internal_attendees": attendees - external,
        "roles": sorted({g.role for g in groups}),
        "managers": sum(g.count for g in groups if g.role in ("sales_manager", "executive")),
        "attendee_hours": attendee_hours,
        "staff_hours": staff_hours,
        "guest_hours": round(attendee_hours - staff_hours, 2),
        "cost": cost,
        "yearly_attendee_hours": round(attendee_hours * occurrences, 2),
        "yearly_cost": round(cost * occurrences, 2),
        "load_hours": load_hours,
        "load_meetings": load_meetings,
        "same_topic_days_ago": meeting.recent_load.same_topic_days_ago,
        "reliable_internet": meeting.setting.reliable_internet is not False,  # unsaid: assumed reliable
        "visual_material": meeting.setting.visual_material,
        "sensitive": meeting.setting.sensitive,
        "about_one_person": meeting.setting.about_one_person,
        "individual_failures": meeting.setting.individual_failures,
    }


def weekly_load(meeting: Meeting) -> Tuple[Optional[float], Optional[float]]:
    """Average meeting hours and meetings per attendee over 7 days, over the people with a figure.

    Each group's own figures (`meeting_hours_last_7_days`, `meetings_last_7_days`, which a
    calendar fills in for the people it finds) come first; `recent_load`, scaled to 7 days,
    stands for the groups that give none (docs/proposal.md, "Recent load").
    """
    load = meeting.recent_load
    scale = 7 / load.window_days
    shared_hours = None if load.meeting_hours is None else load.meeting_hours * scale
    shared_meetings = None if load.meetings is None else load.meetings * scale
    hour_people = meeting_people = 0
    hour_total = meeting_total = 0.0
    for group in meeting.audience:  # a plain loop: this runs for every check
        hours = group.meeting_hours_last_7_days
        hours = shared_hours if hours is None else hours
        if hours is not None:
            hour_people += group.count
            hour_total += group.count * hours
        meetings = group.meetings_last_7_days
        meetings = shared_meetings if meetings is None else meetings
        if meetings is not None:
            meeting_people += group.count
            meeting_total += group.count * meetings
    return (round(hour_total / hour_people, 2) if hour_people else None,
            round(meeting_total / meeting_people, 2) if meeting_people else None)
