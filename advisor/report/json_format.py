"""Decisions as JSON for machines: the stable keys of docs/decision.md, texts in the reader's language."""
from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Sequence

from advisor.core.decision import Decision, WhatIf
from advisor.report.assumed import assumption_texts
from advisor.report.changes import describe_change
from advisor.report.i18n import DEFAULT_LANGUAGE, check_language, rule_text, snippet_context


def to_dict(decision: Decision, lang: str = DEFAULT_LANGUAGE) -> Dict[str, Any]:
    """The JSON object of one decision (docs/decision.md), its reasons, suggestions and what-if
    changes worded in `lang`; `what_if` is null unless the search was asked for."""
    d = decision
    value: Dict[str, Any] = {
        "meeting": d.meeting,
        "source": d.source,
        "organizer": None if d.organizer is None else d.organizer._asdict(),
        "start": None if d.start is None else d.start.isoformat(),
        "verdict": d.verdict,
        "score": d.score,
        "threshold": d.threshold,
        "format": d.format,
        "format_scores": dict(d.format_scores),
        "medium": d.medium,
        "medium_scores": dict(d.medium_scores),
        "alternative": d.alternative,
        "margin": d.margin,
        "assumptions": assumption_texts(d, lang),
        "cost": d.cost._asdict(),
        "fired": [{"rule": f.rule, "necessity": f.necessity, "formats": dict(f.formats), "media": dict(f.media),
                   "reason": f.reason, "source": f.source} for f in d.fired],
        "suggestions": list(d.suggestions),
        "rules": {"pack": d.pack, "version": d.version},
        "base": d.base,
        "facts": dict(d.facts),
        "what_if": None if d.what_if is None else what_if_list(d.what_if, lang),
        **({"load": dict(d.load)} if d.load is not None else {}),
    }
    if check_language(lang) != DEFAULT_LANGUAGE:
        context = snippet_context(d, lang)
        for entry, fired in zip(value["fired"], d.fired):
            entry["reason"] = rule_text(fired, "because", lang, context)
        texts = [rule_text(f, "suggestion", lang, context) for f in d.fired if f.suggestion]
        value["suggestions"] = list(dict.fromkeys(t for t in texts if t))
    return value


def what_if_list(what_if: WhatIf, lang: str = DEFAULT_LANGUAGE) -> List[Dict[str, Any]]:
    """The changes that flip a decision, each worded and with its steps: `[{"change", "steps", "verdict", "score"}]`."""
    return [{"change": describe_change(change.steps, lang),
             "steps": [{"kind": step.kind, "from": step.before, "to": step.after} for step in change.steps],
             "verdict": change.verdict, "score": change.score} for change in what_if.changes]


def to_json(decisions: Sequence[Decision], lang: str = DEFAULT_LANGUAGE, array: Optional[bool] = None) -> str:
    """One object for one decision, an array for several (docs/decision.md); texts in `lang`.

    `array` says which, when the count does not: a batch whose other files could not be read.
    """
    values = [to_dict(d, lang) for d in decisions]
    as_array = len(values) != 1 if array is None else array
    return json.dumps(values if as_array else values[0], indent=2, ensure_ascii=False)


class JsonStream:
    """Decisions written as they come, each given as its JSON text (one line, or indented by 2):
    JSON lines (`array` None), else the array of several decisions (or the one object) that
    `to_json` makes whole, byte for byte, one level in."""

    def __init__(self, write: Callable[[str], None], array: Optional[bool]):
        self.write = write
        self.array = array
        self.count = 0

    def add(self, text: str) -> None:
        if self.array is None:
            text += "\n"
        elif self.array:  # an item of the array, one level in (its text holds no raw line break but its own)
            text = ("[\n  " if not self.count else ",\n  ") + text.replace("\n", "\n  ")
        self.count += 1
        self.write(text)

    def close(self) -> None:
        if self.count and self.array is not None:  # nothing decided: nothing written, not even []
            self.write("\n]\n" if self.array else "\n")
