"""Reloading a running server: SIGHUP or POST /v1/reload, new rules or a refusal, no request lost."""
from __future__ import annotations

import re
import signal
import threading
import time
from pathlib import Path
from typing import List

import pytest
from conftest import EXAMPLES
from test_server import YAML, Server

from advisor.api import Advisor
from advisor.decisionlog import rules_version
from advisor.errors import AdvisorError

PROBE = """- id: reload-probe
  description: A rule whose weight the tests change while the server runs.
  when: {{attendees: {{gte: 1}}}}
  necessity: {necessity}
  because: "Probe {necessity}."
  source: the reload tests
"""
BROKEN = """- id: reload-probe
  description: A rule with a typo.
  when: {attendes: {gte: 1}}
  because: "Broken."
  source: the reload tests
"""
PROPOSAL = (EXAMPLES / "pipeline-review.yaml").read_bytes()


def write_pack(folder: Path, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "probe.yaml").write_text(text)
    return folder


def expected_version(pack: Path) -> str:
    return rules_version(Advisor(extra_rules=[pack]))


def reload_by_signal(server: Server, version: str) -> None:
    server.process.send_signal(signal.SIGHUP)
    wait_for_version(server, version)


def wait_for_version(server: Server, version: str, timeout: float = 60) -> None:
    """Until ten answers in a row, each on a new connection, come from workers serving `version`:
    the old workers stop accepting once told to go, then finish their requests."""
    deadline = time.monotonic() + timeout
    in_a_row = 0
    while in_a_row < 10:
        if time.monotonic() > deadline:
            raise AssertionError(f"still not serving {version}:\n{server.log()}")
        status, health = server.json("GET", "/healthz")
        in_a_row = in_a_row + 1 if (status, health["rules_version"]) == (200, version) else 0
        if not in_a_row:
            time.sleep(0.05)


def wait_for_log(server: Server, text: str, times: int = 1, timeout: float = 60) -> None:
    """Until the server's log holds `text` (`times` times), or fail saying what it holds."""
    deadline = time.monotonic() + timeout
    while server.log().count(text) < times:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {text!r} in the log:\n{server.log()}")
        time.sleep(0.05)


def probe_reason(server: Server) -> str:
    status, decision = server.json("POST", "/v1/check", raw=PROPOSAL, headers=YAML)
    assert status == 200
    return next(f["reason"] for f in decision["fired"] if f["rule"] == "reload-probe")


@pytest.fixture
def pack(tmp_path) -> Path:
    return write_pack(tmp_path / "probe-pack", PROBE.format(necessity=5))


@pytest.fixture
def server(tmp_path, pack):
    running = Server(tmp_path, "--rules", str(pack), "--allow-reload")
    yield running
    running.stop()


def test_sighup_serves_the_new_pack_and_refuses_a_broken_one(server, pack):
    assert probe_reason(server) == "Probe 5."
    write_pack(pack, PROBE.format(necessity=-5))
    reload_by_signal(server, expected_version(pack))
    assert probe_reason(server) == "Probe -5."

    serving = expected_version(pack)
    write_pack(pack, BROKEN)
    server.process.send_signal(signal.SIGHUP)
    wait_for_log(server, "reload refused")
    log = server.log()
    assert "reload refused" in log
    assert f"{pack / 'probe.yaml'}:3:10: reload-probe.when.attendes: unknown fact 'attendes'" in log
    assert server.json("GET", "/healthz")[1]["rules_version"] == serving
    assert probe_reason(server) == "Probe -5."
    assert server.decision_lines()[-1]["rules_version"] == serving


def test_post_reload_answers_409_for_a_broken_pack_and_202_for_a_good_one(server, pack):
    before = server.json("GET", "/healthz")[1]["rules_version"]
    write_pack(pack, BROKEN)
    status, error = server.json("POST", "/v1/reload")
    assert status == 409
    assert error["problems"] == [f"{pack / 'probe.yaml'}:3:10: reload-probe.when.attendes: unknown fact "
                                 "'attendes'; did you mean 'attendees'?"]
    assert server.json("GET", "/healthz")[1]["rules_version"] == before

    write_pack(pack, PROBE.format(necessity=10))
    status, answer = server.json("POST", "/v1/reload")
    assert status == 202 and answer["status"] == "reloading"
    assert answer["rules_version"] == expected_version(pack) != before
    wait_for_version(server, answer["rules_version"])
    assert probe_reason(server) == "Probe 10."


