"""The default rule pack against its golden cases (rules/tests/default.yaml), the shared
examples against examples/expected.tsv, and the case runner (advisor.casetests) itself."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Tuple

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing the package
    sys.path.insert(0, str(ROOT))

from advisor.api import Advisor  # noqa: E402
from advisor.errors import InputError  # noqa: E402
from advisor.packs.casetests import Case, coverage, load_cases, run_cases  # noqa: E402

CASES_FILE = ROOT / "rules" / "tests" / "default.yaml"
EXAMPLES = ROOT / "examples"
CASES = load_cases(CASES_FILE)


@pytest.fixture(scope="module")
def advisor() -> Advisor:
    return Advisor()


def _expected_examples() -> List[Tuple[str, str, str]]:
    rows = []
    for line in (EXAMPLES / "expected.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            name, verdict, fmt = line.split("\t")
            rows.append((name, verdict, fmt))
    return rows


# ---------------------------------------------------------------------------- the default pack


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_default_pack_case(advisor: Advisor, case: Case) -> None:
    (result,) = run_cases(advisor, [case])
    assert result.passed, f"{case.file}:{case.line}: {case.name}\n  " + "\n  ".join(result.failures)


def test_every_rule_fires_in_some_case_and_not_in_another(advisor: Advisor) -> None:
    never_fired, never_unfired = coverage(advisor, run_cases(advisor, CASES))
    assert never_fired == [], f"no case makes these rules fire: {', '.join(never_fired)}"
    assert never_unfired == [], f"these rules fire in every case: {', '.join(never_unfired)}"


def test_every_rule_is_asserted_to_fire_and_not_to_fire(advisor: Advisor) -> None:
    """Coverage by expectation, not by accident: each rule is named in `fired` and in `not_fired`."""
    fired = {rule for case in CASES for rule in case.expect.fired}
    not_fired = {rule for case in CASES for rule in case.expect.not_fired}
    ids = [rule.id for rule in advisor.pack.rules]
    assert [r for r in ids if r not in fired] == []
    assert [r for r in ids if r not in not_fired] == []


# ---------------------------------------------------------------------------- the shared examples


def test_expected_tsv_lists_every_example() -> None:
    listed = sorted(name for name, _, _ in _expected_examples())
    assert listed == sorted(p.name for p in EXAMPLES.glob("*.yaml"))  # expected-medium.tsv: below
    assert len(listed) == 11


@pytest.mark.parametrize("name,verdict,fmt", _expected_examples(), ids=[row[0] for row in _expected_examples()])
def test_example_verdict_and_format(advisor: Advisor, name: str, verdict: str, fmt: str) -> None:
    decision = advisor.check(EXAMPLES / name)
    assert decision.verdict == verdict, f"{name}: score {decision.score}"
    if fmt != "-":  # '-': no format is expected of a skipped meeting
        assert decision.format == fmt, f"{name}: format scores {dict(decision.format_scores)}"


def _expected_media() -> List[Tuple[str, str]]:
    lines = (EXAMPLES / "expected-medium.tsv").read_text(encoding="utf-8").splitlines()
    return [tuple(line.split("\t")) for line in lines if line.strip() and not line.startswith("#")]  # type: ignore[misc]


def test_expected_medium_tsv_lists_every_example_that_is_held() -> None:
    held = sorted(name for name, verdict, _ in _expected_examples() if verdict == "hold")
    assert sorted(name for name, _ in _expected_media()) == held


@pytest.mark.parametrize("name,medium", _expected_media(), ids=[row[0] for row in _expected_media()])
def test_example_medium(advisor: Advisor, name: str, medium: str) -> None:
    decision = advisor.check(EXAMPLES / name)
    assert decision.medium == medium, f"{name}: {decision.format}, medium scores {dict(decision.medium_scores)}"


def test_every_example_is_a_golden_case() -> None:
    used = {case.proposal.name for case in CASES if isinstance(case.proposal, Path)}
    assert used == {name for name, _, _ in _expected_examples()}


# ---------------------------------------------------------------------------- the runner


def _write(tmp_path: Path, text: str, name: str = "cases.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


COACHING = "{title: Call review, purposes: [coaching], duration_minutes: 30, agenda: [Two calls], " \
           "audience: [{role: sales_manager}, {role: sales_rep}]}"


def test_a_wrong_expectation_yields_readable_differences(advisor: Advisor, tmp_path: Path) -> None:
    path = _write(tmp_path, f"""\
cases:
  - name: wrong on purpose
    proposal: {COACHING}
    expect:
      verdict: skip
      format: video
      medium: phone
      alternative: written_update
      fired: [no-agenda]
      not_fired: [coaching-one-on-one]
      score: {{max: 40}}
""")
    (result,) = run_cases(advisor, load_cases(path))
    assert not result.passed
    assert result.failures == [
        "verdict: expected skip, got hold (score 75, threshold 50)",
        "format: expected video, got one_on_one (format scores: call 0, video 0, one_on_one 70, formal 0)",
        "medium: expected phone, got in_person with the format one_on_one (medium scores: phone 0, video 0, "
        "hybrid 0, in_person 20)",
        "alternative: expected written_update, got none (the verdict is hold)",
        "fired: expected no-agenda to fire; fired: two-people-one-on-one, two-in-one-place, agenda-prepared, "
        "short-and-focused, coaching-one-on-one",
        "not_fired: expected coaching-one-on-one not to fire; it fired: Coaching on how someone handles "
        "customers is personal, specific and best done one on one.",
        "score: expected at most 40, got 75",
    ]


def test_a_right_expectation_passes(advisor: Advisor, tmp_path: Path) -> None:
    path = _write(tmp_path, f"""\
