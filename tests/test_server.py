"""`advisor serve`: the real server on a loopback port, spoken to over HTTP."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
from conftest import EXAMPLES, ROOT, expected_examples, proposal

from advisor.api import Advisor
from advisor.decisionlog import RECORD_FIELDS, proposal_digest
from advisor.inputs.proposal import parse_meeting, read_meeting
from advisor.inputs.schema import MEETING_SCHEMA
from advisor.report.json_format import to_dict
from advisor.report.render import render

JSON = {"Content-Type": "application/json"}
YAML = {"Content-Type": "application/yaml"}
MAX_BODY = 64 * 1024


class Server:
    """`advisor serve --port 0 ...` in a child process; stops it on exit."""

    def __init__(self, workdir: Path, *args: str):
        self.log_path = workdir / "server.log"
        self.decision_log = workdir / "decisions.jsonl"
        command = [sys.executable, "-m", "advisor", "serve", "--port", "0", "--workers", "2",
                   "--decision-log", str(self.decision_log), *args]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=self.log_path.open("wb"))
        self.url = self._wait_for_address()

    def _wait_for_address(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(r"serving on (http://127\.0\.0\.1:\d+)", self.log())
            if found:
                return found.group(1)
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise AssertionError(f"the server did not start:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def request(self, method: str, path: str, body: Optional[bytes] = None,
                headers: Optional[Dict[str, str]] = None) -> Tuple[int, Dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, _lower(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, _lower(error.headers), error.read()

    def json(self, method: str, path: str, body: Any = None, headers: Optional[Dict[str, str]] = None,
             raw: Optional[bytes] = None) -> Tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        status, response_headers, payload = self.request(method, path, data, headers or (JSON if data else {}))
        kind = response_headers.get("content-type", "")
        assert kind.startswith(("application/json", "application/problem+json", "application/schema+json")), kind
        return status, json.loads(payload)

    def decision_lines(self) -> List[Dict[str, Any]]:
        if not self.decision_log.exists():
            return []
        return [json.loads(line) for line in self.decision_log.read_text().splitlines()]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _lower(headers: Any) -> Dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = Server(tmp_path_factory.mktemp("server"), "--max-body", str(MAX_BODY))
    yield running
    running.stop()


def example_bytes(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def without_id(decision: Dict[str, Any]) -> Dict[str, Any]:
    """The decision without its decision_id, once that is checked to be a UUIDv7."""
    decision = dict(decision)
    assert uuid.UUID(decision.pop("decision_id")).version == 7
    return decision


def in_process(advisor: Advisor, name: str) -> Dict[str, Any]:
    decision = to_dict(advisor.check(EXAMPLES / name))
    decision["source"] = "<request>"
    return decision


@pytest.mark.parametrize("name,verdict,fmt", expected_examples())
def test_check_answers_what_the_library_decides(server, advisor, name, verdict, fmt):
    status, decision = server.json("POST", "/v1/check", raw=example_bytes(name), headers=YAML)
    assert status == 200
    assert without_id(decision) == in_process(advisor, name)
    assert decision["verdict"] == verdict


def test_json_and_yaml_bodies_give_the_same_decision(server):
    data = proposal(purposes=["sales_shortfall"], decision_required=True)
    _, from_json = server.json("POST", "/v1/check", data)
    _, from_yaml = server.json("POST", "/v1/check", raw=json.dumps(data, indent=4).encode(), headers=YAML)
    assert without_id(from_json) == without_id(from_yaml) and from_json["meeting"] == "Test meeting"
    assert from_json["decision_id"] != from_yaml["decision_id"]


@pytest.mark.parametrize("fmt,kind,marker", [
    ("markdown", "text/markdown", "## SKIP: Weekly numbers"),
    ("html", "text/html", "<!DOCTYPE html>"),
    ("text", "text/plain", "SKIP  Weekly numbers"),
])
def test_format_returns_the_rendered_justification(server, advisor, fmt, kind, marker):
    status, headers, body = server.request("POST", f"/v1/check?format={fmt}",
                                           example_bytes("status-broadcast.yaml"), YAML)
    assert (status, headers["content-type"]) == (200, f"{kind}; charset=utf-8")
    text = body.decode()
    assert marker in text
    assert text == render(advisor.check(parse_meeting(example_bytes("status-broadcast.yaml"), "<request>")), fmt)


def test_languages_are_those_the_renderer_has(server, advisor):
    status, headers, body = server.request("POST", "/v1/check?format=text&lang=ar",
                                           example_bytes("coaching-1on1.yaml"), YAML)
    assert (status, headers["content-type"]) == (200, "text/plain; charset=utf-8")
    meeting = parse_meeting(example_bytes("coaching-1on1.yaml"), "<request>")
    assert body.decode() == render(advisor.check(meeting), "text", lang="ar")
    status, error = server.json("POST", "/v1/check?lang=xx", proposal())
    assert status == 400 and error["problems"][0].startswith("<request>: lang: expected one of en, ar")


def test_an_unknown_format_is_refused(server):
    status, error = server.json("POST", "/v1/check?format=pdf", proposal())
    assert status == 400
    assert error["problems"] == ["<request>: format: expected one of json, text, markdown, html, found 'pdf'"]


BAD_YAML = b"""title: Bad
purposes: [status_update, gossip]
duration_minutes: 600
audience:
  - {role: sales_rep, count: 0}
