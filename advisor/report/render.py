"""Decisions for people (text, Markdown, HTML through Jinja templates) and for machines (JSON).

`view()` words everything a template shows, in the reader's language, so that the templates
(ours and users' own, `--template FILE`) only lay it out. Templates run in Jinja's sandbox with
StrictUndefined and the i18n extension over the Babel catalogues of advisor/report/locale.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from advisor.core.decision import Decision, FiredRule
from advisor.core.vocabulary import ALTERNATIVES, DEFAULT_ALTERNATIVE
from advisor.errors import ConfigError, Problem, one_line
from advisor.packs.budget import rendering, report_limits
from advisor.report.i18n import (
    DEFAULT_LANGUAGE,
    bidi_number,
    check_language,
    direction,
    join_words,
    money,
    num,
    plural_count,
    rule_text,
    snippet_context,
    translations,
)
from advisor.report.json_format import to_json, what_if_list
from advisor.report.templates import loader, read_template, render_file_template, sandbox
from advisor.resources import templates_dir

if TYPE_CHECKING:
    from jinja2.sandbox import SandboxedEnvironment

FORMATS_FOR_PEOPLE = ("text", "markdown", "html")
OUTPUT_FORMATS = FORMATS_FOR_PEOPLE + ("json",)
_TEMPLATES = {"text": "decision.txt.j2", "markdown": "decision.md.j2", "html": "decision.html.j2"}
TOP_REASONS = 3  # the reasons a short justification gives

# Terminal colours of the text format, by what is shown: ANSI SGR codes (green, yellow, bold, dim).
_STYLES = {"hold": "\x1b[32m\x1b[1m", "skip": "\x1b[33m\x1b[1m", "plus": "\x1b[32m", "minus": "\x1b[33m",
           "label": "\x1b[1m", "dim": "\x1b[2m"}
_RESET = "\x1b[0m"


def render(decision: Decision, fmt: str = "text", *, lang: str = DEFAULT_LANGUAGE, color: bool = False,
           template: Union[str, Path, None] = None) -> str:
    """One decision as `text`, `markdown`, `html` or `json`, in `lang` (see `render_many`)."""
    return render_many([decision], fmt, lang=lang, color=color, template=template)


def render_many(decisions: Sequence[Decision], fmt: str = "text", *, lang: str = DEFAULT_LANGUAGE,
                color: bool = False, template: Union[str, Path, None] = None, array: Optional[bool] = None) -> str:
    """Several decisions in one document of the given format and language.

    `color` styles the text format for a terminal; `template` is the path of a Jinja template
    to use instead of the format's own (it gets `decisions`, a list of `view()`s, and `paint`).
    `array` is for JSON: see `to_json`.
    """
    check_language(lang)
    if fmt == "json":
        if template is not None:
            raise ConfigError([Problem(str(template), "a template cannot shape the JSON output; "
                                                      "choose --format text, markdown or html")])
        return to_json(decisions, lang, array) + "\n"
    if fmt not in _TEMPLATES:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(OUTPUT_FORMATS)}")
    source = None if template is None else read_template(template)  # before any work: a bad file fails fast
    environment = _environment(fmt == "html", lang)
    paint = _painter(color and fmt == "text")
    views = [view(d, lang) for d in decisions]
    context = {"decisions": views, "paint": paint}
    limits = report_limits(len(views))
    if template is None:  # ours: its loops are counted as a user's are, its output is as long as it is
        with rendering(limits):
            return environment.get_template(_TEMPLATES[fmt]).render(context)
    given = sum(len(v["title"]) + len(v["d"].source) for v in views)  # the proposals' own text, all of it
    return render_file_template(environment, Path(template), context, limits, source, given)


class Painted(str):
    """Text the advisor coloured itself: its escape sequences are its own, and are kept."""


def _painter(color: bool) -> Callable[[Any, str], str]:
    if not color:
        return lambda text, role: str(text)
    return lambda text, role: Painted(f"{_STYLES[role]}{terminal_text(str(text))}{_RESET}")


def terminal_text(value: Any) -> Any:
    """What the text and Markdown formats print of a value: control characters, escape
    sequences and bidi controls shown escaped (`\\x1b`, `\\n`, `\\u202e`), so that a title can
    neither drive the terminal, reorder the line, nor start a line of its own; the advisor's
    own colours (`Painted`) and the marks Arabic text uses are kept."""
    if isinstance(value, str) and not isinstance(value, Painted):
        return one_line(value)
    return value


def view(decision: Decision, lang: str = DEFAULT_LANGUAGE) -> Dict[str, Any]:
    """Everything a template shows about one decision, worded in `lang`; templates stay dumb."""
    catalogue = translations(check_language(lang))
    _, ngettext = catalogue.gettext, catalogue.ngettext
    d = decision
    context = snippet_context(d)
    weighty = sorted((f for f in d.fired if f.necessity), key=lambda f: -abs(f.necessity))
    reasons = [_reason(f, lang, context) for f in weighty]
    widest = max([abs(r["delta"]) for r in reasons] + [1])
    for reason in reasons:
        reason["share"] = abs(reason["delta"]) / widest
    toward = [r for r in reasons if (r["delta"] > 0) == d.hold]
    against = [r for r in reasons if (r["delta"] > 0) != d.hold]
    ranked = sorted(d.format_scores.items(), key=lambda kv: -kv[1])
    runner_up = next((name for name, _ in ranked if name != d.format), None)
    format_names = _format_names(lang)
    widest_format = max([abs(score) for _, score in ranked] + [1])
    return {
        "d": d,
        "lang": lang,
        "dir": direction(lang),
        "title": d.meeting,
        "verdict": d.verdict,
        "verdict_label": _("HOLD") if d.hold else _("SKIP"),
        "headline": _hold_sentence(d.format, lang) if d.hold else _("Instead: %(alternative)s.") % {
            "alternative": alternative_text(d.alternative, lang)},
        "alternative": alternative_text(d.alternative, lang) if d.alternative else None,
        "score_line": _("score %(score)s/100, threshold %(threshold)s") % {"score": d.score, "threshold": d.threshold},
        "case": toward[:TOP_REASONS],
        "case_label": _("Why") if toward else None,
        "counter": against[0] if against else None,
        "counter_label": _("Against it") if d.hold else _("In its favour"),
        "more_reasons": max(0, len(reasons) - len(toward[:TOP_REASONS]) - min(1, len(against))),
        "reasons": reasons,
        "cost": ngettext("%(hours)s attendee-hour, %(amount)s", "%(hours)s attendee-hours, %(amount)s",
                         plural_count(d.cost.attendee_hours)) % {
            "hours": num(d.cost.attendee_hours), "amount": money(d.cost.amount, d.cost.currency, lang)},
        "yearly_cost": ngettext("%(hours)s attendee-hour and %(amount)s a year",
                                "%(hours)s attendee-hours and %(amount)s a year",
                                plural_count(d.cost.yearly_attendee_hours)) % {
            "hours": num(d.cost.yearly_attendee_hours), "amount": money(d.cost.yearly_amount, d.cost.currency, lang)}
        if d.facts.get("recurring") else None,
        "load": _load_line(d, lang),
        "format": d.format,
        "format_label": _("Format") if d.hold else _("Format if held"),
        "format_name": format_names[d.format],
        "format_choice": _format_choice(d, runner_up, lang, context),
        "format_scores": [{"format": name, "name": format_names[name], "score": score,
                           "share": abs(score) / widest_format} for name, score in ranked],
        "runner_up": runner_up,
        "suggestions": _suggestions(d, lang, context),
        "what_if": _what_if(d, lang),
        "what_if_note": _what_if_note(d, lang),
        "rules_line": _("Rules: %(pack)s %(version)s") % {"pack": d.pack, "version": d.version},
    }


def _reason(fired: FiredRule, lang: str, context: Mapping[str, Any]) -> Dict[str, Any]:
    return {"rule": fired.rule, "delta": fired.necessity, "text": rule_text(fired, "because", lang, context),
            "source": fired.source}


def _suggestions(decision: Decision, lang: str, context: Mapping[str, Any]) -> List[str]:
    """Distinct suggestions, those of the rules that weigh most first."""
    fired = sorted(decision.fired, key=lambda f: -abs(f.necessity))
    texts = [rule_text(f, "suggestion", lang, context) for f in fired if f.suggestion]
    return list(dict.fromkeys(t for t in texts if t))


def alternative_text(alternative: Optional[str], lang: str) -> str:
    return translations(lang).gettext(ALTERNATIVES[alternative or DEFAULT_ALTERNATIVE])


def _format_names(lang: str) -> Dict[str, str]:
    _ = translations(lang).gettext
    return {"formal": _("formal meeting"), "one_on_one": _("one-on-one"), "call": _("call"), "video": _("video")}


def _hold_sentence(fmt: str, lang: str) -> str:
    _ = translations(lang).gettext
    return {"formal": _("Hold it as a formal meeting in person."),
            "one_on_one": _("Hold it as a one-on-one conversation."),
            "call": _("Hold it as a conference call."),
            "video": _("Hold it as a video conference.")}[fmt]


def _format_choice(decision: Decision, runner_up: Optional[str], lang: str, context: Mapping[str, Any]) -> str:
    """'Video (45) rather than call (20): <the reason that tipped it most>'."""
    _ = translations(lang).gettext
    names = _format_names(lang)
    chosen = decision.format
    if runner_up is None:
        return names[chosen]
    scores = decision.format_scores
    line = _("%(chosen)s (%(score)s) rather than %(other)s (%(other_score)s)") % {
        "chosen": names[chosen], "score": bidi_number(scores[chosen], lang), "other": names[runner_up],
        "other_score": bidi_number(scores[runner_up], lang)}
    if lang == "en":
        line = line[:1].upper() + line[1:]
    tipping = [f for f in decision.fired if f.formats.get(chosen, 0) - f.formats.get(runner_up, 0) > 0]
    if not tipping:
        return line + _(": a tie, which goes to the lighter format.")
    strongest = max(tipping, key=lambda f: f.formats.get(chosen, 0) - f.formats.get(runner_up, 0))
    return line + _(": ") + (rule_text(strongest, "because", lang, context) or "")


def _load_line(decision: Decision, lang: str) -> str:
    """The audience's weekly meeting load against the thresholds the rules compare it with."""
    catalogue = translations(lang)
    _, ngettext = catalogue.gettext, catalogue.ngettext
    hours, meetings = decision.facts.get("load_hours"), decision.facts.get("load_meetings")
    limits = decision.load_limits
    parts = []
    if hours is not None:
        measure = ngettext("%(hours)s hour a week in meetings per person",
                           "%(hours)s hours a week in meetings per person", plural_count(hours)) % {"hours": num(hours)}
        parts.append(measure + _against(hours, limits.get("load_hours", ()), lang))
    if meetings is not None:
        measure = ngettext("%(meetings)s meeting a week", "%(meetings)s meetings a week",
                           plural_count(meetings)) % {"meetings": num(meetings)}
        parts.append(measure + _against(meetings, limits.get("load_meetings", ()), lang))
    if not parts:
        return _("not given")
    return _("; ").join(parts)


