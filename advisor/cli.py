"""The command line: parse arguments, call the library, map outcomes to exit codes."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional, Sequence

import click

from . import __version__
from .errors import AdvisorError

if TYPE_CHECKING:
    from .decision import Decision

EXIT_HOLD = 0
EXIT_SKIP = 1
EXIT_ERROR = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in advisor, not in the input

OUTPUT_FORMATS = ("text", "markdown", "html", "json")

CHECK_HELP = """Decide whether the proposed meetings should be held, and how.

FILES are meeting proposals in YAML (see spec/meeting.md); '-' reads one from standard input.

\b
Exit codes: 0 every proposal should be held, 1 at least one should be skipped,
2 a proposal or rule file could not be read.

\b
Example:
  advisor check meeting.yaml && book-the-room
  advisor check --format json examples/*.yaml
"""


class LazyGroup(click.Group):
    """Subcommands named here are imported only when used, so that `advisor check` starts fast."""

    lazy_commands = {
        # "name": "advisor.module:command_object",
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
              help="Output for people (text, markdown, html) or machines (json).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(),
              help="Add a rule pack (folder or file); a rule with an existing id replaces it. Repeatable.")
@click.option("--threshold", type=click.IntRange(0, 100), default=None,
              help="Necessity score needed to hold a meeting.  [default: 50]")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write the output to this file (atomically) instead of standard output.")
def check(files: Sequence[str], fmt: str, rule_dirs: Sequence[str], threshold: Optional[int],
          output: Optional[str]) -> int:
    from .api import Advisor
    from .decision import DEFAULT_THRESHOLD

    try:
        advisor = Advisor(extra_rules=rule_dirs, threshold=DEFAULT_THRESHOLD if threshold is None else threshold)
    except AdvisorError as error:
        _report(error)
        return EXIT_ERROR
    decisions: List["Decision"] = []
    failed = False
    for name in files:
        try:
            decisions.append(advisor.check(_read_proposal(name)))
        except AdvisorError as error:
            _report(error)
            failed = True
    if decisions:
        from .render import render_many

        _emit(render_many(decisions, fmt), output)
    if failed:
        return EXIT_ERROR
    return EXIT_HOLD if all(d.hold for d in decisions) else EXIT_SKIP


def _read_proposal(name: str) -> object:
    from .meeting import parse_meeting, read_meeting

    if name == "-":
        return parse_meeting(sys.stdin.buffer.read(), "<stdin>")
    return read_meeting(name)


def _report(error: AdvisorError) -> None:
    for problem in error.problems:
        click.echo(str(problem), err=True)


def _emit(text: str, output: Optional[str]) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    write_atomically(Path(output), text)


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and a rename: never a half-written file."""
    directory = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


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
        _report(error)
        return EXIT_ERROR
    except Exception as error:  # a bug: say so in one line, show the traceback only on request
        if "--debug" in args:
            raise
        click.echo(f"advisor: internal error ({type(error).__name__}: {error}); please report it with the "
                   "input that caused it (--debug shows the traceback)", err=True)
        return EXIT_INTERNAL


def entry() -> None:
    sys.exit(run())
