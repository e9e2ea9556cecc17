"""Hostile input, case by case: what each costs the command line, before and after a change.

    python bench/hostile_input.py [--checkout PATH] [--before PATH] [--seconds 60] [--memory 2048]

Each case writes its files into a temporary folder and runs `python -m advisor ...` from the
checkout named (this one by default) in a child process held by resource limits (address
space and CPU seconds) and a wall-clock deadline, then prints its exit code (or how it was
stopped), wall time and peak memory. With `--before PATH` (a checkout of an earlier commit,
say one made with `git worktree add` or `git archive`), each case runs there first, then
here, alternately, and the table shows both. Nothing is sent over a network.

tests/test_hostile.py runs the same cases under tighter limits and checks each outcome.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable, List, NamedTuple, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
PROPOSAL = ("title: Weekly pipeline review\n"
            "purposes: [sales_shortfall]\n"
            "duration_minutes: 30\n"
            "audience:\n"
            "  - {role: sales_manager, email: dana@example.com}\n"
            "  - {role: sales_rep, count: 3}\n")
AT = "2026-03-02T10:00Z"


def calendar(*lines: str, header: Sequence[str] = ()) -> str:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//hostile//EN", *header, *lines,
                        "END:VCALENDAR"]) + "\r\n"


def event(*lines: str) -> List[str]:
    return ["BEGIN:VEVENT", "UID:hostile@test", *lines, "ORGANIZER:mailto:dana@example.com",
            "ATTENDEE:mailto:sam@example.com", "END:VEVENT"]


EVERY_HALF_HOUR = "RRULE:FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24))) + ";BYMINUTE=0,30"
MINUTELY_ZONE = ["BEGIN:VTIMEZONE", "TZID:Runaway", "BEGIN:STANDARD", "DTSTART:16010101T000000",
                 "RRULE:FREQ=MINUTELY", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0000", "END:STANDARD",
                 "BEGIN:DAYLIGHT", "DTSTART:16010101T000030", "RRULE:FREQ=MINUTELY", "TZOFFSETFROM:+0000",
                 "TZOFFSETTO:+0100", "END:DAYLIGHT", "END:VTIMEZONE"]


class Case(NamedTuple):
    """One hostile input: `make(folder)` writes its files and returns the arguments of `advisor`."""

    name: str
    make: Callable[[Path], List[str]]
    exit: int  # expected once handled
    says: str  # expected in what it writes (standard output or error)
    never: str = ""  # must not appear in what it writes
    stdin: Optional[str] = None  # "endless": an endless stream of `title: x` lines
    seconds: float = 20  # CPU seconds it may take in the test suite (more when measured)
    memory_mb: int = 768  # address space it may take in the test suite
    check_after: Optional[Callable[[Path], str]] = None  # what the run left, in words; "ok" when right
    suite: bool = True  # False: too slow for the test suite even when handled (its cost is bounded, not small)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _proposal(folder: Path, replace: str = "", by: str = "", name: str = "m.yaml") -> str:
    return str(_write(folder, name, PROPOSAL.replace(replace, by) if replace else PROPOSAL))


def _pack(folder: Path, because: str, name: str = "pack") -> str:
    text = (f"- id: hostile\n  description: A hostile text.\n  when: {{attendees: {{gte: 1}}}}\n  necessity: 1\n"
            f"  because: \"{because}\"\n  source: hostile input\n")
    return str(_write(folder, f"{name}/rules.yaml", text).parent)


def _fifo(folder: Path, name: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)  # no one will ever write it: reading it would wait for good
    return path


def _many_lines(folder: Path, name: str, lines: int) -> str:
    body = "X-PAD:1\r\n" * lines
    return str(_write(folder, name, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n" + body + "END:VCALENDAR\r\n"))


def _rules_with_traps(folder: Path) -> List[str]:
    pack = Path(_pack(folder, "A fair rule."))
    if os.path.exists("/dev/zero"):
        (pack / "zero.yaml").symlink_to("/dev/zero")
    _fifo(pack, "fifo.yaml")
    return ["check", "-f", "json", "--no-what-if", "--rules", str(pack), _proposal(folder)]


def _proposals_with_a_fifo(folder: Path) -> List[str]:
    _proposal(folder / "batch", name="a-real.yaml")
    _fifo(folder / "batch", "b-fifo.yaml")
    return ["check", "-f", "json", "--no-what-if", str(folder / "batch")]


def _many_proposals(count: int) -> Callable[[Path], List[str]]:
    def make(folder: Path) -> List[str]:
        sys.path.insert(0, str(ROOT))
        from bench.proposals import write_proposals

        write_proposals(folder / "batch", count, seed=7)
        return ["check", "-f", "json", "--jobs", "1", str(folder / "batch")]
    return make


def _series(title: str) -> str:
    """A weekly status round of three, its title as given (an audit reads it)."""
    return calendar("BEGIN:VEVENT", "UID:series@test", f"SUMMARY:{title}", "DTSTART:20260223T100000Z",
                    "DTEND:20260223T110000Z", "RRULE:FREQ=WEEKLY", "ORGANIZER:mailto:dana@example.com",
                    "ATTENDEE:mailto:sam@example.com", "ATTENDEE:mailto:lee@example.com", "END:VEVENT")


def _calendars_with_traps(folder: Path) -> List[str]:
    _write(folder / "exports", "team.ics", _series("Weekly status"))
    if os.path.exists("/dev/zero"):
        (folder / "exports" / "zero.ics").symlink_to("/dev/zero")
    _fifo(folder / "exports", "fifo.ics")
    return ["audit", "--at", AT, "--format", "json", str(folder / "exports")]


def _link_kept(folder: Path) -> str:
    link = folder / "links" / "report.json"
    if not link.is_symlink():
        return "the link was replaced by a file"
    return "ok" if json.loads((folder / "reports" / "report.json").read_text())["verdict"] else "target not written"


def _through_a_link(folder: Path) -> List[str]:
    (folder / "reports").mkdir()
    (folder / "reports" / "report.json").write_text("{}")
    (folder / "links").mkdir()
    (folder / "links" / "report.json").symlink_to(folder / "reports" / "report.json")
    return ["check", "-f", "json", "-o", str(folder / "links" / "report.json"), _proposal(folder)]


HOSTILE_TITLE = '"Q3 \\e]0;pwned\\a\\e[2J\\x9b31m \\u202eevil\\u2066\\n- APPROVED by CFO"'

CASES: List[Case] = [
    # 2. numbers
    Case("base-60 title of 900 KB", lambda f: ["check", "-f", "json", "--no-what-if", _proposal(
        f, "Weekly pipeline review", "1:59" + ":59" * 300_000)], 1, '"meeting": "1:59:59'),
    Case("hexadecimal duration of 4,000 digits", lambda f: ["check", _proposal(
        f, "duration_minutes: 30", "duration_minutes: 0x" + "f" * 4000)], 2, "expected an integer from 5 to 480"),
    Case("hexadecimal threshold in advisor.yaml", lambda f: ["check", "--config", str(_write(
        f, "advisor.yaml", "threshold: 0x" + "f" * 4000 + "\n")), _proposal(f)], 2,
         "threshold: expected an integer from 0 to 100"),
    Case("integer of 5,000 digits in JSON", lambda f: ["check", str(_write(
        f, "m.json", '{"title": "x", "duration_minutes": ' + "9" * 5000 + "}"))], 2, "number too long: 5,000 digits"),
    Case("lone surrogate in JSON", lambda f: ["check", str(_write(f, "m.json", '{"title": "x \\ud800"}'))], 2,
         "lone surrogate"),
    # 3. calendars
    Case("VTIMEZONE repeating every minute (478 bytes)", lambda f: ["load", "--at", AT, str(_write(
        f, "zone.ics", calendar(*event("DTSTART;TZID=Runaway:20260227T100000", "DTEND;TZID=Runaway:20260227T110000"),
                                header=MINUTELY_ZONE)))], 2, "the time zone's rule would take"),
    Case("series from year 1, 48 a day (300 bytes)", lambda f: ["load", "--at", AT, str(_write(
        f, "old.ics", calendar(*event("DTSTART:00010101T000000Z", "DTEND:00010101T001000Z", EVERY_HALF_HOUR))))], 2,
         "expected a date from the year 1900 to 2200"),
    Case("series from 1950, 48 a day", lambda f: ["load", "--at", AT, str(_write(
        f, "dense.ics", calendar(*event("DTSTART:19500101T000000Z", "DTEND:19500101T001000Z", EVERY_HALF_HOUR))))],
         2, "steps from its start to the window"),
    Case("calendar of 900,000 lines", lambda f: ["load", "--at", AT, _many_lines(f, "c.ics", 900_000)], 2,
         "steps for this file, more than 800,000"),
    Case("3 calendars of 16 MB", lambda f: ["load", "--at", AT, *(
        _many_lines(f, f"c{n}.ics", 16 * 1024 * 1024 // 9 - 10) for n in range(3))], 2, "steps for this file",
         suite=False),
    Case("3 calendars of 400,000 lines", lambda f: ["load", "--at", AT, *(
        _many_lines(f, f"c{n}.ics", 400_000) for n in range(3))], 2, "read together past 1,000,000 steps",
         suite=False),
    Case("--at 0001-01-02", lambda f: ["load", "--at", "0001-01-02T00:00Z", str(_write(
        f, "c.ics", calendar(*event("DTSTART:20260227T100000Z", "DTEND:20260227T110000Z"))))], 2,
         "--at: expected a date from the year 1900 to 2200"),
    # 4. reads
    Case("--config /dev/zero", lambda f: ["check", "--config", "/dev/zero", _proposal(f)], 2, "it is a device"),
    Case("--template /dev/zero", lambda f: ["check", "--template", "/dev/zero", _proposal(f)], 2, "it is a device"),
    Case("extends: /dev/zero", lambda f: ["check", "--config", str(_write(f, "advisor.yaml", "extends: /dev/zero\n")),
                                          _proposal(f)], 2, "it is a device"),
    Case("link to /dev/zero and a FIFO in a rules folder", _rules_with_traps, 1, '"verdict"'),
    Case("FIFO named a.yaml in a proposals folder", _proposals_with_a_fifo, 1, '"verdict"'),
    Case("endless standard input", lambda f: ["check", "-"], 2, "file too large", stdin="endless"),
    # 5. snippets
    Case("'%1000000000d' % attendees", lambda f: ["rules", "validate", _pack(f, "{{ '%1000000000d' % attendees }}")],
         2, "a width of 1,000,000,000 in %"),
    Case("'{:>1000000000}'.format", lambda f: ["rules", "validate", _pack(
        f, "{{ '{:>1000000000}'.format(attendees) }}")], 2, "a width of 1,000,000,000 in format"),
    Case("nested loops of 10^10 steps", lambda f: ["rules", "validate", _pack(
        f, "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}")], 2,
         "range of 100,000 numbers"),
    Case("'x'*128 * attendees, compiled", lambda f: ["check", "--rules", _pack(f, "{{ 'x' * 128 * attendees }}"),
                                                     _proposal(f, "count: 3", "count: 100000")], 2,
         "would do too much work on a large proposal"),
    # 6. text
    Case("title with OSC, CSI, C1 and bidi controls", lambda f: ["check", _proposal(
        f, "Weekly pipeline review", HOSTILE_TITLE.replace("\\n- APPROVED by CFO", ""))], 1, "\\x1b]0;pwned",
         never="\x1b]"),
    Case("title with a line '- APPROVED by CFO', Markdown", lambda f: ["check", "-f", "markdown", _proposal(
        f, "Weekly pipeline review", '"Q3 review\\n- APPROVED by CFO"')], 1, "Q3 review\\n- APPROVED",
         never="\n- APPROVED"),
    Case("calendar name '@SUM(1+1)', CSV", lambda f: ["load", "--at", AT, "--format", "csv", str(_write(
        f, "c.ics", calendar("BEGIN:VEVENT", "UID:x@test", "DTSTART:20260227T100000Z", "DTEND:20260227T110000Z",
                             "ORGANIZER;CN=@SUM(1+1):mailto:dana@example.com", "ATTENDEE:mailto:sam@example.com",
                             "END:VEVENT")))], 0, "'@SUM(1+1)"),
    Case("audit: calendar title with OSC, CSI, bidi and a line '- APPROVED by CFO'", lambda f: [
        "audit", "--at", AT, str(_write(f, "c.ics", _series(
            "Weekly status \x1b]0;pwned\x07\x1b[2J\u202eevil\\n- APPROVED by CFO")))], 0, "\\x1b]0;pwned",
         never="\x1b]"),
    Case("audit: calendar title with a line '- APPROVED by CFO', Markdown", lambda f: [
        "audit", "--at", AT, "--format", "markdown", str(_write(f, "c.ics", _series(
            "Weekly status\\n- APPROVED by CFO")))], 0, "Weekly status\\n- APPROVED", never="\n- APPROVED"),
    # 4. (the audit's calendars) unbounded reads and FIFOs
    Case("audit: a link to /dev/zero and a FIFO in a calendars folder", _calendars_with_traps, 0, '"series"'),
    Case("audit: /dev/zero named as a calendar", lambda f: ["audit", "--at", AT, "/dev/zero"], 2, "it is a device"),
    # 7. --output
    Case("--output through a symlink", _through_a_link, 1, "", check_after=_link_kept),
    # 8. templates and memory
    Case("--template looping for ever", lambda f: ["check", "--template", str(_write(
        f, "t.j2", "{% for i in range(10**9) %}{% for j in range(10**9) %}x{% endfor %}{% endfor %}")),
        _proposal(f)], 2, "template would do too much work"),
    Case("--template calling itself", lambda f: ["check", "--template", str(_write(
        f, "t.j2", "{% macro again(n) %}{{ again(n + 1) }}{% endmacro %}{{ again(0) }}")), _proposal(f)], 2,
         "template failed: it calls itself too deeply"),
    Case("--template building 1 GB", lambda f: ["check", "--template", str(_write(
        f, "t.j2", "{{ 'x' * 1000000000 }}")), _proposal(f)], 2, "template would do too much work"),
    Case("--format json, 10,000 proposals", _many_proposals(10_000), 1, '"verdict"', seconds=60, memory_mb=300),
]


class Outcome(NamedTuple):
    exit: Optional[int]  # None: stopped by the wall-clock deadline
    seconds: float
    peak_mb: float
    output: str
    after: str

    def cell(self) -> str:
        if self.exit is None:
            stopped = "killed after"
        elif self.exit < 0:  # the CPU limit's SIGXCPU, or the memory limit's SIGKILL
            stopped = f"killed by signal {-self.exit} after"
        else:
            stopped = f"exit {self.exit},"
        return f"{stopped} {self.seconds:.1f} s, {self.peak_mb:.0f} MB"


# Runs in a child: applies the limits to itself (they pass to its own child, advisor), feeds
# standard input if asked, and reports how advisor ended and its peak memory.
RUNNER = r"""
import json, resource, subprocess, sys, time
memory, cpu, wall, stdin, *command = json.loads(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
feed = subprocess.Popen(["yes", "title: x"], stdout=subprocess.PIPE) if stdin == "endless" else None
started = time.monotonic()
process = subprocess.Popen(command, stdin=feed.stdout if feed else subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT)
try:
    output, _ = process.communicate(timeout=wall)
    code = process.returncode
except subprocess.TimeoutExpired:
    process.kill()
    output, _ = process.communicate()
    code = None
if feed:
    feed.kill()
    feed.wait()
print(json.dumps({"exit": code, "seconds": time.monotonic() - started,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                  "output": (output if len(output) <= 8000 else output[:4000] + b"\n...\n" + output[-4000:]
                             ).decode("utf-8", "replace")}))
"""


def run_case(case: Case, checkout: Path, folder: Path, seconds: float, memory_mb: int) -> Outcome:
    """Run `case` from `checkout` with its files in `folder`, held to `seconds` of CPU (and three
    times that of wall clock) and `memory_mb` of address space."""
    folder.mkdir(parents=True, exist_ok=True)
    arguments = case.make(folder)
    command = [sys.executable, "-m", "advisor", *arguments]
    limits = [memory_mb * 1024 * 1024, int(seconds), seconds * 3, case.stdin]
    environment = {**os.environ, "PYTHONPATH": str(checkout), "ADVISOR_CACHE_DIR": str(folder / "cache"),
                   "NO_COLOR": "1"}
    done = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(limits + command)], cwd=checkout,
                          env=environment, capture_output=True, text=True, timeout=seconds * 3 + 60)
    if done.returncode != 0:
        raise RuntimeError(f"the runner failed: {done.stderr}")
    report = json.loads(done.stdout)
    after = case.check_after(folder) if case.check_after is not None else ""
    return Outcome(report["exit"], report["seconds"], report["peak_mb"], report["output"], after)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to run (default: this checkout)")
    parser.add_argument("--before", type=Path, help="an earlier checkout, run alternately with --checkout")
    parser.add_argument("--seconds", type=float, default=60.0, help="CPU seconds a case may take (wall: 3 times)")
    parser.add_argument("--memory", type=int, default=2048, help="MB of address space a case may take")
    parser.add_argument("--only", help="run the cases whose name holds this text")
    options = parser.parse_args()
    runs = [("before", options.before)] if options.before else []
    runs.append(("after" if options.before else "this checkout", options.checkout))
    print("| case | " + " | ".join(label for label, _ in runs) + " |")
    print("|---|" + "---|" * len(runs))
    with tempfile.TemporaryDirectory(prefix="advisor-hostile-") as scratch:
        for number, case in enumerate(CASES):
            if options.only and options.only not in case.name:
                continue
            cells = []
            for label, checkout in runs:
                outcome = run_case(case, checkout.resolve(), Path(scratch) / f"{number}-{label}", options.seconds,
                                   options.memory)
                handled = (outcome.exit == case.exit and case.says in outcome.output
                           and not (case.never and case.never in outcome.output)
                           and outcome.after in ("", "ok"))
                note = outcome.after if outcome.after not in ("", "ok") else ""
                if outcome.exit == 70:
                    note = outcome.output.strip().splitlines()[-1][:60] if outcome.output.strip() else "exit 70"
                cells.append(outcome.cell() + ("" if handled else " (not handled" + (f": {note}" if note else "")
                                                                   + ")"))
            print(f"| {case.name} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
