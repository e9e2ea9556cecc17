"""`--explain`: a report followed by every rule of each decision, fired or not and why."""
from __future__ import annotations

import json
from typing import Sequence

from advisor.core.decision import Decision
from advisor.errors import one_line
from advisor.packs.explain import RuleExplanation


def render_explained(decisions: Sequence[Decision], explanations: Sequence[Sequence[RuleExplanation]],
                     fmt: str, report: str) -> str:
    """`report` (the decisions rendered as usual) followed by each decision's rules, one by one;
    for JSON, each decision object gains an `explain` list."""
    if fmt == "json":  # added to the JSON as rendered, which may be worded in another language
        value = json.loads(report)
        for decision, rules in zip(value if isinstance(value, list) else [value], explanations):
            decision["explain"] = [e.to_dict() for e in rules]
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
    sections = [(markdown if fmt == "markdown" else text)(d, rules) for d, rules in zip(decisions, explanations)]
    return report.rstrip("\n") + "\n\n" + "\n".join(sections)


def _summary(decision: Decision, rules: Sequence[RuleExplanation]) -> str:
    fired = sum(1 for r in rules if r.fired)
    return f"{fired} of {len(rules)} rules fired ({decision.pack} {decision.version})"


def _effect(r: RuleExplanation) -> str:
    """What a fired rule added: '-15', 'video +10', '+25, one_on_one +30', 'in_person +20'."""
    if not r.fired:
        return ""
    parts = [f"{r.necessity:+d}"] if r.necessity else []
    return ", ".join(parts + [f"{name} {points:+d}" for name, points in {**r.formats, **r.media}.items()])


def text(decision: Decision, rules: Sequence[RuleExplanation]) -> str:
    """Aligned lines: 'fired  heavy-meeting-load  -15  load_hours 15 >= 15'."""
    width = max((len(r.rule) for r in rules), default=0)
    effects = max((len(_effect(r)) for r in rules), default=0)
    lines = [f"Rules for {one_line(decision.meeting)}: {_summary(decision, rules)}"]
    for r in rules:
        state = "fired" if r.fired else "-"
        lines.append(f"  {state:5}  {r.rule:{width}}  {_effect(r):{effects}}  {r.detail}".rstrip())
    return "\n".join(lines) + "\n"


def markdown(decision: Decision, rules: Sequence[RuleExplanation]) -> str:
    from advisor.report.render import markdown_text

    lines = [f"### Rules for {markdown_text(decision.meeting)}", "", _summary(decision, rules) + ".", "",
             "| rule | fired | effects | condition, with this proposal's values |", "|---|---|---|---|"]
    for r in rules:
        effect = _effect(r)
        detail = r.detail.replace("|", "\\|")  # facts and rule words only: no text of the proposal's
        lines.append(f"| `{r.rule}` | {'yes' if r.fired else 'no'} | {effect} | {detail} |")
    return "\n".join(lines) + "\n"
