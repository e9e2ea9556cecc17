"""`advisor serve`: the JSON HTTP API, under gunicorn (`advisor.server.serve`)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import click

from advisor.cli.main import EXIT_ERROR, report_problems
from advisor.errors import AdvisorError
from advisor.server.serve import (
    BODY_SECONDS,
    DEFAULT_IDEMPOTENCY_LIMIT,
    DEFAULT_PORT,
    DEFAULT_THREADS,
    DEFAULT_WORKERS,
    WORKER_CLASSES,
    ServeApplication,
    ServeSettings,
)

SERVE_HELP = """Serve the advisor as a JSON HTTP API (described at /openapi.json).

\b
POST /v1/check, POST /v1/check/batch, GET /v1/rules, GET /v1/schema, GET /healthz.
SIGHUP reloads the rule packs, the configuration and the tokens without dropping a request;
if they fail validation they are refused and the rules in service keep serving.
With --tokens, every /v1/ request needs 'Authorization: Bearer TOKEN'. An address that other
machines reach (not 127.0.0.0/8, ::1 or localhost) is refused without --tokens, unless --insecure.

\b
Example:
  advisor serve --port 8080 --rules team-rules/ --decision-log decisions.jsonl
  curl -H 'Content-Type: application/yaml' --data-binary @meeting.yaml localhost:8080/v1/check
  advisor serve --host 0.0.0.0 --tokens tokens.yaml --idempotency-store keys.sqlite3
"""


@click.command(help=SERVE_HELP)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default serves this machine only.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="Port to listen on (0: any free port; the address is logged at start).")
@click.option("--rules", "rule_dirs", multiple=True, type=click.Path(),
              help="Add a rule pack (folder or file), as for advisor check. Repeatable.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Settings (advisor.yaml), as for advisor check; by default ./advisor.yaml if any.")
@click.option("--threshold", type=click.IntRange(0, 100), default=None,
              help="Necessity score needed to hold a meeting.  [default: 50]")
@click.option("--workers", type=click.IntRange(1, 64), default=DEFAULT_WORKERS, show_default=True,
              help="Worker processes (the rule engine runs one request at a time in each).")
@click.option("--worker-class", type=click.Choice(tuple(WORKER_CLASSES)), default="gevent", show_default=True,
              help="gevent: each connection waits on the network without holding a worker, and a request's "
                   "headers and body have a deadline; gthread: a thread per connection being read.")
@click.option("--threads", type=click.IntRange(1, 64), default=DEFAULT_THREADS, show_default=True,
              help="Threads per worker with --worker-class gthread.")
@click.option("--body-timeout", type=click.FloatRange(0.1, 600), default=BODY_SECONDS, show_default=True,
              help="Seconds a request's body may take to arrive, with gevent's workers; then 408.")
@click.option("--decision-log", type=click.Path(dir_okay=False),
              help="Append one JSON line per decision to this file (reopened on reload).")
@click.option("--allow-reload", is_flag=True, help="Enable POST /v1/reload (SIGHUP always reloads).")
@click.option("--max-body", type=click.IntRange(1024, 64 * 1024 * 1024), default=1024 * 1024, show_default=True,
              help="Largest request body in bytes; a larger one gets 413.")
@click.option("--access-log", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write an access log line per request to this file ('-': standard error).")
@click.option("--tokens", "tokens_file", type=click.Path(dir_okay=False),
              help="A YAML file of caller names and their tokens (crm: TOKEN); every /v1/ request must then "
                   "carry one, and the caller is logged as requested_by. Re-read on reload.")
@click.option("--insecure", is_flag=True,
              help="Serve an address other machines reach without --tokens: anyone who reaches the port decides.")
@click.option("--idempotency-store", type=click.Path(dir_okay=False),
              help="Keep the answers to Idempotency-Key requests in this SQLite file, across restarts "
                   "(by default they last until the server stops).")
@click.option("--idempotency-limit", type=click.IntRange(1, 10_000_000), default=DEFAULT_IDEMPOTENCY_LIMIT,
              show_default=True,
              help="Keys each caller may hold within 24 hours; past it, requests with a new key get 429.")
def serve(host: str, port: int, rule_dirs: Sequence[str], config_file: Optional[str], threshold: Optional[int],
          workers: int, threads: int, decision_log: Optional[str], allow_reload: bool, max_body: int,
          access_log: Optional[str], tokens_file: Optional[str], insecure: bool, idempotency_store: Optional[str],
          idempotency_limit: int, worker_class: str = "gevent", body_timeout: float = BODY_SECONDS) -> int:
    settings = ServeSettings(
        host=host, port=port, extra_rules=[Path(p) for p in rule_dirs],
        config=Path(config_file).resolve() if config_file else None, threshold=threshold, workers=workers,
        threads=threads, worker_class=worker_class, body_timeout=body_timeout,
        decision_log=Path(decision_log) if decision_log else None, allow_reload=allow_reload,
        max_body=max_body, access_log=access_log, tokens=Path(tokens_file).resolve() if tokens_file else None,
        insecure=insecure, idempotency_store=Path(idempotency_store).resolve() if idempotency_store else None,
        idempotency_limit=idempotency_limit,
    )
    try:
        application = ServeApplication(settings)
    except AdvisorError as error:
        report_problems(error.problems)
        return EXIT_ERROR
    application.run()
    return 0