"""


@pytest.mark.parametrize("body,headers", [
    (BAD_YAML, YAML),
    (json.dumps({"title": "Bad", "purposes": ["status_update", "gossip"], "duration_minutes": 600,
                 "audience": [{"role": "sales_rep", "count": 0}]}, indent=2).encode(), JSON),
    (b'{"title": "Bad", "title": "Twice"}', JSON),
    (b'{"title": "Bad",\n "purposes": [}', JSON),
    (b"title: [unclosed\n", YAML),
])
def test_bad_proposals_get_400_with_the_cli_messages(server, cli, tmp_path, body, headers):
    path = tmp_path / "bad.yaml"
    path.write_bytes(body)
    code, _, err = cli("check", str(path))
    status, error = server.json("POST", "/v1/check", raw=body, headers=headers)
    assert (status, error["status"], error["title"]) == (400, 400, "bad proposal")
    expected = err.replace(str(path), "<request>").splitlines()
    if body.startswith(b'{"title": "Bad",\n'):  # JSON's own reader words a JSON syntax error
        assert error["problems"] == ["<request>:2:15: JSON syntax error: Expecting value"] and code == 2
    else:
        assert error["problems"] == expected and code == 2
    assert "Traceback" not in json.dumps(error)


def test_a_body_over_the_limit_gets_413(server):
    body = json.dumps(proposal(description="x" * MAX_BODY)).encode()
    status, error = server.json("POST", "/v1/check", raw=body, headers=JSON)
    assert status == 413
    assert error["problems"] == [f"<request>: body too large: {len(body)} bytes, the limit is {MAX_BODY}"]


def test_a_chunked_body_over_the_limit_gets_413_too(server):
    chunks = iter([b"[" + b" " * MAX_BODY, b"]"])
    request = urllib.request.Request(server.url + "/v1/check/batch", data=chunks, method="POST",
                                     headers={**JSON, "Transfer-Encoding": "chunked"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 413


def raw_exchange(server, request: bytes, timeout: float = 30) -> bytes:
    """Send `request` as written, byte for byte, and read the answer until the server closes."""
    import socket

    host, port = server.url.rsplit("/", 1)[-1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        while True:
            data = connection.recv(65536)
            if not data:
                return answer
            answer += data


def test_a_chunked_body_with_a_broken_chunk_size_gets_400(server):
    answer = raw_exchange(server, b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    error = json.loads(body)
    assert error["title"] == "unreadable request body"
    assert error["problems"][0].startswith("<request>: the body could not be read")


def test_an_integer_too_long_or_a_lone_surrogate_gets_400_not_500(server):
    body = json.dumps([proposal()]).replace('"duration_minutes": 30', '"duration_minutes": ' + "9" * 5000).encode()
    status, error = server.json("POST", "/v1/check/batch", raw=body, headers=JSON)
    column = body.index(b"9" * 5000) + 1
    assert (status, error["problems"]) == (400, [
        f"<request>:1:{column}: [0].duration_minutes: number too long: 5,000 digits, at most 20 are read"])
    body = json.dumps(proposal()).replace('"Test meeting"', '"Test \\ud800"').encode()
    status, error = server.json("POST", "/v1/check", raw=body, headers=JSON)
    column = body.index(b"\\ud800") + 1
    assert (status, error["problems"]) == (400, [
        f"<request>:1:{column}: not valid text: the escape \\ud800 is half of a character (a lone surrogate); "
        "write the character itself"])


@pytest.mark.parametrize("headers", [{"Content-Type": "text/plain"}, {"Content-Type": "application/xml"}, {}])
def test_other_content_types_get_415(server, headers):
    status, _, body = server.request("POST", "/v1/check", b"title: x", headers)
    error = json.loads(body)
    assert (status, error["title"]) == (415, "unsupported content type")
    assert error["problems"][0].startswith("<request>: Content-Type: expected application/json or application/yaml")


def test_batch_decides_the_good_items_and_reports_the_bad(server, advisor):
    good = json.loads(json.dumps(read_meeting_data("pipeline-review.yaml")))
    items = [good, {"title": "No purpose", "duration_minutes": 30, "audience": [{"role": "sales_rep"}]}, 7, good]
    status, result = server.json("POST", "/v1/check/batch", items)
    assert status == 200
    assert (result["decided"], result["failed"]) == (2, 2)
    first, missing, number, last = result["results"]
    assert without_id(first["decision"]) == without_id(last["decision"]) == in_process(advisor, "pipeline-review.yaml")
    assert first["decision"]["decision_id"] < last["decision"]["decision_id"]  # in the order they were made
    assert len(missing["problems"]) == 1
    assert re.fullmatch(r"<request>:\d+:\d+: \[1\]: missing required field 'purposes'", missing["problems"][0])
    assert number["problems"] == [f"<request>:1:{json.dumps(items).index(', 7') + 3}: [2]: expected a mapping "
                                  "of fields at the top level, found 7"]


def test_batch_in_yaml_places_each_problem_in_the_body(server):
    body = b"""- title: Fine
  purposes: coaching
  duration_minutes: 30
  audience: [{role: sales_manager}, {role: sales_rep}]
