"""`advisor check`: decide proposals, one or a batch, and report them."""
from __future__ import annotations

import os
import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional, Sequence

import click

from advisor.cli.main import EXIT_ERROR, EXIT_HOLD, EXIT_SKIP, report_problems
from advisor.cli.output import AtomicFile, emit, write_atomically
from advisor.errors import AdvisorError, ConfigError

if TYPE_CHECKING:
    from advisor.core.decision import Decision
    from advisor.core.meeting import Meeting
    from advisor.decisionlog import DecisionLog
    from advisor.inputs.calendar import Calendars
    from advisor.inputs.invite import InviteOptions

OUTPUT_FORMATS = ("text", "markdown", "html", "json", "jsonl")
PROGRESS_MIN = 100  # files in a batch before a progress bar is shown (on a terminal)

CHECK_HELP = """Decide whether the proposed meetings should be held, and how.

FILES are meeting proposals in YAML (see docs/proposal.md) or .ics invitations; '-' reads one
from standard input. A folder stands for every *.yaml and *.yml file below it.

\b
Exit codes: 0 every proposal should be held, 1 at least one should be skipped,
2 a proposal or rule file could not be read.

\b
Example:
  advisor check meeting.yaml && book-the-room
  advisor check --format json examples/*.yaml
  advisor check --format jsonl --summary proposals/ > decisions.jsonl
"""


@click.command(help=CHECK_HELP)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True, allow_dash=True))
@click.option("--format", "-f", "fmt", type=click.Choice(OUTPUT_FORMATS), default="text", show_default=True,
              help="Output for people (text, markdown, html) or machines (json; jsonl: one line per "
                   "decision, written as soon as it is made).")
@click.option("--summary", is_flag=True,
              help="At the end, on standard error: how many hold, skip and failed, and what the skips save.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Check in up to this many processes, one per 150 files at most, and in one under 300 files."
                   "  [default: the number of CPU cores]")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(),
              help="Add a rule pack (folder or file); a rule replaces an earlier pack's rule of the same id "
                   "only if it says 'replaces: true'. Repeatable.")
@click.option("--threshold", type=click.IntRange(0, 100), default=None,
              help="Necessity score needed to hold a meeting.  [default: 50]")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the output to this file (atomically) instead of standard output.")
@click.option("--decision-log", type=click.Path(dir_okay=False),
              help="Append one JSON line per decision (time, proposal digest, rules version, verdict, score, "
                   "format) to this file.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Settings (threshold, disabled rules, effects, costs, packs); by default ./advisor.yaml if any.")
@click.option("--explain", is_flag=True,
              help="After each decision, every rule: fired, or the first condition that failed and why.")
@click.option("--lang", type=click.Choice(("en", "ar")), default="en", show_default=True,
              help="Language of the report (a rule without a text in it is shown in English).")
@click.option("--color", type=click.Choice(("auto", "always", "never")), default="auto", show_default=True,
              help="Colour the text format: auto colours on a terminal unless NO_COLOR is set.")
@click.option("--template", type=click.Path(dir_okay=False),
              help="Your own Jinja template for the text, markdown or html output (run in a sandbox).")
@click.option("--what-if/--no-what-if", "what_if", default=None,
              help="Find the smallest changes that would flip each verdict (each costs a hundred checks or so). "
                   "[default: on for one proposal, off for batches and jsonl]")
@click.option("--calendar", "calendar_paths", multiple=True, type=click.Path(),
              help="Compute the audience's recent meeting load from this .ics export (or folder of them), "
                   "matched by email; it replaces recent_load. Repeatable.")
@click.option("--purpose", "purposes", multiple=True,
              help="For .ics invitations: what the meeting is for (a purpose word). Repeatable.")
@click.option("--decision/--no-decision", "decision_required", default=None,
              help="For .ics invitations: something is (not) to be decided.")
@click.option("--roles", "roles_file", type=click.Path(dir_okay=False),
              help="For .ics invitations: a YAML file mapping email addresses (or @domains) to roles.")
