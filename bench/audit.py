"""What `advisor audit` costs on a synthetic organisation (bench/organisation.py), against a bare
parse of the same files with icalendar on as many processes, in the same run.

    python bench/audit.py [--people 2000] [--weeks 8] [--repeat 3] [--jobs N] [--no-dask]

Prints, as a Markdown table: series per second; the audit's throughput against the bare parse
(runs alternate, the ratio is the median of neighbouring runs' ratios; target >= 0.7); the
peak memory of a one-process audit of the organisation, of the same people over twice the
weeks (more events, the same series) and of twice the people; one process against two Dask
workers on a local cluster. Then the audit's ten series that free the most hours.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import List, Sequence, Tuple
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.api import Advisor  # noqa: E402
from advisor.audit.reading import Source, Window  # noqa: E402
from advisor.audit.runner import LocalRunner, Runner, run_audit  # noqa: E402
from advisor.batch import available_cores  # noqa: E402
from bench.organisation import Organisation  # noqa: E402

AT = datetime(2026, 3, 9, tzinfo=ZoneInfo("Europe/Berlin"))
DAYS = 28


def parse_files(files: Sequence[str]) -> int:
    import icalendar

    for file in files:
        icalendar.Calendar.from_ical(Path(file).read_bytes().decode("utf-8"), multiple=True)
    return len(files)


def bare_parse(files: List[str], jobs: int) -> float:
    """Seconds to parse every file with icalendar, in `jobs` processes (fork), files dealt out evenly."""
    start = time.perf_counter()
    if jobs == 1:
        parse_files(files)
    else:
        with ProcessPoolExecutor(jobs) as pool:
            list(pool.map(parse_files, [files[k::jobs] for k in range(jobs)]))
    return time.perf_counter() - start


def audit(files: List[str], runner: Runner) -> Tuple[float, object]:
    start = time.perf_counter()
    outcome = run_audit(Advisor(), [Source(f) for f in files], Window(AT, DAYS), runner=runner)
    return time.perf_counter() - start, outcome.audit


def organisation(folder: Path, people: int, weeks: int) -> List[str]:
    Organisation(people, weeks).build().write(folder)
    return sorted(str(p) for p in folder.glob("*.ics"))


def peak_memory(folder: Path) -> float:
    """MB: the peak resident memory of a one-process audit of `folder`, in a fresh interpreter."""
    code = ("import resource, sys; sys.path.insert(0, %r); from bench.audit import audit, AT; "
            "from advisor.audit.runner import Runner; import glob; "
            "audit(sorted(glob.glob(%r)), Runner()); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)") % (str(ROOT), str(folder / "*.ics"))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[-1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=available_cores())
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="advisor-audit-bench-"))
    files = organisation(work / "org", args.people, args.weeks)
    size = sum(Path(f).stat().st_size for f in files) / 1e6
    print(f"{len(files)} calendars, {size:.1f} MB, in {work}", file=sys.stderr)
    bare_times, audit_times, ratios = [], [], []
    result = None
    for _ in range(args.repeat):
        bare = bare_parse(files, args.jobs)
        runner = LocalRunner(args.jobs)
        try:
            seconds, result = audit(files, runner)
        finally:
            runner.close()
        bare_times.append(bare)
        audit_times.append(seconds)
        ratios.append(bare / seconds)
    assert result is not None
    series = len(result.series)  # type: ignore[attr-defined]
    rows = [("series audited per second", f"{series / statistics.median(audit_times):,.0f} "
             f"({series:,} series in {statistics.median(audit_times):.1f} s)", "-", "-", "-"),
            (f"throughput against a bare icalendar parse, {args.jobs} processes each",
             f"{statistics.median(audit_times):.1f} s", f"{statistics.median(bare_times):.1f} s",
             f"{statistics.median(ratios):.2f}", ">= 0.7")]
    for label, people, weeks in (("", args.people, args.weeks), ("twice the weeks (events)", args.people,
                                                                   args.weeks * 2),
                                 ("twice the people", args.people * 2, args.weeks)):
        folder = work / f"mem-{people}-{weeks}"
        organisation(folder, people, weeks)
        rows.append((f"peak memory, one process: {people:,} people, {weeks} weeks" + (f" ({label})" if label else ""),
                     f"{peak_memory(folder):.0f} MB", "-", "-", "-"))
    if not args.no_dask:
        from distributed import LocalCluster

        from advisor.audit.cluster import DaskRunner

        one, _ = audit(files, Runner())
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster:
            runner = DaskRunner(cluster.scheduler_address)
            try:
                audit(files, runner)  # workers warm: imports, rule packs
                two, _ = audit(files, runner)
            finally:
                runner.close()
        rows.append(("two Dask workers (local cluster) against one process", f"{two:.1f} s", f"{one:.1f} s",
                     f"{one / two:.2f}x faster", "-"))
    print("| measure | audit | baseline (same run) | ratio | target |\n|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\nTop 10 series by hours freed a year:\n")
    print("| # | series | recommendation | attendee-hours a year | freed a year | why |\n|---|---|---|---|---|---|")
    from advisor.report.audit import series_to_dict

    for rank, one in enumerate(result.series[:10], 1):  # type: ignore[attr-defined]
        d = series_to_dict(one)
        what = d["recommendation"] + (f": {d['change']}" if d["change"] else "")
        print(f"| {rank} | {d['title']} | {what} | {d['yearly_attendee_hours']:,.0f} | "
              f"{d['reclaimable_hours'] or 0:,.0f} | {(d['reasons'] or [''])[0]} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
