"""`advisor check` on batches: folders, JSON lines as they are decided, the summary, progress, processes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest
from conftest import EXAMPLES, ROOT, proposal, write_yaml

from advisor.core.numbers import money, num
from advisor.errors import InputError, Problem
from bench.proposals import proposals, write_proposals

FAST = "--no-what-if"  # what-if explores ~100 variants of each proposal: not what these tests are about


def jsonl(text: str) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_a_folder_stands_for_every_yaml_file_below_it(cli, tmp_path: Path) -> None:
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    write_yaml(tmp_path / "b" / "deeper" / "two.yml", proposal(title="two"))
    write_yaml(tmp_path / "b" / "one.yaml", proposal(title="one"))
    write_yaml(tmp_path / "a.yaml", proposal(title="a"))
    write_yaml(tmp_path / ".hidden" / "no.yaml", proposal(title="hidden"))
    write_yaml(tmp_path / "b" / ".no.yaml", proposal(title="hidden file"))
    (tmp_path / "notes.txt").write_text("not a proposal")
    extra = write_yaml(tmp_path.parent / f"{tmp_path.name}-extra.yaml", proposal(title="extra"))
    code, out, err = cli("check", "-f", "json", FAST, str(extra), str(tmp_path))
    assert err == ""
    assert [d["meeting"] for d in json.loads(out)] == ["extra", "a", "one", "two"]
    assert code in (0, 1)


def test_a_folder_without_proposals_is_an_error(cli, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, out, err = cli("check", FAST, str(tmp_path / "empty"), str(EXAMPLES / "coaching-1on1.yaml"))
    assert code == 2
    assert err == f"{tmp_path / 'empty'}: no proposal files (*.yaml, *.yml) in this folder or below it\n"
    assert out.startswith("HOLD  Call review with Sam")


def test_json_lines_hold_the_json_output_one_decision_a_line(cli) -> None:
    files = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    code, lines, err = cli("check", "-f", "jsonl", FAST, *files)
    _, array, _ = cli("check", "-f", "json", FAST, *files)
    assert err == ""
    assert len(lines.splitlines()) == len(files)
    assert jsonl(lines) == json.loads(array)
    assert code == 1


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_decisions_are_written_as_each_proposal_is_decided(tmp_path: Path, fmt: str) -> None:
    """The last file is a pipe that is written only after the first decisions were read: JSON lines
    come one a line, the items of a JSON array as they are decided too."""
    folder = tmp_path / "batch"
    write_proposals(folder, 5, seed=1)
    pipe = tmp_path / "last.yaml"
    os.mkfifo(pipe)
    command = [sys.executable, "-m", "advisor", "check", "-f", fmt, FAST, str(folder), str(pipe)]
    item = "\n" if fmt == "jsonl" else '\n    "meeting": '  # what each decision's output holds once
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        early, line = "", "start"
        while early.count(item) < 5 and line:  # five decisions, the pipe still unwritten
            line = process.stdout.readline()
            early += line
        with open(pipe, "w") as writer:
            writer.write(json.dumps(proposal(title="last")))
        rest = process.stdout.read()
        assert process.wait(timeout=60) in (0, 1), process.stderr.read()
    decided = jsonl(early + rest) if fmt == "jsonl" else json.loads(early + rest)
    assert early.count(item) == 5
    assert [d["source"] for d in decided] == sorted(str(p) for p in folder.rglob("*.yaml")) + [str(pipe)]
    assert decided[-1]["meeting"] == "last"


@pytest.mark.parametrize("options", [(), ("--lang", "ar"), ("--explain",), ("--what-if",)])
def test_the_streamed_json_is_byte_for_byte_the_document_rendered_whole(cli, advisor, tmp_path, options) -> None:
    from advisor.packs.explain import Explainer
    from advisor.report.explained import render_explained
    from advisor.report.render import render_many

    files = [str(p) for p in sorted(EXAMPLES.glob("*.yaml"))]
    lang = "ar" if "ar" in options else "en"
    what_if = "--what-if" in options
    for named in (files, files[:1], [str(tmp_path / "missing.yaml")] + files[:2]):
        decisions = [advisor.check(name, what_if=what_if) for name in named if Path(name).exists()]
        whole = render_many(decisions, "json", lang=lang, array=len(named) > 1)  # the document at once
        if "--explain" in options:
            explainer = Explainer(advisor.pack)
            whole = render_explained(decisions, [explainer.explain(d) for d in decisions], "json", whole)
        _, out, _ = cli("check", "-f", "json", *(options if what_if else (FAST, *options)), *named)
        assert out == whole
        target = tmp_path / "report.json"
        cli("check", "-f", "json", "-o", str(target), *(options if what_if else (FAST, *options)), *named)
        assert target.read_text() == whole


def test_summary_counts_and_adds_up_what_the_skips_avoid(cli, tmp_path: Path) -> None:
    write_proposals(tmp_path / "batch", 40, seed=5)
    write_yaml(tmp_path / "batch" / "bad.yaml", proposal(duration_minutes=0))
    code, out, err = cli("check", "-f", "jsonl", "--summary", FAST, str(tmp_path / "batch"))
    decisions = jsonl(out)
    skips = [d for d in decisions if d["verdict"] == "skip"]
    holds = len(decisions) - len(skips)
    assert 0 < len(skips) < 40 and len(decisions) == 40
    amount = money(sum(d["cost"]["amount"] for d in skips))
    yearly = money(sum(d["cost"]["yearly_amount"] for d in skips))
    hours = num(sum(d["cost"]["attendee_hours"] for d in skips))
    error, summary = err.splitlines()
    assert error.startswith(f"{tmp_path / 'batch' / 'bad.yaml'}:") and "duration_minutes" in error
    assert summary == (f"41 proposals: {holds} hold, {len(skips)} skip, 1 error. The skips avoid {amount} USD "
                       f"and {hours} attendee-hours ({yearly} USD a year).")
    assert code == 2


def test_several_files_give_an_array_even_when_only_one_could_be_read(cli, tmp_path: Path) -> None:
    write_yaml(tmp_path / "bad.yaml", proposal(duration_minutes=0))
    code, out, err = cli("check", "-f", "json", FAST, str(tmp_path / "bad.yaml"), str(EXAMPLES / "coaching-1on1.yaml"))
    assert code == 2 and "duration_minutes" in err
    assert [d["meeting"] for d in json.loads(out)] == ["Call review with Sam"]
    code, out, _ = cli("check", "-f", "json", FAST, str(EXAMPLES / "coaching-1on1.yaml"))
    assert code == 0 and json.loads(out)["meeting"] == "Call review with Sam"  # one file, one object


def test_summary_of_holds_only(cli) -> None:
    code, _, err = cli("check", "--summary", FAST, str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, err) == (0, "1 proposal: 1 hold, 0 skip, 0 errors.\n")


def test_json_lines_to_an_output_file(cli, tmp_path: Path) -> None:
    target = tmp_path / "decisions.jsonl"
    code, out, _ = cli("check", "-f", "jsonl", FAST, "-o", str(target), str(EXAMPLES))
    assert out == ""
    assert len(jsonl(target.read_text())) == len(list(EXAMPLES.glob("*.yaml")))
    assert code == 1


@pytest.mark.parametrize("option,message", [
    (["--explain"], "--explain works with --format text, markdown or json"),
    (["--template", "x.j2"], "--template shapes text, markdown or html, not JSON"),
])
def test_json_lines_refuse_what_only_a_document_can_have(cli, option: List[str], message: str) -> None:
    code, out, err = cli("check", "-f", "jsonl", *option, str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out) == (2, "")
    assert message in err


def test_json_refuses_a_template_rather_than_ignore_it(cli) -> None:
    code, out, err = cli("check", "-f", "json", "--template", "x.j2", str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out) == (2, "")
    assert "--template shapes text, markdown or html, not JSON" in err


def test_several_processes_give_the_same_output(cli, tmp_path: Path) -> None:
    write_proposals(tmp_path / "batch", 320, seed=9)  # enough for two processes
    write_yaml(tmp_path / "batch" / "team-0" / "bad.yaml", proposal(audience=[]))
    one = cli("check", "-f", "jsonl", "--summary", FAST, "--jobs", "1", str(tmp_path / "batch"))
    two = cli("check", "-f", "jsonl", "--summary", FAST, "--jobs", "2", str(tmp_path / "batch"))
    assert one == two == cli("check", "-f", "jsonl", "--summary", FAST, str(tmp_path / "batch"))  # the default
    assert one[0] == 2 and len(one[1].splitlines()) == 320
    document = cli("check", "-f", "json", FAST, "--jobs", "2", str(tmp_path / "batch"))
    assert json.loads(document[1]) == jsonl(one[1])


def test_no_progress_bar_when_standard_error_is_not_a_terminal(cli, tmp_path: Path) -> None:
    write_proposals(tmp_path / "batch", 120, seed=2)
    code, out, err = cli("check", "-f", "jsonl", FAST, str(tmp_path / "batch"))
    assert err == "" and len(out.splitlines()) == 120


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_progress_bar_on_a_terminal_for_a_large_batch(tmp_path: Path) -> None:
    write_proposals(tmp_path / "batch", 120, seed=3)
    primary, secondary = os.openpty()
    done = subprocess.run([sys.executable, "-m", "advisor", "check", "-f", "jsonl", FAST, str(tmp_path / "batch")],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=secondary, timeout=120,
                          env={**os.environ, "TERM": "xterm"})
    os.close(secondary)
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert done.returncode in (0, 1)
    assert b"Checking" in shown and b"120/120" in shown
    assert len(done.stdout.splitlines()) == 120


def test_generated_proposals_are_all_valid(advisor) -> None:
    for data in proposals(300, seed=4):
        advisor.check(data)  # raises on an invalid one


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux")
def test_workers_do_not_inherit_the_commands_sigterm_handler() -> None:
    # The pool stops its workers with SIGTERM and waits for them: a worker that unwound instead
    # of dying could wait forever for a queue lock, and the batch never ended (1 run in 5 or so).
    script = (
        "import multiprocessing, signal, sys\n"
        "from advisor import batch\n"
        "signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))  # as `advisor` installs it\n"
        "with multiprocessing.get_context('fork').Pool(1, batch._start_worker, (None,)) as pool:\n"
        "    print(pool.apply(signal.getsignal, (signal.SIGTERM,)) == signal.SIG_DFL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.strip()) == (0, "True"), done.stderr


def _die(name: str) -> Any:
    if name == "p150.yaml":
        os._exit(3)  # as a worker killed by the system would, without a word
    raise InputError([Problem(name, "not a proposal")])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux")
def test_a_worker_that_dies_ends_the_batch_with_an_error_not_a_wait() -> None:
    from concurrent.futures.process import BrokenProcessPool

    from advisor.batch import Task, results

    names = [f"p{number}.yaml" for number in range(300)]
    seen = []
    with pytest.raises(BrokenProcessPool):
        for result in results(Task(None, _die), names, jobs=2):  # type: ignore[arg-type]
            seen.append(result.name)
    assert seen == names[:len(seen)] and len(seen) < 150  # in order, and none after the lost ones


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_batch_ended_by_a_signal_leaves_no_temporary_file(tmp_path: Path, number: int) -> None:
    """`advisor check -o` is killed, or its terminal closed, while the JSON array streams into place."""
    write_proposals(tmp_path / "batch", 3000, seed=5)
    out = tmp_path / "out"
    out.mkdir()
    run = subprocess.Popen([sys.executable, "-m", "advisor", "check", "-f", "json", "--jobs", "1",
                            "-o", str(out / "decisions.json"), str(tmp_path / "batch")],
                           cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not any(out.iterdir()) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert run.poll() is None, "the batch ended before it could be signalled"
    run.send_signal(number)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 128 + number, err
    assert list(out.iterdir()) == []