@click.option("--annotate", type=click.Path(dir_okay=False),
              help="For one .ics invitation: write it to this file (atomically) with the verdict in X-ADVISOR-* "
                   "properties and a short justification, in --lang, at the top of its description.")
def check(files: Sequence[str], fmt: str, rule_dirs: Sequence[str], threshold: Optional[int],
          output: Optional[str], decision_log: Optional[str] = None, config_file: Optional[str] = None,
          explain: bool = False, lang: str = "en", color: str = "auto", template: Optional[str] = None,
          what_if: Optional[bool] = None, calendar_paths: Sequence[str] = (), purposes: Sequence[str] = (),
          decision_required: Optional[bool] = None, roles_file: Optional[str] = None, summary: bool = False,
          jobs: Optional[int] = None, annotate: Optional[str] = None) -> int:
    if explain and fmt in ("html", "jsonl"):
        raise click.UsageError("--explain works with --format text, markdown or json")
    if template is not None and fmt in ("json", "jsonl"):  # JSON is streamed: it never reaches a template
        raise click.UsageError("--template shapes text, markdown or html, not JSON")
    if annotate is not None and (len(files) != 1 or os.path.isdir(files[0])):
        raise click.UsageError("--annotate writes back one invitation: give one .ics file")
    with _no_garbage_collection():  # start-up allocates plenty and leaves next to no garbage
        from functools import partial

        from advisor.api import Advisor
        from advisor.batch import Tally, Task, available_cores, proposal_files, results
        from advisor.inputs.reader import read_proposal
        from advisor.packs.config import find_config

        try:
            advisor = Advisor(extra_rules=rule_dirs, threshold=threshold, config=find_config(config_file))
            log = _open_decision_log(decision_log)
            calendars = _read_calendars(calendar_paths)
            invite = _invite_options(purposes, decision_required, roles_file)
            read: Callable[[str], "Meeting"] = partial(read_proposal, invite=invite)
            invitation = None
            if annotate is not None:
                invitation = _Invitation(files[0], Path(annotate))
                read = partial(invitation.proposal, invite=invite)
        except AdvisorError as error:
            report_problems(error.problems)
            return EXIT_ERROR
    names = proposal_files(files)
    lines = fmt == "jsonl"
    streamed = fmt in ("json", "jsonl")  # each decision is written as it comes, and not kept
    if what_if is None:  # one person reading one decision wants it; a batch would pay it thousands of times
        what_if = len(names) == 1 and not lines
    task = Task(advisor, read, what_if, calendars, json_lines=lang if streamed else None,
                keep_decisions=not streamed or invitation is not None, digests=log is not None,
                json_indent=None if lines else 2, explain=explain)
    decisions: List["Decision"] = []
    tally = Tally()
    version = ""  # of the rules and settings: the same for every decision of the run
    if log is not None:
        from advisor.decisionlog import rules_version

        version = rules_version(advisor)
    with ExitStack() as closing:
        if log is not None:
            closing.callback(log.close)
        target = None if output is None or not streamed else closing.enter_context(AtomicFile(Path(output)))
        from advisor.report.json_format import JsonStream

        stream = JsonStream(target.write if target is not None else _write_out,
                            array=None if lines else len(names) > 1)  # several files named: an array
        try:
            with _progress(len(names), streaming=streamed and output is None) as advance:
                for result in results(task, names, jobs or available_cores()):
                    advance()
                    decision_id = None
                    if not result.problems and (log is not None or invitation is not None):
                        from advisor.decisionlog import new_decision_id

                        decision_id = new_decision_id()  # the same in the log and in the invitation
                    if not result.problems and log is not None:
                        assert result.decision is not None and result.digest is not None  # kept for the log
                        assert decision_id is not None
                        try:  # recorded before it is shown: no decision goes unlogged
                            log.record(result.decision, result.digest, version, decision_id)
                        except AdvisorError as error:
                            result = result.failed(error.problems)
                    if not result.problems and invitation is not None:
                        assert result.decision is not None and decision_id is not None
                        try:
                            invitation.write_annotated(result.decision, decision_id, lang)
                        except AdvisorError as error:
                            result = result.failed(error.problems)
                    tally.add(result)
                    if result.problems:
                        report_problems(result.problems)
                    elif result.line is None:
                        assert result.decision is not None  # kept for the report (Task.keep_decisions)
                        decisions.append(result.decision)
                    else:
                        stream.add(result.line)
            stream.close()
        except ConfigError as error:  # --output could not be written: nothing of it is left
            report_problems(error.problems)
            return EXIT_ERROR
    if decisions:
        from advisor.report.render import render_many

        colored = _use_color(color, output)
        try:
            report = render_many(decisions, fmt, lang=lang, color=colored, template=template,
                                 array=len(names) > 1)  # several files named: an array, whatever failed
        except AdvisorError as error:  # a --template that does not compile or fails
            report_problems(error.problems)
            return EXIT_ERROR
        if explain:
            from advisor.packs.explain import Explainer
            from advisor.report.explained import render_explained

            explainer = Explainer(advisor.pack)
            report = render_explained(decisions, [explainer.explain(d) for d in decisions], fmt, report)
        emit(report, output, colored)
    if summary:
        click.echo(tally.line(advisor.currency), err=True)
    if tally.errors:
        return EXIT_ERROR
    return EXIT_HOLD if tally.skip == 0 else EXIT_SKIP


