"""advisor: should this meeting be held, in which format, and why.

    from advisor import Advisor, render
    decision = Advisor().check("meeting.yaml")
    print(decision.verdict, decision.format, render(decision, "markdown"))

The names below are imported on first use, so that `import advisor` (and the CLI's start)
stays cheap.
"""
from __future__ import annotations

from typing import Any

from advisor.version import __version__

_EXPORTS = {
    "Advisor": "advisor.api",
    "Decision": "advisor.core.decision",
    "Meeting": "advisor.core.meeting",
    "render": "advisor.report.render",
    "to_dict": "advisor.report.json_format",
    "AdvisorError": "advisor.errors",
    "InputError": "advisor.errors",
    "RuleError": "advisor.errors",
    "ConfigError": "advisor.errors",
}
__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")
