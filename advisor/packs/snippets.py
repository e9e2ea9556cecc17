"""Rule snippets (`because`, `suggestion`) rendered without importing Jinja at run time.

Importing Jinja costs about as much as the rest of a one-file check, yet JSON output needs
every fired rule's reason. So when a pack is loaded (and Jinja has checked its snippets
anyway), each snippet whose Jinja syntax tree uses only the parts listed in `_FILTERS` and
`_Translator` is turned into one Python expression that means the same in Jinja's sandbox:
text, fact names, constants, `~`, comparisons, `and`/`or`/`not`, arithmetic, inline and
block `if`, and the filters num, money, plural, join, replace, lower, upper, capitalize and
length (money and plural read the context, as their Jinja filters do: `advisor.packs.wording`).
`{{ value }}` prints str(value), as Jinja does without autoescaping. The expressions are
compiled, stored with the pack (`advisor.packs.cache`) and registered here; `render_snippet`
uses them, and Jinja (`advisor.packs.sandbox`) renders every other snippet, and renders again any
snippet whose expression fails, so that errors read exactly as Jinja reports them.
tests/test_fast_paths.py renders every construct both ways and compares.

The expressions keep the budget Jinja's sandbox keeps (`advisor.packs.budget`): `*`, `%` and
`+`, `replace`, `join` and `~` go through helpers that refuse to build a huge value, and the
text written is bounded as Jinja's is.
"""
from __future__ import annotations

from functools import partial
from types import CodeType
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

from advisor.core.numbers import num
from advisor.packs import wording
from advisor.packs.budget import bounded_concat, check_binop, check_join, check_output, check_replace, given_text
from advisor.packs.sandbox import CONCAT_FILTER
from advisor.packs.sandbox import render_snippet as render_with_jinja

Renderer = Callable[[Mapping[str, Any]], str]

_registry: Dict[str, Renderer] = {}


def render_snippet(source: str, context: Mapping[str, Any]) -> str:
    """The snippet rendered over `context`, on one line (as advisor.packs.sandbox.render_snippet)."""
    renderer = _registry.get(source)
    if renderer is not None:
        try:
            return renderer(context)
        except Exception:  # let Jinja render it, and word the error if there is one
            pass
    return render_with_jinja(source, context)


def compile_renderers(expressions: Mapping[str, Optional[str]]) -> CodeType:
    """Code that, run by `register`, makes each expression (from `python_expression`) the way its snippet renders."""
    lines = [f"    {source!r}: lambda c: {expression}," for source, expression in expressions.items() if expression]
    return compile("RENDERERS = {\n" + "\n".join(lines) + "\n}", "<advisor snippets>", "exec")


def register(code: CodeType) -> None:
    namespace: Dict[str, Any] = dict(_HELPERS)
    exec(code, namespace)  # made by compile_renderers from parsed templates (or read back from the pack cache)
    _registry.update(namespace["RENDERERS"])


# The helpers that may build a large value take the context first: the budget's checks find the
# longest text given in it only when a value grows past MAX_VALUE.

def _join(c: Mapping[str, Any], value: Any, d: Any = "") -> str:
    parts = [str(part) for part in value]
    check_join(parts, str(d), partial(given_text, c))
    return str(d).join(parts)


def _replace(c: Mapping[str, Any], value: Any, old: Any, new: Any, count: Optional[int] = None) -> str:
    check_replace(value, old, new, -1 if count is None else count, partial(given_text, c))
    return str(value).replace(str(old), str(new), -1 if count is None else count)


def _lower(value: Any) -> str:
    return str(value).lower()


def _upper(value: Any) -> str:
    return str(value).upper()


def _capitalize(value: Any) -> str:
    return str(value).capitalize()


def _concat(c: Mapping[str, Any], *parts: Any) -> str:
    return bounded_concat(map(str, parts), partial(given_text, c))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _line(c: Mapping[str, Any], text: str) -> str:
    """The text written, within the output budget, on one line."""
    return " ".join(check_output(text, partial(given_text, c)).split())


def _mul(c: Mapping[str, Any], left: Any, right: Any) -> Any:
    check_binop("*", left, right, partial(given_text, c))
    return left * right


def _mod(c: Mapping[str, Any], left: Any, right: Any) -> Any:
    check_binop("%", left, right, partial(given_text, c))
    return left % right


def _add(c: Mapping[str, Any], left: Any, right: Any) -> Any:
    check_binop("+", left, right, partial(given_text, c))
    return left + right


# filter name -> (helper name, how many arguments it takes besides the value: min, max)
_FILTERS = {
    "num": ("num", 0, 0),
    "money": ("_money", 0, 0),
    "plural": ("_plural", 1, 6),
    "join": ("_join", 0, 1),
    "replace": ("_replace", 2, 3),
    "lower": ("_lower", 0, 0),
    "upper": ("_upper", 0, 0),
    "capitalize": ("_capitalize", 0, 0),
    "length": ("len", 0, 0),
}
# Helpers that take the context first: the budget's (which find the longest text given there), and
# the filters that write in the snippet's language.
_GIVEN_CONTEXT = ("_join", "_replace", "_money", "_plural")
_HELPERS: Dict[str, Any] = {"num": num, "_money": wording.money, "_plural": wording.plural, "_join": _join,
                            "_replace": _replace, "_lower": _lower,
                            "_upper": _upper, "_capitalize": _capitalize, "_concat": _concat,
                            "_line": _line, "_mul": _mul, "_mod": _mod, "_add": _add}
