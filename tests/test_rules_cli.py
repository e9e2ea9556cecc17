"""`advisor rules list|show|validate|test|doc`, and the walk-through of docs/rules.md, followed
command by command through a real process (from the source tree, and from the installed wheel)."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

from conftest import ROOT

from advisor.core.facts import FACTS

DOC = ROOT / "docs" / "rules.md"

RULE = """\
- id: long-meeting-short-agenda
  description: A meeting over an hour needs three agenda items.
  when:
    all:
      - duration_minutes: {gt: 60}
      - agenda_items: {lt: 3}
  necessity: -15
  because: "{{ duration_minutes }} minutes for {{ agenda_items }} items."
  source: Company handbook
"""
LONG = "{title: Forecast, purposes: [strategy], duration_minutes: 90, agenda: [One], " \
       "audience: [{role: sales_manager}, {role: sales_rep, count: 4}]}"
SHORT = LONG.replace("duration_minutes: 90", "duration_minutes: 45")


def _pack(tmp_path: Path, rule: str = RULE, cases: str = "") -> Path:
    pack = tmp_path / "company"
    (pack / "tests").mkdir(parents=True, exist_ok=True)
    (pack / "rules.yaml").write_text(rule, encoding="utf-8")
    if cases:
        (pack / "tests" / "cases.yaml").write_text(cases, encoding="utf-8")
    return pack


# ---------------------------------------------------------------------------- list and show


def test_list_json_has_every_active_rule_with_its_effects(cli, advisor, tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    code, out, _ = cli("rules", "list", "-f", "json", "--rules", str(pack))
    rules = json.loads(out)
    assert code == 0
    assert [r["id"] for r in rules] == [rule.id for rule in advisor.pack.rules] + ["long-meeting-short-agenda"]
    mine = rules[-1]
    assert mine == {"id": "long-meeting-short-agenda", "pack": "company",
                    "description": "A meeting over an hour needs three agenda items.",
                    "effects": {"necessity": -15, "formats": {}, "media": {}, "alternative": None,
                                "suggestion": None},
                    "source": "Company handbook", "file": str(pack / "rules.yaml"), "line": 1, "overridden_by": None}


def test_list_table_marks_effects_set_by_the_configuration(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "advisor.yaml").write_text("disable: [daily-meeting]\noverrides:\n  no-agenda: {necessity: -25}\n")
    code, out, _ = cli("rules", "list")
    lines = out.splitlines()
    assert code == 0 and lines[0].split() == ["ID", "PACK", "EFFECTS", "DESCRIPTION", "AND", "SOURCE"]
    assert max(len(line) for line in lines) <= 120
    row = next(line for line in lines if line.startswith("no-agenda "))
    assert row.split()[:4] == ["no-agenda", "default", "*", "-25"]
    assert not any(line.startswith("daily-meeting ") for line in lines)
    assert lines[-1] == "* effects set by advisor.yaml"


def test_show_prints_the_yaml_as_written_where_it_is_and_what_it_compiles_to(cli, tmp_path: Path,
                                                                             monkeypatch) -> None:
    pack = _pack(tmp_path, "# leading comment\n\n" + RULE + "\n# the next rule\n- id: other\n  description: d\n"
                           "  when: {attendees: 2}\n  because: b\n  source: s\n")
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli("rules", "show", "--rules", str(pack), "long-meeting-short-agenda")
    assert code == 0
    assert out.startswith("long-meeting-short-agenda  (pack company, company/rules.yaml:3)\n\n  - id: long-meeting")
    written = out.split("\n\n")[1]
    assert written == "\n".join("  " + line for line in RULE.splitlines())  # the comment of the next rule is not
    assert "When:    duration_minutes > 60 and agenda_items < 3\nEffects: -15\n" in out
    compiled = json.loads(out.split("Compiles to (durable_rules):\n")[1])
    assert compiled == {"$and": [{"$gt": {"f.duration_minutes": 60}}, {"$lt": {"f.agenda_items": 3}}]}
    code, out, _ = cli("rules", "show", "-f", "json", "--rules", str(pack), "long-meeting-short-agenda")
    shown = json.loads(out)
    assert (shown["line"], shown["when_text"], shown["compiled"], shown["facts"]) == (
        3, "duration_minutes > 60 and agenda_items < 3", compiled, ["duration_minutes", "agenda_items"])


def test_show_marks_an_override_and_refuses_unknown_or_disabled_ids(cli, tmp_path: Path) -> None:
    config = tmp_path / "advisor.yaml"
    config.write_text("disable: [daily-meeting]\noverrides:\n  no-agenda: {necessity: -25, formats: {call: 5}}\n")
    code, out, _ = cli("rules", "show", "--config", str(config), "no-agenda")
    assert code == 0
    assert (f"Effects: -25; call +5; instead shared_document; suggests   (set by {config}:3: necessity -25, "
            f"formats {{'call': 5}})") in out
    code, out, err = cli("rules", "show", "--config", str(config), "no-agnda")
    assert (code, out) == (2, "")
    assert err == "advisor rules show: rule 'no-agnda' is in no active pack (default); did you mean 'no-agenda'?\n"
    code, _, err = cli("rules", "show", "--config", str(config), "daily-meeting")
    assert code == 2 and err.startswith(f"advisor rules show: rule 'daily-meeting' is disabled ({config}:1)")


# ---------------------------------------------------------------------------- validate


def test_validate_loads_packs_settings_and_case_files(cli, tmp_path: Path) -> None:
    pack = _pack(tmp_path, cases=f"cases:\n  - {{name: a, proposal: {LONG}}}\n")
    code, out, err = cli("rules", "validate", str(pack))
    assert (code, err) == (0, "")
    assert re.fullmatch(r"valid: \d+ rules in default\+company, \d+ purpose rules, \d+ test cases\n", out)


def test_validate_reports_every_problem_precisely(cli, tmp_path: Path) -> None:
    pack = _pack(tmp_path, RULE.replace("agenda_items: {", "agenda_item: {").replace("necessity: -15", "necessity: -150"))
    code, out, err = cli("rules", "validate", str(pack))
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"{pack / 'rules.yaml'}:6:9: long-meeting-short-agenda.when.all[1].agenda_item: unknown fact 'agenda_item'; "
        f"did you mean 'agenda_items'?",
        f"{pack / 'rules.yaml'}:7:14: long-meeting-short-agenda.necessity: expected an integer from -100 to 100, "
        f"found -150",
    ]


def test_validate_reports_a_bad_case_file_and_a_bad_setting(cli, tmp_path: Path) -> None:
    pack = _pack(tmp_path, cases="cases:\n  - {name: a, proposal: x.yaml, expect: {verdit: hold}}\n")
    code, _, err = cli("rules", "validate", str(pack))
    assert code == 2
    assert err == f"{pack / 'tests' / 'cases.yaml'}:2:42: cases[0].expect.verdit: unknown expectation 'verdit'; " \
                  f"did you mean 'verdict'?\n"
    config = tmp_path / "advisor.yaml"
    config.write_text("disable: [long-meeting-short-agnda]\n")
    code, _, err = cli("rules", "validate", "--config", str(config), str(pack))
    assert code == 2 and err == (f"{config}:1:11: disable[0]: unknown rule 'long-meeting-short-agnda'; did you mean "
                                 f"'long-meeting-short-agenda'?; the active packs (default+company) have no such rule\n")


# ---------------------------------------------------------------------------- test


def test_rules_test_passes_and_says_so(cli, tmp_path: Path) -> None:
    pack = _pack(tmp_path, cases=f"cases:\n  - {{name: long, proposal: {LONG}, expect: "
                                 f"{{fired: [long-meeting-short-agenda]}}}}\n  - {{name: short, proposal: {SHORT}, "
                                 f"expect: {{not_fired: [long-meeting-short-agenda]}}}}\n")
    code, out, _ = cli("rules", "test", "--rules", str(pack), str(pack / "tests"))
    assert (code, out) == (0, "2 passed, 0 failed\n")
    code, out, _ = cli("rules", "test", "-v", "--rules", str(pack), str(pack / "tests" / "cases.yaml"))
    assert code == 0 and out.splitlines() == [f"ok   {pack / 'tests' / 'cases.yaml'}:2: long",
                                              f"ok   {pack / 'tests' / 'cases.yaml'}:3: short",
                                              "2 passed, 0 failed"]


def test_rules_test_prints_each_failure_with_the_difference(cli, tmp_path: Path) -> None:
    pack = _pack(tmp_path, cases=f"cases:\n  - {{name: wrong, proposal: {SHORT}, expect: "
                                 f"{{fired: [long-meeting-short-agenda], verdict: skip, score: {{max: 10}}}}}}\n"
                                 f"  - {{name: right, proposal: {LONG}, expect: {{fired: [long-meeting-short-agenda]}}}}\n")
    code, out, _ = cli("rules", "test", "--rules", str(pack), str(pack / "tests"))
    lines = out.splitlines()
    assert code == 1
    assert lines[0] == f"FAIL {pack / 'tests' / 'cases.yaml'}:2: wrong"
    assert lines[1].startswith("  verdict: expected skip, got hold (score ")
    assert lines[2].startswith("  fired: expected long-meeting-short-agenda to fire; fired: ")
    assert re.fullmatch(r"  score: expected at most 10, got \d+", lines[3])
    assert lines[4:] == ["1 passed, 1 failed"]


def test_rules_test_without_paths_runs_each_active_packs_tests(cli, tmp_path: Path) -> None:
    pack = _pack(tmp_path, cases=f"cases:\n  - {{name: long, proposal: {LONG}, expect: "
                                 f"{{fired: [long-meeting-short-agenda]}}}}\n")
    default_cases = sum(len(file.read_text().split("\n  - name: ")) - 1
                        for file in (ROOT / "rules" / "tests").glob("*.yaml"))
    code, out, _ = cli("rules", "test", "--rules", str(pack), "--coverage")
    assert code == 0
    assert out.splitlines()[-1] == f"{default_cases + 1} passed, 0 failed"


def test_coverage_names_rules_no_case_makes_fire_and_fails(cli, tmp_path: Path) -> None:
    pack = _pack(tmp_path, cases=f"cases:\n  - {{name: short, proposal: {SHORT}}}\n")
    code, out, _ = cli("rules", "test", "--rules", str(pack), "--coverage", str(pack / "tests"))
    coverage_line, closing = out.splitlines()
    assert code == 1 and closing == "1 passed, 0 failed"
    assert coverage_line.startswith("coverage: ") and "long-meeting-short-agenda" in coverage_line
    assert "; never fired: two-people-one-on-one, " in coverage_line


def test_the_default_pack_covers_every_rule(cli) -> None:
    code, out, _ = cli("rules", "test", "--coverage")
    coverage_line, purpose_line, closing = out.splitlines()
    assert code == 0 and re.fullmatch(r"coverage: (\d+) of \1 rules fire in some case", coverage_line)
    assert re.fullmatch(r"coverage: (\d+) of \1 purpose rules fire in some case", purpose_line)
    assert closing.endswith(" passed, 0 failed")


def test_rules_test_bad_input_exits_2(cli, tmp_path: Path) -> None:
    pack = _pack(tmp_path, cases="cases:\n  - {name: a, proposal: 7}\n")
    code, out, err = cli("rules", "test", str(pack / "tests"))
    assert (code, out) == (2, "")
    assert err == f"{pack / 'tests' / 'cases.yaml'}:2:25: cases[0].proposal: expected a proposal (a mapping) or the " \
                  f"path of a proposal file, found 7\n"
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "r.yaml").write_text(RULE)
    code, _, err = cli("rules", "test", "--config", str(_write_none_config(tmp_path, bare)))
    assert code == 2 and "no tests: give case files, or add a tests/ folder to a pack" in err


def _write_none_config(tmp_path: Path, pack: Path) -> Path:
    config = tmp_path / "only.yaml"
    config.write_text(f"extends: none\npacks: [{pack.name}]\n")
    return config


def test_ci_runs_the_default_packs_tests_with_coverage() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert ".venv/bin/advisor rules test --coverage" in script
    assert script.index("-m pytest") < script.index("rules test --coverage")


# ---------------------------------------------------------------------------- doc


def test_doc_renders_the_catalogue_of_the_active_rules(cli, advisor, tmp_path: Path) -> None:
    pack = _pack(tmp_path)
    config = tmp_path / "advisor.yaml"
    config.write_text("disable: [daily-meeting]\noverrides:\n  no-agenda: {necessity: -25}\n")
    target = tmp_path / "RULES.md"
    code, out, _ = cli("rules", "doc", "--rules", str(pack), "--config", str(config), "-o", str(target))
    text = target.read_text()
    assert (code, out) == (0, "")
    assert text.startswith("# Rule catalogue\n")
    assert f"{len(advisor.pack.rules)} rules from default+company" in text  # one more, one disabled
    assert "disabled rules: `daily-meeting`" in text
    assert "### long-meeting-short-agenda\n\nA meeting over an hour needs three agenda items.\n" in text
    assert "- **When:** duration_minutes > 60 and agenda_items < 3\n" in text
    assert "- **Says:** `{{ duration_minutes }} minutes for {{ agenda_items }} items.`" in text
    section = text.split("### no-agenda\n")[1].split("###")[0]
    assert "- **Necessity:** -25\n" in section and "effects set by" in section
    assert "### daily-meeting" not in text


def test_doc_takes_a_template_of_ones_own(cli, tmp_path: Path) -> None:
    template = tmp_path / "short.md.j2"
    template.write_text("{% for r in rules %}{{ r.id }} {{ r.effects.necessity }}\n{% endfor %}")
    code, out, _ = cli("rules", "doc", "--template", str(template))
    assert code == 0 and "heavy-meeting-load -15\n" in out and "#" not in out


# ---------------------------------------------------------------------------- docs/rules.md, followed


def _steps(doc: str) -> List[Tuple[str, str, str]]:
    """('file', path, text) and ('run', command, expected output) in the order the document gives them."""
    steps = []
    for kind, body in re.findall(r"^```(\w+)\n(.*?)^```", doc, re.S | re.M):
        first = body.splitlines()[0]
        if kind == "yaml" and first.startswith("# file: "):
            steps.append(("file", first[len("# file: "):], body))
        elif kind == "console":
            for chunk in re.split(r"^\$ ", body, flags=re.M)[1:]:
                command, _, expected = chunk.partition("\n")
                steps.append(("run", command, expected))
    return steps


def _matches(expected: List[str], actual: List[str]) -> bool:
    """Lines equal, where '...' in a line stands for any text and a line '...' for any lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(_matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    pattern = ".*".join(re.escape(part) for part in expected[0].split("..."))
    return bool(actual) and re.fullmatch(pattern, actual[0]) is not None and _matches(expected[1:], actual[1:])


def _follow_the_walk_through(tmp_path: Path, advisor_command: List[str], env: dict) -> int:
    steps = _steps(DOC.read_text(encoding="utf-8"))
    commands = 0
    for kind, what, text in steps:
        if kind == "file":
            target = tmp_path / what
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            continue
        argv = what.split()
        assert argv[0] == "advisor"
        done = subprocess.run(advisor_command + argv[1:], cwd=tmp_path, capture_output=True, text=True, env=env)
        assert done.returncode in (0, 1), f"$ {what}\n{done.stderr}"
        assert done.stderr == ""
        expected = text.splitlines()
        assert _matches(expected, done.stdout.splitlines()), f"$ {what}\n--- expected\n{text}--- got\n{done.stdout}"
        commands += 1
    return commands


def _environment() -> dict:
    return {**os.environ, "COLUMNS": "100"}


def test_the_walk_through_of_docs_rules_md_works_from_the_source_tree(tmp_path: Path) -> None:
    env = {**_environment(), "PYTHONPATH": str(ROOT)}
    commands = _follow_the_walk_through(tmp_path, [sys.executable, "-m", "advisor"], env)
    assert commands >= 8
    assert (tmp_path / "RULES.md").read_text().startswith("# Rule catalogue")
    # the rule written in the walk-through is in the catalogue, enabled by advisor.yaml alone
    assert "### long-meeting-short-agenda" in (tmp_path / "RULES.md").read_text()


def test_the_walk_through_works_with_the_installed_cli(installed: Path, tmp_path: Path) -> None:
    commands = _follow_the_walk_through(tmp_path, [str(installed / "bin" / "advisor")], _environment())
    assert commands >= 8
    assert "### long-meeting-short-agenda" in (tmp_path / "RULES.md").read_text()


def test_the_installed_default_pack_passes_its_own_tests(installed: Path, tmp_path: Path) -> None:
    done = subprocess.run([str(installed / "bin" / "advisor"), "rules", "test", "--coverage"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].endswith(" passed, 0 failed")


def test_the_documentation_names_every_fact() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert [name for name in FACTS if f"| `{name}` |" not in text] == []


def test_a_matcher_that_can_fail() -> None:
    assert _matches(["a ... c", "...", "z"], ["a b c", "x", "y", "z"])
    assert not _matches(["a ... c", "z"], ["a b c", "x", "z"])
    assert not _matches(["exact"], ["exact", "more"])
