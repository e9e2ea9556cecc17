"""The command line: parse arguments, call the library, map outcomes to exit codes."""
from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional, Sequence

import click

from . import __version__
from .errors import AdvisorError

if TYPE_CHECKING:
    from .auditlog import DecisionLog
    from .calendar import Calendars
    from .decision import Decision
    from .errors import Problem
    from .invite import InviteOptions
    from .meeting import Meeting

EXIT_HOLD = 0
EXIT_SKIP = 1
EXIT_ERROR = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in advisor, not in the input

OUTPUT_FORMATS = ("text", "markdown", "html", "json", "jsonl")
PROGRESS_MIN = 100  # files in a batch before a progress bar is shown (on a terminal)

CHECK_HELP = """Decide whether the proposed meetings should be held, and how.

FILES are meeting proposals in YAML (see spec/meeting.md) or .ics invitations; '-' reads one
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


class LazyGroup(click.Group):
    """Subcommands named here are imported only when used, so that `advisor check` starts fast."""

    lazy_commands = {
        # "name": "advisor.module:command_object",
        "serve": "advisor.cli_serve:serve",
        "schema": "advisor.cli_schema:schema",
        "rules": "advisor.cli_rules:rules",
        "load": "advisor.cli_load:load",
    }

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name in self.lazy_commands:
            import importlib

            module, _, attribute = self.lazy_commands[name].partition(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="advisor")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def main(debug: bool) -> None:
    """Should this meeting be held, in which format, and why."""


@main.command(help=CHECK_HELP)
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
def check(files: Sequence[str], fmt: str, rule_dirs: Sequence[str], threshold: Optional[int],
          output: Optional[str], decision_log: Optional[str] = None, config_file: Optional[str] = None,
          explain: bool = False, lang: str = "en", color: str = "auto", template: Optional[str] = None,
          what_if: Optional[bool] = None, calendar_paths: Sequence[str] = (), purposes: Sequence[str] = (),
          decision_required: Optional[bool] = None, roles_file: Optional[str] = None, summary: bool = False,
          jobs: Optional[int] = None) -> int:
    if explain and fmt in ("html", "jsonl"):
        raise click.UsageError("--explain works with --format text, markdown or json")
    if template is not None and fmt == "jsonl":
        raise click.UsageError("--template shapes text, markdown or html, not JSON lines")
    with _no_garbage_collection():  # start-up allocates plenty and leaves next to no garbage
        from functools import partial

        from .api import Advisor
        from .batch import Tally, Task, available_cores, proposal_files, results
        from .config import find_config

        try:
            advisor = Advisor(extra_rules=rule_dirs, threshold=threshold, config=find_config(config_file))
            log = _open_decision_log(decision_log)
            calendars = _read_calendars(calendar_paths)
            invite = _invite_options(purposes, decision_required, roles_file)
        except AdvisorError as error:
            _report(error.problems)
            return EXIT_ERROR
    names = proposal_files(files)
    lines = fmt == "jsonl"
    if what_if is None:  # one person reading one decision wants it; a batch would pay it thousands of times
        what_if = len(names) == 1 and not lines
    task = Task(advisor, partial(_read_proposal, invite=invite), what_if, calendars,
                json_lines=lang if lines else None, keep_decisions=not lines, digests=log is not None)
    decisions: List["Decision"] = []
    written: List[str] = []  # JSON lines bound for --output
    tally = Tally()
    version = ""  # of the rules and settings: the same for every decision of the run
    if log is not None:
        from .auditlog import rules_version

        version = rules_version(advisor)
    try:
        with _progress(len(names), streaming=lines and output is None) as advance:
            for result in results(task, names, jobs or available_cores()):
                advance()
                if not result.problems and log is not None:
                    try:  # recorded before it is shown: no decision goes unlogged
                        log.record(result.decision, result.digest, version)
                    except AdvisorError as error:
                        result = result.failed(error.problems)
                tally.add(result)
                if result.problems:
                    _report(result.problems)
                elif result.line is None:
                    decisions.append(result.decision)
                elif output is None:
                    sys.stdout.write(result.line + "\n")
                    sys.stdout.flush()
                else:
                    written.append(result.line)
    finally:
        if log is not None:
            log.close()
    if written:
        try:
            write_atomically(Path(output), "\n".join(written) + "\n")
        except AdvisorError as error:
            _report(error.problems)
            return EXIT_ERROR
    if decisions:
        from .render import render_many

        colored = _use_color(color, output)
        try:
            report = render_many(decisions, fmt, lang=lang, color=colored, template=template,
                                 array=len(names) > 1)  # several files named: an array, whatever failed
        except AdvisorError as error:  # a --template that does not compile or fails
            _report(error.problems)
            return EXIT_ERROR
        if explain:
            from .explain import Explainer, render_explained

            explainer = Explainer(advisor.pack)
            report = render_explained(decisions, [explainer.explain(d) for d in decisions], fmt, report)
        _emit(report, output, colored)
    if summary:
        click.echo(tally.line(advisor.currency), err=True)
    if tally.errors:
        return EXIT_ERROR
    return EXIT_HOLD if tally.skip == 0 else EXIT_SKIP


@contextmanager
def _progress(total: int, streaming: bool) -> Iterator[Callable[[], None]]:
    """A step function for each proposal done: a progress bar on standard error when that is a
    terminal and the batch is large (and the decisions are not streaming to the same terminal)."""
    if total < PROGRESS_MIN or not sys.stderr.isatty() or (streaming and sys.stdout.isatty()):
        yield lambda: None
        return
    with click.progressbar(length=total, label="Checking", file=sys.stderr, show_pos=True) as bar:
        yield lambda: bar.update(1)


def _read_proposal(name: str, invite: Optional["InviteOptions"] = None) -> "Meeting":
    from .meeting import parse_meeting
    from .yamlsafe import read_file, read_stream

    file = "<stdin>" if name == "-" else name
    raw = read_stream(sys.stdin.buffer, file) if name == "-" else read_file(name)  # no further than the limit
    if name.lower().endswith(".ics") or raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper() == b"BEGIN:VCALENDAR":
        from .invite import InviteOptions, parse_invite

        return parse_invite(raw, file, invite or InviteOptions())
    return parse_meeting(raw, file)


def _read_calendars(paths: Sequence[str]) -> Optional["Calendars"]:
    if not paths:
        return None
    from .calendar import read_calendars

    return read_calendars(paths)


def _invite_options(purposes: Sequence[str], decision_required: Optional[bool],
                    roles_file: Optional[str]) -> Optional["InviteOptions"]:
    if not purposes and decision_required is None and roles_file is None:
        return None
    from .invite import InviteOptions

    return InviteOptions.from_arguments(purposes, decision_required, roles_file)


def _open_decision_log(path: Optional[str]) -> Optional["DecisionLog"]:
    if path is None:
        return None
    from .auditlog import DecisionLog

    return DecisionLog(path)


def _report(problems: Sequence["Problem"]) -> None:
    for problem in problems:
        click.echo(str(problem), err=True)


def _use_color(choice: str, output: Optional[str]) -> bool:
    """--color auto: only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if choice != "auto":
        return choice == "always"
    return output is None and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _emit(text: str, output: Optional[str], colored: bool = False) -> None:
    if output is None:
        click.echo(text, nl=False, color=colored)
        return
    write_atomically(Path(output), text)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename: never a half-written file.

    A file that cannot be written is a ConfigError (exit 2); `path` is then left as it was.
    """
    import tempfile

    temporary: Optional[str] = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.resolve().parent)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _file_mode(path))  # mkstemp's 0600 would otherwise replace the file's mode
        os.replace(temporary, path)
        temporary = None
    except OSError as error:
        from .errors import ConfigError, Problem

        raise ConfigError([Problem(str(path), f"cannot write the output: {error.strerror or error}")]) from None
    finally:
        if temporary is not None:
            os.unlink(temporary)


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


def _file_mode(path: Path) -> int:
    """The mode of the file being replaced, else what a new file gets under the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def run(argv: Optional[Sequence[str]] = None) -> int:
    """Run the CLI and return its exit code; never lets a traceback through unless --debug."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = main.main(args=args, prog_name="advisor", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except click.exceptions.Exit as done:
        return done.exit_code
    except click.ClickException as error:
        error.show()
        return EXIT_ERROR
    except (click.Abort, KeyboardInterrupt):
        click.echo("advisor: interrupted", err=True)
        return 130
    except AdvisorError as error:
        _report(error.problems)
        return EXIT_ERROR
    except Exception as error:  # a bug: say so in one line, show the traceback only on request
        if "--debug" in args:
            import traceback

            traceback.print_exc()
        else:
            from .errors import one_line

            click.echo(one_line(f"advisor: internal error ({type(error).__name__}: {error}); please report it with "
                                "the input that caused it (--debug shows the traceback)"), err=True)
        return EXIT_INTERNAL


def entry() -> None:
    import gc
    import signal

    # A terminated run unwinds like an interrupted one: no temporary file is left behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    code = run()
    # The collection at exit would walk every object only to find them all about to go with the
    # process: a sixth of a one-proposal run's time.
    gc.freeze()
    sys.exit(code)
