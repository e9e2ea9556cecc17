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
from advisor.core.vocabulary import ALTERNATIVES, DEFAULT_ALTERNATIVE, MEDIA_OF_FORMAT
from advisor.errors import ConfigError, Problem, one_line
from advisor.packs.budget import rendering, report_limits
from advisor.report.i18n import (
    DEFAULT_LANGUAGE,
    check_language,
    direction,
    join_words,
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

# The wording of the human formats (advisor.report.phrases, .ways) is imported by view(): a JSON
# check does not need it (the assumptions' words it does need, through report.json_format).

FORMATS_FOR_PEOPLE = ("text", "markdown", "html")
OUTPUT_FORMATS = FORMATS_FOR_PEOPLE + ("json",)
_TEMPLATES = {"text": "decision.txt.j2", "markdown": "decision.md.j2", "html": "decision.html.j2"}

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
    environment = template_environment(fmt == "html", lang)
    paint = _painter(color and fmt == "text")
    views = [view(d, lang) for d in decisions]
    context = {"decisions": views, "paint": paint}
    limits = report_limits(len(views))
    if template is None:  # ours: its loops are counted as a user's are, its output is as long as it is
        with rendering(limits):
            return environment.get_template(_TEMPLATES[fmt]).render(context)
    given = sum(len(v["title"]) + len(v["d"].source) for v in views)  # the proposals' own text, all of it
    return render_file_template(environment, Path(template), context, limits, source, given)


def render_note(decision: Decision, lang: str = DEFAULT_LANGUAGE) -> str:
    """The short justification an annotated invitation carries: verdict, cost, the reasons that
    weigh most (templates/annotation.txt.j2), in `lang`."""
    environment = template_environment(False, check_language(lang))
    with rendering(report_limits(1)):
        return environment.get_template("annotation.txt.j2").render(decisions=[view(decision, lang)]).strip("\n")


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
    """Everything a template shows about one decision, worded in `lang`; templates stay dumb.

    Every reason that moved the score (`reasons`: `case` for the verdict, `against` the other
    way) or the way to meet (`format_reasons`) is here once.
    """
    from advisor.report.assumed import assumption_texts
    from advisor.report.phrases import (
        about,
        cost_line,
        costs,
        organizer,
        score_line,
        score_start,
        source_name,
        start_text,
    )
    from advisor.report.ways import format_choice, format_names, way

    _ = translations(check_language(lang)).gettext
    d = decision
    context = snippet_context(d, lang)
    weighty = sorted((f for f in d.fired if f.necessity), key=lambda f: -abs(f.necessity))
    reasons = [_reason(f, lang, context) for f in weighty]
    widest = max([abs(r["delta"]) for r in reasons] + [1])
    for reason in reasons:
        reason["share"] = abs(reason["delta"]) / widest
    toward = [r for r in reasons if (r["delta"] > 0) == d.hold]
    against = [r for r in reasons if (r["delta"] > 0) != d.hold]
    ranked = sorted(d.format_scores.items(), key=lambda kv: -kv[1])
    runner_up = next((name for name, _ in ranked if name != d.format), None)
    names = format_names(lang)
    widest_format = max([abs(score) for _, score in ranked] + [1])
    held_as = way(d, lang)
    once, yearly = costs(d, lang)
    return {
        "d": d,
        "lang": lang,
        "dir": direction(lang),
        "title": d.meeting,
        "verdict": d.verdict,
        "verdict_label": _("HOLD") if d.hold else _("SKIP"),
        "headline": _("Hold it: %(way)s.") % {"way": _lower_first(held_as, lang)} if d.hold
        else _("Instead: %(alternative)s.") % {"alternative": alternative_text(d.alternative, lang)},
        "alternative": alternative_text(d.alternative, lang) if d.alternative else None,
        "score_line": score_line(d, lang),
        "score_start": score_start(d, lang),
        "organizer": organizer(d),
        "date": start_text(d, lang),
        "file": source_name(d),
        "about": about(d, lang),
        "case": toward,
        "case_label": _("Why") if toward else None,
        "against": against,
        "counter": against[0] if against else None,
        "counter_label": _("Against it") if d.hold else _("In its favour"),
        "reasons": reasons,
        "cost": once,
        "yearly_cost": yearly,
        "cost_line": cost_line(d, lang),
        "load": _load_line(d, lang),
        "format": d.format,
        "medium": d.medium,
        "format_label": _("Format") if d.hold else _("Format if held"),
        "format_name": held_as,
        "format_choice": format_choice(d, runner_up, lang),
        "format_reasons": _format_reasons(d, runner_up, lang, context),
        "format_reasons_label": _("How it is held") if d.hold else _("How it would be held"),
        "format_scores": [{"format": name, "name": names[name], "score": score,
                           "share": abs(score) / widest_format} for name, score in ranked],
        "runner_up": runner_up,
        "assumptions": assumption_texts(d, lang),
        "suggestions": _suggestions(d, lang, context),
        "what_if": _what_if(d, lang),
        "what_if_note": _what_if_note(d, lang),
        "rules_line": _("Rules: %(pack)s %(version)s") % {"pack": d.pack, "version": d.version},
    }


def _lower_first(text: str, lang: str) -> str:
    return text[:1].lower() + text[1:] if lang == "en" else text


def _reason(fired: FiredRule, lang: str, context: Mapping[str, Any]) -> Dict[str, Any]:
    return {"rule": fired.rule, "delta": fired.necessity, "text": rule_text(fired, "because", lang, context),
            "source": fired.source}


def _format_reasons(decision: Decision, runner_up: Optional[str], lang: str,
                    context: Mapping[str, Any]) -> List[str]:
    """The reasons of the rules that only chose how to meet (no points of necessity) and gave points
    to the chosen format, the runner-up, or a medium the format allows; those that set the chosen
    format furthest ahead of the runner-up first."""
    contenders = {decision.format, runner_up}
    allowed = MEDIA_OF_FORMAT[decision.format]

    def lead(fired: FiredRule) -> int:
        return fired.formats.get(decision.format, 0) - (fired.formats.get(runner_up, 0) if runner_up else 0)

    shaping = [f for f in decision.fired if not f.necessity
               and (contenders & set(f.formats) or set(allowed) & set(f.media))]
    return [rule_text(f, "because", lang, context) or "" for f in sorted(shaping, key=lambda f: -lead(f))]


def _suggestions(decision: Decision, lang: str, context: Mapping[str, Any]) -> List[str]:
    """Distinct suggestions, those of the rules that weigh most first."""
    fired = sorted(decision.fired, key=lambda f: -abs(f.necessity))
    texts = [rule_text(f, "suggestion", lang, context) for f in fired if f.suggestion]
    return list(dict.fromkeys(t for t in texts if t))


def alternative_text(alternative: Optional[str], lang: str) -> str:
    return translations(lang).gettext(ALTERNATIVES[alternative or DEFAULT_ALTERNATIVE])


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
    """', above the rules' threshold of 15, short of 20'; 'at' for a load equal to a threshold."""
    catalogue = translations(lang)
    _, ngettext = catalogue.gettext, catalogue.ngettext
    above = [num(limit) for limit in limits if value > limit]
    at = [num(limit) for limit in limits if value == limit]
    short = [num(limit) for limit in limits if value < limit]
    clauses = []
    if above:
        clauses.append(ngettext("above the rules' threshold of %(limits)s",
                                "above the rules' thresholds of %(limits)s", len(above)) % {
            "limits": join_words(above, lang)})
    if at:  # thresholds are distinct: the load equals one of them at most
        clauses.append(_("at the rules' threshold of %(limits)s") % {"limits": at[0]})
    past = above + at
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
    if decision.hold:  # how robust the hold is, and its realistic risks
        from advisor.report.phrases import margin_word

        word = margin_word(decision, lang)
        if what_if.changes:
            return _("%(verdict)s; any one of these would make it a skip:") % {"verdict": _capital(word, lang)}
        return _("%(verdict)s: no realistic single change makes it a skip.") % {"verdict": _capital(word, lang)}
    if what_if.changes:
        return None
    return _("No realistic change, even several together, makes it worth holding.")


def _capital(text: str, lang: str) -> str:
    return text[:1].upper() + text[1:] if lang == "en" else text


@lru_cache(maxsize=8)
def template_environment(html: bool, lang: str) -> "SandboxedEnvironment":
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
