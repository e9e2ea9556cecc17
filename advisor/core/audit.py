"""The audit's records and its arithmetic: what each series costs and could give back, added up.

Figures are rounded once, per series (hours to the hundredth, money to whole units), and
every total is the sum of those rounded figures, so that a report's totals equal the sum of
its rows. The hours a series frees are shared among its people in hundredths of an hour by
largest remainder, so that what each person gets adds up to the series' figure exactly.
Wording is `advisor.report.audit`'s; reading and deciding are `advisor.audit`'s.
"""
from __future__ import annotations

from datetime import datetime
from typing import Dict, Iterable, Mapping, NamedTuple, Optional, Sequence, Tuple

from advisor.core.decision import Decision, Step

RECOMMENDATIONS = ("keep", "shorten", "trim", "less_often", "cancel")
CHANGE_KINDS = {"duration": "shorten", "attendees": "trim", "recurrence": "less_often"}
WEEKS_PER_YEAR = 52


def hundredths(hours: float) -> int:
    """Hours as whole hundredths, halves rounded up: the unit every sum is made in."""
    return int(hours * 100 + 0.5) if hours >= 0 else -int(-hours * 100 + 0.5)


def whole(amount: float) -> int:
    """Money in whole units, halves rounded up."""
    return int(amount + 0.5) if amount >= 0 else -int(-amount + 0.5)


class SeriesAudit(NamedTuple):
    """One series (or one-off meeting), what it costs a year and what is recommended."""

    uid: str
    title: str
    source: str  # the file (or calendar) and line it was read from
    organizer: Optional[str]
    recurrence: str
    occurrences_per_year: int
    duration_minutes: int
    attendees: int
    purposes: Tuple[str, ...]
    purpose_source: str  # stated, inferred or unknown
    yearly_attendee_hours: int  # hundredths
    yearly_cost: int  # whole units
    decision: Optional[Decision] = None  # None when the purpose is unknown
    recommendation: Optional[str] = None
    alternative: Optional[str] = None  # for cancel
    steps: Tuple[Step, ...] = ()  # the change recommended (shorten, trim, less_often)
    reclaimable_hours: Optional[int] = None  # hundredths
    reclaimable_cost: Optional[int] = None
    freed: Tuple[Tuple[str, int], ...] = ()  # (person, yearly hundredths of an hour freed)

    @property
    def known(self) -> bool:
        return self.decision is not None

    @property
    def rank_key(self) -> Tuple[int, int, str, str]:
        """Most to reclaim first, then the costliest, then by title and uid (a stable order)."""
        return (-(self.reclaimable_hours or 0), -self.yearly_attendee_hours, self.title, self.uid)


class PersonAudit(NamedTuple):
    person: str
    weekly_meeting_hours: float  # over the 7 days before the audit's moment
    yearly_hours_freed: int  # hundredths: the sum of the person's shares

    @property
    def weekly_hours_freed(self) -> float:
        return round(self.yearly_hours_freed / 100 / WEEKS_PER_YEAR, 2)


class Totals(NamedTuple):
    series: int
    decided: int
    unknown_purpose: int
    by_recommendation: Mapping[str, int]
    yearly_attendee_hours: int  # hundredths
    yearly_cost: int
    reclaimable_hours: int  # hundredths
    reclaimable_cost: int
    currency: str
    hours_by_recommendation: Mapping[str, int]  # yearly attendee-hours (hundredths) of the series given each


class Audit(NamedTuple):
    """The whole audit: its window, the series ranked, the totals and each person's share."""

    start: datetime
    days: int
    series: Tuple[SeriesAudit, ...]
    totals: Totals
    people: Tuple[PersonAudit, ...]


def share(total: int, weights: Mapping[str, float]) -> Dict[str, int]:
    """`total` (whole units) shared in proportion to `weights`, the shares adding up to `total`
    exactly: each its floor, then one more to the largest remainders (ties by person)."""
    weight = sum(weights.values())
    if total == 0 or weight <= 0:
        return dict.fromkeys(weights, 0)
    exact = {person: total * w / weight for person, w in weights.items()}
    shares = {person: int(value) for person, value in exact.items()}
    left = total - sum(shares.values())
    for person in sorted(exact, key=lambda p: (-(exact[p] - shares[p]), p))[:left]:
        shares[person] += 1
    return shares


def totals(series: Sequence[SeriesAudit], currency: str) -> Totals:
    """Sums of the series' rounded figures."""
    counts = dict.fromkeys(RECOMMENDATIONS, 0)
    hours = dict.fromkeys(RECOMMENDATIONS, 0)
    for one in series:
        if one.recommendation is not None:
            counts[one.recommendation] += 1
            hours[one.recommendation] += one.yearly_attendee_hours
    decided = sum(1 for one in series if one.known)
    return Totals(
        series=len(series),
        decided=decided,
        unknown_purpose=len(series) - decided,
        by_recommendation=counts,
        yearly_attendee_hours=sum(one.yearly_attendee_hours for one in series),
        yearly_cost=sum(one.yearly_cost for one in series),
        reclaimable_hours=sum(one.reclaimable_hours or 0 for one in series),
        reclaimable_cost=sum(one.reclaimable_cost or 0 for one in series),
        currency=currency,
        hours_by_recommendation=hours,
    )


def people(series: Iterable[SeriesAudit], weekly_hours: Mapping[str, float]) -> Tuple[PersonAudit, ...]:
    """Everyone with meetings or freed hours: most hours freed first, then most meeting hours."""
    freed: Dict[str, int] = {}
    for one in series:
        for person, amount in one.freed:
            freed[person] = freed.get(person, 0) + amount
    everyone = set(freed) | set(weekly_hours)
    found = [PersonAudit(p, round(weekly_hours.get(p, 0.0), 2), freed.get(p, 0)) for p in everyone]
    return tuple(sorted(found, key=lambda p: (-p.yearly_hours_freed, -p.weekly_meeting_hours, p.person)))


def ranked(series: Iterable[SeriesAudit]) -> Tuple[SeriesAudit, ...]:
    return tuple(sorted(series, key=lambda one: one.rank_key))


def yearly_hours_freed(people_hours: Mapping[str, float], pool: Sequence[str], removed: int,
                       hours_after: float) -> Dict[str, float]:
    """Each person's yearly hours freed by a change: everyone's hours fall from theirs to
    `hours_after`, and `removed` people of `pool` no longer come, a share each of the pool."""
    freed = {person: before - hours_after for person, before in people_hours.items()}
    if removed and pool:
        for person in pool:
            freed[person] += hours_after * removed / len(pool)
    return freed
