"""`advisor load`: who already spends how much time in meetings, from calendar exports."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence

import click

from .cli import EXIT_ERROR, write_atomically
from .errors import AdvisorError

if TYPE_CHECKING:
    from .calendar import WindowLoad

LOAD_HELP = """Show each person's meeting load over the days before a moment, from .ics exports.

CALENDARS are .ics files or folders of them; an event in several files counts once. Recurring
series are expanded; all-day, cancelled, declined and free (transparent) events are not
meetings. People are matched by email.

\b
Example:
  advisor load team.ics --window 14 --person @example.com
  advisor load exports/ --by day --format csv
"""

BAR_WIDTH = 30
_EIGHTHS = " ▏▎▍▌▋▊▉"


@click.command(help=LOAD_HELP)
@click.argument("calendars", nargs=-1, required=True, type=click.Path())
@click.option("--window", "window_days", type=click.IntRange(1, 366), default=7, show_default=True,
              help="Days counted back from --at.")
@click.option("--at", "at", metavar="DATETIME",
              help="End of the window: 2026-03-02T10:00+01:00 or 2026-03-02T10:00[Europe/Berlin]; default now.")
@click.option("--by", type=click.Choice(("person", "day")), default="person", show_default=True,
              help="One row per person, or per day of the window.")
@click.option("--person", "people", multiple=True, metavar="EMAIL",
              help="Only this person, or everyone at an @domain. Repeatable.")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "json", "csv")), default="text", show_default=True,
              help="A table with a chart for people, or JSON or CSV for machines.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the output to this file (atomically) instead of standard output.")
def load(calendars: Sequence[str], window_days: int, at: Optional[str], by: str, people: Sequence[str], fmt: str,
         output: Optional[str]) -> int:
    from .calendar import read_calendars

    try:
        end = _window_end(at)
        window = read_calendars(calendars).load(end, window_days).only(people)
    except AdvisorError as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        return EXIT_ERROR
    report = render_load(window, by, fmt)
    if output is None:
        click.echo(report, nl=False)
    else:
        write_atomically(Path(output), report)
    return 0


def render_load(window: "WindowLoad", by: str = "person", fmt: str = "text") -> str:
    rows = _person_rows(window) if by == "person" else _day_rows(window)
    if fmt == "json":
        return json.dumps(_json(window, by, rows), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        stream = io.StringIO()
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]) if rows else ["email"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return stream.getvalue()
    return _text(window, by, rows)


def _window_end(at: Optional[str]) -> datetime:
    if at is None:
        from dateutil.tz import tzlocal

        return datetime.now(tzlocal())
    from .errors import InputError, Problem
    from .meeting import parse_start

    try:
        return parse_start(at)
    except ValueError as error:
        raise InputError([Problem("--at", f"{error}, found {at!r}")]) from None


def _person_rows(window: "WindowLoad") -> List[Dict[str, Any]]:
    scale = 7 / window.window_days
    return [{"email": p.email, "name": p.name or "", "meetings": p.meetings, "meeting_hours": round(p.hours, 2),
             "hours_per_7_days": round(p.hours * scale, 2)} for p in window.per_person]


def _day_rows(window: "WindowLoad") -> List[Dict[str, Any]]:
    return [{"day": d.day.isoformat(), "meetings": d.meetings, "meeting_hours": round(d.hours, 2),
             "attendee_hours": round(d.attendee_hours, 2)} for d in window.per_day()]


def _json(window: "WindowLoad", by: str, rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    value: Dict[str, Any] = {
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat(), "days": window.window_days},
        "files": list(window.files),
    }
    if by == "person":
        count, hours, meetings = window.average()
        value["per_person"] = rows
        value["average"] = {"people": count, "meeting_hours": round(hours, 2), "meetings": round(meetings, 2)}
    else:
        value["per_day"] = rows
    return value


def _text(window: "WindowLoad", by: str, rows: List[Dict[str, Any]]) -> str:
    zone = window.end.tzinfo
    start, end = window.start.astimezone(zone), window.end
    lines = [f"Meeting load over {window.window_days} days, {start:%a %d %b %Y %H:%M} to {end:%a %d %b %Y %H:%M} "
             f"(UTC{end:%z}), from {', '.join(window.files)}", ""]
    if by == "person":
        per_week = "h/week" if window.window_days != 7 else ""
        labels = [_person_label(r) for r in rows]
        width = max([len(label) for label in labels] + [len("person")])
        lines.append(f"{'person':<{width}}  meetings   hours {per_week:>7}".rstrip())
        top = max([r["hours_per_7_days"] for r in rows] + [0])
        for label, row in zip(labels, rows):
            weekly = f"{row['hours_per_7_days']:7.2f}" if per_week else ""
            lines.append(f"{label:<{width}}  {row['meetings']:8d} {row['meeting_hours']:7.2f} {weekly}"
                         f"  {_bar(row['hours_per_7_days'], top)}".rstrip())
        count, hours, meetings = window.average()
        lines.append(f"{'average of ' + str(count) + ' people':<{width}}  {meetings:8.2f} {hours:7.2f}"
                     + (f" {hours * 7 / window.window_days:7.2f}" if per_week else ""))
        if not rows:
            lines.insert(-1, "(no meetings in the window)")
    else:
        lines.append(f"{'day':<15}  meetings   hours  attendee-hours")
        top = max([r["attendee_hours"] for r in rows] + [0])
        for row in rows:
            day = datetime.fromisoformat(row["day"])
            lines.append(f"{day:%a %d %b %Y}  {row['meetings']:8d} {row['meeting_hours']:7.2f} "
                         f"{row['attendee_hours']:15.2f}  {_bar(row['attendee_hours'], top)}".rstrip())
    return "\n".join(lines) + "\n"


def _person_label(row: Dict[str, Any]) -> str:
    label = f"{row['name']} <{row['email']}>" if row["name"] else row["email"]
    return label if len(label) <= 48 else label[:47] + "…"


def _bar(value: float, top: float) -> str:
    """A horizontal bar, BAR_WIDTH characters for `top`, in eighths of a character."""
    if top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / top * BAR_WIDTH * 8))
    return "█" * (eighths // 8) + _EIGHTHS[eighths % 8].strip()
