"""The HTTP API: a Falcon WSGI application over one Advisor, served by `advisor serve`.

    POST /v1/check          a proposal (JSON, or YAML with Content-Type: application/yaml) -> decision
    POST /v1/check/batch    a list of proposals -> a decision or the problems of each
    GET  /v1/rules          the active rules        GET /v1/schema    the proposal's JSON Schema
    GET  /healthz           liveness and version    GET /openapi.json this API, described
    POST /v1/reload         reload the rule packs (only when the server enables it)

Every error is `application/problem+json` carrying the same one-line problems as the CLI;
nothing of the server's internals (no traceback) ever reaches a response.
"""
from __future__ import annotations

import json
import logging
import socket
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import falcon

from advisor.api import Advisor
from advisor.core.decision import Decision
from advisor.core.meeting import Meeting
from advisor.core.rules import Rule
from advisor.decisionlog import DecisionLog, DecisionLogError, proposal_digest, rules_version
from advisor.errors import AdvisorError, InputError, Problem, describe
from advisor.inputs.schema import MEETING_SCHEMA
from advisor.report.i18n import DEFAULT_LANGUAGE, LANGUAGES
from advisor.report.json_format import to_dict
from advisor.report.render import render
from advisor.server.bodies import DEFAULT_MAX_BODY, JSON_TYPES, REQUEST, YAML_TYPES, parse_batch, parse_proposal
from advisor.server.openapi import PROBLEM_TYPE, RENDERED_TYPES, RESPONSE_FORMATS, openapi_document
from advisor.version import __version__

if TYPE_CHECKING:
    App = falcon.App[falcon.Request, falcon.Response]

log = logging.getLogger("advisor.server")

Reloader = Callable[[], Mapping[str, Any]]


class ApiError(falcon.HTTPError):
    """An HTTP error whose body lists problems, one line each, as the CLI prints them."""

    def __init__(self, status: str, title: str, problems: Sequence[Union[Problem, str]] = (),
                 headers: Optional[Dict[str, str]] = None):
        super().__init__(status, title=title, headers=headers)
        self.problems = [str(p) for p in problems]


def create_app(advisor: Advisor, *, decision_log: Optional[DecisionLog] = None,
               max_body: int = DEFAULT_MAX_BODY, reload: Optional[Reloader] = None) -> App:
    """The WSGI application. `reload`, when given, enables POST /v1/reload."""
    service = Service(advisor, decision_log, max_body)
    app = falcon.App(media_type=falcon.MEDIA_JSON)
    app.add_route("/v1/check", CheckResource(service))
    app.add_route("/v1/check/batch", BatchResource(service))
    app.add_route("/v1/rules", RulesResource(service))
    app.add_route("/v1/schema", JsonResource(MEETING_SCHEMA, "application/schema+json"))
    app.add_route("/v1/reload", ReloadResource(reload))
    app.add_route("/healthz", HealthResource(service))
    app.add_route("/openapi.json", JsonResource(openapi_document(), falcon.MEDIA_JSON))
    app.set_error_serializer(_serialize_error)
    app.add_error_handler(Exception, _internal_error)
    return app


class Service:
    """What every resource shares: the advisor, the version it decides with, the decision log."""

    def __init__(self, advisor: Advisor, decision_log: Optional[DecisionLog], max_body: int):
        self.advisor = advisor
        self.rules_version = rules_version(advisor)
        self.decision_log = decision_log
        self.max_body = max_body

    def decide(self, meeting: Meeting, what_if: bool = False) -> Decision:
        """Check one proposal and record the decision before anyone sees it."""
        decision = self.advisor.check(meeting, what_if=True) if what_if else self.advisor.check(meeting)
        if self.decision_log is not None:
            try:
                self.decision_log.record(decision, proposal_digest(meeting), self.rules_version)
            except DecisionLogError as error:  # an unrecorded approval must not be given
                log.error("%s", error)
                raise ApiError(falcon.HTTP_503, "the decision could not be recorded", error.problems) from None
        return decision

    def body(self, req: falcon.Request) -> Tuple[bytes, str]:
        """The request's body and its kind ('json' or 'yaml'), refused with 415 or 413."""
        media = (req.content_type or "").split(";", 1)[0].strip().lower()
        if media in JSON_TYPES:
            kind = "json"
        elif media in YAML_TYPES:
            kind = "yaml"
        else:
            found = f"'{media}'" if media else "none"
            raise ApiError(falcon.HTTP_415, "unsupported content type", [Problem(
                REQUEST, f"Content-Type: expected application/json or application/yaml, found {found}")])
        length = req.content_length
        if length is not None and length > self.max_body:
            raise _too_large(length, self.max_body)
        chunked = "chunked" in (req.get_header("Transfer-Encoding") or "").lower()
        stream = req.stream if chunked else req.bounded_stream  # the server ends a chunked stream
        try:
            data = stream.read(self.max_body + 1)
        except (TimeoutError, socket.timeout):  # the server's deadline for a body (advisor.server.worker)
            raise ApiError(falcon.HTTP_408, "request body too slow", [Problem(
                REQUEST, "the body did not arrive in time: send it whole, at once")],
                headers={"Connection": "close"}) from None
        except Exception as error:  # broken chunk framing, a client gone: the body cannot be had
            raise _unreadable_body(error) from None
        if len(data) > self.max_body:
            raise _too_large(len(data), self.max_body, at_least=True)
        return data, kind


