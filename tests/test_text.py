"""Rule snippets run in a sandbox that also bounds the size of what they build."""
from __future__ import annotations

import pytest

from advisor.core.numbers import money, num
from advisor.packs.budget import OverBudget
from advisor.packs.sandbox import render_snippet


def test_snippets_render_facts_on_one_line():
    assert render_snippet("{{ attendees }} people,\n  {{ cost | money }} USD", {"attendees": 7, "cost": 2620.5}) \
        == "7 people, 2,621 USD"


@pytest.mark.parametrize("source", ['{{ "a" * 10**9 }}', "{{ 10 ** 100000 }}", "{{ [1] * 100000 }}"])
def test_huge_values_are_refused_before_they_are_built(source):
    with pytest.raises(OverBudget, match="would (build|make)"):
        render_snippet(source, {})


def test_small_arithmetic_still_works():
    assert render_snippet('{{ 2 ** 10 }} {{ "ab" * 3 }} {{ 3 * 4 }}', {}) == "1024 ababab 12"


@pytest.mark.parametrize("value,text", [(15.0, "15"), (5.25, "5.25"), (1092.0, "1,092"), (0.5, "0.5")])
def test_num(value, text):
    assert num(value) == text


def test_money_rounds_to_whole_units():
    assert money(1234.5) == "1,235" and money(1235.4) == "1,235"
