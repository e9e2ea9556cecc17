"""The audit for readers: a ranked table (text, Markdown), one HTML file, JSON and CSV.

`audit_view()` words everything in the reader's language, as `render.view()` does for a
decision, so that the templates (audit.txt.j2, audit.md.j2 and audit.html.j2 in templates/) only lay it out.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from advisor.core.audit import RECOMMENDATIONS, Audit, SeriesAudit
from advisor.report.changes import describe_change, recurrence_word
from advisor.report.i18n import (
    DEFAULT_LANGUAGE,
    check_language,
    direction,
    money,
    num,
    plural_count,
    rule_text,
    snippet_context,
    translations,
)
from advisor.report.render import alternative_text, template_environment
from advisor.report.spreadsheet import to_csv

AUDIT_FORMATS = ("text", "markdown", "html", "json", "csv")
_TEMPLATES = {"text": "audit.txt.j2", "markdown": "audit.md.j2", "html": "audit.html.j2"}
TOP_REASONS = 2  # per series: the reasons that weighed most toward its verdict
HTML_SERIES = 25  # a manager reads the top of the ranking; the CSV and JSON list every series
HTML_PEOPLE = 15
CSV_FIELDS = ("rank", "title", "recommendation", "change", "alternative", "yearly_attendee_hours", "yearly_cost",
              "reclaimable_hours", "reclaimable_cost", "occurrences_per_year", "duration_minutes", "attendees",
              "recurrence", "purposes", "purpose_source", "verdict", "score", "format", "medium", "reason", "organizer",
              "uid", "source")


def render_audit(audit: Audit, fmt: str = "text", lang: str = DEFAULT_LANGUAGE) -> str:
    """The audit as `text`, `markdown`, `html`, `json` or `csv`, worded in `lang`."""
    check_language(lang)
    if fmt == "json":
        return json.dumps(audit_to_dict(audit, lang), indent=2, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return to_csv([_csv_row(rank, one, lang) for rank, one in enumerate(audit.series, 1)], CSV_FIELDS)
    if fmt not in _TEMPLATES:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(AUDIT_FORMATS)}")
    return template_environment(fmt == "html", lang).get_template(_TEMPLATES[fmt]).render(a=audit_view(audit, lang))


# ---------------------------------------------------------------------------- JSON and CSV


def audit_to_dict(audit: Audit, lang: str = DEFAULT_LANGUAGE) -> Dict[str, Any]:
    """The stable keys of docs/audit.md; reasons and changes worded in `lang`."""
    t = audit.totals
    return {
        "window": {"start": audit.start.isoformat(), "days": audit.days},
        "series": [series_to_dict(one, lang) for one in audit.series],
        "totals": {"series": t.series, "decided": t.decided, "unknown_purpose": t.unknown_purpose,
                   "by_recommendation": dict(t.by_recommendation),
                   "yearly_attendee_hours": t.yearly_attendee_hours / 100, "yearly_cost": float(t.yearly_cost),
                   "reclaimable_hours": t.reclaimable_hours / 100, "reclaimable_cost": float(t.reclaimable_cost),
                   "currency": t.currency},
        "people": [{"person": p.person, "weekly_meeting_hours": p.weekly_meeting_hours,
                    "weekly_hours_freed": p.weekly_hours_freed, "yearly_hours_freed": p.yearly_hours_freed / 100}
                   for p in audit.people],
    }


def series_to_dict(one: SeriesAudit, lang: str = DEFAULT_LANGUAGE) -> Dict[str, Any]:
    d = one.decision
    return {
        "uid": one.uid, "title": one.title, "organizer": one.organizer, "recurrence": one.recurrence,
        "occurrences_per_year": one.occurrences_per_year, "duration_minutes": one.duration_minutes,
        "attendees": one.attendees, "purposes": list(one.purposes), "purpose_source": one.purpose_source,
        "verdict": d.verdict if d else None, "score": d.score if d else None, "format": d.format if d else None,
        "medium": d.medium if d else None, "recommendation": one.recommendation, "alternative": one.alternative,
        "change": describe_change(one.steps, lang) if one.steps else None,
        "yearly_attendee_hours": one.yearly_attendee_hours / 100, "yearly_cost": float(one.yearly_cost),
        "reclaimable_hours": None if one.reclaimable_hours is None else one.reclaimable_hours / 100,
        "reclaimable_cost": None if one.reclaimable_cost is None else float(one.reclaimable_cost),
        "reasons": top_reasons(one, lang), "source": one.source,
    }


def _csv_row(rank: int, one: SeriesAudit, lang: str) -> Dict[str, Any]:
    row = series_to_dict(one, lang)
    reasons = row.pop("reasons")
    row.update(rank=rank, purposes=" ".join(one.purposes), reason=reasons[0] if reasons else "")
    return row


def top_reasons(one: SeriesAudit, lang: str, most: int = TOP_REASONS) -> List[str]:
    """The reasons that weighed most toward the verdict, or how to state an unknown purpose."""
    d = one.decision
    if d is None:
        return [unknown_hint(lang)]
    context = snippet_context(d, lang)
    toward = sorted((f for f in d.fired if f.necessity and (f.necessity > 0) == d.hold),
                    key=lambda f: -abs(f.necessity))
    return [text for text in (rule_text(f, "because", lang, context) for f in toward[:most]) if text]


def unknown_hint(lang: str) -> str:
    _ = translations(lang).gettext
    return _("No purpose rule reads this title: state what it is for with X-ADVISOR-PURPOSES on the event "
             "(for example X-ADVISOR-PURPOSES:status_update), and it is decided at the next audit.")


# ---------------------------------------------------------------------------- the view


def recommendation_label(recommendation: Optional[str], lang: str) -> str:
    _ = translations(lang).gettext
    return {"keep": _("Keep"), "shorten": _("Shorten"), "trim": _("Fewer people"), "less_often": _("Less often"),
            "cancel": _("Cancel"), None: _("Purpose unknown")}[recommendation]


def what_to_do(one: SeriesAudit, lang: str) -> str:
    """'Keep it.', 'Shorten it to 30 minutes.', 'Cancel it: instead, a written update (...).'"""
    _ = translations(lang).gettext
    if one.recommendation is None:
        return _("Not decided: its purpose is unknown.")
    if one.recommendation == "keep":
        return _("Keep it.")
    if one.recommendation == "cancel":
        return _("Cancel it; instead: %(alternative)s.") % {"alternative": alternative_text(one.alternative, lang)}
    return describe_change(one.steps, lang) + _(".")


def audit_view(audit: Audit, lang: str = DEFAULT_LANGUAGE) -> Dict[str, Any]:
    catalogue = translations(lang)
    _, ngettext = catalogue.gettext, catalogue.ngettext
    t = audit.totals
    currency = t.currency
    counts = [{"key": key, "label": recommendation_label(key, lang), "series": t.by_recommendation[key],
               "hours": num(t.hours_by_recommendation[key] / 100)} for key in RECOMMENDATIONS]
    unknown_hours = t.yearly_attendee_hours - sum(t.hours_by_recommendation.values())
    counts.append({"key": "unknown", "label": recommendation_label(None, lang), "series": t.unknown_purpose,
                   "hours": num(unknown_hours / 100)})
    widest = max([t.hours_by_recommendation[k] for k in RECOMMENDATIONS] + [unknown_hours, 1])
    for row, hours in zip(counts, [t.hours_by_recommendation[k] for k in RECOMMENDATIONS] + [unknown_hours]):
        row["share"] = hours / widest
    series = [_series_view(rank, one, lang) for rank, one in enumerate(audit.series, 1)]
    people = [{"person": p.person, "weekly_meeting_hours": num(p.weekly_meeting_hours),
               "weekly_hours_freed": num(p.weekly_hours_freed)} for p in audit.people if p.yearly_hours_freed > 0]
    start = audit.start.isoformat(timespec="minutes")
    if direction(lang) == "rtl":  # kept left to right inside right-to-left text (Unicode isolates)
        start = "\u2066" + start + "\u2069"
    return {
        "lang": lang, "dir": direction(lang),
        "heading": _("Meeting audit"),
        "window": ngettext("%(days)s day from %(start)s", "%(days)s days from %(start)s", audit.days) % {
            "days": audit.days, "start": start},
        "summary": ngettext("%(count)s meeting series audited", "%(count)s meeting series audited", t.series) % {
            "count": f"{t.series:,}"},
        "yearly": ngettext("They take %(hours)s attendee-hour a year, %(cost)s.",
                           "They take %(hours)s attendee-hours a year, %(cost)s.",
                           plural_count(t.yearly_attendee_hours / 100)) % {
            "hours": num(t.yearly_attendee_hours / 100), "cost": money(t.yearly_cost, currency, lang)},
        "reclaimable": ngettext("Following the recommendations frees %(hours)s attendee-hour a year, %(cost)s.",
                                "Following the recommendations frees %(hours)s attendee-hours a year, %(cost)s.",
                                plural_count(t.reclaimable_hours / 100)) % {
            "hours": num(t.reclaimable_hours / 100), "cost": money(t.reclaimable_cost, currency, lang)},
        "unknown": ngettext("%(count)s series has a purpose no rule can read: it is listed with its cost, undecided.",
                            "%(count)s series have a purpose no rule can read: they are listed with their cost, "
                            "undecided.", t.unknown_purpose) % {"count": t.unknown_purpose}
        if t.unknown_purpose else None,
        "unknown_hint": unknown_hint(lang) if t.unknown_purpose else None,
        "counts": counts,
        "series": series,
        "top_series": series[:HTML_SERIES],
        "more_series": max(0, len(series) - HTML_SERIES),
        "people": people,
        "top_people": people[:HTML_PEOPLE],
        "more_people": max(0, len(people) - HTML_PEOPLE),
        "labels": {"rank": _("#"), "series": _("Series"), "do": _("Recommendation"),
                   "hours": _("Attendee-hours a year"), "freed": _("Hours freed a year"), "why": _("Why"),
                   "person": _("Person"), "load": _("Meeting hours a week"), "weekly_freed": _("Hours freed a week"),
                   "how_often": _("How often"), "chart": _("Attendee-hours a year, by recommendation"),
                   "ranked": _("Series, most to reclaim first"), "people": _("Hours freed per person")},
        "more_series_line": ngettext("… and %(count)s more series: the CSV and JSON formats list them all.",
                                     "… and %(count)s more series: the CSV and JSON formats list them all.",
                                     max(0, len(series) - HTML_SERIES)) % {"count": max(0, len(series) - HTML_SERIES)},
        "more_people_line": ngettext("… and %(count)s more person.", "… and %(count)s more people.",
                                     max(0, len(people) - HTML_PEOPLE)) % {"count": max(0, len(people) - HTML_PEOPLE)},
    }


def _series_view(rank: int, one: SeriesAudit, lang: str) -> Dict[str, Any]:
    _ = translations(lang).gettext
    return {
        "rank": rank, "title": one.title, "recommendation": one.recommendation or "unknown",
        "label": recommendation_label(one.recommendation, lang), "do": what_to_do(one, lang),
        "hours": num(one.yearly_attendee_hours / 100),
        "freed": "–" if one.reclaimable_hours is None else num(one.reclaimable_hours / 100),
        "how_often": _how_often(one, lang), "reasons": top_reasons(one, lang),
        "purposes": ", ".join(one.purposes), "source": one.source,
    }


def _how_often(one: SeriesAudit, lang: str) -> str:
    catalogue = translations(lang)
    _, ngettext = catalogue.gettext, catalogue.ngettext
    minutes = ngettext("%(minutes)s minute", "%(minutes)s minutes", one.duration_minutes) % {
        "minutes": one.duration_minutes}
    people = ngettext("%(count)s person", "%(count)s people", one.attendees) % {"count": one.attendees}
    times = ngettext("%(count)s time a year", "%(count)s times a year", one.occurrences_per_year) % {
        "count": one.occurrences_per_year}
    return _("%(often)s, %(minutes)s, %(people)s (%(times)s)") % {
        "often": recurrence_word(one.recurrence, lang), "minutes": minutes, "people": people, "times": times}

