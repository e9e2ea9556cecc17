"""Stopping a worker: one told to stop takes no connection after that (the ones that arrive wait
in the listening socket, which the master and the new workers share, for a worker that will
serve them; one the old worker took and then left behind as it exits is reset), and a stop
signal reaches a worker however early in its life it comes."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List

from conftest import ROOT
from test_server import Server

# In a process of its own: gevent patches the standard library of whatever imports it.
# It prints, for each way a worker is told to stop, whether a connection made afterwards was
# still waiting in the listening socket once the worker had finished.
SCRIPT = r"""
import _socket, json, os, sys
from gevent import monkey
monkey.patch_all()
import gevent
from gunicorn.config import Config
from gunicorn.glogging import Logger
from gunicorn.sock import create_sockets
from advisor.server.worker import DeadlineGeventWorker


def started_worker():
    cfg = Config()
    for name, value in {"bind": ["127.0.0.1:0"], "workers": 2, "worker_tmp_dir": sys.argv[1],
                        "errorlog": os.path.join(sys.argv[1], "worker.log")}.items():
        cfg.set(name, value)
    log = Logger(cfg)
    listener = create_sockets(cfg, log)[0]
    address = listener.sock.getsockname()
    # The test's own view of the shared listening socket, outside gevent: can it still accept?
    probe = _socket.socket(fileno=os.dup(listener.sock.fileno()))
    probe.setblocking(False)
    worker = DeadlineGeventWorker(1, os.getppid(), [listener], None, 30, cfg, log)
    worker.patch()
    kept.append(listener)  # as the master keeps its listeners: gunicorn 23's worker shares their descriptor
    return worker, address, probe


def connect(address):
    client = _socket.socket()
    client.connect(address)
    return client


def waiting(probe):
    try:
        fd, _ = probe._accept()
    except BlockingIOError:
        return False
    os.close(fd)
    return True


kept = []
seen = {}

# Told to stop while it booted: it runs, finds it must stop, and leaves.
worker, address, probe = started_worker()
worker.alive = False
worker.run()
later = connect(address)
gevent.sleep(0.3)  # what the process does on its way out runs gevent's loop
seen["told while booting"] = waiting(probe)

# Told to stop while serving a connection, which then ends.
worker, address, probe = started_worker()
running = gevent.spawn(worker.run)
gevent.sleep(0.1)
first = connect(address)
gevent.sleep(0.1)
seen["first connection taken by the worker"] = not waiting(probe)
worker.handle_exit(15, None)
gevent.sleep(0.1)
first.close()  # its handler ends: gevent would accept again as it frees the place
gevent.sleep(0.1)
later = connect(address)
running.join(timeout=10)
gevent.sleep(0.3)
seen["told while serving"] = waiting(probe)
seen["worker finished"] = running.dead
print(json.dumps(seen))
"""


def test_a_gevent_worker_told_to_stop_leaves_new_connections_to_the_others(tmp_path: Path):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"told while booting": True, "first connection taken by the worker": True,
                                       "told while serving": True, "worker finished": True}


def booted(server: Server) -> List[int]:
    return [int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", server.log())]


def gone(pid: int) -> bool:
    """Exited, whether or not the master has reaped it yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_a_worker_told_to_stop_as_it_boots_stops_and_is_replaced(tmp_path: Path):
    """A new worker keeps the master's signal handlers for its first tenth of a second; a stop
    signal sent then (by a reload that follows another, say) must stop it all the same."""
    server = Server(tmp_path)
    try:
        deadline = time.monotonic() + 30
        while len(booted(server)) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.process.send_signal(signal.SIGHUP)
        while len(booted(server)) == 2 and time.monotonic() < deadline:
            time.sleep(0.002)  # a worker logs its pid first thing after the fork
        newcomer = booted(server)[2]
        os.kill(newcomer, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while not gone(newcomer) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone(newcomer), f"worker {newcomer} still runs:\n{server.log()}"
        while len(booted(server)) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(booted(server)) == 5, server.log()  # 2 at the start, 2 for the reload, 1 in its place
        assert server.json("GET", "/healthz")[0] == 200
    finally:
        server.stop()
