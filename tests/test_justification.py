"""Reports a manager forwards unedited: every reason once, none against the advice, the way people
meet, the proposal's own organizer, date and file name, and Arabic that reads right to left."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import EXAMPLES, decided, default_advisor, expected_examples
from markdown_it import MarkdownIt

from advisor.report.render import markdown_text, render_many, view

EXAMPLE_NAMES = [name for name, _, _ in expected_examples()]

PERSONAL = {"title": "Lee's new commission plan", "purposes": ["policy_update"], "duration_minutes": 30,
            "organizer": {"name": "Dana Reyes", "email": "dana@example.com"},
            "start": "2026-03-02T10:00[Europe/Berlin]",
            "audience": [{"role": "sales_manager", "name": "Dana Reyes"}, {"role": "sales_rep", "name": "Lee Park"}],
            "setting": {"sensitive": True, "about_one_person": True}}



def test_a_sensitive_matter_about_one_person_is_held_and_every_reason_is_in_the_markdown():
    decision = default_advisor().check(PERSONAL, what_if=True)
    assert (decision.verdict, decision.format, decision.medium) == ("hold", "one_on_one", "in_person")
    assert "information-only" in {f.rule for f in decision.fired}  # nothing to decide, and held all the same
    out = render_many([decision], "markdown")
    shown = view(decision)
    for fired in decision.fired:
        moves_the_format = set(fired.formats) & {decision.format, shown["runner_up"]} or fired.media
        if fired.necessity or moves_the_format:
            assert out.count(markdown_text(fired.reason)) == 1, fired.rule
    assert "One-on-one, face to face" in out
    assert "| Organizer | Dana Reyes |" in out
    assert "| Date | Monday, March 2, 2026, 10:00 (Europe/Berlin) |" in out


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_reason_that_moved_the_score_or_the_format_is_shown_once(name, fmt, lang):
    decision = decided(name)
    shown = view(decision, lang)
    out = render_many([decision], fmt, lang=lang)
    texts = [r["text"] for r in shown["reasons"]] + shown["format_reasons"]
    assert texts, name
    for text in texts:
        written = markdown_text(text) if fmt == "markdown" else _html(text) if fmt == "html" else text
        assert out.count(written) == 1, (name, text)
    assert {r["rule"] for r in shown["reasons"]} == {f.rule for f in decision.fired if f.necessity}


def _html(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("fmt", ["markdown", "html"])
def test_reports_name_the_file_never_its_folders(fmt, lang, tmp_path):
    folder = tmp_path / "private" / "proposals"
    folder.mkdir(parents=True)
    path = folder / "pipeline-review.yaml"
    path.write_bytes((EXAMPLES / "pipeline-review.yaml").read_bytes())
    decision = default_advisor().check(path, what_if=True)
    assert decision.source == str(path)  # the JSON keeps what was given
    out = render_many([decision], fmt, lang=lang)
    assert "pipeline-review.yaml" in out
    assert "private" not in out and str(tmp_path) not in out
    assert not re.search(r"(^|[\s>(|])/[A-Za-z]", out.split("<body>")[-1]), "an absolute path in the report"


def test_no_example_report_holds_an_absolute_path():
    for name in EXAMPLE_NAMES:
        for fmt in ("markdown", "html"):
            for lang in ("en", "ar"):
                out = render_many([decided(name)], fmt, lang=lang)
                assert str(EXAMPLES) not in out and str(Path.home()) not in out, (name, fmt, lang)


def test_arabic_markdown_reads_right_to_left():
    out = render_many([decided("shortfall-huddle.yaml")], "markdown", lang="ar")
    html = MarkdownIt("commonmark").enable("table").render(out)
    assert html.startswith('<div dir="rtl" lang="ar">\n<h2>')  # the whole report, its Markdown still read
    assert "<table>" in html and "<li>" in html and html.rstrip().endswith("</div>")
    english = MarkdownIt("commonmark").render(render_many([decided("shortfall-huddle.yaml")], "markdown"))
    assert "dir=" not in english


def test_a_remote_pitch_on_a_poor_line_says_what_is_given_up():
    decision = default_advisor().check({
        "title": "Renewal with Initech", "purposes": ["sales_pitch"], "duration_minutes": 30,
        "agenda": ["Usage", "Renewal terms"],
        "audience": [{"role": "sales_rep", "remote": True}, {"role": "prospect", "count": 2, "remote": True}],
        "setting": {"reliable_internet": False}})
    assert (decision.format, decision.medium) == ("call", "phone")
    pitch, = [f for f in decision.fired if f.rule == "pitch-face-to-face"]
    assert pitch.trade_off and "in person persuades far better" in pitch.reason
    out = render_many([decision], "text")
    assert "A pitch made in person is far more persuasive than one sent in writing." not in out
    assert pitch.reason in out


@pytest.mark.parametrize("lang,held_as", [
    ("en", "Formal meeting in one room, with a video link for 1 remote attendee"),
    ("ar", "اجتماع رسمي في قاعة واحدة، مع رابط فيديو للمشارك عن بُعد"),
])
def test_every_human_format_says_how_people_meet(lang, held_as):
    decision = default_advisor().check({
        "title": "Territory plan", "purposes": ["strategy"], "duration_minutes": 60, "decision_required": True,
        "agenda": ["Options", "Decision"],
        "audience": [{"role": "sales_manager"}, {"role": "sales_rep", "count": 7},
                     {"role": "sales_rep", "remote": True}]})
    assert decision.medium == "hybrid"
    for fmt in ("text", "markdown", "html"):
        assert held_as in render_many([decision], fmt, lang=lang), fmt


def test_money_is_shown_with_its_currency_and_the_yearly_cost_once():
    decision = decided("status-broadcast.yaml")  # weekly: 1,080 USD each time, 56,160 USD a year
    for fmt in ("text", "markdown", "html"):
        out = render_many([decision], fmt)
        for amount in ("1,080", "56,160"):
            assert out.count(amount) == out.count(amount + " USD") == 1, (fmt, amount)
        assert out.count("USD a year") == (1 if fmt == "text" else 0), fmt  # the table says "Per year" instead
        assert "Per year" in out or fmt == "text"