def test_no_request_fails_while_workers_are_replaced(server, pack):
    statuses: List[object] = []
    stop = threading.Event()

    def send() -> None:
        while not stop.is_set():
            try:
                statuses.append(server.request("POST", "/v1/check", PROPOSAL, YAML)[0])
            except OSError as error:  # a connection reset or refused is a lost request
                statuses.append(repr(error))

    clients = [threading.Thread(target=send) for _ in range(4)]
    for client in clients:
        client.start()
    try:
        for necessity in (1, 2, 3):
            write_pack(pack, PROBE.format(necessity=necessity))
            reload_by_signal(server, expected_version(pack))
    finally:
        stop.set()
        for client in clients:
            client.join()
    assert len(statuses) > 20
    assert set(statuses) == {200}
    assert len(server.decision_lines()) == len(statuses)


def booted_workers(server: Server) -> List[int]:
    return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", server.log())]


def test_a_reload_whose_validation_hangs_never_blocks_the_master(tmp_path):
    import os

    config = tmp_path / "advisor.yaml"
    config.write_text("threshold: 70\n")
    server = Server(tmp_path, "--config", str(config))
    try:
        stall = tmp_path / "stall.yaml"
        os.mkfifo(stall)  # a rule pack named in the settings that no one writes: reading it waits
        config.write_text(f"threshold: 80\npacks: [{stall}]\n")
        server.process.send_signal(signal.SIGHUP)
        wait_for_log(server, "Handling signal: hup")
        # While the validation waits, the master still looks after its workers: a killed one is replaced.
        os.kill(booted_workers(server)[-1], signal.SIGKILL)
        wait_for_log(server, "Booting worker with pid", times=3)
        assert server.json("POST", "/v1/check", raw=PROPOSAL, headers=YAML)[1]["threshold"] == 70
        with open(stall, "wb"):  # the pack turns out empty: the reload is refused, the old rules serve on
            pass
        wait_for_log(server, "reload refused")
        assert f"{stall}: the file is empty: expected a list of rules" in server.log()
        assert server.json("POST", "/v1/check", raw=PROPOSAL, headers=YAML)[1]["threshold"] == 70
    finally:
        server.stop()


def test_a_validation_past_its_deadline_is_stopped_and_refused(tmp_path, monkeypatch):
    import os

    from advisor.server import serve

    stall = tmp_path / "stall.yaml"
    os.mkfifo(stall)
    monkeypatch.setattr(serve, "VALIDATION_TIMEOUT", 1.0)
    began = time.monotonic()
    with pytest.raises(AdvisorError) as refused:
        serve.validate_in_child(serve.ServeSettings(extra_rules=[stall]))
    assert time.monotonic() - began < 10
    assert str(refused.value) == "advisor serve: validating the rules took more than 1 s"


def test_sighup_rereads_the_configuration_and_refuses_a_broken_one(tmp_path):
    config = tmp_path / "advisor.yaml"
    config.write_text("threshold: 70\n")
    server = Server(tmp_path, "--config", str(config))
    try:
        assert server.json("POST", "/v1/check", raw=PROPOSAL, headers=YAML)[1]["threshold"] == 70
        config.write_text("threshold: 80\n")
        reload_by_signal(server, rules_version(Advisor(config=str(config))))
        assert server.json("POST", "/v1/check", raw=PROPOSAL, headers=YAML)[1]["threshold"] == 80

        config.write_text("threshold: high\n")
        server.process.send_signal(signal.SIGHUP)
        wait_for_log(server, "reload refused")
        assert f"{config}:1:12: threshold: expected an integer from 0 to 100, found 'high'" in server.log()
        assert server.json("POST", "/v1/check", raw=PROPOSAL, headers=YAML)[1]["threshold"] == 80
    finally:
        server.stop()
