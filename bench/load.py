"""Load on `advisor serve`: throughput, latency, errors and the decision log, on loopback only.

    python bench/load.py [--requests 15000] [--concurrency 32] [--workers 2] [--worker-class gevent|gthread]
                         [--auth off|on|both] [--reload-requests 5000 --reloads 5] [--slow-clients 64]
    python bench/load.py --compare 3 [--requests 5000] [--slow-clients 64]

Starts its own server on 127.0.0.1 (a free port) with a decision log in a temporary folder,
measures `Advisor.check` in this process first as the baseline, then sends a bounded number
of POST /v1/check requests from `--concurrency` keep-alive connections. It prints
throughput (also as a ratio to the in-process baseline), p50/p99 latency, errors, and
whether every decision reached the log. `--auth both` (the default) starts a second server
that takes tokens (`--tokens`), and sends the steady load to the two in turns, half of it in
each of two rounds, so that both see the same machine; it prints the throughput with
tokens as a ratio to the throughput without. With `--reloads N`, a second run sends SIGHUP N
times while it loads the server, each time with a changed rule pack (so new rulesets are
compiled), and reports errors during the reloads and the memory of the server's processes
before and after; beside it, what the same number of new rulesets costs in one process
that never recycles. With `--slow-clients N`, N more connections send their headers and then a
byte of body every 2 s all along. Exits 1 on any error or lost log line.

`--compare ROUNDS` measures the slow-client mitigation: the steady load against gunicorn's
threaded workers (`--worker-class gthread`, no mitigation) and against gevent's with
deadlines (the default), alternately, ROUNDS times each in the same sitting, and prints the
medians and their ratios; it fails when their throughputs differ by more than 15%.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from advisor.api import Advisor  # noqa: E402
from advisor.decisionlog import rules_version  # noqa: E402
from advisor.inputs.yamlsafe import load_yaml  # noqa: E402

EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
PROBE = """- id: bench-reload-probe
  description: A rule whose condition changes at each reload, so that each reload compiles new rulesets.
  when: {{attendees: {{gte: {size}}}}}
  necessity: 1
  because: "At least {size} attendees."
  source: bench/load.py
