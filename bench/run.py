"""advisor's benchmarks: each figure next to a baseline measured in the same run, as a ratio.

    python bench/run.py              # about two minutes on two cores
    python bench/run.py --quick      # fewer repetitions and proposals, for a first look

Prints a Markdown table (the one in README.md) and the machine it ran on. Baselines:
* start-up: `python -c "import yaml, click, durable.lang"`, the imports no check can avoid;
* the decision step: the same compiled conditions as plain Python lambdas (bench/plain.py);
* a batch: reading the same files with PyYAML's C loader and nothing else.
Runs alternate with their baseline, so that a busy machine slows both alike: a ratio is the
median of the ratios of neighbouring runs (and, in brackets, that of the fastest runs); times
are medians (minimum in brackets). Proposals come from bench/proposals.py; the pack cache
lives in a temporary folder, warmed before timing.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.batch import available_cores  # noqa: E402
from bench.plain import PlainRules  # noqa: E402
from bench.proposals import proposals, write_proposals  # noqa: E402

FLOOR_IMPORTS = "import yaml, click, durable.lang"
ONE_FILE = ROOT / "examples" / "pipeline-review.yaml"
Row = Tuple[str, str, str, str, str]  # what, measured, baseline, ratio, target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and proposals")
    args = parser.parse_args()
    scale = 0.2 if args.quick else 1.0
    work = Path(tempfile.mkdtemp(prefix="advisor-bench-"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["ADVISOR_CACHE_DIR"] = str(work / "cache")
    os.environ["ADVISOR_CACHE_DIR"] = env["ADVISOR_CACHE_DIR"]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "advisor")], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    count = int(10_000 * scale)
    print(f"machine: {machine()}", file=sys.stderr)
    print(f"generating {count} proposals in {work} ...", file=sys.stderr)
    files = work / "proposals"
    write_proposals(files, count)

    rows: List[Row] = []
    try:
        rows += cold_start(env, runs=max(5, int(30 * scale)))
        rows += check_latency(count)
        rows += decision_step(count, rounds=max(3, int(10 * scale)))
        rows += memory(int(100_000 * scale))
        rows += batch(env, files, count, runs=2 if args.quick else 3)
    finally:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    print(table(rows))
    print(f"\nMachine: {machine()}; load average at the end {', '.join(f'{x:.2f}' for x in os.getloadavg())}.")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, durable-rules {version('durable-rules')}")


def _wall(command: Sequence[str], env: Dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.decode()}")
    return elapsed


def _alternate(commands: Dict[str, Sequence[str]], env: Dict[str, str], runs: int) -> Dict[str, List[float]]:
    times: Dict[str, List[float]] = {name: [] for name in commands}
    for command in commands.values():  # once each first: caches and bytecode in place
        _wall(command, env)
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(_wall(command, env))
    return times


def cold_start(env: Dict[str, str], runs: int) -> List[Row]:
    print("cold start ...", file=sys.stderr)
    check = _advisor() + ["check", str(ONE_FILE.relative_to(ROOT)), "--format", "json"]
    times = _alternate({"floor": [sys.executable, "-c", FLOOR_IMPORTS], "default": check,
                        "no-what-if": check + ["--no-what-if"]}, env, runs)
    floor = statistics.median(times["floor"])
    rows = []
    for name, label, target in (
            ("default", "`advisor check one.yaml --format json` (what-if on, the default for one file)", "<= 1.25"),
            ("no-what-if", "`advisor check one.yaml --format json --no-what-if`", "-")):
        value = statistics.median(times[name])
        rows.append((f"start-up: {label}", f"{value * 1e3:.1f} ms (min {min(times[name]) * 1e3:.1f})",
                     f"{floor * 1e3:.1f} ms (min {min(times['floor']) * 1e3:.1f})",
                     _paired(times[name], times["floor"]), target))
    return rows


def _advisor() -> List[str]:
    """The `advisor` command installed with this Python, else `python -m advisor`."""
    script = Path(sys.executable).with_name("advisor.exe" if os.name == "nt" else "advisor")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "advisor"]


def _paired(values: List[float], baseline: List[float]) -> str:
    """The median of the ratios of runs made one after the other (a busy spell slows both),
    and the ratio of the fastest runs."""
    ratio = statistics.median(v / b for v, b in zip(values, baseline))
    return f"{ratio:.2f} (fastest {min(values) / min(baseline):.2f})"


def check_latency(count: int) -> List[Row]:
    print("Advisor.check latency ...", file=sys.stderr)
    from advisor.api import Advisor

    advisor = Advisor()
    batch = list(proposals(count, seed=77))
    for data in batch[:200]:
        advisor.check(data)
    latencies = []
    for data in batch:
        started = time.perf_counter()
        advisor.check(data)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    median = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99)]
    return [(f"`Advisor.check(mapping)`, {count:,} in-memory proposals", f"median {median * 1e6:.0f} µs, "
             f"p99 {p99 * 1e6:.0f} µs", "-", "-", "-")]


def decision_step(count: int, rounds: int) -> List[Row]:
    print("decision step ...", file=sys.stderr)
    from advisor.api import Advisor
    from advisor.core.facts import derive_facts
    from advisor.engine.reference import ReferenceEngine
    from advisor.inputs.proposal import meeting_from_mapping

    advisor = Advisor()
    conditions = {rule.id: rule.condition for rule in advisor.pack.rules}
    plain = PlainRules(conditions)
    facts = [derive_facts(meeting_from_mapping(data)) for data in proposals(count, seed=78)]
    for item in facts:  # the baseline is only a baseline if it agrees with the engine
        if plain.fired(item) != advisor.engine.fired(item):
            raise RuntimeError(f"plain Python and the engine disagree on {item}")
    engine_times: List[float] = []
    plain_times: List[float] = []
    block = max(1, len(facts) // rounds)
    for start in range(0, len(facts), block):
        chunk = facts[start:start + block]
        engine_times.append(_per_item(advisor.engine.fired, chunk))
        plain_times.append(_per_item(plain.fired, chunk))
    reference = ReferenceEngine(conditions)
    sample = facts[: max(100, count // 20)]
    ordinary = _per_item(reference.fired, sample)
    engine = statistics.median(engine_times)
    baseline = statistics.median(plain_times)
    return [
        (f"decision step (facts in, fired ids out), {len(conditions)} rules, {count:,} proposals",
         f"{engine * 1e6:.1f} µs (min {min(engine_times) * 1e6:.1f})",
         f"{baseline * 1e6:.1f} µs plain Python (min {min(plain_times) * 1e6:.1f})",
         _paired(engine_times, plain_times), "<= 3"),
        ("durable_rules' ordinary path (`advisor.engine.reference`: Python layer, a ruleset per rule)",
         f"{ordinary * 1e6:.0f} µs", f"{engine * 1e6:.1f} µs this adapter", f"{ordinary / engine:.0f}x slower", "-"),
    ]


def _per_item(function: Callable[[Any], Any], items: Sequence[Any]) -> float:
    started = time.perf_counter()
    for item in items:
        function(item)
    return (time.perf_counter() - started) / len(items)


def memory(checks: int) -> List[Row]:
    print(f"memory over {checks:,} checks ...", file=sys.stderr)
    from advisor.api import Advisor

    advisor = Advisor()
    batch = list(proposals(1000, seed=79))
    tenth = checks // 10
    for number in range(tenth):
        advisor.check(batch[number % len(batch)])
    early = _rss_mb()
    for number in range(tenth, checks):
        advisor.check(batch[number % len(batch)])
    late = _rss_mb()
    return [(f"memory: RSS after {tenth:,} and after {checks:,} checks", f"{late:.1f} MB",
             f"{early:.1f} MB", f"+{late - early:.1f} MB", "flat")]


def _rss_mb() -> float:
    """The resident memory now (Linux), else the peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / 1024 if sys.platform != "darwin" else peak / 1024 / 1024


