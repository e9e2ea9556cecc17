"""The assumptions behind a decision (`core.assumptions`), worded for people, one sentence each."""
from __future__ import annotations

from typing import List

from advisor.core.assumptions import LOAD_PARTIAL, LOAD_UNKNOWN, ONE_ROOM, RELIABLE_CONNECTION
from advisor.core.decision import Decision
from advisor.report.i18n import translations


def assumption_texts(decision: Decision, lang: str) -> List[str]:
    """Each assumption of `decision` as a sentence in `lang`."""
    catalogue = translations(lang)
    _, ngettext = catalogue.gettext, catalogue.ngettext
    facts = decision.facts
    texts = {
        ONE_ROOM: lambda: _("The attendees not marked remote are taken to share one room: the proposal names no "
                            "place."),
        RELIABLE_CONNECTION: lambda: ngettext(
            "The remote attendee is taken to have a device and a reliable connection: the proposal does not say.",
            "The %(count)s remote attendees are taken to have a device and a reliable connection: the proposal "
            "does not say.", facts["remote_attendees"]) % {"count": facts["remote_attendees"]},
        LOAD_UNKNOWN: lambda: _("The audience's recent meeting load is not given, so no rule about the load "
                                "applies."),
        LOAD_PARTIAL: lambda: _("The meeting load is the average of the attendees whose figure is given; the "
                                "others' is not known."),
    }
    return [texts[kind]() for kind in decision.assumptions]
