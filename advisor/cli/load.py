"""`advisor load`: who already spends how much time in meetings, from calendar exports."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional, Sequence

import click

from advisor.cli.main import EXIT_ERROR, report_problems
from advisor.cli.output import write_atomically
from advisor.errors import AdvisorError, InputError, Problem

LOAD_HELP = """Show each person's meeting load over the days before a moment, from .ics exports.

CALENDARS are .ics files or folders of them; an event in several files counts once. Recurring
series are expanded; all-day, cancelled, declined and free (transparent) events are not
meetings. People are matched by email.

\b
Example:
  advisor load team.ics --window 14 --person @example.com
  advisor load exports/ --by day --format csv
"""


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
    from advisor.inputs.calendar import read_calendars
    from advisor.report.load import render_load

    try:
        end = window_end(at)
        window = read_calendars(calendars).load(end, window_days).only(people)
    except AdvisorError as error:
        report_problems(error.problems)
        return EXIT_ERROR
    report = render_load(window, by, fmt)
    if output is None:
        click.echo(report, nl=False)
    else:
        write_atomically(Path(output), report)
    return 0


def window_end(at: Optional[str]) -> datetime:
    if at is None:
        from dateutil.tz import tzlocal

        return datetime.now(tzlocal())
    from advisor.inputs.calendar import check_window
    from advisor.inputs.proposal import parse_start

    try:
        end = parse_start(at)
    except ValueError as error:
        raise InputError([Problem("--at", f"{error}, found {at!r}")]) from None
    check_window(end, "--at")
    return end
