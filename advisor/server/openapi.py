"""The OpenAPI 3.1 description of the HTTP API, served at /openapi.json."""
from __future__ import annotations

from typing import Any, Dict

from advisor.core.vocabulary import FORMATS, MEDIA
from advisor.inputs.schema import MEETING_SCHEMA
from advisor.server.bodies import MAX_BATCH
from advisor.server.idempotency import MAX_KEY_LENGTH
from advisor.version import __version__

RENDERED_TYPES = {
    "text": "text/plain; charset=utf-8",
    "markdown": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
}
RESPONSE_FORMATS = ("json",) + tuple(RENDERED_TYPES)
EXPLAINED_FORMATS = ("json", "text", "markdown")  # as `advisor check --explain`
PROBLEM_TYPE = "application/problem+json"
DECISION_ID_HEADER = "Advisor-Decision-Id"


def openapi_document(tokens: bool = False) -> Dict[str, Any]:
    """OpenAPI 3.1 (whose schemas are JSON Schema 2020-12, as the proposal's is); with `tokens`,
    for a server that requires them (`advisor serve --tokens`)."""
    def ref(name: str) -> Dict[str, str]:
        return {"$ref": f"#/components/schemas/{name}"}

    problem = {"description": "the problems, one line each as the CLI prints them",
               "content": {PROBLEM_TYPE: {"schema": ref("Problem")}}}
    body = {"required": True, "content": {
        "application/json": {"schema": ref("Proposal")},
        "application/yaml": {"schema": ref("Proposal")},
    }}
    batch_body = {"required": True, "content": {
        kind: {"schema": {"type": "array", "maxItems": MAX_BATCH, "items": ref("Proposal")}}
        for kind in ("application/json", "application/yaml")}}
    unauthorized = {"401": {**problem, "description": "no token, or one the server does not know (only when it "
                                                      "was started with --tokens)",
                            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}}}
    body_errors = {"400": {**problem, "description": "a proposal that breaks the contract, a body that cannot be "
                                                    "read, a bad query or a bad Idempotency-Key"},
                   **unauthorized,
                   "408": {**problem, "description": "a body that did not arrive in time"},
                   "409": {**problem, "description": "the first request with this Idempotency-Key is still being "
                                                    "decided"},
                   "413": {**problem, "description": "a body over the size limit"},
                   "415": {**problem, "description": "a content type other than JSON or YAML"},
                   "422": {**problem, "description": "this Idempotency-Key was used in the last 24 hours with "
                                                    "another request (proposal, path or query)"},
                   "429": {**problem, "description": "the caller holds the most Idempotency-Keys kept; retry "
                                                    "after Retry-After seconds, or without a key",
                           "headers": {"Retry-After": {"schema": {"type": "integer"}}}},
                   "503": {**problem, "description": "the decision log cannot be written"}}
    idempotency_key = {"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "the same key with the same request within 24 hours replays the first "
                                      "answer (header Idempotent-Replayed: true) and decides nothing again; keys "
                                      "are kept per caller", "schema": {"type": "string", "minLength": 1,
                                                                          "maxLength": MAX_KEY_LENGTH}}
    decision_id_header = {DECISION_ID_HEADER: {"description": "the decision's decision_id",
                                               "schema": {"type": "string", "format": "uuid"}}}

    def json_response(description: str, schema: Dict[str, Any], kind: str = "application/json") -> Dict[str, Any]:
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
                    {"name": "explain", "in": "query", "required": False,
                     "description": "also every active rule, fired or with the first condition that failed "
                                    f"(the decision's `explain`); with format {', '.join(EXPLAINED_FORMATS)}",
                     "schema": {"type": "string", "enum": ["true", "false"], "default": "false"}},
                    idempotency_key,
                ],
                "requestBody": body,
                "responses": {"200": {"description": "the decision (JSON) or its justification (format=...)",
                                      "headers": decision_id_header,
                                      "content": {"application/json": {"schema": ref("Decision")}, **rendered}},
                              **body_errors},
            }},
            "/v1/check/batch": {"post": {
                "operationId": "checkBatch",
                "summary": "Decide a list of proposals; a bad one does not fail the others",
                "parameters": [idempotency_key],
                "requestBody": batch_body,
                "responses": {"200": json_response("a result for each proposal, in order", ref("BatchResult")),
                              **body_errors},
            }},
            "/v1/rules": {"get": {"operationId": "rules", "summary": "The active rules",
                                  "responses": {"200": json_response("the active rules", ref("Rules")),
                                                **unauthorized}}},
            "/v1/schema": {"get": {"operationId": "schema", "summary": "The proposal's JSON Schema",
                                   "responses": {"200": json_response("JSON Schema 2020-12", {"type": "object"},
                                                                      "application/schema+json"),
                                                 **unauthorized}}},
            "/v1/reload": {"post": {
                "operationId": "reload",
                "summary": "Reload the rule packs (when the server was started with --allow-reload)",
                "responses": {"202": json_response("new workers are starting with the new packs",
                                                   {"type": "object"}),
                              **unauthorized,
                              "403": {**problem, "description": "reloading over HTTP is disabled"},
                              "409": {**problem, "description": "the rule packs, settings or tokens file were "
                                                                "refused; the old rules keep serving"}},
            }},
            "/healthz": {"get": {"operationId": "health", "summary": "Liveness, and the rules served",
                                 "security": [], "responses": {"200": json_response("serving", ref("Health"))}}},
            "/openapi.json": {"get": {"operationId": "openapi", "summary": "This document", "security": [],
                                      "responses": {"200": json_response("OpenAPI 3.1", {"type": "object"})}}},
        },
        # /healthz and /openapi.json stay open ("security": [] on each).
        **({"security": [{"bearer": []}]} if tokens else {}),
        "components": {"securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer",
            "description": "a caller's token from the server's --tokens file; the caller's name is logged as "
                           "requested_by"}}, "schemas": {
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
                                       "media": _MEDIUM_POINTS, "alternative": {"type": ["string", "null"]},
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
_MEDIUM_NAMES = list(MEDIA)
_MEDIUM_POINTS = {"type": "object", "propertyNames": {"enum": _MEDIUM_NAMES},
                  "additionalProperties": {"type": "integer"}}
_DECISION_SCHEMA: Dict[str, Any] = {
    "description": "docs/decision.md; further keys may be added",
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
        "medium": {"enum": _MEDIUM_NAMES},
        "medium_scores": _MEDIUM_POINTS,
        "alternative": {"type": ["string", "null"]},
        "margin": {"type": "integer", "description": "score - threshold"},
        "assumptions": {"type": "array", "items": {"type": "string"}},
        "cost": {"type": "object", "required": ["attendee_hours", "amount", "currency"],
                 "properties": {"attendee_hours": {"type": "number"}, "staff_hours": {"type": "number"},
                                "guest_hours": {"type": "number"}, "amount": {"type": "number"},
                                "currency": {"type": "string"}, "yearly_attendee_hours": {"type": "number"},
                                "yearly_amount": {"type": "number"}}},
        "fired": {"type": "array", "items": {
            "type": "object", "required": ["rule", "necessity", "formats", "reason"],
            "properties": {"rule": {"type": "string"}, "necessity": {"type": "integer"}, "formats": _FORMAT_POINTS,
                           "media": _MEDIUM_POINTS, "reason": {"type": "string"}, "source": {"type": "string"}}}},
        "suggestions": {"type": "array", "items": {"type": "string"}},
        "rules": {"type": "object", "required": ["pack", "version"],
                  "properties": {"pack": {"type": "string"}, "version": {"type": "string"}}},
        "base": {"type": "integer"},
        "facts": {"type": "object"},
        "decision_id": {"type": "string", "format": "uuid",
                        "description": "a UUIDv7, unique and in the order of time; also in the decision log"},
        "explain": {"type": "array", "description": "with explain=true: every active rule, fired or not",
                    "items": {"type": "object", "required": ["rule", "fired", "condition", "detail"],
                              "properties": {"rule": {"type": "string"}, "pack": {"type": "string"},
                                             "fired": {"type": "boolean"}, "necessity": {"type": "integer"},
                                             "formats": _FORMAT_POINTS, "condition": {"type": "string"},
                                             "detail": {"type": "string"}, "facts": {"type": "object"}}}},
    },
}
