"""Reading calendars for the audit, one share of the series at a time.

The copies of a series sit in the calendars of everyone invited, so the series cannot be
shared out by file. Each worker takes the series whose UID falls in its share (a CRC of the
UID): it reads every file, keeps the events of its share and blanks the others' lines (the
lines stay where they were, so a problem is still named by its line), and parses what is
left with the advisor's calendar reader. Every event is parsed by one worker only, which is
what lets the audit keep up with a bare parse of the same files run on as many processes.

What a share gives back is small and plain: the live series found (their proposal still to
be decided), and the meeting hours and meetings of each person in the 7 days before the
audit's moment, which the shares then add up.
"""
from __future__ import annotations

import re
import zlib
from datetime import datetime, timedelta
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Set, Tuple, Union

from advisor.errors import InputError, Problem
from advisor.inputs.calendar import build_calendars, check_size, parse_calendar_text, read_calendar_bytes
from advisor.inputs.invite import Roles, invite_to_proposal, occurrences_per_year, stated_purposes
from advisor.inputs.yamlsafe import decode

LOAD_DAYS = 7  # the attendees' load is taken over the 7 days before the audit's moment, as --calendar does
_BLOCK = re.compile(r"^BEGIN:VEVENT[ \t]*\r?\n.*?^END:VEVENT[ \t]*(?:\r?\n|\Z)", re.M | re.S | re.I)
_UID = re.compile(r"^UID[;:][^\r\n]*(?:\r?\n[ \t][^\r\n]*)*", re.M | re.I)
_RECURRING = re.compile(r"^(?:RRULE|RDATE|RECURRENCE-ID)[;:]", re.M | re.I)  # a series, or one of its instances
_START = re.compile(r"^DTSTART[^:\r\n]*:(\d{8})", re.M | re.I)


class Source(NamedTuple):
    """One calendar: a file to read, or the text a CalDAV server sent (named by its URL)."""

    name: str
    data: Optional[bytes] = None  # None: read the file `name`

    def read(self) -> bytes:
        """The calendar's bytes, read as `read_calendars` reads a file (bounded, devices refused)."""
        return self.data if self.data is not None else read_calendar_bytes(self.name)


class Window(NamedTuple):
    """The moment of the audit and the days after it in which live series are looked for."""

    at: datetime  # aware
    days: int

    @property
    def end(self) -> datetime:
        return self.at + timedelta(days=self.days)

    @property
    def load_start(self) -> datetime:
        return self.at - timedelta(days=LOAD_DAYS)


class SeriesFound(NamedTuple):
    """A live series (or one-off meeting) and its proposal, not yet decided."""

    uid: str
    source: str  # file:line
    proposal: Dict[str, Any]  # as invite_to_proposal makes it, audience limited to who attends
    stated: Tuple[str, ...]  # X-ADVISOR-PURPOSES
    occurrences_per_year: int


class ShareRead(NamedTuple):
    series: List[SeriesFound]
    load: Dict[str, Tuple[Optional[str], int, int]]  # person -> (name, meetings, seconds) in the load window
    people: Set[str]  # everyone the share's events name
    problems: List[Problem]  # of files: each is then left out of the whole audit
    series_problems: List[Problem]  # of one series: it alone is left out


def share_of(uid: str, shares: int) -> int:
    return zlib.crc32(uid.encode("utf-8", "surrogatepass")) % shares


def keep_share(text: str, share: int, shares: int, file: str, window: Optional["Window"] = None) -> str:
    """`text` with the events this share does not read blanked: their lines left empty, so that
    every line keeps its number. Blanked are the events of other shares and, given a window,
    one-off meetings more than a day before the load window or after the audit window (they
    can count for nothing): an export covering a long period costs no more than the window it
    is audited over."""
    first = last = ""
    if window is not None:
        first = (window.load_start - timedelta(days=1)).strftime("%Y%m%d")
        last = (window.end + timedelta(days=1)).strftime("%Y%m%d")

    def blank(match: "re.Match[str]") -> str:
        block = match.group(0)
        if first and not _RECURRING.search(block):
            start = _START.search(block)
            if start and not first <= start.group(1) <= last:
                return "\n" * block.count("\n")
        if shares == 1:
            return block
        found = _UID.search(block)
        uid = re.sub(r"\r?\n[ \t]", "", found.group(0)).split(":", 1)[-1].strip() if found else file
        return block if share_of(uid, shares) == share else "\n" * block.count("\n")

    if shares == 1 and window is None:
        return text
    return _BLOCK.sub(blank, text)


def read_share(sources: Sequence[Source], share: int, shares: int, window: Window, roles: Optional[Roles],
               one_offs: bool, left_out: Sequence[str] = ()) -> ShareRead:
    """The series of share `share` (of `shares`) live in `window`, and the share of everyone's load.

    A file that cannot be read or parsed is a problem, and its other events are still read;
    the caller reads again without the files named in any share's problems (`left_out`).
    """
    problems: List[Problem] = []
    parsed: List[Tuple[str, List[Any], Any]] = []
    skipped = set(left_out)
    for source in sources:
        if source.name in skipped:
            continue
        try:
            raw = source.read()
            check_size(raw, source.name)  # refused for its size before anything is read
            text = keep_share(decode(raw, source.name), share, shares, source.name, window)
            parsed.append((source.name, *parse_calendar_text(text, source.name)))
        except InputError as error:
            problems.extend(error.problems)
    calendars = build_calendars(parsed)
    try:
        occurrences = calendars.occurrences(window.load_start, window.end)
    except InputError as error:
        return ShareRead([], {}, set(), problems + error.problems, [])
    load: Dict[str, Tuple[Optional[str], int, int]] = {}
    live: Dict[str, None] = {}
    for occurrence in occurrences:
        if occurrence.start < window.at:
            for person in occurrence.people:
                name, count, seconds = load.get(person.email, (None, 0, 0))
                load[person.email] = (name or person.name, count + 1, seconds + occurrence.seconds)
        else:
            live.setdefault(occurrence.uid)
    series = []
    series_problems = []
    for uid in live:
        view = calendars.series(uid)
        if not view.recurring and not one_offs:
            continue
        found = _found(view, roles)
        if isinstance(found, Problem):
            series_problems.append(found)
        else:
            series.append(found)
    return ShareRead(series, load, set(calendars.people), problems, series_problems)


def _found(view: Any, roles: Optional[Roles]) -> Union[SeriesFound, Problem]:
    from advisor.inputs.invite import InviteOptions

    try:
        proposal = invite_to_proposal(view.event, view.file, InviteOptions(roles=roles), purposes_required=False)
    except InputError as error:
        problem = error.problems[0]
        return problem._replace(line=problem.line or view.line)
    attending = {person.email for person in view.attendees}
    proposal["audience"] = [group for group in proposal["audience"] if group["email"] in attending]
    where = f"{view.file}:{view.line}" if view.line else view.file
    return SeriesFound(view.uid, where, proposal, tuple(stated_purposes(view.event)),
                       occurrences_per_year(view.event) if view.recurring else 1)
