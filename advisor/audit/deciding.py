"""Deciding one series: its purposes, its verdict by the rules and engine of `check`, and the
recommendation with what it reclaims a year.

Purposes come from the event's X-ADVISOR-PURPOSES (`stated`), else from the purpose rules
(`inferred`); a series neither gives is `unknown`, listed with its cost and never decided.
A hold is `keep`. For a skip, the what-if search of `advisor check` looks for the smallest
change that makes it a hold among shorter, with fewer people, and less often (but still a
series); of those it finds, the one that reclaims most is recommended. When none is found
the series is to be cancelled, for the alternative the rules name.
"""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from advisor.api import Advisor
from advisor.audit.reading import SeriesFound
from advisor.core.audit import CHANGE_KINDS, SeriesAudit, hundredths, share, whole, yearly_hours_freed
from advisor.core.bounds import DEFAULT_BOUNDS, Bounds
from advisor.core.decision import Change, Step
from advisor.core.facts import derive_facts
from advisor.core.meeting import AttendeeGroup, Meeting
from advisor.core.vocabulary import OCCURRENCES_PER_YEAR
from advisor.core.whatif import AttendeesLever, DurationLever, Lever, RecurrenceLever, apply_steps, explore
from advisor.errors import InputError, Problem
from advisor.inputs.calendar import WindowLoad
from advisor.inputs.proposal import meeting_from_mapping
from advisor.packs.purposes import PurposeRules

# Stands for the purposes of a series nobody can read while its proposal is checked for
# everything else (length, audience): the record made from it keeps no purpose.
_CHECKED_ONLY = ["status_update"]


class Fewer(Lever):
    """One direction of a what-if lever: shorter, fewer people, less often (a series stays one)."""

    def __init__(self, lever: Lever):
        self.lever = lever
        self.kind = lever.kind

    def sequences(self, meeting: Meeting, bounds: Bounds = DEFAULT_BOUNDS) -> List[List[Step]]:
        sequences = self.lever.sequences(meeting, bounds)
        first = sequences[0] if sequences else []
        return [[step for step in first if step.after != "none"]]

    def apply(self, meeting: Meeting, step: Step, bounds: Bounds = DEFAULT_BOUNDS) -> Meeting:
        return self.lever.apply(meeting, step, bounds)


AUDIT_LEVERS: Tuple[Lever, ...] = (Fewer(DurationLever()), Fewer(AttendeesLever()), Fewer(RecurrenceLever()))


class Deciding(NamedTuple):
    """What every series is decided with: the same in every process."""

    advisor: Advisor
    purposes: PurposeRules
    load: WindowLoad  # everyone's meetings in the 7 days before the audit's moment
    known: "frozenset[str]"  # everyone the calendars name


