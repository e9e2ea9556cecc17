"""How rule snippets write amounts and counted words: their `money` and `plural` filters.

    {{ cost | money }}                                  -> 1,080 USD
    {{ same_topic_days_ago | plural('{n} day', '{n} days') }}   -> 1 day, 3 days

`plural` takes a language's forms in CLDR's order (English: one, other; Arabic: zero, one,
two, few, many, other) and writes the number in place of `{n}`. Both speak English unless
the caller hands in another language's `Wording` under WORDING in the snippet's context
(`advisor.report.i18n.snippet_context`); no snippet can name that key, which is no fact.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

from advisor.core.numbers import amount_text, num

WORDING = "_wording"


class Wording:
    """A language's way with amounts and counted words. (A plain class: every check imports this
    module, and a NamedTuple costs a third of a millisecond to define.)"""

    __slots__ = ("money", "plural_form")

    def __init__(self, money: Callable[[float, Optional[str]], str], plural_form: Callable[[float], int]):
        self.money = money  # an amount and its currency, as the language writes them
        self.plural_form = plural_form  # which of the language's plural forms a number takes


def _english_plural(value: float) -> int:
    return 0 if float(value) == 1 else 1  # CLDR: one, other


ENGLISH = Wording(amount_text, _english_plural)


def money(context: Any, value: float) -> str:
    """`value` in the snippet's currency (the context's `currency`), as its language writes it."""
    wording = context.get(WORDING) or ENGLISH
    return str(wording.money(value, context.get("currency")))


def plural(context: Any, value: float, *forms: str) -> str:
    """The form of `forms` that `value` takes in the snippet's language, with the number for `{n}`."""
    if not forms:
        raise TypeError("plural needs the forms to choose from, such as plural('{n} day', '{n} days')")
    wording = context.get(WORDING) or ENGLISH
    return forms[min(wording.plural_form(value), len(forms) - 1)].replace("{n}", num(value))
