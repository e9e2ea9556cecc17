"""The proposal as typed values (docs/proposal.md); `advisor.inputs.proposal` reads them.

Its parts are immutable records (typing.NamedTuple): hashable, changed by `_replace`, and
defined and made several times quicker than frozen dataclasses, which every run pays for.
"""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Optional, Tuple


class Person(NamedTuple):
    """Who organises the meeting."""

    name: Optional[str] = None
    role: Optional[str] = None
    email: Optional[str] = None


class AttendeeGroup(NamedTuple):
    """Alike people attending together: one person unless `count` says more."""

    role: str
    count: int = 1  # type: ignore[assignment]  # the contract's word, though tuple has a count()
    remote: bool = False
    external: bool = False
    name: Optional[str] = None
    email: Optional[str] = None
    hourly_cost: Optional[float] = None
    meeting_hours_last_7_days: Optional[float] = None
    meetings_last_7_days: Optional[float] = None


class RecentLoad(NamedTuple):
    """The audience's meetings of late, as typed or as computed from calendars."""

    window_days: int = 7
    meeting_hours: Optional[float] = None
    meetings: Optional[float] = None
    same_topic_days_ago: Optional[float] = None


class Setting(NamedTuple):
    """Where and how the meeting would take place."""

    reliable_internet: Optional[bool] = None  # None: not said, and taken to be true (an assumption)
    visual_material: bool = False
    sensitive: bool = False
    about_one_person: bool = False
    individual_failures: bool = False
    location: Optional[str] = None


class Meeting(NamedTuple):
    """One proposed meeting (docs/proposal.md)."""

    title: str
    purposes: Tuple[str, ...]
    duration_minutes: int
    audience: Tuple[AttendeeGroup, ...]
    decision_required: bool = False
    recurrence: str = "none"
    agenda: Tuple[str, ...] = ()
    organizer: Optional[Person] = None
    recent_load: RecentLoad = RecentLoad()
    setting: Setting = Setting()
    description: Optional[str] = None
    source: str = "<proposal>"
    start: Optional[datetime] = None  # aware; the recent-load window ends here
