"""The advisor's note in an invitation: a marked block at the top of its DESCRIPTION.

`advisor check invite.ics --annotate out.ics` writes the verdict back into the invitation:

    [advisor]
    HOLD: Hold it as a video conference. (score 75/100, threshold 50)
    Cost: 5.25 attendee-hours, 290 USD.
    ...
    [/advisor]

    <the description as the organizer wrote it>

and the properties X-ADVISOR-VERDICT, X-ADVISOR-SCORE, X-ADVISOR-FORMAT and
X-ADVISOR-DECISION-ID. The block is the advisor's, not the organizer's: whatever reads an
invitation's description (its agenda lines, its conference link, the words that tell its
purpose) reads `without_note(description)`, so an annotated invitation is decided as it was
before. Annotating again replaces the block. The markers are the same in every language.
UID and SEQUENCE stay as they are (RFC 5546: X-properties and a description are no change
the attendees must answer); DTSTAMP says when the copy was made.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

import icalendar

from advisor.errors import InputError, Problem
from advisor.inputs.yamlsafe import decode

if TYPE_CHECKING:
    from advisor.core.decision import Decision

BEGIN = "[advisor]"
END = "[/advisor]"
# A whole block: its marker lines (however a client re-wrapped their line ends) and the blank
# lines that part it from the organizer's text.
_NOTE = re.compile(r"^[ \t]*" + re.escape(BEGIN) + r"[ \t]*\r?\n.*?^[ \t]*" + re.escape(END) + r"[ \t]*(?:\r?\n|\Z)"
                   r"(?:[ \t]*\r?\n)*", re.MULTILINE | re.DOTALL)
PROPERTIES = ("X-ADVISOR-VERDICT", "X-ADVISOR-SCORE", "X-ADVISOR-FORMAT", "X-ADVISOR-DECISION-ID")


def without_note(description: str) -> str:
    """The description as the organizer wrote it: every advisor block taken out."""
    return _NOTE.sub("", description)


def with_note(description: str, note: str) -> str:
    """`note` in a marked block at the top, in place of any earlier one."""
    rest = without_note(description).strip("\r\n")
    block = f"{BEGIN}\n{note.strip()}\n{END}"
    return f"{block}\n\n{rest}" if rest else block


def annotate_invite(raw: bytes, file: str, decision: "Decision", decision_id: str, note: str,
                    now: Optional[datetime] = None) -> bytes:
    """The invitation `raw` (already read as the proposal that `decision` decided) with the note
    and the X-ADVISOR properties on each of its events; everything else as it was."""
    try:
        calendars = icalendar.Calendar.from_ical(decode(raw, file), multiple=True)
    except ValueError as error:  # cannot happen for an invitation that was just read
        raise InputError([Problem(file, f"not an iCalendar file: {error}")]) from None
    stamp = (now or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(microsecond=0)
    values = (decision.verdict.upper(), str(decision.score), decision.format, decision_id)
    for calendar in calendars:
        for event in calendar.walk("VEVENT"):
            _annotate(event, values, note, stamp)
    return b"".join(calendar.to_ical() for calendar in calendars)


def _annotate(event: Any, values: Tuple[str, ...], note: str, stamp: datetime) -> None:
    for name, value in zip(PROPERTIES, values):
        event.pop(name, None)
        event.add(name, value)
    event.pop("DTSTAMP", None)
    event.add("DTSTAMP", stamp)
    old = _first(event.get("DESCRIPTION"))
    event.pop("DESCRIPTION", None)
    description = icalendar.vText(with_note(str(old) if old is not None else "", note))
    if old is not None and getattr(old, "params", None):
        description.params = old.params  # LANGUAGE, ALTREP: as the organizer set them
    event.add("DESCRIPTION", description)


def _first(value: Any) -> Any:
    values: List[Any] = value if isinstance(value, list) else [value]
    return values[0]
