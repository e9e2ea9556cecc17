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
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import falcon

from . import __version__
from .api import Advisor
from .auditlog import DecisionLog, DecisionLogError, proposal_digest, rules_version
from .decision import Decision
from .errors import AdvisorError, InputError, Problem, describe
from .i18n import LANGUAGES
from .meeting import Meeting, meeting_from_document, meeting_from_mapping, parse_meeting
from .rules import Rule
from .schema import MEETING_SCHEMA
from .vocabulary import FORMATS
from .yamlsafe import MAX_NODES, Document, Path, Position, decode, load_yaml

log = logging.getLogger("advisor.server")

REQUEST = "<request>"  # the file name in problems about a request body, as '<stdin>' is for the CLI
DEFAULT_MAX_BODY = 1024 * 1024
MAX_BATCH = 1000
JSON_TYPES = ("application/json",)
YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
RENDERED_TYPES = {
    "text": "text/plain; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
RESPONSE_FORMATS = ("json",) + tuple(RENDERED_TYPES)
PROBLEM_TYPE = "application/problem+json"

Reloader = Callable[[], Mapping[str, Any]]


class ApiError(falcon.HTTPError):
    """An HTTP error whose body lists problems, one line each, as the CLI prints them."""

    def __init__(self, status: str, title: str, problems: Sequence[Union[Problem, str]] = (),
                 headers: Optional[Dict[str, str]] = None):
        super().__init__(status, title=title, headers=headers)
        self.problems = [str(p) for p in problems]


def create_app(advisor: Advisor, *, decision_log: Optional[DecisionLog] = None,
               max_body: int = DEFAULT_MAX_BODY, reload: Optional[Reloader] = None) -> falcon.App:
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
        data = stream.read(self.max_body + 1)
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
        options = {"lang": lang} if lang else {}
        if fmt == "json" and not options:
            _send_json(resp, decision.to_dict())
            return
        text = decision.render(fmt, **options)
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
                results.append({"decision": self.service.decide(item).to_dict()})
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


# --- request bodies ---------------------------------------------------------------------------

def parse_proposal(body: bytes, kind: str) -> Meeting:
    """A request body to a Meeting, or InputError with the CLI's problems (positions included).

    JSON is read by the JSON reader, twice as fast as the YAML one that keeps positions; the
    YAML reader reads it again only to place the problems of a bad proposal.
    """
    if kind == "json":
        value = _json(body)
        if isinstance(value, dict):
            try:
                return meeting_from_mapping(value, REQUEST)
            except InputError as error:
                raise _placed(body, error) from None
    return parse_meeting(body, REQUEST)


def parse_batch(body: bytes, kind: str) -> List[Union[Meeting, InputError]]:
    """Each proposal of a list, or the InputError of that item alone."""
    value = _json(body) if kind == "json" else _UNREAD
    document: Optional[Document] = None
    if not isinstance(value, list):
        document = _load_batch(body)
        value = document.data
    if not isinstance(value, list):
        raise InputError([Problem(REQUEST, f"expected a list of proposals, found {describe(value)}", 1, 1)])
    if len(value) > MAX_BATCH:
        raise InputError([Problem(REQUEST, f"expected at most {MAX_BATCH} proposals, found {len(value)}", 1, 1)])
    results: List[Union[Meeting, InputError]] = []
    by_item: Optional[Tuple[_ItemPositions, _ItemPositions]] = None
    for index, item in enumerate(value):
        try:
            if not isinstance(item, dict):
                raise InputError([Problem(REQUEST, f"expected a proposal (a mapping of fields), found {describe(item)}")])
            results.append(meeting_from_mapping(item, REQUEST))
        except InputError as error:
            if document is None:  # read as JSON; positions are worth a second reading only now
                document = _load_batch(body)
            if by_item is None:  # split once: scanning every position per bad item is quadratic
                by_item = _by_item(document.positions), _by_item(document.key_positions)
            results.append(_item_error(document, by_item, index, error))
    return results


def _load_batch(body: bytes) -> Document:
    return load_yaml(body, REQUEST, max_bytes=len(body), max_nodes=MAX_NODES * 10)


_UNREAD = object()  # empty, or a duplicate key: the YAML reader refuses it, and says where


def _json(body: bytes) -> Any:
    """The body as JSON; InputError for bad JSON, as the CLI words a bad file."""
    text = decode(body, REQUEST)
    if not text.strip():
        return _UNREAD  # the YAML reader words an empty body as the CLI words an empty file
    try:
        return json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey:
        return _UNREAD
    except json.JSONDecodeError as error:
        raise InputError([Problem(REQUEST, f"JSON syntax error: {error.msg}", error.lineno, error.colno)]) from None
    except RecursionError:
        raise InputError([Problem(REQUEST, "nested too deep: a meeting proposal is far flatter")]) from None


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _DuplicateKey()
    return mapping


def _placed(body: bytes, error: InputError) -> InputError:
    """The same problems with their line and column, when the YAML reader can place them."""
    try:
        parse_meeting(body, REQUEST)
    except InputError as placed:
        return placed
    return error


_ItemPositions = Dict[Any, Dict[Path, Position]]  # item index -> path within the item -> place


def _by_item(positions: Mapping[Path, Position]) -> _ItemPositions:
    """A batch's positions split by item, each path made relative to its item."""
    groups: _ItemPositions = {}
    for path, where in positions.items():
        if path:
            groups.setdefault(path[0], {})[path[1:]] = where
    return groups


def _item_error(document: Document, by_item: Tuple[_ItemPositions, _ItemPositions], index: int,
                error: InputError) -> InputError:
    """The problems of item `index`, as the CLI words them, with its place in the body."""
    positions, key_positions = by_item
    # the item's own tables, not copies: each index comes here once, so setdefault below harms no other
    item = Document(document.data[index], document.file, positions.get(index, {}), key_positions.get(index, {}))
    item.positions.setdefault((), document.where((index,)) or (1, 1))
    try:
        meeting_from_document(item)
    except InputError as placed:
        error = placed
    return InputError([Problem(p.file, p.message, p.line, p.column, _item_path(index, p.path))
                       for p in error.problems])


def _item_path(index: int, path: str) -> str:
    return f"[{index}]" + (("" if path.startswith("[") else ".") + path if path else "")


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


# --- the OpenAPI description ---------------------------------------------------------------------

def openapi_document() -> Dict[str, Any]:
    """OpenAPI 3.1 (whose schemas are JSON Schema 2020-12, as the proposal's is)."""
    ref = lambda name: {"$ref": f"#/components/schemas/{name}"}  # noqa: E731
    problem = {"description": "the problems, one line each as the CLI prints them",
               "content": {PROBLEM_TYPE: {"schema": ref("Problem")}}}
    body = {"required": True, "content": {
        "application/json": {"schema": ref("Proposal")},
        "application/yaml": {"schema": ref("Proposal")},
    }}
    batch_body = {"required": True, "content": {
        kind: {"schema": {"type": "array", "maxItems": MAX_BATCH, "items": ref("Proposal")}}
        for kind in ("application/json", "application/yaml")}}
    body_errors = {"400": {**problem, "description": "a proposal that breaks the contract"},
                   "413": {**problem, "description": "a body over the size limit"},
                   "415": {**problem, "description": "a content type other than JSON or YAML"},
                   "503": {**problem, "description": "the decision log cannot be written"}}

    def json_response(description: str, schema: Dict[str, Any], kind: str = falcon.MEDIA_JSON) -> Dict[str, Any]:
        return {"description": description, "content": {kind: {"schema": schema}}}

    rendered = {kind: {"schema": {"type": "string"}} for kind in RENDERED_TYPES.values()}
    return {
        "openapi": "3.1.0",
        "info": {"title": "advisor", "version": __version__,
                 "description": "Should this sales meeting be held, in which format, and why."},
        "paths": {
            "/v1/check": {"post": {
                "operationId": "check",
                "summary": "Decide one proposal",
                "parameters": [
                    {"name": "format", "in": "query", "required": False,
                     "description": "json (the default) for the decision, or the rendered justification",
                     "schema": {"type": "string", "enum": list(RESPONSE_FORMATS), "default": "json"}},
                    {"name": "lang", "in": "query", "required": False,
                     "description": "language of the rendered justification", "schema": {"type": "string"}},
                    {"name": "what_if", "in": "query", "required": False,
                     "description": "also find the smallest changes that would flip the verdict (slower)",
                     "schema": {"type": "string", "enum": ["true", "false"], "default": "false"}},
                ],
                "requestBody": body,
                "responses": {"200": {"description": "the decision (JSON) or its justification (format=...)",
                                      "content": {falcon.MEDIA_JSON: {"schema": ref("Decision")}, **rendered}},
                              **body_errors},
            }},
            "/v1/check/batch": {"post": {
                "operationId": "checkBatch",
                "summary": "Decide a list of proposals; a bad one does not fail the others",
                "requestBody": batch_body,
                "responses": {"200": json_response("a result for each proposal, in order", ref("BatchResult")),
                              **body_errors},
            }},
            "/v1/rules": {"get": {"operationId": "rules", "summary": "The active rules",
                                  "responses": {"200": json_response("the active rules", ref("Rules"))}}},
            "/v1/schema": {"get": {"operationId": "schema", "summary": "The proposal's JSON Schema",
                                   "responses": {"200": json_response("JSON Schema 2020-12", {"type": "object"},
                                                                      "application/schema+json")}}},
            "/v1/reload": {"post": {
                "operationId": "reload",
                "summary": "Reload the rule packs (when the server was started with --allow-reload)",
                "responses": {"202": json_response("new workers are starting with the new packs",
                                                   {"type": "object"}),
                              "403": {**problem, "description": "reloading over HTTP is disabled"},
                              "409": {**problem, "description": "a pack was refused; the old rules keep serving"}},
            }},
            "/healthz": {"get": {"operationId": "health", "summary": "Liveness, and the rules served",
                                 "responses": {"200": json_response("serving", ref("Health"))}}},
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document",
                                      "responses": {"200": json_response("OpenAPI 3.1", {"type": "object"})}}},
        },
        "components": {"schemas": {
            "Proposal": {k: v for k, v in MEETING_SCHEMA.items() if k != "$schema"},
            "Decision": _DECISION_SCHEMA,
            "BatchResult": {
                "type": "object", "required": ["decided", "failed", "results"],
                "properties": {
                    "decided": {"type": "integer"}, "failed": {"type": "integer"},
                    "results": {"type": "array", "items": {"oneOf": [
                        {"type": "object", "required": ["decision"], "properties": {"decision": ref("Decision")}},
                        {"type": "object", "required": ["problems"],
                         "properties": {"problems": {"type": "array", "items": {"type": "string"}}}},
                    ]}},
                },
            },
            "Problem": {
                "type": "object", "required": ["status", "title", "problems"],
                "properties": {"status": {"type": "integer"}, "title": {"type": "string"},
                               "problems": {"type": "array", "items": {"type": "string"},
                                            "description": "file:line:col: field.path: what was expected, "
                                                           "found what"}},
            },
            "Rules": {
                "type": "object", "required": ["pack", "version", "rules_version", "threshold", "rules"],
                "properties": {
                    "pack": {"type": "string"}, "version": {"type": "string"},
                    "rules_version": {"type": "string", "description": "digest of the rules and settings, "
                                                                       "as in the decision log"},
                    "threshold": {"type": "integer"},
                    "rules": {"type": "array", "items": {
                        "type": "object", "required": ["id", "description", "when", "because", "source"],
                        "properties": {"id": {"type": "string"}, "description": {"type": "string"}, "when": {},
                                       "necessity": {"type": "integer"}, "formats": _FORMAT_POINTS,
                                       "alternative": {"type": ["string", "null"]},
                                       "suggestion": {"type": ["string", "null"]}, "because": {"type": "string"},
                                       "source": {"type": "string"}, "pack": {"type": "string"},
                                       "file": {"type": "string"}, "line": {"type": "integer"}}}},
                },
            },
            "Health": {
                "type": "object", "required": ["status", "version", "pack", "pack_version", "rules_version"],
                "properties": {"status": {"const": "ok"}, "version": {"type": "string"},
                               "pack": {"type": "string"},
                               "pack_version": {"type": "string", "description": "as rules.version in a decision"},
                               "rules_version": {"type": "string", "description": "digest of the rules and "
                                                 "settings, as in the decision log"}},
            },
        }},
    }


