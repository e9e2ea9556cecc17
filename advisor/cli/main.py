"""The `advisor` command: the group of subcommands, exit codes, and no traceback unless asked for.

Each subcommand lives in a module of its own and is imported only when it runs, so that
`advisor check` pays for nothing else.
"""
from __future__ import annotations

import sys
from typing import List, Optional, Sequence

import click

from advisor.errors import AdvisorError, Problem, one_line
from advisor.version import __version__

EXIT_HOLD = 0
EXIT_SKIP = 1
EXIT_ERROR = 2
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug in advisor, not in the input


class LazyGroup(click.Group):
    """Subcommands named here are imported only when used, so that `advisor check` starts fast."""

    lazy_commands = {
        # "name": "module:command_object"
        "audit": "advisor.cli.audit:audit",
        "check": "advisor.cli.check:check",
        "rules": "advisor.cli.rules:rules",
        "load": "advisor.cli.load:load",
        "schema": "advisor.cli.schema:schema",
        "serve": "advisor.cli.serve:serve",
    }

    def list_commands(self, ctx: click.Context) -> List[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name in self.lazy_commands:
            import importlib

            module, _, attribute = self.lazy_commands[name].partition(":")
            command: click.Command = getattr(importlib.import_module(module), attribute)
            return command
        return super().get_command(ctx, name)


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """The version, and where the shipped rules and templates are read from: a newcomer who edits
    rules/ in a checkout sees here whether the advisor runs from it (an editable install) or not."""
    if not value or ctx.resilient_parsing:
        return
    from advisor.resources import default_rules_dir, templates_dir

    click.echo(f"advisor, version {__version__}\nrules: {default_rules_dir()}\ntemplates: {templates_dir()}")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and where the shipped rules and templates are read from, then exit.")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def main(debug: bool) -> None:
    """Should this meeting be held, in which format, and why."""


def report_problems(problems: Sequence[Problem]) -> None:
    """Each problem as one line on standard error."""
    for problem in problems:
        click.echo(str(problem), err=True)


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
        report_problems(error.problems)
        return EXIT_ERROR
    except Exception as error:  # a bug: say so in one line, show the traceback only on request
        if "--debug" in args:
            import traceback

            traceback.print_exc()
        else:
            click.echo(one_line(f"advisor: internal error ({type(error).__name__}: {error}); please report it with "
                                "the input that caused it (--debug shows the traceback)"), err=True)
        return EXIT_INTERNAL


def entry() -> None:
    """Run the command line and exit with its code (the console script, after `advisor.cli.launch`)."""
    import gc
    import signal

    # A terminated run, or one whose terminal closed, unwinds like an interrupted one: no
    # temporary file is left behind (advisor.cli.output).
    for number in (signal.SIGTERM, *((signal.SIGHUP,) if hasattr(signal, "SIGHUP") else ())):
        signal.signal(number, lambda signum, frame: sys.exit(128 + signum))
    code = run()
    # The collection at exit would walk every object only to find them all about to go with the
    # process: a sixth of a one-proposal run's time.
    gc.freeze()
    sys.exit(code)
