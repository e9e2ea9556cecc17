"""Reports for people: every example in every format and both languages, colour, users' templates."""
from __future__ import annotations

import json
import os
import re

import pytest
from conftest import EXAMPLES, decided, expected_examples, proposal

from advisor.api import Advisor
from advisor.cli.check import _use_color
from advisor.errors import ConfigError
from advisor.report.json_format import to_dict
from advisor.report.phrases import source_name
from advisor.report.render import markdown_text, render_many, view

EXAMPLE_NAMES = [name for name, _, _ in expected_examples()]
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.mark.parametrize("lang", ["en", "ar"])
@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "json"])
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_renders_in_every_format_and_language(name, fmt, lang):
    decision = decided(name)
    out = render_many([decision], fmt, lang=lang)
    if fmt == "json":
        value = json.loads(out)
        assert value["verdict"] == decision.verdict and isinstance(value["what_if"], list)
        return
    shown = view(decision, lang)
    assert _plain(decision.meeting, fmt) in out
    for part in (shown["verdict_label"], shown["headline"], shown["cost"], shown["load"]):
        assert _plain(part, fmt) in out, part
    if decision.facts["recurring"]:
        assert _plain(shown["yearly_cost"], fmt) in out
    strongest = shown["reasons"][0]["text"]
    assert _plain(strongest, fmt) in out  # the justification starts with the strongest reason
    for suggestion in shown["suggestions"][:2]:
        assert _plain(suggestion, fmt) in out
    for change in shown["what_if"]:
        assert _plain(change["text"], fmt) in out
    if not decision.hold:
        assert _plain(shown["alternative"], fmt) in out


def _plain(text: str, fmt: str) -> str:
    if fmt == "markdown":
        return markdown_text(text)
    if fmt == "html":
        from markupsafe import escape

        return str(escape(text))
    return text


def test_text_is_the_verdict_first_then_the_reasons_that_decided_it():
    out = render_many([decided("status-broadcast.yaml")], "text")
    lines = out.splitlines()
    assert lines[:6] == [
        "SKIP  Weekly numbers  (a clear skip: 0, threshold 50)",
        "Instead: a written update (email or shared document).",
        "File: status-broadcast.yaml",
        "Every meeting starts at 40 points and is held at 50 or more; the reasons below add up to -50, counted as 0.",
        "Why:",
        "   -30  Nothing is to be decided: a status update can be read in five minutes.",
    ]
    assert ("Cost: 21 staff hours, 1,080 USD each time; 1,092 staff hours, 56,160 USD a year.") in lines
    assert ("Load: 15 hours a week in meetings per person, at the rules' threshold of 15, short of 20; "
            "13 meetings a week, short of the rules' threshold of 17.") in lines
    at = lines.index("Format if held: Formal meeting in one room (20) rather than video (-10)")
    assert lines[at + 1] == "  - None of the 21 attendees is marked remote, so they can meet in one room."
    assert "What would change the answer:" in lines


def test_hold_says_why_this_format_and_not_the_runner_up():
    shown = view(decided("pipeline-review.yaml"))
    assert shown["headline"] == "Hold it: video conference."
    assert shown["format_choice"] == "Video conference (50) rather than formal meeting (-5)"
    assert shown["format_reasons"][0] == "3 of the 7 attendees join from elsewhere."
    assert [r["delta"] for r in shown["case"]] == [20, 15, 15, 5]
    assert [r["delta"] for r in shown["against"]] == [-10, -10] and shown["counter_label"] == "Against it"


def test_arabic_is_complete():
    """Apart from the meeting's own title, its file name and the rules' version, nothing is in English."""
    for name in EXAMPLE_NAMES:
        decision = decided(name)
        for fmt in ("text", "markdown", "html"):
            out = render_many([decision], fmt, lang="ar")
            if fmt == "html":
                out = out.split("<body>", 1)[1]
            out = re.sub(r"<[^>]+>", " ", out)
            for allowed in (_plain(decision.meeting, fmt), _plain(source_name(decision), fmt), decision.pack,
                            decision.version, *(part for part in decision.organizer or () if part)):
                out = out.replace(allowed, " ")
            words = re.findall(r"[A-Za-z]{2,}", out)
            assert words == [], f"{name} {fmt}: English left in the Arabic report: {words[:10]}"


def test_arabic_html_is_right_to_left_with_arabic_fonts():
    html = render_many([decided("coaching-1on1.yaml")], "html", lang="ar")
    assert '<html lang="ar" dir="rtl">' in html
    assert '"Noto Sans Arabic UI", "Noto Sans Arabic"' in html
    assert "يُعقد" in html