"""
TIME_LIMIT = 600.0  # seconds: a run stops sending after this, whatever is left


def proposals() -> List[Dict[str, Any]]:
    return [load_yaml(path.read_bytes(), str(path)).data for path in EXAMPLES]


def baseline(count: int) -> Tuple[float, float]:
    """Advisor.check in this process, on the proposals the server gets: (per second, CPU s each)."""
    advisor = Advisor()
    data = proposals()
    for item in data:
        advisor.check(item)
    started, cpu = time.perf_counter(), time.process_time()
    for index in range(count):
        advisor.check(data[index % len(data)])
    return count / (time.perf_counter() - started), (time.process_time() - cpu) / count


class Server:
    def __init__(self, workdir: Path, workers: int, threads: int, pack: Path, worker_class: str = "gevent",
                 token: Optional[str] = None):
        workdir.mkdir(exist_ok=True)
        self.log_path = workdir / "server.log"
        self.decision_log = workdir / "decisions.jsonl"
        self.headers = {"Content-Type": "application/json"}
        command = [sys.executable, "-m", "advisor", "serve", "--host", "127.0.0.1", "--port", "0",
                   "--workers", str(workers), "--threads", str(threads), "--rules", str(pack),
                   "--decision-log", str(self.decision_log), "--worker-class", worker_class]
        if token is not None:  # one caller among several, as a real tokens file would have
            tokens = workdir / "tokens.yaml"
            callers = {f"caller-{number}": secrets.token_hex(16) for number in range(9)}
            tokens.write_text("".join(f"{name}: {value}\n" for name, value in {**callers, "bench": token}.items()))
            command += ["--tokens", str(tokens)]
            self.headers["Authorization"] = f"Bearer {token}"
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=self.log_path.open("wb"))
        self.port = self._wait_for_port()

    def _wait_for_port(self) -> int:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = re.search(r"serving on http://127\.0\.0\.1:(\d+)", self.log())
            if found:
                return int(found.group(1))
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit(f"the server did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the server does not answer")

    def rules_version(self) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.request("GET", "/healthz")
        version: str = json.loads(connection.getresponse().read())["rules_version"]
        connection.close()
        return version

    def logged_lines(self) -> Tuple[int, int]:
        """(decision records, lines that are not a whole record)."""
        records = torn = 0
        if self.decision_log.exists():
            for line in self.decision_log.read_text().splitlines():
                try:
                    json.loads(line)["verdict"]
                    records += 1
                except (ValueError, KeyError):
                    torn += 1
        return records, torn

    def memory(self) -> Dict[str, Any]:
        """Resident memory in MB: the master, and each worker."""
        workers = list(_children(self.process.pid))
        return {"master": _rss_mb(self.process.pid), "workers": [_rss_mb(pid) for pid in workers]}

    def cpu_seconds(self) -> float:
        """CPU time used so far by the master and its live workers."""
        return sum(_cpu_seconds(pid) for pid in [self.process.pid] + _children(self.process.pid))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _children(parent: int) -> List[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                found.append(int(entry))
    return sorted(found)


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Load:
    """`total` requests from `concurrency` threads, each with its own keep-alive connection."""

    def __init__(self, port: int, total: int, concurrency: int, headers: Optional[Dict[str, str]] = None):
        self.port = port
        self.headers = headers or {"Content-Type": "application/json"}
        self.bodies = [json.dumps(item).encode() for item in proposals()]
        self.remaining = total
        self.lock = threading.Lock()
        self.latencies: List[float] = []
        self.errors: List[str] = []
        self.concurrency = concurrency
        self.deadline = time.monotonic() + TIME_LIMIT

    def _take(self) -> Optional[int]:
        with self.lock:
            if self.remaining <= 0 or time.monotonic() > self.deadline:
                return None
            self.remaining -= 1
            return self.remaining

    def _client(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        latencies, errors = [], []
        while True:
            index = self._take()
            if index is None:
                break
            body = self.bodies[index % len(self.bodies)]
            started = time.perf_counter()
            try:
                connection.request("POST", "/v1/check", body, self.headers)
                response = connection.getresponse()
                payload = response.read()
                if response.status != 200:
                    errors.append(f"HTTP {response.status}: {payload[:200]!r}")
                elif response.getheader("Connection", "").lower() == "close":
                    connection.close()  # a worker on its way out: the next request reconnects
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            latencies.append(time.perf_counter() - started)
        connection.close()
        with self.lock:
            self.latencies.extend(latencies)
            self.errors.extend(errors)

    def run(self, during: Any = None) -> float:
        """Send everything; `during()` runs meanwhile. Returns the wall time in seconds."""
        threads = [threading.Thread(target=self._client) for _ in range(self.concurrency)]
        cpu = time.process_time()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        if during is not None:
            during()
        for thread in threads:
            thread.join()
        self.client_cpu = time.process_time() - cpu
        return time.perf_counter() - started


class SlowClients:
    """`count` connections on 127.0.0.1 that send their headers, then one byte of body every 2 s."""

    def __init__(self, port: int, count: int):
        head = (b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: 1000000\r\n\r\n")
        self.sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]
        for connection in self.sockets:
            connection.sendall(head)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._trickle, daemon=True)
        self.thread.start()

    def _trickle(self) -> None:
        while not self.stop.wait(2.0):
            for connection in self.sockets:
                try:
                    connection.sendall(b" ")
                except OSError:
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        for connection in self.sockets:
            connection.close()


def report(title: str, load: Load, seconds: float, in_process: float, server_cpu: Optional[float] = None,
           check_cpu: float = 0.0) -> None:
    done = len(load.latencies)
    quantiles = statistics.quantiles(load.latencies, n=100) if done > 1 else [0.0] * 99
    rate = done / seconds
    print(f"{title}: {done + len(load.errors)} requests, {load.concurrency} concurrent, {seconds:.1f} s")
    print(f"  throughput        {rate:,.0f} requests/s = {rate / in_process:.2f} x Advisor.check in-process "
          f"({in_process:,.0f}/s)")
    print(f"  latency           p50 {quantiles[49] * 1000:.1f} ms, p99 {quantiles[98] * 1000:.1f} ms")
    if server_cpu is not None:
        per_request = server_cpu / max(done, 1)
        print(f"  CPU per request   server {per_request * 1e6:.0f} us = {per_request / check_cpu:.1f} x "
              f"Advisor.check in-process ({check_cpu * 1e6:.0f} us); "
              f"load client {load.client_cpu / max(done, 1) * 1e6:.0f} us")
    print(f"  errors            {len(load.errors)}")
    for error in sorted(set(load.errors))[:5]:
        print(f"    {error}")


def reload_memory_without_recycling(pack: Path, reloads: int = 50) -> float:
    """MB that each reload's new ruleset adds to one process that is never recycled."""
    Advisor(extra_rules=[pack])  # the first build's one-off costs (imports, caches) are not a reload's
    before = _rss_mb(os.getpid())
    for size in range(1000, 1000 + reloads):
        (pack / "probe.yaml").write_text(PROBE.format(size=size))
        Advisor(extra_rules=[pack])
    return (_rss_mb(os.getpid()) - before) / reloads