def batch(env: Dict[str, str], files: Path, count: int, runs: int) -> List[Row]:
    print(f"batch of {count:,} files ...", file=sys.stderr)
    floor = [sys.executable, "-c",
             "import sys, os, yaml\n"
             "for root, _, names in os.walk(sys.argv[1]):\n"
             "    for name in names:\n"
             "        with open(os.path.join(root, name), 'rb') as f: yaml.load(f, Loader=yaml.CSafeLoader)\n",
             str(files)]
    check = _advisor() + ["check", str(files)]  # what-if is off for a batch
    commands = {"floor": floor, "jsonl": check + ["--format", "jsonl"], "jsonl-1": check + ["--format", "jsonl",
                                                                                         "--jobs", "1"],
                "json": check + ["--format", "json"]}
    times = _alternate(commands, env, runs)
    base = statistics.median(times["floor"])
    rows = []
    cores = available_cores()
    labels = {"jsonl": (f"`--format jsonl` (by default a process per core: {cores} here)", "<= 2"),
              "jsonl-1": ("`--format jsonl --jobs 1`, one process", "-"),
              "json": ("`--format json` (one indented array)", "-")}
    for name, (label, target) in labels.items():
        value = statistics.median(times[name])
        rows.append((f"batch: `advisor check` {count:,} files, {label}",
                     f"{value:.2f} s ({count / value:,.0f}/s)", f"{base:.2f} s PyYAML C loader only",
                     _paired(times[name], times["floor"]), target))
    return rows


def table(rows: List[Row]) -> str:
    lines = ["| measure | advisor | baseline (same run) | ratio | target |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
