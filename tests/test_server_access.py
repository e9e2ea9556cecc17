"""The server for approval workflows: tokens, decision ids, idempotency keys and explanations,
spoken to over HTTP on 127.0.0.1."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from typing import Callable, Dict, List, Set

import pytest
from conftest import EXAMPLES, ROOT, proposal
from test_server import JSON, YAML, Server, example_bytes, without_id

from advisor.decisionlog import CALLER_FIELD, RECORD_FIELDS, proposal_digest
from advisor.errors import AdvisorError
from advisor.inputs.proposal import read_meeting
from advisor.packs.explain import Explainer
from advisor.server.auth import guard_exposure, read_tokens
from advisor.server.idempotency import Answer, Claimed, Full, IdempotencyStore, Mismatch, Pending, Replay
from advisor.server.openapi import openapi_document

CRM_TOKEN = "crm-0123456789abcdef0123456789abcdef"
BOT_TOKEN = "bot-fedcba9876543210fedcba9876543210"
TOKENS = f"crm: {CRM_TOKEN}\napprovals-bot: {BOT_TOKEN}\n"


def bearer(token: str, **headers: str) -> Dict[str, str]:
    return {**headers, "Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    """A server that takes tokens, and lets callers reload over HTTP."""
    folder = tmp_path_factory.mktemp("secured")
    tokens = folder / "tokens.yaml"
    tokens.write_text(TOKENS)
    running = Server(folder, "--tokens", str(tokens), "--allow-reload")
    yield running
    running.stop()


# -- tokens -------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [("POST", "/v1/check"), ("POST", "/v1/check/batch"), ("GET", "/v1/rules"),
                                         ("GET", "/v1/schema"), ("POST", "/v1/reload")])
def test_without_a_known_token_every_v1_request_gets_401(secured, method, path):
    for headers, found in [(JSON, "none"), (bearer("not-a-token-of-anyone-0123456789ab", **JSON),
                                            "a token that is not in the server's tokens file"),
                           ({**JSON, "Authorization": f"Basic {CRM_TOKEN}"}, "a token that is not in")]:
        status, response_headers, body = secured.request(method, path, b"{}" if method == "POST" else None, headers)
        error = json.loads(body)
        assert (status, error["title"]) == (401, "authentication required")
        assert response_headers["www-authenticate"] == 'Bearer realm="advisor"'
        assert error["problems"][0].startswith(f"Authorization: expected 'Bearer' and a caller's token, found {found}")


def test_health_and_the_api_description_stay_open(secured):
    from openapi_spec_validator import validate

    assert secured.json("GET", "/healthz")[0] == 200
    status, document = secured.json("GET", "/openapi.json")
    assert status == 200 and document["security"] == [{"bearer": []}]  # what this server requires
    validate(document)
    assert "security" not in openapi_document()  # a server without tokens requires none


def test_the_caller_is_logged_as_requested_by_and_the_id_is_everywhere(secured, advisor):
    before = len(secured.decision_lines())
    body = example_bytes("pipeline-review.yaml")
    answers = []
    for token in (CRM_TOKEN, BOT_TOKEN):
        status, headers, payload = secured.request("POST", "/v1/check", body, bearer(token, **YAML))
        answers.append((status, headers["advisor-decision-id"], json.loads(payload)))
    status, headers, payload = secured.request("POST", "/v1/check?format=markdown", body, bearer(CRM_TOKEN, **YAML))
    answers.append((status, headers["advisor-decision-id"], None))
    lines = secured.decision_lines()[before:]
    assert [line[CALLER_FIELD] for line in lines] == ["crm", "approvals-bot", "crm"]
    assert all(list(line) == [*RECORD_FIELDS, CALLER_FIELD] for line in lines)
    for (status, header, decision), line in zip(answers, lines):
        assert status == 200 and uuid.UUID(header).version == 7
        assert line["decision_id"] == header
        if decision is not None:
            assert decision["decision_id"] == header
    ids = [line["decision_id"] for line in lines]
    assert len(set(ids)) == 3 and ids == sorted(ids)
    assert lines[0]["proposal"] == proposal_digest(read_meeting(EXAMPLES / "pipeline-review.yaml"))


def test_tokens_are_never_logged(secured):
    secured.request("POST", "/v1/check", b"{}", bearer("wrong-but-secret-0123456789abcdef", **JSON))
    secured.request("POST", "/v1/check", json.dumps(proposal()).encode(), bearer(CRM_TOKEN, **JSON))
    text = secured.log() + secured.decision_log.read_text()
    assert CRM_TOKEN not in text and "wrong-but-secret" not in text


def test_reload_over_http_needs_a_token(secured):
    assert secured.json("POST", "/v1/reload")[0] == 401

    def reload() -> None:
        status, outcome = secured.json("POST", "/v1/reload", headers=bearer(BOT_TOKEN))
        assert status == 202 and outcome["status"] == "reloading"

    replace_workers(secured, reload)


def test_reload_over_http_answers_409_when_the_tokens_file_fails(tmp_path):
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(TOKENS)
    server = Server(tmp_path, "--tokens", str(tokens), "--allow-reload")
    try:
        tokens.write_text(TOKENS + "crm: another-token-0123456789abcdef\n")  # one caller twice
        status, error = server.json("POST", "/v1/reload", headers=bearer(BOT_TOKEN))
        assert status == 409, error
        assert error["title"] == "the reload was refused; the running rules keep serving"
        assert str(tokens) in error["problems"][0]
        assert "Handling signal: hup" not in server.log()  # the master was never asked
        assert server.json("GET", "/v1/rules", headers=bearer(CRM_TOKEN))[0] == 200  # the old tokens still serve
    finally:
        server.stop()


def test_a_public_address_without_tokens_is_refused(tmp_path):
    result = subprocess.run([sys.executable, "-m", "advisor", "serve", "--host", "0.0.0.0", "--port", "0"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        "advisor serve: --host 0.0.0.0 can be reached from other machines: give --tokens FILE so that callers must "
        "show a token, or --insecure to serve anyone who reaches the port"]


@pytest.mark.parametrize("host,tokens,insecure,refused", [
    ("0.0.0.0", False, False, True), ("::", False, False, True), ("sales-box", False, False, True),
    ("0.0.0.0", True, False, False), ("0.0.0.0", False, True, False),
    ("127.0.0.1", False, False, False), ("127.0.0.2", False, False, False), ("::1", False, False, False),
    ("localhost", False, False, False),
])
def test_which_addresses_need_tokens(host, tokens, insecure, refused):
    if refused:
        with pytest.raises(AdvisorError):
            guard_exposure(host, tokens, insecure)
    else:
        guard_exposure(host, tokens, insecure)


@pytest.mark.parametrize("text,expected", [
    ("crm: short\n", "tokens.yaml:1:6: crm: expected a token of at least 32 characters"),
    (f"crm: {CRM_TOKEN}\nbot: {CRM_TOKEN}\n", "tokens.yaml:2:6: bot: the same token as 'crm'"),
    (f"'crm system': {CRM_TOKEN}\n", "tokens.yaml:1:1: crm system: expected a caller name"),
    (f"- {CRM_TOKEN}\n", "tokens.yaml:1:1: expected a mapping of caller names to tokens, found a list"),
])
def test_a_bad_tokens_file_is_refused_with_its_place_and_no_token(tmp_path, text, expected):
    path = tmp_path / "tokens.yaml"
    path.write_text(text)
    with pytest.raises(AdvisorError) as caught:
        read_tokens(path)
    line = str(caught.value.problems[0]).replace(str(path), "tokens.yaml")
    assert line.startswith(expected)
    assert CRM_TOKEN not in str(caught.value) and "short" not in line.split(": ", 1)[1]


def test_the_caller_is_found_by_its_token_alone(tmp_path):
    path = tmp_path / "tokens.yaml"
    path.write_text(TOKENS)
    tokens = read_tokens(path)
    assert tokens.caller(f"Bearer {BOT_TOKEN}") == tokens.caller(f"bearer  {BOT_TOKEN} ") == "approvals-bot"
    assert tokens.caller(f"Bearer {BOT_TOKEN[:-1]}") is None and tokens.caller(None) is None
    assert tokens.caller(BOT_TOKEN) is None


# -- idempotency keys ---------------------------------------------------------------------------

def workers_of(server: Server) -> Set[int]:
    """The workers serving now, as gunicorn's log tells their start and end."""
    log = server.log()
    booted = {int(pid) for pid in re.findall(r"Booting worker with pid: (\d+)", log)}
    return booted - {int(pid) for pid in re.findall(r"Worker exiting \(pid: (\d+)\)", log)}


