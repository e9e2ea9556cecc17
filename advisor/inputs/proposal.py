"""Proposal files read into `Meeting` records: YAML or JSON, validated against the schema.

Every problem of a file is reported at once, each with its file, line, column and field.
"""
from __future__ import annotations

import os
import re
from datetime import date, datetime
from typing import Any, Mapping, Optional, Union

from advisor.core.meeting import AttendeeGroup, Meeting, Person, RecentLoad, Setting
from advisor.core.vocabulary import EXTERNAL_ROLES
from advisor.errors import InputError, describe
from advisor.inputs.files import read_file
from advisor.inputs.validation import validate  # the schema's check, quick on valid proposals
from advisor.inputs.yamlsafe import Document, load_yaml


def read_meeting(path: Union[str, "os.PathLike[str]"]) -> Meeting:
    """Load, validate and type the proposal in the file at `path` ('-' is not handled here)."""
    return parse_meeting(read_file(path), str(path))


def parse_meeting(source: Union[bytes, str], file: str) -> Meeting:
    """Proposal text (YAML or JSON) to a Meeting, or InputError listing every problem."""
    return meeting_from_document(load_yaml(source, file))


def meeting_from_mapping(data: Mapping[str, Any], source: str = "<proposal>") -> Meeting:
    """A proposal given as Python data (for example by an approval workflow)."""
    return meeting_from_document(Document(data, source))


def meeting_from_document(document: Document) -> Meeting:
    data = document.data
    if not isinstance(data, dict):
        raise InputError([document.problem((), f"expected a mapping of fields at the top level, found "
                                                f"{describe(data)}")])
    if isinstance(data.get("start"), (date, datetime)):  # YAML's own timestamps: checked as text
        data = {**data, "start": data["start"].isoformat()}
        document = document.with_data(data)
    problems = validate(document)
    start = None
    if not problems and "start" in data:
        try:
            start = parse_start(data["start"])
        except ValueError as error:
            problems.append(document.problem(("start",), f"{error}, found {describe(data['start'])}"))
    if problems:
        raise InputError(problems)
    return _build(data, document.file, start)


# Text, compiled on first use through re's own cache: a proposal without a start pays nothing.
_ZONE_SUFFIX = r"^(?P<when>[^\[\]]+?)\s*\[(?P<zone>[^\[\]]+)\]$"
_DATE_AND_TIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"


def parse_start(text: str) -> datetime:
    """An aware datetime from '2026-03-02T10:00+01:00', '...Z', '2026-03-02T10:00[Europe/Berlin]',
    or '2026-03-02T10:00' (local time)."""
    expected = "expected a date and time such as 2026-03-02T10:00+01:00 or 2026-03-02T10:00[Europe/Berlin]"
    match = re.match(_ZONE_SUFFIX, text.strip())
    when, zone_name = (match["when"], match["zone"]) if match else (text.strip(), None)
    if when[-1:] in ("Z", "z"):
        when = when[:-1] + "+00:00"
    if not re.match(_DATE_AND_TIME, when):
        raise ValueError(expected)
    try:
        value = datetime.fromisoformat(when)
    except ValueError:
        raise ValueError(expected) from None
    if zone_name:
        from zoneinfo import ZoneInfo

        try:
            zone = ZoneInfo(zone_name)
        except (KeyError, ValueError, OSError):
            raise ValueError(f"unknown time zone '{zone_name}': expected an IANA name such as Europe/Berlin") from None
        return value.replace(tzinfo=zone) if value.tzinfo is None else value.astimezone(zone)
    return value if value.tzinfo is not None else value.astimezone()  # local time


def _build(data: Mapping[str, Any], source: str, start: Optional[datetime] = None) -> Meeting:
    purposes = data["purposes"]
    organizer = data.get("organizer")
    load = data.get("recent_load") or {}
    setting = data.get("setting") or {}
    return Meeting(
        title=data["title"],
        purposes=(purposes,) if isinstance(purposes, str) else tuple(purposes),
        duration_minutes=int(data["duration_minutes"]),
        audience=tuple(_group(g) for g in data["audience"]),
        decision_required=data.get("decision_required", False),
        recurrence=data.get("recurrence", "none"),
        agenda=tuple(data.get("agenda") or ()),
        organizer=Person(**organizer) if organizer else None,
        recent_load=RecentLoad(
            window_days=int(load.get("window_days", 7)),
            meeting_hours=load.get("meeting_hours"),
            meetings=load.get("meetings"),
            same_topic_days_ago=load.get("same_topic_days_ago"),
        ),
        setting=Setting(**setting),
        description=data.get("description"),
        source=source,
        start=start,
    )


def _group(data: Mapping[str, Any]) -> AttendeeGroup:
    role = data["role"]
    return AttendeeGroup(
        role=role,
        count=int(data.get("count", 1)),
        remote=data.get("remote", False),
        external=data.get("external", role in EXTERNAL_ROLES),
        name=data.get("name"),
        email=data.get("email"),
        hourly_cost=data.get("hourly_cost"),
        meeting_hours_last_7_days=data.get("meeting_hours_last_7_days"),
        meetings_last_7_days=data.get("meetings_last_7_days"),
    )
