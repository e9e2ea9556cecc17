"""Checking many proposals: which files, each decided here or in worker processes, and the tally.

`advisor check` hands over its files and how to check each one (a `Task`); `results`
yields one `Result` per file, in the order given, as soon as it is decided, so that the
command can stream JSON lines, show progress and count while the batch runs.
"""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional, Sequence, Tuple

from advisor.errors import AdvisorError, Problem
from advisor.inputs.files import YAML_SUFFIXES, regular_files

if TYPE_CHECKING:
    from advisor.api import Advisor
    from advisor.core.decision import Decision
    from advisor.core.meeting import Meeting
    from advisor.inputs.calendar import Calendars
    from advisor.packs.explain import Explainer

PROPOSAL_SUFFIXES = YAML_SUFFIXES
# Fewer files than this per worker, and starting workers costs what they save: measured on two
# cores, two processes take 8% longer than one for 200 files, 6% less for 400, a quarter less
# for 1,000 and two fifths less for 10,000 (bench/run.py).
MIN_FILES_PER_JOB = 150


def available_cores() -> int:
    """The CPU cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def proposal_files(names: Sequence[str]) -> List[str]:
    """The names given, each folder replaced by the proposal files below it, in sorted order,
    hidden files and folders left out, and only regular files (a FIFO or a device found in a
    folder would block or never end). A folder without any stays, to be reported in its place."""
    files: List[str] = []
    for name in names:
        if name == "-" or not os.path.isdir(name):
            files.append(name)
            continue
        try:
            found = regular_files(name, PROPOSAL_SUFFIXES, recursive=True)
        except OSError:  # reported in its place, as a folder with nothing to read
            found = []
        files += found or [name]
    return files


class Task:
    """How each proposal of a batch is checked: the same in every process.

    (Plain classes here, not dataclasses: a dataclass costs a third of a millisecond to
    define, and this module is imported by every `advisor check`.)
    """

    def __init__(self, advisor: "Advisor", read: Callable[[str], "Meeting"], what_if: bool = False,
                 calendars: Optional["Calendars"] = None, json_lines: Optional[str] = None,
                 keep_decisions: bool = True, digests: bool = False, json_indent: Optional[int] = None,
                 explain: bool = False):
        self.advisor = advisor
        self.read = read
        self.what_if = what_if
        self.calendars = calendars
        self.json_lines = json_lines  # the language of each decision's JSON to render, if the output is JSON
        self.json_indent = json_indent  # None: one line each (jsonl); else indented (the items of --format json)
        self.explain = explain  # each decision's JSON gains its rules, fired or not and why
        self.keep_decisions = keep_decisions  # the whole report is rendered once every proposal is decided
        self.digests = digests  # the decision log needs each proposal's digest
        self._explainer: Optional["Explainer"] = None

    def explainer(self) -> "Explainer":
        """What explains each decision's rules: made once, in the process that needs it."""
        if self._explainer is None:
            from advisor.packs.explain import Explainer

            self._explainer = Explainer(self.advisor.pack)
        return self._explainer


class Result:
    """One proposal's outcome; small enough to come back from a worker process."""

    __slots__ = ("name", "problems", "decision", "line", "hold", "cost", "digest")

    def __init__(self, name: str, problems: Tuple[Problem, ...] = (), decision: Optional["Decision"] = None,
                 line: Optional[str] = None, hold: bool = False, cost: Tuple[float, float, float] = (0.0, 0.0, 0.0),
                 digest: Optional[str] = None):
        self.name = name
        self.problems = problems
        self.decision = decision
        self.line = line
        self.hold = hold
        self.cost = cost  # amount, yearly amount, attendee-hours
        self.digest = digest  # of the proposal, for the decision log

    def failed(self, problems: Sequence[Problem]) -> "Result":
        return Result(self.name, tuple(problems))

    def __reduce__(self) -> Tuple[type, Tuple[object, ...]]:  # sent back by workers: as a plain tuple, quickly
        return Result, tuple(getattr(self, name) for name in self.__slots__)


