"""The `advisor` console script's first step: the command's own imports, without collections.

Importing click and the commands makes tens of thousands of objects that live as long as the
process. Python's cycle collector runs every 700 new objects and would look through them a
dozen times, find nothing to free, and cost a one-proposal run 2 ms (bench/run.py, start-up).
So they are made with the collector paused, then frozen out of every later collection
(gc.freeze), and collection resumes before the command runs.
"""
from __future__ import annotations

import gc


def entry() -> None:
    """The `advisor` console script."""
    gc.disable()
    from advisor.cli.main import entry as run_command

    gc.freeze()
    gc.enable()
    run_command()
