"""The decision: a value holding everything the JSON and the reports show, computed once.

Immutable records (typing.NamedTuple), like the proposal's: `_replace` makes a changed copy.
Adding up is all that happens here: the engine said which rules fired, and the caller hands
in how a rule's snippet is rendered. Wording and JSON are `advisor.report`'s.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from advisor.core.meeting import Person
from advisor.core.records import EMPTY
from advisor.core.rules import Rule, RulePack
from advisor.core.vocabulary import DEFAULT_ALTERNATIVE, DEFAULT_CURRENCY, DEFERRALS, FORMATS, MEDIA, MEDIA_OF_FORMAT
from advisor.errors import Problem, RuleError

SnippetRenderer = Callable[[str, Mapping[str, Any]], str]  # (snippet source, facts) -> one line of text

BASE_NECESSITY = 40  # a meeting starts below the default threshold: it must earn its place
DEFAULT_THRESHOLD = 50


class FiredRule(NamedTuple):
    """A rule that fired, with its effects and its reason written for this proposal."""

    rule: str
    necessity: int
    formats: Mapping[str, int]
    reason: str  # its `because`, or its `trade_off` when it was overruled and has one
    source: str
    alternative: Optional[str] = None
    suggestion: Optional[str] = None
    # The rule's own texts in other languages, rendered only when asked for.
    translations: Mapping[str, Mapping[str, str]] = EMPTY
    media: Mapping[str, int] = EMPTY
    trade_off: bool = False  # the reason is the rule's `trade_off`: its points favour another way to meet


class Cost(NamedTuple):
    """What the meeting costs once, and over a year of its occurrences. Only staff hours are
    priced: guests' time (customers, prospects) is theirs."""

    attendee_hours: float  # staff_hours + guest_hours
    staff_hours: float
    guest_hours: float
    amount: float
    currency: str
    yearly_attendee_hours: float
    yearly_amount: float


class Step(NamedTuple):
    """One change to one field of the proposal: `kind` from `before` to `after`."""

    kind: str  # agenda, duration, attendees, recurrence, decision, load, topic
    before: Any
    after: Any


class Change(NamedTuple):
    """Steps taken together, and the verdict and score the engine gave the changed proposal."""

    steps: Tuple[Step, ...]
    verdict: str
    score: int


class WhatIf(NamedTuple):
    """The changes that flip a decision, and what finding them took."""

    changes: Tuple[Change, ...]
    checked: int  # changed proposals the engine decided

    @property
    def combined(self) -> bool:
        """No single change flips it: the only change found takes several steps together."""
        return bool(self.changes) and len(self.changes[0].steps) > 1


class Decision(NamedTuple):
    """Hold or skip, in which format, and why."""

    meeting: str
    source: str
    verdict: str
    score: int
    threshold: int
    format: str
    format_scores: Mapping[str, int]
    medium: str  # how people take part: one of MEDIA_OF_FORMAT[format]
    medium_scores: Mapping[str, int]
    alternative: Optional[str]
    cost: Cost
    fired: Tuple[FiredRule, ...]
    suggestions: Tuple[str, ...]
    pack: str
    version: str
    base: int = BASE_NECESSITY
    facts: Mapping[str, Any] = EMPTY
    what_if: Optional[WhatIf] = None  # computed on request: Advisor.check(..., what_if=True)
    load: Optional[Mapping[str, Any]] = None  # the recent load computed from calendars, when given
    load_limits: Mapping[str, Tuple[float, ...]] = EMPTY  # the pack's thresholds for the load (not in JSON)
    assumptions: Tuple[str, ...] = ()  # what the proposal did not say and was assumed (core.assumptions)
    organizer: Optional[Person] = None  # who proposes it, when the proposal says
    start: Optional[datetime] = None  # when it starts, when the proposal says

    @property
    def hold(self) -> bool:
        return self.verdict == "hold"

    @property
    def margin(self) -> int:
        """How far the score ends from the threshold: positive for a hold, negative for a skip."""
        return self.score - self.threshold