def _write_out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


@contextmanager
def _progress(total: int, streaming: bool) -> Iterator[Callable[[], None]]:
    """A step function for each proposal done: a progress bar on standard error when that is a
    terminal and the batch is large (and the decisions are not streaming to the same terminal)."""
    if total < PROGRESS_MIN or not sys.stderr.isatty() or (streaming and sys.stdout.isatty()):
        yield lambda: None
        return
    with click.progressbar(length=total, label="Checking", file=sys.stderr, show_pos=True) as bar:
        yield lambda: bar.update(1)


class _Invitation:
    """The one invitation of `--annotate`: read once, decided, and written to `target` with the verdict."""

    def __init__(self, name: str, target: Path):
        from advisor.errors import InputError, Problem
        from advisor.inputs.reader import is_invitation
        from advisor.inputs.yamlsafe import read_file, read_stream

        self.file = "<stdin>" if name == "-" else name
        self.target = target
        self.raw = read_stream(sys.stdin.buffer, self.file) if name == "-" else read_file(name)
        if not is_invitation(self.raw, self.file):
            raise InputError([Problem(self.file, "--annotate writes back an .ics invitation (BEGIN:VCALENDAR), "
                                                 "and this is not one")])

    def proposal(self, name: str, invite: Optional["InviteOptions"] = None) -> "Meeting":
        from advisor.inputs.reader import parse_proposal

        return parse_proposal(self.raw, self.file, invite)

    def write_annotated(self, decision: "Decision", decision_id: str, lang: str) -> None:
        from advisor.inputs.annotation import annotate_invite
        from advisor.report.render import render_note

        note = render_note(decision, lang)
        text = annotate_invite(self.raw, self.file, decision, decision_id, note).decode("utf-8")
        write_atomically(self.target, text)


def _read_calendars(paths: Sequence[str]) -> Optional["Calendars"]:
    if not paths:
        return None
    from advisor.inputs.calendar import read_calendars

    return read_calendars(paths)


def _invite_options(purposes: Sequence[str], decision_required: Optional[bool],
                    roles_file: Optional[str]) -> Optional["InviteOptions"]:
    if not purposes and decision_required is None and roles_file is None:
        return None
    from advisor.inputs.invite import InviteOptions

    return InviteOptions.from_arguments(purposes, decision_required, roles_file)


def _open_decision_log(path: Optional[str]) -> Optional["DecisionLog"]:
    if path is None:
        return None
    from advisor.decisionlog import DecisionLog

    return DecisionLog(path)


def _use_color(choice: str, output: Optional[str]) -> bool:
    """--color auto: only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if choice != "auto":
        return choice == "always"
    return output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


@contextmanager
def _no_garbage_collection() -> Iterator[None]:
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


