"""One budget for every rule snippet and report template, however it runs.

A snippet (`because`, `suggestion`) runs either in Jinja's sandbox (`advisor.packs.sandbox`) or
as the Python expression it was compiled to (`advisor.packs.snippets`); a `--template` runs in
the reports' sandbox (`advisor.report.templates`). All of them go through these checks, which
refuse an operation before it builds what it would build:

* a value built by repeating (`'x' * n`, `[x] * n`), padding (`center`, `ljust`), replacing,
  joining or concatenating (`~`, `+`) may be at most MAX_VALUE characters, plus GROWTH times
  the longest text the rendering was given (a title may be printed a few times, not a
  thousand), and a power may have at most MAX_VALUE digits;
* a width or precision in `%`-formatting and in `.format` is at most MAX_WIDTH, and `*` or a
  nested `{}` (a width taken from a value) is refused;
* loops (and `range`) may take at most `Limits.iterations` steps in one rendering;
* one rendering may write at most `Limits.output` characters, plus GROWTH times the longest
  text it was given.

Snippets get SNIPPET_LIMITS; a report template gets `report_limits(n)` for n decisions, since
it lays out each of them. "The longest text given" is passed to each check as a number, or as
a function that finds it only when a check needs it (the compiled snippets' quick path never
pays for it).
"""
from __future__ import annotations

import math
import re
import threading
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Optional, Tuple, Union

MAX_VALUE = 10_000  # characters of a value a snippet builds: a sentence is far shorter
MAX_WIDTH = 100  # of a field in %-formatting or .format
GROWTH = 3  # times the longest text given that a value or the output may add

Given = Union[int, Callable[[], int]]  # the longest text given, or how to find it


class Limits(NamedTuple):
    iterations: int  # loop steps in one rendering
    output: int  # characters written, besides GROWTH times the longest text given


SNIPPET_LIMITS = Limits(iterations=1_000, output=MAX_VALUE)


def report_limits(decisions: int) -> Limits:
    """What a report template may spend laying out `decisions` decisions."""
    return Limits(iterations=10_000 + 1_000 * decisions, output=1_000_000 + 100_000 * decisions)


class OverBudget(Exception):
    """What a snippet or template was about to do goes past the budget."""


def given_text(context: Mapping[str, Any]) -> int:
    """The length of the longest text a rendering was given."""
    return max((len(value) for value in context.values() if isinstance(value, str)), default=0)


def _most(base: int, given: Given) -> int:
    return base + GROWTH * (given() if callable(given) else given)


# -- values ---------------------------------------------------------------------------------

def check_size(size: int, what: str, given: Given) -> None:
    """Refuse a value of `size` characters (or items) past the budget."""
    if size > MAX_VALUE:
        most = _most(MAX_VALUE, given)
        if size > most:
            raise OverBudget(f"{what} would build {size:,} characters, more than {most:,}")


def check_binop(operator: str, left: Any, right: Any, given: Given) -> None:
    """Refuse `left operator right` if it would build a value past the budget."""
    if operator == "*":
        for sized, times in ((left, right), (right, left)):
            if isinstance(sized, (str, list, tuple)) and isinstance(times, int) and not isinstance(times, bool):
                check_size(len(sized) * times, f"'*' repeating {len(sized):,} characters or items", given)
        return
    if operator == "**":
        if isinstance(left, (int, float)) and isinstance(right, (int, float)) and abs(left) > 1 and right > 0:
            digits = right * math.log10(abs(left))
            if digits > MAX_VALUE:
                raise OverBudget(f"'**' would make a number of {digits:,.0f} digits, more than {MAX_VALUE:,}")
        return
    if operator == "%" and isinstance(left, str):
        check_percent(left)
    elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
        check_size(len(left) + len(right), "'+'", given)


# Patterns stay text, compiled on first use through re's own cache: start-up pays for none of them.
_PERCENT = r"%(?:\([^)]*\))?[-+ #0]*(\*|\d*)(?:\.(\*|\d*))?[hlL]?(.)"


def check_percent(pattern: str) -> None:
    """Refuse a %-format whose widths or precisions are too large or taken from a value (`*`)."""
    for match in re.finditer(_PERCENT, pattern):
        if match.group(3) != "%":
            _check_width(match.group(1), "%")
            _check_width(match.group(2), "%")


_SPEC = r"^(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d*))?[a-zA-Z%]?$"


def check_format(pattern: str) -> None:
    """Refuse a str.format pattern whose fields are too wide, or whose width is a nested field."""
    import string  # here, not at the top: few packs format with str.format, and start-up is counted

    try:
        fields = list(string.Formatter().parse(pattern))
    except ValueError:
        return  # str.format refuses it too, with its own message
    for _, name, spec, _ in fields:
        if name is None or not spec:
            continue
        if "{" in spec:
            raise OverBudget("a width taken from a value ('{:{}}') is not allowed")
        match = re.match(_SPEC, spec)
        if match is not None:  # else str.format refuses it, with its own message
            _check_width(match.group(1), "format")
            _check_width(match.group(2), "format")


