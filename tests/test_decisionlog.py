"""The decision log: one whole JSON line per decision, from the CLI and from many writers at once."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT, proposal, write_yaml

from advisor.api import Advisor
from advisor.decisionlog import (
    RECORD_FIELDS,
    DecisionLog,
    DecisionLogError,
    new_decision_id,
    proposal_digest,
    rules_version,
)
from advisor.inputs.proposal import meeting_from_mapping, parse_meeting, read_meeting


def lines(path: Path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_record_has_the_fields_of_the_decision(advisor, tmp_path):
    meeting = read_meeting(EXAMPLES / "pipeline-review.yaml")
    decision = advisor.check(meeting)
    with DecisionLog(tmp_path / "log.jsonl") as log:
        log.record(decision, proposal_digest(meeting), rules_version(advisor), new_decision_id())
    (record,) = lines(tmp_path / "log.jsonl")
    assert list(record) == list(RECORD_FIELDS)
    assert record["time"].endswith("Z") and record["time"][:4].isdigit()
    assert record["proposal"].startswith("sha256:") and len(record["proposal"]) == 71
    assert (record["verdict"], record["score"], record["format"]) == (decision.verdict, decision.score,
                                                                      decision.format)


def test_the_proposal_digest_is_of_its_content_not_its_spelling():
    yaml_text = b"title: T\npurposes: coaching\nduration_minutes: 30\naudience: [{role: sales_rep}]\n"
    same = {"audience": [{"role": "sales_rep"}], "duration_minutes": 30, "purposes": "coaching", "title": "T"}
    digest = proposal_digest(parse_meeting(yaml_text, "a.yaml"))
    assert digest == proposal_digest(meeting_from_mapping(same, "elsewhere"))
    assert digest != proposal_digest(meeting_from_mapping({**same, "duration_minutes": 31}))


def test_the_start_time_is_part_of_the_proposal_digest():
    same = {"audience": [{"role": "sales_rep"}], "duration_minutes": 30, "purposes": "coaching", "title": "T"}
    digests = {proposal_digest(meeting_from_mapping({**same, **start}))
               for start in ({}, {"start": "2026-03-02T10:00+01:00"}, {"start": "2026-03-02T11:00+01:00"})}
    assert len(digests) == 3


def test_the_rules_version_follows_rules_and_settings(tmp_path):
    assert rules_version(Advisor()) == rules_version(Advisor())
    assert rules_version(Advisor()) != rules_version(Advisor(threshold=60))
    pack = tmp_path / "more"
    pack.mkdir()
    (pack / "extra.yaml").write_text(
        "- id: extra\n  description: More.\n  when: {attendees: {gte: 3}}\n  necessity: 5\n"
        "  because: More.\n  source: test\n")
    assert rules_version(Advisor()) != rules_version(Advisor(extra_rules=[pack]))


def test_check_logs_each_decided_proposal_and_not_the_bad_ones(cli, tmp_path, advisor):
    log = tmp_path / "decisions.jsonl"
    bad = write_yaml(tmp_path / "bad.yaml", {"title": "x"})
    files = [str(EXAMPLES / "coaching-1on1.yaml"), str(bad), str(EXAMPLES / "status-broadcast.yaml")]
    code, _, err = cli("check", "--decision-log", str(log), *files)
    assert code == 2 and err
    records = lines(log)
    assert [r["verdict"] for r in records] == ["hold", "skip"]
    assert records[0]["proposal"] == proposal_digest(read_meeting(EXAMPLES / "coaching-1on1.yaml"))
    assert {r["rules_version"] for r in records} == {rules_version(advisor)}
    code, out, _ = cli("check", "--format", "json", "--decision-log", str(log), str(EXAMPLES / "coaching-1on1.yaml"))
    assert code == 0 and len(lines(log)) == 3  # appended, never rewritten
    ids = [r["decision_id"] for r in lines(log)]
    assert len(set(ids)) == 3 and ids == sorted(ids)  # unique, and in the order they were made
    assert all(uuid.UUID(i).version == 7 for i in ids)
    assert "decision_id" not in json.loads(out)  # the printed decision stays the same from run to run


def test_check_refuses_a_log_it_cannot_open(cli, tmp_path):
    code, out, err = cli("check", "--decision-log", str(tmp_path / "missing" / "log.jsonl"),
                         str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out) == (2, "")
    assert err == f"{tmp_path / 'missing' / 'log.jsonl'}: cannot open the decision log: No such file or directory\n"


def test_a_torn_tail_does_not_swallow_the_next_record(advisor, tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text('{"time": "2025-01-01T00:00:00.000Z"}\n{"time": "2025-0')  # a power cut mid-line
    meeting = meeting_from_mapping(proposal())
    with DecisionLog(path) as log:
        log.record(advisor.check(meeting), proposal_digest(meeting), "v", new_decision_id())
    text = path.read_text().splitlines()
    assert len(text) == 3 and json.loads(text[-1])["rules_version"] == "v"


def test_a_failed_write_is_an_error_not_a_silent_loss(advisor, tmp_path):
    meeting = meeting_from_mapping(proposal())
    log = DecisionLog(tmp_path / "log.jsonl")
    os.close(log._fd)  # as when the disk goes away
    with pytest.raises(DecisionLogError, match="cannot write the decision log"):
        log.record(advisor.check(meeting), proposal_digest(meeting), "v", new_decision_id())
    log._fd = None


WRITER = """
import sys, threading
from advisor.api import Advisor
from advisor.decisionlog import DecisionLog, new_decision_id, proposal_digest, rules_version
from advisor.inputs.proposal import read_meeting

path, examples, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
advisor = Advisor()
meeting = read_meeting(examples + "/customer-webinar.yaml")
decision = advisor.check(meeting)
log = DecisionLog(path)
keys = (proposal_digest(meeting), rules_version(advisor))

def write():
    for _ in range(count):
        log.record(decision, *keys, new_decision_id())

threads = [threading.Thread(target=write) for _ in range(4)]
for thread in threads:
    thread.start()
print("writing", flush=True)
for thread in threads:
    thread.join()
"""


def start_writer(path: Path, count: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(EXAMPLES), str(count)], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE)


def test_processes_and_threads_appending_at_once_keep_every_line_whole(tmp_path):
    path = tmp_path / "log.jsonl"
    writers = [start_writer(path, 500) for _ in range(3)]
    for writer in writers:
        assert writer.wait(timeout=120) == 0
    records = lines(path)
    assert len(records) == 3 * 4 * 500
    assert all(list(r) == list(RECORD_FIELDS) for r in records)


def test_a_killed_writer_leaves_only_whole_lines(tmp_path):
    path = tmp_path / "log.jsonl"
    writer = start_writer(path, 1_000_000)
    assert writer.stdout.readline() == b"writing\n"
    deadline = time.monotonic() + 30
    while (not path.exists() or path.stat().st_size < 200_000) and time.monotonic() < deadline:
        time.sleep(0.01)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    text = path.read_text()
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) > 500 and all(r["verdict"] for r in records)