- title: Too long
  purposes: coaching
  duration_minutes: 900
  audience: [{role: sales_rep}]
"""
    status, result = server.json("POST", "/v1/check/batch", raw=body, headers=YAML)
    assert status == 200 and result["decided"] == 1
    assert result["results"][1]["problems"] == [
        "<request>:7:21: [1].duration_minutes: expected an integer from 5 to 480, found 900"]


def test_batch_that_is_not_a_list_is_refused(server):
    status, error = server.json("POST", "/v1/check/batch", proposal())
    assert status == 400 and error["problems"] == ["<request>:1:1: expected a list of proposals, found a mapping"]


def test_rules_lists_the_active_pack(server, advisor):
    status, rules = server.json("GET", "/v1/rules")
    assert status == 200
    assert [r["id"] for r in rules["rules"]] == [r.id for r in advisor.pack.rules]
    assert rules["version"] == advisor.pack.version and rules["threshold"] == 50
    first = rules["rules"][0]
    assert first["file"].endswith(".yaml") and "/" not in first["file"] and first["because"]


def test_schema_is_the_proposal_schema(server):
    status, schema = server.json("GET", "/v1/schema")
    assert (status, schema) == (200, json.loads(json.dumps(MEETING_SCHEMA)))


def test_health(server, advisor):
    status, health = server.json("GET", "/healthz")
    assert status == 200 and health["status"] == "ok"
    assert health["pack_version"] == advisor.pack.version


def test_openapi_document_validates_and_describes_the_answers(server, advisor):
    from jsonschema import Draft202012Validator
    from openapi_spec_validator import validate

    status, document = server.json("GET", "/openapi.json")
    assert status == 200
    validate(document)
    assert set(document["paths"]) >= {"/v1/check", "/v1/check/batch", "/v1/rules", "/v1/schema", "/healthz",
                                      "/openapi.json"}

    def schema(name: str) -> Draft202012Validator:
        return Draft202012Validator({**document["components"]["schemas"][name],
                                     "components": document["components"]})

    _, decision = server.json("POST", "/v1/check?explain=true", raw=example_bytes("pipeline-review.yaml"),
                              headers=YAML)
    schema("Decision").validate(decision)
    assert {"decision_id", "explain"} <= set(schema("Decision").schema["properties"]) & set(decision)
    schema("Rules").validate(server.json("GET", "/v1/rules")[1])
    schema("Health").validate(server.json("GET", "/healthz")[1])
    _, batch = server.json("POST", "/v1/check/batch", [proposal(), {}])
    schema("BatchResult").validate(batch)
    _, error = server.json("POST", "/v1/check", {})
    schema("Problem").validate(error)
    assert not list(schema("Proposal").iter_errors(proposal()))
    assert list(schema("Proposal").iter_errors({"title": "x"}))


@pytest.mark.parametrize("method,path,status", [("GET", "/v1/nothing", 404), ("GET", "/v1/check", 405),
                                                ("DELETE", "/v1/rules", 405)])
def test_routing_errors_are_json_too(server, method, path, status):
    got, error = server.json(method, path)
    assert got == status == error["status"]


def test_reload_over_http_is_off_unless_allowed(server):
    status, error = server.json("POST", "/v1/reload")
    assert status == 403 and "--allow-reload" in error["problems"][0]


def test_every_decision_is_logged_once(server, advisor):
    before = len(server.decision_lines())
    body = example_bytes("prospect-demo.yaml")

    def send(results: List[int]) -> None:
        for _ in range(10):
            results.append(server.request("POST", "/v1/check", body, YAML)[0])

    results: List[int] = []
    threads = [threading.Thread(target=send, args=(results,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    server.request("POST", "/v1/check", b"title: bad\n", YAML)  # refused: not logged
    assert results == [200] * 80
    lines = server.decision_lines()[before:]
    assert len(lines) == 80
    _, health = server.json("GET", "/healthz")
    expected = advisor.check(EXAMPLES / "prospect-demo.yaml")
    for line in lines:
        assert list(line) == list(RECORD_FIELDS)
        assert line["proposal"] == proposal_digest(read_meeting(EXAMPLES / "prospect-demo.yaml"))
        assert line["rules_version"] == health["rules_version"]
        assert (line["verdict"], line["score"], line["format"]) == (expected.verdict, expected.score, expected.format)


def test_internal_errors_answer_500_without_a_traceback(monkeypatch):
    import falcon.testing

    from advisor.server.app import create_app

    advisor = Advisor()
    app = create_app(advisor)
    monkeypatch.setattr(advisor, "check", lambda meeting: 1 / 0)
    result = falcon.testing.TestClient(app).simulate_post("/v1/check", json=proposal())
    assert result.status_code == 500
    assert result.json["problems"] == ["advisor: internal error (ZeroDivisionError); please report it with the "
                                       "proposal that caused it"]
    assert "Traceback" not in result.text


def read_meeting_data(name: str) -> Dict[str, Any]:
    import yaml

    return yaml.safe_load(example_bytes(name))
