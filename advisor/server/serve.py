"""The HTTP API (`advisor.server.app`) under gunicorn, with reloads that drop no request.

Gunicorn's master process never runs the rule engine. It builds the advisor (rule packs and
configuration, validated and compiled) in a short-lived child process, which hands it back
pickled without its engine; the worker processes forked from the master unpickle that very
advisor and compile its rules, so no worker reads a rule file that was not validated.
SIGHUP (or POST /v1/reload when allowed) does it again: rules, a configuration or a tokens file
that fail are refused and the running workers go on serving untouched; good ones get new workers, and
the old ones finish their requests and exit. The validation has a deadline
(VALIDATION_TIMEOUT), and the master waits for it on a thread of its own: it goes on
watching its workers and answering signals meanwhile, whatever the rules do. durable_rules
can never unload a ruleset, so this is also what bounds memory: a worker only ever holds the
rulesets it started with, and the master holds none.
"""
from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Union

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from advisor.errors import AdvisorError, Problem
from advisor.server import idempotency

if TYPE_CHECKING:
    from advisor.api import Advisor

DEFAULT_PORT = 8080
DEFAULT_WORKERS = 2
DEFAULT_THREADS = 4
# gevent: a connection is a greenlet, and a slow client holds nothing but its own (advisor.server.worker);
# gthread: gunicorn's threads, each held by the connection it reads, however slowly it comes.
WORKER_CLASSES = {"gevent": "advisor.server.worker.DeadlineGeventWorker", "gthread": "gthread"}
VALIDATION_TIMEOUT = 60.0  # seconds for a child to build the advisor: the default pack takes 0.3 s
HEADER_SECONDS = 5  # gunicorn's keepalive: with gevent, also the deadline of a request's line and headers
BODY_SECONDS = 30.0  # by default (--body-timeout), with gevent: a 1 MiB body at 35 KB/s
DEFAULT_IDEMPOTENCY_LIMIT = idempotency.DEFAULT_LIMIT
# The signals by which the master stops a worker. A new worker keeps the master's handlers until
# it has set its own, which takes it a tenth of a second: one of these in between would be queued
# for a master loop that the worker never runs, and lost (a worker told to stop as it booted
# served on with the old rules, until the master gave up waiting for it 30 s later). So the master
# holds them while it forks, and the new worker takes them once it can act on them.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGABRT)

log = logging.getLogger("advisor.serve")