class CheckResource:
    def __init__(self, service: Service):
        self.service = service

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        fmt = _choice(req, "format", RESPONSE_FORMATS, "json")
        lang = self._language(req)
        what_if = _choice(req, "what_if", ("true", "false"), "false") == "true"
        body, kind = self.service.body(req)
        try:
            meeting = parse_proposal(body, kind)
        except InputError as error:
            raise ApiError(falcon.HTTP_400, "bad proposal", error.problems) from None
        decision = self.service.decide(meeting, what_if)
        if fmt == "json" and lang is None:
            _send_json(resp, to_dict(decision))
            return
        text = render(decision, fmt, lang=lang or DEFAULT_LANGUAGE)
        resp.content_type = RENDERED_TYPES.get(fmt, falcon.MEDIA_JSON)
        resp.data = text.encode("utf-8")

    def _language(self, req: falcon.Request) -> Optional[str]:
        """The language asked for, checked before deciding: a refused request logs no decision."""
        if req.get_param("lang") is None:
            return None
        return _choice(req, "lang", LANGUAGES, "en")


class BatchResource:
    def __init__(self, service: Service):
        self.service = service

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        body, kind = self.service.body(req)
        try:
            items = parse_batch(body, kind)
        except InputError as error:
            raise ApiError(falcon.HTTP_400, "bad batch", error.problems) from None
        results: List[Dict[str, Any]] = []
        for item in items:
            if isinstance(item, InputError):
                results.append({"problems": [str(p) for p in item.problems]})
            else:
                results.append({"decision": to_dict(self.service.decide(item))})
        failed = sum(1 for r in results if "problems" in r)
        _send_json(resp, {"decided": len(results) - failed, "failed": failed, "results": results})


class RulesResource:
    def __init__(self, service: Service):
        self.service = service

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        advisor = self.service.advisor
        _send_json(resp, {
            "pack": advisor.pack.name,
            "version": advisor.pack.version,
            "rules_version": self.service.rules_version,
            "threshold": advisor.threshold,
            "rules": [_rule_dict(rule) for rule in advisor.pack.rules],
        })


class HealthResource:
    def __init__(self, service: Service):
        self.service = service

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        pack = self.service.advisor.pack
        _send_json(resp, {"status": "ok", "version": __version__, "pack": pack.name, "pack_version": pack.version,
                          "rules_version": self.service.rules_version})


class ReloadResource:
    def __init__(self, reload: Optional[Reloader]):
        self.reload = reload

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        if self.reload is None:
            raise ApiError(falcon.HTTP_403, "reload is disabled", [
                "POST /v1/reload is off: start the server with --allow-reload, or send it SIGHUP"])
        try:
            outcome = self.reload()
        except AdvisorError as error:
            raise ApiError(falcon.HTTP_409, "the rule packs were refused; the running rules keep serving",
                           error.problems) from None
        resp.status = falcon.HTTP_202
        _send_json(resp, dict(outcome))


class JsonResource:
    """A fixed document, serialised once."""

    def __init__(self, document: Mapping[str, Any], content_type: str):
        self.data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        self.content_type = content_type

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = self.content_type
        resp.data = self.data


# --- responses ---------------------------------------------------------------------------------

def _send_json(resp: falcon.Response, value: Any) -> None:
    resp.content_type = falcon.MEDIA_JSON
    resp.data = json.dumps(value, ensure_ascii=False).encode("utf-8")


def _choice(req: falcon.Request, name: str, choices: Sequence[str], default: str) -> str:
    value = req.get_param(name)
    if value is None:
        return default
    if value not in choices:
        raise ApiError(falcon.HTTP_400, "bad query", [Problem(
            REQUEST, f"expected one of {', '.join(choices)}, found {describe(value)}", path=name)])
    return value


def _too_large(size: int, limit: int, at_least: bool = False) -> ApiError:
    found = f"more than {limit}" if at_least else str(size)
    return ApiError(falcon.HTTP_413, "request body too large",
                    [Problem(REQUEST, f"body too large: {found} bytes, the limit is {limit}")],
                    headers={"Connection": "close"})  # do not read the rest of it


def _unreadable_body(error: Exception) -> ApiError:
    return ApiError(falcon.HTTP_400, "unreadable request body",
                    [Problem(REQUEST, f"the body could not be read: {error or type(error).__name__}")],
                    headers={"Connection": "close"})  # the rest of the stream cannot be trusted either


def _serialize_error(req: falcon.Request, resp: falcon.Response, error: falcon.HTTPError) -> None:
    problems = getattr(error, "problems", None)
    if problems is None:
        problems = [error.description] if error.description else []
    resp.content_type = PROBLEM_TYPE
    resp.data = json.dumps({"status": error.status_code, "title": error.title, "problems": problems},
                           ensure_ascii=False).encode("utf-8")


def _internal_error(req: falcon.Request, resp: falcon.Response, error: Exception, params: Any) -> None:
    log.exception("internal error on %s %s", req.method, req.path)  # the traceback stays in the server's log
    raise ApiError(falcon.HTTP_500, "internal error", [
        f"advisor: internal error ({type(error).__name__}); please report it with the proposal that caused it"])


def _rule_dict(rule: Rule) -> Dict[str, Any]:
    return {
        "id": rule.id, "description": rule.description, "when": rule.when, "necessity": rule.necessity,
        "formats": dict(rule.formats), "alternative": rule.alternative, "suggestion": rule.suggestion,
        "because": rule.because, "source": rule.source, "pack": rule.pack,
        "file": rule.file.replace("\\", "/").rsplit("/", 1)[-1], "line": rule.line,
    }


