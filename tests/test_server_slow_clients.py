"""Slow and stalled clients on 127.0.0.1: the service keeps answering, and each request has deadlines.

Every client here is bounded in count and in time, and talks to the test's own server only.
"""
from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path

import pytest
from conftest import EXAMPLES
from test_server import YAML, Server

from bench.load import SlowClients

PROPOSAL = (EXAMPLES / "pipeline-review.yaml").read_bytes()
SLOW_CLIENTS = 64


def address(server: Server):
    host, port = server.url.rsplit("/", 1)[-1].rsplit(":", 1)
    return host, int(port)


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path)
    yield running
    running.stop()


def timed_check(server: Server) -> float:
    started = time.monotonic()
    status, decision = server.json("POST", "/v1/check", raw=PROPOSAL, headers=YAML)
    assert status == 200 and decision["verdict"] == "hold"
    return time.monotonic() - started


def test_64_slow_clients_delay_no_request_past_a_second_nor_lose_one_in_a_reload(server):
    slow = SlowClients(address(server)[1], SLOW_CLIENTS)  # headers, then a byte of body every 2 s
    try:
        times = [timed_check(server) for _ in range(10)]
        server.process.send_signal(signal.SIGHUP)  # workers are replaced while the slow clients hold on
        deadline = time.monotonic() + 8
        while time.monotonic() < deadline:
            times.append(timed_check(server))
            time.sleep(0.05)
        assert "reloading: rule pack" in server.log()
    finally:
        slow.close()
    assert max(times) < 1.0, sorted(times)[-5:]


def test_a_body_that_trickles_past_its_deadline_gets_408(tmp_path):
    server = Server(tmp_path, "--body-timeout", "1.5")
    try:
        connection = socket.create_connection(address(server), timeout=30)
        connection.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/yaml\r\n"
                           b"Content-Length: 1000\r\n\r\n")
        began = time.monotonic()
        answer = b""
        try:
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                connection.sendall(b"#")  # a byte every half second: never silent, never done
                time.sleep(0.5)
                connection.setblocking(False)
                try:
                    answer += connection.recv(65536)
                except BlockingIOError:
                    pass
                connection.setblocking(True)
                assert time.monotonic() - began < 20
        except (BrokenPipeError, ConnectionResetError):
            answer += connection.recv(65536)
        connection.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 ")
        assert json.loads(body)["problems"] == ["<request>: the body did not arrive in time: send it whole, at once"]
        assert 1.5 <= time.monotonic() - began < 10
        assert timed_check(server) < 1.0
    finally:
        server.stop()


def test_headers_that_never_end_are_closed_after_their_deadline(server):
    connection = socket.create_connection(address(server), timeout=30)
    connection.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\n")  # and nothing more
    began = time.monotonic()
    assert connection.recv(65536) == b""  # closed by the server, unanswered
    assert 4 <= time.monotonic() - began < 15
    connection.close()


def test_the_threaded_workers_are_still_there_on_request(tmp_path: Path):
    server = Server(tmp_path, "--worker-class", "gthread", "--threads", "2")
    try:
        assert timed_check(server) < 5
        assert "Using worker: gthread" in server.log()
    finally:
        server.stop()