def _against(value: float, limits: Sequence[float], lang: str) -> str:
    """', reaching the rules' threshold of 15, short of 20'."""
    catalogue = translations(lang)
    _, ngettext = catalogue.gettext, catalogue.ngettext
    past = [num(limit) for limit in limits if value >= limit]
    short = [num(limit) for limit in limits if value < limit]
    clauses = []
    if past:
        clauses.append(ngettext("reaching the rules' threshold of %(limits)s",
                                "reaching the rules' thresholds of %(limits)s", len(past)) % {
            "limits": join_words(past, lang)})
    if short and past:
        clauses.append(_("short of %(limits)s") % {"limits": join_words(short, lang)})
    elif short:
        clauses.append(ngettext("short of the rules' threshold of %(limits)s",
                                "short of the rules' thresholds of %(limits)s", len(short)) % {
            "limits": join_words(short, lang)})
    return "".join(_(", ") + clause for clause in clauses)


def _what_if(decision: Decision, lang: str) -> Optional[List[Dict[str, Any]]]:
    if decision.what_if is None:
        return None
    _ = translations(lang).gettext
    return [{"text": item["change"], "verdict": item["verdict"], "score": item["score"],
             "verdict_label": _("HOLD") if item["verdict"] == "hold" else _("SKIP")}
            for item in what_if_list(decision.what_if, lang)]


