"""Rule authors' text snippets (`because`, `suggestion`) in Jinja's sandbox, strictly.

Only rule packs hold templates. Proposal text reaches them as values, so a title such as
`{{ 7*7 }}` is printed as written, never evaluated.
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Iterable, Mapping

from advisor.core.numbers import num
from advisor.packs import wording


class TemplateProblem(Exception):
    """A snippet that does not compile or names something that will not be there."""


@lru_cache(maxsize=None)
def _environment() -> Any:
    from jinja2 import StrictUndefined, pass_context
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class BoundedEnvironment(ImmutableSandboxedEnvironment):
        """The sandbox blocks unsafe attributes; this also keeps `*` and `**` from building huge values."""

        intercepted_binops = frozenset(["*", "**"])

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            result_size = _binop_size(operator, left, right)
            if result_size > _MAX_VALUE_SIZE:
                from jinja2.exceptions import SecurityError

                raise SecurityError(f"'{operator}' would build a value too large for a sentence")
            return super().call_binop(context, operator, left, right)

    environment = BoundedEnvironment(undefined=StrictUndefined, autoescape=False)
    environment.filters.update(num=num, money=pass_context(wording.money), plural=pass_context(wording.plural))
    return environment


_MAX_VALUE_SIZE = 10_000  # characters of a repeated string, or digits of a power


def _binop_size(operator: str, left: Any, right: Any) -> float:
    """Roughly how big `left operator right` would be, without computing it."""
    if operator == "*":
        for text, times in ((left, right), (right, left)):
            if isinstance(text, (str, list, tuple)) and isinstance(times, int):
                return len(text) * times
        return 0
    if isinstance(left, (int, float)) and isinstance(right, (int, float)) and abs(left) > 1:
        return right * math.log10(abs(left))  # digits of the result
    return 0


def check_template(source: str, names: Iterable[str]) -> None:
    """Raise TemplateProblem unless `source` compiles and uses only `names` and Jinja's own."""
    from jinja2 import TemplateSyntaxError, meta

    environment = _environment()
    try:
        tree = environment.parse(source)
        environment.compile(tree)  # unknown filters and tests are found only when compiling
    except TemplateSyntaxError as error:
        raise TemplateProblem(f"template does not compile: {error.message} (template line {error.lineno})") from None
    unknown = sorted(meta.find_undeclared_variables(tree) - set(names))
    if unknown:
        from advisor.errors import did_you_mean

        raise TemplateProblem(f"template uses unknown name '{unknown[0]}'{did_you_mean(unknown[0], names)}")


@lru_cache(maxsize=1024)
def _compiled(source: str) -> Any:
    return _environment().from_string(source)


def render_snippet(source: str, context: Mapping[str, Any]) -> str:
    """The snippet rendered over `context`, on one line."""
    return " ".join(_compiled(source).render(context).split())
