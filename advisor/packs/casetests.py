"""Golden test cases for rule packs: proposals with the decision they must get.

    cases:
      - name: coaching is one on one
        proposal: {title: Call review, purposes: [coaching], duration_minutes: 30,
                   audience: [{role: sales_manager}, {role: sales_rep}]}
        expect: {verdict: hold, format: one_on_one, medium: in_person, fired: [coaching-one-on-one]}
      - name: the shared example
        proposal: ../../examples/coaching-1on1.yaml   # relative to the case file
        expect: {not_fired: [no-agenda], score: {min: 50}}

`load_cases` reads and checks case files, `run_cases` checks each case against an
Advisor, and `coverage` names the rules that no case makes fire, or not fire.
Nothing here prints or exits: the test suite and the CLI present the results.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Protocol, Sequence, Tuple, Union

from advisor.core.decision import Decision
from advisor.core.meeting import Meeting
from advisor.core.rules import RulePack
from advisor.core.vocabulary import ALTERNATIVES, FORMATS, MEDIA
from advisor.errors import InputError, Problem, choice_hint, describe, did_you_mean
from advisor.inputs.files import YAML_SUFFIXES, read_file, regular_files
from advisor.inputs.proposal import meeting_from_document, read_meeting
from advisor.inputs.yamlsafe import Document, load_yaml

FILE_FIELDS = ("cases", "purpose_cases")
CASE_FIELDS = ("name", "proposal", "expect")
EXPECT_FIELDS = ("verdict", "format", "medium", "alternative", "fired", "not_fired", "score")
SCORE_FIELDS = ("min", "max")
VERDICTS = ("hold", "skip")

YamlPath = Tuple[Any, ...]


class Checker(Protocol):
    """What runs the cases: an Advisor, whose rules are `pack`."""

    pack: RulePack

    def check(self, proposal: Meeting) -> Decision: ...


@dataclass(frozen=True)
class Expect:
    """What a case requires of its decision; None or empty means not checked."""

    verdict: Optional[str] = None
    format: Optional[str] = None
    alternative: Optional[str] = None
    fired: Tuple[str, ...] = ()
    not_fired: Tuple[str, ...] = ()
    score_min: Optional[int] = None
    score_max: Optional[int] = None
    medium: Optional[str] = None


@dataclass(frozen=True)
class Case:
    """One proposal (inline mapping, or the path of a proposal file) and its expectations."""

    name: str
    file: str
    line: int
    proposal: Union[Mapping[str, Any], Path]
    expect: Expect = Expect()
    # For an inline proposal: the same data with its positions in the case file.
    origin: Optional[Document] = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case: each failure is one line naming a difference."""

    case: Case
    passed: bool
    failures: List[str]
    decision: Optional[Decision] = field(default=None, repr=False)


# ---------------------------------------------------------------------------- loading


def load_cases(path: Union[str, "os.PathLike[str]"]) -> List[Case]:
    """The cases of a case file, or of every `*.yaml` file of a folder (in name order).

    Raises InputError listing every problem (file:line:col, field, message).
    """
    files = _case_files(Path(path))
    cases: List[Case] = []
    problems: List[Problem] = []
    for file in files:
        document = _read(file)
        cases.extend(_read_document(document, problems))
    _check_unique_names(cases, problems)
    if problems:
        raise InputError(problems)
    return cases


def _case_files(path: Path) -> List[Path]:
    if path.exists() and not path.is_dir():  # a file, or a pipe: read_file refuses anything else
        return [path]
    if path.is_dir():
        files = [Path(p) for p in regular_files(path, YAML_SUFFIXES)]
        if not files:
            raise InputError([Problem(str(path), "no case files (*.yaml) in this folder")])
        return files
    raise InputError([Problem(str(path), "no such case file or folder")])


def _read(file: Path) -> Document:
    return load_yaml(read_file(file), str(file))


def _read_document(document: Document, problems: List[Problem]) -> List[Case]:
    data = document.data
    if not isinstance(data, dict):
        problems.append(document.problem((), f"expected a mapping with 'cases:', found {describe(data)}"))
        return []
    _unknown_keys(document, (), data, FILE_FIELDS, "field", problems)
    if "cases" not in data:
        if "purpose_cases" not in data:
            problems.append(document.problem((), "missing required field 'cases'"))
        return []
    items = data["cases"]
    if not isinstance(items, list) or not items:
        problems.append(document.problem(("cases",), f"expected a non-empty list of cases, found {describe(items)}"))
        return []
    cases = []
    for index, item in enumerate(items):
        case = _read_case(document, ("cases", index), item, problems)
        if case is not None:
            cases.append(case)
    return cases


