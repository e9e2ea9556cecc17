"""What the advisor assumes when a proposal leaves it unsaid, stated rather than silent.

Each assumption is a word here; `advisor.report` words it for people (docs/decision.md,
`assumptions`). The facts already hold the assumed values: this says which values were not given.
"""
from __future__ import annotations

from typing import Any, List, Mapping, Tuple

from advisor.core.meeting import Meeting

ONE_ROOM = "one_room"  # the attendees not marked remote share one room, and no place is named
RELIABLE_CONNECTION = "reliable_connection"  # remote attendees have a device and a reliable connection
LOAD_UNKNOWN = "load_unknown"  # no attendee's recent meeting load is given
LOAD_PARTIAL = "load_partial"  # the load is the average of the attendees whose figure is given


def assumptions(meeting: Meeting, facts: Mapping[str, Any]) -> Tuple[str, ...]:
    """The assumptions behind a decision on `meeting`, whose facts are `facts`."""
    found: List[str] = []
    if facts["in_person_attendees"] >= 2 and meeting.setting.location is None:
        found.append(ONE_ROOM)
    if facts["remote_attendees"] and meeting.setting.reliable_internet is None:
        found.append(RELIABLE_CONNECTION)
    if facts["load_hours"] is None:
        found.append(LOAD_UNKNOWN)
    elif meeting.recent_load.meeting_hours is None and any(
            group.meeting_hours_last_7_days is None for group in meeting.audience):  # someone's load is not known
        found.append(LOAD_PARTIAL)
    return tuple(found)
