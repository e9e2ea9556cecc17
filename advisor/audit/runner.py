"""Running an audit: read the shares of the series, add up everyone's load, decide each series,
add up the results. On this machine (a process per core) or on a Dask cluster, the same work
in the same order, so the output is the same.

Reading first: a file that cannot be read is named once and left out of every share (the
shares are then read again without it), so that what is audited never depends on how the
series were shared out. Deciding then goes by chunks of series in a stable order.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

from advisor.api import Advisor
from advisor.audit.deciding import Deciding, decide_series
from advisor.audit.reading import LOAD_DAYS, SeriesFound, ShareRead, Source, Window, read_share
from advisor.core.audit import Audit, SeriesAudit, people, ranked, totals
from advisor.errors import InputError, Problem
from advisor.inputs.calendar import PersonLoad, WindowLoad
from advisor.inputs.invite import Roles
from advisor.packs.purposes import load_purpose_rules

CHUNKS_PER_WORKER = 8  # chunks of series per worker: small enough to keep every worker busy to the end
MAX_READS = 3  # reading again without the files found broken: twice is enough, a third is a safeguard


class Outcome(NamedTuple):
    audit: Audit
    problems: List[Problem]


class Runner:
    """Where the work runs: `shares` workers, each task a picklable function and its arguments."""

    shares = 1

    def map(self, function: Callable[..., Any], arguments: Sequence[Tuple[Any, ...]]) -> Iterator[Any]:
        for args in arguments:
            yield function(*args)

    def everywhere(self, value: Any) -> Any:
        """`value` as an argument every task may be given: on a cluster, sent to each worker once."""
        return value

    def carried(self, sources: Sequence[Source]) -> Sequence[Source]:
        """The calendars as the tasks get them: here, files that each task reads itself."""
        return sources

    def close(self) -> None:
        pass


class LocalRunner(Runner):
    """A process per core (fork on Linux: workers share what the parent has loaded)."""

    def __init__(self, jobs: int):
        self.shares = max(1, jobs)
        self._executor: Any = None

    def map(self, function: Callable[..., Any], arguments: Sequence[Tuple[Any, ...]]) -> Iterator[Any]:
        if self.shares == 1 or len(arguments) < 2:
            yield from super().map(function, arguments)
            return
        if self._executor is None:
            import multiprocessing
            import sys
            from concurrent.futures import ProcessPoolExecutor

            method = "fork" if sys.platform.startswith("linux") else "spawn"
            self._executor = ProcessPoolExecutor(self.shares, multiprocessing.get_context(method))
        yield from self._executor.map(_call, [(function, args) for args in arguments])

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def _call(task: Tuple[Callable[..., Any], Tuple[Any, ...]]) -> Any:
    function, args = task
    return function(*args)


def run_audit(advisor: Advisor, sources: Sequence[Source], window: Window, *, roles: Optional[Roles] = None,
              one_offs: bool = False, runner: Optional[Runner] = None,
              progress: Optional[Callable[[int, int], None]] = None) -> Outcome:
    """The audit of the live series in `sources`, and the problems of what could not be read.
    `progress(done, total)` is told of the series decided as each chunk comes back."""
    runner = runner or Runner()
    purposes = load_purpose_rules(advisor.folders)
    names = {source.name for source in sources}
    left_out: List[str] = []
    file_problems: List[Problem] = []  # of every reading: a file left out is named once
    sent = runner.everywhere(runner.carried(sources))
    for _ in range(MAX_READS):
        arguments = [(sent, share, runner.shares, window, roles, one_offs, tuple(left_out))
                     for share in range(runner.shares)]
        reads: List[ShareRead] = list(runner.map(read_share, arguments))
        file_problems = _unique(file_problems + [p for read in reads for p in read.problems])
        broken = sorted({p.file for read in reads for p in read.problems if p.file in names} - set(left_out))
        if not broken:
            break
        left_out += broken
    problems = file_problems + sorted(_unique(p for read in reads for p in read.series_problems),
                                      key=lambda p: (p.file, p.line or 0))
    load = _window_load(reads, window, [s.name for s in sources if s.name not in left_out])
    known = frozenset(person for read in reads for person in read.people)
    found = sorted((one for read in reads for one in read.series), key=lambda one: one.uid)
    context = runner.everywhere(Deciding(advisor, purposes, load, known))
    size = max(1, -(-len(found) // (runner.shares * CHUNKS_PER_WORKER)))
    chunks = [found[i:i + size] for i in range(0, len(found), size)]
    audited: List[SeriesAudit] = []
    for results in runner.map(decide_chunk, [(chunk, context) for chunk in chunks]):
        for result in results:
            if isinstance(result, Problem):
                problems.append(result)
            else:
                audited.append(result)
        if progress is not None:
            progress(len(results), len(found))
    weekly = {person.email: person.hours * 7 / LOAD_DAYS for person in load.per_person}
    series = ranked(audited)
    audit = Audit(window.at, window.days, series, totals(series, advisor.currency), people(series, weekly))
    return Outcome(audit, problems)


def decide_chunk(chunk: Sequence[SeriesFound], context: Deciding) -> List[Union[SeriesAudit, Problem]]:
    results: List[Union[SeriesAudit, Problem]] = []
    for found in chunk:
        try:
            results.append(decide_series(found, context))
        except InputError as error:
            results.append(error.problems[0])
    return results


def _window_load(reads: Sequence[ShareRead], window: Window, files: Sequence[str]) -> WindowLoad:
    """Everyone's meetings in the 7 days before the audit's moment: the shares' counts added up."""
    totals: Dict[str, Tuple[Optional[str], int, int]] = {}
    for read in reads:
        for email, (name, count, seconds) in read.load.items():
            known = totals.get(email, (None, 0, 0))
            totals[email] = (known[0] or name, known[1] + count, known[2] + seconds)
    per_person = sorted((PersonLoad(email, name, count, seconds) for email, (name, count, seconds) in totals.items()),
                        key=lambda p: (-p.seconds, -p.meetings, p.email))
    return WindowLoad(window.load_start, window.at, LOAD_DAYS, tuple(files), tuple(per_person),
                      ())


def _unique(problems: Any) -> List[Problem]:
    return list(dict.fromkeys(problems))
