"""The wording of what-if changes: 'Add an agenda; hold it once instead of weekly'."""
from __future__ import annotations

from typing import Sequence

from advisor.core.decision import Step
from advisor.report.i18n import num, plural_count, translations


def describe_change(steps: Sequence[Step], lang: str = "en") -> str:
    """The steps as the reader is told them: 'Add an agenda; hold it once instead of weekly'."""
    _ = translations(lang).gettext
    parts = [describe_step(step, lang) for step in steps]
    return _("; ").join(parts[:1] + [_lower_first(p, lang) for p in parts[1:]])


def _lower_first(text: str, lang: str) -> str:
    return text[:1].lower() + text[1:] if lang == "en" else text


def recurrence_word(recurrence: str, lang: str) -> str:
    _ = translations(lang).gettext
    words = {"none": _("once"), "daily": _("daily"), "weekly": _("weekly"), "biweekly": _("every two weeks"),
             "monthly": _("monthly")}
    return words[recurrence]


def describe_step(step: Step, lang: str = "en") -> str:
    catalogue = translations(lang)
    _, ngettext = catalogue.gettext, catalogue.ngettext
    before, after = step.before, step.after
    if step.kind == "agenda":
        return _("Add an agenda") if after else _("Drop the agenda")
    if step.kind == "duration":
        if after < before:
            return ngettext("Shorten it to %(minutes)s minute", "Shorten it to %(minutes)s minutes",
                            after) % {"minutes": after}
        return ngettext("Lengthen it to %(minutes)s minute", "Lengthen it to %(minutes)s minutes",
                        after) % {"minutes": after}
    if step.kind == "attendees":
        values = {"count": abs(after - before), "after": after, "before": before}
        if after < before:
            return ngettext("Invite %(count)s person fewer (%(after)s instead of %(before)s)",
                            "Invite %(count)s fewer people (%(after)s instead of %(before)s)",
                            values["count"]) % values
        return ngettext("Invite %(count)s more person (%(after)s instead of %(before)s)",
                        "Invite %(count)s more people (%(after)s instead of %(before)s)", values["count"]) % values
    if step.kind == "recurrence":
        return _("Hold it %(new)s instead of %(old)s") % {"new": recurrence_word(after, lang),
                                                           "old": recurrence_word(before, lang)}
    if step.kind == "decision":
        return _("Give it a decision to make") if after else _("Leave nothing to decide in it")
    if step.kind == "load":
        values = {"hours": num(after), "now": num(before)}
        if after < before:
            return ngettext("Wait until the audience's meeting load falls to %(hours)s hour a week (now %(now)s)",
                            "Wait until the audience's meeting load falls to %(hours)s hours a week (now %(now)s)",
                            plural_count(after)) % values
        return ngettext("The audience's meeting load rising to %(hours)s hour a week (now %(now)s)",
                        "The audience's meeting load rising to %(hours)s hours a week (now %(now)s)",
                        plural_count(after)) % values
    if step.kind == "topic":
        values = {"days": num(after), "now": num(before)}
        if after > before:
            return ngettext("Wait until %(days)s day has passed since the last meeting on this topic (now %(now)s)",
                            "Wait until %(days)s days have passed since the last meeting on this topic "
                            "(now %(now)s)", plural_count(after)) % values
        return ngettext("Hold it %(days)s day after the last meeting on this topic (now %(now)s)",
                        "Hold it %(days)s days after the last meeting on this topic (now %(now)s)",
                        plural_count(after)) % values
    raise ValueError(f"unknown kind of change {step.kind!r}")