def test_arabic_json_words_reasons_and_changes_in_arabic():
    decision = decided("shortfall-huddle.yaml")
    value = to_dict(decision, "ar")
    english = to_dict(decision)
    assert value["verdict"] == english["verdict"] and value["score"] == english["score"]
    assert value["fired"][0]["reason"] != english["fired"][0]["reason"]
    assert re.search("[\u0600-\u06ff]", value["fired"][0]["reason"])
    assert value["what_if"][0]["change"] == "أضف جدول أعمال"
    assert value["what_if"][0]["steps"] == english["what_if"][0]["steps"]


def test_html_is_standalone_with_inline_svg_charts():
    decision = decided("overloaded-brainstorm.yaml")
    html = render_many([decision], "html")
    assert not re.search(r"(?i)(https?:|<link|<script|@import|\ssrc=|url\()", html)
    shown = view(decision)
    assert html.count('<svg class="gauge"') == 1
    assert html.count('viewBox="-100 0 200 10"') == len(shown["reasons"]) + 4  # a bar per rule and per format
    widest = max(shown["reasons"], key=lambda r: abs(r["delta"]))  # its bar fills its half of the chart
    bar = re.search(rf'data-rule="{widest["rule"]}">\n<rect [^>]*width="([0-9.]+)"', html)
    assert bar is not None and float(bar.group(1)) == 100.0
    assert "@media print" in html and 'name="viewport"' in html


def test_markdown_escapes_what_the_proposal_says(advisor):
    decision = advisor.check(proposal(title="Q3 *plan* | <b>draft</b>"))
    out = render_many([decision], "markdown")
    assert out.startswith("## HOLD: Q3 \\*plan\\* \\| \\<b\\>draft\\</b\\>\n")


def test_colour_only_when_asked():
    decision = decided("status-broadcast.yaml")
    plain = render_many([decision], "text")
    coloured = render_many([decision], "text", color=True)
    assert not ANSI.search(plain)
    assert ANSI.search(coloured) and ANSI.sub("", coloured) == plain
    assert not ANSI.search(render_many([decision], "markdown", color=True))


def test_cli_colour_choices(cli, monkeypatch):
    path = str(EXAMPLES / "status-broadcast.yaml")
    assert ANSI.search(cli("check", "--color", "always", path)[1])
    assert not ANSI.search(cli("check", "--color", "never", path)[1])
    assert not ANSI.search(cli("check", path)[1])  # captured output is not a terminal

    class Terminal:
        @staticmethod
        def isatty() -> bool:
            return True

    monkeypatch.setattr("sys.stdout", Terminal)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _use_color("auto", None) is True
    assert _use_color("auto", "report.txt") is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert _use_color("auto", None) is False
    assert _use_color("always", None) is True


def test_cli_lang_and_formats(cli):
    code, out, err = cli("check", "--lang", "ar", "-f", "markdown", str(EXAMPLES / "incentive-memo.yaml"))
    assert (code, err) == (1, "")
    assert out.startswith('<div dir="rtl" lang="ar">\n\n## لا يُعقد: New incentive rules\n')
    code, out, err = cli("check", "--lang", "fr", str(EXAMPLES / "incentive-memo.yaml"))
    assert code == 2 and "'fr' is not one of 'en', 'ar'" in err


def test_cli_json_carries_what_if_by_default(cli):
    code, out, _ = cli("check", "-f", "json", str(EXAMPLES / "shortfall-huddle.yaml"))
    value = json.loads(out)
    assert value["what_if"][0] == {"change": "Add an agenda", "steps": [{"kind": "agenda", "from": 0, "to": 1}],
                                   "verdict": "hold", "score": 70}
    code, out, _ = cli("check", "-f", "json", "--no-what-if", str(EXAMPLES / "shortfall-huddle.yaml"))
    assert json.loads(out)["what_if"] is None


def test_a_users_template_runs_in_the_sandbox(cli, tmp_path):
    template = tmp_path / "brief.j2"
    template.write_text("{% for v in decisions %}{{ v.verdict_label }}|{{ v.title }}|{{ _('Cost') }}|"
                        "{{ v.what_if | length }}\n{% endfor %}")
    code, out, err = cli("check", "--template", str(template), "--lang", "ar", str(EXAMPLES / "shortfall-huddle.yaml"))
    assert (code, out, err) == (1, "لا يُعقد|Why March came in short|التكلفة|2\n", "")


