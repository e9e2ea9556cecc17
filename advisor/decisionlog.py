"""The decision log of approval workflows: one JSON line per decision, appended atomically.

Each line is written with a single `write(2)` on a descriptor opened with `O_APPEND`: the
kernel places the whole line at the end of the file in one step, so lines from several
threads or processes (server workers, concurrent `advisor check` runs) never interleave,
and a process that crashes leaves only whole lines behind. Nothing is buffered in the
process, so a line is in the file as soon as `record` returns. Two rarer ways to tear a
line remain: SIGKILL landing inside a write that spans two memory pages, and a power
failure before the kernel wrote the page to disk. So, under an exclusive lock, each write
first ends a torn tail with a newline: one torn record never spoils the next one.

    {"time": "2025-03-04T09:15:02.114Z", "decision_id": "0195b3c2-4e1a-7d2f-9c41-6a0e5b7f3d28",
     "proposal": "sha256:9f2c...", "rules_version": "3b1d...", "verdict": "hold", "score": 72,
     "format": "video", "requested_by": "crm"}

`decision_id` is a UUIDv7 (RFC 9562): unique, and in the order of time, so an approval ticket
can cite it and the log sorts by it; `requested_by` names the server's authenticated caller.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, Optional, Union

from advisor.errors import ConfigError, Problem

if TYPE_CHECKING:
    from advisor.api import Advisor
    from advisor.core.decision import Decision
    from advisor.core.meeting import Meeting

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)  # server workers must not leak it to children

if sys.platform == "win32":  # pragma: no cover - not POSIX: O_APPEND alone keeps lines whole
    _LOCK_EX = _LOCK_UN = 0

    def _flock(fd: int, operation: int) -> None:
        pass
else:
    from fcntl import LOCK_EX as _LOCK_EX
    from fcntl import LOCK_UN as _LOCK_UN
    from fcntl import flock as _flock

if sys.version_info >= (3, 14):
    from uuid import uuid7
else:  # the standard library has UUIDv7 from Python 3.14 on
    from uuid6 import uuid7

RECORD_FIELDS = ("time", "decision_id", "proposal", "rules_version", "verdict", "score", "format")
CALLER_FIELD = "requested_by"  # after RECORD_FIELDS, when the server knows who asked


def new_decision_id() -> str:
    """A fresh decision id: a UUIDv7, whose text sorts in the order the ids were made."""
    return str(uuid7())


def proposal_digest(meeting: "Meeting") -> str:
    """A digest of the proposal's validated content: the same for YAML or JSON, CLI or server,
    whatever the spacing, key order or file name (the canonical JSON of the typed proposal)."""
    text = json.dumps(_content(meeting), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def _content(value: Any) -> Any:
    """The typed proposal as plain JSON data: each record a mapping of its fields, without
    `source`, the file name, which is not content; the start time in ISO 8601."""
    if isinstance(value, tuple):
        names = getattr(value, "_fields", None)
        if names is not None:
            return {name: _content(item) for name, item in zip(names, value) if name != "source"}
        return [_content(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def rules_version(advisor: "Advisor") -> str:
    """A digest of everything that decides: the active rules and the advisor's settings."""
    settings = {
        "pack": advisor.pack.digest,
        "threshold": advisor.threshold,
        "base": advisor.base,
        "currency": advisor.currency,
        "hourly_cost": advisor.hourly_cost,
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode("utf-8")).hexdigest()[:16]


def decision_record(decision: "Decision", proposal: str, rules: str, decision_id: str,
                    requested_by: Optional[str] = None, now: Optional[datetime] = None) -> Dict[str, Any]:
    """The log record of one decision (RECORD_FIELDS in that order, then CALLER_FIELD if known)."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    record = {
        "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "decision_id": decision_id,
        "proposal": proposal,
        "rules_version": rules,
        "verdict": decision.verdict,
        "score": decision.score,
        "format": decision.format,
    }
    if requested_by is not None:
        record[CALLER_FIELD] = requested_by
    return record


class DecisionLogError(ConfigError):
    """The decision log cannot be opened or written: a decision must not go unrecorded."""


class DecisionLog:
    """An append-only JSON Lines file; safe to share between threads and processes."""

    def __init__(self, path: Union[str, "os.PathLike[str]"]):
        self.path = Path(path)
        try:
            self._fd: Optional[int] = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | _CLOEXEC, 0o644)
        except OSError as error:
            message = f"cannot open the decision log: {error.strerror or error}"
            raise DecisionLogError([Problem(str(self.path), message)]) from None
        self._lock = threading.Lock()  # flock() does not tell this process's threads apart

    def record(self, decision: "Decision", proposal: str, rules: str, decision_id: str,
               requested_by: Optional[str] = None) -> Dict[str, Any]:
        """Append the record of `decision` and return it; DecisionLogError if it could not be written."""
        entry = decision_record(decision, proposal, rules, decision_id, requested_by)
        try:
            self.write_line(json.dumps(entry, ensure_ascii=False, separators=(", ", ": ")))
        except OSError as error:
            raise DecisionLogError([Problem(str(self.path), f"cannot write the decision log: "
                                                            f"{error.strerror or error}")]) from None
        return entry

    def write_line(self, text: str) -> None:
        if self._fd is None:
            raise ValueError("the decision log is closed")
        fd = self._fd
        data = (text + "\n").encode("utf-8")
        with self._lock:
            _flock(fd, _LOCK_EX)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":  # a torn tail: end it first
                    data = b"\n" + data
                written = os.write(fd, data)  # one call: the line lands whole
            finally:
                _flock(fd, _LOCK_UN)
        if written != len(data):  # only a full disk or a quota does this
            raise OSError(f"the decision log {self.path} took {written} of {len(data)} bytes (disk full?)")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "DecisionLog":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