def _what_if_note(decision: Decision, lang: str) -> Optional[str]:
    """What to say before the changes, or instead of them when there are none."""
    what_if = decision.what_if
    if what_if is None:
        return None
    _ = translations(lang).gettext
    if what_if.combined:
        return _("No single change is enough; all of these together would:")
    if what_if.changes:
        return None
    if decision.hold:
        return _("None of the changes tried (agenda, length, audience, frequency, decision, load) makes it a skip.")
    return _("None of the changes tried (agenda, length, audience, frequency, decision, load), even together, "
             "makes it worth holding.")


@lru_cache(maxsize=8)
def _environment(html: bool, lang: str) -> "SandboxedEnvironment":
    from jinja2 import StrictUndefined

    environment = sandbox(
        loader=loader([templates_dir()]),
        undefined=StrictUndefined,
        autoescape=html,
        finalize=None if html else terminal_text,  # every {{ }} of text and Markdown; HTML escapes its own way
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.policies["ext.i18n.trimmed"] = True
    environment.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    # A sign before digits is moved after them in right-to-left text unless marked left-to-right.
    mark = "\u200e" if direction(lang) == "rtl" and not html else ""
    environment.filters.update(num=num, signed=lambda n: (mark + f"{n:+d}").rjust(4 + len(mark)), md=markdown_text,
                               cell=markdown_text,  # line breaks are shown as \n: a cell stays one line
                               capitalize_first=lambda text: str(text)[:1].upper() + str(text)[1:])
    return environment


_MARKDOWN_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})
_BLOCK_START = re.compile(r"^(\s*)(?:([-+=])|(\d+)([.)]))")  # what would make a list item or a heading of it


def markdown_text(text: Any) -> str:
    """Text shown as written in Markdown: its emphasis, link, HTML and table characters escaped,
    its line breaks shown as `\\n` (a title cannot start a line of its own, such as a list item
    `- APPROVED by CFO`), and a list or heading marker at its start escaped."""
    return _BLOCK_START.sub(_escaped_marker, one_line(str(text).translate(_MARKDOWN_SPECIAL)), count=1)


def _escaped_marker(match: "re.Match[str]") -> str:
    space, sign, number, dot = match.groups()
    return f"{space}\\{sign}" if sign else f"{space}{number}\\{dot}"