@pytest.mark.parametrize("source,message", [
    ("{{ v.d.__class__.__mro__ }}{% for v in decisions %}", "template does not compile: "),
    ("{% for v in decisions %}\n{{ v.d.__class__.__subclasses__() }}{% endfor %}",
     "template failed: access to attribute '__class__' of 'Decision' object is unsafe."),
    ("{% for v in decisions %}\n\n{{ v.nothing_here }}{% endfor %}", "template failed: 'dict object' has no attribute"),
    # whatever it raises, and however much it would do
    ("{% for v in decisions %}{% for i in range(10**6) %}{% for j in range(10**6) %}x{% endfor %}{% endfor %}"
     "{% endfor %}", "1: template would do too much work: range of 1,000,000 numbers, more than 11,000 steps"),
    ("{% set ns = namespace(n=0) %}{% for i in range(5000) %}{% for j in range(5000) %}{% endfor %}{% endfor %}",
     "1: template would do too much work: loops would take more than 11,000 steps"),
    ("{% macro again(n) %}{{ again(n + 1) }}{% endmacro %}\n{{ again(0) }}", "template failed: it calls itself too deeply"),
    ("{{ 'x' * 1000000000 }}", "1: template would do too much work: '*' repeating 1 characters or items would build "
                               "1,000,000,000 characters, more than"),
    ("{% set ns = namespace(x='ab') %}{% for i in range(40) %}{% set ns.x = ns.x ~ ns.x %}{% endfor %}{{ ns.x }}",
     "1: template would do too much work: '~' would build 16,384 characters, more than"),
    ("{{ '{:>1000000000}'.format(1) }}", "template would do too much work: a width of 1,000,000,000 in format"),
    ("{{ 1 / 0 }}", "1: template failed: division by zero"),
    ("{{ 'x' * 9000 }}" * 200, "template would do too much work: the text written would pass 1,100,"),
])
def test_a_bad_users_template_is_one_line_and_exit_2(cli, tmp_path, source, message):
    template = tmp_path / "bad.j2"
    template.write_text(source)
    code, out, err = cli("check", "--template", str(template), str(EXAMPLES / "coaching-1on1.yaml"))
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith(f"{template}:") and message in err


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_template_that_is_no_file_is_refused_unread(cli):
    assert cli("check", "--template", "/dev/zero", str(EXAMPLES / "coaching-1on1.yaml")) == (
        2, "", "/dev/zero: cannot read the file: it is a device, not a file\n")
    assert cli("rules", "doc", "--template", "/dev/zero") == (
        2, "", "/dev/zero: cannot read the file: it is a device, not a file\n")


def test_the_catalogue_template_is_held_to_the_budget_too(cli, tmp_path, advisor):
    template = tmp_path / "catalogue.j2"
    template.write_text("{% for r in rules %}{% for i in range(100) %}{% for j in range(100) %}{% endfor %}"
                        "{% endfor %}{% endfor %}")
    code, out, err = cli("rules", "doc", "--template", str(template))
    steps = 10_000 + 1_000 * len(advisor.pack.rules)  # a report's budget grows with what it lays out
    assert (code, out) == (2, "")
    assert err == f"{template}:1: template would do too much work: loops would take more than {steps:,} steps\n"


def test_a_template_cannot_shape_json(tmp_path):
    with pytest.raises(ConfigError, match="a template cannot shape the JSON output"):
        render_many([decided("coaching-1on1.yaml")], "json", template=tmp_path / "x.j2")


def test_rules_without_arabic_fall_back_to_english(advisor, tmp_path, cli):
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        "- id: house-rule\n  description: d\n  when: {attendees: {gte: 2}}\n  necessity: 5\n"
        "  because: Our house rule applies to {{ attendees }} people.\n  source: s\n"
        "- id: house-rule-ar\n  description: d\n  when: {attendees: {gte: 2}}\n  necessity: 1\n"
        "  because:\n    en: Also {{ attendees }}.\n    ar: أيضًا {{ attendees }}.\n"
        "  suggestion: {en: Keep it short., ar: اجعله قصيرًا.}\n  source: s\n")
    local = Advisor(extra_rules=[pack])
    decision = local.check(EXAMPLES / "coaching-1on1.yaml")
    out = render_many([decision], "markdown", lang="ar")
    assert "Our house rule applies to 2 people." in out and "أيضًا 2." in out and "اجعله قصيرًا." in out
    from advisor.report.i18n import missing_translations

    assert missing_translations(local.pack, "ar") == [("house-rule", "because")]
    assert missing_translations(Advisor().pack, "ar") == []


def test_rules_list_names_the_rules_without_arabic(cli, tmp_path):
    pack = tmp_path / "house.yaml"
    pack.write_text("- id: house-rule\n  description: Our own rule.\n  when: {attendees: {gte: 2}}\n"
                    "  because: Ours.\n  source: s\n")
    code, out, _ = cli("rules", "list", "--missing-lang", "ar")
    assert (code, out) == (0, "Every rule has its texts in 'ar'.\n")
    code, out, _ = cli("rules", "list", "--missing-lang", "ar", "--rules", str(pack), "-f", "json")
    assert code == 0 and [rule["id"] for rule in json.loads(out)] == ["house-rule"]