def _read_case(document: Document, path: YamlPath, item: Any, problems: List[Problem]) -> Optional[Case]:
    if not isinstance(item, dict):
        problems.append(document.problem(path, f"expected a case (a mapping with name and proposal), found "
                                               f"{describe(item)}"))
        return None
    before = len(problems)
    _unknown_keys(document, path, item, CASE_FIELDS, "case field", problems)
    for key in ("name", "proposal"):
        if key not in item:
            problems.append(document.problem(path, f"missing required field '{key}'"))
    name = item.get("name")
    if "name" in item and not (isinstance(name, str) and name.strip()):
        problems.append(document.problem(path + ("name",), f"expected non-empty text, found {describe(name)}"))
    proposal = _read_proposal(document, path + ("proposal",), item.get("proposal"), problems) \
        if "proposal" in item else None
    expect = _read_expect(document, path + ("expect",), item.get("expect", {}), problems)
    if len(problems) > before or proposal is None:
        return None
    line = (document.where(path) or (0, 0))[0]
    origin = _sub_document(document, path + ("proposal",)) if isinstance(proposal, dict) else None
    return Case(str(name).strip(), document.file, line, proposal, expect, origin)


def _read_proposal(document: Document, path: YamlPath, value: Any,
                   problems: List[Problem]) -> Union[Dict[str, Any], Path, None]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        return Path(os.path.normpath(Path(document.file).parent / value))
    problems.append(document.problem(path, f"expected a proposal (a mapping) or the path of a proposal file, "
                                           f"found {describe(value)}"))
    return None


def _read_expect(document: Document, path: YamlPath, value: Any, problems: List[Problem]) -> Expect:
    if not isinstance(value, dict):
        problems.append(document.problem(path, f"expected a mapping of expectations, found {describe(value)}"))
        return Expect()
    _unknown_keys(document, path, value, EXPECT_FIELDS, "expectation", problems)
    words = {"verdict": VERDICTS, "format": FORMATS, "medium": MEDIA, "alternative": tuple(ALTERNATIVES)}
    chosen = {key: _word(document, path + (key,), value.get(key), choices, problems)
              for key, choices in words.items()}
    fired = _rule_ids(document, path + ("fired",), value.get("fired"), problems)
    not_fired = _rule_ids(document, path + ("not_fired",), value.get("not_fired"), problems)
    for rule_id in sorted(set(fired) & set(not_fired)):
        problems.append(document.problem(path + ("not_fired",),
                                         f"rule '{rule_id}' is expected both to fire and not to fire"))
    low, high = _score(document, path + ("score",), value.get("score"), problems)
    return Expect(chosen["verdict"], chosen["format"], chosen["alternative"], fired, not_fired, low, high,
                  chosen["medium"])


def _word(document: Document, path: YamlPath, value: Any, choices: Sequence[str],
          problems: List[Problem]) -> Optional[str]:
    if value is None or value in choices:
        return value  # type: ignore[no-any-return]  # None, or one of the words
    hint = choice_hint(value, choices)
    problems.append(document.problem(path, f"unknown {path[-1]} {describe(value)}{hint}"))
    return None


def _rule_ids(document: Document, path: YamlPath, value: Any, problems: List[Problem]) -> Tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.append(document.problem(path, f"expected a list of rule ids, found {describe(value)}"))
        return ()
    ids = []
    for index, item in enumerate(value):
        if isinstance(item, str) and item.strip():
            ids.append(item.strip())
        else:
            problems.append(document.problem(path + (index,), f"expected a rule id, found {describe(item)}"))
    return tuple(dict.fromkeys(ids))


def _score(document: Document, path: YamlPath, value: Any,
           problems: List[Problem]) -> Tuple[Optional[int], Optional[int]]:
    if value is None:
        return None, None
    if not isinstance(value, dict):
        problems.append(document.problem(path, f"expected a mapping such as {{min: 50, max: 100}}, "
                                               f"found {describe(value)}"))
        return None, None
    _unknown_keys(document, path, value, SCORE_FIELDS, "score bound", problems)
    bounds = []
    for key in SCORE_FIELDS:
        bound = value.get(key)
        ok = bound is None or (isinstance(bound, int) and not isinstance(bound, bool) and 0 <= bound <= 100)
        if not ok:
            problems.append(document.problem(path + (key,), f"expected an integer from 0 to 100, found "
                                                            f"{describe(bound)}"))
        bounds.append(bound if ok else None)
    low, high = bounds
    if low is not None and high is not None and low > high:
        problems.append(document.problem(path, f"min {low} is above max {high}"))
    return low, high


def _unknown_keys(document: Document, path: YamlPath, mapping: Mapping[Any, Any], known: Sequence[str],
                  what: str, problems: List[Problem]) -> None:
    for key in mapping:
        if key not in known:
            hint = choice_hint(key, known)
            problems.append(document.problem(path + (key,), f"unknown {what} {describe(key)}{hint}", key=True))


def _check_unique_names(cases: Sequence[Case], problems: List[Problem]) -> None:
    seen: Dict[str, Case] = {}
    for case in cases:
        first = seen.setdefault(case.name, case)
        if first is not case:
            problems.append(Problem(case.file, f"duplicate case name '{case.name}' (first at {first.file}:"
                                               f"{first.line})", case.line, None, "name"))