cases:
  - name: right
    proposal: {COACHING}
    expect: {{verdict: hold, format: one_on_one, fired: [coaching-one-on-one], not_fired: [no-agenda],
              score: {{min: 75, max: 75}}}}
""")
    (result,) = run_cases(advisor, load_cases(path))
    assert (result.passed, result.failures) == (True, [])


def test_an_unknown_rule_id_is_reported(advisor: Advisor, tmp_path: Path) -> None:
    path = _write(tmp_path, f"""\
cases:
  - name: misspelt rule
    proposal: {COACHING}
    expect: {{fired: [coaching-one-on-one, coaching-1on1], not_fired: [no-agnda]}}
""")
    (result,) = run_cases(advisor, load_cases(path))
    assert not result.passed
    assert result.failures == [
        "fired: unknown rule 'coaching-1on1'; did you mean 'coaching-one-on-one'?; the pack has no such rule",
        "not_fired: unknown rule 'no-agnda'; did you mean 'no-agenda'?; the pack has no such rule",
    ]


def test_a_malformed_case_file_names_file_line_column_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path, f"""\
cases:
  - name: typo
    proposal: {COACHING}
    expect:
      verdcit: hold
      score: {{min: high}}
""")
    with pytest.raises(InputError) as raised:
        load_cases(path)
    lines = str(raised.value).splitlines()
    assert lines == [
        f"{path}:5:7: cases[0].expect.verdcit: unknown expectation 'verdcit'; did you mean 'verdict'?",
        f"{path}:6:20: cases[0].expect.score.min: expected an integer from 0 to 100, found 'high'",
    ]
    assert [(p.line, p.column, p.path) for p in raised.value.problems] == [
        (5, 7, "cases[0].expect.verdcit"), (6, 20, "cases[0].expect.score.min")]


@pytest.mark.parametrize("text,message", [
    ("cases: {}\n", "1:8: cases: expected a non-empty list of cases, found an empty mapping"),
    ("case: []\n", "1:1: case: unknown field 'case'; did you mean 'cases'?"),
    ("cases:\n  - proposal: x.yaml\n", "2:5: cases[0]: missing required field 'name'"),
    ("cases:\n  - {name: a, proposal: 3}\n",
     "2:25: cases[0].proposal: expected a proposal (a mapping) or the path of a proposal file, found 3"),
    ("cases:\n  - {name: a, proposal: x.yaml, expect: {format: zoom}}\n",
     "2:50: cases[0].expect.format: unknown format 'zoom'; expected one of call, video, one_on_one, formal"),
    ("cases:\n  - {name: a, proposal: x.yaml, expect: {fired: no-agenda}}\n",
     "2:49: cases[0].expect.fired: expected a list of rule ids, found 'no-agenda'"),
    ("cases:\n  - {name: a, proposal: x.yaml, expect: {fired: [a], not_fired: [a]}}\n",
     "cases[0].expect.not_fired: rule 'a' is expected both to fire and not to fire"),
    ("cases:\n  - {name: a, proposal: x.yaml}\n  - {name: a, proposal: y.yaml}\n",
     "3: name: duplicate case name 'a'"),
])
def test_malformed_case_files(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as raised:
        load_cases(path)
    assert message in str(raised.value)
    assert str(raised.value).startswith(str(path))


def test_a_bad_proposal_fails_its_case_with_the_error_text(advisor: Advisor, tmp_path: Path) -> None:
    path = _write(tmp_path, """\
cases:
  - name: bad inline proposal
    proposal:
      title: Call review
      purposes: [coaching]
      duration_minutes: 30
      audience: [{role: sales_mgr}]
  - name: missing file
    proposal: nowhere.yaml
""")
    bad, missing = run_cases(advisor, load_cases(path))
    assert not bad.passed and bad.decision is None
    assert bad.failures == [f"proposal: {path}:7:25: audience[0].role: unknown role 'sales_mgr'; "
                            "did you mean 'sales_manager'?"]
    assert not missing.passed
    assert missing.failures[0].startswith(f"proposal: {tmp_path / 'nowhere.yaml'}: cannot read the file")


def test_proposal_paths_are_relative_to_the_case_file(advisor: Advisor, tmp_path: Path) -> None:
    (tmp_path / "proposals").mkdir()
    (tmp_path / "proposals" / "coaching.yaml").write_text(
        (EXAMPLES / "coaching-1on1.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "cases").mkdir()
    _write(tmp_path / "cases", "cases:\n  - {name: a, proposal: ../proposals/coaching.yaml, "
                               "expect: {format: one_on_one}}\n", "a.yaml")
    _write(tmp_path / "cases", "cases:\n  - {name: b, proposal: ../proposals/coaching.yaml, "
                               "expect: {verdict: hold}}\n", "b.yaml")
    cases = load_cases(tmp_path / "cases")  # a folder: every *.yaml file, in name order
    assert [case.name for case in cases] == ["a", "b"]
    assert cases[0].proposal == tmp_path / "proposals" / "coaching.yaml"
    assert all(r.passed for r in run_cases(advisor, cases))


def test_coverage_names_rules_never_fired_and_never_unfired(advisor: Advisor, tmp_path: Path) -> None:
    path = _write(tmp_path, f"cases:\n  - name: one\n    proposal: {COACHING}\n")
    results = run_cases(advisor, load_cases(path))
    never_fired, never_unfired = coverage(advisor, results)
    fired = [f.rule for f in results[0].decision.fired]
    ids = [rule.id for rule in advisor.pack.rules]
    assert never_unfired == fired
    assert never_fired == [rule_id for rule_id in ids if rule_id not in fired]
    assert coverage(advisor, []) == (ids, ids)
