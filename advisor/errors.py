"""One error family: every refusal knows where it happened and formats itself as one line."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: `file:line:col: path: message`."""

    file: str
    message: str
    line: Optional[int] = None  # 1-based
    column: Optional[int] = None  # 1-based
    path: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {self.path}:" if self.path else ""
        return f"{where}:{field} {self.message}"


class AdvisorError(Exception):
    """Base of every error the library raises on purpose; carries one or more problems."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InputError(AdvisorError):
    """A proposal that breaks the contract of spec/meeting.md."""


class RuleError(AdvisorError):
    """A rule pack that cannot be loaded."""


class ConfigError(AdvisorError):
    """A configuration that cannot be used."""


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """'; did you mean 'x'?' when a close choice exists, else ''."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def describe(value: object) -> str:
    """How a found value is quoted in a message: strings quoted, the rest by YAML name."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)