FULL_COMPILE = """
import os, sys
sys.path.insert(0, sys.argv[1])
from advisor.engine.durable import Engine, _engine_module
from advisor.resources import default_rules_dir
from advisor.packs.loader import load_packs
def rss():
    for line in open(f"/proc/{os.getpid()}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
_engine_module()
pack = load_packs([default_rules_dir()])
before = rss()
engine = Engine({rule.id: rule.condition for rule in pack.rules})
print(rss() - before, len(engine.definitions))
"""


def full_pack_compile() -> Tuple[float, int]:
    """MB and rulesets of compiling the whole default pack: a reload that changes every rule."""
    out = subprocess.run([sys.executable, "-c", FULL_COMPILE, str(ROOT)], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), int(out[1])


def compare(options: argparse.Namespace) -> int:
    """The steady load against each kind of worker, alternately, in the same sitting."""
    runs: Dict[str, List[Tuple[float, float, float]]] = {"gthread": [], "gevent": []}
    with tempfile.TemporaryDirectory(prefix="advisor-load-") as folder:
        workdir = Path(folder)
        pack = workdir / "probe-pack"
        pack.mkdir()
        (pack / "probe.yaml").write_text(PROBE.format(size=1))
        for round_ in range(options.compare):
            for kind in ("gthread", "gevent"):
                run = workdir / f"{kind}-{round_}"
                run.mkdir()
                server = Server(run, options.workers, options.threads, pack, kind)
                try:
                    server.wait_until_serving()
                    Load(server.port, 500, options.concurrency).run()  # warm: workers started, code paged in
                    load = Load(server.port, options.requests, options.concurrency)
                    seconds = load.run()
                finally:
                    server.stop()
                if load.errors:
                    print(f"{kind}: {len(load.errors)} errors, such as {load.errors[0]}")
                    return 1
                quantiles = statistics.quantiles(load.latencies, n=100)
                runs[kind].append((len(load.latencies) / seconds, quantiles[49], quantiles[98]))
                print(f"round {round_ + 1} {kind:8} {runs[kind][-1][0]:7,.0f} requests/s, p50 "
                      f"{quantiles[49] * 1000:.1f} ms, p99 {quantiles[98] * 1000:.1f} ms", flush=True)
    medians = {kind: [statistics.median(values) for values in zip(*rows)] for kind, rows in runs.items()}
    (rate_t, p50_t, p99_t), (rate_g, p50_g, p99_g) = medians["gthread"], medians["gevent"]
    print(f"medians of {options.compare} rounds, {options.requests:,} requests each, {options.concurrency} "
          f"connections, {options.workers} workers; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  gthread (threads, no mitigation)   {rate_t:7,.0f} requests/s, p50 {p50_t * 1000:.1f} ms, "
          f"p99 {p99_t * 1000:.1f} ms")
    print(f"  gevent (deadlines, the default)    {rate_g:7,.0f} requests/s, p50 {p50_g * 1000:.1f} ms, "
          f"p99 {p99_g * 1000:.1f} ms")
    print(f"  gevent / gthread                   throughput {rate_g / rate_t:.2f}, p50 {p50_g / p50_t:.2f}, "
          f"p99 {p99_g / p99_t:.2f}")
    within = abs(rate_g / rate_t - 1) <= 0.15
    print("OK: throughputs within 15%" if within else "FAILED: throughputs more than 15% apart")
    return 0 if within else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=15_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--worker-class", choices=("gevent", "gthread"), default="gevent")
    parser.add_argument("--reloads", type=int, default=0, help="SIGHUPs during a second run")
    parser.add_argument("--reload-requests", type=int, default=5_000)
    parser.add_argument("--auth", choices=("off", "on", "both"), default="both",
                        help="steady load on a server without tokens, with them, or on both in turns")
    parser.add_argument("--slow-clients", type=int, default=0, help="connections trickling a body all along")
    parser.add_argument("--compare", type=int, default=0, metavar="ROUNDS",
                        help="gthread against gevent, alternately, ROUNDS times each")
    options = parser.parse_args()
    if options.requests + (options.reload_requests if options.reloads else 0) > 20_000:
        parser.error("at most 20,000 requests in all")
    if not 0 <= options.slow_clients <= 256:
        parser.error("at most 256 slow clients")
    if options.compare:
        return compare(options)

    in_process, check_cpu = baseline(2_000)
    failed = False
    with tempfile.TemporaryDirectory(prefix="advisor-load-") as folder:
        workdir = Path(folder)
        pack = workdir / "probe-pack"
        pack.mkdir()
        (pack / "probe.yaml").write_text(PROBE.format(size=1))
        modes = ["off", "on"] if options.auth == "both" else [options.auth]
        servers: Dict[str, Server] = {}
        slow: List[SlowClients] = []
        try:
            for mode in modes:
                servers[mode] = Server(workdir / f"auth-{mode}", options.workers, options.threads, pack,
                                       options.worker_class, token=secrets.token_hex(16) if mode == "on" else None)
                servers[mode].wait_until_serving()
            server = servers[modes[0]]  # the one that reloads, if asked to
            print(f"server: {options.workers} {options.worker_class} workers"
                  f"{f' x {options.threads} threads' if options.worker_class == 'gthread' else ''} on 127.0.0.1 "
                  f"({', '.join(f'{TITLES[m]}: port {servers[m].port}' for m in modes)}); "
                  f"{options.slow_clients} slow clients on each; "
                  f"in-process baseline: 2,000 checks before and 2,000 after the steady load; "
                  f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
            if options.slow_clients:
                slow = [SlowClients(servers[mode].port, options.slow_clients) for mode in modes]
            rounds = 2 if len(modes) > 1 else 1
            runs: Dict[str, List[Tuple[Load, float, float]]] = {mode: [] for mode in modes}
            for _ in range(rounds):  # in turns: a busy moment of the machine falls on both
                for mode in modes:
                    load = Load(servers[mode].port, options.requests // (rounds * len(modes)), options.concurrency,
                                servers[mode].headers)
                    server_cpu = servers[mode].cpu_seconds()
                    seconds = load.run()
                    runs[mode].append((load, seconds, servers[mode].cpu_seconds() - server_cpu))
            after, check_cpu_after = baseline(2_000)  # before and after: the machine may be busy
            in_process, check_cpu = (in_process + after) / 2, (check_cpu + check_cpu_after) / 2
            rates = {}
            sent = {}
            for mode in modes:
                load, seconds, server_cpu = _together(runs[mode])
                report(f"steady load, {TITLES[mode]}", load, seconds, in_process, server_cpu, check_cpu)
                rates[mode] = (len(load.latencies) / seconds, _quantile(load, 49), server_cpu / len(load.latencies))
                sent[mode] = len(load.latencies)
                failed |= bool(load.errors)
            if len(modes) > 1:
                (off_rate, off_p50, off_cpu), (on_rate, on_p50, on_cpu) = rates["off"], rates["on"]
                print(f"with tokens against without: throughput {on_rate / off_rate:.2f}, p50 latency "
                      f"{on_p50 / off_p50:.2f}, server CPU per request {on_cpu / off_cpu:.2f} (1.00: no cost)")

            if options.reloads:
                memory_before = server.memory()
                reload_load = Load(server.port, options.reload_requests, options.concurrency, server.headers)

                def reload_repeatedly() -> None:
                    pause = 0.5
                    for size in range(2, 2 + options.reloads):
                        time.sleep(pause)
                        (pack / "probe.yaml").write_text(PROBE.format(size=size))
                        server.process.send_signal(signal.SIGHUP)

                seconds = reload_load.run(reload_repeatedly)
                time.sleep(3)  # the last old workers finish and exit
                memory_after = server.memory()
                report(f"load with {options.reloads} reloads", reload_load, seconds, in_process)
                sent[modes[0]] += len(reload_load.latencies)
                failed |= bool(reload_load.errors)
                # A SIGHUP while a reload is being validated is folded into one more validation
                # after it: fewer reloads than signals, the last rules served all the same.
                reloads_done = server.log().count("reloading: rule pack")
                serving, expected = server.rules_version(), rules_version(Advisor(extra_rules=[pack]))
                print(f"  reloads done      {reloads_done} for {options.reloads} SIGHUPs; serving the last pack: "
                      f"{'yes' if serving == expected else 'no'}")
                failed |= serving != expected
                print(f"  memory (RSS, MB)  master {memory_before['master']:.1f} -> {memory_after['master']:.1f}; "
                      f"workers {_mbs(memory_before['workers'])} -> {_mbs(memory_after['workers'])}")
                print(f"  without recycling each reload would add "
                      f"{reload_memory_without_recycling(pack):.2f} MB to a process, for good "
                      "(one rule changed; mean of 50)")
                megabytes, rulesets = full_pack_compile()
                print(f"  and {megabytes:.2f} MB when every rule changes (the default pack: {rulesets} rulesets)")

            for mode in modes:
                records, torn = servers[mode].logged_lines()
                print(f"decision log, {TITLES[mode]}: {records} records for {sent[mode]} decisions answered; "
                      f"{torn} torn lines")
                failed |= records != sent[mode] or torn != 0
        finally:
            for clients in slow:
                clients.close()
            for running in servers.values():
                running.stop()
    print("FAILED" if failed else "OK: no errors, every decision logged")
    return 1 if failed else 0


TITLES = {"off": "no authentication", "on": "with tokens"}


def _together(runs: List[Tuple[Load, float, float]]) -> Tuple[Load, float, float]:
    """The rounds of one server as one load: latencies and errors pooled, seconds and CPU added."""
    first = runs[0][0]
    pooled = Load(first.port, 0, first.concurrency, first.headers)
    for load, _, _ in runs:
        pooled.latencies += load.latencies
        pooled.errors += load.errors
    pooled.client_cpu = sum(load.client_cpu for load, _, _ in runs)
    return pooled, sum(seconds for _, seconds, _ in runs), sum(cpu for _, _, cpu in runs)


def _quantile(load: Load, index: int) -> float:
    return statistics.quantiles(load.latencies, n=100)[index] if len(load.latencies) > 1 else 0.0


def _mbs(values: List[float]) -> str:
    return "[" + ", ".join(f"{v:.1f}" for v in values) + "]"


if __name__ == "__main__":
    sys.exit(main())