def replace_workers(server: Server, reload: Callable[[], None]) -> None:
    """`reload()`, then wait until none of the workers serving before it is left, and two new ones serve."""
    old = workers_of(server)
    reload()
    deadline = time.monotonic() + 60
    while workers_of(server) & old or len(workers_of(server)) != 2:
        assert time.monotonic() < deadline, server.log()
        time.sleep(0.1)


def test_a_retry_is_answered_the_same_by_other_workers_and_decided_once(secured):
    """The first answer is stored; after a reload every worker is a new process, and replays it."""
    body = example_bytes("prospect-demo.yaml")
    headers = bearer(CRM_TOKEN, **YAML, **{"Idempotency-Key": "ticket-4711"})
    before = len(secured.decision_lines())
    status, first_headers, first = secured.request("POST", "/v1/check", body, headers)
    assert status == 200 and "idempotent-replayed" not in first_headers
    replace_workers(secured, lambda: secured.process.send_signal(signal.SIGHUP))
    answers: List[tuple] = []

    def retry() -> None:
        for _ in range(5):
            answers.append(secured.request("POST", "/v1/check", body, headers))

    threads = [threading.Thread(target=retry) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 20
    for status, replay_headers, payload in answers:
        assert (status, payload) == (200, first)
        assert replay_headers["advisor-decision-id"] == first_headers["advisor-decision-id"]
        assert replay_headers["idempotent-replayed"] == "true"
    assert len(secured.decision_lines()) == before + 1  # one decision, logged once


def test_the_same_key_at_once_from_many_clients_decides_once(secured):
    body = json.dumps(proposal(title="At once")).encode()
    headers = bearer(BOT_TOKEN, **JSON, **{"Idempotency-Key": "at-once"})
    before = len(secured.decision_lines())
    answers: List[tuple] = []
    threads = [threading.Thread(target=lambda: answers.append(secured.request("POST", "/v1/check", body, headers)))
               for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    decided = [(h["advisor-decision-id"], p) for status, h, p in answers if status == 200]
    assert {status for status, _, _ in answers} <= {200, 409} and decided
    assert len(set(decided)) == 1
    assert len(secured.decision_lines()) == before + 1


def test_the_same_key_with_another_request_gets_422(secured):
    headers = bearer(CRM_TOKEN, **JSON, **{"Idempotency-Key": "reused"})
    first = json.dumps(proposal()).encode()
    assert secured.request("POST", "/v1/check", first, headers)[0] == 200
    respaced = json.dumps(proposal(), indent=3).encode()  # the same proposal, spelt otherwise
    assert secured.request("POST", "/v1/check", respaced, headers)[0] == 200
    for path, body in [("/v1/check", json.dumps(proposal(duration_minutes=45)).encode()),
                       ("/v1/check?format=text", first), ("/v1/check/batch", b"[" + first + b"]")]:
        status, _, payload = secured.request("POST", path, body, headers)
        error = json.loads(payload)
        assert (status, error["title"]) == (422, "idempotency key reused")
    # keys are the caller's own: another caller may use the same one
    assert secured.request("POST", "/v1/check/batch", b"[" + first + b"]", bearer(BOT_TOKEN, **JSON, **{
        "Idempotency-Key": "reused"}))[0] == 200


def test_a_bad_key_gets_400(secured):
    status, _, payload = secured.request("POST", "/v1/check", json.dumps(proposal()).encode(),
                                         bearer(CRM_TOKEN, **JSON, **{"Idempotency-Key": "x" * 256}))
    assert status == 400 and "Idempotency-Key: expected 1 to 255 printable ASCII" in payload.decode()


def test_keys_survive_a_restart_with_a_store_and_are_bounded_per_caller(tmp_path):
    store = tmp_path / "keys.sqlite3"
    body = json.dumps(proposal()).encode()
    options = ("--idempotency-store", str(store), "--idempotency-limit", "2")
    server = Server(tmp_path, *options)
    try:
        first = server.request("POST", "/v1/check", body, {**JSON, "Idempotency-Key": "one"})
        assert server.request("POST", "/v1/check", body, {**JSON, "Idempotency-Key": "two"})[0] == 200
        status, headers, payload = server.request("POST", "/v1/check", body, {**JSON, "Idempotency-Key": "three"})
        assert status == 429 and 86_000 < int(headers["retry-after"]) <= 86_401
        assert "holds 2 keys of the last 24 hours" in payload.decode()
        assert server.request("POST", "/v1/check", body, JSON)[0] == 200  # without a key: decided
    finally:
        server.stop()
    logged = len(server.decision_lines())
    server = Server(tmp_path, *options)
    try:
        again = server.request("POST", "/v1/check", body, {**JSON, "Idempotency-Key": "one"})
        assert (again[0], again[2], again[1]["advisor-decision-id"]) == (200, first[2],
                                                                         first[1]["advisor-decision-id"])
        assert len(server.decision_lines()) == logged
    finally:
        server.stop()


def test_the_store_keeps_a_key_its_24_hours_and_no_longer(tmp_path):
    store = IdempotencyStore(tmp_path / "keys.sqlite3", limit=1)
    other = IdempotencyStore(tmp_path / "keys.sqlite3", limit=1)  # another worker
    assert store.claim("crm", "a", "r1", now=1000.0) == Claimed()
    assert other.claim("crm", "a", "r1", now=1001.0) == Pending()
    answer = Answer(200, {"Content-Type": "application/json"}, b"{}")
    store.store("crm", "a", answer)
    assert other.claim("crm", "a", "r1", now=1002.0) == Replay(answer)
    assert other.claim("crm", "a", "r2", now=1002.0) == Mismatch()
    assert other.claim("crm", "b", "r3", now=1000.0 + 86_399) == Full(2)
    assert other.claim("bot", "b", "r3", now=1003.0) == Claimed()  # each caller has its own keys
    assert other.claim("crm", "b", "r3", now=1000.0 + 86_401) == Claimed()  # "a" has expired
    other.release("crm", "b")
    assert store.claim("crm", "b", "r4", now=1000.0 + 86_402) == Claimed()


def test_a_claim_whose_worker_died_is_released(tmp_path):
    store = IdempotencyStore(tmp_path / "keys.sqlite3")
    assert store.claim("", "k", "r", now=0.0) == Claimed()
    assert store.claim("", "k", "r", now=60.0) == Pending()
    assert store.claim("", "k", "r", now=200.0) == Claimed()


# -- explain -------------------------------------------------------------------------------------

def test_explain_gives_every_rule_as_the_cli_does(secured, advisor):
    body = example_bytes("shortfall-huddle.yaml")
    status, decision = secured.json("POST", "/v1/check?explain=true", raw=body, headers=bearer(CRM_TOKEN, **YAML))
    assert status == 200
    expected = Explainer(advisor.pack).explain(advisor.check(EXAMPLES / "shortfall-huddle.yaml"))
    assert decision["explain"] == [json.loads(json.dumps(rule.to_dict())) for rule in expected]
    assert {r["rule"] for r in decision["explain"] if r["fired"]} == {f["rule"] for f in decision["fired"]}
    status, _, text = secured.request("POST", "/v1/check?format=text&explain=true", body, bearer(CRM_TOKEN, **YAML))
    assert status == 200 and "Rules for Why March came in short:" in text.decode()
    status, error = secured.json("POST", "/v1/check?format=html&explain=true", raw=body,
                                 headers=bearer(CRM_TOKEN, **YAML))
    assert status == 400 and "explain=true works with format json, text, markdown" in error["problems"][0]
    assert without_id(secured.json("POST", "/v1/check", raw=body, headers=bearer(CRM_TOKEN, **YAML))[1]).get(
        "explain") is None