_FORMAT_NAMES = list(FORMATS)
_FORMAT_POINTS = {"type": "object", "propertyNames": {"enum": _FORMAT_NAMES},
                  "additionalProperties": {"type": "integer"}}
_DECISION_SCHEMA: Dict[str, Any] = {
    "description": "spec/decision.md; further keys may be added",
    "type": "object",
    "required": ["meeting", "source", "verdict", "score", "threshold", "format", "format_scores", "alternative",
                 "cost", "fired", "suggestions", "rules"],
    "properties": {
        "meeting": {"type": "string"},
        "source": {"type": "string"},
        "verdict": {"enum": ["hold", "skip"]},
        "score": {"type": "integer", "minimum": 0, "maximum": 100},
        "threshold": {"type": "integer", "minimum": 0, "maximum": 100},
        "format": {"enum": _FORMAT_NAMES},
        "format_scores": _FORMAT_POINTS,
        "alternative": {"type": ["string", "null"]},
        "cost": {"type": "object", "required": ["attendee_hours", "amount", "currency"],
                 "properties": {"attendee_hours": {"type": "number"}, "amount": {"type": "number"},
                                "currency": {"type": "string"}, "yearly_attendee_hours": {"type": "number"},
                                "yearly_amount": {"type": "number"}}},
        "fired": {"type": "array", "items": {
            "type": "object", "required": ["rule", "necessity", "formats", "reason"],
            "properties": {"rule": {"type": "string"}, "necessity": {"type": "integer"}, "formats": _FORMAT_POINTS,
                           "reason": {"type": "string"}, "source": {"type": "string"}}}},
        "suggestions": {"type": "array", "items": {"type": "string"}},
        "rules": {"type": "object", "required": ["pack", "version"],
                  "properties": {"pack": {"type": "string"}, "version": {"type": "string"}}},
        "base": {"type": "integer"},
        "facts": {"type": "object"},
    },
}
