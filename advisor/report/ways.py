"""How a meeting is held, in words: its format and medium together ('One-on-one by video',
'Formal meeting in one room, with a video link for 1 remote attendee')."""
from __future__ import annotations

from typing import Dict, Optional

from advisor.core.decision import Decision
from advisor.report.i18n import bidi_number, translations


def format_names(lang: str) -> Dict[str, str]:
    """The formats alone, as the runner-up is named: 'call', 'formal meeting'."""
    _ = translations(lang).gettext
    return {"formal": _("formal meeting"), "one_on_one": _("one-on-one"), "call": _("call"), "video": _("video")}


def way(decision: Decision, lang: str) -> str:
    """The chosen format and medium as one label, capitalised: 'One-on-one by video'."""
    catalogue = translations(lang)
    _, ngettext = catalogue.gettext, catalogue.ngettext
    facts = decision.facts
    fmt, medium = decision.format, decision.medium
    if fmt == "formal" and medium == "hybrid":
        remote = facts["remote_attendees"]
        if facts["reliable_internet"]:
            return ngettext("Formal meeting in one room, with a video link for %(count)s remote attendee",
                            "Formal meeting in one room, with a video link for %(count)s remote attendees",
                            remote) % {"count": remote}
        return ngettext("Formal meeting in one room, with a phone line for %(count)s remote attendee",
                        "Formal meeting in one room, with phone lines for %(count)s remote attendees",
                        remote) % {"count": remote}
    if fmt == "call" and facts["attendees"] == 2:
        return _("Phone call between the two")
    labels: Dict[str, Dict[str, str]] = {
        "formal": {"in_person": _("Formal meeting in one room")},
        "one_on_one": {"in_person": _("One-on-one, face to face"), "video": _("One-on-one by video"),
                       "phone": _("One-on-one by phone")},
        "call": {"phone": _("Conference call")},
        "video": {"video": _("Video conference")},
    }
    return labels[fmt][medium]


def format_choice(decision: Decision, runner_up: Optional[str], lang: str) -> str:
    """'One-on-one by video (70) rather than call (10)', or ': a tie, which goes to the lighter format'."""
    _ = translations(lang).gettext
    chosen = way(decision, lang)
    if runner_up is None:
        return chosen
    scores = decision.format_scores
    line = _("%(chosen)s (%(score)s) rather than %(other)s (%(other_score)s)") % {
        "chosen": chosen, "score": bidi_number(scores[decision.format], lang),
        "other": format_names(lang)[runner_up], "other_score": bidi_number(scores[runner_up], lang)}
    if scores[decision.format] == scores[runner_up]:
        line += _(": a tie, which goes to the lighter format.")
    return line
