"""The HTTP API: a Falcon WSGI application over one Advisor, served by `advisor serve`.

    POST /v1/check          a proposal (JSON, or YAML with Content-Type: application/yaml) -> decision
    POST /v1/check/batch    a list of proposals -> a decision or the problems of each
    GET  /v1/rules          the active rules        GET /v1/schema    the proposal's JSON Schema
    GET  /healthz           liveness and version    GET /openapi.json this API, described
    POST /v1/reload         reload the rule packs (only when the server enables it)

With tokens (`advisor.server.auth`), every /v1/ request needs `Authorization: Bearer`. Each
decision gets a `decision_id`, in its JSON, the `Advisor-Decision-Id` header and the decision
log; an `Idempotency-Key` makes a retry replay the answer (`advisor.server.idempotency`).
Every error is `application/problem+json` carrying the same one-line problems as the CLI;
nothing of the server's internals (no traceback) ever reaches a response.
"""
from __future__ import annotations

import json
import logging
import socket
import threading
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import falcon

from advisor.api import Advisor
from advisor.core.decision import Decision
from advisor.core.meeting import Meeting
from advisor.core.rules import Rule
from advisor.decisionlog import DecisionLog, DecisionLogError, new_decision_id, proposal_digest, rules_version
from advisor.errors import AdvisorError, InputError, Problem, describe
from advisor.inputs.schema import MEETING_SCHEMA
from advisor.packs.explain import Explainer
from advisor.report.i18n import DEFAULT_LANGUAGE, LANGUAGES
from advisor.report.json_format import to_dict
from advisor.report.render import render
from advisor.server.auth import Tokens
from advisor.server.bodies import DEFAULT_MAX_BODY, JSON_TYPES, REQUEST, YAML_TYPES, parse_batch, parse_proposal
from advisor.server.idempotency import (
    MAX_KEY_LENGTH,
    Answer,
    Claimed,
    Full,
    IdempotencyStore,
    Mismatch,
    Pending,
    Replay,
    request_digest,
)
from advisor.server.openapi import (
    DECISION_ID_HEADER,
    EXPLAINED_FORMATS,
    PROBLEM_TYPE,
    RENDERED_TYPES,
    RESPONSE_FORMATS,
    openapi_document,
)
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
               max_body: int = DEFAULT_MAX_BODY, reload: Optional[Reloader] = None, tokens: Optional[Tokens] = None,
               idempotency: Optional[IdempotencyStore] = None) -> App:
    """The WSGI application. `reload`, when given, enables POST /v1/reload; `tokens`, when given,
    admits to /v1/ only the callers they name; `idempotency` keeps the answers to Idempotency-Key."""
    service = Service(advisor, decision_log, max_body, idempotency)
    app = falcon.App(media_type=falcon.MEDIA_JSON, middleware=[Authentication(tokens)] if tokens is not None else [])
    app.add_route("/v1/check", CheckResource(service))
    app.add_route("/v1/check/batch", BatchResource(service))
    app.add_route("/v1/rules", RulesResource(service))
    app.add_route("/v1/schema", JsonResource(MEETING_SCHEMA, "application/schema+json"))
    app.add_route("/v1/reload", ReloadResource(reload))
    app.add_route("/healthz", HealthResource(service))
    app.add_route("/openapi.json", JsonResource(openapi_document(tokens is not None), falcon.MEDIA_JSON))
    app.set_error_serializer(_serialize_error)
    app.add_error_handler(Exception, _internal_error)
    return app


class Authentication:
    """Falcon middleware: a /v1/ request names a known caller's token, or gets 401."""

    CHALLENGE = {"WWW-Authenticate": 'Bearer realm="advisor"'}

    def __init__(self, tokens: Tokens):
        self.tokens = tokens

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        if not req.path.startswith("/v1/"):
            return  # /healthz and /openapi.json stay open, for load balancers and clients
        header = req.get_header("Authorization")
        caller = self.tokens.caller(header)
        if caller is None:
            found = "none" if header is None else "a token that is not in the server's tokens file"
            raise ApiError(falcon.HTTP_401, "authentication required", [
                f"Authorization: expected 'Bearer' and a caller's token, found {found}"], headers=self.CHALLENGE)
        req.context.caller = caller


