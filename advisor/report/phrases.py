"""The short phrases of a report: the score, where it starts and how far from the threshold it
ends; the cost, once and a year; who proposes the meeting, when, and in which file."""
from __future__ import annotations

from pathlib import PurePath
from typing import List, Optional, Tuple

from advisor.core.decision import Decision
from advisor.report.i18n import bidi_number, money, num, plural_count, translations

BORDERLINE = 10  # a score this close to the threshold or closer: about one rule's points either way


def margin_word(decision: Decision, lang: str) -> str:
    """'a clear hold', 'a borderline skip'."""
    _ = translations(lang).gettext
    borderline = abs(decision.margin) < BORDERLINE
    if decision.hold:
        return _("a borderline hold") if borderline else _("a clear hold")
    return _("a borderline skip") if borderline else _("a clear skip")


def score_line(decision: Decision, lang: str) -> str:
    """'a borderline skip: 45, threshold 50'."""
    _ = translations(lang).gettext
    return _("%(verdict)s: %(score)s, threshold %(threshold)s") % {
        "verdict": margin_word(decision, lang), "score": decision.score, "threshold": decision.threshold}


def score_start(decision: Decision, lang: str) -> str:
    """Where the score starts, and what the reasons make of it."""
    _ = translations(lang).gettext
    raw = decision.base + sum(f.necessity for f in decision.fired)
    values = {"base": decision.base, "threshold": decision.threshold, "score": decision.score,
              "raw": bidi_number(raw, lang)}
    if raw == decision.score:
        return _("Every meeting starts at %(base)s points and is held at %(threshold)s or more; the reasons below "
                 "take this one to %(score)s.") % values
    return _("Every meeting starts at %(base)s points and is held at %(threshold)s or more; the reasons below add up "
             "to %(raw)s, counted as %(score)s.") % values


def costs(decision: Decision, lang: str) -> Tuple[str, Optional[str]]:
    """What it costs once, and a year when it repeats: staff hours with their price, guests' hours apart."""
    cost = decision.cost
    once = _cost(cost.staff_hours, cost.guest_hours, cost.amount, cost.currency, lang)
    if not decision.facts.get("recurring"):
        return once, None
    times = decision.facts["occurrences_per_year"]
    yearly = _cost(round(cost.staff_hours * times, 2), round(cost.guest_hours * times, 2), cost.yearly_amount,
                   cost.currency, lang)
    return once, yearly


def _cost(staff_hours: float, guest_hours: float, amount: float, currency: str, lang: str) -> str:
    catalogue = translations(lang)
    _, ngettext = catalogue.gettext, catalogue.ngettext
    staff = ngettext("%(hours)s staff hour", "%(hours)s staff hours", plural_count(staff_hours)) % {
        "hours": num(staff_hours)}
    values = {"staff": staff, "amount": money(amount, currency, lang)}
    if not guest_hours:
        return _("%(staff)s, %(amount)s") % values
    values["guests"] = ngettext("%(hours)s hour of guests", "%(hours)s hours of guests",
                                plural_count(guest_hours)) % {"hours": num(guest_hours)}
    return _("%(staff)s, %(amount)s; and %(guests)s (customers, prospects and others from outside), which "
             "the company does not pay for") % values


def cost_line(decision: Decision, lang: str) -> str:
    """The cost on one line: once, and a year when it repeats."""
    _ = translations(lang).gettext
    once, yearly = costs(decision, lang)
    if yearly is None:
        return once
    return _("%(once)s each time; %(yearly)s a year") % {"once": once, "yearly": yearly}


def source_name(decision: Decision) -> str:
    """The proposal's file name, never the folders it sits in ('<stdin>' as it is)."""
    if decision.source.startswith("<"):
        return decision.source
    return PurePath(decision.source.replace("\\", "/")).name


def about(decision: Decision, lang: str) -> List[str]:
    """'Organizer: Dana Reyes', 'Date: ...', 'File: meeting.yaml': what a ticket cites, when given."""
    _ = translations(lang).gettext
    parts = []
    who, when = organizer(decision), start_text(decision, lang)
    if who:
        parts.append(_("Organizer: %(name)s") % {"name": who})
    if when:
        parts.append(_("Date: %(date)s") % {"date": when})
    return parts + [_("File: %(file)s") % {"file": source_name(decision)}]


def organizer(decision: Decision) -> Optional[str]:
    """Who proposes it: their name, else their address, when the proposal says."""
    person = decision.organizer
    return None if person is None else (person.name or person.email)


def start_text(decision: Decision, lang: str) -> Optional[str]:
    """'Monday, March 2, 2026, 10:00 (Europe/Berlin)', in the reader's language, when a start is given."""
    start = decision.start
    if start is None:
        return None
    from babel.dates import format_date, format_skeleton  # for dated proposals only

    offset = start.strftime("%z")
    zone = getattr(start.tzinfo, "key", None) or f"UTC{offset[:3]}:{offset[3:]}"
    _ = translations(lang).gettext
    return _("%(date)s, %(time)s (%(zone)s)") % {
        "date": format_date(start, "full", locale=lang),
        "time": format_skeleton("Hm", start, tzinfo=start.tzinfo, locale=lang), "zone": zone}