_COMPARE = {"eq": "==", "ne": "!=", "gt": ">", "gteq": ">=", "lt": "<", "lteq": "<=", "in": "in", "notin": "not in"}
_ARITHMETIC = {"Sub": "-", "Div": "/", "FloorDiv": "//"}  # cannot build a large value
_BUDGETED = {"Add": "_add", "Mul": "_mul", "Mod": "_mod"}  # may: checked by the budget's helpers


class _Unsupported(Exception):
    """A part of a template that is left to Jinja."""


def python_expression(source: str) -> Optional[str]:
    """A Python expression over the context `c` that renders `source` as render_snippet does,
    or None when the snippet uses something only Jinja should render."""
    from advisor.packs.sandbox import _environment

    try:
        template = _environment().parse(source)
        text = [part for node in template.body if type(node).__name__ == "Output" for part in node.nodes]
        if len(text) == len(template.body) and all(type(part).__name__ == "TemplateData" for part in text):
            return repr(_one_line("".join(part.data for part in text)))  # no placeholders: render it once
        return f"_line(c, {_Translator().body(template.body)})"
    except Exception:  # _Unsupported, or a snippet Jinja itself refuses (Jinja reports it when rendering)
        return None


def python_expressions(sources: Iterable[str]) -> Dict[str, Optional[str]]:
    return {source: python_expression(source) for source in dict.fromkeys(sources)}


class _Translator:
    """Jinja nodes to Python source; raises _Unsupported for any node not handled here."""

    def body(self, nodes: List[Any]) -> str:
        parts = [self.statement(node) for node in nodes]
        return "''" if not parts else parts[0] if len(parts) == 1 else f"''.join(({', '.join(parts)},))"

    def statement(self, node: Any) -> str:
        kind = type(node).__name__
        if kind == "Output":
            return self.body_of_output(node.nodes)
        if kind == "If":
            otherwise = self.body(node.else_)
            for branch in reversed(node.elif_):
                otherwise = f"({self.body(branch.body)} if {self.expression(branch.test)} else {otherwise})"
            return f"({self.body(node.body)} if {self.expression(node.test)} else {otherwise})"
        raise _Unsupported(kind)

    def body_of_output(self, nodes: List[Any]) -> str:
        parts = []
        for node in nodes:
            kind = type(node).__name__
            if kind == "TemplateData":
                parts.append(repr(node.data))
            elif kind == "CondExpr" and node.expr2 is None:  # `{{ 's' if n != 1 }}`: nothing when false
                parts.append(f"(str({self.expression(node.expr1)}) if {self.expression(node.test)} else '')")
            else:
                parts.append(f"str({self.expression(node)})")
        return parts[0] if len(parts) == 1 else f"''.join(({', '.join(parts)},))"

    def expression(self, node: Any) -> str:
        kind = type(node).__name__
        if kind == "Name" and node.ctx == "load":
            return f"c[{node.name!r}]"
        if kind == "Const" and isinstance(node.value, (str, int, float, bool, type(None))):
            return repr(node.value)
        if kind == "Filter":
            return self.filter(node)
        if kind == "CondExpr" and node.expr2 is not None:
            return (f"({self.expression(node.expr1)} if {self.expression(node.test)} "
                    f"else {self.expression(node.expr2)})")
        if kind == "Compare":
            text = self.expression(node.expr)
            for operand in node.ops:
                text += f" {_COMPARE[operand.op]} {self.expression(operand.expr)}"
            return f"({text})"
        if kind in ("And", "Or"):
            return f"({self.expression(node.left)} {kind.lower()} {self.expression(node.right)})"
        if kind == "Not":
            return f"(not {self.expression(node.node)})"
        if kind == "Neg":
            return f"(-{self.expression(node.node)})"
        if kind in _ARITHMETIC:
            return f"({self.expression(node.left)} {_ARITHMETIC[kind]} {self.expression(node.right)})"
        if kind in _BUDGETED:
            return f"{_BUDGETED[kind]}(c, {self.expression(node.left)}, {self.expression(node.right)})"
        raise _Unsupported(kind)

    def filter(self, node: Any) -> str:
        if node.name == CONCAT_FILTER and type(node.node).__name__ == "List":  # a '~', within the budget
            return f"_concat(c, {', '.join(self.expression(child) for child in node.node.items)})"
        if node.name not in _FILTERS or node.kwargs or node.dyn_args or node.dyn_kwargs or node.node is None:
            raise _Unsupported(f"filter {node.name}")
        helper, least, most = _FILTERS[node.name]
        if not least <= len(node.args) <= most:
            raise _Unsupported(f"filter {node.name} with {len(node.args)} arguments")
        arguments = [self.expression(node.node)] + [self.expression(argument) for argument in node.args]
        if helper in _GIVEN_CONTEXT:
            arguments.insert(0, "c")
        return f"{helper}({', '.join(arguments)})"
