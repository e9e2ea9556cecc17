"""Rule authors' text snippets (`because`, `suggestion`) in Jinja's sandbox, strictly and within a budget.

Only rule packs hold templates. Proposal text reaches them as values, so a title such as
`{{ 7*7 }}` is printed as written, never evaluated.

The sandbox blocks unsafe attributes; `budgeted` adds the budget of `advisor.packs.budget`
to a sandbox (this one, and the reports'): operators, text methods, filters and `.format` that
would build a huge value are refused before they build it, every loop counts its steps, and
`render_bounded` stops writing past the output limit.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Iterable, Mapping, Optional

from advisor.core.numbers import num
from advisor.packs import wording
from advisor.packs.budget import (
    SNIPPET_LIMITS,
    Limits,
    bounded_concat,
    bounded_loop,
    bounded_output,
    bounded_range,
    check_binop,
    check_call,
    check_format,
    check_join,
    check_percent,
    check_replace,
    check_size,
    given_now,
    given_text,
    rendering,
)

LOOP_FILTER = "_budget_loop"  # wrapped around every loop's items when a template is parsed
CONCAT_FILTER = "_budget_concat"  # every '~' concatenation becomes this filter over the list of its parts


class TemplateProblem(Exception):
    """A snippet that does not compile or names something that will not be there."""


@lru_cache(maxsize=None)
def budgeted(base: type) -> type:
    """`base` (a Jinja sandboxed environment class) held to the budget."""
    from jinja2 import nodes
    from jinja2.visitor import NodeTransformer

    class Budgeted(NodeTransformer):
        """Wraps each loop's items, and each '~', in the filters that count and bound them."""

        def visit_For(self, node: Any) -> Any:
            node = self.generic_visit(node)
            node.iter = nodes.Filter(node.iter, LOOP_FILTER, [], [], None, None, lineno=node.iter.lineno)
            return node

        def visit_Concat(self, node: Any) -> Any:
            node = self.generic_visit(node)
            parts = nodes.List(node.nodes, lineno=node.lineno)
            return nodes.Filter(parts, CONCAT_FILTER, [], [], None, None, lineno=node.lineno)

    class BudgetedEnvironment(base):  # type: ignore[misc]
        intercepted_binops = frozenset(["*", "**", "%", "+"])

        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.globals["range"] = bounded_range
            filters = self.filters
            filters.update({LOOP_FILTER: bounded_loop, CONCAT_FILTER: _concat_filter()})
            filters.update(_bounded_filters(filters))

        def _parse(self, source: str, name: Any, filename: Any) -> Any:
            return Budgeted().visit(super()._parse(source, name, filename))

        def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
            check_binop(operator, left, right, given_now())
            return super().call_binop(context, operator, left, right)

        def call(self, context: Any, function: Any, /, *args: Any, **kwargs: Any) -> Any:
            check_call(function, args, kwargs, given_now())
            return super().call(context, function, *args, **kwargs)

        def wrap_str_format(self, value: Any) -> Any:
            wrapper = super().wrap_str_format(value)
            if wrapper is None:
                return None
            check_format(value.__self__)  # the pattern is known when the method is looked up
            return wrapper

    BudgetedEnvironment.__name__ = f"Budgeted{base.__name__}"
    return BudgetedEnvironment


def _concat_filter() -> Any:
    """'~' as Jinja joins it (escaping each part where the output is HTML), bounded."""
    from jinja2 import pass_eval_context
    from jinja2.runtime import markup_join

    @pass_eval_context
    def concat(eval_context: Any, parts: Any) -> Any:
        if eval_context.autoescape:
            check_join(parts, "", given_now(), "'~'")
            return markup_join(parts)
        return bounded_concat([str(part) for part in parts], given_now())

    return concat


def _bounded_filters(filters: Mapping[str, Any]) -> Dict[str, Any]:
    """Jinja's filters that pad, repeat, replace or format, each checked before it builds."""
    from jinja2 import pass_environment, pass_eval_context

    center, indent, wordwrap = filters["center"], filters["indent"], filters["wordwrap"]
    replace, join, format_ = filters["replace"], filters["join"], filters["format"]

    def bounded_center(value: Any, width: int = 80) -> Any:
        if isinstance(width, int):
            check_size(width, "'center'", given_now())
        return center(value, width)

    def bounded_indent(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> Any:
        text = str(value)
        pad = width if isinstance(width, str) else " " * width if isinstance(width, int) else ""
        check_size(len(text) + len(pad) * (text.count("\n") + 1), "'indent'", given_now())
        return indent(value, width, *args, **kwargs)

    def bounded_wordwrap(environment: Any, value: Any, width: int = 79, *args: Any, **kwargs: Any) -> Any:
        wrap = kwargs.get("wrapstring", args[1] if len(args) > 1 else None) or environment.newline_sequence
        # a break at most every character: the text, and a wrap string for each character
        check_size(len(str(value)) * (1 + len(str(wrap))), "'wordwrap'", given_now())
        return wordwrap(environment, value, width, *args, **kwargs)

    def bounded_replace(context: Any, value: Any, old: Any, new: Any, count: Any = None) -> Any:
        check_replace(value, old, new, -1 if count is None else count, given_now())
        return replace(context, value, old, new, count)

    def bounded_join(context: Any, value: Any, d: str = "", attribute: Any = None) -> Any:
        items = list(value) if not isinstance(value, (list, tuple, str)) else value
        if attribute is None:
            check_join(items, str(d), given_now())
        return join(context, items, d, attribute)

    def bounded_format(value: Any, *args: Any, **kwargs: Any) -> Any:
        check_percent(str(value))
        return format_(value, *args, **kwargs)

    # what Jinja passes the originals first, it passes these
    return {"center": bounded_center, "indent": bounded_indent, "wordwrap": pass_environment(bounded_wordwrap),
            "replace": pass_eval_context(bounded_replace), "join": pass_eval_context(bounded_join),
            "format": bounded_format}


def render_bounded(template: Any, context: Mapping[str, Any], limits: Limits, given: Optional[int] = None) -> str:
    """`template` rendered over `context` within `limits`, `given` being the longest text it was
    given (by default, the longest in `context`): loops counted, values and output bounded."""
    given = given_text(context) if given is None else given
    with rendering(limits, given):
        return bounded_output(template.generate(context), limits, given)


@lru_cache(maxsize=None)
def _environment() -> Any:
    from jinja2 import StrictUndefined, pass_context
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    environment = budgeted(ImmutableSandboxedEnvironment)(undefined=StrictUndefined, autoescape=False)
    environment.filters.update(num=num, money=pass_context(wording.money), plural=pass_context(wording.plural))
    return environment


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
    """The snippet rendered over `context`, on one line, within the snippets' budget."""
    return " ".join(render_bounded(_compiled(source), context, SNIPPET_LIMITS).split())