@dataclass
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    extra_rules: List[Path] = field(default_factory=list)
    config: Optional[Path] = None
    threshold: Optional[int] = None
    workers: int = DEFAULT_WORKERS
    threads: int = DEFAULT_THREADS
    worker_class: str = "gevent"
    body_timeout: float = BODY_SECONDS  # with gevent's workers: the seconds a request's body may take
    decision_log: Optional[Path] = None
    allow_reload: bool = False
    max_body: int = 1024 * 1024
    access_log: Optional[str] = None
    tokens: Optional[Path] = None  # callers and their tokens (advisor.server.auth); None: no authentication
    insecure: bool = False  # serve an address other machines reach without tokens
    idempotency_store: Optional[Path] = None  # None: a temporary one, gone when the server stops
    idempotency_limit: int = DEFAULT_IDEMPOTENCY_LIMIT

    @property
    def bind(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def build_advisor(settings: ServeSettings) -> "Advisor":
    """The advisor that `advisor check` would build from the same options."""
    from advisor.api import Advisor
    from advisor.packs.config import find_config

    return Advisor(extra_rules=settings.extra_rules, threshold=settings.threshold,
                   config=find_config(settings.config))


@dataclass(frozen=True)
class Validated:
    """An advisor built and compiled in a child process, pickled without its engine."""

    pickled: bytes
    pack: str
    pack_version: str
    rules_version: str

    def advisor(self) -> "Advisor":
        advisor: Advisor = pickle.loads(self.pickled)  # compiles the rules in this process
        return advisor


def validate_in_child(settings: ServeSettings) -> Validated:
    """Build the advisor in a forked child, so that the calling process never loads a
    ruleset; AdvisorError with the problems if it fails."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child, which leaves through os._exit
        os.close(read_end)
        for number in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGCHLD):
            signal.signal(number, signal.SIG_DFL)  # not the master's handlers
        try:
            advisor = build_advisor(settings)
            report: Dict[str, Any] = {"advisor": pickle.dumps(advisor), **_served(advisor)}
        except AdvisorError as error:
            report = {"problems": [p._asdict() for p in error.problems]}
        except BaseException as error:  # a bug: the master must not die of it
            report = {"problems": [{"file": "advisor", "message": f"internal error ({type(error).__name__}: {error})"}]}
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(pickle.dumps(report))
        os._exit(0)
    os.close(write_end)
    try:
        payload = _read_all(read_end, time.monotonic() + VALIDATION_TIMEOUT)
    finally:
        os.close(read_end)
        _reap(pid)
    if payload is None:
        message = f"validating the rules took more than {VALIDATION_TIMEOUT:.0f} s"
        raise AdvisorError([Problem("advisor serve", message)])
    if not payload:
        raise AdvisorError([Problem("advisor serve", "the process validating the rules died")])
    report = pickle.loads(payload)  # from our own child; the advisor inside stays pickled here
    if "problems" in report:
        raise AdvisorError([Problem(**fields) for fields in report["problems"]])
    return Validated(report["advisor"], report["pack"], report["pack_version"], report["rules_version"])


def _served(advisor: "Advisor") -> Dict[str, Any]:
    from advisor.decisionlog import rules_version

    return {"pack": advisor.pack.name, "pack_version": advisor.pack.version, "rules_version": rules_version(advisor)}


def _read_all(fd: int, deadline: float) -> Optional[bytes]:
    chunks: List[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _reap(pid: int) -> None:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if not finished:  # still running: it overran its time
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    except ChildProcessError:  # already reaped by the master's SIGCHLD handling
        pass


class ServeApplication(BaseApplication):
    """Gunicorn's application: settings for the master, the Falcon app in each worker."""

    def __init__(self, settings: ServeSettings):
        from advisor.server.auth import guard_exposure, read_tokens
        self.settings = settings
        guard_exposure(settings.host, settings.tokens is not None, settings.insecure)
        self.tokens = read_tokens(settings.tokens) if settings.tokens else None
        self.validated = validate_in_child(settings)
        if settings.decision_log is not None:
            from advisor.decisionlog import DecisionLog

            DecisionLog(settings.decision_log).close()  # refuse to start when it cannot be written
        self.idempotency, self._scratch = idempotency.prepare_store(settings.idempotency_store)  # made, or refused, now
        self._master = os.getpid()
        super().__init__(prog="advisor serve")

    def accept(self, outcome: Union[Validated, AdvisorError], log: Any) -> bool:
        """In the master, once a reload is validated: True when the new rules (and the tokens file,
        read again) passed and new workers should start from them; a refusal is logged and
        changes nothing."""
        from advisor.server.auth import read_tokens

        tokens = self.tokens
        if not isinstance(outcome, AdvisorError):
            try:
                tokens = read_tokens(self.settings.tokens) if self.settings.tokens else None
            except AdvisorError as error:
                outcome = error
        if isinstance(outcome, AdvisorError):
            for problem in outcome.problems:
                log.error("%s", problem)
            log.error("reload refused: the rules in service (version %s) keep serving",
                      self.validated.rules_version)
            return False
        log.info("reloading: rule pack %s, rules version %s", outcome.pack, outcome.rules_version)
        self.validated, self.tokens = outcome, tokens
        return True

    def load_config(self) -> None:
        settings = self.settings
        values: Dict[str, Any] = {
            "bind": [settings.bind],
            "workers": settings.workers,
            "worker_class": WORKER_CLASSES[settings.worker_class],
            "threads": settings.threads,
            "keepalive": HEADER_SECONDS,  # and, with gevent, the deadline of a request's headers
            "timeout": 60,
            "graceful_timeout": 30,
            "preload_app": False,  # each worker compiles the validated advisor after the fork
            "proc_name": "advisor",
            "errorlog": "-",
            "accesslog": settings.access_log,
            "loglevel": "info",
            "when_ready": _when_ready,
            "post_fork": _take_held_signals,
            "control_socket_disable": True,  # gunicorn >= 25 would open one in $HOME otherwise
        }
        for name, value in values.items():
            if name in self.cfg.settings:
                self.cfg.set(name, value)

    def load(self) -> Any:
        """In each worker: the validated advisor, compiled here, and the WSGI app."""
        from advisor.decisionlog import DecisionLog
        from advisor.server.app import create_app
        _share_gunicorn_log()
        settings = self.settings
        advisor = self.validated.advisor()
        decision_log = DecisionLog(settings.decision_log) if settings.decision_log else None
        reload = _reload_request(settings) if settings.allow_reload else None
        store = idempotency.IdempotencyStore(self.idempotency, settings.idempotency_limit)
        return create_app(advisor, decision_log=decision_log, max_body=settings.max_body, reload=reload,
                          tokens=self.tokens, idempotency=store)

    def run(self) -> None:
        try:
            ReloadingArbiter(self).run()
        finally:  # workers leave through here too (SystemExit): only the master clears up
            if self._scratch is not None and os.getpid() == self._master:
                import shutil

                shutil.rmtree(self._scratch, ignore_errors=True)


class ReloadingArbiter(Arbiter):
    """Gunicorn's master, refusing a reload whose rules or settings do not validate.

    SIGHUP starts the validation on a thread (which waits for the child that builds the
    advisor) and returns to the master's loop; each turn of the loop (at least once a second)
    looks whether it has ended, and reloads or refuses then. A SIGHUP during a validation is
    served by validating again once it ends: the files may have changed since they were read.
    """

    _validation: Optional[threading.Thread] = None
    _outcome: Union[Validated, AdvisorError, None] = None
    _again = False

    def reload(self) -> None:
        if self._validation is not None:
            self._again = True
            self.log.info("reload requested while another is being validated: it follows that one")
            return
        self._validation = threading.Thread(target=self._validate, name="advisor-reload", daemon=True)
        self._validation.start()

    def _validate(self) -> None:
        try:
            self._outcome = validate_in_child(self.app.settings)
        except AdvisorError as error:
            self._outcome = error
        self.wakeup()  # the master's loop, back from its wait at once

    def spawn_worker(self) -> int:
        held = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            pid: int = super().spawn_worker()
            return pid
        finally:  # in the master; a worker passes here too, on its way out
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def manage_workers(self) -> None:
        self._end_validation()
        super().manage_workers()

    def _end_validation(self) -> None:
        if self._validation is None or self._validation.is_alive():
            return
        outcome, self._outcome, self._validation = self._outcome, None, None
        if outcome is not None and self.app.accept(outcome, self.log):
            Arbiter.reload(self)
        if self._again:
            self._again = False
            self.reload()


def _reload_request(settings: ServeSettings) -> Any:
    """POST /v1/reload, in a worker: validate first to answer at once, then ask the master."""

    def reload() -> Mapping[str, Any]:
        # In a child, within the deadline: this worker never loads the new rulesets, and a pack
        # whose validation hangs answers 409 instead of holding the request.
        validated = validate_in_child(settings)  # AdvisorError -> 409, and nothing is signalled
        if settings.tokens:  # the master refuses a reload whose tokens file fails: say so now, not 202
            from advisor.server.auth import read_tokens

            read_tokens(settings.tokens)
        os.kill(os.getppid(), signal.SIGHUP)  # this worker is replaced once the master has validated too
        return {"status": "reloading", "pack": validated.pack, "pack_version": validated.pack_version,
                "rules_version": validated.rules_version}

    return reload


def _take_held_signals(arbiter: Any, worker: Any) -> None:
    """In a new worker, before it boots: a stop signal, held since the fork or sent from now on,
    tells it to stop as soon as it runs; it sets its own handlers after."""

    def stop(number: int, frame: Any) -> None:
        worker.alive = False

    for number in STOP_SIGNALS:
        signal.signal(number, stop)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)


def _when_ready(arbiter: Any) -> None:
    for listener in arbiter.LISTENERS:
        host, port = listener.sock.getsockname()[:2]
        host = f"[{host}]" if ":" in host else host
        arbiter.log.info("advisor serving on http://%s:%d (%d workers)", host, port, arbiter.cfg.workers)


def _share_gunicorn_log() -> None:
    """advisor.* loggers write where gunicorn's error log goes (standard error by default)."""
    source = logging.getLogger("gunicorn.error")
    target = logging.getLogger("advisor")
    target.handlers = list(source.handlers)
    target.setLevel(logging.INFO)
    target.propagate = False