def _check_width(width: Optional[str], kind: str) -> None:
    if not width:
        return
    if width == "*":
        raise OverBudget(f"a width taken from a value ('*') is not allowed in {kind}")
    if len(width) > 6 or int(width) > MAX_WIDTH:
        raise OverBudget(f"a width of {int(width):,} in {kind}, more than {MAX_WIDTH}")


_PADDING = ("center", "ljust", "rjust", "zfill")


def check_call(function: Any, args: Tuple[Any, ...], kwargs: Mapping[str, Any], given: Given) -> None:
    """Refuse a call of a text method that would build a value past the budget."""
    owner = getattr(function, "__self__", None)
    name = getattr(function, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in _PADDING and args and isinstance(args[0], int):
        check_size(args[0], f"'{name}'", given)
    elif name == "expandtabs":
        size = kwargs.get("tabsize", args[0] if args else 8)
        if isinstance(size, int):
            _check_width(str(max(0, size)), "expandtabs")
    elif name == "replace" and len(args) >= 2:
        check_replace(owner, args[0], args[1], args[2] if len(args) > 2 else -1, given)
    elif name in ("format", "format_map"):
        check_format(owner)
    elif name == "join" and args and isinstance(args[0], (list, tuple, str)):  # a generator is left unread
        check_join(args[0], owner, given)


def check_join(parts: Any, separator: str, given: Given, what: str = "'join'") -> None:
    sizes = [len(str(part)) for part in parts]
    check_size(sum(sizes) + len(separator) * max(0, len(sizes) - 1), what, given)


def check_replace(text: Any, old: Any, new: Any, count: Any, given: Given) -> None:
    text, old, new = str(text), str(old), str(new)
    if len(new) <= len(old):
        return
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    check_size(len(text) + found * (len(new) - len(old)), "'replace'", given)


def bounded_concat(parts: Iterable[str], given: Given) -> str:
    """The parts of a `~` joined, refused past the budget."""
    parts = list(parts)
    check_join(parts, "", given, "'~'")
    return "".join(parts)


def check_output(text: str, given: Given, limits: Limits = SNIPPET_LIMITS) -> str:
    """`text`, refused when it is longer than a rendering may write."""
    if len(text) > limits.output:
        most = _most(limits.output, given)
        if len(text) > most:
            raise OverBudget(f"the text written would pass {most:,} characters")
    return text


# -- one rendering: loops, `range` and output -----------------------------------------------

class _Rendering(threading.local):
    limits: Limits = SNIPPET_LIMITS  # outside a rendering: the strictest
    given = 0
    iterations = 0


_rendering = _Rendering()


class rendering:
    """`with rendering(limits, given):` around one rendering of a sandboxed template: its loops,
    `range` and checks count against `limits`, `given` being the longest text it was given."""

    def __init__(self, limits: Limits, given: int = 0):
        self.state = (limits, given, 0)
        self.saved: Any = None

    def __enter__(self) -> "rendering":
        self.saved = (_rendering.limits, _rendering.given, _rendering.iterations)
        _rendering.limits, _rendering.given, _rendering.iterations = self.state
        return self

    def __exit__(self, *exc: Any) -> None:
        _rendering.limits, _rendering.given, _rendering.iterations = self.saved


def given_now() -> int:
    """The longest text the current rendering was given."""
    return _rendering.given


def bounded_loop(items: Iterable[Any]) -> Iterator[Any]:
    """The items of a loop, each counted as a step of the rendering."""
    most = _rendering.limits.iterations
    for item in items:
        _rendering.iterations += 1
        if _rendering.iterations > most:
            raise OverBudget(f"loops would take more than {most:,} steps")
        yield item


def bounded_range(*args: int) -> range:
    """`range`, refused past the rendering's loop budget before anything iterates it."""
    numbers = range(*args)
    most = _rendering.limits.iterations
    if len(numbers) > most:
        raise OverBudget(f"range of {len(numbers):,} numbers, more than {most:,} steps")
    return numbers


def bounded_output(chunks: Iterable[str], limits: Limits, given: int) -> str:
    """The chunks joined, refused as soon as they pass what the rendering may write."""
    most = _most(limits.output, given)
    parts = []
    written = 0
    for chunk in chunks:
        written += len(chunk)
        if written > most:
            raise OverBudget(f"the text written would pass {most:,} characters")
        parts.append(chunk)
    return "".join(parts)