class Service:
    """What every resource shares: the advisor, the version it decides with, the decision log,
    the answers kept for idempotency keys."""

    def __init__(self, advisor: Advisor, decision_log: Optional[DecisionLog], max_body: int,
                 idempotency: Optional[IdempotencyStore] = None):
        self.advisor = advisor
        self.rules_version = rules_version(advisor)
        self.decision_log = decision_log
        self.max_body = max_body
        self.idempotency = idempotency
        self._explainer: Optional[Explainer] = None
        self._explainer_lock = threading.Lock()

    def decide(self, meeting: Meeting, caller: Optional[str], what_if: bool = False) -> Tuple[Decision, str]:
        """Check one proposal and record the decision before anyone sees it: the decision and its id."""
        decision = self.advisor.check(meeting, what_if=True) if what_if else self.advisor.check(meeting)
        decision_id = new_decision_id()
        if self.decision_log is not None:
            try:
                self.decision_log.record(decision, proposal_digest(meeting), self.rules_version, decision_id, caller)
            except DecisionLogError as error:  # an unrecorded approval must not be given
                log.error("%s", error)
                raise ApiError(falcon.HTTP_503, "the decision could not be recorded", error.problems) from None
        return decision, decision_id

    @property
    def explainer(self) -> Explainer:
        """Built at the first ?explain=true: a second engine, for the rules' parts."""
        with self._explainer_lock:
            if self._explainer is None:
                self._explainer = Explainer(self.advisor.pack)
            return self._explainer

    def answer_once(self, req: falcon.Request, resp: falcon.Response, proposals: Callable[[], Sequence[str]],
                    respond: Callable[[], None]) -> None:
        """`respond()`, unless the request's Idempotency-Key was answered before: then that answer again.
        `proposals()` gives the digests that, with the path and query, tell requests apart."""
        key = req.get_header("Idempotency-Key")
        if key is None or self.idempotency is None:
            respond()
            return
        if not 0 < len(key) <= MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
            raise ApiError(falcon.HTTP_400, "bad idempotency key", [Problem(
                REQUEST, f"Idempotency-Key: expected 1 to {MAX_KEY_LENGTH} printable ASCII characters, "
                         f"found {describe(key[:80])}")])
        caller = _caller(req) or ""
        query = "&".join(sorted(req.query_string.split("&"))) if req.query_string else ""
        outcome = self.idempotency.claim(caller, key, request_digest(req.path, query, tuple(proposals())))
        if isinstance(outcome, Replay):
            resp.status = outcome.answer.status
            resp.set_headers({**outcome.answer.headers, "Idempotent-Replayed": "true"})
            resp.data = outcome.answer.body
            return
        if isinstance(outcome, Mismatch):
            raise ApiError(falcon.HTTP_422, "idempotency key reused", [
                "Idempotency-Key: this key was used with another request (proposal, path or query) in the last "
                "24 hours: use a new key for a new request"])
        if isinstance(outcome, Pending):
            raise ApiError(falcon.HTTP_409, "request in progress", [
                "Idempotency-Key: the first request with this key is still being decided: retry shortly"])
        if isinstance(outcome, Full):
            raise ApiError(falcon.HTTP_429, "too many idempotency keys", [
                f"Idempotency-Key: this caller holds {self.idempotency.limit} keys of the last 24 hours, the most "
                f"kept; retry in {outcome.retry_after} s, or send the request without a key"],
                headers={"Retry-After": str(outcome.retry_after)})
        assert isinstance(outcome, Claimed)
        try:
            respond()
        except BaseException:
            self.idempotency.release(caller, key)  # nothing was answered: the key may be tried again
            raise
        kept = {name: value for name, value in (("Content-Type", resp.content_type),
                                                (DECISION_ID_HEADER, resp.get_header(DECISION_ID_HEADER)))
                if value is not None}
        self.idempotency.store(caller, key, Answer(resp.status_code, kept, resp.data or b""))

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
        what_if = _flag(req, "what_if")
        explain = _flag(req, "explain")
        if explain and fmt not in EXPLAINED_FORMATS:
            raise ApiError(falcon.HTTP_400, "bad query", [Problem(
                REQUEST, f"explain=true works with format {', '.join(EXPLAINED_FORMATS)}, found {fmt}",
                path="explain")])
        body, kind = self.service.body(req)
        try:
            meeting = parse_proposal(body, kind)
        except InputError as error:
            raise ApiError(falcon.HTTP_400, "bad proposal", error.problems) from None

        def respond() -> None:
            decision, decision_id = self.service.decide(meeting, _caller(req), what_if)
            resp.set_header(DECISION_ID_HEADER, decision_id)
            rules = self.service.explainer.explain(decision) if explain else None
            if fmt == "json":
                value = to_dict(decision, lang or DEFAULT_LANGUAGE)
                value["decision_id"] = decision_id
                if rules is not None:
                    value["explain"] = [rule.to_dict() for rule in rules]
                _send_json(resp, value)
                return
            text = render(decision, fmt, lang=lang or DEFAULT_LANGUAGE)
            if rules is not None:
                from advisor.report.explained import render_explained

                text = render_explained([decision], [rules], fmt, text)
            resp.content_type = RENDERED_TYPES[fmt]
            resp.data = text.encode("utf-8")

        self.service.answer_once(req, resp, lambda: [proposal_digest(meeting)], respond)

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
        def respond() -> None:
            results: List[Dict[str, Any]] = []
            for item in items:
                if isinstance(item, InputError):
                    results.append({"problems": [str(p) for p in item.problems]})
                else:
                    decision, decision_id = self.service.decide(item, _caller(req))
                    results.append({"decision": {**to_dict(decision), "decision_id": decision_id}})
            failed = sum(1 for r in results if "problems" in r)
            _send_json(resp, {"decided": len(results) - failed, "failed": failed, "results": results})

        def digests() -> List[str]:  # a bad item by its problems: it has no digest
            return [json.dumps([str(p) for p in item.problems]) if isinstance(item, InputError)
                    else proposal_digest(item) for item in items]

        self.service.answer_once(req, resp, digests, respond)


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
            raise ApiError(falcon.HTTP_409, "the reload was refused; the running rules keep serving",
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


def _caller(req: falcon.Request) -> Optional[str]:
    """The authenticated caller's name; None when the server takes no tokens."""
    caller: Optional[str] = getattr(req.context, "caller", None)
    return caller


def _flag(req: falcon.Request, name: str) -> bool:
    return _choice(req, name, ("true", "false"), "false") == "true"


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
        "formats": dict(rule.formats), "media": dict(rule.media), "alternative": rule.alternative,
        "suggestion": rule.suggestion,
        "because": rule.because, "source": rule.source, "pack": rule.pack,
        "file": rule.file.replace("\\", "/").rsplit("/", 1)[-1], "line": rule.line,
    }


