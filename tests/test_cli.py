"""The command line through `advisor.cli.run`: outputs and exit codes."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest
from conftest import EXAMPLES, ROOT, expected_examples

from advisor.report.json_format import to_dict


@pytest.mark.parametrize("name,verdict,fmt", expected_examples())
def test_examples_exit_with_their_verdict(cli, name, verdict, fmt):
    code, out, err = cli("check", "--format", "json", str(EXAMPLES / name))
    decision = json.loads(out)
    assert (decision["verdict"], err) == (verdict, "")
    if fmt != "-":
        assert decision["format"] == fmt
    assert code == (0 if verdict == "hold" else 1)


def test_json_has_the_stable_keys_of_the_spec(cli):
    code, out, _ = cli("check", "--format", "json", str(EXAMPLES / "pipeline-review.yaml"))
    decision = json.loads(out)
    for key in ("meeting", "source", "verdict", "score", "threshold", "format", "format_scores",
                "alternative", "cost", "fired", "suggestions", "rules"):
        assert key in decision
    assert set(decision["format_scores"]) == {"formal", "one_on_one", "call", "video"}
    assert set(decision["cost"]) >= {"attendee_hours", "amount", "currency"}
    assert decision["cost"] ["attendee_hours"] == 5.25
    first = decision["fired"][0]
    assert set(first) >= {"rule", "necessity", "formats", "reason"}
    assert decision["rules"]["pack"] == "default" and len(decision["rules"]["version"]) == 12
    assert decision["meeting"] == "Weekly pipeline review"


def test_text_leads_with_verdict_and_format(cli):
    code, out, _ = cli("check", str(EXAMPLES / "coaching-1on1.yaml"))
    first, second = out.splitlines()[:2]
    assert first.startswith("HOLD  Call review with Sam")
    assert second == "Hold it: one-on-one, face to face."
    assert code == 0


def test_skip_names_the_alternative(cli):
    code, out, _ = cli("check", str(EXAMPLES / "incentive-memo.yaml"))
    assert code == 1
    assert out.splitlines()[1] == "Instead: a written update (email or shared document)."


@pytest.mark.parametrize("fmt,marker", [("markdown", "## SKIP: Weekly numbers"), ("html", "<!DOCTYPE html>")])
def test_human_formats(cli, fmt, marker):
    code, out, _ = cli("check", "--format", fmt, str(EXAMPLES / "status-broadcast.yaml"))
    assert code == 1 and marker in out


def test_several_files_give_a_json_array_and_the_worst_exit(cli):
    code, out, _ = cli("check", "-f", "json", str(EXAMPLES / "coaching-1on1.yaml"),
                       str(EXAMPLES / "status-broadcast.yaml"))
    assert [d["verdict"] for d in json.loads(out)] == ["hold", "skip"]
    assert code == 1


def test_a_bad_file_does_not_stop_the_others(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\npurposes: [coaching]\nduration_minutes: 0\naudience: [{role: sales_rep}]\n")
    code, out, err = cli("check", "-f", "json", str(bad), str(EXAMPLES / "coaching-1on1.yaml"))
    assert code == 2
    assert [d["meeting"] for d in json.loads(out)] == ["Call review with Sam"]
    assert err == f"{bad}:3:19: duration_minutes: expected an integer from 5 to 480, found 0\n"


def test_missing_file_is_one_line_and_exit_2(cli, tmp_path):
    code, out, err = cli("check", str(tmp_path / "nope.yaml"))
    assert (code, out) == (2, "")
    assert err == f"{tmp_path / 'nope.yaml'}: cannot read the file: No such file or directory\n"


def test_threshold_moves_the_verdict(cli):
    path = str(EXAMPLES / "awards-night.yaml")  # score 70
    assert cli("check", path)[0] == 0
    assert cli("check", "--threshold", "75", path)[0] == 1
    assert cli("check", "--threshold", "101", path)[0] == 2


def test_extra_rule_pack_adds_and_replaces_rules(cli, tmp_path):
    pack = tmp_path / "company"
    pack.mkdir()
    (pack / "rules.yaml").write_text(
        "- id: coaching-one-on-one\n"
        "  replaces: true\n"
        "  description: We coach in groups.\n"
        "  when: {purposes: {contains: coaching}}\n"
        "  necessity: -50\n"
        "  because: Coaching happens in the weekly group session.\n"
        "  source: Company policy\n"
        "- id: no-fridays\n"
        "  description: A new rule.\n"
        "  when: {attendees: 2}\n"
        "  necessity: -5\n"
        "  because: Two people can talk without a meeting.\n"
        "  source: Company policy\n"
    )
    code, out, _ = cli("check", "-f", "json", "--rules", str(pack), str(EXAMPLES / "coaching-1on1.yaml"))
    decision = json.loads(out)
    fired = {f["rule"]: f for f in decision["fired"]}
    assert fired["coaching-one-on-one"]["necessity"] == -50
    assert fired["no-fridays"]["necessity"] == -5
    assert decision["rules"]["pack"] == "default+company"
    assert code == 1


def test_bad_rule_pack_is_refused_before_any_proposal(cli, tmp_path):
    pack = tmp_path / "bad"
    pack.mkdir()
    (pack / "r.yaml").write_text(
        "- id: typo\n  description: d\n  when: {attendeez: 3}\n  because: b\n  source: s\n")
    code, out, err = cli("check", "--rules", str(pack), str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out) == (2, "")
    assert err == f"{pack / 'r.yaml'}:3:10: typo.when.attendeez: unknown fact 'attendeez'; did you mean 'attendees'?\n"


def test_output_file_is_written_whole_and_kept_on_failure(cli, tmp_path):
    target = tmp_path / "report.json"
    code, out, _ = cli("check", "-f", "json", "-o", str(target), str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out) == (0, "")
    assert json.loads(target.read_text())["verdict"] == "hold"
    code, _, _ = cli("check", "-o", str(target), str(tmp_path / "missing.yaml"))
    assert code == 2
    assert json.loads(target.read_text())["verdict"] == "hold"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]  # no temporary left


def test_output_through_a_link_replaces_its_target_and_keeps_the_link(cli, tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "latest.json").write_text("old")
    os.chmod(reports / "latest.json", 0o640)
    links = tmp_path / "links"
    links.mkdir()
    (links / "via.json").symlink_to(reports / "latest.json")
    (links / "chain.json").symlink_to(links / "via.json")
    code, out, err = cli("check", "-f", "json", "-o", str(links / "chain.json"), str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out, err) == (0, "", "")
    assert (links / "chain.json").is_symlink() and (links / "via.json").is_symlink()
    assert json.loads((reports / "latest.json").read_text())["verdict"] == "hold"
    assert (reports / "latest.json").stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in reports.iterdir()) == ["latest.json"]  # the temporary was made there, and went
    (links / "new.json").symlink_to(reports / "new.json")  # a link to a file yet to be
    assert cli("check", "-f", "json", "-o", str(links / "new.json"), str(EXAMPLES / "coaching-1on1.yaml"))[0] == 0
    assert (links / "new.json").is_symlink() and json.loads((reports / "new.json").read_text())["verdict"] == "hold"


def test_output_to_a_fifo_is_written_to_it_not_replaced(cli, tmp_path):
    import threading

    fifo = tmp_path / "report.fifo"  # stands for /dev/null and its kind, which a test must never risk replacing
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    code, out, err = cli("check", "-f", "json", "-o", str(fifo), str(EXAMPLES / "coaching-1on1.yaml"))
    reader.join(timeout=30)
    assert (code, out, err) == (0, "", "")
    assert json.loads(received[0])["verdict"] == "hold"
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    link = tmp_path / "out.json"
    link.symlink_to(fifo)
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    assert cli("check", "-f", "json", "-o", str(link), str(EXAMPLES / "coaching-1on1.yaml"))[0] == 0
    reader.join(timeout=30)
    assert json.loads(received[1])["verdict"] == "hold" and link.is_symlink() and stat.S_ISFIFO(fifo.stat().st_mode)


def test_sigterm_while_the_output_is_written_leaves_no_temporary_file(tmp_path):
    # A run killed while it writes: the signal waits until the file is whole, then ends the run.
    target = tmp_path / "report.json"
    target.write_text("old")
    script = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))  # as `advisor` installs it\n"
        "real_fsync = os.fsync\n"
        "def fsync(fd):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    real_fsync(fd)\n"
        "os.fsync = fsync\n"
        "from advisor.cli.output import write_atomically\n"
        f"write_atomically(Path({str(target)!r}), 'new')\n"
        "print('not reached')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert (done.returncode, done.stdout) == (143, ""), done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]
    assert target.read_text() == "new"


def test_internal_error_is_one_line_with_its_own_code(cli, monkeypatch):
    from advisor import api

    def broken(self, proposal, **options):
        raise RuntimeError("boom")

    monkeypatch.setattr(api.Advisor, "check", broken)
    code, out, err = cli("check", str(EXAMPLES / "coaching-1on1.yaml"))
    assert code == 70 and code not in (0, 1, 2)
    assert err.count("\n") == 1 and "internal error (RuntimeError: boom)" in err and "Traceback" not in err


def test_version_and_help(cli):
    code, out, _ = cli("--version")
    assert code == 0 and out.startswith("advisor, version ")
    # where the shipped rules are read from: this checkout's rules/ when the install is editable
    rules_line, templates_line = out.splitlines()[1:3]
    assert rules_line == f"rules: {ROOT / 'rules'}" and templates_line == f"templates: {ROOT / 'templates'}"
    code, out, _ = cli("check", "--help")
    assert code == 0 and "advisor check meeting.yaml && book-the-room" in out


def test_usage_error_exits_2(cli):
    code, _, err = cli("check", "--format", "xml", "x.yaml")
    assert code == 2 and "'xml' is not one of" in err


def test_stdin_and_no_traceback_through_a_real_process(tmp_path):
    text = (EXAMPLES / "coaching-1on1.yaml").read_text()
    done = subprocess.run([sys.executable, "-m", "advisor", "check", "-f", "json", "-"], input=text,
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["source"] == "<stdin>"
    done = subprocess.run([sys.executable, "-m", "advisor", "check", "-"], input="title: [unclosed",
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr == ("<stdin>:2:1: YAML syntax error: did not find expected ',' or ']' "
                           "(while parsing a flow sequence at line 1, column 8)\n")


def test_json_output_equals_the_api_decision(cli, advisor):
    path = str(EXAMPLES / "pipeline-review.yaml")
    code, out, _ = cli("check", "-f", "json", "--no-what-if", path)
    assert json.loads(out) == to_dict(advisor.check(path))
    code, out, _ = cli("check", "-f", "json", "--what-if", path)
    assert json.loads(out) == to_dict(advisor.check(path, what_if=True))


@pytest.mark.parametrize("failure,expected", [
    # a wheel built on Python 3.13 without the fix, reused from pip's cache
    ("durable_rules_engine.cpython-313-x86_64-linux-gnu.so: undefined symbol: PyEval_CallObject",
     "--no-cache-dir --force-reinstall --no-deps durable-rules"),
    ("No module named 'durable_rules_engine'", "README.md's quick start"),
])
def test_an_engine_that_does_not_load_says_how_to_mend_it(tmp_path, failure, expected):
    """A real process whose durable_rules_engine fails to import as a broken build does."""
    (tmp_path / "durable_rules_engine.py").write_text(f"raise ImportError({failure!r})\n")
    result = subprocess.run([sys.executable, "-m", "advisor", "check", str(EXAMPLES / "pipeline-review.yaml")],
                            capture_output=True, text=True, cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}", "ADVISOR_CACHE_DIR": ""})
    lines = result.stderr.splitlines()
    assert (result.returncode, len(lines)) == (2, 1), result.stderr
    assert lines[0].startswith("durable_rules: ") and expected in lines[0]
    if "PyEval_CallObject" in failure:
        assert "CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject " + sys.executable + " -m pip" in lines[0]