def check_one(task: Task, name: str) -> Result:
    try:
        meeting = task.read(name)
        decision = task.advisor.check(meeting, what_if=task.what_if, calendars=task.calendars)
    except AdvisorError as error:
        if name != "-" and os.path.isdir(name):  # a folder left in by proposal_files: none below it
            suffixes = ", ".join("*" + suffix for suffix in PROPOSAL_SUFFIXES)
            return Result(name, (Problem(name, f"no proposal files ({suffixes}) in this folder or below it"),))
        return Result(name, tuple(error.problems))
    line = None
    if task.json_lines is not None:
        from advisor.report.json_format import to_dict

        value = to_dict(decision, task.json_lines)
        if task.explain:
            value["explain"] = [rule.to_dict() for rule in task.explainer().explain(decision)]
        line = json.dumps(value, ensure_ascii=False, indent=task.json_indent)
    digest = None
    if task.digests:
        from advisor.decisionlog import proposal_digest

        digest = proposal_digest(meeting)
    cost = decision.cost
    return Result(name, (), decision if task.keep_decisions or task.digests else None, line, decision.hold,
                  (cost.amount, cost.yearly_amount, cost.attendee_hours), digest)


def results(task: Task, names: Sequence[str], jobs: int = 1) -> Iterator[Result]:
    """Each file's Result, in order, as it is ready; in `jobs` processes when that pays."""
    if jobs <= 1 or len(names) < MIN_FILES_PER_JOB * 2 or "-" in names:
        for name in names:
            yield check_one(task, name)
        return
    import multiprocessing
    import sys
    from concurrent.futures import ProcessPoolExecutor

    # On Linux, fork shares the compiled rules and snippets with the workers; elsewhere (where
    # fork is unsafe or missing) the Advisor is sent to them, and rebuilds its engine there.
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    workers = min(jobs, len(names) // MIN_FILES_PER_JOB)
    chunk = max(1, min(64, len(names) // (workers * 8)))
    # An executor, not multiprocessing.Pool: a worker that dies (killed, out of memory) ends the
    # batch with BrokenProcessPool instead of leaving it waiting for ever.
    executor = ProcessPoolExecutor(workers, multiprocessing.get_context(method), _start_worker, (task,))
    try:
        yield from executor.map(_check_in_worker, names, chunksize=chunk)
    finally:  # stopped early (Ctrl-C, a failed write): the files not started are not checked
        executor.shutdown(wait=True, cancel_futures=True)


_worker_task: Optional[Task] = None


def _start_worker(task: Task) -> None:
    import signal

    global _worker_task
    _worker_task = task
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the batch
    # A terminated worker dies there and then: the parent's handler (unwind, remove temporary
    # files) is not for workers, which write nothing, and multiprocessing.Pool, which stops its
    # workers with SIGTERM, was left waiting for ever for one that unwound instead.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)


def _check_in_worker(name: str) -> Result:
    assert _worker_task is not None
    return check_one(_worker_task, name)


class Tally:
    """What --summary reports."""

    def __init__(self) -> None:
        self.hold = self.skip = self.errors = 0
        self.avoided = 0.0  # what the skipped meetings would have cost, once
        self.avoided_yearly = 0.0  # and over a year of their occurrences
        self.avoided_hours = 0.0

    def add(self, result: Result) -> None:
        if result.problems:
            self.errors += 1
        elif result.hold:
            self.hold += 1
        else:
            self.skip += 1
            amount, yearly, hours = result.cost
            self.avoided += amount
            self.avoided_yearly += yearly
            self.avoided_hours += hours

    def line(self, currency: str) -> str:
        from advisor.core.numbers import money, num

        checked = self.hold + self.skip + self.errors
        text = (f"{checked:,} proposal{'s' if checked != 1 else ''}: {self.hold:,} hold, {self.skip:,} skip, "
                f"{self.errors:,} error{'s' if self.errors != 1 else ''}.")
        if self.skip:
            text += (f" The skips avoid {money(self.avoided)} {currency} and {num(self.avoided_hours)} attendee-hours"
                     f" ({money(self.avoided_yearly)} {currency} a year).")
        return text
