"""A proposal file of any kind: YAML or JSON (`meeting.yaml`), or an .ics invitation; '-' is
standard input."""
from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Optional

from advisor.core.meeting import Meeting
from advisor.inputs.files import read_file, read_stream
from advisor.inputs.proposal import parse_meeting

if TYPE_CHECKING:
    from advisor.inputs.invite import InviteOptions


def read_proposal(name: str, invite: Optional["InviteOptions"] = None) -> Meeting:
    """The proposal in file `name` ('-': standard input), read no further than the size limit."""
    file = "<stdin>" if name == "-" else name
    raw = read_stream(sys.stdin.buffer, file) if name == "-" else read_file(name)  # no further than the limit
    return parse_proposal(raw, file, invite)


def parse_proposal(raw: bytes, file: str, invite: Optional["InviteOptions"] = None) -> Meeting:
    """The proposal in `raw`, the content of `file`: an invitation, else YAML or JSON."""
    if is_invitation(raw, file):
        from advisor.inputs.invite import InviteOptions, parse_invite  # icalendar: only for invitations

        return parse_invite(raw, file, invite or InviteOptions())
    return parse_meeting(raw, file)


def is_invitation(raw: bytes, file: str) -> bool:
    """Told apart by its .ics name or its first line, BEGIN:VCALENDAR."""
    return file.lower().endswith(".ics") or raw.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper() == b"BEGIN:VCALENDAR"


