"""The decision: a value holding everything the JSON and the templates show, computed once.

Immutable records (typing.NamedTuple), like the proposal's: `_replace` makes a changed copy.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Iterable, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from .records import EMPTY
from .rules import Rule, RulePack
from .snippets import render_snippet  # compiled snippets when the pack has them, else Jinja
from .vocabulary import DEFAULT_ALTERNATIVE, DEFAULT_CURRENCY, FORMATS

if TYPE_CHECKING:
    from .whatif import WhatIf

BASE_NECESSITY = 40  # a meeting starts below the default threshold: it must earn its place
DEFAULT_THRESHOLD = 50


class FiredRule(NamedTuple):
    """A rule that fired, with its effects and its reason written for this proposal."""

    rule: str
    necessity: int
    formats: Mapping[str, int]
    reason: str
    source: str
    alternative: Optional[str] = None
    suggestion: Optional[str] = None
    # The rule's own `because`/`suggestion` in other languages, rendered only when asked for.
    translations: Mapping[str, Mapping[str, str]] = EMPTY

    def to_dict(self) -> Dict[str, Any]:
        return {"rule": self.rule, "necessity": self.necessity, "formats": dict(self.formats),
                "reason": self.reason, "source": self.source}


class Cost(NamedTuple):
    """What the meeting costs once, and over a year of its occurrences."""

    attendee_hours: float
    amount: float
    currency: str
    yearly_attendee_hours: float
    yearly_amount: float

    def to_dict(self) -> Dict[str, Any]:
        return self._asdict()


class Decision(NamedTuple):
    """Hold or skip, in which format, and why."""

    meeting: str
    source: str
    verdict: str
    score: int
    threshold: int
    format: str
    format_scores: Mapping[str, int]
    alternative: Optional[str]
    cost: Cost
    fired: Tuple[FiredRule, ...]
    suggestions: Tuple[str, ...]
    pack: str
    version: str
    base: int = BASE_NECESSITY
    facts: Mapping[str, Any] = EMPTY
    what_if: Optional["WhatIf"] = None  # computed on request: Advisor.check(..., what_if=True)
    load: Optional[Mapping[str, Any]] = None  # the recent load computed from calendars, when given
    load_limits: Mapping[str, Tuple[float, ...]] = EMPTY  # the pack's thresholds for the load (not in JSON)

    @property
    def hold(self) -> bool:
        return self.verdict == "hold"

    def to_dict(self) -> Dict[str, Any]:
        """The JSON of spec/decision.md: stable keys, plain values."""
        return {
            "meeting": self.meeting,
            "source": self.source,
            "verdict": self.verdict,
            "score": self.score,
            "threshold": self.threshold,
            "format": self.format,
            "format_scores": dict(self.format_scores),
            "alternative": self.alternative,
            "cost": self.cost.to_dict(),
            "fired": [f.to_dict() for f in self.fired],
            "suggestions": list(self.suggestions),
            "rules": {"pack": self.pack, "version": self.version},
            "base": self.base,
            "facts": dict(self.facts),
            "what_if": None if self.what_if is None else self.what_if.to_list(),
            **({"load": dict(self.load)} if self.load is not None else {}),
        }

    def render(self, fmt: str = "text", **options: Any) -> str:
        """The decision as `text`, `markdown`, `html` or `json`."""
        from .render import render

        return render(self, fmt, **options)


def decide(
    *,
    title: str,
    source: str,
    facts: Mapping[str, Any],
    fired_ids: "frozenset[str] | set[str]",
    pack: RulePack,
    threshold: int = DEFAULT_THRESHOLD,
    currency: str = DEFAULT_CURRENCY,
    base: int = BASE_NECESSITY,
) -> Decision:
    """Add up the effects of the fired rules into a decision. No rule is evaluated here."""
    fired_rules = [rule for rule in pack.rules if rule.id in fired_ids]
    context = {**facts, "title": title}
    fired = tuple(_fire(rule, context) for rule in fired_rules)
    verdict, score, _ = weigh(fired_rules, threshold, base)
    format_scores = dict.fromkeys(FORMATS, 0)
    for rule in fired_rules:
        for name, points in rule.formats.items():  # names are FORMATS' own: checked when the pack loads
            format_scores[name] += points
    best = max(FORMATS, key=lambda name: (format_scores[name], -FORMATS.index(name)))
    suggestions = tuple(dict.fromkeys(f.suggestion for f in fired if f.suggestion))
    return Decision(
        meeting=title,
        source=source,
        verdict=verdict,
        score=score,
        threshold=threshold,
        format=best,
        format_scores=format_scores,
        alternative=None if verdict == "hold" else _alternative(fired),
        cost=Cost(facts["attendee_hours"], facts["cost"], currency,
                  facts["yearly_attendee_hours"], facts["yearly_cost"]),
        fired=fired,
        suggestions=suggestions,
        pack=pack.name,
        version=pack.version,
        base=base,
        facts=dict(facts),
        load_limits=pack.load_limits,
    )


def weigh(fired_rules: Iterable[Union[Rule, FiredRule]], threshold: int = DEFAULT_THRESHOLD,
          base: int = BASE_NECESSITY) -> Tuple[str, int, int]:
    """The verdict, the score (kept within 0..100) and the raw total the fired rules add up to:
    the part of a decision that needs none of its reasons."""
    raw = base + sum(rule.necessity for rule in fired_rules)
    score = max(0, min(100, raw))
    return ("hold" if score >= threshold else "skip"), score, raw


def _fire(rule: Rule, context: Mapping[str, Any]) -> FiredRule:
    return FiredRule(
        rule=rule.id,
        necessity=rule.necessity,
        formats=rule.formats,  # read-only, as the rule's are
        reason=_render(rule, "because", rule.because, context),
        source=rule.source,
        alternative=rule.alternative,
        suggestion=_render(rule, "suggestion", rule.suggestion, context) if rule.suggestion else None,
        translations=rule.translations,
    )


def _render(rule: Rule, name: str, source: str, context: Mapping[str, Any]) -> str:
    """A rule's snippet; one that fails on this proposal is the rule's fault and is reported as such."""
    try:
        return render_snippet(source, context)
    except Exception as error:
        from .errors import Problem, RuleError

        raise RuleError([Problem(rule.file, f"template fails on the proposal {context.get('title')!r}: "
                                            f"{type(error).__name__}: {error}",
                                 rule.line or None, rule.column or None, f"{rule.id}.{name}")]) from None


def _alternative(fired: Sequence[FiredRule]) -> str:
    """The alternative named by the rule that weighed most against the meeting."""
    named = [f for f in fired if f.alternative]
    if not named:
        return DEFAULT_ALTERNATIVE
    return min(named, key=lambda f: f.necessity).alternative  # type: ignore[return-value]