def _sub_document(document: Document, prefix: YamlPath) -> Document:
    """The value at `prefix` as a document of its own, keeping its positions in the file."""
    size = len(prefix)

    def cut(table: Mapping[YamlPath, Any]) -> Dict[YamlPath, Any]:
        return {path[size:]: where for path, where in table.items() if path[:size] == prefix}

    data = document.data
    for part in prefix:
        data = data[part]
    return Document(data, document.file, cut(document.positions), cut(document.key_positions))


# ---------------------------------------------------------------------------- running


def run_cases(advisor: Checker, cases: Sequence[Case]) -> List[CaseResult]:
    """Check every case with `advisor`; a proposal that cannot be read fails its case."""
    known = advisor.pack.by_id()
    return [run_case(advisor, case, known) for case in cases]


def run_case(advisor: Checker, case: Case, known: Mapping[str, Any]) -> CaseResult:
    """Check one case; `known` maps the ids of the advisor's rules to them."""
    unknown = _unknown_rules(case.expect, known)
    try:
        decision = advisor.check(_meeting(case))
    except InputError as error:
        failures = unknown + [f"proposal: {problem}" for problem in error.problems]
        return CaseResult(case, False, failures)
    failures = unknown + compare(case.expect, decision, known)
    return CaseResult(case, not failures, failures, decision)


def _meeting(case: Case) -> Meeting:
    if isinstance(case.proposal, Path):
        return read_meeting(case.proposal)
    origin = case.origin or Document(case.proposal, case.file)
    return meeting_from_document(origin)


def _unknown_rules(expect: Expect, known: Mapping[str, Any]) -> List[str]:
    failures = []
    for key, ids in (("fired", expect.fired), ("not_fired", expect.not_fired)):
        for rule_id in ids:
            if rule_id not in known:
                failures.append(f"{key}: unknown rule '{rule_id}'{did_you_mean(rule_id, known)}; "
                                f"the pack has no such rule")
    return failures


def compare(expect: Expect, decision: Decision, known: Mapping[str, Any]) -> List[str]:
    """The differences between what `expect` requires and `decision`, one line each."""
    failures: List[str] = []
    if expect.verdict is not None and decision.verdict != expect.verdict:
        failures.append(f"verdict: expected {expect.verdict}, got {decision.verdict} "
                        f"(score {decision.score}, threshold {decision.threshold})")
    if expect.format is not None and decision.format != expect.format:
        scores = ", ".join(f"{name} {points}" for name, points in decision.format_scores.items())
        failures.append(f"format: expected {expect.format}, got {decision.format} (format scores: {scores})")
    if expect.medium is not None and decision.medium != expect.medium:
        scores = ", ".join(f"{name} {points}" for name, points in decision.medium_scores.items())
        failures.append(f"medium: expected {expect.medium}, got {decision.medium} with the format {decision.format} "
                        f"(medium scores: {scores})")
    if expect.alternative is not None and decision.alternative != expect.alternative:
        got = decision.alternative or f"none (the verdict is {decision.verdict})"
        failures.append(f"alternative: expected {expect.alternative}, got {got}")
    failures.extend(_compare_fired(expect, decision, known))
    failures.extend(_compare_score(expect, decision))
    return failures


def _compare_fired(expect: Expect, decision: Decision, known: Mapping[str, Any]) -> List[str]:
    fired = {f.rule: f for f in decision.fired}
    missing = [r for r in expect.fired if r not in fired and r in known]  # unknown ids are reported apart
    failures = []
    if missing:
        listed = ", ".join(fired) or "none"
        failures.append(f"fired: expected {', '.join(missing)} to fire; fired: {listed}")
    for rule_id in expect.not_fired:
        if rule_id in fired:
            failures.append(f"not_fired: expected {rule_id} not to fire; it fired: {fired[rule_id].reason}")
    return failures


def _compare_score(expect: Expect, decision: Decision) -> List[str]:
    low, high, score = expect.score_min, expect.score_max, decision.score
    if (low is None or score >= low) and (high is None or score <= high):
        return []
    if low is not None and high is not None:
        wanted = f"{low} to {high}"
    else:
        wanted = f"at least {low}" if low is not None else f"at most {high}"
    return [f"score: expected {wanted}, got {score}"]


# ---------------------------------------------------------------------------- coverage


def coverage(advisor: Checker, results: Sequence[CaseResult]) -> Tuple[List[str], List[str]]:
    """(rules no case makes fire, rules no case shows not firing), in pack order.

    Only cases whose proposal could be checked count; with none, every rule is in both lists.
    """
    decisions = [r.decision for r in results if r.decision is not None]
    fired_sets = [{f.rule for f in d.fired} for d in decisions]
    ids = [rule.id for rule in advisor.pack.rules]
    never_fired = [rule_id for rule_id in ids if not any(rule_id in s for s in fired_sets)]
    never_unfired = [rule_id for rule_id in ids if all(rule_id in s for s in fired_sets)]
    return never_fired, never_unfired
