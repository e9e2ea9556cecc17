"""What the what-if search and the reports cost per decision, against a plain check in the same run.

    python bench/whatif.py [--repeat 5]

For every example: a plain `Advisor.check` (the baseline), `check(..., what_if=True)` with how
many changed proposals the engine decided, and rendering the HTML report in English and
Arabic; each as the best of `repeat` runs, in milliseconds and as a ratio to the baseline.
`Advisor.check()` stays as fast as before: the what-if search runs only when asked for.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.api import Advisor  # noqa: E402
from advisor.inputs.proposal import read_meeting  # noqa: E402
from advisor.report.render import render  # noqa: E402


def best(task: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        task()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    advisor = Advisor()
    names = [line.split("\t")[0] for line in (ROOT / "examples" / "expected.tsv").read_text().splitlines() if line]
    meetings = {name: read_meeting(ROOT / "examples" / name) for name in names}
    for meeting in meetings.values():  # warm: rulesets, templates and catalogues are built once per process
        render(advisor.check(meeting, what_if=True), "html", lang="ar")
    print(f"{'example':28} {'verdict':7} {'check ms':>9} {'what-if ms':>10} {'ratio':>6} {'checks':>6} "
          f"{'html en ms':>10} {'html ar ms':>10}")
    ratios, costs = [], []
    for name, meeting in meetings.items():
        plain = best(lambda m=meeting: advisor.check(m), args.repeat)
        asked = best(lambda m=meeting: advisor.check(m, what_if=True), args.repeat)
        decision = advisor.check(meeting, what_if=True)
        english = best(lambda d=decision: render(d, "html"), args.repeat)
        arabic = best(lambda d=decision: render(d, "html", lang="ar"), args.repeat)
        ratios.append(asked / plain)
        costs.append(asked)
        print(f"{name:28} {decision.verdict:7} {plain * 1e3:9.2f} {asked * 1e3:10.1f} {asked / plain:6.0f} "
              f"{decision.what_if.checked:6d} {english * 1e3:10.2f} {arabic * 1e3:10.2f}")
    print(f"what-if per decision: median {statistics.median(costs) * 1e3:.1f} ms, max {max(costs) * 1e3:.1f} ms; "
          f"median {statistics.median(ratios):.0f}x a plain check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