def decide(
    *,
    title: str,
    source: str,
    facts: Mapping[str, Any],
    fired_ids: "frozenset[str] | set[str]",
    pack: RulePack,
    render: SnippetRenderer,
    threshold: int = DEFAULT_THRESHOLD,
    currency: str = DEFAULT_CURRENCY,
    base: int = BASE_NECESSITY,
    assumptions: Sequence[str] = (),
    organizer: Optional[Person] = None,
    start: Optional[datetime] = None,
) -> Decision:
    """Add up the effects of the fired rules into a decision. No rule is evaluated here.

    `render` writes a fired rule's `because` and `suggestion` for this proposal; `assumptions`
    are what the proposal left unsaid (core.assumptions), kept for the reports.
    """
    fired_rules = [rule for rule in pack.rules if rule.id in fired_ids]
    verdict, score, raw = weigh(fired_rules, threshold, base)
    format_scores, medium_scores = dict.fromkeys(FORMATS, 0), dict.fromkeys(MEDIA, 0)
    for rule in fired_rules:  # names are FORMATS' and MEDIA's own: checked when the pack loads
        for name, points in rule.formats.items():
            format_scores[name] += points
        for name, points in rule.media.items():
            medium_scores[name] += points
    best = _best(format_scores, FORMATS, FORMATS)
    medium = _best(medium_scores, MEDIA_OF_FORMAT[best], MEDIA)
    context = {**facts, "title": title, "currency": currency}
    fired = tuple(_fire(rule, context, render, bool(rule.trade_off) and overruled(rule, best, medium))
                  for rule in fired_rules)
    suggestions = tuple(dict.fromkeys(f.suggestion for f in fired if f.suggestion))
    return Decision(
        meeting=title,
        source=source,
        verdict=verdict,
        score=score,
        threshold=threshold,
        format=best,
        format_scores=format_scores,
        medium=medium,
        medium_scores=medium_scores,
        alternative=None if verdict == "hold" else _alternative(fired, raw, threshold),
        cost=Cost(attendee_hours=facts["attendee_hours"], staff_hours=facts["staff_hours"],
                  guest_hours=facts["guest_hours"], amount=facts["cost"], currency=currency,
                  yearly_attendee_hours=facts["yearly_attendee_hours"], yearly_amount=facts["yearly_cost"]),
        fired=fired,
        suggestions=suggestions,
        pack=pack.name,
        version=pack.version,
        base=base,
        facts=dict(facts),
        load_limits=pack.load_limits,
        assumptions=tuple(assumptions),
        organizer=organizer,
        start=start,
    )


def _best(scores: Mapping[str, int], allowed: Sequence[str], order: Sequence[str]) -> str:
    """The allowed name with the most points; a tie goes to the one earliest in `order` (the lighter)."""
    return max(allowed, key=lambda name: (scores[name], -order.index(name)))


def weigh(fired_rules: Iterable[Union[Rule, FiredRule]], threshold: int = DEFAULT_THRESHOLD,
          base: int = BASE_NECESSITY) -> Tuple[str, int, int]:
    """The verdict, the score (kept within 0..100) and the raw total the fired rules add up to:
    the part of a decision that needs none of its reasons."""
    raw = base + sum(rule.necessity for rule in fired_rules)
    score = max(0, min(100, raw))
    return ("hold" if score >= threshold else "skip"), score, raw


def overruled(rule: Rule, fmt: str, medium: str) -> bool:
    """Whether the rule's points favour another format than `fmt`, or another medium than `medium`:
    it gives some of them points and the chosen one none."""
    return any(max(points.values(), default=0) > 0 and points.get(chosen, 0) <= 0
               for points, chosen in ((rule.formats, fmt), (rule.media, medium)))


def _fire(rule: Rule, context: Mapping[str, Any], render: SnippetRenderer, trade_off: bool) -> FiredRule:
    field, text = ("trade_off", rule.trade_off or "") if trade_off else ("because", rule.because)
    return FiredRule(
        rule=rule.id,
        necessity=rule.necessity,
        formats=rule.formats,  # read-only, as the rule's are
        reason=_render(rule, field, text, context, render),
        source=rule.source,
        alternative=rule.alternative,
        suggestion=_render(rule, "suggestion", rule.suggestion, context, render) if rule.suggestion else None,
        translations=rule.translations,
        media=rule.media,
        trade_off=trade_off,
    )


def _render(rule: Rule, name: str, source: str, context: Mapping[str, Any], render: SnippetRenderer) -> str:
    """A rule's snippet; one that fails on this proposal is the rule's fault and is reported as such."""
    try:
        return render(source, context)
    except Exception as error:
        raise RuleError([Problem(rule.file, f"template fails on the proposal {context.get('title')!r}: "
                                            f"{type(error).__name__}: {error}",
                                 rule.line or None, rule.column or None, f"{rule.id}.{name}")]) from None


def _alternative(fired: Sequence[FiredRule], raw: int, threshold: int) -> str:
    """The alternative named by the rule that weighed most against the meeting.

    One that only defers the meeting (DEFERRALS: wait until the load falls) is named only
    when the rules naming it are all that keep the meeting from a hold: were they not there,
    it would be held. Otherwise waiting would not be enough, and the next one is named.
    """
    for candidate in sorted((f for f in fired if f.alternative), key=lambda f: f.necessity):
        if candidate.alternative in DEFERRALS:
            without = raw - sum(f.necessity for f in fired if f.alternative == candidate.alternative)
            if max(0, min(100, without)) < threshold:
                continue
        return candidate.alternative  # type: ignore[return-value]  # filtered above
    return DEFAULT_ALTERNATIVE
