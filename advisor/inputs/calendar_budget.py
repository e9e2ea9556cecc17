"""What reading and expanding calendars may cost: steps and seconds, per file and per run.

A step is a unit of the work the calendar libraries do: a content line read (icalendar), a
period a recurrence rule is worked through (dateutil, for a VTIMEZONE's rules and for an
event's series, from its start up to the window), an occurrence found in the window. Their
loops cannot be interrupted from outside, so each call into them is charged, before it is
made, the steps that `rule_steps` computes from the rule (frequency, interval, BYHOUR,
BYMINUTE and BYSECOND, span), and the clock is read after each call: a refusal comes before
the work, never after hours of it.

A run is one reading of a set of files (`read_calendars`), or one window's expansion
(`Calendars.occurrences`): each gets a `Budget`, which holds every file to FILE_STEPS and
FILE_SECONDS and all of them together to RUN_STEPS and RUN_SECONDS. A refusal names the file,
the line and what was being done.

Events and windows are refused outside the years FIRST_YEAR to LAST_YEAR: no meeting is held
in year 1, and a series starting then costs a recurrence step per period up to today.
Time-zone definitions are exempt (Outlook and Exchange start theirs in 1601), but their rules
are charged the steps up to LAST_YEAR, the latest moment a window may reach.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timezone
from typing import Any, Callable, Dict, List, Optional

from advisor.errors import InputError, Problem

# A 16 MiB export of short events has some 730,000 lines: icalendar reads it in 15 to 30 s
# into 0.6 GiB here. A run reads one such file, or several smaller ones.
FILE_STEPS = 800_000
RUN_STEPS = 1_000_000
FILE_SECONDS = 60.0
RUN_SECONDS = 120.0
EXPANSION_SECONDS = 30.0  # one window's expansion, per file and in all
MAX_SERIES_STEPS = 500_000  # one recurrence rule, from its start to the window: 48 a day since 1998
FIRST_YEAR = 1900
LAST_YEAR = 2200
LATEST = datetime(LAST_YEAR, 12, 31, 23, 59, tzinfo=timezone.utc)

_FREQ_SECONDS = {"SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86400,
                 "WEEKLY": 7 * 86400, "MONTHLY": 28 * 86400, "YEARLY": 365 * 86400}
_TIME_PARTS = (("BYHOUR", 3600), ("BYMINUTE", 60), ("BYSECOND", 1))


class Budget:
    """Steps and seconds spent so far, per file and in all; `spend` and `check_time` refuse
    what goes past a limit with an InputError naming the file and the line."""

    def __init__(self, steps: int = RUN_STEPS, seconds: float = RUN_SECONDS, file_steps: int = FILE_STEPS,
                 file_seconds: float = FILE_SECONDS, clock: Callable[[], float] = time.monotonic):
        self.limits = (steps, seconds, file_steps, file_seconds)
        self.clock = clock
        self.started = clock()
        self.steps = 0
        self.file_steps: Dict[str, int] = {}
        self.file_seconds: Dict[str, float] = {}
        self._current: Optional[List[Any]] = None  # [file, when its work began]

    def spend(self, steps: int, file: str, line: Optional[int], what: str, path: str = "") -> None:
        """Charge `steps` for `what`, about to be done for `file`, or refuse it."""
        run_steps, _, per_file, _ = self.limits
        spent = self.file_steps.get(file, 0) + steps
        if spent > per_file:
            raise _refused(file, line, path, f"{what} would take {spent:,} steps for this file, more than "
                                             f"{per_file:,}: no meeting calendar needs so much work")
        if self.steps + steps > run_steps:
            raise _refused(file, line, path, f"{what} would take the calendars read together past {run_steps:,} "
                                             "steps: read fewer at once, or shorter exports")
        self.file_steps[file] = spent
        self.steps += steps

    def working_on(self, file: str) -> None:
        """From now on, the time goes to `file` (until another file or `done`)."""
        self.done()
        self._current = [file, self.clock()]

    def done(self) -> None:
        if self._current is not None:
            file, began = self._current
            self.file_seconds[file] = self.file_seconds.get(file, 0.0) + self.clock() - began
            self._current = None

    def check_time(self, file: str, line: Optional[int], what: str, path: str = "") -> None:
        """Refuse to go on when `file` or the run has had its time."""
        _, run_seconds, _, per_file = self.limits
        now = self.clock()
        spent = self.file_seconds.get(file, 0.0)
        if self._current is not None and self._current[0] == file:
            spent += now - self._current[1]
        if spent > per_file:
            raise _refused(file, line, path, f"{what}: this file took more than {per_file:g} s: no meeting calendar "
                                             "needs so long")
        if now - self.started > run_seconds:
            raise _refused(file, line, path, f"{what}: the calendars read together took more than {run_seconds:g} s: "
                                             "read fewer at once, or shorter exports")


def _refused(file: str, line: Optional[int], path: str, message: str) -> InputError:
    return InputError([Problem(file, message, line, 1 if line else None, path)])


def per_day(rule: Any) -> float:
    """How many times a day a recurrence rule (an icalendar vRecur) may repeat, at most."""
    frequency = frequency_of(rule)
    step = _FREQ_SECONDS[frequency] * interval_of(rule)
    times = 86400 / step if step < 86400 else 1.0
    for part, unit in _TIME_PARTS:
        if rule.get(part) and _FREQ_SECONDS[frequency] > unit:
            times *= len(rule[part])
    return times


def rule_steps(rule: Any, start: datetime, end: datetime) -> int:
    """The periods dateutil works through for `rule` from `start` to `end` (or the rule's UNTIL,
    if earlier), times the times of day each period holds: the cost of expanding it."""
    until = _until(rule, start)
    if until is not None and until < end:
        end = until
    seconds = (end - start).total_seconds()
    if seconds <= 0:
        return 1
    frequency = frequency_of(rule)
    periods = seconds / (_FREQ_SECONDS[frequency] * interval_of(rule)) + 1
    times = 1
    for part, unit in _TIME_PARTS:
        if rule.get(part) and _FREQ_SECONDS[frequency] > unit:
            times *= len(rule[part])
    return int(periods * times)


def frequency_of(rule: Any) -> str:
    """FREQ, upper case; ValueError when it is none of RFC 5545's."""
    frequency = str((rule.get("FREQ") or [""])[0]).upper()
    if frequency not in _FREQ_SECONDS:
        raise ValueError(f"unknown FREQ '{frequency}'")
    return frequency


def interval_of(rule: Any) -> int:
    try:
        return max(1, int((rule.get("INTERVAL") or [1])[0]))
    except (TypeError, ValueError):
        return 1


def _until(rule: Any, start: datetime) -> Optional[datetime]:
    value = (rule.get("UNTIL") or [None])[0]
    if value is None:
        return None
    if not isinstance(value, datetime):  # a date: its end
        value = datetime(value.year, value.month, value.day, 23, 59, 59)
    if value.tzinfo is None:
        value = value.replace(tzinfo=start.tzinfo or timezone.utc)
    return value


def in_years(moment: date) -> bool:
    """Whether a date or datetime falls in the years events and windows may have."""
    return FIRST_YEAR <= moment.year <= LAST_YEAR


def years_expected() -> str:
    return f"expected a date from the year {FIRST_YEAR} to {LAST_YEAR}"
