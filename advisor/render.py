"""Decisions for people (text, Markdown, HTML through Jinja templates) and for machines (JSON)."""
from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Dict, List, Sequence

from .decision import Decision, FiredRule
from .resources import templates_dir

FORMATS_FOR_PEOPLE = ("text", "markdown", "html")
OUTPUT_FORMATS = FORMATS_FOR_PEOPLE + ("json",)
_TEMPLATES = {"text": "decision.txt.j2", "markdown": "decision.md.j2", "html": "decision.html.j2"}

FORMAT_NAMES = {
    "formal": "a formal meeting in person",
    "one_on_one": "a one-on-one conversation",
    "call": "a conference call",
    "video": "a video conference",
}


def to_json(decisions: Sequence[Decision]) -> str:
    """One object for one decision, an array for several (spec/decision.md)."""
    value: Any = decisions[0].to_dict() if len(decisions) == 1 else [d.to_dict() for d in decisions]
    return json.dumps(value, indent=2, ensure_ascii=False)


def render(decision: Decision, fmt: str = "text") -> str:
    return render_many([decision], fmt)


def render_many(decisions: Sequence[Decision], fmt: str = "text") -> str:
    """Several decisions in one document of the given format."""
    if fmt == "json":
        return to_json(decisions) + "\n"
    if fmt not in _TEMPLATES:
        raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(OUTPUT_FORMATS)}")
    template = _environment(fmt == "html").get_template(_TEMPLATES[fmt])
    return template.render(decisions=[view(d) for d in decisions])


def view(decision: Decision) -> Dict[str, Any]:
    """What templates need beyond the decision itself, computed here so they stay dumb."""
    weighed = sorted((f for f in decision.fired if f.necessity), key=lambda f: -abs(f.necessity))
    ranked = sorted(decision.format_scores.items(), key=lambda kv: -kv[1])
    ranked_suggestions = [f.suggestion for f in sorted(decision.fired, key=lambda f: -abs(f.necessity))
                          if f.suggestion]
    return {
        "d": decision,
        "reasons": weighed,
        "suggestions": list(dict.fromkeys(ranked_suggestions)),
        "reasons_for": [f for f in weighed if f.necessity > 0],
        "reasons_against": [f for f in weighed if f.necessity < 0],
        "format_reasons": _format_reasons(decision.fired, decision.format),
        "format_name": FORMAT_NAMES[decision.format],
        "ranked_formats": ranked,
        "runner_up": next((name for name, _ in ranked if name != decision.format), None),
    }


def _format_reasons(fired: Sequence[FiredRule], chosen: str) -> List[FiredRule]:
    helping = [f for f in fired if f.formats.get(chosen, 0) > 0]
    return sorted(helping, key=lambda f: -f.formats[chosen])


@lru_cache(maxsize=2)
def _environment(html: bool) -> Any:
    from jinja2 import FileSystemLoader, StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    from .text import money, num

    environment = SandboxedEnvironment(
        loader=FileSystemLoader(str(templates_dir())),
        undefined=StrictUndefined,
        autoescape=html,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(num=num, money=money, signed=lambda n: f"{n:+d}".rjust(4))
    return environment
