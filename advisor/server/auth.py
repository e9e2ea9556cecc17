"""Who may ask the server: callers named in a tokens file, each with a bearer token.

    # tokens.yaml: caller name -> token (at least 32 characters, each token once)
    crm: 9f0c4b1e6d2a8f7c3e5b0a1d4c6e8f2a
    approvals-bot: 2b7e151628aed2a6abf7158809cf4f3c

Every /v1/ request must then carry `Authorization: Bearer <token>`; the caller's name goes in
the decision log as `requested_by`. Tokens are kept only as SHA-256 digests, compared in
constant time with every caller's (so the time taken says nothing of which or how much
matched), and never written to a log or a response.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Dict, Mapping, Optional, Union

from advisor.errors import ConfigError, Problem, describe
from advisor.inputs.hosts import is_loopback
from advisor.inputs.yamlsafe import load_yaml, read_file

MIN_TOKEN_LENGTH = 32  # characters: 128 bits of hexadecimal, as `openssl rand -hex 16` makes
CALLER_NAME = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"


class Tokens:
    """Caller name -> digest of its token."""

    def __init__(self, tokens: Mapping[str, str]):
        self._digests = {name: _digest(token) for name, token in tokens.items()}

    def caller(self, authorization: Optional[str]) -> Optional[str]:
        """The caller whose token an `Authorization: Bearer ...` header carries, else None."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        presented = _digest(token.strip())
        found = None
        for name, digest in self._digests.items():  # every one compared: no early exit to time
            if hmac.compare_digest(presented, digest):
                found = name
        return found


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8")).digest()


def read_tokens(path: Union[str, Path]) -> Tokens:
    """The tokens file, or AdvisorError: InputError when the file cannot be read as YAML, ConfigError
    with one line per bad entry (file, line, column, caller)."""
    name = str(path)
    document = load_yaml(read_file(path), name)
    if not isinstance(document.data, dict) or not document.data:
        raise ConfigError([Problem(name, f"expected a mapping of caller names to tokens, found "
                                         f"{describe(document.data)}", 1, 1)])
    problems = []
    seen: Dict[str, str] = {}
    for caller, token in document.data.items():
        if not isinstance(caller, str) or not re.match(CALLER_NAME, caller):
            problems.append(document.problem((caller,), f"expected a caller name (letters, digits, '.', '_', "
                                                        f"'@', '-'), found {describe(caller)}", key=True))
        elif not isinstance(token, str) or len(token) < MIN_TOKEN_LENGTH or token != token.strip():
            problems.append(document.problem((caller,), f"expected a token of at least {MIN_TOKEN_LENGTH} "
                                                        "characters without spaces around it (openssl rand "
                                                        "-hex 16 makes one)"))  # the value itself is never shown
        elif token in seen:
            problems.append(document.problem((caller,), f"the same token as '{seen[token]}': each caller needs "
                                                        "its own, or the log cannot tell them apart"))
        else:
            seen[token] = caller
    if problems:
        raise ConfigError(problems)
    return Tokens(document.data)


def guard_exposure(host: str, tokens: bool, insecure: bool) -> None:
    """Refuse to serve anyone who can reach the port, unless told to in so many words."""
    if tokens or insecure or is_loopback(host):
        return
    raise ConfigError([Problem("advisor serve", f"--host {host} can be reached from other machines: give --tokens "
                                                "FILE so that callers must show a token, or --insecure to serve "
                                                "anyone who reaches the port")])
