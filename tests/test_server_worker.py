"""A gevent worker told to stop takes no connection after that: the ones that arrive wait in the
listening socket, which the master and the new workers share, for a worker that will serve
them. One the old worker took and then left behind as it exits is reset."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

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

