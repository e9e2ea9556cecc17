"""`advisor schema`: the JSON Schema of a proposal, for editors and approval workflows.

    advisor schema > meeting.schema.json
    # then, at the top of meeting.yaml, for editors using yaml-language-server:
    # yaml-language-server: $schema=./meeting.schema.json
"""
from __future__ import annotations

import json

import click


@click.command(short_help="Print the JSON Schema of meeting.yaml, for editors.")
def schema() -> int:
    """Print the JSON Schema of meeting.yaml (proposals written as JSON follow it too)."""
    from advisor.inputs.schema import MEETING_SCHEMA

    click.echo(json.dumps(MEETING_SCHEMA, indent=2, ensure_ascii=False))
    return 0
