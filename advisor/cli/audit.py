"""`advisor audit`: the meeting series people already have, each decided, ranked by what it frees."""
from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional, Sequence

import click

from advisor.cli.main import EXIT_ERROR, report_problems
from advisor.cli.output import emit
from advisor.errors import AdvisorError, InputError, Problem

if TYPE_CHECKING:
    from advisor.audit.reading import Source
    from advisor.audit.runner import Runner
    from advisor.core.audit import Audit
    from advisor.inputs.invite import Roles

PROGRESS_MIN = 100  # series before a progress bar is shown (on a terminal)
PASSWORD_VARIABLE = "ADVISOR_CALDAV_PASSWORD"

AUDIT_HELP = f"""Audit the meetings people already have: every meeting series live in the window,
decided by the same rules as 'advisor check', ranked by the attendee-hours it could free.

CALENDARS are .ics files, folders of them, or CalDAV calendar URLs (https://..., or
http:// to this machine only). For CalDAV, the user name is --user and the password comes
from the {PASSWORD_VARIABLE} environment variable or ~/.netrc, never from the command line.

\b
Exit codes: 0 the audit ran (whatever it found), 2 a calendar, rule or setting could not be
read (the other calendars are still audited).

\b
Examples:
  advisor audit exports/ --roles roles.yaml --format html -o audit.html
  advisor audit exports/ --at 2026-03-02T09:00[Europe/Berlin] --format csv -o audit.csv
  advisor audit https://cal.example.com/dav/sales/ --user dana
  advisor audit exports/ --scheduler tcp://10.0.0.5:8786
"""


@click.command(help=AUDIT_HELP)
@click.argument("calendars", nargs=-1, required=True)
@click.option("--at", "at", metavar="DATETIME",
              help="Start of the window: 2026-03-02T09:00+01:00 or 2026-03-02T09:00[Europe/Berlin]; default now. "
                   "The attendees' load is taken over the 7 days before it.")
@click.option("--window", "days", type=click.IntRange(1, 366), default=28, show_default=True,
              help="Days from --at in which a series must meet to be audited.")
@click.option("--roles", "roles_file", type=click.Path(dir_okay=False),
              help="A YAML file mapping email addresses (or @domains) to roles, as for invitations.")
@click.option("--one-offs", is_flag=True, help="Also decide the one-off meetings in the window.")
@click.option("--format", "-f", "fmt", type=click.Choice(("text", "markdown", "html", "json", "csv")), default="text",
              show_default=True, help="A ranked table for people (text, markdown, html) or data (json, csv).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the report to this file (atomically) instead of standard output.")
@click.option("--lang", type=click.Choice(("en", "ar")), default="en", show_default=True,
              help="Language of the report.")
@click.option("--summary", is_flag=True, help="At the end, on standard error: the series by recommendation, and "
                                              "the hours they free.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Processes on this machine.  [default: the number of CPU cores]")
@click.option("--scheduler", metavar="tcp://HOST:PORT",
              help="Run on this Dask cluster's workers instead of this machine (pip install 'meeting-advisor[dask]').")
@click.option("--user", help="CalDAV user name (the password from $" + PASSWORD_VARIABLE + " or ~/.netrc).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(),
              help="Add a rule pack (folder or file), with its purposes/ rules. Repeatable.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Settings (threshold, disabled rules, effects, costs, packs); by default ./advisor.yaml if any.")
def audit(calendars: Sequence[str], at: Optional[str], days: int, roles_file: Optional[str], one_offs: bool, fmt: str,
          output: Optional[str], lang: str, summary: bool, jobs: Optional[int], scheduler: Optional[str],
          user: Optional[str], rule_dirs: Sequence[str], config_file: Optional[str]) -> int:
    from advisor.api import Advisor
    from advisor.audit.reading import Window
    from advisor.audit.runner import run_audit
    from advisor.batch import available_cores
    from advisor.cli.load import window_end
    from advisor.packs.config import find_config
    from advisor.report.audit import render_audit

    try:
        advisor = Advisor(extra_rules=rule_dirs, config=find_config(config_file))
        window = Window(window_end(at), days)
        roles = _roles(roles_file)
        sources = _sources(calendars, user)
        runner = _runner(scheduler, jobs or available_cores())
    except AdvisorError as error:
        report_problems(error.problems)
        return EXIT_ERROR
    try:
        with _progress() as progress:
            outcome = run_audit(advisor, sources, window, roles=roles, one_offs=one_offs, runner=runner,
                                progress=progress)
    except AdvisorError as error:
        report_problems(error.problems)
        return EXIT_ERROR
    finally:
        runner.close()
    report_problems(outcome.problems)
    try:
        emit(render_audit(outcome.audit, fmt, lang), output)
    except AdvisorError as error:
        report_problems(error.problems)
        return EXIT_ERROR
    if summary:
        click.echo(_summary_line(outcome.audit), err=True)
    return EXIT_ERROR if outcome.problems else 0


def _roles(roles_file: Optional[str]) -> Optional["Roles"]:
    if roles_file is None:
        return None
    from advisor.inputs.invite import read_roles

    return read_roles(roles_file)


def _sources(names: Sequence[str], user: Optional[str]) -> List["Source"]:
    """Files and folders as files; URLs fetched from their CalDAV server, every problem named."""
    from advisor.audit.reading import Source
    from advisor.inputs.calendar import calendar_files

    urls = [name for name in names if name.lower().startswith(("http://", "https://"))]
    paths = [name for name in names if name not in urls]
    problems: List[Problem] = []
    sources: List[Source] = []
    if paths:
        try:
            sources += [Source(file) for file in calendar_files(paths)]
        except InputError as error:
            problems += error.problems
    if urls:
        from advisor.inputs.caldav import fetch_calendars, password_for

        for url in urls:
            try:
                sources += [Source(name, data) for name, data in fetch_calendars(url, user, password_for(url, user))]
            except InputError as error:
                problems += error.problems
    if problems:
        raise InputError(problems)
    return sources


def _runner(scheduler: Optional[str], jobs: int) -> "Runner":
    if scheduler is None:
        from advisor.audit.runner import LocalRunner

        return LocalRunner(jobs)
    from advisor.audit.cluster import DaskRunner

    return DaskRunner(scheduler)


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    """A progress bar on standard error for long audits, when that is a terminal."""
    bar = None

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar is None and total >= PROGRESS_MIN and sys.stderr.isatty():
            bar = click.progressbar(length=total, label="Deciding series", file=sys.stderr, show_pos=True)
            bar.__enter__()
        if bar is not None:
            bar.update(done)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


def _summary_line(audit: "Audit") -> str:
    from advisor.core.numbers import money, num

    t = audit.totals
    counts = ", ".join(f"{t.by_recommendation[k]:,} {k.replace('_', ' ')}" for k in t.by_recommendation)
    return (f"{t.series:,} series: {counts}, {t.unknown_purpose:,} with an unknown purpose; "
            f"{num(t.reclaimable_hours / 100)} attendee-hours ({money(t.reclaimable_cost)} {t.currency}) a year "
            "could be freed.")

