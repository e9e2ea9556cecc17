"""`Idempotency-Key`: a retried request gets the answer already given, not a second decision.

Keys are kept per caller for 24 hours in one SQLite database that every worker opens, so a
retry reaching another worker is answered the same. A key is claimed before deciding (a
second request with it meanwhile gets 409), then holds the answer: status, headers and body,
replayed byte for byte. The same key with another request (another proposal, path or query)
gets 422. A caller holds at most `limit` keys at once; when full, it gets 429 until its
oldest key is 24 hours old: a key is never forgotten sooner. A claim whose worker died
before answering is released after CLAIM_TIMEOUT, longer than a worker may take.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, NamedTuple, Optional, Tuple, Union

KEEP_SECONDS = 24 * 3600
CLAIM_TIMEOUT = 120.0  # seconds: twice gunicorn's worker timeout
DEFAULT_LIMIT = 10_000  # keys per caller within 24 hours
MAX_KEY_LENGTH = 255

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    caller TEXT NOT NULL,
    key TEXT NOT NULL,
    request TEXT NOT NULL,          -- digest of the proposal(s), path and query
    created REAL NOT NULL,          -- when the key was claimed (Unix time)
    status INTEGER,                 -- null while the first request is being decided
    headers TEXT,
    body BLOB,
    PRIMARY KEY (caller, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS answers_by_age ON answers (caller, created);
"""


class Answer(NamedTuple):
    status: int
    headers: Dict[str, str]
    body: bytes


class Claimed(NamedTuple):
    """The key is this request's: decide, then `store` the answer (or `release` on failure)."""


class Replay(NamedTuple):
    answer: Answer


class Mismatch(NamedTuple):
    """The key was used with another request."""


class Pending(NamedTuple):
    """The first request with the key has not been answered yet."""


class Full(NamedTuple):
    retry_after: int  # seconds until the caller's oldest key expires


Outcome = Union[Claimed, Replay, Mismatch, Pending, Full]


class IdempotencyStore:
    """One connection per process, shared by its threads under a lock."""

    def __init__(self, path: Union[str, Path], limit: int = DEFAULT_LIMIT):
        self.path = Path(path)
        self.limit = limit
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None, check_same_thread=False)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def claim(self, caller: str, key: str, request: str, now: Optional[float] = None) -> Outcome:
        moment = time.time() if now is None else now
        with self._lock, _immediate(self._db) as db:
            db.execute("DELETE FROM answers WHERE caller = ? AND created < ?", (caller, moment - KEEP_SECONDS))
            row = db.execute("SELECT request, created, status, headers, body FROM answers "
                             "WHERE caller = ? AND key = ?", (caller, key)).fetchone()
            if row is not None:
                stored, created, status, headers, body = row
                if stored != request:
                    return Mismatch()
                if status is not None:
                    return Replay(Answer(status, json.loads(headers), bytes(body)))
                if moment - created < CLAIM_TIMEOUT:
                    return Pending()
                db.execute("DELETE FROM answers WHERE caller = ? AND key = ?", (caller, key))  # abandoned
            count, oldest = db.execute("SELECT count(*), min(created) FROM answers WHERE caller = ?",
                                       (caller,)).fetchone()
            if count >= self.limit:
                return Full(max(1, int(oldest + KEEP_SECONDS - moment) + 1))
            db.execute("INSERT INTO answers (caller, key, request, created) VALUES (?, ?, ?, ?)",
                       (caller, key, request, moment))
            return Claimed()

    def store(self, caller: str, key: str, answer: Answer) -> None:
        with self._lock:
            self._db.execute("UPDATE answers SET status = ?, headers = ?, body = ? WHERE caller = ? AND key = ?",
                             (answer.status, json.dumps(answer.headers), answer.body, caller, key))

    def release(self, caller: str, key: str) -> None:
        """Forget a claim whose request failed: the same key may be tried again."""
        with self._lock:
            self._db.execute("DELETE FROM answers WHERE caller = ? AND key = ? AND status IS NULL", (caller, key))

    def close(self) -> None:
        self._db.close()


@contextmanager
def _immediate(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction taken at once, so that two workers never both claim a key."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def prepare_store(path: Optional[Path]) -> Tuple[Path, Optional[str]]:
    """The store's file, made now so that a bad path stops the server at start; and the temporary
    folder to remove at exit when no path was given (the keys then last as long as the server)."""
    import tempfile

    from advisor.errors import ConfigError, Problem

    scratch = None
    if path is None:
        scratch = tempfile.mkdtemp(prefix="advisor-serve-")
        path = Path(scratch) / "idempotency.sqlite3"
    try:
        IdempotencyStore(path).close()
    except sqlite3.Error as error:
        raise ConfigError([Problem(str(path), f"cannot open the idempotency store: {error}")]) from None
    return path, scratch


def request_digest(path: str, query: str, proposals: Tuple[str, ...]) -> str:
    """What makes two requests 'the same': the proposals' digests, the path and the query."""
    text = json.dumps([path, query, list(proposals)], separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
