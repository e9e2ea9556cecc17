"""One error family: every refusal knows where it happened and formats itself as one line."""
from __future__ import annotations

from typing import Iterable, NamedTuple, Optional, Sequence


class Problem(NamedTuple):
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
        return one_line(f"{where}:{field} {self.message}")


class AdvisorError(Exception):
    """Base of every error the library raises on purpose; carries one or more problems."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InputError(AdvisorError):
    """A proposal that breaks the contract of docs/proposal.md."""


class RuleError(AdvisorError):
    """A rule pack that cannot be loaded."""


class ConfigError(AdvisorError):
    """A configuration that cannot be used."""


def did_you_mean(word: object, choices: Iterable[str]) -> str:
    """'; did you mean 'x'?' when a close choice exists, else ''."""
    if not isinstance(word, str):
        return ""
    import difflib  # only a refusal needs it

    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def choice_hint(word: object, choices: Iterable[str]) -> str:
    """'; did you mean 'x'?' when a close choice exists, else '; expected one of a, b, c'."""
    words = list(choices)
    return did_you_mean(word, words) or f"; expected one of {', '.join(words)}"


def describe(value: object) -> str:
    """How a found value is quoted in a message: strings quoted, the rest by YAML name."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(_shorten(value))
    if isinstance(value, dict):
        return "a mapping" if value else "an empty mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    return _shorten(str(value))


def _shorten(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


# Control characters (a newline in a file name, an escape sequence in a value) would break
# the one-line contract or drive the terminal, and the bidi overrides, embeddings and isolates
# would reorder what is shown around them; they are shown escaped. The marks Arabic text uses
# (LRM U+200E, RLM U+200F, ALM U+061C) change no order but their own, and are kept.
_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), *range(0x7F, 0xA0))}
_CONTROL.update({code: f"\\u{code:04x}" for code in (0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))})
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})


def one_line(text: str) -> str:
    """`text` with control characters and bidi controls escaped, so that a message or a value
    shown on a terminal stays one harmless line, in the order it was written."""
    return text.translate(_CONTROL)
