"""advisor: should this meeting be held, in which format, and why.

    from advisor import Advisor
    decision = Advisor().check("meeting.yaml")
    print(decision.verdict, decision.format, decision.render("markdown"))
"""
from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Advisor", "Decision", "AdvisorError", "InputError", "RuleError", "ConfigError", "__version__"]


def __getattr__(name: str) -> Any:
    # Imported on first use, so that `import advisor` (and the CLI's start) stays cheap.
    if name == "Advisor":
        from .api import Advisor

        return Advisor
    if name == "Decision":
        from .decision import Decision

        return Decision
    if name in ("AdvisorError", "InputError", "RuleError", "ConfigError"):
        from . import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'advisor' has no attribute {name!r}")