def decide_series(found: SeriesFound, context: Deciding) -> SeriesAudit:
    """The audit of one series, or InputError when its proposal breaks the contract."""
    proposal = dict(found.proposal)
    purposes: Tuple[str, ...] = found.stated
    source = "stated" if purposes else "inferred"
    if not purposes:
        purposes = context.purposes.read(proposal["title"], proposal.get("description"))[0]
    if not purposes:
        source = "unknown"
    proposal["purposes"] = list(purposes) or _CHECKED_ONLY
    if not proposal["audience"]:
        raise InputError([Problem(found.source, "everyone invited has declined", path="ATTENDEE")])
    meeting = meeting_from_mapping(proposal, found.source)
    meeting = context.load.meeting_load(meeting, context.known).apply_to(meeting)
    organizer = meeting.organizer.email if meeting.organizer else None
    people = [g.email for g in meeting.audience if g.email]
    pool = [g.email for g in meeting.audience if g.email and not g.external and g.email != organizer]
    meeting = _grouped(meeting, organizer)
    facts = derive_facts(meeting, context.advisor.hourly_cost)
    rate = found.occurrences_per_year
    audit = SeriesAudit(
        uid=found.uid, title=meeting.title, source=found.source, organizer=organizer, recurrence=meeting.recurrence,
        occurrences_per_year=rate, duration_minutes=meeting.duration_minutes, attendees=facts["attendees"],
        purposes=purposes, purpose_source=source,
        yearly_attendee_hours=hundredths(facts["attendee_hours"] * rate), yearly_cost=whole(facts["cost"] * rate))
    if source == "unknown":
        return audit
    decision = context.advisor.check(meeting)
    if decision.hold:
        return audit._replace(decision=decision, recommendation="keep", reclaimable_hours=0, reclaimable_cost=0)
    bounds = context.advisor.what_if_bounds  # the realistic changes of `check`, as the settings bound them
    found_changes = explore(context.advisor.weigh, meeting, decision, levers=AUDIT_LEVERS, bounds=bounds).changes
    options = [_option(meeting, change, rate, context) for change in found_changes if change.verdict == "hold"]
    if options:
        hours, cost, steps, after = max(options, key=lambda o: (o[0], -len(o[2])))
        # several steps together (when no single one is enough) are named after the one that saves most
        main = max(steps, key=lambda step: _option(meeting, Change((step,), "hold", 0), rate, context)[:2])
        kind = CHANGE_KINDS[main.kind]
        hours_after = after.duration_minutes / 60 * _rate_after(meeting, after, rate)
        removed = facts["attendees"] - sum(g.count for g in after.audience)
        freed = yearly_hours_freed(dict.fromkeys(people, meeting.duration_minutes / 60 * rate), pool, removed,
                                   hours_after)
        return audit._replace(decision=decision, recommendation=kind, steps=steps,
                              reclaimable_hours=hours, reclaimable_cost=cost, freed=_shares(hours, freed))
    freed = dict.fromkeys(people, meeting.duration_minutes / 60 * rate)
    return audit._replace(decision=decision, recommendation="cancel", alternative=decision.alternative,
                          reclaimable_hours=audit.yearly_attendee_hours, reclaimable_cost=audit.yearly_cost,
                          freed=_shares(audit.yearly_attendee_hours, freed))


def _option(meeting: Meeting, change: Change, rate: int,
            context: Deciding) -> Tuple[int, int, Tuple[Step, ...], Meeting]:
    """(yearly hundredths of an hour reclaimed, money reclaimed, the steps, the changed meeting)."""
    after = apply_steps(meeting, change.steps, context.advisor.what_if_bounds)
    before_facts = derive_facts(meeting, context.advisor.hourly_cost)
    after_facts = derive_facts(after, context.advisor.hourly_cost)
    rate_after = _rate_after(meeting, after, rate)
    hours = hundredths(before_facts["attendee_hours"] * rate) - hundredths(after_facts["attendee_hours"] * rate_after)
    cost = whole(before_facts["cost"] * rate) - whole(after_facts["cost"] * rate_after)
    return hours, cost, change.steps, after


def _rate_after(meeting: Meeting, after: Meeting, rate: int) -> int:
    """Occurrences a year once held less often: the new frequency's, never more than before."""
    if after.recurrence == meeting.recurrence:
        return rate
    return min(rate, OCCURRENCES_PER_YEAR[after.recurrence])


def _shares(total: int, freed: Mapping[str, float]) -> Tuple[Tuple[str, int], ...]:
    return tuple(sorted(share(total, {p: max(0.0, h) for p, h in freed.items()}).items()))


def _grouped(meeting: Meeting, organizer: Optional[str]) -> Meeting:
    """The audience as groups of alike people (the organizer on their own), so that the what-if
    search can invite fewer of a kind; the facts the rules see are the same: a group's load is
    its people's mean, and people whose load is known are not grouped with people whose is not."""
    groups: Dict[Any, AttendeeGroup] = {}
    for group in meeting.audience:
        key: Sequence[Any] = (group.email,) if group.email == organizer else (
            group.role, group.remote, group.external, group.hourly_cost,
            group.meeting_hours_last_7_days is None, group.meetings_last_7_days is None)
        known = groups.get(tuple(key))
        groups[tuple(key)] = group if known is None else _together(known, group)
    return meeting._replace(audience=tuple(groups.values()))


def _together(one: AttendeeGroup, other: AttendeeGroup) -> AttendeeGroup:
    count = one.count + other.count

    def mean(a: Optional[float], b: Optional[float]) -> Optional[float]:
        return None if a is None or b is None else (a * one.count + b * other.count) / count

    return one._replace(count=count, name=None, email=None,
                        meeting_hours_last_7_days=mean(one.meeting_hours_last_7_days, other.meeting_hours_last_7_days),
                        meetings_last_7_days=mean(one.meetings_last_7_days, other.meetings_last_7_days))
