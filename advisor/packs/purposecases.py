"""Golden cases for purpose rules: titles (and descriptions) with the purposes they must get.

    purpose_cases:
      - name: a pipeline review is about the shortfall
        title: Weekly pipeline review
        expect: {purposes: [sales_shortfall, problem_solving], fired: [pipeline-review]}
      - name: a title that says nothing stays unknown
        title: Sync
        expect: {purposes: []}

They sit in a pack's `tests/` case files beside the proposal `cases:` (advisor.packs.casetests).
`load_purpose_cases` reads them, `run_purpose_cases` checks them against the purpose rules, and
`purpose_coverage` names the rules no case makes fire.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple, Union

from advisor.core.vocabulary import PURPOSES
from advisor.errors import InputError, Problem, choice_hint, describe, did_you_mean
from advisor.inputs.yamlsafe import Document
from advisor.packs.casetests import _case_files, _read, _rule_ids, _unknown_keys
from advisor.packs.purposes import PurposeRules

CASE_FIELDS = ("name", "title", "description", "expect")
EXPECT_FIELDS = ("purposes", "fired", "not_fired")


@dataclass(frozen=True)
class PurposeCase:
    name: str
    file: str
    line: int
    title: str
    description: Optional[str]
    purposes: Optional[Tuple[str, ...]]  # None: not checked; (): no purpose read
    fired: Tuple[str, ...] = ()
    not_fired: Tuple[str, ...] = ()


@dataclass(frozen=True)
class PurposeResult:
    case: PurposeCase
    failures: List[str]
    fired: Tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.failures


def load_purpose_cases(path: Union[str, "os.PathLike[str]"]) -> List[PurposeCase]:
    """The purpose cases of a case file, or of the case files of a folder (none is no error)."""
    problems: List[Problem] = []
    cases: List[PurposeCase] = []
    for file in _case_files(Path(path)):
        document = _read(file)
        data = document.data
        if isinstance(data, dict) and "purpose_cases" in data:
            cases.extend(_read_cases(document, data["purpose_cases"], problems))
    if problems:
        raise InputError(problems)
    return cases


def _read_cases(document: Document, items: Any, problems: List[Problem]) -> List[PurposeCase]:
    if not isinstance(items, list) or not items:
        problems.append(document.problem(("purpose_cases",), f"expected a non-empty list of cases, found "
                                                             f"{describe(items)}"))
        return []
    cases = []
    for index, item in enumerate(items):
        path = ("purpose_cases", index)
        before = len(problems)
        if not isinstance(item, dict):
            problems.append(document.problem(path, f"expected a case (a mapping with name and title), found "
                                                   f"{describe(item)}"))
            continue
        _unknown_keys(document, path, item, CASE_FIELDS, "case field", problems)
        for key in ("name", "title"):
            if not (isinstance(item.get(key), str) and item[key].strip()):
                problems.append(document.problem(path + (key,), f"expected non-empty text, found "
                                                                f"{describe(item.get(key))}"))
        description = item.get("description")
        if description is not None and not isinstance(description, str):
            problems.append(document.problem(path + ("description",), f"expected text, found {describe(description)}"))
        expect = item.get("expect", {})
        if not isinstance(expect, dict):
            problems.append(document.problem(path + ("expect",), f"expected a mapping of expectations, found "
                                                                 f"{describe(expect)}"))
            expect = {}
        _unknown_keys(document, path + ("expect",), expect, EXPECT_FIELDS, "expectation", problems)
        purposes = _purposes(document, path + ("expect", "purposes"), expect.get("purposes"), problems)
        fired = _rule_ids(document, path + ("expect", "fired"), expect.get("fired"), problems)
        not_fired = _rule_ids(document, path + ("expect", "not_fired"), expect.get("not_fired"), problems)
        if len(problems) > before:
            continue
        line = (document.where(path) or (0, 0))[0]
        cases.append(PurposeCase(item["name"].strip(), document.file, line, item["title"], description, purposes,
                                 fired, not_fired))
    return cases


def _purposes(document: Document, path: Tuple[Any, ...], value: Any,
              problems: List[Problem]) -> Optional[Tuple[str, ...]]:
    if value is None:
        return None
    if not isinstance(value, list):
        problems.append(document.problem(path, f"expected a list of purposes ([] for none), found {describe(value)}"))
        return None
    for position, word in enumerate(value):
        if word not in PURPOSES:
            problems.append(document.problem(path + (position,), f"unknown purpose {describe(word)}"
                                                                 f"{choice_hint(word, PURPOSES)}"))
    return tuple(dict.fromkeys(value))


def run_purpose_cases(rules: PurposeRules, cases: Sequence[PurposeCase]) -> List[PurposeResult]:
    known = {rule.id for rule in rules.rules}
    results = []
    for case in cases:
        purposes, fired = rules.read(case.title, case.description)
        failures = []
        for key, ids in (("fired", case.fired), ("not_fired", case.not_fired)):
            failures += [f"{key}: unknown purpose rule '{rule_id}'{did_you_mean(rule_id, known)}"
                         for rule_id in ids if rule_id not in known]
        if case.purposes is not None and set(purposes) != set(case.purposes):
            failures.append(f"purposes: expected {', '.join(case.purposes) or 'none'}, got "
                            f"{', '.join(purposes) or 'none'} (fired: {', '.join(fired) or 'none'})")
        missing = [r for r in case.fired if r in known and r not in fired]
        if missing:
            failures.append(f"fired: expected {', '.join(missing)} to fire; fired: {', '.join(fired) or 'none'}")
        failures += [f"not_fired: expected {r} not to fire; it fired" for r in case.not_fired if r in fired]
        results.append(PurposeResult(case, failures, fired))
    return results


def purpose_coverage(rules: PurposeRules, results: Sequence[PurposeResult]) -> List[str]:
    """The purpose rules that no case makes fire, in their order."""
    fired = {rule_id for result in results for rule_id in result.fired}
    return [rule.id for rule in rules.rules if rule.id not in fired]
