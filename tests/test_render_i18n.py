"""The Arabic catalogue is complete and compiled, and rule texts may come in several languages."""
from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.checkers import checkers
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from conftest import ROOT

from advisor.errors import RuleError
from advisor.packs.loader import load_pack
from advisor.report.i18n import LOCALE_DIR, translations

PO = LOCALE_DIR / "ar" / "LC_MESSAGES" / "advisor.po"
MO = PO.with_suffix(".mo")


def _catalog():
    with PO.open("rb") as stream:
        return read_po(stream, locale="ar")


def _extracted() -> set:
    with (ROOT / "babel.cfg").open() as stream:
        method_map, options_map = parse_mapping_cfg(stream)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_of_the_sources_is_translated():
    catalog = _catalog()
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
    extracted = _extracted()
    assert sorted(extracted - ids) == [], "run the commands of README.md, 'Languages'"
    assert sorted(ids - extracted) == [], "messages no longer used: run pybabel update"
    for message in catalog:
        if message.id:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            assert all(strings) and not message.fuzzy, message.id
            assert len(strings) == (6 if message.pluralizable else 1)
            for check in checkers:  # placeholders of python-format messages
                check(catalog, message)


def test_the_compiled_catalogue_is_up_to_date():
    with MO.open("rb") as stream:
        compiled = gettext.GNUTranslations(stream)
    catalog = _catalog()
    for message in catalog:
        if not message.id:
            continue
        if message.pluralizable:
            for n, expected in zip((0, 1, 2, 5, 11, 100), message.string):
                assert compiled.ngettext(message.id[0], message.id[1], n) == expected, (message.id, n)
        else:
            assert compiled.gettext(message.id) == message.string, message.id
    assert len(compiled._catalog) == sum(len(m.string) if m.pluralizable else 1 for m in catalog if m.id) + 1


def test_arabic_plural_forms_follow_the_number():
    ngettext = translations("ar").ngettext
    forms = [ngettext("%(meetings)s meeting a week", "%(meetings)s meetings a week", n) % {"meetings": n}
             for n in (1, 2, 3, 11, 100)]
    assert forms == ["اجتماع واحد أسبوعيًا", "اجتماعان أسبوعيًا", "3 اجتماعات أسبوعيًا", "11 اجتماعًا أسبوعيًا",
                     "100 اجتماع أسبوعيًا"]


def _pack(tmp_path: Path, because: str) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(f"- id: r\n  description: d\n  when: {{attendees: 2}}\n  because:\n{because}  source: s\n",
                    encoding="utf-8")
    return path


def test_a_rule_text_per_language(tmp_path):
    rule, = load_pack(_pack(tmp_path, "    en: Two of {{ attendees }}.\n    ar: اثنان من {{ attendees }}.\n"))
    assert rule.because == "Two of {{ attendees }}."
    assert rule.translations == {"ar": {"because": "اثنان من {{ attendees }}."}}


@pytest.mark.parametrize("because,message", [
    ("    ar: اثنان.\n", "5:5: r.because: expected the English text under 'en', found none"),
    ("    en: Two.\n    AR: اثنان.\n", "6:5: r.because.AR: expected a language code such as 'en' or 'ar', found 'AR'"),
    ("    en: Two.\n    ar: ''\n", "6:9: r.because.ar: expected non-empty text, found ''"),
    ("    en: Two.\n    ar: '{{ atendees }}'\n",
     "6:9: r.because.ar: template uses unknown name 'atendees'; did you mean 'attendees'?"),
])
def test_bad_rule_texts_are_refused_with_their_place(tmp_path, because, message):
    path = _pack(tmp_path, because)
    with pytest.raises(RuleError) as caught:
        load_pack(path)
    assert [str(p) for p in caught.value.problems] == [f"{path}:{message}"]


def test_the_catalogue_picks_plural_forms_by_cldrs_rules():
    """The catalogue's Plural-Forms formula and Babel's CLDR rule for Arabic agree on every count."""
    from advisor.report.i18n import plural_form

    catalogue, cldr = translations("ar"), plural_form("ar")
    assert [n for n in range(2500) if catalogue.plural(n) != cldr(n)] == []  # type: ignore[attr-defined]


@pytest.mark.parametrize("amount,currency,text", [
    (1080, "USD", "1,080 USD"),
    (680, "USD", "680 دولارًا أمريكيًا"),
    (109, "USD", "109 دولارات أمريكية"),
    (100, "USD", "100 دولار أمريكي"),
    (2, "SAR", "ريالان سعوديان"),
    (1, "EUR", "يورو واحد"),
    (11.6, "GBP", "12 جنيهًا إسترلينيًا"),
    (14, "CHF", "14 فرنك سويسري"),  # no forms of our own: CLDR's name
    (14, "XYZ", "14 XYZ"),
])
def test_money_agrees_with_its_amount(amount, currency, text):
    from advisor.report.i18n import money

    assert money(amount, currency, "en" if text.endswith("USD") else "ar") == text


def test_rule_snippets_write_amounts_and_counts_in_the_readers_language(tmp_path):
    from advisor.api import Advisor
    from advisor.report.json_format import to_dict

    path = tmp_path / "pack.yaml"
    path.write_text(
        "- id: r\n  description: d\n  when: {attendees: {gt: 0}}\n  because:\n"
        "    en: \"{{ attendees | plural('{n} person', '{n} people') }} cost {{ cost | money }}.\"\n"
        "    ar: \"{{ attendees | plural('{n}', 'شخص واحد', 'شخصان', '{n} أشخاص', '{n} شخصًا', '{n} شخص') }} بتكلفة "
        "{{ cost | money }}.\"\n  source: s\n", encoding="utf-8")
    advisor = Advisor(rules=[path], currency="SAR")
    decision = advisor.check({"title": "t", "purposes": "coaching", "duration_minutes": 60,
                              "audience": [{"role": "sales_rep", "count": 3, "hourly_cost": 100}]})
    assert to_dict(decision)["fired"][0]["reason"] == "3 people cost 300 SAR."
    assert to_dict(decision, "ar")["fired"][0]["reason"] == "3 أشخاص بتكلفة 300 ريال سعودي."
    two = advisor.check({"title": "t", "purposes": "coaching", "duration_minutes": 60,
                         "audience": [{"role": "sales_rep", "count": 2, "hourly_cost": 6.5}]})
    assert to_dict(two, "ar")["fired"][0]["reason"] == "شخصان بتكلفة 13 ريالًا سعوديًا."
