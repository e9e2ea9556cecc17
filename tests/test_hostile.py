"""Hostile input, each case in a child process held to CPU seconds, address space and a deadline.

The cases are bench/hostile_input.py's, which also measures them against an earlier
checkout. Each one is refused (or decided) in one line and within its limits; none hangs,
exhausts memory, exits 70 or prints what it should not. The service's own cases (slow
clients, hostile bodies) follow, on 127.0.0.1, bounded in count and time.
"""
from __future__ import annotations

import http.client
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from bench.hostile_input import CASES, run_case

SUITE = [case for case in CASES if case.suite]


@pytest.mark.skipif(not os.path.exists("/dev/zero") or not hasattr(os, "mkfifo"), reason="needs a Unix")
@pytest.mark.parametrize("case", SUITE, ids=[case.name for case in SUITE])
def test_a_hostile_input_is_handled_within_its_limits(case, tmp_path):
    outcome = run_case(case, ROOT, tmp_path, case.seconds, case.memory_mb)
    assert outcome.exit is not None, f"stopped after {outcome.seconds:.0f} s: {outcome.output[-300:]}"
    assert outcome.exit == case.exit, outcome.output[-500:]
    assert case.says in outcome.output, outcome.output[-500:]
    assert not case.never or case.never not in outcome.output
    assert outcome.after in ("", "ok"), outcome.after
    if case.exit == 2:  # a refusal is one line (or one a problem): never a traceback
        assert "Traceback" not in outcome.output and "internal error" not in outcome.output


# ------------------------------------------------------------------------------- the service

class BoundedServer:
    """`advisor serve` on 127.0.0.1, each of its processes held to 1 GiB and 120 CPU seconds."""

    def __init__(self, workdir: Path):
        def limits() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (1024 ** 3, 1024 ** 3))
            resource.setrlimit(resource.RLIMIT_CPU, (120, 121))

        self.log_path = workdir / "server.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "advisor", "serve", "--host", "127.0.0.1", "--port", "0", "--workers", "2"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=self.log_path.open("wb"), preexec_fn=limits)
        deadline = time.monotonic() + 30
        while "serving on http://127.0.0.1:" not in self.log_path.read_text():
            assert self.process.poll() is None and time.monotonic() < deadline, self.log_path.read_text()
            time.sleep(0.05)
        self.port = int(self.log_path.read_text().split("serving on http://127.0.0.1:")[1].split()[0])

    def post(self, path: str, body: bytes, kind: str = "application/json"):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        started = time.monotonic()
        connection.request("POST", path, body, {"Content-Type": kind})
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.close()
        return response.status, answer, time.monotonic() - started

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def bounded_server(tmp_path_factory):
    server = BoundedServer(tmp_path_factory.mktemp("hostile-server"))
    yield server
    server.stop()


PROPOSAL = json.loads(json.dumps({"title": "x", "purposes": "coaching", "duration_minutes": 30,
                                  "audience": [{"role": "sales_rep"}, {"role": "sales_manager"}]}))


HOSTILE_BODIES = [
    ("base-60 title of 900 KB, YAML", "/v1/check",
     b"title: 1:59" + b":59" * 300_000 + b"\npurposes: coaching\nduration_minutes: 30\n"
     b"audience: [{role: sales_rep}, {role: sales_manager}]\n", "application/yaml", 200, None),
    ("integer of 5,000 digits in a batch", "/v1/check/batch",
     json.dumps([PROPOSAL]).replace('"duration_minutes": 30', '"duration_minutes": ' + "9" * 5000).encode(),
     "application/json", 400, "number too long: 5,000 digits"),
    ("lone surrogate", "/v1/check", json.dumps(PROPOSAL).replace('"x"', '"x \\ud800"').encode(), "application/json",
     400, "lone surrogate"),
]


# Named by their names: an id holding the 900 KB body would be put in the environment of every
# process the test starts (PYTEST_CURRENT_TEST), past what the system allows.
@pytest.mark.parametrize("name,path,body,kind,status,says", HOSTILE_BODIES, ids=[b[0] for b in HOSTILE_BODIES])
def test_a_hostile_body_is_answered_quickly_and_never_with_500(bounded_server, name, path, body, kind, status, says):
    code, answer, seconds = bounded_server.post(path, body, kind)
    assert code == status, answer
    assert says is None or says in answer["problems"][0]
    assert seconds < 10
    assert bounded_server.post("/v1/check", json.dumps(PROPOSAL).encode())[0] == 200  # and it serves on
