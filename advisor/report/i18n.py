"""Languages of the reports: gettext catalogues (Babel) for the advisor's own words, and the
rule packs' own texts per language, English when a rule has none.

Messages are marked with `_`/`ngettext` in Python and `{% trans %}`/`_()` in the templates,
extracted with `pybabel extract -F babel.cfg` and kept in `advisor/report/locale/<lang>/LC_MESSAGES/`
(`advisor.po`, compiled to `advisor.mo`); README.md ("Languages") has the commands.
"""
from __future__ import annotations

import gettext
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

from advisor.core.decision import Decision, FiredRule
from advisor.core.numbers import amount_text, num
from advisor.core.numbers import money as plain_money
from advisor.core.rules import RulePack
from advisor.packs.snippets import render_snippet
from advisor.packs.wording import ENGLISH, WORDING, Wording

LANGUAGES: Tuple[str, ...] = ("en", "ar")
DEFAULT_LANGUAGE = "en"
RIGHT_TO_LEFT = frozenset({"ar"})
DOMAIN = "advisor"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"  # advisor/report/locale


def check_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    return lang


def direction(lang: str) -> str:
    return "rtl" if lang in RIGHT_TO_LEFT else "ltr"


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of `lang`; English, the language of the messages, needs none."""
    check_language(lang)
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang])


def bidi_number(value: int, lang: str) -> str:
    """A number that keeps its minus sign in front in right-to-left text (a left-to-right mark before it)."""
    return f"\u200e{value}" if value < 0 and direction(lang) == "rtl" else str(value)


def plural_count(value: float) -> int:
    """The number that picks a plural form: fractions take the form for hundreds ('5.25 hours')."""
    return int(value) if float(value) == int(value) else 100


def money(amount: float, currency: Optional[str], lang: str) -> str:
    """'1,080 USD'; in another language the currency's name in the form the amount takes
    ('1,080 دولارًا أمريكيًا', '109 دولارات أمريكية'), chosen by CLDR's plural rules."""
    if lang == "en" or not currency:
        return amount_text(amount, currency)
    whole = math.floor(float(amount) + 0.5)  # the amount as shown, in whole units
    named = _currency_names(translations(lang).ngettext).get(currency)
    if named is not None:
        return named(whole) % {"amount": plain_money(amount)}
    from babel.numbers import UnknownCurrencyError, get_currency_name

    try:  # CLDR's name, in the plural form for the amount where CLDR has one
        name = get_currency_name(currency, whole, locale=lang)
    except UnknownCurrencyError:
        name = currency
    return f"{plain_money(amount)} {name}"


def _currency_names(ngettext: Callable[[str, str, int], str]) -> Dict[str, Callable[[int], str]]:
    """Currencies whose names agree with the number in our catalogue: CLDR gives most of them in one
    form only ('680 دولار أمريكي' where Arabic says '680 دولارًا أمريكيًا')."""
    return {
        "USD": lambda n: ngettext("%(amount)s US dollar", "%(amount)s US dollars", n),
        "EUR": lambda n: ngettext("%(amount)s euro", "%(amount)s euros", n),
        "GBP": lambda n: ngettext("%(amount)s pound sterling", "%(amount)s pounds sterling", n),
        "SAR": lambda n: ngettext("%(amount)s Saudi riyal", "%(amount)s Saudi riyals", n),
        "AED": lambda n: ngettext("%(amount)s UAE dirham", "%(amount)s UAE dirhams", n),
        "EGP": lambda n: ngettext("%(amount)s Egyptian pound", "%(amount)s Egyptian pounds", n),
    }


_CLDR_PLURAL_ORDER = ("zero", "one", "two", "few", "many", "other")


@lru_cache(maxsize=None)
def plural_form(lang: str) -> Callable[[float], int]:
    """Which of `lang`'s plural forms, in CLDR's order, a number takes (Babel's CLDR rules)."""
    from babel import Locale

    rule = Locale.parse(lang).plural_form
    order = [tag for tag in _CLDR_PLURAL_ORDER if tag in rule.tags or tag == "other"]
    return lambda value: order.index(rule(value))


def wording(lang: str) -> Wording:
    """How rule snippets write amounts and counted words in `lang` (`advisor.packs.wording`)."""
    if lang == "en":
        return ENGLISH
    return Wording(lambda amount, currency: money(amount, currency, lang), plural_form(lang))


def join_words(words: Iterable[str], lang: str) -> str:
    """'15, 17 and 20' / '15 و17 و20'."""
    items = list(words)
    if len(items) < 2:
        return "".join(items)
    _ = translations(lang).gettext
    return _("%(first)s and %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def snippet_context(decision: Decision, lang: str = DEFAULT_LANGUAGE) -> Dict[str, Any]:
    """What a rule's snippet may name for this decision (its facts, the title and the currency),
    and how its filters speak `lang`."""
    return {**decision.facts, "title": decision.meeting, "currency": decision.cost.currency, WORDING: wording(lang)}


def rule_text(fired: FiredRule, field: str, lang: str, context: Mapping[str, Any]) -> Optional[str]:
    """A fired rule's reason (`field` "because": its `trade_off` when that is what it says) or
    `suggestion` in `lang`, else the English one already rendered."""
    english = fired.reason if field == "because" else fired.suggestion
    if field == "because" and fired.trade_off:
        field = "trade_off"
    source = fired.translations.get(lang, {}).get(field)
    if source is None or english is None:
        return english
    return render_snippet(source, context)


def missing_translations(pack: RulePack, lang: str) -> List[Tuple[str, str]]:
    """(rule id, field) of every `because` or `suggestion` that has no text in `lang`."""
    if lang == "en":
        return []
    missing = []
    for rule in pack.rules:
        texts = rule.translations.get(lang, {})
        for field, english in (("because", rule.because), ("trade_off", rule.trade_off),
                               ("suggestion", rule.suggestion)):
            if english and field not in texts:
                missing.append((rule.id, field))
    return missing


def extract_vocabulary(fileobj: Any, keywords: Any, comment_tags: Any, options: Any
                       ) -> Iterator[Tuple[int, str, str, List[str]]]:
    """A Babel extractor for advisor/core/vocabulary.py: the alternatives to a meeting are shown translated."""
    from advisor.core.vocabulary import ALTERNATIVES

    for text in ALTERNATIVES.values():
        yield 0, "gettext", text, ["vocabulary.ALTERNATIVES"]


__all__ = ["LANGUAGES", "DEFAULT_LANGUAGE", "check_language", "direction", "translations", "bidi_number",
           "plural_count", "money", "join_words", "snippet_context", "rule_text", "missing_translations", "num"]
